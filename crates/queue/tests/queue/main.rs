//! The queue's integration tests: one conformance suite ([`suite`]) that every backend runs,
//! its instantiation per backend, and a model-based property test of the SQL backends.
//!
//! PostgreSQL cases connect to `LEAKWALL_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and fail when it is unreachable, unless it is
//! set to `skip`.

#[macro_use]
mod suite;

mod embedded;
mod model;
mod postgres;
mod sqs;
