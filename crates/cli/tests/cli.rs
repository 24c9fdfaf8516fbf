//! End-to-end tests of the `leakwall` binary: each test writes its inputs into a temporary
//! directory, runs the real binary there and checks the exit code and the output.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A card number that passes Luhn; "card" before it raises its confidence to 1.0.
const CARD: &str = "4111 1111 1111 1111";
const EMAIL: &str = "jane.doe@corp-mail.com";
const MIB: usize = 1024 * 1024;

/// What one run of the binary gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The findings of a `--format json` run.
    fn findings(&self) -> Vec<Value> {
        match serde_json::from_str(&self.stdout) {
            Ok(Value::Array(findings)) => findings,
            other => panic!("not a JSON array ({other:?}):\n{}", self.stdout),
        }
    }

    /// The JSON findings of `detector`.
    fn of(&self, detector: &str) -> Vec<Value> {
        let all = self.findings();
        all.into_iter()
            .filter(|f| f["detector"] == detector)
            .collect()
    }
}

/// Runs `leakwall ARGS` in `dir` with `stdin` as standard input.
fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn leakwall");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for leakwall");
    Run {
        code: out.status.code().expect("exit code (not a signal)"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_with_stdin(dir, args, b"")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Writes `content` to `dir/name`, creating parent directories.
fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, content).expect("write input");
    path
}

/// Copies `testdata/extract/NAME` into `dir`.
fn fixture(dir: &Path, name: &str) {
    let from: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../testdata/extract", name]
        .iter()
        .collect();
    std::fs::copy(&from, dir.join(name)).expect("copy fixture");
}

/// A set of (path, line, detector, start) for comparing runs whose order differs.
fn spots(findings: &[Value]) -> BTreeSet<(String, u64, String, u64)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().expect(k).to_string();
            let n = |k: &str| f[k].as_u64().expect(k);
            (s("path"), n("line"), s("detector"), n("start"))
        })
        .collect()
}

/// An uncompressed ustar archive holding one file.
fn tar_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let mut field =
        |at: usize, text: String| header[at..at + text.len()].copy_from_slice(text.as_bytes());
    field(100, "0000644\0".into());
    field(108, "0000000\0".into());
    field(116, "0000000\0".into());
    field(124, format!("{:011o}\0", data.len()));
    field(136, format!("{:011o}\0", 0));
    field(148, "        ".into());
    field(156, "0".into());
    field(257, "ustar\0".into());
    field(263, "00".into());
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    tar
}

/// Filler lines (no digits, no `@`) with `card CARD` planted so that the card starts 8 bytes
/// before each of `borders`; then filler up to `len` and the card once more at the very end,
/// with no newline after it. Returns the text and the (start, line) of every planted card.
fn planted_cards(borders: &[usize], len: usize) -> (Vec<u8>, Vec<(u64, u64)>) {
    let filler = b"lorem ipsum dolor sit amet consectetur adipiscing elit\n";
    let mut out = Vec::with_capacity(len + 1024);
    let mut planted = Vec::new();
    let mut plant = |out: &mut Vec<u8>, at: usize| {
        while out.len() + filler.len() < at {
            out.extend_from_slice(filler);
        }
        out.resize(at - 6, b'x');
        out.extend_from_slice(b" card ");
        let line = memchr_count(out) + 1;
        planted.push((out.len() as u64, line));
        out.extend_from_slice(CARD.as_bytes());
    };
    for &border in borders {
        plant(&mut out, border - 8);
        out.push(b'\n');
    }
    plant(&mut out, len);
    (out, planted)
}

