//! Extraction of real files made by real tools (`testdata/extract/`, see its README.md):
//! every marker is found, with the right origin, and every hostile file is reported.

use std::path::PathBuf;

use leakwall_extract::{Extraction, Extractor, FileType, Limits, Origin, UnscannableReason};

const SENTENCE: &str = "Leakwall test card 4111 1111 1111 1111 mail jane.doe@corp-mail.com";

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "testdata",
        "extract",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn extract(name: &str) -> Extraction {
    Extractor::new(Limits::default()).extract(Origin::path(name), &fixture(name), None)
}

/// Whitespace runs collapsed to one space, so layout does not matter.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The origin of the first segment whose text (whitespace collapsed) contains `needle`.
fn origin_of(out: &Extraction, needle: &str) -> Origin {
    out.segments
        .iter()
        .find(|s| words(&s.text).contains(needle))
        .map(|s| s.origin.clone())
        .unwrap_or_else(|| panic!("{needle:?} not found in {:#?}", out.segments))
}

fn clean(out: &Extraction) {
    assert!(
        out.unscannable.is_empty(),
        "unscannable: {:?}",
        out.unscannable
    );
    assert!(
        out.mismatches.is_empty(),
        "mismatches: {:?}",
        out.mismatches
    );
}

fn at(path: &str) -> Origin {
    Origin::path(path)
}

fn member(path: &str, member: &str) -> Origin {
    Origin::path(path).child(member)
}

#[test]
fn docx_body_and_table() {
    let out = extract("letter.docx");
    clean(&out);
    assert_eq!(origin_of(&out, SENTENCE), at("letter.docx"));
    assert_eq!(origin_of(&out, "MARKER-DOCX"), at("letter.docx"));
}

#[test]
fn odt_paragraphs() {
    let out = extract("report.odt");
    clean(&out);
    assert_eq!(origin_of(&out, SENTENCE), at("report.odt"));
    assert_eq!(origin_of(&out, "MARKER-ODT"), at("report.odt"));
}

#[test]
fn libreoffice_pdf_per_page() {
    let out = extract("report.pdf");
    clean(&out);
    let page = |n| Origin {
        page: Some(n),
        ..at("report.pdf")
    };
    assert_eq!(origin_of(&out, SENTENCE), page(1));
    assert_eq!(origin_of(&out, "MARKER-PDF-PAGE2"), page(2));
}

#[test]
fn xlsx_shared_strings_in_named_sheet() {
    let out = extract("sheet.xlsx");
    clean(&out);
    let payroll = Origin {
        sheet: Some("Payroll".into()),
        ..at("sheet.xlsx")
    };
    assert_eq!(origin_of(&out, SENTENCE), payroll);
    assert_eq!(origin_of(&out, "MARKER-XLSX"), payroll);
    assert_eq!(origin_of(&out, "Quarter").sheet.as_deref(), Some("Summary"));
}

#[test]
fn xlsx_inline_strings() {
    let out = extract("sheet-inline.xlsx");
    clean(&out);
    let payroll = Origin {
        sheet: Some("Payroll".into()),
        ..at("sheet-inline.xlsx")
    };
    assert_eq!(origin_of(&out, SENTENCE), payroll);
    assert_eq!(origin_of(&out, "MARKER-XLSX-INLINE"), payroll);
}

#[test]
fn ods_per_table() {
    let out = extract("sheet.ods");
    clean(&out);
    let payroll = Origin {
        sheet: Some("Payroll".into()),
        ..at("sheet.ods")
    };
    assert_eq!(origin_of(&out, SENTENCE), payroll);
    assert_eq!(origin_of(&out, "MARKER-ODS"), payroll);
}

#[test]
fn pptx_per_slide() {
    let out = extract("slides.pptx");
    clean(&out);
    let slide = |n| Origin {
        page: Some(n),
        ..at("slides.pptx")
    };
    assert_eq!(origin_of(&out, SENTENCE), slide(1));
    assert_eq!(origin_of(&out, "MARKER-PPTX"), slide(2));
}

#[test]
fn rtf_with_unicode_escapes() {
    let out = extract("note.rtf");
    clean(&out);
    assert_eq!(origin_of(&out, SENTENCE), at("note.rtf"));
    assert_eq!(origin_of(&out, "MARKER-RTF"), at("note.rtf"));
    origin_of(&out, "Herr Müller aus Zürich grüßt.");
}

#[test]
fn html_without_script_style_or_comments() {
    let out = extract("page.html");
    clean(&out);
    assert_eq!(origin_of(&out, SENTENCE), at("page.html"));
    assert_eq!(origin_of(&out, "MARKER-HTML"), at("page.html"));
    origin_of(&out, "Müller <hr>");
    let all: String = out.segments.iter().map(|s| s.text.as_str()).collect();
    for hidden in ["MARKER-SCRIPT", "STYLE-NOT-TEXT", "COMMENT-NOT-TEXT"] {
        assert!(!all.contains(hidden), "{hidden} was extracted");
    }
}

