//! Scanning a stream of any length in bounded memory.
//!
//! The input is read in chunks. Each scan covers a chunk plus the tail of the one before, so
//! a match that crosses a chunk border is found whole: a match is reported by the scan in
//! which it starts before the "commit line" `OVERLAP` bytes short of the buffer's end, and
//! every match is shorter than `OVERLAP`, so it is always complete in that scan.

use std::io::{self, Read};

use crate::scanner::{Match, Scanner};

/// Bytes kept from one chunk to the next: longer than any match (private key blocks are
/// capped at about 8 KiB) plus the context window before a match.
pub const OVERLAP: usize = 20 * 1024;
/// Bytes before the commit line kept for context words and token starts.
const LOOKBEHIND: usize = 256;

/// A match in a stream, with absolute offsets and its line.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMatch {
    /// The match; `start` and `end` are offsets from the start of the stream.
    pub found: Match,
    /// 1-based line of the match start.
    pub line: usize,
    /// The matched bytes (for masking or `--show-secrets`; never log them).
    pub bytes: Vec<u8>,
}

impl Scanner {
    /// Scans `reader` in chunks of `chunk` bytes, calling `each` for every match in order.
    /// Returns the number of bytes read.
    pub fn scan_stream<R: Read>(
        &self,
        mut reader: R,
        chunk: usize,
        mut each: impl FnMut(StreamMatch),
    ) -> io::Result<u64> {
        let chunk = chunk.max(OVERLAP * 2);
        let mut buf: Vec<u8> = Vec::with_capacity(chunk + OVERLAP + LOOKBEHIND);
        let mut base: u64 = 0; // stream offset of buf[0]
        let mut committed: u64 = 0; // matches starting before this were reported
        let mut line_at_base = 1usize;
        let mut found = Vec::new();
        loop {
            let eof = fill(&mut reader, &mut buf, chunk + OVERLAP + LOOKBEHIND)?;
            let commit = if eof {
                buf.len()
            } else {
                buf.len().saturating_sub(OVERLAP)
            };
            self.scan_into(&buf, &mut found);
            let mut line = line_at_base;
            let mut counted = 0usize;
            for m in &found {
                let abs = base + m.start as u64;
                if abs < committed || m.start >= commit {
                    continue;
                }
                line += memchr::memchr_iter(b'\n', &buf[counted..m.start]).count();
                counted = m.start;
                let bytes = buf[m.start..m.end].to_vec();
                let shifted = Match {
                    start: abs as usize,
                    end: base as usize + m.end,
                    ..*m
                };
                each(StreamMatch {
                    found: shifted,
                    line,
                    bytes,
                });
            }
            if eof {
                return Ok(base + buf.len() as u64);
            }
            committed = base + commit as u64;
            let keep_from = commit.saturating_sub(LOOKBEHIND);
            line_at_base += memchr::memchr_iter(b'\n', &buf[..keep_from]).count();
            buf.drain(..keep_from);
            base += keep_from as u64;
        }
    }
}

/// Reads until `buf` holds `target` bytes or the reader ends; returns whether it ended.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let mut len = buf.len();
    buf.resize(target, 0);
    let result = loop {
        if len >= target {
            break Ok(false);
        }
        match reader.read(&mut buf[len..]) {
            Ok(0) => break Ok(true),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.truncate(len);
    result
}
