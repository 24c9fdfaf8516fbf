//! The engine's YAML case tables (`tests/cases/*.yaml`, the regorus habit): each case names
//! its policies, input, query and the expected verdict, deny reason, value or document.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leakwall_policy::{
    Decision, DecisionDocument, PolicySetBuilder, Settings, Verdict, DEFAULT_MAX_POLICY_BYTES,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    note: String,
    /// Policy sources by name.
    #[serde(default)]
    policies: BTreeMap<String, String>,
    /// Policy files that must exist or not (paths relative to nothing; used for missing files).
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    rego_v0: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    max_policy_bytes: Option<usize>,
    /// Apache `mime.types` text extending the table.
    #[serde(default)]
    mimes: Option<String>,
    /// What the fake `leakwall.scan` returns.
    #[serde(default)]
    scan: Option<Value>,
    query: String,
    #[serde(default)]
    input: Value,
    #[serde(default)]
    mode: Mode,
    /// `allow` or `deny` (bool mode).
    #[serde(default)]
    want: Option<String>,
    /// The deny reason's kind.
    #[serde(default)]
    reason: Option<String>,
    /// A fragment the deny reason's text contains.
    #[serde(default)]
    message: Option<String>,
    /// Expected value (eval mode); absent with `undefined: true`.
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    undefined: bool,
    /// Expected document (document mode).
    #[serde(default)]
    document: Option<DecisionDocument>,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Bool,
    Eval,
    Document,
}

fn decision(case: &Case) -> Decision {
    let built = (|| {
        let mut settings = Settings::default().with_rego_v0(case.rego_v0);
        if let Some(ms) = case.timeout_ms {
            settings = settings.with_timeout(Duration::from_millis(ms))?;
        }
        settings = settings
            .with_max_policy_bytes(case.max_policy_bytes.unwrap_or(DEFAULT_MAX_POLICY_BYTES))?;
        let mut builder = PolicySetBuilder::new(settings);
        for (name, text) in &case.policies {
            builder = builder.source(name, text);
        }
        for path in &case.paths {
            builder = builder.path(path)?;
        }
        if let Some(data) = &case.data {
            builder = builder.data("case.json", data.clone());
        }
        if let Some(mimes) = &case.mimes {
            builder = builder.mime_types(mimes);
        }
        if let Some(findings) = case.scan.clone() {
            builder = builder.scanner(Arc::new(move |_text: &str| findings.clone()));
        }
        builder.build()
    })();
    Decision::from(built)
}

fn check(case: &Case) -> Result<(), String> {
    let decision = decision(case);
    let denied = |reason: &leakwall_policy::DenyReason| -> Result<(), String> {
        if let Some(kind) = &case.reason {
            if reason.kind() != kind {
                return Err(format!("reason {} ({reason}), want {kind}", reason.kind()));
            }
        }
        if let Some(fragment) = &case.message {
            if !reason.to_string().contains(fragment.as_str()) {
                return Err(format!("reason `{reason}` lacks `{fragment}`"));
            }
        }
        Ok(())
    };
    match case.mode {
        Mode::Bool => {
            let want = case.want.as_deref().unwrap_or("deny");
            match (decision.evaluate_bool(&case.query, &case.input), want) {
                (Verdict::Allow, "allow") => Ok(()),
                (Verdict::Deny(reason), "deny") => denied(&reason),
                (got, _) => Err(format!("got {got:?}, want {want}")),
            }
        }
        Mode::Eval => match decision.eval(&case.query, &case.input) {
            Ok(None) if case.undefined => Ok(()),
            Ok(Some(got)) if case.value.as_ref() == Some(&got) => Ok(()),
            Err(reason) if case.reason.is_some() => denied(&reason),
            got => Err(format!("got {got:?}, want {:?}", case.value)),
        },
        Mode::Document => match decision.evaluate_document(&case.query, &case.input) {
            Ok(doc) if case.document.as_ref() == Some(&doc) => Ok(()),
            Err(reason) if case.reason.is_some() => denied(&reason),
            got => Err(format!("got {got:?}, want {:?}", case.document)),
        },
    }
}

