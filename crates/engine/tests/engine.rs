//! The integration tests of leakwall-engine: real files from `testdata/extract/` and plain
//! text through the whole pipeline, as bytes and as a stream.

use std::path::PathBuf;

use leakwall_core::Origin;
use leakwall_detect::Scanner;
use leakwall_engine::{Engine, Scanned, STREAM_CHUNK, TYPE_MISMATCH, UNSCANNABLE};
use leakwall_extract::Limits;

const CARD: &str = "4111 1111 1111 1111";

fn engine() -> Engine {
    Engine::new(Scanner::builtin(), Limits::default())
}

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../testdata/extract", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Every finding of `scan_read` over `bytes`.
fn scan_read(engine: &Engine, name: &str, bytes: &[u8], show_secrets: bool) -> Vec<Scanned> {
    let mut found = Vec::new();
    engine
        .scan_read(Origin::path(name), bytes, show_secrets, &mut |s| {
            found.push(s)
        })
        .expect("reading a slice cannot fail");
    found
}

fn of<'a>(found: &'a [Scanned], detector: &str) -> Vec<&'a Scanned> {
    found
        .iter()
        .filter(|s| &*s.finding.detector == detector)
        .collect()
}

/// Plain text: a card on line 3 and line 5, an e-mail on line 4.
fn plain_text() -> String {
    format!("hello\n\ncard {CARD}\nmail jane.doe@corp-mail.com\nagain card 5555 5555 5555 4444\n")
}

#[test]
fn docx_findings_name_the_file_and_the_line() {
    let report = engine().scan_bytes(
        Origin::path("letter.docx"),
        &fixture("letter.docx"),
        None,
        false,
    );
    let cards = of(&report.findings, "credit_card");
    assert_eq!(cards.len(), 1, "{:#?}", report.findings);
    let card = &cards[0].finding;
    assert_eq!(*card.origin, Origin::path("letter.docx"));
    assert_eq!(card.line, 2);
    assert!(!of(&report.findings, "email").is_empty());
    assert_eq!(report.bytes, fixture("letter.docx").len() as u64);
}

#[test]
fn docx_inside_a_zip_names_its_member() {
    let report = engine().scan_bytes(Origin::path("a.zip"), &fixture("archive.zip"), None, false);
    let in_docx = of(&report.findings, "credit_card")
        .into_iter()
        .find(|s| s.finding.origin.member.as_deref() == Some("docs/letter.docx"));
    let origin = &in_docx.expect("card in docs/letter.docx").finding.origin;
    assert_eq!(origin.path, "a.zip");
}

#[test]
fn streaming_and_bytes_give_the_same_findings_for_plain_text() {
    let engine = engine();
    let text = plain_text();
    let whole = engine.scan_bytes(Origin::path("t.txt"), text.as_bytes(), None, false);
    let streamed = scan_read(&engine, "t.txt", text.as_bytes(), false);
    assert_eq!(streamed, whole.findings);
    let lines: Vec<usize> = streamed.iter().map(|s| s.finding.line).collect();
    assert_eq!(lines, [3, 4, 5]);
}

#[test]
fn streaming_text_over_several_chunks_reads_every_byte_and_keeps_offsets() {
    let filler = "lorem ipsum dolor sit amet\n".repeat(STREAM_CHUNK * 5 / 2 / 27);
    let text = format!("{filler}card {CARD}");
    let mut found = Vec::new();
    let read = engine()
        .scan_read(Origin::path("big.txt"), text.as_bytes(), false, &mut |s| {
            found.push(s.finding)
        })
        .expect("reading a slice cannot fail");
    assert_eq!(read, text.len() as u64);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].start, text.len() - CARD.len());
    assert_eq!(found[0].line, filler.lines().count() + 1);
}

#[test]
fn findings_are_masked_unless_secrets_are_asked_for() {
    let engine = engine();
    let text = format!("card {CARD}\n");
    let masked = scan_read(&engine, "t.txt", text.as_bytes(), false);
    assert_eq!(masked[0].secret, None);
    assert!(!masked[0].finding.masked.contains(CARD));
    assert_eq!(masked[0].finding.masked.chars().count(), CARD.len());
    let shown = engine.scan_bytes(Origin::path("t.txt"), text.as_bytes(), None, true);
    assert_eq!(shown.findings[0].secret.as_deref(), Some(CARD));
    assert_eq!(shown.findings[0].finding, masked[0].finding);
}

#[test]
fn scan_read_reports_non_text_over_the_input_limit() {
    let limits = Limits {
        max_input_bytes: 16 * 1024,
        ..Limits::default()
    };
    let engine = Engine::new(Scanner::builtin(), limits);
    let found = scan_read(&engine, "letter.docx", &fixture("letter.docx"), false);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(&*found[0].finding.detector, UNSCANNABLE);
    assert!(found[0].finding.masked.starts_with("too_large"));
}

#[test]
fn scan_read_extracts_non_text_under_the_limit() {
    let found = scan_read(&engine(), "letter.docx", &fixture("letter.docx"), false);
    assert_eq!(of(&found, "credit_card").len(), 1, "{found:#?}");
}

#[test]
fn utf16_text_is_decoded_not_streamed_raw() {
    let found = scan_read(&engine(), "utf16.txt", &fixture("utf16.txt"), false);
    let card = of(&found, "credit_card");
    assert_eq!(card.len(), 1, "{found:#?}");
    assert_eq!(card[0].finding.line, 2);
}

#[test]
fn hostile_archives_are_findings_not_silence() {
    let engine = engine();
    let bomb = engine.scan_bytes(Origin::path("bomb.zip"), &fixture("bomb.zip"), None, false);
    assert!(bomb.has_unscannable());
    let png = fixture("png-named.pdf");
    let mismatch = engine.scan_bytes(Origin::path("png-named.pdf"), &png, None, false);
    assert_eq!(of(&mismatch.findings, TYPE_MISMATCH).len(), 1);
}

#[test]
fn text_over_a_segment_gives_the_same_findings_as_streaming() {
    let limits = Limits {
        max_segment_bytes: 64,
        ..Limits::default()
    };
    let engine = Engine::new(Scanner::builtin(), limits);
    let text = plain_text();
    let whole = engine.scan_bytes(Origin::path("t.txt"), text.as_bytes(), None, false);
    let streamed = scan_read(&engine, "t.txt", text.as_bytes(), false);
    assert_eq!(whole.findings, streamed);
}
