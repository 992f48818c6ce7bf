//! `coffer`: the command-line tool over Coffer's application layer.
//!
//! Thin on purpose: parse the arguments, run one command, print its output (text,
//! JSON or CSV), and map errors to stable codes and exit codes (see `error::exit`
//! and README.md).

mod args;
mod commands;
mod config;
mod context;
mod error;
mod logging;
mod output;
mod table;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::error::{exit, CliError};
use crate::output::Out;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let json = cli.global.json;
    let status = match commands::run(cli) {
        Ok(out) => match emit(&out, json) {
            Ok(()) => out.status,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => out.status,
            Err(e) => {
                let _ = writeln!(io::stderr(), "error[internal]: writing output: {e}");
                exit::INTERNAL
            }
        },
        Err(e) => report(&e, json),
    };
    ExitCode::from(status)
}

fn emit(out: &Out, json: bool) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    if json && !out.raw {
        let text = serde_json::to_string_pretty(&out.json).map_err(io::Error::other)?;
        writeln!(stdout, "{text}")?;
    } else {
        stdout.write_all(out.text.as_bytes())?;
    }
    stdout.flush()
}

/// Prints an error (stderr always; stdout JSON too with `--json`) and returns its exit code.
fn report(e: &CliError, json: bool) -> u8 {
    let _ = writeln!(io::stderr(), "error[{}]: {}", e.code, e.message);
    if json {
        let body = json!({ "error": { "code": e.code, "field": e.field, "message": e.message } });
        if let Ok(text) = serde_json::to_string_pretty(&body) {
            let _ = writeln!(io::stdout(), "{text}");
        }
    }
    e.exit_code()
}
