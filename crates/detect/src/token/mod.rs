//! The token pass: one sweep over the bytes that finds digit groups, words holding digits and
//! `@` signs, and hands each to the hand-written parsers of the token detectors.
//!
//! Dense chat and log text is full of numbers, so this pass is built to make rejecting a token
//! cheap: a word-at-a-time (SWAR) search skips bytes that are neither digits nor `@`, every
//! token is visited once, and a parser looks at a token only when its digit count and shape
//! can fit (a 9-digit group may be an SSN, never a card).
#![deny(clippy::indexing_slicing)]

mod digits;
mod net;
mod words;

use crate::spec::TokenKind;
use crate::swar;

/// A token detector's hit: the span and a confidence delta for its shape (e.g. a formatted
/// SSN is more likely than nine bare digits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    pub delta: f32,
}

/// Which token kinds are enabled, indexed by `TokenKind as usize`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Enabled([bool; TokenKind::COUNT]);

impl Enabled {
    pub fn set(&mut self, kind: TokenKind) {
        if let Some(slot) = self.0.get_mut(kind as usize) {
            *slot = true;
        }
    }

    pub fn has(&self, kind: TokenKind) -> bool {
        self.0.get(kind as usize).copied().unwrap_or(false)
    }

    pub fn any(&self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

/// The state of one sweep: the haystack, the enabled kinds and where hits go.
pub(crate) struct Sweep<'h, 'o> {
    pub hay: &'h [u8],
    pub on: Enabled,
    pub out: &'o mut Vec<Hit>,
    /// End of the last span tried as IPv6/MAC, so an address is tried once.
    hexcolon_done: usize,
}

impl<'h, 'o> Sweep<'h, 'o> {
    pub fn new(hay: &'h [u8], on: Enabled, out: &'o mut Vec<Hit>) -> Self {
        Sweep {
            hay,
            on,
            out,
            hexcolon_done: 0,
        }
    }

    pub(crate) fn emit(&mut self, kind: TokenKind, start: usize, end: usize, delta: f32) {
        if self.on.has(kind) {
            self.out.push(Hit {
                kind,
                start,
                end,
                delta,
            });
        }
    }

    pub(crate) fn byte(&self, i: usize) -> u8 {
        self.hay.get(i).copied().unwrap_or(0)
    }

    /// Runs the sweep over the whole haystack.
    pub fn run(&mut self) {
        let mut i = 0;
        loop {
            let p = next_interesting(self.hay, i);
            if p >= self.hay.len() {
                return;
            }
            i = if self.byte(p) == b'@' {
                self.at_sign(p)
            } else {
                self.digit(p, i)
            };
        }
    }

    /// A digit at `p`; `floor` is where the sweep resumed, the lowest byte not yet seen.
    fn digit(&mut self, p: usize, floor: usize) -> usize {
        let hay = self.hay;
        if p > 0 && is_alnum(self.byte(p - 1)) {
            let s = word_start(hay, p, floor);
            let e = word_end(hay, p);
            if let Some(end) = uuid_end(hay, s, e) {
                return end;
            }
            self.word_token(s, e);
            return e;
        }
        let run_end = digit_end(hay, p);
        if is_alnum(self.byte(run_end)) {
            let e = word_end(hay, run_end);
            if let Some(end) = uuid_end(hay, p, e) {
                return end;
            }
            self.word_token(p, e);
            return e;
        }
        if self.lone_short_number(p, run_end) {
            return run_end;
        }
        let skip = match run_end - p {
            4 => timestamp_end(hay, p),
            8 => uuid_end(hay, p, run_end),
            _ => None,
        };
        if let Some(end) = skip {
            return end;
        }
        let end = self.group(p);
        self.hexcolon(p, run_end);
        end.max(p + 1)
    }

    /// A word holding a digit. Words shorter than nine bytes matter only with an IBAN or NI
    /// prefix (`GB82 WEST …`) or next to a `:` or `-` (IPv6, MAC); most are skipped at once.
    #[inline]
    fn word_token(&mut self, s: usize, e: usize) {
        let upper_prefix =
            self.byte(s).is_ascii_uppercase() && self.byte(s + 1).is_ascii_uppercase();
        if e - s >= 9 || upper_prefix {
            self.word(s, e);
        }
        let edge = |b: u8| b == b':' || b == b'-';
        if edge(self.byte(e)) || (s > 0 && self.byte(s - 1) == b':') {
            self.hexcolon(s, e);
        }
    }

    /// A number of fewer than eight digits that no separator continues and no `(`, `+`, `:`
    /// or `-` touches is nothing the catalog looks for: the common case in dense text
    /// (status codes, durations, counts), skipped without building a group.
    fn lone_short_number(&self, p: usize, end: usize) -> bool {
        let next = self.byte(end);
        let prev = if p > 0 { self.byte(p - 1) } else { b' ' };
        let continues = matches!(next, b' ' | b'.' | b'/') && self.byte(end + 1).is_ascii_digit();
        end - p < 8
            && end - p != 6
            && !continues
            && !matches!(next, b':' | b')' | b'-')
            && !matches!(prev, b'(' | b'+' | b':')
    }

    /// Tries IPv6 and MAC addresses around a token that touches a `:` or is a MAC's `xx-`.
    #[inline]
    fn hexcolon(&mut self, s: usize, e: usize) {
        let hexish = |b: u8| b.is_ascii_hexdigit() || b == b':';
        let next = self.byte(e);
        // A colon with hex on its far side too (`"status":400` has a quote there).
        let colon_after = next == b':' && hexish(self.byte(e + 1));
        let colon_before = s > 1 && self.byte(s - 1) == b':' && hexish(self.byte(s - 2));
        let dash_mac = next == b'-' && e == s + 2;
        if !(colon_after || colon_before || dash_mac) || s < self.hexcolon_done {
            return;
        }
        if let Some(end) = net::hexcolon(self, s) {
            self.hexcolon_done = end;
        }
    }
}

/// Position of the next digit or `@` at or after `i`, or `hay.len()`.
#[inline]
fn next_interesting(hay: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = hay.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let w = u64::from_le_bytes(bytes);
        let low7 = w & !HI;
        // Per-byte compare without carries: each byte of low7 is at most 0x7f.
        let ge_0 = low7 + LO * (0x80 - b'0' as u64);
        let ge_colon = low7 + LO * (0x80 - b':' as u64);
        let digit = ge_0 & !ge_colon & !w & HI;
        // Zero-byte test for '@'; its lowest set bit is exact, higher ones may not be.
        let x = w ^ (LO * b'@' as u64);
        let at = x.wrapping_sub(LO) & !x & HI;
        let mask = digit | at;
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = hay.get(i) {
        if b.is_ascii_digit() || b == b'@' {
            return i;
        }
        i += 1;
    }
    hay.len()
}

/// The end of an ISO 8601 date or timestamp starting at `p` (`2024-05-16`,
/// `2024-05-16T23:49:11.009Z`, `2024-03-25 14:55:22+01:00`), which no detector reads as a
/// token: log lines start with one, and skipping it whole saves a group, a word and the
/// colons of the time. Dates of birth are found from their context words, not here.
fn timestamp_end(hay: &[u8], p: usize) -> Option<usize> {
    let digits = |at: usize, n: usize| {
        hay.get(at..at + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let byte = |at: usize| hay.get(at).copied().unwrap_or(0);
    let date = digits(p, 4)
        && byte(p + 4) == b'-'
        && digits(p + 5, 2)
        && byte(p + 7) == b'-'
        && digits(p + 8, 2);
    if !date {
        return None;
    }
    let mut end = p + 10;
    let time = matches!(byte(end), b'T' | b' ') && digits(end + 1, 2) && byte(end + 3) == b':';
    if time && digits(end + 4, 2) {
        end += 6;
        if byte(end) == b':' && digits(end + 1, 2) {
            end += 3;
            if matches!(byte(end), b'.' | b',') && byte(end + 1).is_ascii_digit() {
                end = digit_end(hay, end + 1);
            }
        }
        if byte(end) == b'Z' {
            end += 1;
        } else if matches!(byte(end), b'+' | b'-') && digits(end + 1, 2) {
            end += 3;
            if byte(end) == b':' && digits(end + 1, 2) {
                end += 3;
            } else if digits(end, 2) {
                end += 2;
            }
        }
    }
    // Glued to more digits or letters, it is something else (an id, a version).
    (!is_alnum(byte(end))).then_some(end)
}

/// The end of a UUID whose first group is the word `[s, e)` (`9d6ed198-31d8-4d7d-…`): its
/// five hex groups are skipped whole (and a 12-digit last group is not read as a card).
fn uuid_end(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    if e - s != 8 {
        return None;
    }
    let mut at = s;
    for (i, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 {
            if hay.get(at) != Some(&b'-') {
                return None;
            }
            at += 1;
        }
        let group = hay.get(at..at + len)?;
        if !group.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        at += len;
    }
    (!hay.get(at).is_some_and(|&b| is_alnum(b) || b == b'-')).then_some(at)
}

#[inline]
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Start of the alphanumeric word holding `p`, not going below `floor`.
fn word_start(hay: &[u8], p: usize, floor: usize) -> usize {
    swar::start_of(hay, p, floor, swar::alnum, is_alnum)
}

/// End of the alphanumeric word holding `p`.
pub(crate) fn word_end(hay: &[u8], p: usize) -> usize {
    swar::end_of(hay, p, swar::alnum, is_alnum)
}

/// End of the run of digits starting at `p`.
pub(crate) fn digit_end(hay: &[u8], p: usize) -> usize {
    swar::end_of(hay, p, swar::digits, |b| b.is_ascii_digit())
}

/// Runs every enabled token parser over `hay`, appending hits to `out`.
pub(crate) fn sweep(hay: &[u8], on: Enabled, out: &mut Vec<Hit>) {
    if on.any() {
        Sweep::new(hay, on, out).run();
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn next_interesting_finds_digits_and_at_signs() {
        let hay = b"abcdefghijk@lmnop 7";
        assert_eq!(next_interesting(hay, 0), 11);
        assert_eq!(next_interesting(hay, 12), 18);
        assert_eq!(next_interesting(b"no such bytes here at all", 0), 25);
        assert_eq!(
            next_interesting("h\u{e9}llo w\u{f6}rld 0".as_bytes(), 0),
            14
        );
    }

    #[test]
    fn next_interesting_agrees_with_a_plain_loop() {
        let hay: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let mut i = 0;
        while i < hay.len() {
            let want = (i..hay.len())
                .find(|&j| hay[j].is_ascii_digit() || hay[j] == b'@')
                .unwrap_or(hay.len());
            assert_eq!(next_interesting(&hay, i), want, "from {i}");
            i = want + 1;
        }
    }

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        let mut on = Enabled::default();
        for kind in [
            TokenKind::Card,
            TokenKind::Email,
            TokenKind::Ipv4,
            TokenKind::Ipv6,
        ] {
            on.set(kind);
        }
        let mut hits = Vec::new();
        sweep(text.as_bytes(), on, &mut hits);
        hits.iter()
            .map(|h| (h.kind, text[h.start..h.end].to_string()))
            .collect()
    }

    #[test]
    fn tokens_are_found_at_every_offset() {
        for pad in 0..40 {
            let text = format!(
                "{}x 4111 1111 1111 1111 a@corp.io fe80::1 10.1.2.3",
                "y ".repeat(pad)
            );
            let found = kinds(&text);
            assert_eq!(found.len(), 4, "pad {pad}: {found:?}");
        }
    }

    #[test]
    fn timestamps_are_skipped_whole_and_only_timestamps() {
        for (text, len) in [
            ("2024-05-16T23:49:11.009Z rest", 24),
            ("2024-03-25 14:55:22] x", 19),
            ("2024-03-25 14:55:22+01:00 x", 25),
            ("2024-03-25 14:55 x", 16),
            ("2024-03-25 x", 10),
        ] {
            assert_eq!(timestamp_end(text.as_bytes(), 0), Some(len), "{text}");
        }
        for text in [
            "2024-05-1",
            "2024-05-16T",
            "2024-05-16x",
            "4111-1111-1111",
            "2024-05-16123",
        ] {
            let end = timestamp_end(text.as_bytes(), 0);
            assert!(
                end.is_none() || text.as_bytes().get(end.unwrap_or(0)).is_none(),
                "{text}"
            );
        }
        let found = kinds("2024-05-16T23:49:11.009Z client 10.1.2.3 mail a@corp.io");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn uuids_are_skipped_whole() {
        let text = b"id=9d6ed198-31d8-4d7d-b96e-e0a78bfdcb5e ok";
        assert_eq!(uuid_end(text, 3, 11), Some(39));
        assert_eq!(uuid_end(b"9d6ed198-31d8", 0, 8), None);
        assert_eq!(
            uuid_end(b"9d6ed198-31d8-4d7d-b96e-e0a78bfdcb5eff", 0, 8),
            None
        );
        let card_like = "trace 12345678-1234-1234-1234-401288888881 client 10.1.2.3";
        assert_eq!(
            kinds(card_like),
            vec![(TokenKind::Ipv4, "10.1.2.3".to_string())]
        );
    }

    #[test]
    fn regression_a_number_before_an_address_does_not_hide_it() {
        let found = kinds("port 8080 10.0.0.1 up");
        assert_eq!(found, vec![(TokenKind::Ipv4, "10.0.0.1".to_string())]);
    }
}