#[test]
fn email_bodies_and_attachment() {
    let out = extract("message.eml");
    clean(&out);
    assert_eq!(origin_of(&out, "MARKER-EML"), at("message.eml"));
    assert_eq!(origin_of(&out, "MARKER-EML-HTML"), at("message.eml"));
    origin_of(&out, "Hello Müller");
    let html = out
        .segments
        .iter()
        .find(|s| s.text.contains("MARKER-EML-HTML"));
    assert!(
        html.is_some_and(|s| words(&s.text).contains(SENTENCE)),
        "HTML body sentence"
    );
    assert_eq!(
        origin_of(&out, "MARKER-DOCX"),
        member("message.eml", "letter.docx")
    );
    assert!(out.segments.iter().any(|s| s.text.contains("Subject:")));
}

#[test]
fn nested_zip_members() {
    let out = extract("archive.zip");
    clean(&out);
    assert_eq!(
        origin_of(&out, "MARKER-ZIP-INNER"),
        member("archive.zip", "notes.txt")
    );
    assert_eq!(
        origin_of(&out, "MARKER-DOCX"),
        member("archive.zip", "docs/letter.docx")
    );
    let deep = member("archive.zip", "inner.zip").child("deep.txt");
    assert_eq!(deep.display(), "archive.zip!inner.zip!deep.txt");
    assert_eq!(origin_of(&out, "MARKER-ZIP-DEEP"), deep);
}

#[test]
fn tar_gz_member() {
    let out = extract("bundle.tar.gz");
    clean(&out);
    assert_eq!(
        origin_of(&out, "MARKER-TGZ"),
        member("bundle.tar.gz", "logs/app.log")
    );
    assert_eq!(
        origin_of(&out, SENTENCE),
        member("bundle.tar.gz", "logs/app.log")
    );
}

#[test]
fn utf16_text() {
    let out = extract("utf16.txt");
    clean(&out);
    assert_eq!(origin_of(&out, "MARKER-UTF16"), at("utf16.txt"));
    origin_of(&out, SENTENCE);
    origin_of(&out, "Müller 東京");
}

#[test]
fn latin1_text() {
    let out = extract("latin1.txt");
    clean(&out);
    assert_eq!(origin_of(&out, "MARKER-LATIN1"), at("latin1.txt"));
    origin_of(&out, SENTENCE);
    origin_of(&out, "Müller Straße");
}

fn only_problem(out: &Extraction) -> (UnscannableReason, Origin) {
    assert_eq!(out.unscannable.len(), 1, "{:?}", out.unscannable);
    let u = &out.unscannable[0];
    assert!(!u.detail.is_empty());
    (u.reason, u.origin.clone())
}

#[test]
fn zip_bomb_is_unscannable() {
    let out = extract("bomb.zip");
    assert!(out.segments.is_empty());
    let expected = (
        UnscannableReason::CompressionRatio,
        member("bomb.zip", "zeros.bin"),
    );
    assert_eq!(only_problem(&out), expected);
}

#[test]
fn zip_slip_member_is_unsafe() {
    let out = extract("zipslip.zip");
    let expected = (
        UnscannableReason::UnsafePath,
        member("zipslip.zip", "../../evil.txt"),
    );
    assert_eq!(only_problem(&out), expected);
    assert_eq!(origin_of(&out, SENTENCE), member("zipslip.zip", "ok.txt"));
}

#[test]
fn encrypted_zip_member() {
    let out = extract("encrypted.zip");
    assert!(out.segments.is_empty());
    let expected = (
        UnscannableReason::Encrypted,
        member("encrypted.zip", "secret.txt"),
    );
    assert_eq!(only_problem(&out), expected);
}

#[test]
fn truncated_pdf_is_corrupt() {
    let out = extract("truncated.pdf");
    assert!(out.mismatches.is_empty());
    assert!(out
        .unscannable
        .iter()
        .all(|u| u.reason == UnscannableReason::Corrupt));
    assert_eq!(
        out.unscannable.first().map(|u| u.origin.clone()),
        Some(at("truncated.pdf"))
    );
}

#[test]
fn png_named_pdf_is_a_mismatch_only() {
    let out = extract("png-named.pdf");
    assert!(out.segments.is_empty() && out.unscannable.is_empty());
    assert_eq!(out.mismatches.len(), 1);
    let m = &out.mismatches[0];
    assert_eq!((m.detected, m.declared.as_str()), (FileType::Png, ".pdf"));
    let json = serde_json::to_value(m).unwrap_or_default();
    assert_eq!(json["path"], "png-named.pdf");
    assert_eq!(json["detected"], "png");
}

#[test]
fn declared_mime_is_checked() {
    let bytes = fixture("letter.docx");
    let out = Extractor::default().extract(at("letter.docx"), &bytes, Some("application/pdf"));
    assert_eq!(out.mismatches.len(), 1);
    assert_eq!(out.mismatches[0].declared, "application/pdf");
    assert_eq!(out.mismatches[0].detected, FileType::Docx);
}
