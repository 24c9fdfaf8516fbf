//! The `slack_event` task: one Slack [`Job`] scanned, decided, acted on and recorded.
//!
//! Scan jobs: the workspace's tokens (configured by hand, or the stored installation), the
//! message text and every file (fetched through the connector under `slack.max_file_bytes`;
//! a file that cannot be fetched or is too large is `unscannable`; files go through the
//! scanner chain, DLP and the antivirus, whose `closed` fail mode retries the task while clamd
//! is down and makes the file `unscannable` on the last attempt), one decision on all of it
//! (`routes::scan::decide`: the policies, or the built-in default), then the connector carries
//! out block or warn, and one incident per finding records what was found and the outcome.
//! Close jobs (`message_deleted`) resolve the open incidents of that message.
//!
//! Errors: a 429 reschedules the same task after `Retry-After` (kwarg `rate_limited` counts
//! them; never a sleep in the worker); a transient error is a retry of the task; a permanent
//! one (`cant_delete_message`, `message_not_found`, …) is recorded on the incidents as the
//! outcome and the task ends.

use std::sync::Arc;
use std::time::Duration;

use leakwall_connectors::slack::{SlackClient, SlackConnector};
use leakwall_connectors::{
    Action, ApiError, Connector, FileRef, Job, JobKind, Location, Notice, Outcome, ScanTarget,
    Token,
};
use leakwall_core::{Category, Finding, Origin};
use leakwall_engine::{ScanReport, Scanned, UNSCANNABLE};
use leakwall_queue::worker::{TaskContext, TaskError, TaskResult};
use leakwall_store::{schemas::INCIDENTS, Condition, Item, Op, Page};
use serde_json::Value;

use super::config::SlackSettings;
use super::tokens::{tokens_for, LookupError};
use crate::antivirus::{self, chain};
use crate::routes::scan::decide;
use crate::state::AppState;

/// The idempotency scope of files being scanned (one job per file, whichever event came first).
const FILE_SCOPE: &str = "slack_file";

/// One workspace's connector, and the client and bot token to look files up by id.
struct Workspace {
    connector: SlackConnector,
    client: SlackClient,
    bot: Token,
}

impl Workspace {
    /// `file` with its name and download address: a `file_shared` event names only the id,
    /// so `files.info` fills them in (the connector would look it up anyway, nameless).
    async fn described(&self, file: &FileRef) -> Result<FileRef, ApiError> {
        if file.url.is_some() {
            return Ok(file.clone());
        }
        let info = self.client.files_info(&self.bot, &file.id).await?;
        Ok(FileRef {
            id: file.id.clone(),
            name: info.name.or_else(|| file.name.clone()),
            mimetype: info.mimetype,
            size: info.size,
            url: info.url_private_download,
        })
    }
}

/// Why the task must run again.
enum Pause {
    RateLimited(Duration),
    Retry(String),
}

/// What was scanned: findings of the text and of each file (with the file's name).
struct Scan {
    findings: Vec<(Option<String>, Scanned)>,
}

/// The `slack_event` task.
pub async fn slack_event(state: AppState, ctx: TaskContext) -> TaskResult {
    let job: Job = ctx
        .envelope
        .kwargs
        .get("job")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| TaskError::fatal("slack_event needs kwargs.job (a Slack job)"))?;
    let slack = state
        .settings
        .slack
        .clone()
        .ok_or_else(|| TaskError::fatal("Slack is not configured on this worker"))?;
    match &job.kind {
        JobKind::Close(location) => close(&state, location).await,
        JobKind::Scan(target) => scan_job(&state, &slack, &ctx, &job, target).await,
    }
}

