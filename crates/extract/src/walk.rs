//! The recursive walk: sniff, check the claimed type, extract or descend into members.

use memchr::memmem;

use crate::capped::{Budget, Problem};
use crate::sniff::{sniff, type_for_mime, type_for_name, FileType};
use crate::{
    email, html, odf, ooxml, pdf, rtf, tarball, text, zips, Extraction, Limits, Origin, Segment,
    TypeMismatch, Unscannable, UnscannableReason,
};

/// One top-level extraction in progress: its budget and what it found so far.
pub(crate) struct Walker<'l> {
    pub(crate) budget: Budget<'l>,
    out: Extraction,
    /// Set once a problem that ends everything (timeout, total size) has been recorded.
    stopped: bool,
}

/// Runs one top-level extraction.
pub(crate) fn extract(
    limits: &Limits,
    origin: Origin,
    bytes: &[u8],
    declared_mime: Option<&str>,
) -> Extraction {
    let mut walker = Walker {
        budget: Budget::new(limits),
        out: Extraction::default(),
        stopped: false,
    };
    let name = origin.path.clone();
    if bytes.len() as u64 > limits.max_input_bytes {
        walker.check_claims(&origin, sniff(bytes), &name, declared_mime, bytes);
        let detail = format!(
            "{} bytes, more than the limit of {}",
            bytes.len(),
            limits.max_input_bytes
        );
        walker.record(&origin, Problem::new(UnscannableReason::TooLarge, detail));
        return walker.out;
    }
    walker.walk(&origin, bytes, 0, &name, declared_mime);
    walker.out
}

impl Walker<'_> {
    /// Extracts `bytes` (found at `origin`, named `name`, at nesting `depth`), recording
    /// segments, mismatches and problems.
    pub(crate) fn walk(
        &mut self,
        origin: &Origin,
        bytes: &[u8],
        depth: u32,
        name: &str,
        mime: Option<&str>,
    ) {
        if self.stopped || bytes.is_empty() {
            return;
        }
        if let Err(p) = self.budget.check_time() {
            return self.record(origin, p);
        }
        let detected = sniff(bytes);
        self.check_claims(origin, detected, name, mime, bytes);
        if let Err(p) = self.extract_type(origin, bytes, depth, name, detected) {
            self.record(origin, p);
        }
    }

    fn extract_type(
        &mut self,
        origin: &Origin,
        bytes: &[u8],
        depth: u32,
        name: &str,
        detected: FileType,
    ) -> Result<(), Problem> {
        match detected {
            FileType::Text => self.push_text(origin.clone(), &text::decode(bytes)),
            FileType::Html => self.push_text(origin.clone(), &html::to_text(&text::decode(bytes))),
            FileType::Rtf => self.push_text(origin.clone(), &rtf::to_text(bytes, &self.budget)?),
            FileType::Email => email::walk(self, origin, bytes, depth)?,
            FileType::Pdf => pdf::extract(self, origin, bytes)?,
            FileType::Docx | FileType::Xlsx | FileType::Pptx => {
                ooxml::extract(self, origin, bytes, detected, depth)?
            }
            FileType::Odt | FileType::Ods => odf::extract(self, origin, bytes, detected)?,
            FileType::Zip => zips::walk(self, origin, bytes, depth)?,
            FileType::Gzip => tarball::gunzip(self, origin, bytes, depth, name)?,
            FileType::Tar => tarball::walk(self, origin, bytes, depth)?,
            FileType::Binary if is_encrypted_ooxml(bytes) => {
                return Err(Problem::new(
                    UnscannableReason::Encrypted,
                    "encrypted Office document (OLE container holding an EncryptedPackage)",
                ))
            }
            FileType::Binary
            | FileType::Png
            | FileType::Jpeg
            | FileType::Gif
            | FileType::Executable => {}
        }
        Ok(())
    }

    /// Records content that could not be scanned. After a problem that stops everything,
    /// nothing more is recorded and every walk returns at once.
    pub(crate) fn record(&mut self, origin: &Origin, problem: Problem) {
        if self.stopped {
            return;
        }
        self.stopped = problem.stops_everything();
        self.out.unscannable.push(Unscannable {
            origin: origin.clone(),
            reason: problem.reason,
            detail: problem.detail,
        });
    }

    /// Whether the walk has stopped (containers stop reading members).
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// Adds text (split into segments no longer than the limit); blank text is dropped.
    pub(crate) fn push_text(&mut self, origin: Origin, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        for piece in text::split(text, self.budget.limits.max_segment_bytes) {
            self.out.segments.push(Segment {
                origin: origin.clone(),
                text: piece.to_string(),
            });
        }
    }

    /// Records `too_deep` and returns true when a member at `depth` is over the limit.
    pub(crate) fn too_deep(&mut self, origin: &Origin, depth: u32) -> bool {
        let max = self.budget.limits.max_depth;
        if depth <= max {
            return false;
        }
        let detail = format!("nested deeper than {max} levels");
        self.record(origin, Problem::new(UnscannableReason::TooDeep, detail));
        true
    }

    /// Records a mismatch for a name or a declared MIME type that disagrees with `detected`.
    fn check_claims(
        &mut self,
        origin: &Origin,
        detected: FileType,
        name: &str,
        mime: Option<&str>,
        bytes: &[u8],
    ) {
        let ext = name
            .rsplit(['/', '\\'])
            .next()
            .and_then(|base| base.rsplit_once('.'));
        if let (Some(claimed), Some((_, ext))) = (type_for_name(name), ext) {
            if !compatible(claimed, detected, bytes) {
                self.mismatch(origin, detected, format!(".{ext}"));
            }
        }
        if let Some(mime) = mime {
            if type_for_mime(mime).is_some_and(|claimed| !compatible(claimed, detected, bytes)) {
                self.mismatch(origin, detected, mime.to_string());
            }
        }
    }

    fn mismatch(&mut self, origin: &Origin, detected: FileType, declared: String) {
        self.out.mismatches.push(TypeMismatch {
            origin: origin.clone(),
            detected,
            declared,
        });
    }
}

