//! The `webex_event` task: one Webex message's files decided and judged, then its text.
//!
//! For every file not yet settled: decide it ([`super::files::decide_file`]) within what is
//! left of `webex.decision_budget_ms` since the webhook arrived (kwarg `received_ms`);
//! otherwise the org's fail mode. Then `PUT ?result=approve|reject` and the record. Then the
//! message text (`GET /v1/messages/{id}`): findings are decided like Slack's, the author is
//! told and, where the org is configured to, the message is deleted; one incident per finding.
//!
//! Errors: a 429 reschedules the same task after `Retry-After`, carrying what is already
//! decided (kwarg `decided`) and done (kwarg `done`), so a verdict is never scanned twice or
//! recorded twice, and never replaced by the fail mode because the wait ate the budget. A 401
//! refreshes the token once ([`super::tokens::OrgSession::call`]). Never a sleep in a worker.

use std::time::Duration;

use leakwall_connectors::webex::{Verdict, WebexConnector};
use leakwall_connectors::{
    Action, ApiError, Connector, FileRef, Job, JobKind, Notice, Outcome, ScanTarget,
};
use leakwall_core::Origin;
use leakwall_engine::ScanReport;
use leakwall_queue::worker::{TaskContext, TaskError, TaskResult};
use serde_json::{Map, Value};

use super::config::WebexSettings;
use super::files::{decide_file, detectors, undecided, Caught, FileDecision, Pause};
use super::record::{self, Place};
use super::tokens::{OrgSession, TokenError};
use super::webhook::{unix_millis, RECEIVED_MS};
use crate::routes::scan::decide;
use crate::state::AppState;

/// The kwarg with decisions reached but whose verdict has not landed yet.
const DECIDED: &str = "decided";
/// The kwarg with the content ids whose verdict landed and was recorded.
const DONE: &str = "done";

/// What one run carries over from the previous ones.
struct Progress {
    decided: Map<String, Value>,
    done: Vec<String>,
}

/// The `webex_event` task.
pub async fn webex_event(state: AppState, ctx: TaskContext) -> TaskResult {
    let kwargs = &ctx.envelope.kwargs;
    let job: Job = kwargs
        .get("job")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| TaskError::fatal("webex_event needs kwargs.job (a Webex job)"))?;
    let webex = state
        .settings
        .webex
        .clone()
        .ok_or_else(|| TaskError::fatal("Webex is not configured on this worker"))?;
    let JobKind::Scan(target) = &job.kind else {
        return Ok(());
    };
    let session = match OrgSession::open(&state, &webex, &job.tenant).await {
        Ok(session) => session,
        Err(TokenError::Store(e)) => return Err(TaskError::retry(e.to_string())),
        Err(e) => return Err(TaskError::fatal(e.to_string())),
    };
    let received_ms = kwargs
        .get(RECEIVED_MS)
        .and_then(Value::as_u64)
        .unwrap_or_else(unix_millis);
    let mut progress = Progress {
        decided: kwargs
            .get(DECIDED)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        done: kwargs
            .get(DONE)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
    };
    let run = Run {
        state: &state,
        webex: &webex,
        session: &session,
        target,
        org: &job.tenant,
        received_ms,
        last_attempt: ctx.attempt >= state.settings.queue.max_attempts,
    };
    match run.all(&mut progress).await {
        Ok(()) => Ok(()),
        Err(Pause::RateLimited(delay)) => {
            let max = webex.config.max_rate_limited;
            let metric = "leakwall_webex_rescheduled_total";
            let delay = delay.max(Duration::from_secs(1));
            crate::tasks::reschedule(&state, &ctx, "Webex", max, metric, delay, |kwargs| {
                kwargs.insert(DECIDED.into(), Value::Object(progress.decided.clone()));
                kwargs.insert(DONE.into(), Value::from(progress.done.clone()));
            })
            .await
        }
        Err(Pause::Retry(error)) => Err(TaskError::retry(error)),
    }
}

struct Run<'a> {
    state: &'a AppState,
    webex: &'a WebexSettings,
    session: &'a OrgSession<'a>,
    target: &'a ScanTarget,
    org: &'a str,
    received_ms: u64,
    last_attempt: bool,
}

