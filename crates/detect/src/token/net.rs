//! Network identifiers: e-mail addresses, IPv6 and MAC addresses.

use std::net::Ipv6Addr;

use super::Sweep;
use crate::spec::TokenKind;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

fn local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

impl Sweep<'_, '_> {
    /// An `@` at `p`: reads the e-mail address around it; returns where to resume.
    pub(super) fn at_sign(&mut self, p: usize) -> usize {
        let hay = self.hay;
        let mut s = p;
        while s > 0 && p - s < MAX_LOCAL && hay.get(s - 1).is_some_and(|&b| local_char(b)) {
            s -= 1;
        }
        while s < p && self.byte(s) == b'.' {
            s += 1;
        }
        let mut e = p + 1;
        while e - p <= MAX_DOMAIN && hay.get(e).is_some_and(|&b| domain_char(b)) {
            e += 1;
        }
        while e > p + 1 && matches!(self.byte(e - 1), b'.' | b'-') {
            e -= 1;
        }
        let address = s < p && self.byte(p - 1) != b'.' && !self.url_userinfo(s);
        if address && valid_domain(hay.get(p + 1..e).unwrap_or(&[])) {
            self.emit(TokenKind::Email, s, e, 0.0);
            return e.max(p + 1);
        }
        // Not an address: what follows the `@` (an IP in `user@10.0.0.1`) is swept as usual.
        p + 1
    }
}

impl Sweep<'_, '_> {
    /// Whether the would-be local part starting at `s` is the password of a URL's userinfo
    /// (`scheme://user:PASSWORD@host`): that is a credential, not an e-mail address.
    fn url_userinfo(&self, s: usize) -> bool {
        if s == 0 || self.byte(s - 1) != b':' {
            return false;
        }
        let from = s.saturating_sub(MAX_LOCAL + 16);
        let before = self.hay.get(from..s - 1).unwrap_or(&[]);
        let token_start = before
            .iter()
            .rposition(|b| b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        memchr::memmem::find(before.get(token_start..).unwrap_or(&[]), b"://").is_some()
    }
}

/// A domain with at least two labels, no empty label, and an alphabetic top-level label.
fn valid_domain(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 || label.first() == Some(&b'-') {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && (2..=24).contains(&last.len()) && last.iter().all(u8::is_ascii_alphabetic)
}

/// Tries an IPv6 or MAC address around `s`; returns the end of the span it examined.
pub(super) fn hexcolon(sweep: &mut Sweep<'_, '_>, s: usize) -> Option<usize> {
    let hay = sweep.hay;
    let hexish = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
    let mut a = s;
    while a > 0 && s - a < 45 && hay.get(a - 1).is_some_and(|&b| hexish(b)) {
        a -= 1;
    }
    let mut b = s;
    while b - a < 45 && hay.get(b).is_some_and(|&c| hexish(c)) {
        b += 1;
    }
    // Glued to a word on either side (`T23:49:11Z` in a timestamp): not an address; the
    // whole span is marked as tried so its other tokens skip it.
    let glued = |i: Option<usize>| {
        i.and_then(|i| hay.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    if glued(a.checked_sub(1)) || glued(Some(b)) {
        return Some(b);
    }
    while b > a && matches!(sweep.byte(b - 1), b'.') {
        b -= 1;
    }
    let span = hay.get(a..b)?;
    if is_mac(span, b':') {
        sweep.emit(TokenKind::Mac, a, b, 0.0);
    } else if ipv6_shape(span) {
        let text = std::str::from_utf8(span).ok()?;
        if text.parse::<Ipv6Addr>().is_ok() {
            sweep.emit(TokenKind::Ipv6, a, b, 0.0);
        }
    } else {
        let dash = hay.get(s..s + 17)?;
        let after = hay.get(s + 17).copied().unwrap_or(b' ');
        if is_mac(dash, b'-') && !after.is_ascii_alphanumeric() && after != b'-' {
            sweep.emit(TokenKind::Mac, s, s + 17, 0.0);
            return Some(s + 17);
        }
    }
    Some(b)
}

/// Enough colons for IPv6: seven, or a `::` and at least two (`14:24:37` is a time).
fn ipv6_shape(span: &[u8]) -> bool {
    let colons = span.iter().filter(|&&c| c == b':').count();
    colons >= 7 || (colons >= 2 && memchr::memmem::find(span, b"::").is_some())
}

/// `xx:xx:xx:xx:xx:xx` with the given separator.
fn is_mac(span: &[u8], sep: u8) -> bool {
    span.len() == 17
        && span.iter().enumerate().all(|(i, &c)| {
            if i % 3 == 2 {
                c == sep
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::valid_domain;

    #[test]
    fn domains() {
        assert!(valid_domain(b"corp-mail.com"));
        assert!(valid_domain(b"a.b.example.co.uk"));
        assert!(!valid_domain(b"localhost"));
        assert!(!valid_domain(b"example..com"));
        assert!(!valid_domain(b"example.c0m"));
    }
}
