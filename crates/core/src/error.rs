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
}

impl ErrorCode {
    /// Every code, for tables and documentation.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::InvalidPattern,
        ErrorCode::InvalidConfig,
        ErrorCode::UnknownValidator,
        ErrorCode::UnknownDetector,
        ErrorCode::Io,
        ErrorCode::Unscannable,
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