/// Whether content of type `detected` fits a claim of `claimed`.
fn compatible(claimed: FileType, detected: FileType, bytes: &[u8]) -> bool {
    claimed == detected
        || (claimed.is_textual() && detected.is_textual())
        || (matches!(claimed, FileType::Docx | FileType::Xlsx | FileType::Pptx)
            && is_encrypted_ooxml(bytes))
}

/// An encrypted OOXML file is an OLE compound file holding an `EncryptedPackage` stream.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    const NAME: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
    bytes.starts_with(OLE) && memmem::find(bytes, NAME).is_some()
}

/// A member path that is absolute or climbs out with `..` (zip-slip).
pub(crate) fn is_unsafe_path(name: &str) -> bool {
    let drive = name.as_bytes().get(1) == Some(&b':');
    name.starts_with('/')
        || name.starts_with('\\')
        || drive
        || name.split(['/', '\\']).any(|part| part == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths() {
        assert!(is_unsafe_path("../../evil.txt"));
        assert!(is_unsafe_path("a/../../b"));
        assert!(is_unsafe_path("/etc/passwd"));
        assert!(is_unsafe_path("C:\\windows\\x"));
        assert!(is_unsafe_path("a\\..\\b"));
        assert!(!is_unsafe_path("docs/a..b.txt"));
        assert!(!is_unsafe_path("docs/report.txt"));
    }

    #[test]
    fn png_named_pdf_is_a_mismatch_without_text() {
        let limits = Limits::default();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0";
        let out = extract(&limits, Origin::path("x.pdf"), png, Some("application/pdf"));
        assert!(out.segments.is_empty() && out.unscannable.is_empty());
        assert_eq!(out.mismatches.len(), 2);
        assert_eq!(out.mismatches[0].detected, FileType::Png);
        assert_eq!(out.mismatches[0].declared, ".pdf");
        assert_eq!(out.mismatches[1].declared, "application/pdf");
    }

    #[test]
    fn text_family_claims_agree() {
        let limits = Limits::default();
        let out = extract(
            &limits,
            Origin::path("page.txt"),
            b"<html><p>hi</p></html>",
            None,
        );
        assert!(out.mismatches.is_empty());
        assert_eq!(out.segments.len(), 1);
    }

    #[test]
    fn encrypted_office_file() {
        let limits = Limits::default();
        let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        ole.resize(512, 0);
        ole.extend_from_slice(b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0");
        let out = extract(&limits, Origin::path("secret.docx"), &ole, None);
        assert!(out.mismatches.is_empty());
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Encrypted);
    }

    #[test]
    fn too_large_input_is_not_opened() {
        let limits = Limits {
            max_input_bytes: 3,
            ..Limits::default()
        };
        let out = extract(&limits, Origin::path("a.txt"), b"four", None);
        assert!(out.segments.is_empty());
        assert_eq!(out.unscannable[0].reason, UnscannableReason::TooLarge);
    }

    #[test]
    fn long_text_is_split_not_cut() {
        let limits = Limits {
            max_segment_bytes: 10,
            ..Limits::default()
        };
        let out = extract(
            &limits,
            Origin::path("a.txt"),
            b"one two three four five six",
            None,
        );
        assert!(out.segments.len() > 2);
        let joined: String = out.segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, "one two three four five six");
    }
}
