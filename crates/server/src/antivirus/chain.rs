//! The scanner chain for one file of a connector (Slack today, Webex next): the DLP engine
//! and the antivirus, on the same bytes at the same time, their findings in one report.

use std::sync::Arc;

use leakwall_core::Origin;
use leakwall_engine::ScanReport;

use super::{Body, Connector, Retry};
use crate::state::AppState;

/// Scans `bytes` (the file `name`) with the detectors and, when configured, clamd; the
/// malware findings follow the DLP ones. `Err` when the task must run again (clamd is down
/// under the `closed` fail mode and `last_attempt` is false).
pub async fn scan_file(
    state: &AppState,
    connector: Connector,
    name: &str,
    bytes: Vec<u8>,
    last_attempt: bool,
) -> Result<ScanReport, Retry> {
    let origin = Origin::path(name);
    let bytes: Arc<[u8]> = bytes.into();
    let engine = state.detection.engine();
    let dlp = tokio::task::spawn_blocking({
        let (bytes, origin) = (Arc::clone(&bytes), origin.clone());
        move || engine.scan_bytes(origin, &bytes[..], None, false)
    });
    let antivirus = super::scan(state, connector, &origin, Body::Bytes(&bytes), last_attempt);
    let (dlp, antivirus) = tokio::join!(dlp, antivirus);
    let mut report = dlp.map_err(|_| Retry("scan panicked".into()))?;
    for scanned in antivirus? {
        report.add(scanned);
    }
    Ok(report)
}
