//! Errors of the queue.

use leakwall_core::ErrorCode;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The backend could not be reached or answered an error (retryable).
    #[error("queue backend: {0}")]
    Backend(String),
    /// The queue URL or a setting is wrong.
    #[error("queue configuration: {0}")]
    Config(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Backend(_) => ErrorCode::Internal,
            Error::Config(_) => ErrorCode::InvalidConfig,
        }
    }
}
