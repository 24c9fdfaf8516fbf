//! Validators: the checksum, table and structure checks that turn a regex hit into a finding.
//!
//! A detector's regex finds text of the right *shape*; a validator decides whether that text is
//! *plausibly real*: a card number whose Luhn digit is right and whose prefix belongs to an
//! issuer that uses that length, an IBAN whose country length and mod-97 check agree, a Bitcoin
//! address whose double-SHA-256 or bech32 checksum holds, a GitHub token whose CRC32 suffix
//! matches. Passing a validator raises a finding's confidence; failing it drops the finding.
//!
//! Every function here is pure and total: it takes bytes exactly as the scanner matched them
//! (hostile, arbitrary, possibly huge), never panics, never indexes unchecked, and allocates only
//! where a check cannot be done without it (the JWT header's JSON). Functions that take `digits`
//! or `compact` input expect the separators already removed; [`Validator::check`] does that
//! normalisation for custom detectors, into a fixed stack buffer.
//!
//! The key design decision is to prefer *false negatives on malformed input over guesses*: each
//! validator states the exact published rule it implements (ISO 13616, BIP-173/350, EIP-55,
//! SSA and HMRC numbering rules, …) and rejects anything outside it, including values that are
//! well-formed but reserved for documentation or advertising (SSN 078-05-1120, NINO prefix
//! `QQ`).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::todo
)]

mod bech32;
mod card;
mod checksum;
mod crypto;
mod date;
mod iban;
mod national;
mod token;

#[cfg(test)]
mod proptests;

pub use bech32::bitcoin_bech32;
pub use card::card_issuer;
pub use checksum::{aba_routing, luhn, uk_nhs};
pub use crypto::{bitcoin_base58, ethereum};
pub use date::valid_date;
pub use iban::iban;
pub use national::{uk_nino, us_itin, us_ssn};
pub use token::{github_token, jwt, shannon_entropy};

/// Validators that custom YAML detectors may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validator {
    /// Luhn (mod-10) check digit, as on payment cards: [`luhn`].
    Luhn,
    /// IBAN country length and ISO 13616 mod-97 check: [`iban`].
    Iban,
    /// US ABA routing number (3-7-1 weights, Federal Reserve prefix): [`aba_routing`].
    AbaRouting,
    /// US Social Security number numbering rules: [`us_ssn`].
    UsSsn,
    /// US Individual Taxpayer Identification Number: [`us_itin`].
    UsItin,
    /// UK National Insurance number prefix and suffix rules: [`uk_nino`].
    UkNino,
    /// UK NHS number mod-11 check digit: [`uk_nhs`].
    UkNhs,
    /// Bitcoin address, base58check or bech32/bech32m: [`bitcoin_base58`], [`bitcoin_bech32`].
    Bitcoin,
    /// Ethereum address with EIP-55 mixed-case checksum: [`ethereum`].
    Ethereum,
    /// JSON Web Token (JWS compact form): [`jwt`].
    Jwt,
    /// GitHub classic token with CRC32 suffix: [`github_token`].
    GithubToken,
}

impl Validator {
    /// Every validator, in declaration order.
    pub const ALL: [Validator; 11] = [
        Validator::Luhn,
        Validator::Iban,
        Validator::AbaRouting,
        Validator::UsSsn,
        Validator::UsItin,
        Validator::UkNino,
        Validator::UkNhs,
        Validator::Bitcoin,
        Validator::Ethereum,
        Validator::Jwt,
        Validator::GithubToken,
    ];

