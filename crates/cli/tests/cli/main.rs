//! End-to-end tests of the `leakwall` binary: each test writes its inputs into a temporary
//! directory, runs the real binary there and checks the exit code and the output.

mod antivirus;
mod catalog;
mod exit_codes;
mod formats;
mod grpc;
mod hostile;
mod inputs;
mod ocs_fake;
mod policy;
mod proxy;
mod serve;
mod sharing;
mod slack;
mod support;
mod webex;
mod worker;
