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
    /// Bytes scanned.
    pub bytes: u64,
}

impl ScanReport {
    /// Adds a finding.
    pub fn add(&mut self, scanned: Scanned) {
        self.findings.push(scanned);
    }

    /// Whether any finding is an `unscannable` one.
    pub fn has_unscannable(&self) -> bool {
        self.findings
            .iter()
            .any(|s| &*s.finding.detector == crate::UNSCANNABLE)
    }
}
