//! Post-processing of uploaded files: an ordered chain of steps (`postprocessing.steps`, or
//! `POSTPROCESSING_STEPS=policies,dlp,virusscan` in the oCIS naming) run as the queue task
//! `postprocess`, the first step that says `delete` stopping the chain.
//!
//! Every step has the same interface, [`Step::run`]: it gets the upload and answers
//! [`Outcome::Continue`] or [`Outcome::Delete`] with the reason, or a retryable error. The
//! `policies` step evaluates `postprocessing.query` (`POLICIES_POSTPROCESSING_QUERY`) on the
//! stage-`pp` input of the oCIS spec (an empty query continues without evaluating; an
//! evaluation failure deletes, as in oCIS); the `dlp` step downloads the file (streamed to a
//! temporary file, size-limited) and runs the extraction and detection engine and Leakwall's
//! decision policy on it; the `virusscan` step streams the same file to clamd
//! (`antivirus.clamd`) and decides on its `malware` findings with the same policy (clamd down:
//! the `antivirus.fail_mode.postprocessing`, by default the upload waits, then is deleted on the
//! task's last attempt). The outcome goes to the upload's `callback` URL, a delete is
//! recorded as incidents, and every policy decision is in the decision log.

pub mod download;
mod steps;

use std::time::Duration;

use anyhow::bail;
use leakwall_queue::worker::{TaskContext, TaskError, TaskResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::state::AppState;
pub use steps::{Outcome, Step};

/// `postprocessing:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostprocessingConfig {
    /// The steps, in order (`policies`, `dlp`, `virusscan`); env `POSTPROCESSING_STEPS` (comma
    /// list).
    pub steps: Vec<String>,
    /// The query of the `policies` step, e.g. `data.postprocessing.granted`; empty = the step
    /// continues without evaluating. Env `POLICIES_POSTPROCESSING_QUERY`.
    pub query: String,
    /// Seconds one download (the `dlp` step, `ocis.resource.download`) may take.
    pub download_timeout_seconds: u64,
    /// Largest file downloaded, in bytes; a larger one is unscannable (deleted).
    pub max_file_bytes: u64,
}

impl Default for PostprocessingConfig {
    fn default() -> Self {
        PostprocessingConfig {
            steps: vec!["policies".into(), "dlp".into()],
            query: String::new(),
            download_timeout_seconds: 30,
            max_file_bytes: 256 * 1024 * 1024,
        }
    }
}

impl PostprocessingConfig {
    /// Applies `POSTPROCESSING_STEPS` and `POLICIES_POSTPROCESSING_QUERY`.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> Self {
        if let Some(steps) = env("POSTPROCESSING_STEPS") {
            self.steps = steps
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(query) = env("POLICIES_POSTPROCESSING_QUERY") {
            self.query = query;
        }
        self
    }

    /// The steps, parsed; an unknown step stops the process with its name.
    pub fn validate(&self) -> anyhow::Result<Vec<Step>> {
        if !self.query.is_empty() && !crate::policy::is_data_reference(&self.query) {
            bail!(
                "postprocessing.query: `{}` is not a data reference such as data.postprocessing.granted",
                self.query
            );
        }
        if self.download_timeout_seconds == 0 || self.max_file_bytes == 0 {
            bail!("postprocessing.download_timeout_seconds and max_file_bytes must be positive");
        }
        self.steps.iter().map(|s| Step::parse(s)).collect()
    }

    /// The download time limit.
    pub fn download_timeout(&self) -> Duration {
        Duration::from_secs(self.download_timeout_seconds)
    }
}

/// An uploaded file to post-process (the task's kwargs, and the body of
/// `POST /v1/postprocessing`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The caller's id of the upload, echoed in the outcome.
    pub upload_id: String,
    /// The file: `name`, `url` (where to download it), `size`, `resource_id`.
    pub resource: Resource,
    /// Who uploaded it: `username`, `mail`, `groups`, ...
    #[serde(default)]
    pub user: Value,
    /// Where the outcome is POSTed (`{"upload_id", "outcome", "step", "reason"}`).
    #[serde(default)]
    pub callback: Option<String>,
}

/// The uploaded file as the spec's `input.resource`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// File name.
    pub name: String,
    /// Download URL (`http://`).
    pub url: String,
    /// Size in bytes, as the uploader declared it.
    #[serde(default)]
    pub size: u64,
    /// `storage_id`, `opaque_id`, `space_id`.
    #[serde(default)]
    pub resource_id: Value,
}

impl Upload {
    /// Refuses an upload that cannot be processed.
    pub fn validate(&self) -> Result<(), String> {
        if self.upload_id.is_empty() || self.upload_id.len() > 256 {
            return Err("upload_id: 1 to 256 characters".into());
        }
        if !self.resource.url.starts_with("http://") && !self.resource.url.starts_with("https://") {
            return Err("resource.url: an http(s) URL is required".into());
        }
        match &self.callback {
            Some(url) if !url.starts_with("http://") && !url.starts_with("https://") => {
                Err("callback: an http(s) URL".into())
            }
            _ => Ok(()),
        }
    }

    /// The stage-`pp` input document of the oCIS spec (§1.4).
    pub fn policy_input(&self) -> Value {
        let user = match &self.user {
            Value::Object(_) => self.user.clone(),
            _ => json!({}),
        };
        json!({
            "stage": "pp",
            "request": {"method": "", "path": ""},
            "resource": {
                "name": self.resource.name,
                "url": self.resource.url,
                "size": self.resource.size,
                "resource_id": self.resource.resource_id,
            },
            "user": user,
        })
    }
}

/// The `postprocess` task: runs the configured steps in order until one deletes, then reports.
pub async fn postprocess(state: AppState, ctx: TaskContext) -> TaskResult {
    let upload: Upload = serde_json::from_value(Value::Object(ctx.envelope.kwargs.clone()))
        .map_err(|e| TaskError::fatal(format!("postprocess: bad kwargs: {e}")))?;
    upload.validate().map_err(TaskError::fatal)?;
    let steps = state
        .settings
        .postprocessing
        .validate()
        .map_err(|e| TaskError::fatal(e.to_string()))?;
    let mut report = json!({"upload_id": upload.upload_id, "outcome": "continue",
        "step": null, "reason": null});
    let last_attempt = ctx.attempt >= state.settings.queue.max_attempts;
    let mut work = steps::Work::new(&state, &upload, last_attempt);
    for step in steps {
        if let Outcome::Delete { reason } = step.run(&mut work).await? {
            metrics::counter!("leakwall_postprocessing_deleted_total", "step" => step.name())
                .increment(1);
            report = json!({"upload_id": upload.upload_id, "outcome": "delete",
                "step": step.name(), "reason": reason});
            break;
        }
    }
    tracing::info!(upload = %upload.upload_id, outcome = %report["outcome"], "post-processed");
    if let Some(url) = &upload.callback {
        download::post_json(
            url,
            &report,
            state.settings.postprocessing.download_timeout(),
        )
        .await
        .map_err(|e| TaskError::retry(format!("reporting the outcome: {e}")))?;
    }
    Ok(())
}
