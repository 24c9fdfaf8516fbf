//! Leakwall's detection engine: find sensitive data in text, fast, with few false alarms.
//!
//! The main types are [`Scanner`] (every enabled detector, built once from a
//! [`ScannerConfig`] and shared by any number of threads), [`Detector`] (one entry of the
//! catalog: id, category, confidence, the regex of its matches, its validation) and [`Match`]
//! (a detector index, a byte span and a confidence: never a copy of the secret).
//!
//! # Design: candidates first, regexes last
//!
//! Real chat and log text is dense: every line has numbers, e-mails, URLs, UUIDs and hashes.
//! A union of 50 DLP regexes runs at ~12 MB/s on such text (see the detection-speed spec),
//! because its lazy DFA thrashes. So the scanner works in stages over ONE pass of the input:
//!
//! 1. **Candidates.** One Aho-Corasick automaton holds every literal prefix (`AKIA`, `ghp_`,
//!    `-----BEGIN`) and context keyword (`password`, `passport`) of every detector; one token
//!    sweep (word-at-a-time skipping of bytes that are neither digits nor `@`) hands digit
//!    groups, words holding digits and e-mail `@`s to hand-written parsers.
//! 2. **Confirmation.** A literal candidate runs its detector's small regex only in a window
//!    around the literal; a token candidate is parsed by shape (digit count, separators).
//! 3. **Validation and scoring.** Checksums (Luhn, mod-97, ABA, mod-11, base58check, bech32,
//!    EIP-55, CRC32 of GitHub tokens), entropy gates for generic secrets, context words that
//!    raise confidence, documentation examples (`AKIAIOSFODNN7EXAMPLE`) that lower it.
//!
//! Most candidates in dense text die at stage 2 or 3, cheaply. Custom detectors from YAML
//! join stage 1 through their keywords or their regex's literal prefixes; a custom regex
//! with neither runs in one fallback multi-pattern pass.
//!
//! Large inputs are scanned in chunks with an overlap longer than any match
//! ([`Scanner::scan_stream`]), so memory stays bounded and no match is lost at a border.
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod catalog;
mod confirm;
mod custom;
mod dates;
mod detector;
mod error;
mod prefilter;
mod scanner;
mod spec;
mod stream;
mod swar;
mod token;
pub mod validate;

pub use custom::{parse_custom_yaml, CustomDetectorConfig};
pub use detector::Detector;
pub use error::Error;
pub use scanner::{Match, Scanner, ScannerConfig};
pub use spec::{Check, TokenKind, Trigger};
pub use stream::{StreamMatch, OVERLAP};