#[test]
fn yaml_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read case file");
        let table: Table =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in &table.cases {
            count += 1;
            if let Err(e) = check(case) {
                failures.push(format!("{} / {}: {e}", file.display(), case.note));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count > 0);
}

#[test]
fn unreadable_policy_file_denies_with_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.rego");
    std::fs::write(&path, b"package p\n\xff\xfe allow := true\n").expect("write");
    let decision = Decision::from(
        PolicySetBuilder::new(Settings::default())
            .path(&path)
            .and_then(|b| b.build()),
    );
    let Verdict::Deny(reason) = decision.evaluate_bool("data.p.allow", &Value::Null) else {
        panic!("allowed");
    };
    assert_eq!(reason.kind(), "unreadable", "{reason}");
    assert!(reason.to_string().contains("bad.rego"), "{reason}");
}

#[test]
fn directory_loads_every_rego_file_recursively() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("a.rego"), "package a\nallow := data.b.ok\n").expect("write");
    std::fs::write(dir.path().join("sub/b.rego"), "package b\nok := true\n").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not rego {").expect("write");
    let set = PolicySetBuilder::new(Settings::default())
        .path(dir.path())
        .and_then(|b| b.build())
        .expect("build");
    assert!(set.evaluate_bool("data.a.allow", &Value::Null).is_allowed());
}

#[test]
fn one_set_serves_many_threads() {
    let set = Arc::new(
        PolicySetBuilder::new(Settings::default())
            .source("p.rego", "package p\nallow if input.n % 2 == 0\n")
            .build()
            .expect("build"),
    );
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let set = set.clone();
            std::thread::spawn(move || {
                (0..200).all(|i| {
                    let n = t * 1000 + i;
                    set.evaluate_bool("data.p.allow", &serde_json::json!({ "n": n }))
                        .is_allowed()
                        == (n % 2 == 0)
                })
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().expect("thread"));
    }
}

#[test]
fn pure_decisions_are_remembered_and_outside_builtins_are_not() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let scans = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&scans);
    let set = PolicySetBuilder::new(Settings::default())
        .source(
            "gate.rego",
            "package gate\n\nopen if input.n > 1\n\nclean if count(leakwall.scan(input.text)) == 0\n\nbroken if to_number(input.text) > 1\n",
        )
        .scanner(Arc::new(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            serde_json::json!([])
        }))
        .build()
        .expect("build");
    let two = serde_json::json!({"n": 2, "text": "abc"});
    assert!(
        set.cached("data.gate.open", &two).is_none(),
        "nothing remembered yet"
    );
    for _ in 0..3 {
        assert_eq!(set.evaluate_bool("data.gate.open", &two), Verdict::Allow);
    }
    assert_eq!(set.cached_decisions(), 1, "one query, one input");
    let remembered = set.cached("data.gate.open", &two).expect("remembered");
    assert_eq!(remembered.expect("a value"), Some(serde_json::json!(true)));
    let one = serde_json::json!({"n": 1, "text": "abc"});
    assert!(!set.evaluate_bool("data.gate.open", &one).is_allowed());
    assert_eq!(set.cached_decisions(), 2, "undefined is remembered too");
    for _ in 0..3 {
        assert_eq!(set.evaluate_bool("data.gate.clean", &two), Verdict::Allow);
    }
    assert_eq!(
        scans.load(Ordering::SeqCst),
        3,
        "leakwall.scan runs every time"
    );
    for _ in 0..2 {
        assert!(set.eval("data.gate.broken", &two).is_err());
    }
    assert_eq!(
        set.cached_decisions(),
        2,
        "neither scans nor failures are remembered"
    );
    let uncached = PolicySetBuilder::new(Settings::default().with_decision_cache(0))
        .source("g.rego", "package g\n\nx := true\n")
        .build()
        .expect("build");
    assert_eq!(uncached.evaluate_bool("data.g.x", &two), Verdict::Allow);
    assert_eq!(uncached.cached_decisions(), 0);
}
