//! The crate's typed errors: webhook verification, payload parsing, platform API calls.
//! Each maps to a stable [`ErrorCode`]; none carries a token or message text.

use std::time::Duration;

use leakwall_core::ErrorCode;

/// Why a webhook delivery was not authenticated. The server answers 401 and enqueues nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but malformed (not ASCII, not a number, wrong prefix or length).
    #[error("malformed header {0}")]
    BadHeader(&'static str),
    /// The timestamp is outside the replay window (either direction).
    #[error("timestamp outside the replay window by {skew_secs} s")]
    Stale {
        /// How far `now` and the timestamp are apart, in seconds.
        skew_secs: u64,
    },
    /// The signature does not match the body.
    #[error("signature mismatch")]
    Mismatch,
}

impl VerifyError {
    /// The stable code: always `unauthorized`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::Unauthorized
    }
}

/// Why a (verified) webhook body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is larger than the configured limit; nothing was parsed.
    #[error("body of {len} bytes is over the limit of {limit}")]
    TooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or JSON without the fields the envelope or a known event requires.
    #[error("malformed payload: {0}")]
    Malformed(String),
}

impl ParseError {
    /// The stable code: `payload_too_large` or `bad_request`.
    pub fn code(&self) -> ErrorCode {
        match self {
            ParseError::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            ParseError::Malformed(_) => ErrorCode::BadRequest,
        }
    }
}

/// Slack `ok:false` errors worth retrying; every other error string is permanent, so an
/// unknown one is recorded instead of retried forever.
const TRANSIENT_API_ERRORS: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
    "team_added_to_org",
];

/// A failed call to a platform's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// HTTP 429: wait at least `retry_after` (from `Retry-After`, 1 s if absent).
    #[error("rate limited; retry after {} s", retry_after.as_secs())]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The platform answered with a logical error (Slack `{"ok":false,"error":…}`).
    #[error("{method}: {error}")]
    Api {
        /// The method called (`chat.delete`).
        method: String,
        /// The platform's error string (`cant_delete_message`).
        error: String,
        /// For `missing_scope`: the scope that was needed.
        needed: Option<String>,
    },
    /// An HTTP status other than success and 429, without a readable API error.
    #[error("{method}: HTTP {status}")]
    Http {
        /// The method or `download`.
        method: String,
        /// The status code.
        status: u16,
    },
    /// HTTP 401: the token is invalid or expired (Webex: refresh it once and call again).
    #[error("{method}: unauthorized (HTTP 401){}", tracking(tracking_id))]
    Unauthorized {
        /// The method or endpoint.
        method: String,
        /// Webex's `Trackingid` answer header, for support cases.
        tracking_id: Option<String>,
    },
    /// An HTTP status other than success, 401 and 429 from an API that names the request
    /// (Webex's `Trackingid`).
    #[error("{method}: HTTP {status}{}", tracking(tracking_id))]
    Status {
        /// The method or endpoint.
        method: String,
        /// The status code.
        status: u16,
        /// Webex's `Trackingid` answer header.
        tracking_id: Option<String>,
    },
    /// The connection failed or timed out.
    #[error("{method}: transport error{}", if *timeout { " (timeout)" } else { "" })]
    Transport {
        /// The method or `download`.
        method: String,
        /// Whether it was a timeout.
        timeout: bool,
    },
    /// The answer was not the JSON expected.
    #[error("{method}: unreadable answer")]
    Decode {
        /// The method.
        method: String,
    },
    /// A download is larger than the limit; nothing beyond the limit was kept.
    #[error("file larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A download answered with a web page instead of the file (Slack's login page when the
    /// token is missing or lacks `files:read`).
    #[error("download answered with a web page, not the file (not authorized?)")]
    NotAFile,
    /// The download address is not on an allowed file host; the token was not sent.
    #[error("download address is not on an allowed file host")]
    DisallowedUrl,
    /// A client setting is unusable (bad base URL).
    #[error("invalid client setting: {0}")]
    Config(String),
}

impl ApiError {
    /// Whether retrying cannot help: record the error instead. Rate limits, 5xx, 408,
    /// timeouts, transport failures and Slack's `internal_error`/`fatal_error` are transient.
    pub fn permanent(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Transport { .. } | ApiError::Decode { .. } => {
                false
            }
            ApiError::Api { error, .. } => !TRANSIENT_API_ERRORS.contains(&error.as_str()),
            ApiError::Http { status, .. } | ApiError::Status { status, .. } => {
                *status < 500 && *status != 408
            }
            ApiError::Unauthorized { .. } => true,
            ApiError::TooLarge { .. }
            | ApiError::NotAFile
            | ApiError::DisallowedUrl
            | ApiError::Config(_) => true,
        }
    }

    /// The delay a rate limit asks for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether the token was refused (HTTP 401): refresh it and call again once.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Unauthorized { .. })
    }

    /// The platform's error string, for `Api` errors.
    pub fn api_error(&self) -> Option<&str> {
        match self {
            ApiError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::TooLarge { .. } => ErrorCode::Unscannable,
            ApiError::Config(_) => ErrorCode::InvalidConfig,
            ApiError::NotAFile | ApiError::Unauthorized { .. } => ErrorCode::Unauthorized,
            _ => ErrorCode::Internal,
        }
    }
}

/// ` (Trackingid …)` when there is one, for error texts.
fn tracking(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (Trackingid {id})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(error: &str) -> ApiError {
        ApiError::Api {
            method: "chat.delete".into(),
            error: error.into(),
            needed: None,
        }
    }

    #[test]
    fn classification() {
        for e in [
            "message_not_found",
            "cant_delete_message",
            "missing_scope",
            "invalid_auth",
        ] {
            assert!(api(e).permanent(), "{e}");
        }
        for e in ["internal_error", "fatal_error"] {
            assert!(!api(e).permanent(), "{e}");
        }
        let http = |status| ApiError::Http {
            method: "m".into(),
            status,
        };
        assert!(!http(503).permanent());
        assert!(http(404).permanent());
        assert!(!ApiError::Transport {
            method: "m".into(),
            timeout: true
        }
        .permanent());
        let rl = ApiError::RateLimited {
            retry_after: Duration::from_secs(7),
        };
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(7)));
        assert!(!rl.permanent());
    }
}
