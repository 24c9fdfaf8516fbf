//! Errors of the clamd client: the daemon down, slow or talking nonsense, a bad address, or
//! the file being scanned failing to read. A daemon that answers `... ERROR` is not an error
//! here but an [`crate::ScanResult::Unscannable`] result.

use std::time::Duration;

use leakwall_core::ErrorCode;

/// Why a call to clamd did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configured address is not `tcp://host:port` or `unix:///path`.
    #[error("antivirus.clamd: {0}")]
    Address(String),
    /// Connecting failed (refused, no such socket, unreachable).
    #[error("clamd at {address}: connecting: {source}")]
    Connect {
        /// The daemon's address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting, writing or waiting for the answer took longer than its limit.
    #[error("clamd at {address}: no {what} within {limit:?}")]
    Timeout {
        /// The daemon's address.
        address: String,
        /// What took too long: `connection`, `progress` or `answer`.
        what: &'static str,
        /// The limit.
        limit: Duration,
    },
    /// The connection broke while talking.
    #[error("clamd at {address}: {source}")]
    Io {
        /// The daemon's address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The answer is not one of the daemon's (garbage, too long, cut short).
    #[error("clamd at {address}: unexpected answer: {detail}")]
    Protocol {
        /// The daemon's address.
        address: String,
        /// What was wrong (escaped and shortened, never file content).
        detail: String,
    },
    /// Reading the file to scan failed: not the daemon's fault.
    #[error("reading the file to scan: {0}")]
    Source(std::io::Error),
}

impl Error {
    /// Whether the daemon is unavailable (down, slow, broken): the caller's fail mode decides
    /// what happens to the file. False for a bad address and for a file that cannot be read.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Timeout { .. }
                | Error::Io { .. }
                | Error::Protocol { .. }
        )
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Address(_) => ErrorCode::InvalidConfig,
            Error::Source(_) => ErrorCode::Io,
            _ => ErrorCode::Internal,
        }
    }
}
