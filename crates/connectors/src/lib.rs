//! Leakwall's platform connectors: how events get in from Slack and Webex and how
//! decisions get carried out there.
//!
//! Every platform fits one shape: **ingest → job → decide → act**.
//! - *Ingest*: a [`WebhookVerifier`] authenticates the raw body (Slack: [`slack::SlackVerifier`],
//!   v0 HMAC-SHA256 with a 5-minute replay window), then the platform's parser turns it into a
//!   [`Job`] (Slack: [`slack::EventParser`]) or says why there is none.
//! - *Job*: a serializable [`Job`] — tenant, delivery id for dedupe, where the message is, who
//!   wrote it, its text and file references — travels on the queue as task kwargs.
//! - *Decide*: the server (engine and policy) turns findings into an [`Action`]: allow, warn,
//!   or block with a [`Notice`]. This crate never scans or decides.
//! - *Act*: a [`Connector`] built from the tenant's tokens fetches files under a byte limit and
//!   carries out the action, returning an [`Outcome`] (done, fell back to notices and why,
//!   permanent error, rate limited with the delay, or retry).
//!
//! Design decision: the connector never retries or sleeps. It classifies every platform error
//! ([`ApiError::permanent`], [`ApiError::retry_after`]) into an [`Outcome`] and the queue does
//! the waiting (a 429 reschedules the task), so a worker is never parked on a rate limit and
//! every action is safe to repeat (content already removed counts as removed). Platform code
//! sits behind two small traits so Webex adds a verifier, a parser and a connector, not a new
//! flow.
//!
//! Webex (issue 8, [`webex`]) fits the same shape: the server reads the org with
//! [`webex::peek_org`], verifies `X-Spark-Signature` (HMAC-SHA1 of the raw body, no
//! timestamp) with that org's [`webex::WebexVerifier`], and [`webex::EventParser`] makes a
//! `Job` with `tenant` = org id, `event_id` = the message id (the webhook `id` is the same
//! for every delivery), and one [`FileRef`] per content URL. With the `client` feature,
//! `webex::WebexClient::hold` is the first touch that holds a file (a `HEAD` with
//! `allow=dlpEvaluating,dlpUnchecked`, within 10 s): Webex-only, so an inherent method the
//! server's fast path calls, not a trait method. `webex::WebexConnector`'s `fetch` is the
//! `GET` with the same `allow` value, and `act` maps `Allow`/`Warn` to `?result=approve`
//! and `Block` to `?result=reject` for every file (optionally deleting the message).
//! [`ApiError::Unauthorized`] tells the server to refresh the token once and call again.
//!
//! Tokens and message text are wrapped ([`Token`], [`MessageText`]) so that their `Debug`
//! never shows them; errors never carry them. With the `fake` feature, the `fake` module runs
//! a fake Slack Web API for tests.
#![deny(missing_docs)]

mod action;
mod connector;
mod error;
mod job;
mod secret;
pub mod slack;
pub mod webex;

#[cfg(feature = "fake")]
pub mod fake;

pub use action::{Action, Notice, Outcome};
pub use connector::{BoxFuture, Connector, WebhookVerifier};
pub use error::{ApiError, ParseError, VerifyError};
pub use job::{
    Author, ConversationKind, FileRef, Job, JobKind, Location, Platform, ScanTarget, Trigger,
};
pub use secret::{MessageText, Token};
