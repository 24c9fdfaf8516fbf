//! Case tables for the built-in detectors.
//!
//! Every `tests/cases/*.yaml` file lists, per detector id, positive texts (the detector must
//! report exactly the `match` span at confidence >= 0.5) and negative texts (the detector must
//! report nothing at confidence >= 0.5). The harness runs every case against
//! `Scanner::builtin()` and fails once, listing every failing case, so one run shows the whole
//! picture. It also fails when a table names a detector the scanner does not have, when a
//! detector appears in two tables, and when a built-in detector has no positive case.
//!
//! Set `LEAKWALL_CASES=<detector id>` to run only that detector's cases.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use leakwall_detect::{Match, Scanner};
use serde::Deserialize;

/// Confidence at or above which a match counts as a finding.
const THRESHOLD: f32 = 0.5;

/// Minimum cases of each kind a table entry should carry.
const MIN_CASES: usize = 2;

/// One detector's cases in a table file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorCases {
    detector: String,
    #[serde(default)]
    positives: Vec<Positive>,
    #[serde(default)]
    negatives: Vec<String>,
}

/// A text that must give a finding spanning exactly `expected`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Positive {
    text: String,
    #[serde(rename = "match")]
    expected: String,
}

/// Every `*.yaml` under `tests/cases`, sorted, with the path it came from.
fn load_tables(failures: &mut Vec<String>) -> Vec<(PathBuf, DetectorCases)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no case tables in {}", dir.display());
    let mut tables = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        match serde_yaml::from_str::<Vec<DetectorCases>>(&text) {
            Ok(cases) => tables.extend(cases.into_iter().map(|c| (path.clone(), c))),
            Err(e) => failures.push(format!("{}: not a case table: {e}", path.display())),
        }
    }
    tables
}

/// How the findings of a scan read in a failure message.
fn describe(scanner: &Scanner, text: &str, matches: &[Match]) -> String {
    if matches.is_empty() {
        return "no findings".to_string();
    }
    let mut out = String::new();
    for m in matches {
        let span = text
            .get(m.start..m.end)
            .unwrap_or("<not on a char boundary>");
        let id = scanner.detector(m).id();
        let _ = write!(
            out,
            "\n        {id} {span:?} @{}..{} conf {:.2}",
            m.start, m.end, m.confidence
        );
    }
    out
}

/// Checks one positive: a finding of `detector` whose span is exactly an occurrence of
/// `expected`, at confidence >= THRESHOLD.
fn check_positive(scanner: &Scanner, detector: &str, case: &Positive) -> Result<(), String> {
    let text = &case.text;
    let occurrences: Vec<(usize, usize)> = text
        .match_indices(case.expected.as_str())
        .map(|(start, s)| (start, start + s.len()))
        .collect();
    if occurrences.is_empty() {
        return Err(format!(
            "table error: match {:?} is not in the text",
            case.expected
        ));
    }
    let matches = scanner.scan(text.as_bytes());
    let found = matches.iter().any(|m| {
        scanner.detector(m).id() == detector
            && m.confidence >= THRESHOLD
            && occurrences.contains(&(m.start, m.end))
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "expected {:?}; found: {}",
            case.expected,
            describe(scanner, text, &matches)
        ))
    }
}

/// Checks one negative: no finding of `detector` at confidence >= THRESHOLD.
fn check_negative(scanner: &Scanner, detector: &str, text: &str) -> Result<(), String> {
    let matches = scanner.scan(text.as_bytes());
    let hits: Vec<Match> = matches
        .iter()
        .copied()
        .filter(|m| scanner.detector(m).id() == detector && m.confidence >= THRESHOLD)
        .collect();
    if hits.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected nothing; found: {}",
            describe(scanner, text, &hits)
        ))
    }
}

#[test]
fn builtin_detector_cases() {
    let only = std::env::var("LEAKWALL_CASES").ok();
    let mut failures = Vec::new();
    let tables = load_tables(&mut failures);
    let scanner = Scanner::builtin();
    let known: BTreeSet<&str> = scanner.detectors().iter().map(|d| d.id()).collect();

    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut with_positive: BTreeSet<&str> = BTreeSet::new();
    let (mut positives, mut negatives) = (0, 0);
    for (path, cases) in &tables {
        let id = cases.detector.as_str();
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        if !known.contains(id) {
            failures.push(format!("{file}: unknown detector id {id:?}"));
            continue;
        }
        if let Some(first) = seen.insert(id, path) {
            failures.push(format!(
                "{file}: {id} already has cases in {}",
                first.display()
            ));
        }
        if cases.positives.len() < MIN_CASES || cases.negatives.len() < MIN_CASES {
            failures.push(format!(
                "{file}: {id} needs at least {MIN_CASES} positives and {MIN_CASES} negatives"
            ));
        }
        if !cases.positives.is_empty() {
            with_positive.insert(id);
        }
        if only.as_deref().is_some_and(|o| o != id) {
            continue;
        }
        for case in &cases.positives {
            positives += 1;
            if let Err(why) = check_positive(&scanner, id, case) {
                failures.push(format!(
                    "{file}: {id} positive {:?}\n      {why}",
                    case.text
                ));
            }
        }
        for text in &cases.negatives {
            negatives += 1;
            if let Err(why) = check_negative(&scanner, id, text) {
                failures.push(format!("{file}: {id} negative {text:?}\n      {why}"));
            }
        }
    }
    for id in known.difference(&with_positive) {
        failures.push(format!("built-in detector {id} has no positive case"));
    }

    eprintln!("detector cases: {positives} positives, {negatives} negatives checked");
    assert!(
        failures.is_empty(),
        "{} case failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
