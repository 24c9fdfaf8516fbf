//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database (and the queue, when this process has one) answer. The policies'
/// and clamd's state are shown in detail; neither makes the process unready (a broken policy
/// change leaves the last good set running; without clamd, files wait or pass as each
/// connector's fail mode says, and the queue keeps the events).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let mut ready = true;
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            ready = false;
            "unreachable"
        }
    };
    let mut checks = json!({"database": database});
    if let Some(queue) = &state.queue {
        checks["queue"] = match queue.stats().await {
            Ok(_) => json!("ok"),
            Err(e) => {
                tracing::warn!(error = %e, "queue not reachable");
                ready = false;
                json!("unreachable")
            }
        };
    }
    if let Some(policies) = &state.policies {
        // A policy change that does not build leaves the last good set running: ready, with
        // the error shown.
        checks["policies"] = match policies.error() {
            None => json!("ok"),
            Some(e) => json!({"error": e}),
        };
    }
    if let Some(antivirus) = &state.settings.antivirus {
        let address = antivirus.clamd.address().to_string();
        checks["antivirus"] = match antivirus.health().await {
            Ok(version) => json!({"status": "ok", "clamd": address, "version": version}),
            Err(error) => {
                tracing::warn!(%error, "clamd not reachable");
                json!({"status": "unreachable", "clamd": address, "error": error})
            }
        };
    }
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    };
    (status, Json(json!({"status": word, "checks": checks})))
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