/// The (start, line) of every `credit_card` finding, in output order.
fn card_spots(out: &Run) -> Vec<(u64, u64)> {
    let n = |f: &Value, k: &str| f[k].as_u64().expect(k);
    let cards = out.of("credit_card");
    cards
        .iter()
        .map(|f| (n(f, "start"), n(f, "line")))
        .collect()
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[test]
fn clean_input_exits_0() {
    let dir = tempdir();
    write(dir.path(), "clean.txt", "nothing to see here\n");
    let out = run(dir.path(), &["scan", "clean.txt"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
}

#[test]
fn findings_exit_1() {
    let dir = tempdir();
    write(dir.path(), "a.txt", format!("card {CARD}\n"));
    assert_eq!(run(dir.path(), &["scan", "a.txt"]).code, 1);
}

#[test]
fn missing_path_exits_2_and_names_it() {
    let dir = tempdir();
    let out = run(dir.path(), &["scan", "no-such-file.txt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no-such-file.txt"), "{}", out.stderr);
}

#[test]
fn min_confidence_above_1_exits_2() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "clean\n");
    let out = run(dir.path(), &["scan", "--min-confidence", "7", "a.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn unknown_detector_exits_2_and_names_it() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "clean\n");
    let out = run(dir.path(), &["scan", "--detectors", "no_such", "a.txt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no_such"), "{}", out.stderr);
}

#[test]
fn config_with_unknown_key_exits_2() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "clean\n");
    write(dir.path(), "c.yaml", "colour: red\n");
    let out = run(dir.path(), &["scan", "--config", "c.yaml", "a.txt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("colour"), "{}", out.stderr);
}

#[test]
fn config_with_invalid_pattern_exits_2_naming_the_detector() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "clean\n");
    let yaml = "detectors:\n  - id: broken_badge\n    pattern: 'EMP-[0-9'\n";
    write(dir.path(), "c.yaml", yaml);
    let out = run(dir.path(), &["scan", "--config", "c.yaml", "a.txt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken_badge"), "{}", out.stderr);
}

#[test]
fn config_with_unknown_validator_exits_2_naming_the_detector() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "clean\n");
    let yaml = "detectors:\n  - id: badge\n    pattern: 'EMP-[0-9]{6}'\n    validator: nope\n";
    write(dir.path(), "c.yaml", yaml);
    let out = run(dir.path(), &["scan", "--config", "c.yaml", "a.txt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("badge"), "{}", out.stderr);
}

#[test]
fn config_with_category_content_exits_2_naming_the_detector() {
    let dir = tempdir();
    write(dir.path(), "a.txt", "badge EMP-123456\n");
    let yaml = "detectors:\n  - id: badge\n    pattern: 'EMP-[0-9]{6}'\n    category: content\n";
    write(dir.path(), "c.yaml", yaml);
    let out = run(dir.path(), &["scan", "--config", "c.yaml", "a.txt"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("badge"), "{}", out.stderr);
}

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

#[test]
fn stdin_dash_is_scanned() {
    let dir = tempdir();
    let input = format!("card {CARD}\n");
    let out = run_with_stdin(
        dir.path(),
        &["scan", "--format", "json", "-"],
        input.as_bytes(),
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.of("credit_card")[0]["path"], "-");
}

#[test]
fn directories_are_walked_recursively_and_each_file_reported_once() {
    let dir = tempdir();
    write(dir.path(), "tree/top.txt", format!("card {CARD}\n"));
    write(dir.path(), "tree/a/b/c/deep.txt", format!("card {CARD}\n"));
    write(dir.path(), "tree/a/clean.txt", "nothing\n");
    let out = run(dir.path(), &["scan", "--format", "json", "tree"]);
    let mut paths: Vec<String> = out
        .of("credit_card")
        .iter()
        .map(|f| f["path"].as_str().expect("path").replace('\\', "/"))
        .collect();
    paths.sort();
    assert_eq!(paths, ["tree/a/b/c/deep.txt", "tree/top.txt"]);
}

#[test]
fn one_and_two_threads_find_the_same_set() {
    let dir = tempdir();
    for i in 0..30 {
        let body = match i % 3 {
            0 => format!("file {i}\ncard {CARD}\n"),
            1 => format!("file {i}\n\nmail {EMAIL}\n"),
            _ => format!("file {i} is clean\n"),
        };
        write(dir.path(), &format!("many/d{}/f{i}.txt", i % 4), body);
    }
    let scan = |threads: &str| {
        let out = run(
            dir.path(),
            &["scan", "--format", "json", "--threads", threads, "many"],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        out.findings()
    };
    let one = scan("1");
    let two = scan("2");
    assert_eq!(one.len(), 20);
    assert_eq!(spots(&one).len(), 20);
    assert_eq!(spots(&one), spots(&two));
}

#[test]
fn detectors_flag_keeps_only_those_detectors() {
    let dir = tempdir();
    write(dir.path(), "a.txt", format!("card {CARD}\nmail {EMAIL}\n"));
    let all = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    assert!(!all.of("email").is_empty());
    let only = run(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--detectors",
            "credit_card",
            "a.txt",
        ],
    );
    let found = only.findings();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|f| f["detector"] == "credit_card"),
        "{found:?}"
    );
}

