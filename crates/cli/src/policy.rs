//! `leakwall policy eval` and `leakwall policy test`.
//!
//! `eval` prints the query's value as JSON and exits 0 only when it is exactly `true`; any
//! other outcome (false, undefined, not a boolean, a missing or broken policy, an engine error,
//! the timeout) exits 1 with the reason on standard error. An unreadable `--input` is a usage
//! error (2). `test` prints PASS/FAIL per `test_*` rule and `N passed, N failed`, and exits 1
//! on any failure, on a policy that does not load, and when there is no test at all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use leakwall_detect::Scanner;
use leakwall_policy::{
    run_tests, Decision, Outcome, PolicySetBuilder, ScanFn, Settings, TestResult, Verdict,
};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate a query; exit 0 when it is exactly `true`, 1 when it denies (with the reason).
    Eval(EvalArgs),
    /// Run every `test_*` rule of the policies under the given paths.
    Test(TestArgs),
}

/// Settings shared by both commands.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// A data document (JSON, or YAML for .yaml/.yml) merged into `data` (repeatable).
    #[arg(long = "data")]
    pub data: Vec<PathBuf>,
    /// Time limit of one evaluation in milliseconds (oCIS: POLICIES_ENGINE_TIMEOUT).
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Parse policies as Rego v0 (the oCIS example policies).
    #[arg(long)]
    pub v0: bool,
    /// An Apache mime.types file extending `ocis.mimetype.extensions` (POLICIES_ENGINE_MIMES).
    #[arg(long)]
    pub mimes: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The query, e.g. `data.proxy.granted`.
    #[arg(long)]
    pub query: String,
    /// The input document (JSON, or YAML for .yaml/.yml); default: empty object.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Policy files or directories of `*.rego` files.
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Directories (or files) of policies and their `*_test.rego` tests.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Eval(args) => eval(args),
        PolicyCommand::Test(args) => test(args),
    }
}

fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let input = match &args.input {
        Some(path) => read_input(path)?,
        None => serde_json::json!({}),
    };
    let decision = load(&args.engine, &args.policies)?;
    let result = decision.eval(&args.query, &input);
    if let Ok(Some(value)) = &result {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
    }
    match Verdict::of_result(result.as_ref().map(Option::as_ref)) {
        Verdict::Allow => Ok(ExitCode::SUCCESS),
        Verdict::Deny(reason) => {
            eprintln!("leakwall: denied ({}): {reason}", reason.kind());
            Ok(ExitCode::from(1))
        }
    }
}

fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let decision = load(&args.engine, &args.paths)?;
    let set = match decision.policies() {
        Ok(set) => set,
        Err(e) => {
            eprintln!("leakwall: policies do not load: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let results = run_tests(set);
    let mut out = std::io::stdout().lock();
    for result in &results {
        writeln!(out, "{}", line(result))?;
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    writeln!(out, "{passed} passed, {failed} failed")?;
    if results.is_empty() {
        eprintln!("leakwall: no test_* rules found");
    }
    Ok(if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn line(result: &TestResult) -> String {
    let took = format_duration(result.duration);
    match &result.outcome {
        Outcome::Pass => format!("PASS {} ({took})", result.path()),
        Outcome::Fail { got } => format!("FAIL {} ({took}): got {got}", result.path()),
        Outcome::Error { message } => format!("FAIL {} ({took}): error: {message}", result.path()),
    }
}

fn format_duration(d: Duration) -> String {
    format!("{:.3}ms", d.as_secs_f64() * 1000.0)
}

/// The decision point over `paths`: a failure to load becomes a deny with its reason, except
/// for settings given on the command line, which are usage errors.
fn load(engine: &EngineArgs, paths: &[PathBuf]) -> anyhow::Result<Decision> {
    let settings = Settings::default()
        .with_timeout(Duration::from_millis(engine.timeout_ms))
        .context("--timeout-ms")?
        .with_rego_v0(engine.v0);
    let built = (|| {
        let mut builder = PolicySetBuilder::new(settings).scanner(builtin_scanner());
        for path in paths {
            builder = builder.path(path)?;
        }
        for path in &engine.data {
            builder = builder.data_file(path)?;
        }
        if let Some(path) = &engine.mimes {
            builder = builder.mime_types_file(path)?;
        }
        builder.build()
    })();
    Ok(Decision::from(built))
}

/// `leakwall.scan(text)` backed by the built-in detector catalog: findings without the
/// matched text.
fn builtin_scanner() -> ScanFn {
    let scanner = Arc::new(Scanner::builtin());
    Arc::new(move |text: &str| {
        let matches = scanner.scan(text.as_bytes());
        let findings = matches.iter().map(|m| {
            let detector = scanner.detector(m);
            serde_json::json!({
                "detector": detector.id(),
                "category": detector.category().as_str(),
                "confidence": m.confidence,
                "start": m.start,
                "end": m.end,
            })
        });
        serde_json::Value::Array(findings.collect())
    })
}

fn read_input(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read input {}", path.display()))?;
    let yaml = path
        .extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml");
    let parsed = if yaml {
        serde_yaml::from_str(&text).map_err(anyhow::Error::from)
    } else {
        serde_json::from_str(&text).map_err(anyhow::Error::from)
    };
    parsed.with_context(|| format!("input {} is not valid", path.display()))
}
