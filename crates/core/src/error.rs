//! The stable error codes of Leakwall. Only the server maps them to HTTP or gRPC statuses.

use serde::Serialize;

/// A stable, machine-readable error code. The string form never changes once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A custom detector's pattern does not compile or is unusable.
    InvalidPattern,
    /// A configuration value is missing, malformed or out of range.
    InvalidConfig,
    /// A named validator does not exist.
    UnknownValidator,
    /// A named detector does not exist.
    UnknownDetector,
    /// Reading or writing a file failed.
    Io,
    /// Content could not be scanned (too large, too deep, encrypted, corrupt, ...).
    Unscannable,
    /// A request is malformed: bad JSON, an unknown field, a bad query operator.
    BadRequest,
    /// A field failed validation.
    ValidationFailed,
    /// No credentials, or unknown or disabled ones.
    Unauthorized,
    /// Known caller, but the call or a field of it is not permitted.
    Forbidden,
    /// The item does not exist (or is outside the caller's filters).
    NotFound,
    /// The item already exists.
    Conflict,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The database or another dependency failed.
    Internal,
}

impl ErrorCode {
    /// Every code, for tables and documentation.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidPattern,
        ErrorCode::InvalidConfig,
        ErrorCode::UnknownValidator,
        ErrorCode::UnknownDetector,
        ErrorCode::Io,
        ErrorCode::Unscannable,
        ErrorCode::BadRequest,
        ErrorCode::ValidationFailed,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Internal,
    ];

    /// The stable string form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPattern => "invalid_pattern",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::UnknownValidator => "unknown_validator",
            ErrorCode::UnknownDetector => "unknown_detector",
            ErrorCode::Io => "io_error",
            ErrorCode::Unscannable => "unscannable",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
        }
        assert_eq!(ErrorCode::Io.as_str(), "io_error");
    }
}
