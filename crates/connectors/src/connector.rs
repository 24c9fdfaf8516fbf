//! The two small traits every platform implements: verify a delivery, then fetch and act.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use http::HeaderMap;

use crate::action::{Action, Outcome};
use crate::error::{ApiError, VerifyError};
use crate::job::{FileRef, Job};

/// A boxed, sendable future, so the traits stay object-safe (`dyn Connector`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Authenticates a webhook delivery over its raw body, before anything parses it.
pub trait WebhookVerifier: Send + Sync {
    /// `Ok` when the headers prove the body came from the platform (and, where the platform
    /// signs a timestamp, recently enough relative to `now`).
    fn verify(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), VerifyError>;
}

/// One installation on one platform, able to fetch a job's files and carry out a decision.
/// The worker builds one per task from the tenant's stored tokens.
pub trait Connector: Send + Sync {
    /// Downloads one file of a job, keeping at most `limit` bytes
    /// ([`ApiError::TooLarge`] beyond).
    fn fetch<'a>(
        &'a self,
        file: &'a FileRef,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, ApiError>>;

    /// Carries out `action` for `job`. Never panics; every failure is an [`Outcome`]. Safe to
    /// call again for the same job after a retry (content already removed counts as removed).
    fn act<'a>(&'a self, job: &'a Job, action: &'a Action) -> BoxFuture<'a, Outcome>;
}