async fn scan_job(
    state: &AppState,
    slack: &SlackSettings,
    ctx: &TaskContext,
    job: &Job,
    target: &ScanTarget,
) -> TaskResult {
    let tokens = match tokens_for(state, slack, &job.tenant).await {
        Ok(Some(tokens)) => tokens,
        Ok(None) => {
            return Err(TaskError::fatal(format!(
                "no Slack installation for team {}",
                job.tenant
            )))
        }
        Err(LookupError::Store(e)) => return Err(TaskError::retry(e.to_string())),
        Err(e @ LookupError::Seal(_)) => return Err(TaskError::fatal(e.to_string())),
    };
    let client = slack
        .client()
        .map_err(|e| TaskError::fatal(e.to_string()))?;
    let workspace = Workspace {
        bot: tokens.bot.clone(),
        connector: SlackConnector::new(client.clone(), tokens),
        client,
    };
    let mut claimed = Vec::new();
    let last_attempt = ctx.attempt >= state.settings.queue.max_attempts;
    let scanning = Scanning {
        workspace: &workspace,
        claimed: &mut claimed,
        last_attempt,
    };
    let again = match handle(state, slack, scanning, job, target).await {
        Ok(()) => return Ok(()),
        Err(again) => again,
    };
    // Not finished: the files this run claimed are scanned again by the next one.
    for key in &claimed {
        if let Err(e) = state.store.forget(FILE_SCOPE, key).await {
            tracing::warn!(error = %e, "releasing a claimed Slack file");
        }
    }
    match again {
        Pause::RateLimited(delay) => {
            let max = slack.config.max_rate_limited;
            let metric = "leakwall_slack_rescheduled_total";
            crate::tasks::reschedule(state, ctx, "Slack", max, metric, delay, |_| {}).await
        }
        Pause::Retry(error) => Err(TaskError::retry(error)),
    }
}

/// What one run of a scan job works with: the workspace, the files it claimed (released when
/// it must run again) and whether the queue will run it again.
struct Scanning<'a> {
    workspace: &'a Workspace,
    claimed: &'a mut Vec<String>,
    last_attempt: bool,
}

/// Scans, decides, acts and records; `Err` when the task must run again.
async fn handle(
    state: &AppState,
    slack: &SlackSettings,
    scanning: Scanning<'_>,
    job: &Job,
    target: &ScanTarget,
) -> Result<(), Pause> {
    let workspace = scanning.workspace;
    let scan = scan(state, slack, scanning, job, target).await?;
    if scan.findings.is_empty() {
        return Ok(());
    }
    let report = ScanReport {
        findings: scan.findings.iter().map(|(_, s)| s.clone()).collect(),
        bytes: 0,
    };
    let conversation = &target.location.conversation;
    let decided = decide(state, &report, "slack", Some(conversation)).await;
    let action = action_for(slack, decided.verdict, target, &report);
    let outcome = match &action {
        Some(action) => Some(workspace.connector.act(job, action).await),
        None => None,
    };
    match &outcome {
        Some(Outcome::RateLimited { retry_after_secs }) => Err(Pause::RateLimited(
            Duration::from_secs((*retry_after_secs).max(1)),
        )),
        Some(Outcome::Retry { error }) => Err(Pause::Retry(error.clone())),
        _ => record(state, target, &scan, decided.verdict, outcome.as_ref())
            .await
            .map_err(|e| Pause::Retry(e.message().to_owned())),
    }
}

