//! The errors of this crate, each with its stable [`ErrorCode`].

use leakwall_core::ErrorCode;
use thiserror::Error;

/// The admin data of a caller cannot be turned into an [`crate::Access`].
///
/// Everything but [`AccessError::Disabled`] is a mistake in the admin data: it is reported
/// (and logged by the server), never silently granting or hiding anything.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccessError {
    /// The identifier is disabled; it is treated as unknown.
    #[error("identifier `{0}` is disabled")]
    Disabled(String),
    /// An identifier references a group that does not exist.
    #[error("identifier `{identifier}` references unknown group `{group}`")]
    UnknownGroup {
        /// The identifier's id.
        identifier: String,
        /// The missing group's id.
        group: String,
    },
    /// A permitted endpoint is not a valid regular expression.
    #[error("endpoint `{endpoint}` of `{owner}` is not a valid regular expression: {message}")]
    InvalidEndpoint {
        /// The id of the identifier or group carrying the rule.
        owner: String,
        /// The rule's expression.
        endpoint: String,
        /// Why it does not compile.
        message: String,
    },
    /// A field filter's value is neither a string nor a list of scalars.
    #[error("filter on `{field}` of `{owner}` is invalid: {message}")]
    InvalidFilter {
        /// The id of the identifier or group carrying the filter.
        owner: String,
        /// The filtered field.
        field: String,
        /// What is wrong with the value.
        message: String,
    },
}

impl AccessError {
    /// The stable error code: `Unauthorized` for a disabled identifier, `Internal` for broken
    /// admin data.
    pub fn code(&self) -> ErrorCode {
        match self {
            AccessError::Disabled(_) => ErrorCode::Unauthorized,
            AccessError::UnknownGroup { .. }
            | AccessError::InvalidEndpoint { .. }
            | AccessError::InvalidFilter { .. } => ErrorCode::Internal,
        }
    }
}

/// Why a field of a request is denied to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeniedReason {
    /// The field is excluded for the caller: it may not be written (create or update).
    Excluded,
    /// The caller has `update_fields_permitted` and the field is not in it.
    NotPermitted,
    /// The field is in the caller's `update_fields_restricted`.
    Restricted,
    /// The field is excluded for the caller, so it may not be filtered on either.
    ExcludedFilter,
}

/// A field of a request that the caller may not write (or filter on).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", denied_message(.field, *.reason))]
pub struct Denied {
    /// The offending field.
    pub field: String,
    /// Why it is denied.
    pub reason: DeniedReason,
}

fn denied_message(field: &str, reason: DeniedReason) -> String {
    match reason {
        DeniedReason::Excluded => format!("field `{field}` may not be written by this caller"),
        DeniedReason::NotPermitted | DeniedReason::Restricted => {
            format!("field `{field}` may not be updated by this caller")
        }
        DeniedReason::ExcludedFilter => {
            format!("field `{field}` may not be filtered on by this caller")
        }
    }
}

impl Denied {
    /// Always `Forbidden`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::Forbidden
    }
}

/// A query string (or path filter) that cannot be turned into conditions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// The field does not exist (or is never visible).
    #[error("unknown field `{0}` in the query")]
    UnknownField(String),
    /// The operator after `__` is not one of the known ones.
    #[error("unknown operator `{op}` in `{field}__{op}`; known: in, notin, ne, startswith, contains, notcontains, exists, gt, lt, gte, lte, between")]
    BadOperator {
        /// The field before `__`.
        field: String,
        /// The operator after `__`.
        op: String,
    },
    /// The operator does not apply to the field's type.
    #[error("operator `{op}` cannot be used on `{field}` ({kind})")]
    Unsupported {
        /// The field.
        field: String,
        /// The operator.
        op: String,
        /// The field's type, in words.
        kind: String,
    },
    /// `in`, `notin` or `between` without a usable JSON list.
    #[error("`{field}`: {message}")]
    BadList {
        /// The query parameter (`field__op`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value that does not fit the field's type or the operator.
    #[error("`{field}`: {message}")]
    BadValue {
        /// The query parameter (`field__op`, or `field`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl QueryError {
    /// Always `BadRequest`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadRequest
    }
}

/// A create or update body that fails validation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ValidationError {
    /// The offending field.
    pub field: String,
    /// The user-facing message.
    pub message: String,
}

impl ValidationError {
    /// Always `ValidationFailed`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}
