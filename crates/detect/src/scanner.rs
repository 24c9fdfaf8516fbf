//! The scanner: every enabled detector over one input, in stages.
//!
//! Stage 1 finds candidates cheaply: one Aho-Corasick automaton over every literal prefix
//! and context keyword of every detector, and one token sweep for digit groups, words with
//! digits and `@`. Stage 2 confirms each candidate with the detector's small regex (searched
//! only in a window around the candidate) or hand-written parser. Stage 3 validates
//! (checksums, entropy) and scores (context words, documentation examples).

use std::sync::Arc;

use regex_automata::meta;

use crate::catalog;
use crate::confirm::HOTWORD_BOOST;
use crate::custom::CustomDetectorConfig;
use crate::detector::Detector;
use crate::error::Error;
use crate::prefilter::Literals;
use crate::spec::{TokenKind, Trigger};
use crate::token::{self, Enabled};

/// One match: the detector (an index into [`Scanner::detectors`]), the byte span and the
/// confidence after validation and context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Index of the detector in [`Scanner::detectors`].
    pub detector: usize,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
}

/// Settings for a scanner, validated once by [`ScannerConfig::build`].
#[derive(Debug, Clone, Default)]
pub struct ScannerConfig {
    /// Matches below this confidence are dropped.
    pub min_confidence: f32,
    /// Only these detector ids run (built-in or custom); `None` runs all.
    pub only: Option<Vec<String>>,
    /// Custom detectors added to the catalog.
    pub custom: Vec<CustomDetectorConfig>,
    /// Base confidences that replace a detector's own (detector id, confidence in `[0, 1]`).
    pub confidence: Vec<(String, f32)>,
}

/// A literal of the prefilter and the detectors it wakes.
#[derive(Debug, Clone)]
pub(crate) struct LiteralTarget {
    /// Detector index and the offset of the detector's own literal inside this one.
    pub detectors: Vec<(usize, usize)>,
}

/// Every enabled detector, ready to scan any number of inputs from any number of threads.
#[derive(Debug, Clone)]
pub struct Scanner {
    pub(crate) detectors: Vec<Detector>,
    pub(crate) literals: Option<Arc<Literals>>,
    pub(crate) targets: Vec<LiteralTarget>,
    pub(crate) tokens: Enabled,
    pub(crate) token_detector: [usize; TokenKind::COUNT],
    pub(crate) fallback: Option<(meta::Regex, Vec<usize>)>,
    pub(crate) min_confidence: f32,
}

impl ScannerConfig {
    /// Builds the scanner: compiles every pattern, checks every name.
    pub fn build(&self) -> Result<Scanner, Error> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(Error::InvalidConfig(format!(
                "min_confidence must be between 0 and 1, got {}",
                self.min_confidence
            )));
        }
        let specs = catalog::builtin();
        let builtin_ids: Vec<&'static str> = specs.iter().map(|s| s.id).collect();
        let wanted = |id: &str| {
            self.only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == id))
        };
        if let Some(only) = &self.only {
            for id in only {
                let known =
                    builtin_ids.contains(&id.as_str()) || self.custom.iter().any(|c| &c.id == id);
                if !known {
                    return Err(Error::UnknownDetector(id.clone()));
                }
            }
        }
        let mut detectors = Vec::new();
        for spec in specs {
            if wanted(spec.id) {
                detectors.push(Detector::from_spec(spec)?);
            }
        }
        for custom in &self.custom {
            if builtin_ids.contains(&custom.id.as_str())
                || self.custom.iter().filter(|c| c.id == custom.id).count() > 1
            {
                return Err(Error::InvalidConfig(format!(
                    "custom detector `{}`: id already used",
                    custom.id
                )));
            }
            let detector = custom.build()?;
            if wanted(&custom.id) {
                detectors.push(detector);
            }
        }
        for (id, confidence) in &self.confidence {
            if !(0.0..=1.0).contains(confidence) {
                return Err(Error::InvalidConfig(format!(
                    "detector `{id}`: confidence must be between 0 and 1, got {confidence}"
                )));
            }
            let known =
                builtin_ids.contains(&id.as_str()) || self.custom.iter().any(|c| &c.id == id);
            if !known {
                return Err(Error::UnknownDetector(id.clone()));
            }
            for d in detectors.iter_mut().filter(|d| d.id() == id) {
                d.confidence = *confidence;
            }
        }
        Scanner::assemble(detectors, self.min_confidence)
    }
}

impl Scanner {
    /// A scanner with every built-in detector and no confidence floor.
    pub fn builtin() -> Scanner {
        match ScannerConfig::default().build() {
            Ok(scanner) => scanner,
            // The catalog is constant and covered by tests; this cannot fail at run time.
            Err(e) => unreachable!("built-in catalog is invalid: {e}"),
        }
    }

