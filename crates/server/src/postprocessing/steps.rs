//! The post-processing steps: one interface, [`Step::run`], over the shared [`Work`] of one
//! upload (the downloaded file is fetched once, by the first step that needs it).

use std::fs::File;

use anyhow::bail;
use leakwall_core::Origin;
use leakwall_engine::ScanReport;
use leakwall_policy::Verdict;
use leakwall_queue::worker::TaskError;
use leakwall_store::{schemas::INCIDENTS, Item};
use serde_json::Value;

use super::download::{self, Downloaded};
use super::Upload;
use crate::antivirus;
use crate::routes::scan::decide;
use crate::state::AppState;

/// What a step says about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Go on with the next step (the upload is kept when every step continues).
    Continue,
    /// Discard the upload, and why.
    Delete {
        /// Why, for the uploader and the incident.
        reason: String,
    },
}

/// One step of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Evaluate `postprocessing.query` on the stage-`pp` input.
    Policies,
    /// Scan the content with the extraction and detection engine, and decide with the DLP
    /// decision policy (or the built-in default).
    Dlp,
    /// Scan the content with clamd (`antivirus.clamd`), and decide on its `malware` findings
    /// with the same decision policy.
    Virusscan,
}

/// What the steps of one upload share.
pub struct Work<'a> {
    state: &'a AppState,
    upload: &'a Upload,
    file: Option<Downloaded>,
    last_attempt: bool,
}

impl<'a> Work<'a> {
    /// The work on `upload`; `last_attempt` when the task will not run again (a step that
    /// would wait must decide now).
    pub fn new(state: &'a AppState, upload: &'a Upload, last_attempt: bool) -> Work<'a> {
        Work {
            state,
            upload,
            file: None,
            last_attempt,
        }
    }

    /// The downloaded file (fetched once, by the first step that needs it), or the outcome
    /// when it cannot be had; `Err` when the download may work later.
    async fn file(&mut self) -> Result<Result<File, Outcome>, TaskError> {
        let settings = &self.state.settings.postprocessing;
        if self.file.is_none() {
            let fetched = download::to_file(
                &self.upload.resource.url,
                settings.max_file_bytes,
                settings.download_timeout(),
            )
            .await;
            self.file = Some(match fetched {
                Ok(file) => file,
                Err(e) if e.is_transient() => return Err(TaskError::retry(e.to_string())),
                Err(e) => {
                    return Ok(Err(Outcome::Delete {
                        reason: format!("unscannable: {e}"),
                    }))
                }
            });
        }
        let Some(Downloaded::File(file)) = &self.file else {
            return Ok(Err(Outcome::Delete {
                reason: format!(
                    "unscannable: larger than postprocessing.max_file_bytes ({})",
                    settings.max_file_bytes
                ),
            }));
        };
        let file = file
            .try_clone()
            .map_err(|e| TaskError::retry(e.to_string()))?;
        Ok(Ok(file))
    }
}

impl Step {
    /// A step by its configured name.
    pub fn parse(name: &str) -> anyhow::Result<Step> {
        match name {
            "policies" => Ok(Step::Policies),
            "dlp" => Ok(Step::Dlp),
            "virusscan" => Ok(Step::Virusscan),
            other => bail!(
                "postprocessing.steps: unknown step `{other}` (known: policies, dlp, virusscan)"
            ),
        }
    }

    /// The configured name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Policies => "policies",
            Step::Dlp => "dlp",
            Step::Virusscan => "virusscan",
        }
    }

    /// Runs the step; `Err` only for failures worth retrying (a download that may work later).
    pub async fn run(self, work: &mut Work<'_>) -> Result<Outcome, TaskError> {
        match self {
            Step::Policies => Ok(policies(work).await),
            Step::Dlp => dlp(work).await,
            Step::Virusscan => virusscan(work).await,
        }
    }
}

