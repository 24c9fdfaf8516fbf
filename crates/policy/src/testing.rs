//! `opa test` for Leakwall: every rule named `test_*` in every package is a test, and it
//! passes when it evaluates to `true`.

use std::time::{Duration, Instant};

use regorus::Value;

use crate::PolicySet;

/// What one test gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The rule evaluated to `true`.
    Pass,
    /// The rule evaluated to something else (`false`, undefined, another value).
    Fail {
        /// What it evaluated to, in words.
        got: String,
    },
    /// The evaluation failed (engine error, timeout).
    Error {
        /// The error.
        message: String,
    },
}

/// One test's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The package, e.g. `proxy_test`.
    pub package: String,
    /// The rule, e.g. `test_pdf_upload_is_granted`.
    pub name: String,
    /// Pass, fail or error.
    pub outcome: Outcome,
    /// How long the evaluation took.
    pub duration: Duration,
}

impl TestResult {
    /// Whether the test passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// `data.<package>.<name>`.
    pub fn path(&self) -> String {
        format!("data.{}.{}", self.package, self.name)
    }
}

/// Runs every `test_*` rule of `set`, in package then name order. Each test runs with an
/// empty input under the set's time limit; tests supply their input with `with input as`.
pub fn run_tests(set: &PolicySet) -> Vec<TestResult> {
    set.tests()
        .iter()
        .map(|(package, name)| {
            let path = format!("data.{package}.{name}");
            let started = Instant::now();
            let result = set.eval_rule(&path);
            let duration = started.elapsed();
            let outcome = match result {
                Ok(Value::Bool(true)) => Outcome::Pass,
                Ok(Value::Undefined) => Outcome::Fail {
                    got: "undefined".into(),
                },
                Ok(other) => Outcome::Fail {
                    got: other.to_json_str().unwrap_or_else(|_| "a value".into()),
                },
                Err(e) => Outcome::Error {
                    message: e.to_string(),
                },
            };
            TestResult {
                package: package.clone(),
                name: name.clone(),
                outcome,
                duration,
            }
        })
        .collect()
}
