//! Leakwall's scan pipeline: bytes in, findings out. Extract text segments (sniffing the real
//! type), run every detector over every segment, and turn matches into [`Finding`]s with
//! their origin, line and masked excerpt.
//!
//! The main type is [`Engine`], built once from a [`leakwall_detect::Scanner`] and
//! [`leakwall_extract::Limits`]; [`Engine::scan_bytes`] handles any content and
//! [`Engine::scan_text_stream`] handles plain text of any size in bounded memory.
//!
//! Design decision: what could not be scanned is a finding too. An unscannable file (a zip
//! bomb, an encrypted archive, a corrupt PDF) gives a finding of the `unscannable` detector
//! and a file whose bytes disagree with its name gives `type_mismatch`, so nothing passes as
//! clean silently and every consumer (CLI exit code, policy input) sees it.
#![deny(missing_docs)]

mod report;

use std::io::{self, Read};
use std::sync::Arc;

use leakwall_core::{mask, Category, Finding, Origin, Segment};
use leakwall_detect::{Match, Scanner};
use leakwall_extract::{Extractor, FileType, Limits};

pub use report::{ScanReport, Scanned};

/// Id of the pseudo-detector for content that could not be scanned.
pub const UNSCANNABLE: &str = "unscannable";
/// Id of the pseudo-detector for a file whose bytes disagree with its name or declared type.
pub const TYPE_MISMATCH: &str = "type_mismatch";
/// Chunk size of streamed text scans.
pub const STREAM_CHUNK: usize = 1024 * 1024;
/// Bytes read to decide whether content is plain text.
const HEAD: usize = 8 * 1024;

/// The pipeline: an extractor and a scanner.
#[derive(Debug, Clone)]
pub struct Engine {
    scanner: Scanner,
    extractor: Extractor,
    stream_threads: usize,
}

impl Engine {
    /// Builds an engine from a scanner and extraction limits.
    pub fn new(scanner: Scanner, limits: Limits) -> Engine {
        Engine {
            scanner,
            extractor: Extractor::new(limits),
            stream_threads: 1,
        }
    }

    /// Scans the chunks of one streamed text on up to `threads` threads (default 1: a caller
    /// that scans many inputs in parallel already uses its cores).
    pub fn with_stream_threads(mut self, threads: usize) -> Engine {
        self.stream_threads = threads.max(1);
        self
    }

    /// The scanner.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Whether content starting with `head` is plain text that can be streamed as is.
    pub fn is_streamable(head: &[u8]) -> bool {
        leakwall_extract::sniff(head) == FileType::Text
            && !head.starts_with(&[0xFF, 0xFE])
            && !head.starts_with(&[0xFE, 0xFF])
    }

    /// Scans any content into a report: extracts segments, then detects. `show_secrets` keeps
    /// the raw matched text in the report (never log it).
    pub fn scan_bytes(
        &self,
        origin: Origin,
        bytes: &[u8],
        declared_mime: Option<&str>,
        show_secrets: bool,
    ) -> ScanReport {
        let mut report = ScanReport::default();
        self.scan_bytes_each(origin, bytes, declared_mime, show_secrets, &mut |s| {
            report.add(s)
        });
        report.bytes = bytes.len() as u64;
        report
    }

    /// Like [`Engine::scan_bytes`], handing each finding to `each` as it is found.
    pub fn scan_bytes_each(
        &self,
        origin: Origin,
        bytes: &[u8],
        declared_mime: Option<&str>,
        show_secrets: bool,
        each: &mut dyn FnMut(Scanned),
    ) {
        let extraction = self.extractor.extract(origin, bytes, declared_mime);
        // Long texts come in pieces with the same origin: each text is scanned as one stream,
        // so lines and offsets run on and a match across a cut is found whole.
        for pieces in extraction.segments.chunk_by(|a, b| a.origin == b.origin) {
            let Some(first) = pieces.first() else {
                continue;
            };
            let text = Pieces {
                pieces,
                index: 0,
                offset: 0,
            };
            // Reading from memory cannot fail.
            let _ = self.scan_text_stream(first.origin.clone(), text, show_secrets, each);
        }
        for u in extraction.unscannable {
            let masked = format!("{}: {}", u.reason.as_str(), u.detail);
            each(Scanned {
                finding: pseudo(UNSCANNABLE, u.origin, masked),
                secret: None,
            });
        }
        for m in extraction.mismatches {
            let masked = format!(
                "declared {}, content is {}",
                m.declared,
                m.detected.as_str()
            );
            each(Scanned {
                finding: pseudo(TYPE_MISMATCH, m.origin, masked),
                secret: None,
            });
        }
    }

    /// Scans whatever `reader` holds: plain text is streamed in bounded memory; anything else
    /// is read (up to the input limit; beyond it the content is `unscannable`) and extracted.
    /// Findings go to `each` as they are found; returns the number of bytes read.
    pub fn scan_read<R: Read>(
        &self,
        origin: Origin,
        mut reader: R,
        show_secrets: bool,
        each: &mut dyn FnMut(Scanned),
    ) -> io::Result<u64> {
        let mut head = Vec::with_capacity(HEAD);
        (&mut reader).take(HEAD as u64).read_to_end(&mut head)?;
        if Engine::is_streamable(&head) {
            let text = head.as_slice().chain(reader);
            return self.scan_text_stream(origin, text, show_secrets, each);
        }
        let limit = self.extractor.limits().max_input_bytes;
        let mut bytes = head;
        reader
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            let masked = format!("too_large: more than {limit} bytes");
            each(Scanned {
                finding: pseudo(UNSCANNABLE, origin, masked),
                secret: None,
            });
            return Ok(bytes.len() as u64);
        }
        self.scan_bytes_each(origin, &bytes, None, show_secrets, each);
        Ok(bytes.len() as u64)
    }

    /// Scans plain text from `reader` in chunks, in bounded memory; returns the bytes read.
    pub fn scan_text_stream<R: Read>(
        &self,
        origin: Origin,
        reader: R,
        show_secrets: bool,
        each: &mut dyn FnMut(Scanned),
    ) -> io::Result<u64> {
        let origin = Arc::new(origin);
        self.scanner
            .scan_stream_threads(reader, STREAM_CHUNK, self.stream_threads, |sm| {
                let finding = self.finding(&sm.found, &origin, sm.line, sm.bytes);
                let secret = show_secrets.then(|| String::from_utf8_lossy(sm.bytes).into_owned());
                each(Scanned { finding, secret });
            })
    }

    fn finding(&self, m: &Match, origin: &Arc<Origin>, line: usize, raw: &[u8]) -> Finding {
        let d = self.scanner.detector(m);
        Finding {
            detector: d.shared_id(),
            category: d.category(),
            confidence: m.confidence,
            origin: Arc::clone(origin),
            start: m.start,
            end: m.end,
            line,
            masked: mask(&String::from_utf8_lossy(raw)),
        }
    }
}

/// The texts of consecutive segments, read as one stream.
struct Pieces<'a> {
    pieces: &'a [Segment],
    index: usize,
    offset: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.index) {
            let rest = &piece.text.as_bytes()[self.offset..];
            if rest.is_empty() {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.offset += n;
            return Ok(n);
        }
        Ok(0)
    }
}

fn pseudo(detector: &str, origin: Origin, masked: String) -> Finding {
    Finding {
        detector: Arc::from(detector),
        category: Category::Content,
        confidence: 1.0,
        origin: Arc::new(origin),
        start: 0,
        end: 0,
        line: 0,
        masked,
    }
}
