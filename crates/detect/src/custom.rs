//! Custom detectors from YAML: a regex, optional keywords, an optional validator name.
//!
//! ```yaml
//! detectors:
//!   - id: employee_id
//!     category: pii
//!     pattern: 'EMP-[0-9]{6}'
//!     keywords: [EMP-]
//!     validator: luhn
//!     confidence: 0.8
//! ```
//! Keywords gate the regex to a window around each keyword. Without keywords the regex's
//! literal prefixes become its trigger; a regex with no usable prefix runs in the fallback
//! multi-pattern pass, which is slower on large inputs.

use leakwall_core::Category;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use serde::Deserialize;

use crate::confirm::HotWords;
use crate::detector::{compile, Detector};
use crate::error::Error;
use crate::spec::{Check, Trigger};
use crate::validate::Validator;

/// How many bytes around a keyword a custom detector's regex is searched.
const KEYWORD_WINDOW: usize = 256;
/// The longest match of a custom detector found from a literal prefix.
const CUSTOM_MAX_LEN: usize = 4096;
/// The most literal prefixes a custom detector may add to the prefilter.
const MAX_PREFIXES: usize = 16;

fn default_confidence() -> f32 {
    0.8
}

fn default_category() -> Category {
    Category::Pii
}

/// One custom detector as written in YAML.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomDetectorConfig {
    /// Stable id, unique among all detectors.
    pub id: String,
    /// `pii`, `financial` or `credential` (default `pii`).
    #[serde(default = "default_category")]
    pub category: Category,
    /// The regex (regex-automata syntax); group 1, when present, is the reported span.
    pub pattern: String,
    /// Words that must occur near a match; they gate the regex.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A validator name (see [`Validator::from_name`]).
    #[serde(default)]
    pub validator: Option<String>,
    /// Confidence of a match (default 0.8).
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    /// What it finds.
    #[serde(default)]
    pub description: String,
    /// Context words that raise confidence.
    #[serde(default)]
    pub hotwords: Vec<String>,
    /// Values (substrings) that are allowed: a match containing one drops to confidence 0.1.
    #[serde(default)]
    pub allow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomFile {
    detectors: Vec<CustomDetectorConfig>,
}

/// Parses a YAML document with a top-level `detectors:` list.
pub fn parse_custom_yaml(text: &str) -> Result<Vec<CustomDetectorConfig>, Error> {
    let file: CustomFile = serde_yaml::from_str(text)
        .map_err(|e| Error::InvalidConfig(format!("custom detectors: {e}")))?;
    Ok(file.detectors)
}

impl CustomDetectorConfig {
    /// Validates and compiles the detector.
    pub(crate) fn build(&self) -> Result<Detector, Error> {
        let id = &self.id;
        let id_ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(Error::InvalidConfig(format!(
                "custom detector id `{id}` must be non-empty letters, digits, `_` or `-`"
            )));
        }
        if self.category == Category::Content {
            return Err(Error::InvalidConfig(format!(
                "detector `{id}`: category must be pii, financial or credential"
            )));
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(Error::InvalidConfig(format!(
                "detector `{id}`: confidence must be between 0 and 1, got {}",
                self.confidence
            )));
        }
        let regex = compile(id, &self.pattern, true)?;
        let check = match &self.validator {
            None => Check::None,
            Some(name) => match Validator::from_name(name) {
                Some(v) => Check::Validator(v),
                None => {
                    let known: Vec<&str> = Validator::ALL.iter().map(|v| v.name()).collect();
                    return Err(Error::UnknownValidator {
                        id: id.clone(),
                        name: name.clone(),
                        known: known.join(", "),
                    });
                }
            },
        };
        Ok(Detector {
            id: std::sync::Arc::from(id.as_str()),
            category: self.category,
            confidence: self.confidence,
            description: self.description.clone(),
            pattern: self.pattern.clone(),
            validation: self.validator.clone(),
            trigger: self.trigger(),
            check,
            hotwords: HotWords::new(&self.hotwords),
            examples: self.allow.clone(),
            custom: true,
            regex: Some(regex),
        })
    }

    fn trigger(&self) -> Trigger {
        if !self.keywords.is_empty() {
            return Trigger::Context {
                keywords: self.keywords.clone(),
                back: KEYWORD_WINDOW,
                window: KEYWORD_WINDOW,
            };
        }
        match prefix_literals(&self.pattern) {
            Some(literals) => Trigger::Literals {
                literals,
                back: 0,
                max_len: CUSTOM_MAX_LEN,
            },
            None => Trigger::Fallback,
        }
    }
}

/// The regex's literal prefixes, when every match starts with one of a few of at least 3 bytes.
fn prefix_literals(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    // `EMP-[0-9]{6}` gives EMP-00 .. EMP-99: shorten until few enough remain.
    for len in (3..=8).rev() {
        if seq.len().is_some_and(|n| n <= MAX_PREFIXES) {
            break;
        }
        seq.keep_first_bytes(len);
        seq.dedup();
    }
    let literals = seq.literals()?;
    if literals.is_empty() || literals.len() > MAX_PREFIXES {
        return None;
    }
    let mut out = Vec::new();
    for lit in literals {
        let text = std::str::from_utf8(lit.as_bytes()).ok()?;
        if text.len() < 3 {
            return None;
        }
        out.push(text.to_string());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes_are_extracted() {
        let emp = prefix_literals("EMP-[0-9]{6}").unwrap();
        assert_eq!(emp.len(), 10, "{emp:?}");
        assert!(emp.iter().all(|l| l.starts_with("EMP-")));
        let either = prefix_literals("(?:abc|xyz)[a-z]+");
        assert_eq!(either, Some(vec!["abc".to_string(), "xyz".to_string()]));
        assert_eq!(prefix_literals("[0-9]{6}"), None);
        assert_eq!(
            prefix_literals("a[0-9]"),
            None,
            "two-byte prefixes are too short"
        );
    }
}
