//! The `leakwall` binary.
//!
//! Exit codes: 0 clean, 1 findings (or content that could not be scanned), 2 usage or
//! runtime error.

mod args;
mod config;
mod detectors;
mod output;
mod policy;
mod scan;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Detectors(args) => detectors::run(args),
        Command::Serve(args) => serve::serve(args),
        Command::Worker(args) => serve::worker(args),
        Command::Migrate(args) => serve::migrate(args),
        Command::Admin(args::AdminCommand::CreateKey(args)) => serve::create_key(args),
        Command::Policy(command) => policy::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leakwall: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that closed the pipe early (`leakwall detectors | head`) is not an error.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