/// oCIS's `policies` step: empty query → continue; false, undefined or an error → delete.
async fn policies(work: &Work<'_>) -> Outcome {
    let query = &work.state.settings.postprocessing.query;
    let Some(policies) = work.state.policies.as_ref().filter(|_| !query.is_empty()) else {
        return Outcome::Continue;
    };
    let input = work.upload.policy_input();
    match policies.allow("postprocessing", query, input).await {
        Verdict::Allow => Outcome::Continue,
        Verdict::Deny(reason) => Outcome::Delete {
            reason: format!("denied by policy {query} ({}: {reason})", reason.kind()),
        },
    }
}

async fn dlp(work: &mut Work<'_>) -> Result<Outcome, TaskError> {
    let file = match work.file().await? {
        Ok(file) => file,
        Err(outcome) => return Ok(outcome),
    };
    let report = scan(work.state, &work.upload.resource.name, file).await?;
    decide_and_record(work, &report, "DLP").await
}

/// clamd on the downloaded file; its `malware` findings decided like the DLP step's.
async fn virusscan(work: &mut Work<'_>) -> Result<Outcome, TaskError> {
    let file = match work.file().await? {
        Ok(file) => file,
        Err(outcome) => return Ok(outcome),
    };
    let origin = Origin::path(&work.upload.resource.name);
    let body = antivirus::Body::File(file);
    let connector = antivirus::Connector::Postprocessing;
    let findings = antivirus::scan(work.state, connector, &origin, body, work.last_attempt)
        .await
        .map_err(|e| TaskError::retry(e.0))?;
    let report = ScanReport { findings, bytes: 0 };
    decide_and_record(work, &report, "the antivirus").await
}

/// The decision policy on a step's findings: a block deletes the upload and records them.
async fn decide_and_record(
    work: &Work<'_>,
    report: &ScanReport,
    by: &str,
) -> Result<Outcome, TaskError> {
    let decided = decide(work.state, report, "postprocessing", None).await;
    if decided.verdict != "block" {
        return Ok(Outcome::Continue);
    }
    record(work.state, work.upload, report, decided.verdict).await?;
    Ok(Outcome::Delete {
        reason: format!("blocked by {by}: {}", decided.reasons.join(", ")),
    })
}

async fn scan(state: &AppState, name: &str, mut file: File) -> Result<ScanReport, TaskError> {
    use std::io::Seek;
    let engine = state.detection.engine();
    let origin = Origin::path(name);
    tokio::task::spawn_blocking(move || {
        file.rewind()?;
        let mut report = ScanReport::default();
        engine.scan_read(origin, file, false, &mut |s| report.add(s))?;
        Ok::<_, std::io::Error>(report)
    })
    .await
    .map_err(|_| TaskError::retry("scan panicked"))?
    .map_err(|e| TaskError::retry(format!("reading the download: {e}")))
}

/// One incident per finding of a deleted upload.
async fn record(
    state: &AppState,
    upload: &Upload,
    report: &ScanReport,
    action: &str,
) -> Result<(), TaskError> {
    let author = upload.user.get("username").and_then(Value::as_str);
    for scanned in &report.findings {
        let f = &scanned.finding;
        let mut item = Item::new();
        let text = |s: &str| Value::String(s.to_owned());
        item.insert("source".into(), text("postprocessing"));
        item.insert("file".into(), text(&upload.resource.name));
        item.insert("message".into(), text(&upload.upload_id));
        if let Some(author) = author {
            item.insert("author".into(), text(author));
        }
        item.insert("detector".into(), text(&f.detector));
        item.insert("category".into(), text(f.category.as_str()));
        item.insert("confidence".into(), Value::from(f64::from(f.confidence)));
        item.insert("excerpt".into(), text(&f.masked));
        item.insert("location".into(), text(&f.origin.display()));
        item.insert("action".into(), text(action));
        state
            .store
            .create(&INCIDENTS, item, None)
            .await
            .map_err(|e| TaskError::retry(format!("recording an incident: {e}")))?;
    }
    Ok(())
}
