//! Shared by every target: one extractor with tight limits, and helpers to shape input.
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use leakwall_extract::{Extractor, Limits, Origin};

/// Extracts `bytes` named `name` under limits small enough for fuzzing speed.
pub fn run(name: &str, bytes: &[u8]) {
    let limits = Limits {
        max_expanded_bytes: 64 * 1024 * 1024,
        max_time: Duration::from_secs(5),
        max_segment_bytes: 64 * 1024,
        ..Limits::default()
    };
    let out = Extractor::new(limits).extract(Origin::path(name), bytes, None);
    for s in &out.segments {
        assert!(!s.text.is_empty());
    }
}

/// `bytes` with `magic` in front unless it already starts with it.
pub fn with_magic(magic: &[u8], bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(magic) {
        return bytes.to_vec();
    }
    let mut out = magic.to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A ZIP holding `members` (deflated; the first one stored when `stored_first`).
pub fn zip_of(members: &[(&str, &[u8])], stored_first: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (name, data)) in members.iter().enumerate() {
        let mut options = zip::write::SimpleFileOptions::default();
        if stored_first && i == 0 {
            options = options.compression_method(zip::CompressionMethod::Stored);
        }
        if w.start_file(*name, options).is_err() || w.write_all(data).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// Splits the input into up to `n` parts at 0xFF bytes.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts: Vec<&[u8]> = data.splitn(n, |&b| b == 0xFF).collect();
    parts.resize(n, &[]);
    parts
}
