//! Stage 2 and 3 of a scan: confirm a candidate with its detector's regex in a window, check
//! it, and score it with context words and known examples.

use regex_automata::{Anchored, Input};

use crate::detector::Detector;
use crate::scanner::{Match, Scanner};
use crate::spec::{Check, Trigger};
use crate::swar;
use crate::validate;

/// How far before a match context words count.
const CONTEXT_BEFORE: usize = 48;
/// How far after a match context words count.
const CONTEXT_AFTER: usize = 24;
/// How much a context word raises confidence.
pub(crate) const HOTWORD_BOOST: f32 = 0.25;

/// Where a detector's match may lie relative to its candidates.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// A literal trigger: the match holds the literal's position, starts at most `.0` bytes
    /// before it and ends at most `.1` bytes after it.
    Contains(usize, usize),
    /// A keyword trigger: the match lies within `.0` bytes before and `.1` bytes after it.
    Near(usize, usize),
}

impl Reach {
    fn bounds(self) -> (usize, usize) {
        match self {
            Reach::Contains(back, ahead) | Reach::Near(back, ahead) => (back, ahead),
        }
    }

    /// Whether a match `[start, end)` belongs to one of the sorted candidate `positions`.
    fn belongs(self, start: usize, end: usize, positions: &[usize]) -> bool {
        match self {
            Reach::Contains(..) => {
                let k = positions.partition_point(|&p| p < start);
                positions.get(k).is_some_and(|&p| p < end)
            }
            Reach::Near(back, ahead) => {
                let k = positions.partition_point(|&p| p.saturating_add(ahead) < end);
                positions
                    .get(k)
                    .is_some_and(|&p| p.saturating_sub(back) <= start)
            }
        }
    }
}

