//! Leakwall's task queue (the "Manager"): every slow thing runs as a named task on a durable,
//! at-least-once queue, so webhooks answer within their deadlines and nothing is lost when a
//! process dies.
//!
//! The main types are [`Envelope`] (`{"task", "args", "kwargs"}`), the [`Queue`] trait with
//! its backends (embedded SQLite, PostgreSQL, AWS SQS), and the worker that leases messages,
//! runs registered task functions under a concurrency limit, heartbeats long tasks, retries
//! with backoff and dead-letters what cannot succeed.
//!
//! Design decision: the queue counts deliveries (`receive_count`) instead of rewriting the
//! body on every retry, so a retry is one lease release with a delay on every backend (on SQS
//! a `ChangeMessageVisibility`), and the body a producer wrote is the body a worker reads.
#![deny(missing_docs)]

mod backend;
pub mod embedded;
mod envelope;
mod error;
pub mod memory;
pub mod postgres;
mod sql;
pub mod sqs;
pub mod worker;

pub use backend::{BoxFuture, DeadLetter, Message, Queue, Stats};
pub use envelope::Envelope;
pub use error::Error;
