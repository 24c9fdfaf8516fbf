//! End-to-end tests of the `leakwall` binary: each test writes its inputs into a temporary
//! directory, runs the real binary there and checks the exit code and the output.

mod catalog;
mod exit_codes;
mod formats;
mod grpc;
mod hostile;
mod inputs;
mod policy;
mod proxy;
mod serve;
mod slack;
mod support;
mod worker;
