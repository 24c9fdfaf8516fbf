//! One held file decided: touched again (`HEAD`, harmless when the fast path already did
//! it), downloaded under `webex.max_file_bytes`, its real type sniffed from the bytes, the
//! declared type and the name's extension compared with it (a mismatch rejects), the real
//! type checked against the org's MIME allow-list, then the content scanned (detectors and
//! the antivirus, through the scanner chain) and the policy asked. What cannot be read or
//! scanned follows the org's fail mode, with the reason.

use leakwall_connectors::webex::ContentInfo;
use leakwall_connectors::{ApiError, FileRef, ScanTarget};
use leakwall_engine::{ScanReport, UNSCANNABLE};
use leakwall_extract::{sniff, type_for_mime, type_for_name, FileType};
use serde::{Deserialize, Serialize};

use super::config::{FailMode, OrgSettings, WebexSettings};
use super::tokens::OrgSession;
use crate::antivirus::{chain, Connector};
use crate::routes::scan::decide;
use crate::state::AppState;

/// Why a task must run again.
#[derive(Debug)]
pub enum Pause {
    /// Webex answered 429: run again after this delay.
    RateLimited(std::time::Duration),
    /// A transient failure: the queue retries with backoff.
    Retry(String),
}

/// One recorded finding (masked; never the secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Caught {
    /// The detector or rule (`credit_card`, `type_mismatch`, `mime_not_allowed`, …).
    pub detector: String,
    /// Its category.
    pub category: String,
    /// Its confidence.
    pub confidence: f64,
    /// The masked excerpt or the reason.
    pub excerpt: String,
    /// Where in the file (an archive member, …).
    pub location: String,
}

/// The decision on one file, carried across a reschedule and recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileDecision {
    /// The content id.
    pub content_id: String,
    /// The content URL.
    pub url: String,
    /// The file name (from `Content-Disposition`, else the content id).
    pub name: String,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// The type the uploader declared.
    pub declared: Option<String>,
    /// The real type, from the bytes.
    pub real: Option<String>,
    /// Whether it is approved.
    pub approve: bool,
    /// Why, in words.
    pub reason: String,
    /// Who decided: `policy`, `default`, `mime`, `fail_mode`.
    pub by: String,
    /// What caught it (empty when clean).
    pub caught: Vec<Caught>,
}

impl FileDecision {
    fn new(file: &FileRef, url: &str) -> FileDecision {
        FileDecision {
            content_id: file.id.clone(),
            url: url.to_owned(),
            name: file.name.clone().unwrap_or_else(|| file.id.clone()),
            size: file.size,
            declared: file.mimetype.clone(),
            real: None,
            approve: false,
            reason: String::new(),
            by: String::new(),
            caught: Vec::new(),
        }
    }

    /// The org's fail mode for a file that cannot be decided, with the reason.
    pub fn failed(mut self, org: &OrgSettings, detector: &str, why: String) -> FileDecision {
        self.approve = org.fail_mode == FailMode::Approve;
        self.reason = format!("{why}; fail mode {}", org.fail_mode.as_str());
        self.by = "fail_mode".into();
        self.caught = vec![caught(detector, "content", &why)];
        self
    }

    fn rejected(mut self, detector: &str, why: String) -> FileDecision {
        self.approve = false;
        self.by = "mime".into();
        self.caught = vec![caught(detector, "content", &why)];
        self.reason = why;
        self
    }
}

fn caught(detector: &str, category: &str, why: &str) -> Caught {
    Caught {
        detector: detector.into(),
        category: category.into(),
        confidence: 1.0,
        excerpt: why.into(),
        location: String::new(),
    }
}

/// A decision that could not be reached in time (the budget ran out).
pub fn undecided(file: &FileRef, org: &OrgSettings, budget_ms: u64) -> FileDecision {
    let url = file.url.clone().unwrap_or_default();
    FileDecision::new(file, &url).failed(
        org,
        "deadline",
        format!("not decided within {budget_ms} ms of the webhook"),
    )
}

/// Decides one file of `target` (see the module doc); `last_attempt` when the queue will not
/// run the task again.
pub async fn decide_file(
    state: &AppState,
    webex: &WebexSettings,
    session: &OrgSession<'_>,
    target: &ScanTarget,
    file: &FileRef,
    last_attempt: bool,
) -> Result<FileDecision, Pause> {
    let org = webex.org(&session.org);
    let url = file.url.clone().unwrap_or_default();
    let mut decision = FileDecision::new(file, &url);
    let info = match session.call(|c, t| hold(c, t, url.clone())).await {
        Ok(info) => info,
        Err(e) => return unreadable(decision, org, &e),
    };
    if let Some(name) = info.filename {
        decision.name = name;
    }
    decision.declared = info.content_type.or(decision.declared);
    decision.size = info.length.or(decision.size);
    let limit = webex.config.max_file_bytes;
    if decision.size.is_some_and(|size| size > limit) {
        let why = format!("unscannable: larger than {limit} bytes");
        return Ok(decision.failed(org, UNSCANNABLE, why));
    }
    let bytes = match session
        .call(|c, t| download(c, t, url.clone(), limit))
        .await
    {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(decision, org, &e),
    };
    decision.size = Some(bytes.len() as u64);
    let real = sniff(&bytes);
    decision.real = Some(real.mime().to_owned());
    if let Some(why) = mismatch(decision.declared.as_deref(), &decision.name, real) {
        return Ok(decision.rejected("type_mismatch", why));
    }
    if !org.allowed.is_match(real.mime()) {
        let why = format!("type {} is not allowed", real.mime());
        return Ok(decision.rejected("mime_not_allowed", why));
    }
    let report = scan_content(state, &decision, bytes, last_attempt).await?;
    Ok(judge(state, org, &target.location.conversation, decision, &report).await)
}

