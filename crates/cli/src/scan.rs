//! `leakwall scan`: files, directories (walked, scanned in parallel) and standard input.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use leakwall_core::Origin;
use leakwall_detect::ScannerConfig;
use leakwall_engine::{Engine, Scanned};
use rayon::prelude::*;

use crate::args::ScanArgs;
use crate::config::ConfigFile;
use crate::is_broken_pipe;
use crate::output::Sink;

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
        ..ScannerConfig::default()
    }
    .build()
    .context("cannot build the detectors")?;
    let threads = args.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;

    let (inputs, mut errors, walked) = collect_inputs(&args.paths);
    // Many inputs: one thread per input. One input: its chunks share the threads.
    let stream_threads = if inputs.len() == 1 {
        pool.current_num_threads()
    } else {
        1
    };
    let engine = Engine::new(scanner, limits).with_stream_threads(stream_threads);
    let progress = progress_bar(walked && !args.no_progress, inputs.len());
    let stdout = io::BufWriter::with_capacity(256 * 1024, io::stdout());
    let sink = Mutex::new(Sink::begin(args.format, engine.scanner(), stdout)?);
    let failures: Vec<String> = pool.install(|| {
        inputs
            .par_iter()
            .filter_map(|input| {
                let result = scan_one(&engine, input, args.show_secrets, &sink);
                progress.inc(1);
                result.err().map(|e| format!("{}: {e:#}", input.name()))
            })
            .collect()
    });
    progress.finish_and_clear();
    errors.extend(failures);
    let sink = sink
        .into_inner()
        .map_err(|_| anyhow!("a scanning thread panicked"))?;
    let any = sink.written() > 0;
    for e in &errors {
        eprintln!("leakwall: error: {e}");
    }
    match sink.finish() {
        // The reader went away (`| head`): findings were there, so the answer stays 1 (or 2).
        Err(e) if is_broken_pipe(&e) => {}
        result => result?,
    }
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

/// Findings a thread collects before taking the output lock.
const BATCH: usize = 1024;

/// Scans one input, writing its findings in batches.
fn scan_one<W: Write>(
    engine: &Engine,
    input: &Input,
    show_secrets: bool,
    sink: &Mutex<Sink<W>>,
) -> Result<()> {
    let origin = Origin::path(input.name());
    let mut batch: Vec<Scanned> = Vec::with_capacity(BATCH);
    let flush = |batch: &mut Vec<Scanned>| {
        if let Ok(mut sink) = sink.lock() {
            for s in batch.drain(..) {
                sink.write(&s);
            }
        }
    };
    let mut each = |s: Scanned| {
        batch.push(s);
        if batch.len() >= BATCH {
            flush(&mut batch);
        }
    };
    let read = match input {
        Input::Stdin => engine.scan_read(origin, io::stdin().lock(), show_secrets, &mut each),
        Input::File(path) => File::open(path)
            .and_then(|file| engine.scan_read(origin, file, show_secrets, &mut each)),
    };
    flush(&mut batch);
    read?;
    Ok(())
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
