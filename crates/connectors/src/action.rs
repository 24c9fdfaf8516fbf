//! What the server decided ([`Action`]) and what carrying it out achieved ([`Outcome`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The decision the server asks a connector to carry out for one job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do (Webex: approve the file).
    Allow,
    /// Keep the content, tell the conversation and the author.
    Warn {
        /// The texts to post.
        notice: Notice,
    },
    /// Remove the content (Slack: delete message and files; Webex: reject the file), post the
    /// notice in its place and tell the author privately.
    Block {
        /// The texts to post.
        notice: Notice,
    },
}

/// The texts a connector posts. They name detectors, never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Posted in the conversation (in the thread when the message was a reply).
    pub public: String,
    /// Shown only to the author.
    pub private: String,
}

/// What carrying out an [`Action`] achieved: recorded on the incident, and it tells the
/// worker whether to retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The action was carried out.
    Done {
        /// Whether content was removed (deleted, rejected).
        removed: bool,
        /// Whether the public notice was posted.
        notified: bool,
    },
    /// Removal was impossible, so only the notices were posted: the leak stayed visible.
    NotifiedOnly {
        /// Why removal failed (`no user token`, `cant_delete_message`, `missing_scope`, …).
        reason: String,
    },
    /// A permanent error: record it, do not retry.
    Failed {
        /// The platform's error string or a description.
        error: String,
    },
    /// The platform asked us to wait: reschedule the task, do not sleep in the worker.
    RateLimited {
        /// Seconds to wait at least (from `Retry-After`).
        retry_after_secs: u64,
    },
    /// A transient error (5xx, timeout, `internal_error`): retry with backoff.
    Retry {
        /// What went wrong.
        error: String,
    },
}

impl Outcome {
    /// The delay to reschedule after, for [`Outcome::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Outcome::RateLimited { retry_after_secs } => {
                Some(Duration::from_secs(*retry_after_secs))
            }
            _ => None,
        }
    }

    /// Whether the task is finished (record it) rather than to be tried again.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::RateLimited { .. } | Outcome::Retry { .. })
    }
}
