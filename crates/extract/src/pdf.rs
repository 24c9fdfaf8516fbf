//! PDF: text per page, read from the page content streams and decoded through each font's
//! encoding (ToUnicode CMaps of embedded subset fonts, Identity-H, simple encodings).
//!
//! `lopdf` parses the file and decodes streams (bounded per stream); the walk over the text
//! operators is ours, to place line breaks and spaces from the text positioning operators
//! (`Td`, `Tm`, `T*`, large `TJ` gaps) so words do not glue together.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::content::{Content, Operation};
use lopdf::{
    DecompressError, Document, Encoding, Error as PdfError, LoadOptions, Object, ObjectId,
};
use memchr::memmem;

use crate::capped::{Budget, Problem};
use crate::limits::RATIO_GRACE_BYTES;
use crate::walk::Walker;
use crate::{Origin, UnscannableReason};

/// A TJ displacement (thousandths of text space) wider than this is read as a space.
const TJ_SPACE: f32 = 200.0;

/// Extracts every page of a PDF as its own segment.
pub(crate) fn extract(w: &mut Walker<'_>, origin: &Origin, bytes: &[u8]) -> Result<(), Problem> {
    let tail = bytes
        .get(bytes.len().saturating_sub(1024)..)
        .unwrap_or(bytes);
    let truncated = memmem::find(tail, b"%%EOF").is_none();
    // lopdf is a large parser fed hostile input: besides our own bounds, a panic inside it
    // is caught here as a last line of defence and reported as `corrupt`.
    let pages = match catch_unwind(AssertUnwindSafe(|| pages_text(bytes, &w.budget))) {
        Ok(Ok(pages)) => pages,
        Ok(Err(p)) if truncated && p.reason == UnscannableReason::Corrupt => {
            return Err(Problem::corrupt("PDF is truncated (no %%EOF at the end)"))
        }
        Ok(Err(p)) => return Err(p),
        Err(_) => return Err(Problem::corrupt("PDF parser failed on this file")),
    };
    if truncated {
        let detail = "PDF is truncated (no %%EOF at the end); its text may be incomplete";
        w.record(origin, Problem::corrupt(detail));
    }
    for (number, text) in pages {
        let page_origin = Origin {
            page: Some(number),
            ..origin.clone()
        };
        match text {
            Ok(text) => w.push_text(page_origin, &text),
            Err(p) if p.stops_everything() => return Err(p),
            Err(p) => w.record(&page_origin, p),
        }
    }
    Ok(())
}

type PageText = (u32, Result<String, Problem>);

fn pages_text(bytes: &[u8], budget: &Budget<'_>) -> Result<Vec<PageText>, Problem> {
    let per_stream = stream_cap(bytes.len(), budget);
    let doc =
        Document::load_mem_with_options(bytes, LoadOptions::with_max_decompressed_size(per_stream))
            .map_err(|e| load_problem(bytes, &e))?;
    if doc.trailer.get(b"Encrypt").is_ok() || doc.is_encrypted() || doc.was_encrypted() {
        return Err(encrypted());
    }
    let mut pages = Vec::new();
    for (number, page_id) in doc.get_pages() {
        budget.check_time()?;
        let text = page_text(&doc, page_id, stream_cap(bytes.len(), budget), budget);
        if let Err(p) = &text {
            if p.stops_everything() {
                return Err(p.clone());
            }
        }
        pages.push((number, text));
    }
    Ok(pages)
}

/// The most one stream may expand to: the ratio limit (after the grace) and the budget.
fn stream_cap(input_len: usize, budget: &Budget<'_>) -> usize {
    let ratio = (input_len as u64)
        .saturating_mul(budget.limits.max_ratio)
        .max(RATIO_GRACE_BYTES);
    usize::try_from(ratio.min(budget.remaining())).unwrap_or(usize::MAX)
}

fn load_problem(bytes: &[u8], e: &PdfError) -> Problem {
    if memmem::find(bytes, b"/Encrypt").is_some() {
        return encrypted();
    }
    match e {
        PdfError::Decompress(DecompressError::MemoryLimitExceeded { limit }) => bomb(*limit),
        _ => Problem::corrupt("PDF could not be parsed"),
    }
}

fn encrypted() -> Problem {
    Problem::new(
        UnscannableReason::Encrypted,
        "PDF is encrypted (/Encrypt in the trailer)",
    )
}

fn bomb(limit: usize) -> Problem {
    let detail = format!("a PDF stream expands past {limit} bytes");
    Problem::new(UnscannableReason::CompressionRatio, detail)
}

fn page_problem(e: &PdfError) -> Problem {
    match e {
        PdfError::Decompress(DecompressError::MemoryLimitExceeded { limit }) => bomb(*limit),
        _ => Problem::corrupt("PDF page content could not be read"),
    }
}

fn page_text(
    doc: &Document,
    page_id: ObjectId,
    cap: usize,
    budget: &Budget<'_>,
) -> Result<String, Problem> {
    let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
    let mut encodings = BTreeMap::new();
    for (name, font) in fonts {
        match font.get_font_encoding_with_limit(doc, cap) {
            Ok(encoding) => {
                encodings.insert(name, encoding);
            }
            Err(e) => return Err(page_problem(&e)),
        }
    }
    let content = doc
        .get_page_content_with_limit(page_id, cap)
        .map_err(|e| page_problem(&e))?;
    budget.charge(content.len() as u64)?;
    let ops = Content::decode(&content).map_err(|e| page_problem(&e))?;
    let mut text = TextState::new(&encodings);
    for (i, op) in ops.operations.iter().enumerate() {
        if i % 4096 == 4095 {
            budget.check_time()?;
        }
        text.apply(op);
    }
    Ok(text.out)
}

