//! Digit groups: runs of digits joined by single separators (`4111 1111 1111 1111`,
//! `415-555-2671`, `10.0.0.1`), and the parsers that read them as cards, SSNs, ITINs, routing
//! numbers, NHS numbers, phone numbers, IPv4 addresses and spaced NI numbers.

use super::{digit_end, is_alnum, Sweep};
use crate::spec::TokenKind;
use crate::validate;

const MAX_RUNS: usize = 8;

/// A digit group: up to eight runs, the separator before each run after the first.
#[derive(Debug, Default)]
struct Group {
    start: usize,
    /// End of each run.
    ends: [usize; MAX_RUNS],
    lens: [usize; MAX_RUNS],
    seps: [u8; MAX_RUNS],
    runs: usize,
}

impl Group {
    /// Appends a run ending at `end`, `len` digits long, after separator `sep` (0: none).
    fn push(&mut self, end: usize, len: usize, sep: u8) {
        let k = self.runs;
        if let (Some(e), Some(l), Some(s)) = (
            self.ends.get_mut(k),
            self.lens.get_mut(k),
            self.seps.get_mut(k),
        ) {
            (*e, *l, *s) = (end, len, sep);
            self.runs += 1;
        }
    }

    /// End of run `k` (the group's start for runs before the first).
    fn end_of(&self, k: usize) -> usize {
        self.ends.get(k).copied().unwrap_or(self.start)
    }

    /// Start of run `k`.
    fn start_of(&self, k: usize) -> usize {
        match k.checked_sub(1) {
            Some(prev) => self.end_of(prev) + 1,
            None => self.start,
        }
    }

    fn end(&self) -> usize {
        self.end_of(self.runs.wrapping_sub(1))
    }

    fn lens(&self) -> &[usize] {
        self.lens.get(..self.runs).unwrap_or(&[])
    }

    /// Separators between runs (empty for one run).
    fn seps(&self) -> &[u8] {
        self.seps.get(1..self.runs).unwrap_or(&[])
    }

    /// The group of runs `j..`, starting after the separator before run `j`.
    fn suffix(&self, j: usize) -> Group {
        let mut g = Group {
            start: self.start_of(j),
            ..Group::default()
        };
        let runs = self
            .ends
            .iter()
            .zip(&self.lens)
            .zip(&self.seps)
            .take(self.runs);
        for (k, ((&end, &len), &sep)) in runs.enumerate().skip(j) {
            g.push(end, len, if k == j { 0 } else { sep });
        }
        g
    }

    fn digits(&self) -> usize {
        self.lens().iter().sum()
    }

    /// All separators equal and one of `allowed`.
    fn uniform_seps(&self, allowed: &[u8]) -> bool {
        let seps = self.seps();
        seps.first()
            .is_none_or(|s| allowed.contains(s) && seps.iter().all(|x| x == s))
    }
}

impl Sweep<'_, '_> {
    /// Reads the digit group starting at `p` and runs the parsers; returns where to resume.
    pub(super) fn group(&mut self, p: usize) -> usize {
        let hay = self.hay;
        let mut g = Group {
            start: p,
            ..Group::default()
        };
        let mut q = p;
        let mut sep_before = 0;
        loop {
            let r = digit_end(hay, q);
            g.push(r, r - q, sep_before);
            let sep = self.byte(r);
            if g.runs == MAX_RUNS || !matches!(sep, b' ' | b'-' | b'.' | b'/') {
                break;
            }
            if !self.byte(r + 1).is_ascii_digit() || is_alnum(self.byte(digit_end(hay, r + 1))) {
                break;
            }
            sep_before = sep;
            q = r + 1;
        }
        let before = self.out.len();
        self.parse_group(&g);
        if self.out.len() == before {
            // Spaces also join unrelated numbers (`port 8080 10.0.0.1`): try what follows
            // each space on its own.
            for j in 1..g.runs {
                if g.seps.get(j) == Some(&b' ') {
                    self.parse_group(&g.suffix(j));
                    if self.out.len() > before {
                        break;
                    }
                }
            }
        }
        g.end()
    }

