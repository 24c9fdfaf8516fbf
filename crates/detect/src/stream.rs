//! Scanning a stream of any length in bounded memory.
//!
//! The input is read in chunks. Each scan covers a chunk plus the tail of the one before, so
//! a match that crosses a chunk border is found whole: a match is reported by the scan in
//! which it starts before the "commit line" `OVERLAP` bytes short of the buffer's end, and
//! every match is shorter than `OVERLAP`, so it is always complete in that scan.
#![deny(clippy::indexing_slicing)]

use std::io::{self, Read};

use crate::scanner::{Match, Scanner};

/// Bytes kept from one chunk to the next: longer than any match (private key blocks are
/// capped at about 8 KiB) plus the context window before a match.
pub const OVERLAP: usize = 20 * 1024;
/// Bytes before the commit line kept for context words and token starts.
const LOOKBEHIND: usize = 256;

/// A match in a stream, with absolute offsets and its line.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMatch<'a> {
    /// The match; `start` and `end` are offsets from the start of the stream.
    pub found: Match,
    /// 1-based line of the match start.
    pub line: usize,
    /// The matched bytes (for masking or `--show-secrets`; never log them).
    pub bytes: &'a [u8],
}

impl Scanner {
    /// Scans `reader` in chunks of `chunk` bytes, calling `each` for every match in order.
    /// Returns the number of bytes read.
    pub fn scan_stream<R: Read>(
        &self,
        reader: R,
        chunk: usize,
        each: impl FnMut(StreamMatch<'_>),
    ) -> io::Result<u64> {
        self.scan_stream_threads(reader, chunk, 1, each)
    }

    /// Like [`Scanner::scan_stream`], scanning up to `threads` chunks at a time on scoped
    /// threads; matches still arrive in order, and memory stays `threads` chunks.
    pub fn scan_stream_threads<R: Read>(
        &self,
        mut reader: R,
        chunk: usize,
        threads: usize,
        mut each: impl FnMut(StreamMatch<'_>),
    ) -> io::Result<u64> {
        let mut windows = Windows::new(chunk.max(OVERLAP * 2));
        let mut committed: u64 = 0; // matches starting before this were reported
        let mut line_at_base = 1usize;
        loop {
            let mut batch = Vec::with_capacity(threads.max(1));
            while batch.len() < threads.max(1) {
                let window = windows.next(&mut reader)?;
                let eof = window.eof;
                batch.push(window);
                if eof {
                    break;
                }
            }
            let found = self.scan_windows(&batch);
            for (window, matches) in batch.iter().zip(found) {
                let mut line = line_at_base;
                let mut counted = 0usize;
                for m in &matches {
                    let abs = window.base + m.start as u64;
                    if abs < committed || m.start >= window.commit {
                        continue;
                    }
                    line += newlines(window.bytes.get(counted..m.start).unwrap_or(&[]));
                    counted = m.start;
                    let bytes = window.bytes.get(m.start..m.end).unwrap_or(&[]);
                    let end = (window.base + m.end as u64) as usize;
                    let found = Match {
                        start: abs as usize,
                        end,
                        ..*m
                    };
                    each(StreamMatch { found, line, bytes });
                }
                if window.eof {
                    return Ok(window.base + window.bytes.len() as u64);
                }
                committed = window.base + window.commit as u64;
                let kept = window.bytes.get(..window.keep_from).unwrap_or(&[]);
                line_at_base += memchr::memchr_iter(b'\n', kept).count();
            }
        }
    }

    /// Scans each window, on its own scoped thread when there are several.
    fn scan_windows(&self, batch: &[Window]) -> Vec<Vec<Match>> {
        if batch.len() == 1 {
            return batch.iter().map(|w| self.scan(&w.bytes)).collect();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|w| scope.spawn(move || self.scan(&w.bytes)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }
}

/// One scan's worth of the stream: its bytes, where they start, the commit line (matches
/// starting at or after it belong to the next window) and where the next window starts.
struct Window {
    base: u64,
    bytes: Vec<u8>,
    commit: usize,
    keep_from: usize,
    eof: bool,
}

/// Cuts a stream into overlapping windows.
struct Windows {
    chunk: usize,
    base: u64,
    carry: Vec<u8>,
}

impl Windows {
    fn new(chunk: usize) -> Windows {
        Windows {
            chunk,
            base: 0,
            carry: Vec::new(),
        }
    }

    fn next<R: Read>(&mut self, reader: &mut R) -> io::Result<Window> {
        let mut bytes = std::mem::take(&mut self.carry);
        let eof = fill(reader, &mut bytes, self.chunk + OVERLAP + LOOKBEHIND)?;
        let commit = if eof {
            bytes.len()
        } else {
            bytes.len().saturating_sub(OVERLAP)
        };
        let keep_from = commit.saturating_sub(LOOKBEHIND);
        self.carry = bytes.get(keep_from..).unwrap_or(&[]).to_vec();
        let base = self.base;
        self.base += keep_from as u64;
        Ok(Window {
            base,
            bytes,
            commit,
            keep_from,
            eof,
        })
    }
}

/// Counts newlines; short gaps between nearby matches (the common case) skip memchr's setup.
pub(crate) fn newlines(bytes: &[u8]) -> usize {
    if bytes.len() < 64 {
        bytes.iter().filter(|&&b| b == b'\n').count()
    } else {
        memchr::memchr_iter(b'\n', bytes).count()
    }
}

/// Reads until `buf` holds `target` bytes or the reader ends; returns whether it ended.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    // Grow by at most 64 KiB ahead of what was read, so a short input costs a short buffer.
    const STEP: usize = 64 * 1024;
    let mut len = buf.len();
    let result = loop {
        if len >= target {
            break Ok(false);
        }
        buf.resize(len.saturating_add(STEP).min(target), 0);
        let Some(rest) = buf.get_mut(len..) else {
            break Ok(false);
        };
        match reader.read(rest) {
            Ok(0) => break Ok(true),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.truncate(len);
    result
}
