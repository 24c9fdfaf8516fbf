//! Stage 2 and 3 of a scan: confirm a candidate with its detector's regex in a window, check
//! it, and score it with context words and known examples.

use regex_automata::{Anchored, Input};

use crate::detector::Detector;
use crate::scanner::{Match, Scanner};
use crate::spec::{Check, Trigger};
use crate::validate;

/// How far before a match context words count.
const CONTEXT_BEFORE: usize = 64;
/// How far after a match context words count.
const CONTEXT_AFTER: usize = 32;
/// How much a context word raises confidence.
pub(crate) const HOTWORD_BOOST: f32 = 0.25;

impl Scanner {
    /// Confirms a literal or keyword candidate at `pos` for detector `index`.
    pub(crate) fn confirm(&self, index: usize, hay: &[u8], pos: usize, out: &mut Vec<Match>) {
        let Some(d) = self.detectors.get(index) else {
            return;
        };
        let Some(regex) = &d.regex else { return };
        let (start, end, must_contain) = match &d.trigger {
            Trigger::Literals { back, max_len, .. } => (
                pos.saturating_sub(*back),
                pos.saturating_add(*max_len),
                Some(pos),
            ),
            Trigger::Context { back, window, .. } => {
                (pos.saturating_sub(*back), pos.saturating_add(*window), None)
            }
            Trigger::Token(_) | Trigger::Fallback => return,
        };
        let end = end.min(hay.len());
        if start >= end {
            return;
        }
        let input = Input::new(hay).range(start..end);
        for found in regex.captures_iter(input.clone()) {
            let Some(whole) = found.get_match() else {
                continue;
            };
            if let Some(p) = must_contain {
                if whole.start() > p {
                    break;
                }
                if whole.end() <= p {
                    continue;
                }
            }
            let span = found.get_group(1).unwrap_or(whole.span());
            self.accept(index, d, hay, span.start, span.end, out);
            if must_contain.is_some() {
                break;
            }
        }
    }

    /// Confirms a fallback-pass match starting at `pos` (its capture group, its check).
    pub(crate) fn confirm_at(&self, index: usize, hay: &[u8], pos: usize, out: &mut Vec<Match>) {
        let Some(d) = self.detectors.get(index) else {
            return;
        };
        let Some(regex) = &d.regex else { return };
        let mut caps = regex.create_captures();
        regex.search_captures(
            &Input::new(hay).range(pos..).anchored(Anchored::Yes),
            &mut caps,
        );
        let Some(whole) = caps.get_match() else {
            return;
        };
        let span = caps.get_group(1).unwrap_or(whole.span());
        self.accept(index, d, hay, span.start, span.end, out);
    }

    /// Runs the detector's check on `[start, end)` and records the scored match.
    fn accept(
        &self,
        index: usize,
        d: &Detector,
        hay: &[u8],
        start: usize,
        end: usize,
        out: &mut Vec<Match>,
    ) {
        let Some(text) = hay.get(start..end) else {
            return;
        };
        let passes = match d.check {
            Check::None => true,
            Check::Validator(v) => v.check(text),
            Check::Entropy(min) => validate::shannon_entropy(text) >= min,
            Check::Date => crate::dates::plausible(text),
        };
        let reachable = d.confidence + HOTWORD_BOOST >= self.min_confidence;
        if passes && start < end && reachable {
            let confidence = self.score(d, hay, start, end, d.confidence);
            out.push(Match {
                detector: index,
                start,
                end,
                confidence,
            });
        }
    }

    /// Raises confidence for context words near the match, lowers it for known examples.
    pub(crate) fn score(
        &self,
        d: &Detector,
        hay: &[u8],
        start: usize,
        end: usize,
        base: f32,
    ) -> f32 {
        let mut confidence = base;
        if !d.hotwords.is_empty() && near(hay, start, end, &d.hotwords) {
            confidence += HOTWORD_BOOST;
        }
        if !d.examples.is_empty() {
            let text = hay.get(start..end).unwrap_or(&[]);
            let is_example = d
                .examples
                .iter()
                .any(|ex| memchr::memmem::find(text, ex.as_bytes()).is_some());
            if is_example {
                confidence = confidence.min(0.1);
            }
        }
        confidence.clamp(0.0, 1.0)
    }
}

/// Whether one of the lower-case `words` occurs, in any case, near `[start, end)` (before it
/// or after it, not inside it), at the start of a word (`ssn:` counts, `lessn` does not);
/// words of three letters or fewer must also end there (`ip` is not `ipsum`).
fn near(hay: &[u8], start: usize, end: usize, words: &[String]) -> bool {
    let before = hay
        .get(start.saturating_sub(CONTEXT_BEFORE)..start)
        .unwrap_or(&[]);
    let after = hay
        .get(end..end.saturating_add(CONTEXT_AFTER).min(hay.len()))
        .unwrap_or(&[]);
    has_word(before, words) || has_word(after, words)
}

fn has_word(window: &[u8], words: &[String]) -> bool {
    let alpha = |i: Option<usize>| {
        i.and_then(|i| window.get(i))
            .is_some_and(u8::is_ascii_alphabetic)
    };
    for (at, &b) in window.iter().enumerate() {
        if !b.is_ascii_alphabetic() || alpha(at.checked_sub(1)) {
            continue;
        }
        let lower = b.to_ascii_lowercase();
        for w in words {
            let w = w.as_bytes();
            if w.first() != Some(&lower) {
                continue;
            }
            let Some(text) = window.get(at..at + w.len()) else {
                continue;
            };
            if text.eq_ignore_ascii_case(w) && (w.len() > 3 || !alpha(Some(at + w.len()))) {
                return true;
            }
        }
    }
    false
}