    /// Looks a validator up by the name a YAML detector uses (`"luhn"`, `"us_ssn"`, …).
    ///
    /// Names are exact and lowercase; an unknown name gives `None`.
    pub fn from_name(name: &str) -> Option<Validator> {
        Validator::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The stable name of this validator, as accepted by [`Validator::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            Validator::Luhn => "luhn",
            Validator::Iban => "iban",
            Validator::AbaRouting => "aba_routing",
            Validator::UsSsn => "us_ssn",
            Validator::UsItin => "us_itin",
            Validator::UkNino => "uk_nino",
            Validator::UkNhs => "uk_nhs",
            Validator::Bitcoin => "bitcoin",
            Validator::Ethereum => "ethereum",
            Validator::Jwt => "jwt",
            Validator::GithubToken => "github_token",
        }
    }

    /// Checks a raw matched text.
    ///
    /// Digit validators (Luhn, ABA, SSN, ITIN, NHS) first drop the separators `' '`, `'-'` and
    /// `'.'`; IBAN and NINO drop spaces and uppercase. Bitcoin picks bech32 for a `bc1` prefix
    /// (any case) and base58check otherwise. The other validators see the text unchanged.
    /// Text too long to be valid after normalisation is rejected without being copied.
    pub fn check(self, matched: &[u8]) -> bool {
        match self {
            Validator::Luhn => with_digits(matched, luhn),
            Validator::AbaRouting => with_digits(matched, aba_routing),
            Validator::UsSsn => with_digits(matched, us_ssn),
            Validator::UsItin => with_digits(matched, us_itin),
            Validator::UkNhs => with_digits(matched, uk_nhs),
            Validator::Iban => with_compact_upper(matched, iban),
            Validator::UkNino => with_compact_upper(matched, uk_nino),
            Validator::Bitcoin => bitcoin(matched),
            Validator::Ethereum => ethereum(matched),
            Validator::Jwt => jwt(matched),
            Validator::GithubToken => github_token(matched),
        }
    }
}

impl std::fmt::Display for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Bitcoin address in either encoding: bech32 for `bc1…`, base58check otherwise.
fn bitcoin(addr: &[u8]) -> bool {
    match addr.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case(b"bc1") => bitcoin_bech32(addr),
        _ => bitcoin_base58(addr),
    }
}

/// Longest normalised value any validator accepts (IBAN: 34), with room to spare.
const COMPACT_CAP: usize = 40;

/// A normalised copy of matched text in a fixed stack buffer.
struct Compact {
    buf: [u8; COMPACT_CAP],
    len: usize,
}

impl Compact {
    /// Copies `input` through `map` (which drops a byte by returning `None`); `None` if the
    /// result would not fit.
    fn collect(input: &[u8], map: impl Fn(u8) -> Option<u8>) -> Option<Compact> {
        let mut out = Compact {
            buf: [0; COMPACT_CAP],
            len: 0,
        };
        for b in input.iter().copied().filter_map(map) {
            *out.buf.get_mut(out.len)? = b;
            out.len += 1;
        }
        Some(out)
    }

    fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// Runs `check` on `matched` without the digit separators `' '`, `'-'` and `'.'`.
fn with_digits(matched: &[u8], check: fn(&[u8]) -> bool) -> bool {
    let keep = |b: u8| (!matches!(b, b' ' | b'-' | b'.')).then_some(b);
    Compact::collect(matched, keep).is_some_and(|c| check(c.as_slice()))
}

/// Runs `check` on `matched` without spaces and uppercased.
fn with_compact_upper(matched: &[u8], check: fn(&[u8]) -> bool) -> bool {
    let keep = |b: u8| (b != b' ').then_some(b.to_ascii_uppercase());
    Compact::collect(matched, keep).is_some_and(|c| check(c.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for v in Validator::ALL {
            assert_eq!(Validator::from_name(v.name()), Some(v));
            assert_eq!(v.to_string(), v.name());
        }
        let mut names: Vec<_> = Validator::ALL.iter().map(|v| v.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Validator::ALL.len());
        assert_eq!(Validator::from_name("LUHN"), None);
        assert_eq!(Validator::from_name("credit_card"), None);
        assert_eq!(Validator::from_name(""), None);
    }

    #[test]
    fn check_normalises_digit_separators() {
        assert!(Validator::Luhn.check(b"4111 1111 1111 1111"));
        assert!(Validator::Luhn.check(b"4111-1111-1111-1111"));
        assert!(Validator::Luhn.check(b"4111.1111.1111.1111"));
        assert!(!Validator::Luhn.check(b"4111/1111/1111/1111"));
        assert!(Validator::UsSsn.check(b"536-90-4399"));
        assert!(!Validator::UsSsn.check(b"078-05-1120"));
        assert!(Validator::UsItin.check(b"912 70 1234"));
        assert!(Validator::AbaRouting.check(b"0210-0002-1"));
        assert!(Validator::UkNhs.check(b"943 476 5919"));
    }

    #[test]
    fn check_compacts_and_uppercases_iban_and_nino() {
        assert!(Validator::Iban.check(b"gb82 west 1234 5698 7654 32"));
        assert!(Validator::Iban.check(b"DE89 3704 0044 0532 0130 00"));
        assert!(!Validator::Iban.check(b"DE89-3704-0044-0532-0130-00"));
        assert!(Validator::UkNino.check(b"ab 12 34 56 c"));
        assert!(!Validator::UkNino.check(b"QQ 12 34 56 C"));
    }

    #[test]
    fn check_dispatches_bitcoin_by_prefix() {
        assert!(Validator::Bitcoin.check(b"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(Validator::Bitcoin.check(b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
        assert!(Validator::Bitcoin.check(b"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
        assert!(!Validator::Bitcoin.check(b"bc1"));
        assert!(!Validator::Bitcoin.check(b""));
    }

    #[test]
    fn check_passes_tokens_through_unchanged() {
        assert!(Validator::Ethereum.check(b"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(!Validator::Ethereum.check(b" 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(Validator::GithubToken.check(b"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"));
    }

    #[test]
    fn check_rejects_overlong_input_without_copying_it() {
        let long = [b'4'; 4096];
        for v in Validator::ALL {
            assert!(!v.check(&long), "{v}");
        }
        let spaced = [b' '; 4096];
        for v in Validator::ALL {
            assert!(!v.check(&spaced), "{v}");
        }
    }
}
