//! Leakwall's antivirus adapter: a client of the ClamAV daemon, `clamd`, speaking its own
//! protocol over TCP (`tcp://host:port`) or a Unix socket (`unix:///path`).
//!
//! The main types are [`ClamdConfig`] (address, connect and read timeouts, pool size), the
//! runtime client [`Clamd`] (`ping`, `version`, `scan_bytes`, `scan_reader`) and its answer,
//! [`ScanResult`]: `Clean`, `Infected { signature }` or `Unscannable { reason }`. An
//! [`Error`] means no answer at all (the daemon is down, slow or talking nonsense); what to do
//! with the file then is the caller's fail mode, never this crate's.
//!
//! Scans use `zINSTREAM`: the file goes to the daemon in length-prefixed chunks, read from an
//! `AsyncRead` one chunk at a time or sent straight from a byte slice, so a file is never held
//! twice. The daemon's `StreamMaxLength` is honoured: its `INSTREAM size limit exceeded`
//! answer (which may arrive, and the connection close, before the whole file is sent) is an
//! `Unscannable` result, never `Clean`.
//!
//! Design decision: one connection per scan, and a semaphore of `pool_size` slots bounds the
//! scans at once. clamd's `zIDSESSION` would save a connect per file, but a session that a
//! timeout or a daemon error leaves half-read would have to be detected and thrown away; on
//! loopback a connect costs tens of microseconds against milliseconds of scanning, so the
//! simpler, always-clean connection wins. Garbage, over-long or missing answers are protocol
//! errors; nothing but `stream: OK` is ever `Clean`.
//!
//! With the `testing` feature, the `testing` module starts a real `clamd` with a signature database
//! made at test time (EICAR and a DOCX test pattern) and builds the test files.
#![deny(missing_docs)]

mod address;
mod client;
mod error;
mod protocol;
#[cfg(feature = "testing")]
pub mod testing;

pub use address::ClamdAddress;
pub use client::{Clamd, ClamdConfig};
pub use error::Error;

/// What clamd said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanResult {
    /// No signature matched (`stream: OK`).
    Clean,
    /// A signature matched (`stream: <signature> FOUND`).
    Infected {
        /// The signature's name, e.g. `Win.Test.EICAR_HDB-1`.
        signature: String,
    },
    /// The daemon could not scan it (`<reason> ERROR`), e.g. over its `StreamMaxLength`.
    Unscannable {
        /// The daemon's reason, e.g. `INSTREAM size limit exceeded`.
        reason: String,
    },
}

impl ScanResult {
    /// `clean`, `infected` or `unscannable`, for metrics and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScanResult::Clean => "clean",
            ScanResult::Infected { .. } => "infected",
            ScanResult::Unscannable { .. } => "unscannable",
        }
    }
}
