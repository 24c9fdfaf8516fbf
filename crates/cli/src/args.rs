//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Leakwall: a real-time data-loss-prevention gateway.
#[derive(Debug, Parser)]
#[command(name = "leakwall", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories or standard input (`-`) for sensitive data.
    Scan(ScanArgs),
    /// List the detector catalog.
    Detectors(DetectorsArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Report findings with at least this confidence (0 to 1).
    #[arg(long, default_value_t = 0.5)]
    pub min_confidence: f32,
    /// Run only these detectors (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    pub detectors: Option<Vec<String>>,
    /// A YAML configuration file (custom detectors, limits, min_confidence).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print matched text unmasked.
    #[arg(long)]
    pub show_secrets: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct DetectorsArgs {
    /// Output format (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// A YAML configuration file whose custom detectors are listed too.
    #[arg(long)]
    pub config: Option<PathBuf>,
}
