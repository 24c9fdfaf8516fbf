//! Hostile files: bombs, encryption, unsafe paths, lying names.

use crate::support::*;

/// Scans one fixture; returns the run and the `match` of its `unscannable` findings.
fn hostile(name: &str) -> (Run, Vec<String>) {
    let dir = tempdir();
    fixture(dir.path(), name);
    let out = run(dir.path(), &["scan", "--format", "json", name]);
    let reasons = out
        .of("unscannable")
        .iter()
        .map(|f| f["match"].as_str().expect("match").to_string())
        .collect();
    (out, reasons)
}

#[test]
fn zip_bomb_is_unscannable_compression_ratio_and_exits_1() {
    let (out, reasons) = hostile("bomb.zip");
    assert!(
        reasons.iter().any(|r| r.contains("compression_ratio")),
        "{reasons:?}"
    );
    assert_eq!(out.code, 1);
}

#[test]
fn encrypted_zip_is_unscannable_encrypted() {
    let (out, reasons) = hostile("encrypted.zip");
    assert!(
        reasons.iter().any(|r| r.starts_with("encrypted")),
        "{reasons:?}"
    );
    assert_eq!(out.code, 1);
}

#[test]
fn zip_slip_member_is_unscannable_unsafe_path() {
    let (out, _) = hostile("zipslip.zip");
    let unsafe_member = out.of("unscannable").into_iter().find(|f| {
        f["match"]
            .as_str()
            .is_some_and(|m| m.starts_with("unsafe_path"))
    });
    assert_eq!(
        unsafe_member.expect("unsafe_path finding")["member"],
        "../../evil.txt"
    );
}

#[test]
fn png_named_pdf_is_a_type_mismatch() {
    let (out, _) = hostile("png-named.pdf");
    let found = out.of("type_mismatch");
    assert_eq!(found.len(), 1, "{}", out.stdout);
    assert_eq!(found[0]["category"], "content");
    assert_eq!(out.code, 1);
}
