//! What a scan returns.

use leakwall_core::Finding;

/// A finding and, only when asked for, the raw matched text.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    /// The finding (masked).
    pub finding: Finding,
    /// The raw match, present only with `show_secrets`.
    pub secret: Option<String>,
}

/// The findings of one scanned input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Every finding, in order of origin and position.
    pub findings: Vec<Scanned>,
    /// Bytes read, for streamed scans.
    pub bytes: u64,
}

impl ScanReport {
    pub(crate) fn push(&mut self, finding: Finding, secret: Option<String>) {
        self.findings.push(Scanned { finding, secret });
    }

    /// Whether any finding is an `unscannable` one.
    pub fn has_unscannable(&self) -> bool {
        self.findings
            .iter()
            .any(|s| s.finding.detector == crate::UNSCANNABLE)
    }
}
