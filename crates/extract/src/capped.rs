//! The one capped path through which every decompressed byte flows, and the budget of one
//! top-level extraction (deadline and total expanded bytes).

use std::cell::Cell;
use std::io::{self, Read};
use std::time::Instant;

use crate::limits::{Limits, RATIO_GRACE_BYTES};
use crate::UnscannableReason;

/// Why some content could not be scanned (becomes an [`crate::Unscannable`] once its origin
/// is known). The detail never quotes the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) reason: UnscannableReason,
    pub(crate) detail: String,
}

impl Problem {
    pub(crate) fn new(reason: UnscannableReason, detail: impl Into<String>) -> Self {
        Problem {
            reason,
            detail: detail.into(),
        }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        Problem::new(UnscannableReason::Corrupt, detail)
    }

    /// Problems that end the whole top-level extraction rather than one member.
    pub(crate) fn stops_everything(&self) -> bool {
        matches!(
            self.reason,
            UnscannableReason::Timeout | UnscannableReason::TooLarge
        )
    }
}

/// What one top-level extraction may still spend: time and expanded bytes.
#[derive(Debug)]
pub(crate) struct Budget<'l> {
    pub(crate) limits: &'l Limits,
    deadline: Instant,
    expanded: Cell<u64>,
}

impl<'l> Budget<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        let now = Instant::now();
        let deadline = now.checked_add(limits.max_time).unwrap_or(now);
        Budget {
            limits,
            deadline,
            expanded: Cell::new(0),
        }
    }

    /// Fails once the deadline has passed.
    pub(crate) fn check_time(&self) -> Result<(), Problem> {
        if Instant::now() > self.deadline {
            return Err(Problem::new(
                UnscannableReason::Timeout,
                format!("extraction took longer than {:?}", self.limits.max_time),
            ));
        }
        Ok(())
    }

    /// Counts `n` more expanded bytes; fails once the total is over the limit.
    pub(crate) fn charge(&self, n: u64) -> Result<(), Problem> {
        let total = self.expanded.get().saturating_add(n);
        self.expanded.set(total);
        if total > self.limits.max_expanded_bytes {
            return Err(Problem::new(
                UnscannableReason::TooLarge,
                format!(
                    "decompressed content exceeds {} bytes in total",
                    self.limits.max_expanded_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Expanded bytes that may still be produced.
    pub(crate) fn remaining(&self) -> u64 {
        self.limits
            .max_expanded_bytes
            .saturating_sub(self.expanded.get())
    }
}

/// A reader over a decompressor that counts what comes out and stops with a [`Problem`] at
/// the member's ratio cap, the budget's total or the deadline.
struct CappedReader<'b, 'l, R> {
    inner: R,
    budget: &'b Budget<'l>,
    produced: u64,
    member_cap: u64,
    compressed_len: u64,
    problem: Option<Problem>,
}

impl<R: Read> Read for CappedReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Err(p) = self.budget.check_time() {
            return Err(self.fail(p));
        }
        let n = self.inner.read(buf)?;
        self.produced = self.produced.saturating_add(n as u64);
        if self.produced > self.member_cap {
            let p = Problem::new(
                UnscannableReason::CompressionRatio,
                format!(
                    "{} compressed bytes expand past {} bytes (ratio limit {}:1)",
                    self.compressed_len, self.member_cap, self.budget.limits.max_ratio
                ),
            );
            return Err(self.fail(p));
        }
        if let Err(p) = self.budget.charge(n as u64) {
            return Err(self.fail(p));
        }
        Ok(n)
    }
}

impl<R> CappedReader<'_, '_, R> {
    fn fail(&mut self, problem: Problem) -> io::Error {
        self.problem = Some(problem);
        io::Error::other("extraction limit reached")
    }
}

/// Reads a decompressor to its end under the limits: at most `max_ratio` times
/// `compressed_len` (after [`RATIO_GRACE_BYTES`]), within the budget's total and deadline.
/// A decoding error is `corrupt`.
pub(crate) fn read_capped(
    reader: impl Read,
    compressed_len: u64,
    budget: &Budget<'_>,
) -> Result<Vec<u8>, Problem> {
    let ratio_cap = compressed_len
        .max(1)
        .saturating_mul(budget.limits.max_ratio);
    let mut capped = CappedReader {
        inner: reader,
        budget,
        produced: 0,
        member_cap: ratio_cap.max(RATIO_GRACE_BYTES),
        compressed_len,
        problem: None,
    };
    let mut out = Vec::new();
    // The only `read_to_end` in the crate: the reader is capped.
    #[allow(clippy::disallowed_methods)]
    let result = capped.read_to_end(&mut out);
    match result {
        Ok(_) => Ok(out),
        Err(e) => Err(capped
            .problem
            .take()
            .unwrap_or_else(|| Problem::corrupt(format!("decompression failed: {e}")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap_or_default();
        enc.finish().unwrap_or_default()
    }

    #[test]
    fn ratio_cap_stops_a_bomb_early() {
        let limits = Limits::default();
        let budget = Budget::new(&limits);
        let zeros = vec![0u8; 10 * 1024 * 1024];
        let packed = gzip(&zeros);
        let decoder = flate2::read::GzDecoder::new(packed.as_slice());
        let err = read_capped(decoder, packed.len() as u64, &budget).err();
        assert_eq!(
            err.map(|p| p.reason),
            Some(UnscannableReason::CompressionRatio)
        );
        assert!(budget.remaining() > limits.max_expanded_bytes - 3 * RATIO_GRACE_BYTES);
    }

    #[test]
    fn total_budget_is_shared() {
        let limits = Limits {
            max_expanded_bytes: 10,
            max_ratio: 1_000_000,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert!(read_capped(&b"12345"[..], 5, &budget).is_ok());
        let err = read_capped(&b"123456"[..], 6, &budget).err();
        assert_eq!(err.map(|p| p.reason), Some(UnscannableReason::TooLarge));
    }

    #[test]
    fn deadline_in_the_past_times_out() {
        let limits = Limits {
            max_time: std::time::Duration::ZERO,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let err = read_capped(&b"abc"[..], 3, &budget).err();
        assert_eq!(err.map(|p| p.reason), Some(UnscannableReason::Timeout));
    }
}
