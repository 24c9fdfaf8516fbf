//! Type sniffing and text extraction under hard limits.
//!
//! The concept: bytes in, text out. [`Extractor::extract`] takes the bytes of a file (or a
//! message body, or an upload), tells its real type from the content with [`sniff`] (never
//! from the name or a declared MIME type), and turns it into [`Segment`]s of text, each with
//! the [`Origin`] it came from: the outer path, the chain of archive members or attachments
//! (`Origin::child`), the page of a PDF or a slide, the sheet of a spreadsheet.
//!
//! Formats: plain text (UTF-8, UTF-16 with BOM, Latin-1 fallback), PDF (text per page,
//! through the ToUnicode maps of embedded fonts), DOCX, XLSX (per sheet), PPTX (per slide),
//! ODT, ODS (per table), RTF, HTML, e-mail (headers, bodies, attachments as children), ZIP,
//! GZIP and TAR, nested in one another. Other binary files (images, executables) have no text
//! and give nothing.
//!
//! The result, an [`Extraction`], also lists what could not be scanned ([`Unscannable`]:
//! encrypted, corrupt, a decompression bomb, too deep, an unsafe member path, out of time)
//! and where a name or a declared MIME type disagrees with the content ([`TypeMismatch`]).
//!
//! Main types: [`Extractor`] (built once from [`Limits`], `&self` extraction, shareable),
//! [`Extraction`], [`FileType`].
//!
//! Key design decision: **hostile input is the normal case.** Every byte that comes out of a
//! decompressor flows through one capped reader (`capped::read_capped`) that counts as it
//! reads: the expansion ratio of each member, the total expanded bytes of the whole
//! extraction and the deadline; nothing trusts a size a header declares. Hitting a limit
//! gives an `Unscannable` with a reason, never a silent "clean", never a panic: the crate
//! denies `unwrap`, `expect`, `panic!` and panicking indexing, and the PDF parser, a large
//! third-party body of code, is also run inside `catch_unwind` as a last line of defence.
//! The price is that a file is held in memory whole (bounded by the limits) rather than
//! streamed.
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod capped;
mod email;
mod html;
mod limits;
mod odf;
mod ooxml;
mod pdf;
mod rtf;
mod sniff;
mod tarball;
mod text;
mod walk;
mod xml;
mod zips;

pub use leakwall_core::{Origin, Segment, Unscannable, UnscannableReason};
pub use limits::{Limits, RATIO_GRACE_BYTES};
pub use sniff::{sniff, type_for_mime, type_for_name, FileType};

use serde::Serialize;

/// A name or a declared MIME type that disagrees with the content (a PNG named `.pdf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeMismatch {
    /// The file or member.
    #[serde(flatten)]
    pub origin: Origin,
    /// The type the content shows.
    pub detected: FileType,
    /// What was claimed: the name's extension with its dot (`.pdf`) or the declared MIME type
    /// as given (`application/pdf`).
    pub declared: String,
}

/// Everything one extraction found.
#[derive(Debug, Default)]
pub struct Extraction {
    /// The text, in reading order.
    pub segments: Vec<Segment>,
    /// Content that could not be scanned, with the reason.
    pub unscannable: Vec<Unscannable>,
    /// Names or declared types that disagree with the content.
    pub mismatches: Vec<TypeMismatch>,
}

/// Turns bytes into text segments under [`Limits`]. Cheap to share: extraction takes `&self`.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    limits: Limits,
}

impl Extractor {
    /// An extractor with these limits.
    pub fn new(limits: Limits) -> Self {
        Extractor { limits }
    }

    /// The limits this extractor runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Extracts the text of one file. `origin.path` is used as the file name for the
    /// extension check; `declared_mime`, when given, is checked against the content too.
    pub fn extract(&self, origin: Origin, bytes: &[u8], declared_mime: Option<&str>) -> Extraction {
        walk::extract(&self.limits, origin, bytes, declared_mime)
    }
}
