//! Inputs: stdin, directories, threads, filters, configuration, large and nested text.

use std::process::Command;

use crate::support::*;

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
fn a_directory_scan_shows_progress_on_a_terminal_and_not_in_a_pipe() {
    let dir = tempdir();
    let line = format!("{CARD} {EMAIL} order 12345678\n");
    for i in 0..150 {
        write(
            &dir.path().join("many"),
            &format!("f{i}.log"),
            line.repeat(500),
        );
    }
    let piped = run(dir.path(), &["scan", "--format", "json", "many"]);
    assert!(!piped.stderr.contains("scanning"), "{}", piped.stderr);
    let shown = on_a_terminal(dir.path(), "scan --format json many");
    assert!(shown.contains("scanning"), "no progress bar in: {shown:?}");
    assert!(shown.contains("/150 files"), "{shown:?}");
    let quiet = on_a_terminal(dir.path(), "scan --format json --no-progress many");
    assert!(!quiet.contains("scanning"), "{quiet:?}");
}

/// Runs `leakwall ARGS > /dev/null` with a terminal as standard error (`script` from
/// util-linux) and returns what was drawn on it.
fn on_a_terminal(dir: &std::path::Path, args: &str) -> String {
    let command = format!("'{}' {args} > /dev/null", env!("CARGO_BIN_EXE_leakwall"));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
