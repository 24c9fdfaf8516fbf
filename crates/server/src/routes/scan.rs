//! `POST /v1/scan`: scan a JSON text or an uploaded file and answer the findings (masked) and a
//! verdict. Uploads are streamed to a temporary file under a size limit, never held whole in
//! memory; scanning runs on the blocking pool, off the async reactor.

use std::io::Write;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use leakwall_core::{Category, ErrorCode, Origin};
use leakwall_engine::{Engine, ScanReport, UNSCANNABLE};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::state::AppState;

/// A JSON scan request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextRequest {
    text: String,
    #[serde(default)]
    filename: Option<String>,
    /// Where the text was posted, for policies (`input.channel.name`).
    #[serde(default)]
    channel: Option<String>,
}

/// A decision on a scan: the verdict (`allow`, `warn`, `block`), why, who to tell, and
/// whether the configured policies or the built-in default made it.
#[derive(Debug, Clone)]
pub struct Decided {
    /// `allow`, `warn` or `block`.
    pub verdict: &'static str,
    /// Why.
    pub reasons: Vec<String>,
    /// Who to notify.
    pub notify: Vec<String>,
    /// `policy` or `default`.
    pub by: &'static str,
}

/// Decides on a report: with the configured policies (the input has `source`,
/// `channel.name` and `findings`), else with the built-in default policy.
pub async fn decide(
    state: &AppState,
    report: &ScanReport,
    source: &str,
    channel: Option<&str>,
) -> Decided {
    let Some(policies) = state.policies.as_ref().filter(|p| p.configured()) else {
        let (verdict, reasons) = verdict(report);
        return Decided {
            verdict,
            reasons,
            notify: Vec::new(),
            by: "default",
        };
    };
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|s| {
            let f = &s.finding;
            json!({"detector": &*f.detector, "category": f.category.as_str(),
                "confidence": f.confidence, "start": f.start, "end": f.end,
                "path": f.origin.path, "member": f.origin.member})
        })
        .collect();
    let input = json!({"source": source, "channel": {"name": channel}, "findings": findings});
    let doc = policies.decide(input).await;
    let verdict = match doc.action {
        leakwall_policy::Action::Approve => "allow",
        leakwall_policy::Action::Warn | leakwall_policy::Action::Notify => "warn",
        leakwall_policy::Action::Block | leakwall_policy::Action::Reject => "block",
    };
    Decided {
        verdict,
        reasons: doc.reasons,
        notify: doc.notify,
        by: "policy",
    }
}

/// The verdict of the built-in default policy (until the policy engine decides): block
/// credentials, payment data, malware and anything that could not be scanned; warn on other
/// findings.
pub fn verdict(report: &ScanReport) -> (&'static str, Vec<String>) {
    let mut reasons: Vec<String> = Vec::new();
    let mut block = false;
    for s in &report.findings {
        let f = &s.finding;
        let blocks = matches!(
            f.category,
            Category::Credential | Category::Financial | Category::Malware
        ) || &*f.detector == UNSCANNABLE;
        block |= blocks;
        let reason = f.detector.to_string();
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    let verdict = match (block, reasons.is_empty()) {
        (true, _) => "block",
        (false, true) => "allow",
        (false, false) => "warn",
    };
    (verdict, reasons)
}

fn answer(report: &ScanReport, decided: Decided) -> Json<Value> {
    let Decided {
        verdict,
        reasons,
        notify,
        by,
    } = decided;
    metrics::counter!("leakwall_scans_total", "verdict" => verdict).increment(1);
    metrics::counter!("leakwall_scan_bytes_total").increment(report.bytes);
    let findings: Vec<&leakwall_core::Finding> =
        report.findings.iter().map(|s| &s.finding).collect();
    Json(
        json!({"verdict": verdict, "reasons": reasons, "notify": notify, "decided_by": by,
        "bytes": report.bytes, "findings": findings}),
    )
}

/// `POST /v1/scan`
pub async fn scan(
    State(state): State<AppState>,
    _permitted: Call,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let engine = state.detection.engine();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
        return scan_upload(&state, engine, multipart).await;
    }
    if !content_type.starts_with("application/json") {
        return Err(ApiError::bad_request(
            "send application/json {\"text\": ...} or a multipart/form-data `file`",
        ));
    }
    let limit = state.settings.scan.max_text_bytes;
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| too_large(limit as u64))?;
    let req: TextRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?;
    let origin = Origin::path(req.filename.unwrap_or_else(|| "text".into()));
    let text = req.text;
    let report = tokio::task::spawn_blocking(move || {
        engine.scan_bytes(origin, text.as_bytes(), None, false)
    })
    .await
    .map_err(ApiError::internal)?;
    let decided = decide(&state, &report, "api", req.channel.as_deref()).await;
    Ok(answer(&report, decided))
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("request body larger than {limit} bytes"),
    )
}

async fn scan_upload(
    state: &AppState,
    engine: std::sync::Arc<Engine>,
    mut multipart: Multipart,
) -> Result<Json<Value>, ApiError> {
    let limit = state.settings.scan.max_file_bytes;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_owned();
        let mut file = tempfile::tempfile().map_err(ApiError::internal)?;
        let mut written: u64 = 0;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::bad_request(format!("upload interrupted: {e}")))?
        {
            written += chunk.len() as u64;
            if written > limit {
                return Err(too_large(limit));
            }
            file.write_all(&chunk).map_err(ApiError::internal)?;
        }
        let report = tokio::task::spawn_blocking(move || scan_file(&engine, file, name, written))
            .await
            .map_err(ApiError::internal)??;
        let decided = decide(state, &report, "api", None).await;
        return Ok(answer(&report, decided));
    }
    Err(ApiError::bad_request(
        "the multipart body has no `file` part",
    ))
}

fn scan_file(
    engine: &Engine,
    mut file: std::fs::File,
    name: String,
    size: u64,
) -> Result<ScanReport, ApiError> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    let mut report = ScanReport::default();
    engine
        .scan_read(Origin::path(name), file, false, &mut |s| report.add(s))
        .map_err(ApiError::internal)?;
    report.bytes = size;
    Ok(report)
}
