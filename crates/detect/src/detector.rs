//! The runtime detector: a built-in [`Spec`] or a custom YAML entry, with its regex compiled.

use std::sync::Arc;

use leakwall_core::Category;
use regex_automata::{meta, util::syntax};

use crate::confirm::HotWords;
use crate::error::Error;
use crate::spec::{Check, Spec, Trigger};

/// A detector ready to run.
#[derive(Debug, Clone)]
pub struct Detector {
    pub(crate) id: Arc<str>,
    pub(crate) category: Category,
    pub(crate) confidence: f32,
    pub(crate) description: String,
    pub(crate) pattern: String,
    pub(crate) validation: Option<String>,
    pub(crate) trigger: Trigger,
    pub(crate) check: Check,
    /// Context words that raise confidence.
    pub(crate) hotwords: HotWords,
    /// Substrings that mark a match as an example or allow-listed value.
    pub(crate) examples: Vec<String>,
    pub(crate) custom: bool,
    /// The confirming regex, for every trigger but `Token`.
    pub(crate) regex: Option<meta::Regex>,
}

impl Detector {
    /// Stable id, e.g. `credit_card`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The id, shared (cheap to clone into every finding).
    pub fn shared_id(&self) -> Arc<str> {
        Arc::clone(&self.id)
    }

    /// Category of the data it finds.
    pub fn category(&self) -> Category {
        self.category
    }

    /// Base confidence before validators and context.
    pub fn confidence(&self) -> f32 {
        self.confidence
    }

    /// What it finds.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The regex of a whole match, in regex-automata syntax.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The validation applied after matching, if any (e.g. `luhn+issuer`).
    pub fn validation(&self) -> Option<&str> {
        self.validation.as_deref()
    }

    /// How it finds candidates.
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }

    /// Whether it came from a custom YAML file.
    pub fn is_custom(&self) -> bool {
        self.custom
    }

    pub(crate) fn from_spec(spec: Spec) -> Result<Detector, Error> {
        let regex = match spec.trigger {
            Trigger::Token(_) => None,
            _ => Some(compile(spec.id, spec.pattern, false)?),
        };
        Ok(Detector {
            id: Arc::from(spec.id),
            category: spec.category,
            confidence: spec.confidence,
            description: spec.description.to_string(),
            pattern: spec.pattern.to_string(),
            validation: spec.validation.map(str::to_string),
            trigger: spec.trigger,
            check: spec.check,
            hotwords: HotWords::new(
                &spec
                    .hotwords
                    .iter()
                    .map(|w| w.to_string())
                    .collect::<Vec<_>>(),
            ),
            examples: spec.examples.iter().map(|e| e.to_string()).collect(),
            custom: false,
            regex,
        })
    }
}

/// Compiles a detector's pattern for searching bytes. Built-in patterns are ASCII
/// (`unicode` false: `\s` and `\w` are ASCII classes, smaller and faster to build); custom
/// patterns keep Unicode classes.
pub(crate) fn compile(id: &str, pattern: &str, unicode: bool) -> Result<meta::Regex, Error> {
    let regex = meta::Builder::new()
        .syntax(syntax::Config::new().utf8(false).unicode(unicode))
        .configure(meta::Config::new().utf8_empty(false))
        .build(pattern)
        .map_err(|e| Error::InvalidPattern {
            id: id.to_string(),
            message: e.to_string(),
        })?;
    if regex.is_match(b"".as_slice()) {
        return Err(Error::InvalidPattern {
            id: id.to_string(),
            message: "the pattern matches the empty string".to_string(),
        });
    }
    Ok(regex)
}