impl Run<'_> {
    async fn all(&self, progress: &mut Progress) -> Result<(), Pause> {
        for file in &self.target.files {
            if progress.done.contains(&file.id) {
                continue;
            }
            let decision = match progress
                .decided
                .get(&file.id)
                .and_then(|v| serde_json::from_value::<FileDecision>(v.clone()).ok())
            {
                Some(decision) => decision,
                None => self.decide_in_time(file).await?,
            };
            let value = serde_json::to_value(&decision).unwrap_or(Value::Null);
            progress.decided.insert(file.id.clone(), value);
            let outcome = self.verdict(&decision).await?;
            let place = Place {
                org: self.org,
                target: self.target,
            };
            record::file(self.state, &place, &decision, &outcome)
                .await
                .map_err(|e| Pause::Retry(e.message().to_owned()))?;
            progress.decided.remove(&file.id);
            progress.done.push(file.id.clone());
        }
        if !progress.done.iter().any(|d| d == TEXT_DONE) {
            self.text().await?;
            progress.done.push(TEXT_DONE.into());
        }
        Ok(())
    }

    /// Decides a file within what is left of the budget, else the fail mode.
    async fn decide_in_time(&self, file: &FileRef) -> Result<FileDecision, Pause> {
        let budget = self.webex.config.decision_budget_ms;
        let left = self
            .received_ms
            .saturating_add(budget)
            .saturating_sub(unix_millis());
        let org = self.webex.org(self.org);
        if left == 0 {
            return Ok(undecided(file, org, budget));
        }
        let deciding = decide_file(
            self.state,
            self.webex,
            self.session,
            self.target,
            file,
            self.last_attempt,
        );
        match tokio::time::timeout(Duration::from_millis(left), deciding).await {
            Ok(decided) => decided,
            Err(_) => Ok(undecided(file, org, budget)),
        }
    }

    /// `PUT ?result=`; the outcome as recorded.
    async fn verdict(&self, decision: &FileDecision) -> Result<String, Pause> {
        let verdict = if decision.approve {
            Verdict::Approve
        } else {
            Verdict::Reject
        };
        let url = decision.url.clone();
        let put = self
            .session
            .call(|c, t| {
                let url = url.clone();
                async move { c.verdict(&t, &url, verdict).await }
            })
            .await;
        let done = if decision.approve {
            "approved"
        } else {
            "rejected"
        };
        match put {
            Ok(()) => Ok(done.to_owned()),
            Err(e) => match e.retry_after() {
                Some(delay) => Err(Pause::RateLimited(delay)),
                None if !e.permanent() => Err(Pause::Retry(e.to_string())),
                None => {
                    tracing::warn!(org = self.org, error = %e, "Webex refused a verdict");
                    Ok(format!("{done} but not accepted by Webex: {e}"))
                }
            },
        }
    }

    /// The message text: scanned, decided, acted on and recorded.
    async fn text(&self) -> Result<(), Pause> {
        let Some(id) = self.target.location.message.clone() else {
            return Ok(());
        };
        let message = self
            .session
            .call(|c, t| {
                let id = id.clone();
                async move { c.message(&t, &id).await }
            })
            .await;
        let text = match message {
            Ok(message) => message.text.or(message.markdown),
            Err(ApiError::Status { status: 404, .. }) => None,
            Err(e) => return Err(pause(&e)),
        };
        let Some(text) = text else {
            return Ok(());
        };
        let engine = self.state.detection.engine();
        let bytes = text.as_str().as_bytes().to_vec();
        let report: ScanReport = tokio::task::spawn_blocking(move || {
            engine.scan_bytes(Origin::path("message"), &bytes, None, false)
        })
        .await
        .map_err(|_| Pause::Retry("scan panicked".into()))?;
        if report.findings.is_empty() {
            return Ok(());
        }
        let room = &self.target.location.conversation;
        let decided = decide(self.state, &report, "webex", Some(room)).await;
        let caught: Vec<Caught> = report
            .findings
            .iter()
            .map(|s| Caught {
                detector: s.finding.detector.to_string(),
                category: s.finding.category.as_str().into(),
                confidence: f64::from(s.finding.confidence),
                excerpt: s.finding.masked.clone(),
                location: String::new(),
            })
            .collect();
        let outcome = self.act_on_text(decided.verdict, &caught).await;
        match &outcome {
            Some(Outcome::RateLimited { retry_after_secs }) => {
                return Err(Pause::RateLimited(Duration::from_secs(
                    (*retry_after_secs).max(1),
                )))
            }
            Some(Outcome::Retry { error }) => return Err(Pause::Retry(error.clone())),
            _ => {}
        }
        let place = Place {
            org: self.org,
            target: self.target,
        };
        record::text(
            self.state,
            &place,
            &caught,
            decided.verdict,
            outcome.as_ref(),
        )
        .await
        .map_err(|e| Pause::Retry(e.message().to_owned()))
    }

    /// Block: delete the message where the org wants it and tell the author; warn: tell the
    /// author. The files were judged on their own, so the connector sees none.
    async fn act_on_text(&self, verdict: &str, caught: &[Caught]) -> Option<Outcome> {
        let private = self
            .webex
            .config
            .notice
            .replace("{detectors}", &detectors(caught));
        let notice = Notice {
            public: private.clone(),
            private,
        };
        let action = match verdict {
            "block" => Action::Block { notice },
            "warn" => Action::Warn { notice },
            _ => return None,
        };
        let mut target = self.target.clone();
        target.files.clear();
        let job = Job {
            platform: leakwall_connectors::Platform::Webex,
            tenant: self.org.to_owned(),
            event_id: target.location.message.clone().unwrap_or_default(),
            event_time: 0,
            kind: JobKind::Scan(target),
        };
        let delete = self.webex.org(self.org).delete_messages;
        let connector =
            WebexConnector::new(self.session.client.clone(), self.session.token().await)
                .deleting_messages(delete);
        Some(connector.act(&job, &action).await)
    }
}

/// The marker in `done` once the text was handled.
const TEXT_DONE: &str = "#text";

fn pause(e: &ApiError) -> Pause {
    match e.retry_after() {
        Some(delay) => Pause::RateLimited(delay),
        None => Pause::Retry(e.to_string()),
    }
}
