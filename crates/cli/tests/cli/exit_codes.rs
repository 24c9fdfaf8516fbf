//! Exit codes and errors that name what was wrong.

use crate::support::*;

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