    fn assemble(detectors: Vec<Detector>, min_confidence: f32) -> Result<Scanner, Error> {
        let mut literal_list: Vec<String> = Vec::new();
        let mut targets: Vec<LiteralTarget> = Vec::new();
        let mut tokens = Enabled::default();
        let mut token_detector = [usize::MAX; TokenKind::COUNT];
        let mut fallback = Vec::new();
        for (index, d) in detectors.iter().enumerate() {
            let words = match &d.trigger {
                Trigger::Literals { literals, .. } => literals,
                Trigger::Context { keywords, .. } => keywords,
                Trigger::Token(kind) => {
                    tokens.set(*kind);
                    token_detector[*kind as usize] = index;
                    continue;
                }
                Trigger::Fallback => {
                    fallback.push(index);
                    continue;
                }
            };
            for word in words {
                match literal_list.iter().position(|l| l == word) {
                    Some(at) => targets[at].detectors.push((index, 0)),
                    None => {
                        literal_list.push(word.clone());
                        targets.push(LiteralTarget {
                            detectors: vec![(index, 0)],
                        });
                    }
                }
            }
        }
        share_nested_literals(&literal_list, &mut targets);
        let literals = if literal_list.is_empty() {
            None
        } else {
            Some(Arc::new(Literals::new(&literal_list)?))
        };
        let fallback = if fallback.is_empty() {
            None
        } else {
            let patterns: Vec<&str> = fallback.iter().map(|&i| detectors[i].pattern()).collect();
            let regex = meta::Regex::new_many(&patterns)
                .map_err(|e| Error::InvalidConfig(format!("fallback pass: {e}")))?;
            Some((regex, fallback))
        };
        Ok(Scanner {
            detectors,
            literals,
            targets,
            tokens,
            token_detector,
            fallback,
            min_confidence,
        })
    }

    /// The enabled detectors; [`Match::detector`] indexes this slice.
    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// The detector of a match.
    pub fn detector(&self, m: &Match) -> &Detector {
        &self.detectors[m.detector]
    }

    /// Scans `hay` in one go; matches are sorted by start and deduplicated.
    pub fn scan(&self, hay: &[u8]) -> Vec<Match> {
        let mut out = Vec::new();
        self.scan_into(hay, &mut out);
        out
    }

    /// Like [`Scanner::scan`], reusing `out` (cleared first).
    pub fn scan_into(&self, hay: &[u8], out: &mut Vec<Match>) {
        out.clear();
        let mut hits = Vec::new();
        token::sweep(hay, self.tokens, &mut hits);
        for hit in hits {
            let index = self.token_detector[hit.kind as usize];
            if let Some(d) = self.detectors.get(index) {
                let base = d.confidence + hit.delta;
                if base + HOTWORD_BOOST < self.min_confidence {
                    continue;
                }
                let confidence = self.score(d, hay, hit.start, hit.end, base);
                out.push(Match {
                    detector: index,
                    start: hit.start,
                    end: hit.end,
                    confidence,
                });
            }
        }
        if let Some(literals) = &self.literals {
            let mut candidates = Vec::new();
            literals.each(hay, |lit, at| {
                for &(index, offset) in &self.targets[lit].detectors {
                    candidates.push((index, at + offset));
                }
            });
            self.confirm_all(hay, &mut candidates, out);
        }
        if let Some((regex, indices)) = &self.fallback {
            for m in regex.find_iter(hay) {
                let index = indices[m.pattern().as_usize()];
                self.confirm_at(index, hay, m.start(), out);
            }
        }
        out.retain(|m| m.confidence >= self.min_confidence);
        out.sort_unstable_by_key(|m| (m.start, m.end, m.detector));
        out.dedup_by(|a, b| (a.start, a.end, a.detector) == (b.start, b.end, b.detector));
    }
}

/// When one literal contains another (`aws_secret` holds `ecret`), a leftmost-first search
/// reports only the outer one; so the outer literal also wakes the inner one's detectors.
fn share_nested_literals(literals: &[String], targets: &mut [LiteralTarget]) {
    for (outer, outer_lit) in literals.iter().enumerate() {
        for (inner, inner_lit) in literals.iter().enumerate() {
            let Some(offset) = outer_lit.find(inner_lit.as_str()) else {
                continue;
            };
            if outer == inner {
                continue;
            }
            let extra: Vec<usize> = targets[inner].detectors.iter().map(|&(d, _)| d).collect();
            for d in extra {
                if !targets[outer].detectors.iter().any(|&(x, _)| x == d) {
                    targets[outer].detectors.push((d, offset));
                }
            }
        }
    }
}
