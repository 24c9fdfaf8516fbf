//! `leakwall detectors`, and readers that stop early.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

#[test]
fn detectors_json_lists_the_catalog() {
    let dir = tempdir();
    let out = run(dir.path(), &["detectors", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).expect("JSON");
    assert!(rows.len() >= 45, "{} detectors", rows.len());
    let ids: BTreeSet<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "ids are not unique");
    for r in &rows {
        let category = r["category"].as_str().unwrap_or("");
        assert!(
            ["pii", "financial", "credential"].contains(&category),
            "{r}"
        );
        let confidence = r["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&confidence), "{r}");
    }
}

#[test]
fn detectors_piped_into_a_closed_reader_does_not_crash() {
    let bin = env!("CARGO_BIN_EXE_leakwall");
    // `head -1` as asked, and a reader that is gone before the first write (a sure EPIPE).
    let script = r#"{ "$0" detectors; echo "rc=$?" >&2; } | head -1
{ sleep 0.2; "$0" detectors; echo "rc=$?" >&2; } | true"#;
    let out = Command::new("sh")
        .args(["-c", script, bin])
        .output()
        .expect("run sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("ID "), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(stderr.trim(), "rc=0\nrc=0", "{stderr}");
}

#[test]
fn regression_a_reader_that_stops_early_still_gets_exit_1() {
    let dir = tempdir();
    let lines: String = (0..100_000).map(|i| format!("{i} card {CARD}\n")).collect();
    write(dir.path(), "many.txt", lines);
    let script = format!(
        "set -o pipefail; '{}' scan --format text many.txt | head -c 10 > /dev/null; echo \"${{PIPESTATUS[0]}}\"",
        env!("CARGO_BIN_EXE_leakwall")
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        status.trim(),
        "1",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