/// Where the text cursor is, enough to tell new lines and gaps.
struct TextState<'e, 'd> {
    encodings: &'e BTreeMap<Vec<u8>, Encoding<'d>>,
    font: Option<&'e Encoding<'d>>,
    line_y: f32,
    last_y: Option<f32>,
    moved: bool,
    out: String,
}

impl<'e, 'd> TextState<'e, 'd> {
    fn new(encodings: &'e BTreeMap<Vec<u8>, Encoding<'d>>) -> Self {
        TextState {
            encodings,
            font: None,
            line_y: 0.0,
            last_y: None,
            moved: false,
            out: String::new(),
        }
    }

    fn apply(&mut self, op: &Operation) {
        let num = |i: usize| op.operands.get(i).and_then(number).unwrap_or(0.0);
        match op.operator.as_str() {
            "BT" => self.line_y = 0.0,
            "Tf" => {
                let name = op.operands.first().and_then(|o| o.as_name().ok());
                self.font = name.and_then(|n| self.encodings.get(n));
            }
            "Td" | "TD" => {
                self.line_y += num(1);
                self.moved = true;
            }
            "Tm" => {
                self.line_y = num(5);
                self.moved = true;
            }
            "T*" => self.separate('\n'),
            "Tj" => self.show(op.operands.first()),
            "'" => {
                self.separate('\n');
                self.show(op.operands.first());
            }
            "\"" => {
                self.separate('\n');
                self.show(op.operands.get(2));
            }
            "TJ" => {
                let items = op.operands.first().and_then(|o| o.as_array().ok());
                for item in items.into_iter().flatten() {
                    if number(item).is_some_and(|n| n < -TJ_SPACE) {
                        self.separate(' ');
                    } else {
                        self.show(Some(item));
                    }
                }
            }
            _ => {}
        }
    }

    /// Shows a string operand, first breaking the line or adding a space if the cursor moved.
    fn show(&mut self, operand: Option<&Object>) {
        let Some(Object::String(bytes, _)) = operand else {
            return;
        };
        match self.last_y {
            Some(y) if (y - self.line_y).abs() > 0.5 => self.separate('\n'),
            _ if self.moved => self.separate(' '),
            _ => {}
        }
        self.last_y = Some(self.line_y);
        self.moved = false;
        let decoded = match self.font.map(|e| e.bytes_to_string(bytes)) {
            Some(Ok(s)) => s,
            _ => crate::text::latin1(bytes),
        };
        self.out.push_str(&decoded.replace('\0', ""));
    }

    /// Adds a separator unless the text already ends with whitespace.
    fn separate(&mut self, sep: char) {
        match self.out.chars().last() {
            None => {}
            Some('\n') => {}
            Some(c) if c.is_whitespace() && sep == ' ' => {}
            Some(' ') if sep == '\n' => {
                self.out.pop();
                self.out.push('\n');
            }
            Some(_) => self.out.push(sep),
        }
    }
}

fn number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::{Extractor, Limits, Origin, UnscannableReason};

    /// A minimal two-page PDF with a standard font and uncompressed content.
    pub(crate) fn simple_pdf(pages: &[&str]) -> Vec<u8> {
        let mut objects: Vec<String> = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            String::new(),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .into(),
        ];
        let mut kids = Vec::new();
        for text in pages {
            let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj 0 -14 Td (line two) Tj ET");
            objects.push(format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            ));
            let content_id = objects.len();
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
            ));
            kids.push(format!("{} 0 R", objects.len()));
        }
        objects[1] = format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        );
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        let trailer = format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend_from_slice(trailer.as_bytes());
        out
    }

    fn run(bytes: &[u8]) -> crate::Extraction {
        Extractor::new(Limits::default()).extract(Origin::path("doc.pdf"), bytes, None)
    }

    #[test]
    fn text_per_page() {
        let out = run(&simple_pdf(&["MARKER-PDF page one", "MARKER-PDF-PAGE2"]));
        assert!(out.unscannable.is_empty(), "{:?}", out.unscannable);
        assert_eq!(out.segments.len(), 2);
        assert_eq!(out.segments[0].origin.page, Some(1));
        assert_eq!(out.segments[0].text, "MARKER-PDF page one\nline two");
        assert_eq!(out.segments[1].origin.page, Some(2));
        assert!(out.segments[1].text.starts_with("MARKER-PDF-PAGE2"));
    }

    #[test]
    fn truncated_pdf_is_corrupt() {
        let pdf = simple_pdf(&["hello"]);
        let out = run(&pdf[..pdf.len() / 2]);
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Corrupt);
        let out = run(b"%PDF-1.7\n1 0 obj << /Type");
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Corrupt);
    }

    #[test]
    fn encrypt_entry_is_encrypted() {
        let pdf = String::from_utf8_lossy(&simple_pdf(&["secret"])).replace(
            "/Root 1 0 R >>",
            "/Root 1 0 R /Encrypt << /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >> >>",
        );
        let out = run(pdf.as_bytes());
        assert!(out.segments.is_empty());
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Encrypted);
    }
}
