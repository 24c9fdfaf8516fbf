//! One file through the antivirus: clamd's answer as findings, timed and counted, and the
//! connector's fail mode when clamd cannot answer.

use std::io::Seek;
use std::sync::Arc;
use std::time::Instant;

use leakwall_antivirus::ScanResult;
use leakwall_core::{Category, Finding, Origin};
use leakwall_engine::{Scanned, UNSCANNABLE};

use super::{Connector, FailMode};
use crate::state::AppState;

/// The file to scan: bytes already in memory, or a (temporary) file read from its start.
pub enum Body<'a> {
    /// In memory; sent straight from the slice.
    Bytes(&'a [u8]),
    /// On disk; streamed one chunk at a time.
    File(std::fs::File),
}

/// The file cannot be decided yet: run the task again later (clamd is down and the fail mode
/// is `closed`, or the file could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry(pub String);

impl std::fmt::Display for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The antivirus's findings on one file (none when no antivirus is configured). `last_attempt`
/// says whether the task will run again, for the `closed` fail mode.
pub async fn scan(
    state: &AppState,
    connector: Connector,
    origin: &Origin,
    body: Body<'_>,
    last_attempt: bool,
) -> Result<Vec<Scanned>, Retry> {
    let Some(antivirus) = &state.settings.antivirus else {
        return Ok(Vec::new());
    };
    let clamd = antivirus.clamd.address().to_string();
    let started = Instant::now();
    let answer = match body {
        Body::Bytes(bytes) => antivirus.clamd.scan_bytes(bytes).await,
        Body::File(mut file) => {
            file.rewind()
                .map_err(|e| Retry(format!("reading the file to scan: {e}")))?;
            let file = tokio::fs::File::from_std(file);
            antivirus.clamd.scan_reader(file).await
        }
    };
    metrics::histogram!("leakwall_antivirus_scan_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    let error = match answer {
        Ok(result) => {
            metrics::gauge!("leakwall_antivirus_up", "clamd" => clamd.clone()).set(1.0);
            metrics::counter!("leakwall_antivirus_scans_total", "result" => result.as_str())
                .increment(1);
            tracing::debug!(
                connector = connector.as_str(),
                result = result.as_str(),
                "antivirus"
            );
            return Ok(findings(origin, result));
        }
        Err(e) if !e.is_unavailable() => return Err(Retry(e.to_string())),
        Err(e) => e,
    };
    metrics::gauge!("leakwall_antivirus_up", "clamd" => clamd).set(0.0);
    metrics::counter!("leakwall_antivirus_scans_total", "result" => "unavailable").increment(1);
    match (antivirus.fail_mode.of(connector), last_attempt) {
        (FailMode::Open, _) => {
            metrics::counter!("leakwall_antivirus_failed_open_total",
                "connector" => connector.as_str())
            .increment(1);
            tracing::warn!(connector = connector.as_str(), error = %error,
                "antivirus unavailable: the file passes without a verdict (fail mode open)");
            Ok(Vec::new())
        }
        (FailMode::Closed, false) => {
            tracing::warn!(connector = connector.as_str(), error = %error,
                "antivirus unavailable: the file waits (fail mode closed)");
            Err(Retry(format!(
                "antivirus unavailable, the file waits: {error}"
            )))
        }
        (FailMode::Closed, true) => Ok(vec![unscannable(
            origin,
            format!("antivirus unavailable: {error}"),
        )]),
    }
}

/// clamd's answer as findings: none when clean.
fn findings(origin: &Origin, result: ScanResult) -> Vec<Scanned> {
    match result {
        ScanResult::Clean => Vec::new(),
        ScanResult::Infected { signature } => vec![Scanned {
            finding: Finding {
                masked: format!("malware: {signature}"),
                detector: Arc::from(signature),
                category: Category::Malware,
                confidence: 1.0,
                origin: Arc::new(origin.clone()),
                start: 0,
                end: 0,
                line: 0,
            },
            secret: None,
        }],
        ScanResult::Unscannable { reason } => vec![unscannable(origin, reason)],
    }
}

fn unscannable(origin: &Origin, reason: String) -> Scanned {
    Scanned {
        finding: Finding {
            detector: Arc::from(UNSCANNABLE),
            category: Category::Malware,
            confidence: 1.0,
            origin: Arc::new(origin.clone()),
            start: 0,
            end: 0,
            line: 0,
            masked: format!("not scanned by the antivirus: {reason}"),
        },
        secret: None,
    }
}
