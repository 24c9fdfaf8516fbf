//! The server's integration tests: every route × every permission shape, on SQLite and on
//! PostgreSQL, driven through the router exactly as HTTP clients drive it.

mod antivirus;
mod antivirus_bench;
mod antivirus_slack;
mod decisions;
mod grpc;
mod policy;
mod postprocessing;
mod proxy;
mod queue;
mod scan;
mod sharing;
mod slack;
mod support;
mod table;
mod webex;