/// A file that could not be touched or downloaded: wait or retry for transient errors,
/// otherwise the fail mode.
fn unreadable(
    decision: FileDecision,
    org: &OrgSettings,
    e: &ApiError,
) -> Result<FileDecision, Pause> {
    if let Some(delay) = e.retry_after() {
        return Err(Pause::RateLimited(delay));
    }
    if let ApiError::TooLarge { limit } = e {
        let why = format!("unscannable: larger than {limit} bytes");
        return Ok(decision.failed(org, UNSCANNABLE, why));
    }
    if !e.permanent() {
        return Err(Pause::Retry(e.to_string()));
    }
    Ok(decision.failed(org, UNSCANNABLE, format!("cannot be read: {e}")))
}

/// Why the declared type or the name's extension contradicts the real type, if they do.
/// Text-like types do not contradict each other (an `.eml` saved as `.txt`); an unknown
/// declared type (`application/octet-stream`) or extension claims nothing.
pub fn mismatch(declared: Option<&str>, name: &str, real: FileType) -> Option<String> {
    let textual = |t: FileType| matches!(t, FileType::Text | FileType::Html | FileType::Email);
    let contradicts = |claimed: FileType| claimed != real && !(textual(claimed) && textual(real));
    if let Some(claimed) = declared.and_then(type_for_mime).filter(|t| contradicts(*t)) {
        return Some(format!(
            "declared {} ({}), content is {}",
            declared.unwrap_or_default(),
            claimed.as_str(),
            real.as_str()
        ));
    }
    type_for_name(name)
        .filter(|t| contradicts(*t))
        .map(|claimed| {
            format!(
                "named as {}, content is {}",
                claimed.as_str(),
                real.as_str()
            )
        })
}

/// Scans the bytes through the scanner chain, as the Slack task does: the detection engine
/// and, when configured, clamd (whose `closed` fail mode retries the task while clamd is down:
/// by then the budget has usually run out and the file follows the org's fail mode).
async fn scan_content(
    state: &AppState,
    decision: &FileDecision,
    bytes: Vec<u8>,
    last_attempt: bool,
) -> Result<ScanReport, Pause> {
    chain::scan_file(state, Connector::Webex, &decision.name, bytes, last_attempt)
        .await
        .map_err(|e| Pause::Retry(e.0))
}

/// The verdict on a scanned file: unscannable content follows the fail mode; otherwise the
/// policy (or the built-in default) decides, and only `block` rejects.
async fn judge(
    state: &AppState,
    org: &OrgSettings,
    room: &str,
    mut decision: FileDecision,
    report: &ScanReport,
) -> FileDecision {
    let caught: Vec<Caught> = report
        .findings
        .iter()
        .map(|s| {
            let f = &s.finding;
            Caught {
                detector: f.detector.to_string(),
                category: f.category.as_str().into(),
                confidence: f64::from(f.confidence),
                excerpt: f.masked.clone(),
                location: f.origin.display(),
            }
        })
        .collect();
    if let Some(u) = caught.iter().find(|c| c.detector == UNSCANNABLE) {
        let why = format!("unscannable: {}", u.excerpt);
        let mut failed = decision.failed(org, UNSCANNABLE, why);
        failed.caught = caught;
        return failed;
    }
    let decided = decide(state, report, "webex", Some(room)).await;
    decision.approve = decided.verdict != "block";
    decision.by = decided.by.into();
    decision.reason = if decided.reasons.is_empty() {
        "clean".into()
    } else {
        format!("{}: {}", decided.verdict, decided.reasons.join(", "))
    };
    decision.caught = caught;
    decision
}

async fn hold(
    client: leakwall_connectors::webex::WebexClient,
    token: leakwall_connectors::Token,
    url: String,
) -> Result<ContentInfo, ApiError> {
    client.hold(&token, &url).await
}

async fn download(
    client: leakwall_connectors::webex::WebexClient,
    token: leakwall_connectors::Token,
    url: String,
    limit: u64,
) -> Result<Vec<u8>, ApiError> {
    client.download(&token, &url, limit).await
}

/// The detectors of a decision, for notices.
pub fn detectors(caught: &[Caught]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for c in caught {
        if !names.contains(&c.detector.as_str()) {
            names.push(&c.detector);
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatches() {
        assert!(mismatch(Some("image/png"), "a.png", FileType::Executable).is_some());
        assert!(mismatch(None, "a.png", FileType::Executable).is_some());
        assert!(mismatch(Some("image/png"), "a.png", FileType::Png).is_none());
        assert!(mismatch(Some("application/octet-stream"), "a.bin", FileType::Pdf).is_none());
        assert!(mismatch(Some("text/plain"), "mail.txt", FileType::Email).is_none());
        assert!(mismatch(Some("text/plain; charset=utf-8"), "x", FileType::Text).is_none());
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert!(mismatch(Some(docx), "r.docx", FileType::Docx).is_none());
        assert!(mismatch(Some("application/pdf"), "r.pdf", FileType::Docx).is_some());
    }
}