    fn parse_group(&mut self, g: &Group) {
        let digits = g.digits();
        if digits >= 12 {
            self.card(g);
        }
        if (8..=15).contains(&digits) {
            self.phone(g);
        }
        match digits {
            9 => self.nine(g),
            10 => self.nhs(g),
            6 => self.nino_spaced(g),
            3 => self.paren_phone(g),
            _ => {}
        }
        if g.runs == 4 {
            self.ipv4(g);
        }
    }

    /// Collects the digits of the first `runs` runs into `buf`.
    fn collect<'b>(&self, g: &Group, runs: usize, buf: &'b mut [u8; 24]) -> &'b [u8] {
        let mut n = 0;
        for k in 0..runs {
            for &b in self.hay.get(g.start_of(k)..g.end_of(k)).unwrap_or(&[]) {
                if let Some(slot) = buf.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
            }
        }
        buf.get(..n).unwrap_or(&[])
    }

    /// Payment cards: plain, or in groups of four (the last shorter), or Amex/Diners 4-6-5/4-6-4.
    fn card(&mut self, g: &Group) {
        if !g.uniform_seps(b" -") {
            return;
        }
        let lens = g.lens();
        let mut total = 0;
        for (k, len) in lens.iter().enumerate() {
            total += len;
            if total > 19 {
                return;
            }
            if total < 12 || !card_shape(lens.get(..=k).unwrap_or(&[])) {
                continue;
            }
            let mut buf = [0u8; 24];
            let digits = self.collect(g, k + 1, &mut buf);
            if validate::luhn(digits) && validate::card_issuer(digits).is_some() {
                self.emit(TokenKind::Card, g.start, g.end_of(k), 0.0);
                return;
            }
        }
    }

    /// Nine digits: SSN or ITIN (3-2-4 or plain), ABA routing numbers (plain).
    fn nine(&mut self, g: &Group) {
        let lens = g.lens();
        let formatted = lens == [3, 2, 4] && g.uniform_seps(b"- ");
        if !(formatted || lens == [9]) {
            return;
        }
        let mut buf = [0u8; 24];
        let digits = self.collect(g, g.runs, &mut buf);
        let delta = if formatted { 0.0 } else { -0.3 };
        if validate::us_ssn(digits) {
            self.emit(TokenKind::Ssn, g.start, g.end(), delta);
        }
        if validate::us_itin(digits) {
            self.emit(TokenKind::Itin, g.start, g.end(), delta);
        }
        if lens == [9] && validate::aba_routing(digits) {
            self.emit(TokenKind::Aba, g.start, g.end(), 0.0);
        }
    }

    /// NHS numbers: 3-3-4 or ten plain digits, mod-11.
    fn nhs(&mut self, g: &Group) {
        let lens = g.lens();
        let formatted = lens == [3, 3, 4] && g.uniform_seps(b"- ");
        if !(formatted || lens == [10]) {
            return;
        }
        let mut buf = [0u8; 24];
        let digits = self.collect(g, g.runs, &mut buf);
        if validate::uk_nhs(digits) {
            self.emit(
                TokenKind::Nhs,
                g.start,
                g.end(),
                if formatted { 0.1 } else { 0.0 },
            );
        }
    }

    /// Phone numbers: `+` international, `(415) 555-2671`, 415-555-2671, 0xx national forms.
    fn phone(&mut self, g: &Group) {
        let lens = g.lens();
        let digits = g.digits();
        let plus = g.start > 0 && self.byte(g.start - 1) == b'+';
        let lead = self.byte(g.start);
        if plus {
            if lead != b'0' && g.seps().iter().all(|s| matches!(s, b' ' | b'-' | b'.')) {
                self.emit(TokenKind::Phone, g.start - 1, g.end(), 0.1);
            }
            return;
        }
        let dashes = g.seps().iter().all(|s| matches!(s, b' ' | b'-' | b'.'));
        let nanp = matches!(lens, [3, 3, 4] | [1, 3, 3, 4]) && dashes && g.uniform_seps(b"-. ");
        let national = lead == b'0'
            && (10..=11).contains(&digits)
            && g.runs >= 2
            && lens.iter().all(|&l| l >= 2)
            && g.uniform_seps(b" -");
        if (nanp && (lens.len() == 3 || lead == b'1')) || national {
            self.emit(TokenKind::Phone, g.start, g.end(), 0.0);
        } else if lens == [10] {
            self.emit(TokenKind::Phone, g.start, g.end(), -0.2);
        }
    }

    /// `(415) 555-2671`: called on the group `415` between parentheses.
    fn paren_phone(&mut self, g: &Group) {
        let open = g.start.checked_sub(1).filter(|&o| self.byte(o) == b'(');
        let Some(open) = open else { return };
        let mut q = g.end();
        if g.lens() != [3] || self.byte(q) != b')' {
            return;
        }
        q += 1;
        if self.byte(q) == b' ' {
            q += 1;
        }
        let r = digit_end(self.hay, q);
        if r - q != 3 || !matches!(self.byte(r), b'-' | b'.' | b' ') {
            return;
        }
        let e = digit_end(self.hay, r + 1);
        if e - (r + 1) == 4 && !is_alnum(self.byte(e)) {
            self.emit(TokenKind::Phone, open, e, 0.1);
        }
    }

    /// IPv4: four dot-separated runs of at most three digits, each at most 255, no leading 0.
    fn ipv4(&mut self, g: &Group) {
        if !g.uniform_seps(b".") || g.lens().iter().any(|&l| l > 3) {
            return;
        }
        for k in 0..4 {
            let part = self.hay.get(g.start_of(k)..g.end_of(k)).unwrap_or(&[]);
            let value = part.iter().fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
            if value > 255 || (part.len() > 1 && part.first() == Some(&b'0')) {
                return;
            }
        }
        self.emit(TokenKind::Ipv4, g.start, g.end(), 0.0);
    }

    /// `AB 12 34 56 C`: two letters and a space before the group, a space and a letter after.
    fn nino_spaced(&mut self, g: &Group) {
        let shape_ok = matches!(g.lens(), [2, 2, 2] | [6]) && g.uniform_seps(b" ");
        if !shape_ok || g.start < 3 {
            return;
        }
        let (s, e) = (g.start - 3, g.end());
        let before_ok = s == 0 || !is_alnum(self.byte(s - 1));
        let shape = self.byte(s).is_ascii_uppercase()
            && self.byte(s + 1).is_ascii_uppercase()
            && self.byte(s + 2) == b' '
            && self.byte(e) == b' '
            && matches!(self.byte(e + 1), b'A'..=b'D')
            && !is_alnum(self.byte(e + 2));
        if !(before_ok && shape) {
            return;
        }
        let mut compact = [0u8; 9];
        let raw = self.hay.get(s..e + 2).unwrap_or(&[]);
        let mut n = 0;
        for &b in raw.iter().filter(|&&b| b != b' ') {
            if let Some(slot) = compact.get_mut(n) {
                *slot = b;
                n += 1;
            }
        }
        if n == 9 && validate::uk_nino(&compact) {
            self.emit(TokenKind::Nino, s, e + 2, 0.0);
        }
    }
}

/// Card groupings: one run; runs of four with a shorter last run; 4-6-5 and 4-6-4.
fn card_shape(lens: &[usize]) -> bool {
    match lens {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|&l| l == 4) && (1..=4).contains(last),
        [] => false,
    }
}

#[cfg(test)]
mod tests {
    use super::card_shape;

    #[test]
    fn card_shapes() {
        assert!(card_shape(&[16]));
        assert!(card_shape(&[4, 4, 4, 4]));
        assert!(card_shape(&[4, 6, 5]));
        assert!(card_shape(&[4, 4, 4, 4, 3]));
        assert!(!card_shape(&[8, 4, 4]));
        assert!(!card_shape(&[3, 3, 4, 4]));
    }
}