#[test]
fn min_confidence_drops_lower_findings() {
    let dir = tempdir();
    // The card has a context word (1.0); the e-mail has none (0.7).
    write(
        dir.path(),
        "a.txt",
        format!("card {CARD}\nreach jane@example.org\n"),
    );
    let all = run(dir.path(), &["scan", "--format", "json", "a.txt"]);
    assert!(!all.of("email").is_empty());
    let high = run(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--min-confidence",
            "0.99",
            "a.txt",
        ],
    );
    let found = high.findings();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["detector"], "credit_card");
}

#[test]
fn custom_detector_from_config_is_found() {
    let dir = tempdir();
    let yaml = "detectors: [{id: employee_id, pattern: 'EMP-[0-9]{6}', category: pii}]\n";
    write(dir.path(), "c.yaml", yaml);
    write(dir.path(), "a.txt", "hello\nbadge EMP-123456 here\n");
    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--config", "c.yaml", "a.txt"],
    );
    let found = out.of("employee_id");
    assert_eq!(found.len(), 1, "{}", out.stdout);
    assert_eq!(
        (&found[0]["category"], &found[0]["line"]),
        (&"pii".into(), &2.into())
    );
    assert_eq!(out.code, 1);
}

#[test]
fn non_text_over_the_input_limit_is_unscannable_too_large() {
    let dir = tempdir();
    let mut blob = b"PK\x03\x04".to_vec();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while blob.len() < 2 * MIB {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        blob.extend_from_slice(&x.to_le_bytes());
    }
    write(dir.path(), "blob.zip", blob);
    write(dir.path(), "c.yaml", "limits: {max_input_mib: 1}\n");
    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--config", "c.yaml", "blob.zip"],
    );
    let found = out.of("unscannable");
    assert_eq!(found.len(), 1, "{}", out.stdout);
    let reason = found[0]["match"].as_str().expect("match");
    assert!(reason.starts_with("too_large"), "{reason}");
    assert_eq!(out.code, 1);
}

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

#[test]
fn large_text_finds_each_secret_once_on_its_line_across_chunk_borders() {
    let dir = tempdir();
    // Stream chunks end near every MiB (plus an overlap of 20 KiB); the README says 4 MiB.
    let borders: Vec<usize> = [1, 4, 8]
        .iter()
        .flat_map(|&k| [k * MIB, k * MIB + 256, k * MIB + 20 * 1024 + 256])
        .collect();
    let (text, planted) = planted_cards(&borders, 12 * MIB);
    write(dir.path(), "big.txt", text);
    let out = run(dir.path(), &["scan", "--format", "json", "big.txt"]);
    assert_eq!(card_spots(&out), planted);
}

#[test]
fn secrets_in_a_large_archive_member_keep_their_lines() {
    let dir = tempdir();
    let (text, planted) = planted_cards(&[4 * MIB], 5 * MIB);
    write(dir.path(), "big.tar", tar_with("big.txt", &text));
    let out = run(dir.path(), &["scan", "--format", "json", "big.tar"]);
    assert_eq!(card_spots(&out), planted);
}

#[test]
fn small_tar_member_is_scanned() {
    let dir = tempdir();
    write(
        dir.path(),
        "s.tar",
        tar_with("s.txt", format!("x\ncard {CARD}\n").as_bytes()),
    );
    let out = run(dir.path(), &["scan", "--format", "json", "s.tar"]);
    let card = &out.of("credit_card")[0];
    assert_eq!(
        (&card["member"], &card["line"]),
        (&"s.txt".into(), &2.into())
    );
}

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
