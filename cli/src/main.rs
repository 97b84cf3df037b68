//! `latchkey`: the command-line client of the Latchkey secret store.
//!
//! Secret values and tokens are printed only where the user asks for them (`latchkey get`,
//! the one-time output of `latchkey token create`, `latchkey generate` without `--path`);
//! `latchkey run` hands values to a command's environment without printing them, and
//! `latchkey proxy` has the server use them in an HTTP call: they never reach this machine.

mod agent;
mod args;
mod client;
mod commands;
mod config;
mod ctx;
mod error;
mod output;
mod parse;
mod proxy;
mod run;
mod secret;
mod sse;
mod term;

use clap::Parser as _;
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints help and usage errors itself (usage errors exit 2).
    let cli = args::Cli::parse();
    match commands::execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let report = error.report();
            if !report.is_empty() {
                let _ = std::io::stderr().write_all(report.as_bytes());
            }
            ExitCode::from(error.exit_code())
        }
    }
}
