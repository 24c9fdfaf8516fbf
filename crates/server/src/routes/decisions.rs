//! The decision log: `GET /api/decisions` (filterable like any resource: `origin`, `allowed`,
//! `query`, `time`, ...; newest first) and `GET /api/decisions/{id}`. Read-only; the rows are
//! written by the policies ([`crate::policy::log`]). Reading it is audited.

use axum::extract::{Path, State};
use axum::Json;
use leakwall_access::{parse_query, Condition, Op};
use leakwall_store::schemas::DECISIONS;
use serde_json::{json, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::routes::resources::{id_value, page, RESERVED};
use crate::state::AppState;

/// `GET /api/decisions`
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let conditions = parse_query(&DECISIONS, &[], &call.query, &RESERVED)?;
    let page = page(&call.query)?;
    let listed = state
        .store
        .list(&DECISIONS, &None, &conditions, &page)
        .await?;
    let entry = call.audit("LIST", Value::Null, Value::Null);
    state.store.record(entry, "decisions", None).await?;
    Ok(Json(json!({"items": listed.items, "next": listed.next})))
}

/// `GET /api/decisions/{id}`: by row id, or by `decision_id` when the id is not a number.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let condition = match id.parse::<i64>() {
        Ok(_) => Condition {
            field: "id".into(),
            op: Op::Eq,
            value: id_value(&DECISIONS, &id)?,
        },
        Err(_) => Condition {
            field: "decision_id".into(),
            op: Op::Eq,
            value: Value::String(id.clone()),
        },
    };
    let listed = state
        .store
        .list(&DECISIONS, &None, &[condition], &page(&[])?)
        .await?;
    let item = listed
        .items
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("decision"))?;
    let entry = call.audit("GET", json!({"id": id}), Value::Null);
    state.store.record(entry, "decisions", Some(&id)).await?;
    Ok(Json(Value::Object(item)))
}
