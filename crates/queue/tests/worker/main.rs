//! The worker's integration tests: the worker stepped with `tick` and run with `run` against
//! `MemoryQueue` (tokio's paused clock where leases and backoff matter) and against the
//! embedded backend (real time); the in-memory queue's own rules; and the SIGKILL crash test
//! over the embedded backend; lease-ahead (`prefetch`).

mod crash;
mod embedded;
mod memory;
mod not_before;
mod prefetch;
mod run;
mod step;
mod util;
