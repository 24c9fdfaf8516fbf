//! `leakwall policy eval` and `leakwall policy test`: exit codes, output, deny reasons.

use std::path::PathBuf;

use crate::support::*;

const ALLOW: &str = "package p\nallow if input.user == \"root\"\n";

/// The repository's `policies/` directory.
fn example_policies() -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "../../policies"]
        .iter()
        .collect()
}

#[test]
fn eval_true_prints_it_and_exits_0() {
    let dir = tempdir();
    write(dir.path(), "p.rego", ALLOW);
    write(dir.path(), "in.json", r#"{"user": "root"}"#);
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.p.allow",
            "--input",
            "in.json",
            "p.rego",
        ],
    );
    assert_eq!((out.code, out.stdout.trim()), (0, "true"), "{}", out.stderr);
}

#[test]
fn eval_undefined_exits_1_with_the_reason() {
    let dir = tempdir();
    write(dir.path(), "p.rego", ALLOW);
    write(dir.path(), "in.json", r#"{"user": "alice"}"#);
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.p.allow",
            "--input",
            "in.json",
            "p.rego",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    assert!(out.stderr.contains("undefined"), "{}", out.stderr);
}

#[test]
fn eval_false_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p.rego", "package p\nallow := false\n");
    let out = run(
        dir.path(),
        &["policy", "eval", "--query", "data.p.allow", "p.rego"],
    );
    assert_eq!((out.code, out.stdout.trim()), (1, "false"));
    assert!(out.stderr.contains("denied (false)"), "{}", out.stderr);
}

#[test]
fn eval_non_boolean_prints_the_value_and_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p.rego", "package p\nallow := {\"a\": 1}\n");
    let out = run(
        dir.path(),
        &["policy", "eval", "--query", "data.p.allow", "p.rego"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!({"a": 1})
    );
    assert!(out.stderr.contains("not a boolean"), "{}", out.stderr);
}

#[test]
fn eval_missing_policy_file_exits_1_and_names_it() {
    let dir = tempdir();
    let out = run(
        dir.path(),
        &["policy", "eval", "--query", "data.p.allow", "nope.rego"],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("missing_policy") && out.stderr.contains("nope.rego"),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_compile_error_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p.rego", "package p\nallow := {\n");
    let out = run(
        dir.path(),
        &["policy", "eval", "--query", "data.p.allow", "p.rego"],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("compile_error"), "{}", out.stderr);
}

#[test]
fn eval_engine_error_exits_1() {
    let dir = tempdir();
    write(
        dir.path(),
        "p.rego",
        "package p\nallow if to_number(input.n) > 1\n",
    );
    write(dir.path(), "in.json", r#"{"n": "abc"}"#);
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.p.allow",
            "--input",
            "in.json",
            "p.rego",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("engine_error"), "{}", out.stderr);
}

#[test]
fn eval_timeout_exits_1() {
    let dir = tempdir();
    write(
        dir.path(),
        "slow.rego",
        "package slow\nallow if count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000)]) > 0\n",
    );
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--timeout-ms",
            "5",
            "--query",
            "data.slow.allow",
            "slow.rego",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("timeout"), "{}", out.stderr);
}

#[test]
fn eval_uses_data_documents_and_v0() {
    let dir = tempdir();
    write(
        dir.path(),
        "p.rego",
        "package p\nallow { input.user == data.admins[_] }\n",
    );
    write(dir.path(), "admins.yaml", "admins: [root]\n");
    write(dir.path(), "in.json", r#"{"user": "root"}"#);
    let args = [
        "policy",
        "eval",
        "--v0",
        "--data",
        "admins.yaml",
        "--query",
        "data.p.allow",
        "--input",
        "in.json",
        "p.rego",
    ];
    let out = run(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn eval_leakwall_scan_uses_the_builtin_detectors_without_the_secret() {
    let dir = tempdir();
    write(
        dir.path(),
        "p.rego",
        "package p\nfindings := leakwall.scan(input.text)\n",
    );
    write(
        dir.path(),
        "in.json",
        format!(r#"{{"text": "card {CARD}"}}"#),
    );
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.p.findings",
            "--input",
            "in.json",
            "p.rego",
        ],
    );
    assert_eq!(out.code, 1, "an array is not a boolean");
    assert!(out.stdout.contains("\"credit_card\""), "{}", out.stdout);
    assert!(
        !out.stdout.contains("4111"),
        "the matched text leaked: {}",
        out.stdout
    );
}

#[test]
fn eval_unreadable_input_is_a_usage_error() {
    let dir = tempdir();
    write(dir.path(), "p.rego", ALLOW);
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.p.allow",
            "--input",
            "missing.json",
            "p.rego",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}

#[test]
fn eval_example_proxy_policy() {
    let dir = tempdir();
    let input = r#"{"stage": "http", "request": {"method": "PUT", "path": "/dav/files/a/setup.exe"}, "resource": {"name": "setup.exe"}}"#;
    write(dir.path(), "in.json", input);
    let policies = example_policies();
    let policies = policies.to_str().expect("UTF-8 path");
    let out = run(
        dir.path(),
        &[
            "policy",
            "eval",
            "--query",
            "data.proxy.granted",
            "--input",
            "in.json",
            policies,
        ],
    );
    assert_eq!(
        (out.code, out.stdout.trim()),
        (1, "false"),
        "{}",
        out.stderr
    );
}

#[test]
fn test_runs_the_example_policies() {
    let dir = tempdir();
    let policies = example_policies();
    let out = run(
        dir.path(),
        &["policy", "test", policies.to_str().expect("UTF-8 path")],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("PASS data.proxy_test.test_put_exe_over_webdav_is_denied"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .last()
            .is_some_and(|l| l.ends_with(" passed, 0 failed")),
        "{}",
        out.stdout
    );
}

#[test]
fn test_reports_failures_and_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p/p.rego", "package p\nallow if input.ok\n");
    write(
        dir.path(),
        "p/p_test.rego",
        "package p_test\ntest_ok if data.p.allow with input as {\"ok\": true}\ntest_broken if data.p.allow\n",
    );
    let out = run(dir.path(), &["policy", "test", "p"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("PASS data.p_test.test_ok"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("FAIL data.p_test.test_broken"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 passed, 1 failed"), "{}", out.stdout);
}

#[test]
fn test_compile_error_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p/p_test.rego", "package p_test\ntest_x if {\n");
    let out = run(dir.path(), &["policy", "test", "p"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("compile"), "{}", out.stderr);
}

#[test]
fn test_without_tests_exits_1() {
    let dir = tempdir();
    write(dir.path(), "p/p.rego", "package p\nallow := true\n");
    let out = run(dir.path(), &["policy", "test", "p"]);
    assert_eq!((out.code, out.stdout.trim()), (1, "0 passed, 0 failed"));
}
