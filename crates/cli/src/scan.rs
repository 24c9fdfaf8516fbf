//! `leakwall scan`: files, directories (walked, scanned in parallel) and standard input.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use leakwall_core::Origin;
use leakwall_detect::ScannerConfig;
use leakwall_engine::{Engine, ScanReport};
use rayon::prelude::*;

use crate::args::ScanArgs;
use crate::config::ConfigFile;
use crate::output;

/// One thing to scan.
enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let config = match &args.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    let min_confidence = config.min_confidence.unwrap_or(args.min_confidence);
    if !(0.0..=1.0).contains(&min_confidence) {
        bail!("--min-confidence must be between 0 and 1, got {min_confidence}");
    }
    let limits = config.limits()?;
    let scanner = ScannerConfig {
        min_confidence,
        only: args.detectors.clone(),
        custom: config.detectors,
    }
    .build()
    .context("cannot build the detectors")?;
    let engine = Engine::new(scanner, limits);
    let threads = args.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;

    let (inputs, mut errors, walked) = collect_inputs(&args.paths);
    let progress = progress_bar(walked && !args.no_progress, inputs.len());
    let results: Vec<(String, io::Result<ScanReport>)> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| {
                let result = scan_one(&engine, input, args.show_secrets);
                progress.inc(1);
                (input.name(), result)
            })
            .collect()
    });
    progress.finish_and_clear();

    let mut reports = Vec::new();
    for (name, result) in results {
        match result {
            Ok(report) => reports.push(report),
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    output::write(
        args.format,
        engine.scanner(),
        &reports,
        &mut io::stdout().lock(),
    )?;
    for e in &errors {
        eprintln!("leakwall: error: {e}");
    }
    let any = reports.iter().any(|r| !r.findings.is_empty());
    Ok(if !errors.is_empty() {
        ExitCode::from(2)
    } else if any {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Expands directories into their files (sorted); returns inputs, errors, and whether any
/// directory was walked.
fn collect_inputs(paths: &[String]) -> (Vec<Input>, Vec<String>, bool) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut walked = false;
    for p in paths {
        if p == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = PathBuf::from(p);
        if path.is_dir() {
            walked = true;
            let walker = walkdir::WalkDir::new(&path)
                .follow_links(false)
                .sort_by_file_name();
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_file() => inputs.push(Input::File(e.into_path())),
                    Ok(_) => {}
                    Err(e) => errors.push(format!("{p}: {e}")),
                }
            }
        } else if path.is_file() {
            inputs.push(Input::File(path));
        } else {
            errors.push(format!("{p}: no such file or directory"));
        }
    }
    (inputs, errors, walked)
}

fn scan_one(engine: &Engine, input: &Input, show_secrets: bool) -> io::Result<ScanReport> {
    let origin = Origin::path(input.name());
    match input {
        Input::Stdin => engine.scan_read(origin, io::stdin().lock(), show_secrets),
        Input::File(path) => engine.scan_read(origin, File::open(path)?, show_secrets),
    }
}

fn progress_bar(wanted: bool, len: usize) -> ProgressBar {
    if !wanted || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    let style =
        ProgressStyle::with_template("{spinner} scanning [{bar:40}] {pos}/{len} files {elapsed}")
            .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}
