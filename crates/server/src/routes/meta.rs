//! The audit log, item histories and the caller's own identity.

use axum::extract::{Path, State};
use axum::Json;
use leakwall_access::{parse_query, Condition, Op};
use leakwall_store::schemas::AUDIT;
use serde_json::{json, Value};

use crate::call::{object, Call, JsonBody};
use crate::error::ApiError;
use crate::routes::resources::{id_value, page, writable, RESERVED};
use crate::state::AppState;

/// The audit log is gated by its permitted endpoints only: grant `/audit` to groups that may
/// see every change, since a record's body shows what was written.
async fn audit_list(
    state: &AppState,
    call: &Call,
    extra: Vec<Condition>,
    params: Value,
) -> Result<Json<Value>, ApiError> {
    let mut conditions = parse_query(&AUDIT, &[], &call.query, &RESERVED)?;
    conditions.extend(extra);
    let page = page(&call.query)?;
    let listed = state.store.list(&AUDIT, &None, &conditions, &page).await?;
    state
        .store
        .record(call.audit("LIST", params, Value::Null), "audit", None)
        .await?;
    Ok(Json(json!({"items": listed.items, "next": listed.next})))
}

/// `GET /api/audit`
pub async fn audit(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    audit_list(&state, &call, Vec::new(), Value::Null).await
}

/// `GET /api/audit/{resource}/{id}`
pub async fn audit_item(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    writable(&resource)?;
    let extra = vec![
        Condition {
            field: "resource".into(),
            op: Op::Eq,
            value: Value::String(resource.clone()),
        },
        Condition {
            field: "item_id".into(),
            op: Op::Eq,
            value: Value::String(id.clone()),
        },
    ];
    audit_list(
        &state,
        &call,
        extra,
        json!({"resource": resource, "id": id}),
    )
    .await
}

/// `GET /api/history/{resource}/{id}`: the item's versions rebuilt from the audit log. An item
/// that exists but is outside the caller's filters has no history for that caller.
pub async fn history(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    let scope = call.caller.access.scope();
    let key = id_value(schema, &id)?;
    if scope.is_some() && state.store.get(schema, scope, &key).await?.is_none() {
        return Err(ApiError::not_found(format!("{resource} `{id}`")));
    }
    let versions = state.store.history(&resource, &id).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("{resource} `{id}`")));
    }
    let mut out = Vec::new();
    for mut v in versions {
        if let Some(item) = v.item.as_mut() {
            call.caller.access.strip(item);
        }
        out.push(serde_json::to_value(v).map_err(ApiError::internal)?);
    }
    let params = json!({"resource": resource, "id": id});
    state
        .store
        .record(call.audit("GET", params, Value::Null), "history", Some(&id))
        .await?;
    Ok(Json(Value::Array(out)))
}

/// `GET /api/user`: who the caller is and what it may do.
pub async fn user(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let access = &call.caller.access;
    let body = json!({
        "user": call.caller.user,
        "identities": call.caller.identities,
        "permitted_endpoints": access.endpoints(),
        "exclude_fields": access.excluded(),
        "filtered": access.scope().is_some(),
    });
    state
        .store
        .record(call.audit("GET", Value::Null, Value::Null), "user", None)
        .await?;
    Ok(Json(body))
}

/// `POST /api/user/has-permission` with `{"method", "path"}`.
pub async fn has_permission(
    State(state): State<AppState>,
    call: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let body = object(body)?;
    let field = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
    };
    let (method, path) = (field("method")?, field("path")?);
    if let Some(extra) = body.keys().find(|k| *k != "method" && *k != "path") {
        return Err(ApiError::bad_request(format!("unknown field `{extra}`")));
    }
    let permitted = call.caller.access.permits(&method, &path);
    let entry = call.audit("GET", Value::Null, Value::Object(body.clone()));
    state.store.record(entry, "user", None).await?;
    Ok(Json(
        json!({"method": method, "path": path, "permitted": permitted}),
    ))
}
