//! `leakwall detectors`: the catalog, for people and scripts.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use leakwall_detect::ScannerConfig;
use serde::Serialize;

use crate::args::{DetectorsArgs, Format};
use crate::config::ConfigFile;

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    category: &'a str,
    confidence: f32,
    description: &'a str,
    validation: Option<&'a str>,
    pattern: &'a str,
    custom: bool,
}

pub fn run(args: DetectorsArgs) -> Result<ExitCode> {
    let config = match &args.config {
        Some(path) => ConfigFile::load(path)?,
        None => ConfigFile::default(),
    };
    let scanner = ScannerConfig {
        custom: config.detectors,
        ..ScannerConfig::default()
    }
    .build()
    .context("cannot build the detectors")?;
    let rows: Vec<Row> = scanner
        .detectors()
        .iter()
        .map(|d| Row {
            id: d.id(),
            category: d.category().as_str(),
            confidence: d.confidence(),
            description: d.description(),
            validation: d.validation(),
            pattern: d.pattern(),
            custom: d.is_custom(),
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.format == Format::Text {
        writeln!(
            out,
            "{:<28} {:<11} {:>4}  {:<24} DESCRIPTION",
            "ID", "CATEGORY", "CONF", "VALIDATION"
        )?;
        for r in &rows {
            writeln!(
                out,
                "{:<28} {:<11} {:>4.2}  {:<24} {}",
                r.id,
                r.category,
                r.confidence,
                r.validation.unwrap_or("-"),
                r.description
            )?;
        }
    } else {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
