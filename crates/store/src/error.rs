//! The store's one error type and its stable codes.

use leakwall_core::ErrorCode;

/// Everything that can go wrong in the store.
///
/// The `Display` of a database error never includes bound values or rows: it names the kind of
/// failure (and the SQLSTATE and constraint where the database gives them), so an error can be
/// logged and returned without leaking what was being written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed or refused a statement.
    #[error("database error: {}", describe(.0))]
    Database(sqlx::Error),
    /// The item already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller's check refused the write; nothing was written.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A field that the resource does not have (or that may not be read or written).
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A value of the wrong type for its field, a missing required field or a malformed operand.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// Stored data that cannot be read back (malformed admin data).
    #[error("malformed stored data: {0}")]
    Corrupt(String),
    /// A migration failed; it was rolled back.
    #[error("migration {version} failed: {message}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// What went wrong.
        message: String,
    },
    /// The database URL has an unsupported scheme.
    #[error("unsupported database URL scheme `{0}`: supported are sqlite:// (or sqlite::memory:) and postgres:// (or postgresql://)")]
    BadUrl(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Rejected(_) => ErrorCode::Forbidden,
            Error::UnknownField(_) | Error::InvalidValue(_) => ErrorCode::BadRequest,
            Error::Database(_) | Error::Corrupt(_) | Error::Migration { .. } | Error::BadUrl(_) => {
                ErrorCode::Internal
            }
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Database(e)
    }
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A description of a sqlx error without any value it may quote.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            // PostgreSQL's data exceptions (SQLSTATE class 22) quote the offending value.
            let mut out = if code.starts_with("22") {
                format!("{:?}", d.kind())
            } else {
                d.message().to_string()
            };
            if !code.is_empty() {
                out.push_str(&format!(" (code {code})"));
            }
            if let Some(constraint) = d.constraint() {
                out.push_str(&format!(" on constraint {constraint}"));
            }
            out
        }
        sqlx::Error::ColumnDecode { index, .. } => format!("cannot decode column {index}"),
        sqlx::Error::Encode(_) => "cannot encode a parameter".to_string(),
        sqlx::Error::Decode(_) => "cannot decode a value".to_string(),
        other => other.to_string(),
    }
}
