//! Errors of building a scanner.

use leakwall_core::ErrorCode;

/// Why a scanner could not be built. Every variant names what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A detector's pattern does not compile or is unusable.
    #[error("detector `{id}`: invalid pattern: {message}")]
    InvalidPattern {
        /// The detector's id.
        id: String,
        /// What is wrong with it.
        message: String,
    },
    /// A custom detector names a validator that does not exist.
    #[error("detector `{id}`: unknown validator `{name}` (known: {known})")]
    UnknownValidator {
        /// The detector's id.
        id: String,
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// A detector id that is not in the catalog.
    #[error("unknown detector `{0}`")]
    UnknownDetector(String),
    /// Any other bad setting.
    #[error("{0}")]
    InvalidConfig(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidPattern { .. } => ErrorCode::InvalidPattern,
            Error::UnknownValidator { .. } => ErrorCode::UnknownValidator,
            Error::UnknownDetector(_) => ErrorCode::UnknownDetector,
            Error::InvalidConfig(_) => ErrorCode::InvalidConfig,
        }
    }
}