/// Scans the text and every file not already claimed by another job: Slack announces a file
/// shared with a message twice (`file_shared` and the `file_share` message), and the file is
/// scanned and acted on once. Files go through the scanner chain (DLP and the antivirus).
async fn scan(
    state: &AppState,
    slack: &SlackSettings,
    scanning: Scanning<'_>,
    job: &Job,
    target: &ScanTarget,
) -> Result<Scan, Pause> {
    let Scanning {
        workspace,
        claimed,
        last_attempt,
    } = scanning;
    let mut findings = Vec::new();
    if let Some(text) = &target.text {
        let text = text.as_str().as_bytes().to_vec();
        let report = scan_bytes(state, "message".into(), text).await?;
        findings.extend(report.findings.into_iter().map(|s| (None, s)));
    }
    for file in &target.files {
        let key = format!("{}:{}", job.tenant, file.id);
        let first = state
            .store
            .remember(FILE_SCOPE, &key, slack.dedupe_ttl())
            .await
            .map_err(|e| Pause::Retry(format!("claiming a file: {e}")))?;
        if !first {
            tracing::debug!(file = %file.id, "Slack file already handled by another event");
            continue;
        }
        claimed.push(key);
        let limit = slack.config.max_file_bytes;
        let (name, fetched) = match workspace.described(file).await {
            Ok(file) => {
                let name = file.name.clone().unwrap_or_else(|| file.id.clone());
                (name, workspace.connector.fetch(&file, limit).await)
            }
            Err(e) => (file.id.clone(), Err(e)),
        };
        let report = match fetched {
            Ok(bytes) => chain::scan_file(
                state,
                antivirus::Connector::Slack,
                &name,
                bytes,
                last_attempt,
            )
            .await
            .map_err(|e| Pause::Retry(e.0))?,
            Err(e) => unfetched(file, &name, &e)?,
        };
        findings.extend(report.findings.into_iter().map(|s| (Some(name.clone()), s)));
    }
    Ok(Scan { findings })
}

async fn scan_bytes(state: &AppState, name: String, bytes: Vec<u8>) -> Result<ScanReport, Pause> {
    let engine = state.detection.engine();
    tokio::task::spawn_blocking(move || engine.scan_bytes(Origin::path(name), &bytes, None, false))
        .await
        .map_err(|_| Pause::Retry("scan panicked".into()))
}

/// A file that could not be fetched: wait or retry for transient errors; nothing for a file
/// already gone; otherwise an `unscannable` finding (never passed as clean).
fn unfetched(file: &FileRef, name: &str, e: &ApiError) -> Result<ScanReport, Pause> {
    if let Some(delay) = e.retry_after() {
        return Err(Pause::RateLimited(delay));
    }
    if !e.permanent() {
        return Err(Pause::Retry(e.to_string()));
    }
    let mut report = ScanReport::default();
    if matches!(e.api_error(), Some("file_not_found" | "file_deleted")) {
        tracing::info!(file = %file.id, "Slack file gone before it was scanned");
        return Ok(report);
    }
    report.add(Scanned {
        finding: Finding {
            detector: Arc::from(UNSCANNABLE),
            category: Category::Content,
            confidence: 1.0,
            origin: Arc::new(Origin::path(name)),
            start: 0,
            end: 0,
            line: 0,
            masked: format!("not scanned: {e}"),
        },
        secret: None,
    });
    Ok(report)
}

/// The connector's action for a verdict: block and warn with their notices, nothing to allow.
fn action_for(
    slack: &SlackSettings,
    verdict: &str,
    target: &ScanTarget,
    report: &ScanReport,
) -> Option<Action> {
    let mut detectors: Vec<&str> = Vec::new();
    for s in &report.findings {
        if !detectors.contains(&&*s.finding.detector) {
            detectors.push(&s.finding.detector);
        }
    }
    let fill = |template: &str| fill(template, target, &detectors.join(", "));
    let config = &slack.config;
    match verdict {
        "block" => Some(Action::Block {
            notice: Notice {
                public: fill(&config.notice),
                private: fill(&config.private_notice),
            },
        }),
        "warn" => Some(Action::Warn {
            notice: Notice {
                public: fill(&config.warn_notice),
                private: fill(&config.warn_notice),
            },
        }),
        _ => None,
    }
}

/// A notice template with `{user}`, `{channel}` and `{detectors}` filled in.
pub fn fill(template: &str, target: &ScanTarget, detectors: &str) -> String {
    let user = match (&target.author.user, &target.author.bot) {
        (Some(user), _) => format!("<@{user}>"),
        (None, Some(bot)) => format!("app {bot}"),
        (None, None) => "someone".into(),
    };
    let channel = format!("<#{}>", target.location.conversation);
    template
        .replace("{user}", &user)
        .replace("{channel}", &channel)
        .replace("{detectors}", detectors)
}

