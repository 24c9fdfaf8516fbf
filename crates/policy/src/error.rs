//! Errors of loading and compiling a policy set, and of one evaluation.

use std::path::PathBuf;
use std::time::Duration;

use leakwall_core::ErrorCode;

/// Why a policy set could not be built. Every variant names the file or setting at fault.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A configured policy or data file does not exist.
    #[error("policy file {} does not exist", path.display())]
    MissingPolicy {
        /// The path configured.
        path: PathBuf,
    },
    /// A policy or data file exists but cannot be read (permissions, not UTF-8, a directory
    /// read error).
    #[error("cannot read {}: {message}", path.display())]
    Unreadable {
        /// The path configured.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A policy source is larger than `max_policy_bytes`.
    #[error("policy {name} is {size} bytes, more than the limit of {limit} bytes")]
    PolicyTooLarge {
        /// The file or source name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The configured limit.
        limit: usize,
    },
    /// A policy does not parse or compile (syntax, unknown function, conflicting rules, …).
    #[error("policy does not compile: {message}")]
    Compile {
        /// The engine's message, with the file and line where it has one.
        message: String,
    },
    /// A data document is not valid JSON or YAML, or does not merge into `data`.
    #[error("data document {name}: {message}")]
    Data {
        /// The file or document name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A setting is out of range (a zero timeout, a zero size limit).
    #[error("invalid policy setting: {0}")]
    InvalidConfig(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::MissingPolicy { .. } | Error::Unreadable { .. } => ErrorCode::Io,
            Error::PolicyTooLarge { .. }
            | Error::Compile { .. }
            | Error::Data { .. }
            | Error::InvalidConfig(_) => ErrorCode::InvalidConfig,
        }
    }
}

/// Why one evaluation produced no result. Both deny.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The query is not a reference into `data` (`data.pkg.rule`, `data.pkg["x"]`).
    #[error("invalid query {query:?}: expected data.<package>.<rule>")]
    InvalidQuery {
        /// The query given.
        query: String,
    },
    /// The evaluation ran past the configured time limit.
    #[error("policy evaluation exceeded the time limit of {}", crate::verdict::human(*limit))]
    Timeout {
        /// The configured limit.
        limit: Duration,
    },
    /// The engine failed: a builtin error, a conflict, a type error.
    #[error("policy evaluation failed: {message}")]
    Engine {
        /// The engine's message.
        message: String,
    },
}

impl EvalError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            EvalError::InvalidQuery { .. } => ErrorCode::BadRequest,
            EvalError::Timeout { .. } | EvalError::Engine { .. } => ErrorCode::Internal,
        }
    }
}
