//! The hard limits every extraction runs under.

use std::time::Duration;

/// Hard limits for one top-level extraction. Every limit is checked as the work goes, never
/// from what a file's headers declare; going over one gives an [`crate::Unscannable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes. A larger input is not opened at all
    /// (`too_large`). Default 256 MiB.
    pub max_input_bytes: u64,
    /// Total bytes that decompression (ZIP members, GZIP, PDF streams, office parts) may
    /// produce in one top-level extraction, summed over every nested level (`too_large`,
    /// which stops the whole extraction). Default 1 GiB.
    pub max_expanded_bytes: u64,
    /// Deepest nesting of containers: a member of a top-level archive is at depth 1, a
    /// member of an archive inside it at depth 2, and so on (`too_deep`). Default 8.
    pub max_depth: u32,
    /// Most entries read from one archive; the rest are not read (`too_many_entries`).
    /// Default 10,000.
    pub max_entries: u32,
    /// Highest expansion ratio of one compressed member (output bytes per input byte),
    /// measured while decompressing (`compression_ratio`). The first
    /// [`RATIO_GRACE_BYTES`] of output are always allowed, so small, very repetitive files
    /// are not taken for bombs. Default 100.
    pub max_ratio: u64,
    /// Wall-clock time for one top-level extraction, checked as the work goes against a
    /// deadline (`timeout`, which stops the whole extraction). Default 30 s.
    pub max_time: Duration,
    /// Largest segment of text, in bytes; longer text is split into several segments
    /// (at whitespace where possible), never truncated. Default 4 MiB.
    pub max_segment_bytes: usize,
}

/// Output a compressed member may always produce before [`Limits::max_ratio`] applies.
pub const RATIO_GRACE_BYTES: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 256 * 1024 * 1024,
            max_expanded_bytes: 1024 * 1024 * 1024,
            max_depth: 8,
            max_entries: 10_000,
            max_ratio: 100,
            max_time: Duration::from_secs(30),
            max_segment_bytes: 4 * 1024 * 1024,
        }
    }
}
