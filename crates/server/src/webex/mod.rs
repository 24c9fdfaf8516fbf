//! Webex (issue 8): real-time file DLP, the server half.
//!
//! The protocol lives in `leakwall-connectors` (`peek_org`, the `X-Spark-Signature`
//! verifier, the delivery parser, the REST client with hold/download/verdict, OAuth and
//! webhooks, the connector that rejects, deletes and notifies); this module composes it with
//! the store, the queue, the engine and the policies:
//! - [`webhook`]: `POST /webhooks/webex` verifies with the org's own secret, gives every file
//!   its first touch at once, drops repeated deliveries and enqueues a `webex_event` task;
//! - [`task`]: the `webex_event` task decides every file ([`files`]) within the budget, puts
//!   the verdict and records it ([`record`]), then scans the message text;
//! - [`install`]: the OAuth grant of a compliance officer, storing the org's tokens sealed and
//!   (re)creating our org-wide webhook with a fresh secret; [`admin`] shows installations;
//! - [`tokens`]: tokens opened, refreshed once on a 401 and ahead of expiry;
//! - [`config`]: the `webex:` settings, with per-organization overrides.
//!
//! Design decision — the 10-second hold: Webex posts a file "unscanned" unless it is touched
//! with `allow=dlpEvaluating,dlpUnchecked` within 10 s of the upload, and it must be decided
//! soon after. A queue priority would still put the first touch behind whatever the workers
//! are doing (a worker busy with a 100 MB archive does not yield, and with `--no-workers` the
//! worker may be another process entirely), so the first touch is a **dedicated fast path on
//! the receiving process**: right after the signature is verified, one small task per file
//! sends the `HEAD` (no body, no scan, one HTTP round trip), independent of the queue and of
//! the workers' load. It is started before the dedupe write and the enqueue, so a slow
//! database does not delay it either. The worker's task touches every file again before it
//! downloads: a `HEAD` is harmless, and this covers a fast path that failed (a refused token
//! is refreshed there, a crash of the receiving process is covered by the durable queue).
//! The decision budget (`webex.decision_budget_ms`, 8 s by default) runs from the webhook's
//! arrival, carried in the task; what is not decided by then follows the org's fail mode.

pub mod admin;
pub mod config;
pub mod files;
pub mod install;
pub mod record;
pub mod task;
pub mod tokens;
pub mod webhook;

pub use config::{FailMode, OrgConfig, WebexConfig, WebexSettings};