/// The outcome as recorded on the incident.
fn describe(outcome: Option<&Outcome>) -> String {
    match outcome {
        None => "none: allowed".into(),
        Some(Outcome::Done { removed, notified }) => match (removed, notified) {
            (true, true) => "removed; notice posted".into(),
            (true, false) => "removed; the notice could not be posted".into(),
            (false, true) => "notice posted".into(),
            (false, false) => "nothing done".into(),
        },
        Some(Outcome::NotifiedOnly { reason }) => {
            format!("leak stayed visible: not removed ({reason}); notices posted")
        }
        Some(Outcome::Failed { error }) => format!("failed: {error}"),
        Some(Outcome::RateLimited { retry_after_secs }) => {
            format!("rate limited (retry after {retry_after_secs} s)")
        }
        Some(Outcome::Retry { error }) => format!("failed: {error}"),
    }
}

/// One incident per finding. When the message was removed the leak is gone, so the
/// incidents are recorded resolved (the `message_deleted` our own deletion causes may arrive
/// before they are written).
async fn record(
    state: &AppState,
    target: &ScanTarget,
    scan: &Scan,
    verdict: &str,
    outcome: Option<&Outcome>,
) -> TaskResult {
    let removed = matches!(outcome, Some(Outcome::Done { removed: true, .. }));
    let described = describe(outcome);
    let location = &target.location;
    let author = target.author.user.clone().or(target.author.bot.clone());
    for (file, scanned) in &scan.findings {
        let f = &scanned.finding;
        let mut item = Item::new();
        let mut put = |key: &str, value: Value| {
            item.insert(key.into(), value);
        };
        put("source", "slack".into());
        put("channel", location.conversation.clone().into());
        put("author", author.clone().into());
        put("message", location.message.clone().into());
        put("file", file.clone().into());
        put("location", f.origin.display().into());
        put("excerpt", f.masked.clone().into());
        put("detector", f.detector.to_string().into());
        put("category", f.category.as_str().into());
        put("confidence", Value::from(f64::from(f.confidence)));
        put("action", verdict.into());
        put("outcome", described.clone().into());
        put("status", if removed { "resolved" } else { "open" }.into());
        state
            .store
            .create(&INCIDENTS, item, None)
            .await
            .map_err(|e| TaskError::retry(format!("recording an incident: {e}")))?;
    }
    metrics::counter!("leakwall_slack_incidents_total", "action" => verdict.to_owned())
        .increment(scan.findings.len() as u64);
    Ok(())
}

/// `message_deleted`: the open incidents of that message become `resolved`.
async fn close(state: &AppState, location: &Location) -> TaskResult {
    let Some(ts) = &location.message else {
        return Ok(());
    };
    let eq = |field: &str, value: &str| Condition {
        field: field.into(),
        op: Op::Eq,
        value: value.into(),
    };
    let conditions = [
        eq("source", "slack"),
        eq("channel", &location.conversation),
        eq("message", ts),
        eq("status", "open"),
    ];
    let page = Page {
        limit: 1000,
        ..Page::default()
    };
    let retry = |e: leakwall_store::Error| TaskError::retry(format!("closing incidents: {e}"));
    let open = state
        .store
        .list(&INCIDENTS, &None, &conditions, &page)
        .await
        .map_err(retry)?;
    for incident in &open.items {
        let Some(id) = incident.get("id") else {
            continue;
        };
        let before = incident.get("outcome").and_then(Value::as_str);
        let outcome = match before {
            Some(before) => format!("{before}; message deleted"),
            None => "message deleted".into(),
        };
        let mut patch = Item::new();
        patch.insert("status".into(), "resolved".into());
        patch.insert("outcome".into(), outcome.into());
        state
            .store
            .update(&INCIDENTS, &None, id, patch, &|_| Ok(()), None)
            .await
            .map_err(retry)?;
    }
    tracing::info!(
        closed = open.items.len(),
        "Slack message deleted: incidents resolved"
    );
    Ok(())
}
