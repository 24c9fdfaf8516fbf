//! The OPA-style data API: `POST /v1/data/{path}` with `{"input": ...}` answers
//! `{"result": ...}`, and `{}` when the rule is undefined; `GET` evaluates without input.
//! Evaluation runs on the blocking pool, under the policies' time limit; the answer carries the
//! `decision_id` of its decision-log entry, as OPA's does when decision logging is on.

use axum::extract::{Path, State};
use axum::Json;
use leakwall_core::ErrorCode;
use serde_json::{json, Value};

use crate::call::{object, Call, JsonBody};
use crate::error::ApiError;
use crate::state::AppState;

/// `data.a.b` from `a/b`; every segment a Rego identifier.
fn query(path: &str) -> Result<String, ApiError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let ok = |s: &&str| {
        s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if segments.is_empty() || !segments.iter().all(ok) {
        return Err(ApiError::bad_request(format!(
            "`{path}` is not a path of Rego identifiers such as dlp/decision"
        )));
    }
    Ok(format!("data.{}", segments.join(".")))
}

async fn evaluate(state: &AppState, path: &str, input: Value) -> Result<Json<Value>, ApiError> {
    let policies = state
        .policies
        .as_ref()
        .filter(|p| p.configured())
        .ok_or_else(|| ApiError::not_found("policies (none are configured)"))?;
    let query = query(path)?;
    let evaluated = policies.eval("data", &query, input).await;
    let mut answer = match evaluated.result {
        Ok(Some(value)) => json!({"result": value}),
        Ok(None) => json!({}),
        Err(reason) => {
            return Err(ApiError::new(
                ErrorCode::Internal,
                format!("policy evaluation failed ({}): {reason}", reason.kind()),
            ))
        }
    };
    if let Some(id) = evaluated.decision_id {
        answer["decision_id"] = Value::String(id);
    }
    Ok(Json(answer))
}

/// `POST /v1/data/{path}`
pub async fn post(
    State(state): State<AppState>,
    Path(path): Path<String>,
    _permitted: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut body = object(body)?;
    if let Some(extra) = body.keys().find(|k| *k != "input") {
        return Err(ApiError::bad_request(format!("unknown field `{extra}`")));
    }
    let input = body.remove("input").unwrap_or(Value::Null);
    evaluate(&state, &path, input).await
}

/// `GET /v1/data/{path}`
pub async fn get(
    State(state): State<AppState>,
    Path(path): Path<String>,
    _permitted: Call,
) -> Result<Json<Value>, ApiError> {
    evaluate(&state, &path, Value::Null).await
}

#[cfg(test)]
mod tests {
    use super::query;

    #[test]
    fn paths_become_data_references() {
        assert_eq!(query("dlp/decision").unwrap(), "data.dlp.decision");
        assert_eq!(query("/proxy/granted/").unwrap(), "data.proxy.granted");
        for bad in ["", "a/b c", "a/../b", "a/1x", "x;y"] {
            assert!(query(bad).is_err(), "{bad}");
        }
    }
}
