//! Sharing rules over HTTP: `POST /v1/sharing/evaluate` (a decision for a file-sharing system
//! that asks before it applies a share) and `GET`/`PATCH /api/sharing/settings` (the admin
//! data, audited, used at once).
//!
//! Malformed input answers the API's error body with one more field, `kind`, the stable name
//! of what is wrong (`unknown_flag`, `invalid_address`, `invalid_internal_pattern`, …; see
//! `SharingError::kind`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use leakwall_policy::sharing::{ShareRequest, SharingConfig, SharingError};
use serde_json::{json, Value};

use crate::call::{Call, JsonBody};
use crate::error::{status_of, ApiError};
use crate::sharing::{self, settings, SharingFailure};
use crate::state::AppState;

impl IntoResponse for SharingFailure {
    fn into_response(self) -> Response {
        match self {
            SharingFailure::Invalid(e) => {
                let body = json!({"error": {"code": e.code().as_str(), "message": e.to_string(),
                    "kind": e.kind()}});
                (status_of(e.code()), Json(body)).into_response()
            }
            SharingFailure::Internal(message) => ApiError::internal(message).into_response(),
        }
    }
}

/// `POST /v1/sharing/evaluate`: a [`ShareRequest`] in, a `SharingDecision` out.
pub async fn evaluate(
    State(state): State<AppState>,
    _permitted: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, SharingFailure> {
    let request = ShareRequest::from_json(body).map_err(SharingFailure::Invalid)?;
    let decision = state.sharing.evaluate(request, "http").await?;
    Ok(Json(json!(decision)))
}

/// `GET /api/sharing/settings`
pub async fn get_settings(
    State(state): State<AppState>,
    _permitted: Call,
) -> Result<Json<Value>, SharingFailure> {
    let row = settings::load(state.sharing.store())
        .await
        .map_err(|e| SharingFailure::Internal(e.to_string()))?;
    let config = state.sharing.config().await?;
    let mut view = json!(config);
    view["updated_at"] = row
        .and_then(|r| r.get("updated_at").cloned())
        .unwrap_or(Value::Null);
    Ok(Json(view))
}

/// `PATCH /api/sharing/settings`: the fields given replace the current ones; refused
/// (nothing written) unless the result builds: enabling needs a valid pattern, addresses must
/// be valid, custom rules must compile.
pub async fn patch_settings(
    State(state): State<AppState>,
    call: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, SharingFailure> {
    let malformed = |message: String| SharingFailure::Invalid(SharingError::Malformed(message));
    let Value::Object(changes) = body.clone() else {
        return Err(malformed("the body must be a JSON object".into()));
    };
    let mut merged = json!(state.sharing.config().await?);
    for (key, value) in changes {
        merged[key] = value;
    }
    let config: SharingConfig =
        serde_json::from_value(merged).map_err(|e| malformed(e.to_string()))?;
    sharing::build(config.clone())
        .await
        .map_err(SharingFailure::Invalid)?;
    let audit = call.audit("UPDATE", json!({}), body);
    settings::save(state.sharing.store(), &config, audit)
        .await
        .map_err(|e| SharingFailure::Internal(e.to_string()))?;
    state.sharing.reload().await?;
    get_settings(State(state), call).await
}
