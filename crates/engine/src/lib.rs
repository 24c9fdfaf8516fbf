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

use leakwall_core::{mask, Category, Finding, Origin, Segment};
use leakwall_detect::Scanner;
use leakwall_extract::{Extractor, FileType, Limits};

pub use report::{ScanReport, Scanned};

/// Id of the pseudo-detector for content that could not be scanned.
pub const UNSCANNABLE: &str = "unscannable";
/// Id of the pseudo-detector for a file whose bytes disagree with its name or declared type.
pub const TYPE_MISMATCH: &str = "type_mismatch";
/// Chunk size of streamed text scans.
pub const STREAM_CHUNK: usize = 4 * 1024 * 1024;
/// Bytes read to decide whether content is plain text.
const HEAD: usize = 8 * 1024;

/// The pipeline: an extractor and a scanner.
#[derive(Debug, Clone)]
pub struct Engine {
    scanner: Scanner,
    extractor: Extractor,
}

impl Engine {
    /// Builds an engine from a scanner and extraction limits.
    pub fn new(scanner: Scanner, limits: Limits) -> Engine {
        Engine {
            scanner,
            extractor: Extractor::new(limits),
        }
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

    /// Scans any content: extracts segments, then detects. `show_secrets` keeps the raw
    /// matched text in the report (never log it).
    pub fn scan_bytes(
        &self,
        origin: Origin,
        bytes: &[u8],
        declared_mime: Option<&str>,
        show_secrets: bool,
    ) -> ScanReport {
        let extraction = self.extractor.extract(origin, bytes, declared_mime);
        let mut report = ScanReport::default();
        for segment in &extraction.segments {
            self.scan_segment(segment, show_secrets, &mut report);
        }
        for u in extraction.unscannable {
            let masked = format!("{}: {}", u.reason.as_str(), u.detail);
            report.push(pseudo(UNSCANNABLE, u.origin, masked), None);
        }
        for m in extraction.mismatches {
            let masked = format!(
                "declared {}, content is {}",
                m.declared,
                m.detected.as_str()
            );
            report.push(pseudo(TYPE_MISMATCH, m.origin, masked), None);
        }
        report
    }

    /// Scans one text segment.
    pub fn scan_segment(&self, segment: &Segment, show_secrets: bool, report: &mut ScanReport) {
        let text = segment.text.as_bytes();
        let mut line = 1;
        let mut counted = 0;
        for m in self.scanner.scan(text) {
            line += memchr::memchr_iter(b'\n', &text[counted..m.start]).count();
            counted = m.start;
            let raw = String::from_utf8_lossy(&text[m.start..m.end]);
            let d = self.scanner.detector(&m);
            let finding = Finding {
                detector: d.id().to_string(),
                category: d.category(),
                confidence: m.confidence,
                origin: segment.origin.clone(),
                start: m.start,
                end: m.end,
                line,
                masked: mask(&raw),
            };
            report.push(finding, show_secrets.then(|| raw.into_owned()));
        }
    }

    /// Scans whatever `reader` holds: plain text is streamed in bounded memory; anything else
    /// is read (up to the input limit; beyond it the content is `unscannable`) and extracted.
    pub fn scan_read<R: Read>(
        &self,
        origin: Origin,
        mut reader: R,
        show_secrets: bool,
    ) -> io::Result<ScanReport> {
        let mut head = Vec::with_capacity(HEAD);
        (&mut reader).take(HEAD as u64).read_to_end(&mut head)?;
        if Engine::is_streamable(&head) {
            return self.scan_text_stream(origin, head.as_slice().chain(reader), show_secrets);
        }
        let limit = self.extractor.limits().max_input_bytes;
        let mut bytes = head;
        reader
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            let mut report = ScanReport::default();
            let masked = format!("too_large: more than {limit} bytes");
            report.push(pseudo(UNSCANNABLE, origin, masked), None);
            return Ok(report);
        }
        let mut report = self.scan_bytes(origin, &bytes, None, show_secrets);
        report.bytes = bytes.len() as u64;
        Ok(report)
    }

    /// Scans plain text from `reader` in chunks, in bounded memory.
    pub fn scan_text_stream<R: Read>(
        &self,
        origin: Origin,
        reader: R,
        show_secrets: bool,
    ) -> io::Result<ScanReport> {
        let mut report = ScanReport::default();
        let bytes = self.scanner.scan_stream(reader, STREAM_CHUNK, |sm| {
            let raw = String::from_utf8_lossy(&sm.bytes);
            let d = self.scanner.detector(&sm.found);
            let finding = Finding {
                detector: d.id().to_string(),
                category: d.category(),
                confidence: sm.found.confidence,
                origin: origin.clone(),
                start: sm.found.start,
                end: sm.found.end,
                line: sm.line,
                masked: mask(&raw),
            };
            report.push(finding, show_secrets.then(|| raw.into_owned()));
        })?;
        report.bytes = bytes;
        Ok(report)
    }
}

fn pseudo(detector: &str, origin: Origin, masked: String) -> Finding {
    Finding {
        detector: detector.to_string(),
        category: Category::Content,
        confidence: 1.0,
        origin,
        start: 0,
        end: 0,
        line: 0,
        masked,
    }
}
