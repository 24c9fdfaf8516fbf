//! `GET /api/webex/installations`: the organizations that installed Leakwall, read-only, for
//! administrators (behind the same access control as every `/api` route, and audited). Shows
//! the org, the scopes, the token expiries and the webhook's status; never a token or secret.

use axum::extract::State;
use axum::Json;
use leakwall_store::WebexInstallation;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::call::Call;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/webex/installations`
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let installed = state
        .store
        .webex_installations()
        .await
        .map_err(ApiError::internal)?;
    let entry = call.audit("LIST", Value::Null, Value::Null);
    state
        .store
        .record(entry, "webex_installations", None)
        .await?;
    let items: Vec<Value> = installed.iter().map(view).collect();
    Ok(Json(json!({ "items": items })))
}

/// What is safe to show of an installation.
pub fn view(i: &WebexInstallation) -> Value {
    json!({
        "org_id": i.org_id,
        "scopes": i.scopes.split_whitespace().collect::<Vec<_>>(),
        "access_expires_at": rfc3339(i.access_expires_at),
        "refresh_expires_at": i.refresh_expires_at.map(rfc3339),
        "webhook_id": i.webhook_id,
        "webhook_status": i.webhook_status,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    })
}

fn rfc3339(unix: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
}
