//! The tasks Leakwall runs on its queue.
//!
//! `scan_text`: kwargs `{"text", "source", "channel"?, "author"?, "message"?}`; scans the text
//! with the current detectors and records one incident per finding, with the verdict of the
//! built-in policy as its action. At-least-once: a task retried after it recorded its
//! incidents records them again; connectors deduplicate events before they enqueue.
//!
//! `postprocess`: kwargs are an [`crate::postprocessing::Upload`]; runs the post-processing
//! steps on it and reports the outcome to its callback.

use std::sync::Arc;

use leakwall_core::Origin;
use leakwall_queue::worker::{Registry, TaskContext, TaskError, TaskResult};
use leakwall_store::{schemas::INCIDENTS, Item};
use serde_json::Value;

use crate::routes::scan::decide;
use crate::state::AppState;

/// Every task of this build, bound to the state it needs.
pub fn registry(state: &AppState) -> Registry {
    let mut registry = Registry::new();
    let s = state.clone();
    registry.register("scan_text", move |ctx| scan_text(s.clone(), ctx));
    let s = state.clone();
    registry.register("postprocess", move |ctx| {
        crate::postprocessing::postprocess(s.clone(), ctx)
    });
    let s = state.clone();
    registry.register(crate::slack::webhook::TASK, move |ctx| {
        crate::slack::task::slack_event(s.clone(), ctx)
    });
    let s = state.clone();
    registry.register(crate::webex::webhook::TASK, move |ctx| {
        crate::webex::task::webex_event(s.clone(), ctx)
    });
    registry
}

fn kwarg(ctx: &TaskContext, key: &str) -> Option<String> {
    ctx.envelope
        .kwargs
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn scan_text(state: AppState, ctx: TaskContext) -> TaskResult {
    let Some(text) = kwarg(&ctx, "text") else {
        return Err(TaskError::fatal("scan_text needs kwargs.text (a string)"));
    };
    let source = kwarg(&ctx, "source").unwrap_or_else(|| "queue".into());
    let engine = state.detection.engine();
    let origin = Origin::path(kwarg(&ctx, "message").unwrap_or_else(|| "message".into()));
    let report = tokio::task::spawn_blocking(move || {
        engine.scan_bytes(origin, text.as_bytes(), None, false)
    })
    .await
    .map_err(|_| TaskError::retry("scan panicked"))?;
    let channel = kwarg(&ctx, "channel");
    let action = decide(&state, &report, &source, channel.as_deref())
        .await
        .verdict;
    for scanned in &report.findings {
        let f = &scanned.finding;
        let mut item = Item::new();
        item.insert("source".into(), Value::String(source.clone()));
        for key in ["channel", "author", "message"] {
            if let Some(v) = kwarg(&ctx, key) {
                item.insert(key.into(), Value::String(v));
            }
        }
        item.insert("detector".into(), Value::String(f.detector.to_string()));
        item.insert("category".into(), Value::String(f.category.as_str().into()));
        item.insert("confidence".into(), Value::from(f64::from(f.confidence)));
        item.insert("excerpt".into(), Value::String(f.masked.clone()));
        item.insert("location".into(), Value::String(f.origin.display()));
        item.insert("action".into(), Value::String(action.into()));
        state
            .store
            .create(&INCIDENTS, item, None)
            .await
            .map_err(|e| TaskError::retry(format!("recording an incident: {e}")))?;
    }
    Ok(())
}

/// The registry as shared by a worker.
pub fn shared_registry(state: &AppState) -> Arc<Registry> {
    Arc::new(registry(state))
}

/// The kwarg counting how often a platform rate-limited a task.
const RATE_LIMITED: &str = "rate_limited";

/// Puts a rate-limited task back on the queue after `delay` (never sleeps in the worker),
/// counting it in the `rate_limited` kwarg and giving up past `max` times; `keep` adds to the
/// kwargs what the task already decided, so the next run does not repeat it. Used by the
/// Slack and Webex tasks; `metric` is the platform's counter of reschedules.
pub(crate) async fn reschedule(
    state: &AppState,
    ctx: &TaskContext,
    platform: &str,
    max: u32,
    metric: &'static str,
    delay: std::time::Duration,
    keep: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> TaskResult {
    let times = ctx
        .envelope
        .kwargs
        .get(RATE_LIMITED)
        .and_then(Value::as_u64)
        .unwrap_or(0)
        + 1;
    if times > u64::from(max) {
        return Err(TaskError::fatal(format!(
            "{platform} rate-limited this task {times} times; giving up"
        )));
    }
    let queue = state
        .queue
        .clone()
        .ok_or_else(|| TaskError::retry("rate limited and no queue to reschedule on"))?;
    let mut envelope = ctx.envelope.clone();
    envelope
        .kwargs
        .insert(RATE_LIMITED.into(), Value::from(times));
    keep(&mut envelope.kwargs);
    envelope.not_before = None;
    leakwall_queue::worker::Producer::new(queue)
        .enqueue_after(&envelope, delay)
        .await
        .map_err(|e| TaskError::retry(format!("rescheduling after a rate limit: {e}")))?;
    metrics::counter!(metric).increment(1);
    tracing::info!(
        delay_s = delay.as_secs(),
        times,
        "{platform} rate limit: task rescheduled"
    );
    Ok(())
}
