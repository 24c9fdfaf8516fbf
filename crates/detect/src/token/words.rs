//! Words that hold digits: IBANs, NI numbers, Bitcoin and Ethereum addresses, Twilio keys.

use super::{is_alnum, word_end, Sweep};
use crate::spec::TokenKind;
use crate::validate;

impl Sweep<'_, '_> {
    /// Looks at the alphanumeric word `[s, e)`, which holds at least one digit.
    pub(super) fn word(&mut self, s: usize, e: usize) {
        let Some(w) = self.hay.get(s..e) else { return };
        match w {
            [b'0', b'x' | b'X', ..] if w.len() == 42 && validate::ethereum(w) => {
                self.emit(TokenKind::Ethereum, s, e, 0.0);
            }
            [b'1' | b'3', ..] if (26..=35).contains(&w.len()) && validate::bitcoin_base58(w) => {
                self.emit(TokenKind::Bitcoin, s, e, 0.0);
            }
            [b'b' | b'B', b'c' | b'C', b'1', ..]
                if (14..=74).contains(&w.len()) && validate::bitcoin_bech32(w) =>
            {
                self.emit(TokenKind::Bitcoin, s, e, 0.0);
            }
            [b'S', b'K', rest @ ..]
                if rest.len() == 32 && rest.iter().all(u8::is_ascii_hexdigit) =>
            {
                self.emit(TokenKind::Twilio, s, e, 0.0);
            }
            [a, b, c, d, ..]
                if a.is_ascii_uppercase()
                    && b.is_ascii_uppercase()
                    && c.is_ascii_digit()
                    && d.is_ascii_digit() =>
            {
                self.iban(s, e);
                if w.len() == 9 && validate::uk_nino(w) {
                    self.emit(TokenKind::Nino, s, e, 0.0);
                }
            }
            _ => {}
        }
    }

    /// An IBAN starting with the word `[s, e)`: compact, or in space-separated groups of four.
    fn iban(&mut self, s: usize, e: usize) {
        let mut compact = [0u8; 34];
        let mut n = 0;
        let mut best = None;
        let mut start = s;
        let mut end = e;
        for _ in 0..9 {
            let part = self.hay.get(start..end).unwrap_or(&[]);
            if n + part.len() > compact.len() || part.iter().any(u8::is_ascii_lowercase) {
                break;
            }
            for (slot, &b) in compact.iter_mut().skip(n).zip(part) {
                *slot = b;
            }
            n += part.len();
            if n >= 15 && validate::iban(compact.get(..n).unwrap_or(&[])) {
                best = Some(end);
            }
            // The next group: one space, then up to four alphanumerics.
            if self.byte(end) != b' ' || !is_alnum(self.byte(end + 1)) || part.len() > 4 && n > 4 {
                break;
            }
            start = end + 1;
            end = word_end(self.hay, start);
            if end - start > 4 {
                break;
            }
        }
        if let Some(end) = best {
            self.emit(TokenKind::Iban, s, end, 0.0);
        }
    }
}