impl Scanner {
    /// Confirms literal and keyword candidates `(detector, position)`. The windows of one
    /// detector's candidates are merged and each merged range is searched once, so a flood of
    /// candidates (`eyJeyJeyJ…`) costs one pass, not one window per candidate.
    pub(crate) fn confirm_all(
        &self,
        hay: &[u8],
        candidates: &mut [(usize, usize)],
        out: &mut Vec<Match>,
    ) {
        candidates.sort_unstable();
        for group in candidates.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(index, _)) = group.first() else {
                continue;
            };
            let Some(d) = self.detectors.get(index) else {
                continue;
            };
            let reach = match &d.trigger {
                Trigger::Literals { back, max_len, .. } => Reach::Contains(*back, *max_len),
                Trigger::Context { back, window, .. } => Reach::Near(*back, *window),
                Trigger::Token(_) | Trigger::Fallback => continue,
            };
            let positions: Vec<usize> = group.iter().map(|&(_, p)| p).collect();
            let (back, ahead) = reach.bounds();
            let mut i = 0;
            while let Some(&first) = positions.get(i) {
                let mut end = first.saturating_add(ahead);
                let mut j = i + 1;
                while let Some(&p) = positions.get(j) {
                    if p.saturating_sub(back) > end {
                        break;
                    }
                    end = end.max(p.saturating_add(ahead));
                    j += 1;
                }
                let members = positions.get(i..j).unwrap_or(&[]);
                let range = first.saturating_sub(back)..end.min(hay.len());
                self.confirm_range(index, d, hay, range, members, reach, out);
                i = j;
            }
        }
    }

    /// Searches one merged range and accepts the matches that belong to a candidate.
    #[allow(clippy::too_many_arguments)]
    fn confirm_range(
        &self,
        index: usize,
        d: &Detector,
        hay: &[u8],
        range: std::ops::Range<usize>,
        members: &[usize],
        reach: Reach,
        out: &mut Vec<Match>,
    ) {
        let Some(regex) = &d.regex else { return };
        if range.start >= range.end {
            return;
        }
        #[cfg(test)]
        tests::RANGES.with(|n| n.set(n.get() + 1));
        for found in regex.captures_iter(Input::new(hay).range(range)) {
            let Some(whole) = found.get_match() else {
                continue;
            };
            if reach.belongs(whole.start(), whole.end(), members) {
                let span = found.get_group(1).unwrap_or(whole.span());
                self.accept(index, d, hay, span.start, span.end, out);
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

/// Whether one of the detector's context words occurs, in any case, near `[start, end)`
/// (before it or after it, not inside it), at the start of a word (`ssn:` counts, `lessn`
/// does not); words of three letters or fewer must also end there (`ip` is not `ipsum`).
fn near(hay: &[u8], start: usize, end: usize, words: &HotWords) -> bool {
    let before = hay
        .get(start.saturating_sub(CONTEXT_BEFORE)..start)
        .unwrap_or(&[]);
    let after = hay
        .get(end..end.saturating_add(CONTEXT_AFTER).min(hay.len()))
        .unwrap_or(&[]);
    words.any_in(before) || words.any_in(after)
}

/// A detector's context words, matched case-insensitively at word starts.
#[derive(Debug, Clone)]
pub(crate) struct HotWords {
    /// Lower-case words, sorted.
    words: Vec<Vec<u8>>,
    /// For each lower-case first byte, the range of `words` starting with it.
    by_first: [(u8, u8); 256],
}

impl HotWords {
    pub(crate) fn new(words: &[String]) -> HotWords {
        let mut sorted: Vec<Vec<u8>> = words
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .filter(|w| !w.is_empty())
            .take(255)
            .collect();
        sorted.sort();
        let mut by_first = [(0u8, 0u8); 256];
        for (i, w) in sorted.iter().enumerate() {
            if let Some(&b) = w.first() {
                let slot = &mut by_first[usize::from(b)];
                if slot.1 == 0 {
                    slot.0 = i as u8;
                }
                slot.1 = i as u8 + 1;
            }
        }
        HotWords {
            words: sorted,
            by_first,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Visits only word starts (a letter after a non-letter), found eight bytes at a time.
    fn any_in(&self, window: &[u8]) -> bool {
        let mut at = 0;
        let mut prev_letter = false;
        while at < window.len() {
            let Some(w) = swar::load(window, at) else {
                return self.scalar_from(window, at, prev_letter);
            };
            let letters = swar::letters(w);
            let starts = letters & !((letters << 8) | u64::from(prev_letter) << 7);
            let mut bits = starts;
            while bits != 0 {
                let i = at + (bits.trailing_zeros() / 8) as usize;
                if self.word_at(window, i) {
                    return true;
                }
                bits &= bits - 1;
            }
            prev_letter = letters >> 63 != 0;
            at += 8;
        }
        false
    }

    fn scalar_from(&self, window: &[u8], from: usize, mut prev_letter: bool) -> bool {
        for (i, b) in window.iter().enumerate().skip(from) {
            let letter = b.is_ascii_alphabetic();
            if letter && !prev_letter && self.word_at(window, i) {
                return true;
            }
            prev_letter = letter;
        }
        false
    }

    /// Whether a context word starts at `i` (short words must also end there).
    fn word_at(&self, window: &[u8], i: usize) -> bool {
        let Some(&b) = window.get(i) else {
            return false;
        };
        let (from, to) = self.by_first[usize::from(b.to_ascii_lowercase())];
        let candidates = self
            .words
            .get(usize::from(from)..usize::from(to))
            .unwrap_or(&[]);
        candidates.iter().any(|w| {
            let Some(text) = window.get(i..i + w.len()) else {
                return false;
            };
            let after_letter = window.get(i + w.len()).is_some_and(u8::is_ascii_alphabetic);
            text.eq_ignore_ascii_case(w) && (w.len() > 3 || !after_letter)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::HotWords;
    use crate::Scanner;

    thread_local! {
        /// Merged candidate ranges searched on this thread.
        pub(super) static RANGES: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn regression_a_flood_of_candidates_is_one_search_not_one_per_candidate() {
        let scanner = Scanner::builtin();
        let flood = "eyJ".repeat(20_000);
        RANGES.with(|n| n.set(0));
        assert!(scanner.scan(flood.as_bytes()).is_empty());
        let searched = RANGES.with(Cell::get);
        assert!(
            searched <= 2,
            "{searched} range searches for one run of candidates"
        );
        let jwt = "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl";
        let hits = scanner.scan(format!("{jwt} and again {jwt}").as_bytes());
        let jwts = hits
            .iter()
            .filter(|m| scanner.detector(m).id() == "jwt")
            .count();
        assert_eq!(jwts, 2, "each token of a merged range is still found");
    }

    #[test]
    fn context_words_match_at_word_starts_in_any_case() {
        let hot = HotWords::new(&["ssn".into(), "ip".into(), "routing".into()]);
        assert!(hot.any_in(b"the SSN: is"));
        assert!(hot.any_in(b"a longer prefix of text, then Routing numbers"));
        assert!(hot.any_in(b"ip"));
        assert!(!hot.any_in(b"lessn and ipsum and shipping"));
        assert!(!hot.any_in(b""));
        assert!(
            hot.any_in(b"xxxxxxxxxxxxxxx ip"),
            "a word start right after a block edge"
        );
        assert!(
            !hot.any_in(b"xxxxxxxip"),
            "not a word start across a block edge"
        );
    }
}
