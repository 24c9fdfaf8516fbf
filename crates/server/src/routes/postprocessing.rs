//! `POST /v1/postprocessing`: an uploaded file to run through the post-processing steps. The
//! upload is checked, put on the queue as a `postprocess` task and acknowledged with 202; the
//! outcome (`continue` or `delete`, the step and the reason) goes to its `callback`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use leakwall_core::ErrorCode;
use leakwall_queue::worker::Producer;
use leakwall_queue::Envelope;
use serde_json::{json, Value};

use crate::call::{object, Call, JsonBody};
use crate::error::ApiError;
use crate::postprocessing::Upload;
use crate::state::AppState;

/// `POST /v1/postprocessing`
pub async fn post(
    State(state): State<AppState>,
    _permitted: Call,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let kwargs = object(body)?;
    let upload: Upload = serde_json::from_value(Value::Object(kwargs.clone()))
        .map_err(|e| ApiError::bad_request(format!("not an upload: {e}")))?;
    upload.validate().map_err(ApiError::bad_request)?;
    let queue = state.queue.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            "this process has no task queue to post-process with",
        )
    })?;
    let mut envelope = Envelope::new("postprocess");
    envelope.kwargs = kwargs;
    let id = Producer::new(queue)
        .enqueue(&envelope)
        .await
        .map_err(ApiError::internal)?;
    let steps = &state.settings.postprocessing.steps;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"upload_id": upload.upload_id, "task": id, "steps": steps})),
    ))
}
