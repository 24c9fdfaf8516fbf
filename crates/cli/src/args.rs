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
    /// Run the server: admin API, scan API, health and metrics, on the configured database.
    Serve(ServeArgs),
    /// Run queue workers only: take tasks from the queue and run them.
    Worker(WorkerArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(ServerArgs),
    /// Administration tasks on the database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Evaluate Rego policies (`eval`) and run their tests (`test`).
    #[command(subcommand)]
    Policy(crate::policy::PolicyCommand),
}

/// Where the configuration and the database are.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// A YAML configuration file (`server:`, `database:`, `auth:`, `audit:`, `scan:`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Database URL (overrides `database.url` and `LEAKWALL_DATABASE_URL`).
    #[arg(long)]
    pub database: Option<String>,
    /// Queue URL (overrides `queue.url` and `LEAKWALL_QUEUE_URL`; default: the database).
    #[arg(long)]
    pub queue: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Address to listen on (overrides `server.listen` and `LEAKWALL_LISTEN`).
    #[arg(long)]
    pub listen: Option<String>,
    /// Run no queue workers in this process (run `leakwall worker` elsewhere).
    #[arg(long)]
    pub no_workers: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Serve /healthz, /readyz and /metrics on this address (e.g. 127.0.0.1:9090).
    #[arg(long)]
    pub metrics_listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an API key and print it once, alone on standard output.
    CreateKey(CreateKeyArgs),
}

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// A name for the key (what it is for).
    #[arg(long)]
    pub name: String,
    /// Permission group of the key (repeatable), e.g. `admin`.
    #[arg(long = "group", required = true)]
    pub groups: Vec<String>,
    /// The person responsible for the key.
    #[arg(long, default_value = "")]
    pub username: String,
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
