//! Findings: what a detector found, as a span with a confidence.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::segment::Origin;

/// The kind of data a detector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Personal data: e-mail, phone, national ids, addresses.
    Pii,
    /// Financial data: payment cards, bank accounts, IBANs, wallets.
    Financial,
    /// Credentials: API keys, tokens, private keys, passwords.
    Credential,
    /// A fact about the content rather than its text, such as a file type mismatch.
    Content,
    /// Malicious content found by an antivirus scanner (the detector is the signature name).
    Malware,
}

impl Category {
    /// The lower-case name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Pii => "pii",
            Category::Financial => "financial",
            Category::Credential => "credential",
            Category::Content => "content",
            Category::Malware => "malware",
        }
    }
}

/// One finding in one segment. Holds a masked excerpt only, never the matched text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Id of the detector that found it, e.g. `credit_card` (shared: findings are many).
    pub detector: Arc<str>,
    /// The detector's category.
    pub category: Category,
    /// Confidence in `[0, 1]` after validators and context words.
    pub confidence: f32,
    /// Where the segment came from (shared by every finding of the segment).
    #[serde(flatten)]
    pub origin: Arc<Origin>,
    /// Byte offset of the match start in the segment's text.
    pub start: usize,
    /// Byte offset one past the match end.
    pub end: usize,
    /// 1-based line of the match start in the segment's text.
    pub line: usize,
    /// The match with most of its characters replaced by `*`.
    pub masked: String,
}
