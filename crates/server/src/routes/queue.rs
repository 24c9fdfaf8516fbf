//! The queue in the admin API: counts, dead letters, requeue and drop (access-controlled like
//! every `/api` route, and audited). Dead letters are shown by task name and ids only: their
//! arguments may hold the very secrets Leakwall looks for.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::extract::{Path, State};
use axum::Json;
use leakwall_core::ErrorCode;
use leakwall_queue::{Envelope, Queue};
use serde_json::{json, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::state::AppState;

fn queue(state: &AppState) -> Result<&Arc<dyn Queue>, ApiError> {
    state
        .queue
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "this process has no queue configured"))
}

fn backend(e: leakwall_queue::Error) -> ApiError {
    ApiError::internal(e)
}

/// `GET /api/queue`
pub async fn stats(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let stats = queue(&state)?.stats().await.map_err(backend)?;
    state
        .store
        .record(call.audit("GET", Value::Null, Value::Null), "queue", None)
        .await?;
    Ok(Json(json!({
        "ready": stats.ready, "in_flight": stats.in_flight, "delayed": stats.delayed,
        "dead": stats.dead, "oldest_ready_seconds": stats.oldest_ready.map(|d| d.as_secs_f64()),
    })))
}

/// `GET /api/queue/dead-letters`
pub async fn dead_letters(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let limit = call
        .query
        .iter()
        .find(|(k, _)| k == "limit")
        .map(|(_, v)| v.parse::<usize>().ok().filter(|l| (1..=1000).contains(l)))
        .unwrap_or(Some(100))
        .ok_or_else(|| ApiError::bad_request("limit must be between 1 and 1000"))?;
    let dead = queue(&state)?.dead_letters(limit).await.map_err(backend)?;
    let items: Vec<Value> = dead
        .iter()
        .map(|d| {
            let envelope = Envelope::from_body(&d.body).ok();
            let failed = d
                .failed_at
                .duration_since(UNIX_EPOCH)
                .map(|t| t.as_secs_f64());
            json!({
                "id": d.id,
                "task": envelope.as_ref().map(|e| e.task.clone()),
                "envelope_id": envelope.as_ref().and_then(|e| e.id.clone()),
                "reason": d.reason,
                "receive_count": d.receive_count,
                "failed_at": failed.ok(),
            })
        })
        .collect();
    state
        .store
        .record(call.audit("LIST", Value::Null, Value::Null), "queue", None)
        .await?;
    Ok(Json(json!({"items": items})))
}

/// `POST /api/queue/dead-letters/{id}/requeue`
pub async fn requeue(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    if !queue(&state)?.requeue(&id).await.map_err(backend)? {
        return Err(ApiError::not_found(format!("dead letter `{id}`")));
    }
    let entry = call.audit("REQUEUE", json!({"id": id}), Value::Null);
    state.store.record(entry, "queue", Some(&id)).await?;
    Ok(Json(json!({"id": id, "requeued": true})))
}

/// `DELETE /api/queue/dead-letters/{id}`
pub async fn drop_dead(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    if !queue(&state)?.drop_dead(&id).await.map_err(backend)? {
        return Err(ApiError::not_found(format!("dead letter `{id}`")));
    }
    let entry = call.audit("DELETE", json!({"id": id}), Value::Null);
    state.store.record(entry, "queue", Some(&id)).await?;
    Ok(Json(json!({"id": id, "dropped": true})))
}
