//! How a detector is described: its trigger (how candidates are found) and its check (how a
//! candidate is confirmed). Built-in detectors are `Spec` constants; custom ones are built from
//! YAML into the same runtime [`crate::Detector`].

use leakwall_core::Category;

use crate::validate::Validator;

/// How the scanner finds candidates for a detector.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// A candidate at each occurrence of one of `literals` (case-sensitive). The detector's
    /// regex is then searched from `back` bytes before the literal to `max_len` bytes after it,
    /// and a match must contain the literal's position.
    Literals {
        /// The literals.
        literals: Vec<String>,
        /// How many bytes before the literal the match may start.
        back: usize,
        /// The longest match, counted from the literal.
        max_len: usize,
    },
    /// Keyword-gated: every occurrence of a keyword opens a window from `back` bytes before it
    /// to `window` bytes after it, in which every match of the regex is a candidate.
    Context {
        /// The keywords, listed in each casing that should count.
        keywords: Vec<String>,
        /// Bytes before the keyword included in the window.
        back: usize,
        /// Bytes after the keyword included in the window.
        window: usize,
    },
    /// A token-level candidate (digit groups, words holding digits, `@`), confirmed by a
    /// hand-written parser rather than a regex.
    Token(TokenKind),
    /// No usable literal: the regex runs in the fallback multi-pattern pass (custom only).
    Fallback,
}

/// The token-level parsers of the built-in catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TokenKind {
    Card,
    Ssn,
    Itin,
    Aba,
    Nhs,
    Phone,
    Ipv4,
    Ipv6,
    Mac,
    Email,
    Iban,
    Nino,
    Bitcoin,
    Ethereum,
    Twilio,
}

impl TokenKind {
    /// Number of kinds, for tables indexed by kind.
    pub const COUNT: usize = 15;
}

/// What a candidate must pass after its regex or parser matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// Nothing more.
    None,
    /// A named validator on the reported span.
    Validator(Validator),
    /// A real calendar date (any of the catalog's date layouts), years 1900 to 2100.
    Date,
    /// Shannon entropy of the reported span of at least this many bits per byte, and not a
    /// placeholder.
    Entropy(f64),
}

/// A built-in detector, as data.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Stable id, e.g. `credit_card`.
    pub id: &'static str,
    /// Category.
    pub category: Category,
    /// Base confidence in `[0, 1]`.
    pub confidence: f32,
    /// What it finds, for `leakwall detectors`.
    pub description: &'static str,
    /// The regex of a whole match (regex-automata syntax). For literal and context triggers
    /// it is what confirms a candidate; a capture group 1, when present, is the reported span.
    pub pattern: &'static str,
    /// How candidates are found.
    pub trigger: Trigger,
    /// What a candidate must pass.
    pub check: Check,
    /// Name of the validation shown to users (e.g. `luhn+issuer`), if any.
    pub validation: Option<&'static str>,
    /// Words near a match that raise confidence (matched case-insensitively).
    pub hotwords: &'static [&'static str],
    /// Known documentation examples and allow-listed values: a match containing one is
    /// lowered to a confidence of 0.1.
    pub examples: &'static [&'static str],
}

/// Shorthand for building literal triggers in the catalog.
pub(crate) fn literals(lits: &[&str], back: usize, max_len: usize) -> Trigger {
    Trigger::Literals {
        literals: lits.iter().map(|s| s.to_string()).collect(),
        back,
        max_len,
    }
}

/// Shorthand for building context triggers in the catalog.
pub(crate) fn context(keywords: &[&str], back: usize, window: usize) -> Trigger {
    Trigger::Context {
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        back,
        window,
    }
}
