//! `POST /webhooks/slack/events`: Slack's Events API Request URL (spec §1).
//!
//! In this order, before anything is parsed or stored: the body is read up to
//! `slack.max_body_bytes` (413 beyond), the v0 signature and the 5-minute replay window are
//! checked over the raw bytes (401), then the body is parsed (400 when malformed). The
//! `url_verification` challenge is answered; `app_rate_limited` is logged and counted; a job is
//! dropped when its (team, event id) was seen (Slack's retries), otherwise put on the queue as a
//! `slack_event` task. The answer never waits for scanning. Refusals carry
//! `X-Slack-No-Retry: 1`: a retry of the same bytes would be refused again.

use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leakwall_connectors::slack::{Delivery, EventParser, Handling};
use leakwall_connectors::{Job, ParseError, WebhookVerifier};
use leakwall_core::ErrorCode;
use leakwall_queue::Envelope;
use serde_json::json;

use super::config::SlackSettings;
use super::ingest::Ingested;
use crate::error::ApiError;
use crate::state::AppState;

/// The queue task that scans and acts on one Slack job.
pub const TASK: &str = "slack_event";
/// The idempotency scope of Slack event ids.
pub const DEDUPE_SCOPE: &str = "slack_event";

/// `POST /webhooks/slack/events`
pub async fn events(State(state): State<AppState>, request: Request) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(e) => refused(e),
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let slack = configured(state)?;
    let (parts, body) = request.into_parts();
    let limit = slack.config.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        count("too_large");
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body larger than {limit} bytes"),
        )
    })?;
    verify(slack, &parts.headers, &body)?;
    let delivery = EventParser::new(limit).parse(&body).map_err(|e| {
        count("malformed");
        match e {
            ParseError::TooLarge { .. } => ApiError::new(ErrorCode::PayloadTooLarge, e.to_string()),
            ParseError::Malformed(_) => ApiError::bad_request(e.to_string()),
        }
    })?;
    match delivery {
        Delivery::UrlVerification { challenge } => {
            count("url_verification");
            Ok(Json(json!({ "challenge": challenge })).into_response())
        }
        Delivery::AppRateLimited {
            team_id,
            api_app_id,
            minute_rate_limited,
        } => {
            tracing::warn!(
                team = %team_id, app = %api_app_id, minute = minute_rate_limited,
                "Slack rate-limited this app's events (more than 30,000 an hour): events are \
                 being dropped by Slack"
            );
            metrics::counter!("leakwall_slack_app_rate_limited_total", "team" => team_id)
                .increment(1);
            Ok(ok())
        }
        Delivery::Unsupported { kind } => {
            tracing::debug!(kind, "Slack delivery of another type ignored");
            count("unsupported");
            Ok(ok())
        }
        Delivery::Callback(callback) => match callback.handling {
            Handling::Ignored(why) => {
                tracing::debug!(team = %callback.team_id, event = %callback.event_id, ?why,
                    "Slack event ignored");
                count("ignored");
                Ok(ok())
            }
            Handling::Job(job) => enqueue(state, slack, job).await,
        },
    }
}

fn configured(state: &AppState) -> Result<&SlackSettings, ApiError> {
    state
        .settings
        .slack
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Slack (not configured on this server)"))
}

fn verify(slack: &SlackSettings, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    slack
        .verifier
        .verify(headers, body, SystemTime::now())
        .map_err(|e| {
            count("unauthorized");
            tracing::warn!(error = %e, "Slack delivery refused");
            ApiError::new(e.code(), format!("Slack request not verified: {e}"))
        })
}

/// Drops a repeat of (team, event id), else puts the job on the queue (in a group with the
/// jobs of concurrent requests, see [`super::ingest`]).
async fn enqueue(state: &AppState, slack: &SlackSettings, job: Job) -> Result<Response, ApiError> {
    if state.queue.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this process has no task queue for Slack events",
        ));
    }
    let (team, event) = (job.tenant.clone(), job.event_id.clone());
    match slack.ingest(state).submit(job).await {
        Ok(Ingested::Enqueued) => count("enqueued"),
        Ok(Ingested::Duplicate) => {
            count("duplicate");
            tracing::debug!(%team, %event, "Slack retry dropped");
        }
        Err(e) => return Err(ApiError::internal(e)),
    }
    Ok(ok())
}

/// The task envelope of a job: kwargs `{"job": …}`.
pub fn envelope(job: &Job) -> Result<Envelope, serde_json::Error> {
    Ok(Envelope::new(TASK).kwarg("job", serde_json::to_value(job)?))
}

fn ok() -> Response {
    (StatusCode::OK, Body::empty()).into_response()
}

fn count(result: &'static str) {
    metrics::counter!("leakwall_slack_events_total", "result" => result).increment(1);
}

/// A refusal Slack should not retry (the same bytes would be refused again); a 5xx may be.
fn refused(error: ApiError) -> Response {
    let retry = crate::error::status_of(error.code).is_server_error();
    let mut response = error.into_response();
    if !retry {
        response
            .headers_mut()
            .insert("x-slack-no-retry", HeaderValue::from_static("1"));
    }
    response
}
