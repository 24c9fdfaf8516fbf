//! API errors: a stable code, an HTTP status and a message, as JSON
//! `{"error": {"code", "message"}}`. The one place codes become statuses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use leakwall_core::ErrorCode;
use serde_json::json;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong, for a person; never a secret.
    pub message: String,
}

/// The HTTP status of each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest | ErrorCode::InvalidConfig | ErrorCode::ValidationFailed => {
            StatusCode::BAD_REQUEST
        }
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound | ErrorCode::UnknownDetector => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::InvalidPattern | ErrorCode::UnknownValidator => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unscannable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Io | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    /// 404 for an item that does not exist for this caller.
    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// 500: the cause is logged, the client sees only that it failed.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(ErrorCode::Internal, "internal error; see the server log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        (status_of(self.code), Json(body)).into_response()
    }
}

impl From<leakwall_store::Error> for ApiError {
    fn from(e: leakwall_store::Error) -> ApiError {
        match e.code() {
            ErrorCode::Internal => ApiError::internal(e),
            code => ApiError::new(code, e.to_string()),
        }
    }
}

impl From<leakwall_access::QueryError> for ApiError {
    fn from(e: leakwall_access::QueryError) -> ApiError {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<leakwall_access::ValidationError> for ApiError {
    fn from(e: leakwall_access::ValidationError) -> ApiError {
        ApiError::new(ErrorCode::ValidationFailed, e.to_string())
    }
}

impl From<leakwall_access::Denied> for ApiError {
    fn from(e: leakwall_access::Denied) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, e.to_string())
    }
}
