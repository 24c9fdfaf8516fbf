//! `POST /webhooks/webex`: our org-wide `messages`/`created` webhook (spec §5.4, §5.5).
//!
//! In this order: the body is read up to `webex.max_body_bytes` (413 beyond); the org id is
//! peeked from the raw bytes and that org's installation looked up (unknown org: 401); the
//! `X-Spark-Signature` is verified with the org's webhook secret over the raw bytes (401);
//! then the body is parsed (400 when malformed). A job's files get their first touch at
//! once on this process (see [`super`] for why), the (org, message id) is remembered to drop
//! repeated deliveries, and a `webex_event` task carrying the arrival time is enqueued. The
//! answer never waits for the first touch or for scanning.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use leakwall_connectors::webex::{peek_org, EventParser, Handling, WebexVerifier};
use leakwall_connectors::{Job, JobKind, ParseError, Token, WebhookVerifier};
use leakwall_core::ErrorCode;
use leakwall_queue::worker::Producer;
use leakwall_queue::Envelope;

use super::config::WebexSettings;
use super::tokens::{context, OrgSession};
use crate::error::ApiError;
use crate::state::AppState;

/// The queue task that scans and decides one Webex message.
pub const TASK: &str = "webex_event";
/// The idempotency scope of (org, message id).
pub const DEDUPE_SCOPE: &str = "webex_message";
/// The kwarg with the webhook's arrival, in milliseconds since the Unix epoch.
pub const RECEIVED_MS: &str = "received_ms";

/// `POST /webhooks/webex`
pub async fn deliveries(State(state): State<AppState>, request: Request) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let received = Instant::now();
    let received_ms = unix_millis();
    let webex = configured(state)?;
    let (parts, body) = request.into_parts();
    let limit = webex.config.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        count("too_large");
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body larger than {limit} bytes"),
        )
    })?;
    let (org, access) = verify(state, webex, &parts.headers, &body).await?;
    let handling = EventParser::new(limit).parse(&body).map_err(|e| {
        count("malformed");
        match e {
            ParseError::TooLarge { .. } => ApiError::new(ErrorCode::PayloadTooLarge, e.to_string()),
            ParseError::Malformed(_) => ApiError::bad_request(e.to_string()),
        }
    })?;
    let job = match handling {
        Handling::Ignored(why) => {
            tracing::debug!(%org, ?why, "Webex delivery ignored");
            count("ignored");
            return Ok(ok());
        }
        Handling::Job(job) if job.tenant == org => job,
        Handling::Job(_) => return Err(unauthorized("the delivery names two organizations")),
    };
    first_touch(state, &job, access, received);
    enqueue(state, webex, job, received_ms).await?;
    Ok(ok())
}

fn configured(state: &AppState) -> Result<&WebexSettings, ApiError> {
    state
        .settings
        .webex
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Webex (not configured on this server)"))
}

/// The org of a verified delivery and its access token (for the first touch).
async fn verify(
    state: &AppState,
    webex: &WebexSettings,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Token), ApiError> {
    let org = peek_org(body).ok_or_else(|| unauthorized("no orgId"))?;
    let installed = state
        .store
        .webex_installation(&org)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| unauthorized("an organization that has not installed Leakwall"))?;
    let sealed = installed
        .webhook_secret
        .as_deref()
        .ok_or_else(|| unauthorized("the organization has no webhook secret"))?;
    let secret = webex
        .cipher
        .open(sealed, &context(&org, "webhook"))
        .map_err(ApiError::internal)?;
    WebexVerifier::new(secret)
        .verify(headers, body, SystemTime::now())
        .map_err(|e| {
            tracing::warn!(%org, error = %e, "Webex delivery refused");
            unauthorized(&format!("signature: {e}"))
        })?;
    let access = webex
        .cipher
        .open(&installed.access_token, &context(&org, "access"))
        .map_err(ApiError::internal)?;
    Ok((org, access))
}

/// The fast path: every file of `job` is held (`HEAD` with `dlpUnchecked`) by a task of its
/// own on this process, started before anything else is written. A failure is only logged:
/// the worker's task touches every file again.
fn first_touch(state: &AppState, job: &Job, access: Token, received: Instant) {
    let JobKind::Scan(target) = &job.kind else {
        return;
    };
    for file in &target.files {
        let Some(url) = file.url.clone() else {
            continue;
        };
        let (state, org, access) = (state.clone(), job.tenant.clone(), access.clone());
        tokio::spawn(async move {
            let Some(webex) = state.settings.webex.as_ref() else {
                return;
            };
            let Ok(session) = OrgSession::with_token(&state, webex, &org, access) else {
                return;
            };
            let held = session.call(|c, t| hold(c, t, url.clone())).await;
            let elapsed = received.elapsed().as_secs_f64();
            metrics::histogram!("leakwall_webex_first_touch_seconds").record(elapsed);
            if let Err(e) = held {
                metrics::counter!("leakwall_webex_first_touch_errors_total").increment(1);
                tracing::warn!(%org, error = %e, "Webex first touch failed (the task retries)");
            }
        });
    }
}

async fn hold(
    client: leakwall_connectors::webex::WebexClient,
    token: Token,
    url: String,
) -> Result<(), leakwall_connectors::ApiError> {
    client.hold(&token, &url).await.map(|_| ())
}

/// Drops a repeat of (org, message id), else puts the job on the queue.
async fn enqueue(
    state: &AppState,
    webex: &WebexSettings,
    job: Job,
    received_ms: u64,
) -> Result<(), ApiError> {
    let queue = state.queue.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            "this process has no task queue for Webex events",
        )
    })?;
    let key = format!("{}:{}", job.tenant, job.event_id);
    let first = state
        .store
        .remember(DEDUPE_SCOPE, &key, webex.dedupe_ttl())
        .await
        .map_err(ApiError::internal)?;
    if !first {
        count("duplicate");
        tracing::debug!(org = %job.tenant, "Webex repeated delivery dropped");
        return Ok(());
    }
    let sent = match envelope(&job, received_ms) {
        Ok(envelope) => Producer::new(queue)
            .enqueue(&envelope)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = sent {
        if let Err(forget) = state.store.forget(DEDUPE_SCOPE, &key).await {
            tracing::error!(error = %forget, "forgetting a Webex message id after a failed enqueue");
        }
        return Err(ApiError::internal(format!("enqueueing a Webex event: {e}")));
    }
    count("enqueued");
    Ok(())
}

/// The task envelope of a job: kwargs `{"job": …, "received_ms": …}`.
pub fn envelope(job: &Job, received_ms: u64) -> Result<Envelope, serde_json::Error> {
    Ok(Envelope::new(TASK)
        .kwarg("job", serde_json::to_value(job)?)
        .kwarg(RECEIVED_MS, received_ms.into()))
}

/// Now, in milliseconds since the Unix epoch.
pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn unauthorized(why: &str) -> ApiError {
    count("unauthorized");
    ApiError::new(
        ErrorCode::Unauthorized,
        format!("Webex delivery not verified: {why}"),
    )
}

fn ok() -> Response {
    (StatusCode::OK, Body::empty()).into_response()
}

fn count(result: &'static str) {
    metrics::counter!("leakwall_webex_events_total", "result" => result).increment(1);
}
