//! JSON, SARIF and text output; masking.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::*;

#[test]
fn json_findings_have_every_field_and_a_masked_match() {
    let dir = tempdir();
    write(dir.path(), "a.txt", format!("card {CARD}\n"));
    let out = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    assert!(!out.stdout.contains(CARD), "{}", out.stdout);
    let card = &out.of("credit_card")[0];
    for key in ["category", "confidence", "start", "end", "line", "match"] {
        assert!(card.get(key).is_some(), "{key} missing in {card}");
    }
    assert_eq!(card["category"], "financial");
    assert_eq!(card["path"], "a.txt");
    assert_eq!(
        (card["start"].as_u64(), card["end"].as_u64()),
        (Some(5), Some(24))
    );
    assert_eq!(card["match"].as_str().map(str::len), Some(CARD.len()));
}

#[test]
fn show_secrets_prints_the_match_exactly() {
    let dir = tempdir();
    write(dir.path(), "a.txt", format!("card {CARD}\n"));
    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--show-secrets", "a.txt"],
    );
    assert_eq!(out.of("credit_card")[0]["match"], CARD);
}

#[test]
fn json_line_is_the_line_of_the_secret() {
    let dir = tempdir();
    write(
        dir.path(),
        "a.txt",
        format!("one\ntwo\nthree card {CARD}\nfour\n"),
    );
    let out = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    assert_eq!(out.of("credit_card")[0]["line"], 3);
}

#[test]
fn zip_members_are_named_in_member() {
    let dir = tempdir();
    fixture(dir.path(), "archive.zip");
    let out = run(dir.path(), &["scan", "--format", "json", "archive.zip"]);
    let members: BTreeSet<String> = out
        .of("credit_card")
        .iter()
        .map(|f| f["member"].as_str().unwrap_or("(none)").to_string())
        .collect();
    let want = ["notes.txt", "docs/letter.docx", "inner.zip!deep.txt"].map(String::from);
    let want = BTreeSet::from(want);
    assert_eq!(members, want);
    assert_eq!(out.code, 1);
}

#[test]
fn sarif_is_2_1_0_with_rules_and_locations() {
    let dir = tempdir();
    write(dir.path(), "a.txt", format!("card {CARD}\n"));
    let out = run(dir.path(), &["scan", "--format", "sarif", "a.txt"]);
    let log: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "credit_card"));
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "credit_card");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "a.txt");
    assert_eq!(location["region"]["startLine"], 1);
    assert!(!out.stdout.contains(CARD));
}

#[test]
fn sarif_uri_is_percent_encoded() {
    let dir = tempdir();
    write(dir.path(), "my file#1.txt", format!("card {CARD}\n"));
    let out = run(dir.path(), &["scan", "--format", "sarif", "my file#1.txt"]);
    let log: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    let location = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "my%20file%231.txt");
}

#[test]
fn text_is_one_line_per_finding_without_the_secret() {
    let dir = tempdir();
    write(
        dir.path(),
        "a.txt",
        format!("x\ncard {CARD}\nmail {EMAIL}\n"),
    );
    let text = run(dir.path(), &["scan", "a.txt"]);
    let json = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), json.findings().len(), "{}", text.stdout);
    assert!(
        lines[0].starts_with("a.txt:2: credit_card "),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("a.txt:3: email "), "{}", lines[1]);
    assert!(!text.stdout.contains(CARD) && !text.stdout.contains(EMAIL));
}
