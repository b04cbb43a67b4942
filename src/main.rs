//! `gpcm-validate` binary: parses arguments and maps the outcome to an exit code.

use clap::Parser;
use gpcm_validate::cli::{run, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap exits with status 2 on bad arguments, matching our "could not run" status.
    let cli = Cli::parse();
    ExitCode::from(run(cli) as u8)
}
