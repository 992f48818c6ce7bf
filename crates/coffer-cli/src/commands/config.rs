//! `coffer config check`: validates the configuration (file, environment, defaults)
//! and prints every effective setting with where it came from, secrets redacted.
//! Exit code 0 when valid; 2 with every problem listed otherwise.

use clap::Subcommand;
use serde_json::json;

use crate::args::Global;
use crate::context;
use crate::error::CliResult;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate the configuration and print the effective settings (secrets redacted).
    Check,
}

pub fn run(global: &Global, cmd: ConfigCmd) -> CliResult<Out> {
    match cmd {
        ConfigCmd::Check => check(global),
    }
}

fn check(global: &Global) -> CliResult<Out> {
    let config = context::load_config(global)?;
    let source = match &config.file {
        Some(path) => path.display().to_string(),
        None => "(no file: defaults and environment)".to_owned(),
    };
    let width = config.effective.iter().map(|e| e.key.len()).max().unwrap_or(0);
    let mut text = format!("Configuration valid.\n# file: {source}\n");
    for e in &config.effective {
        text.push_str(&format!("{:<width$} = {}  # {}\n", e.key, e.value, e.origin));
    }
    let settings: serde_json::Map<String, serde_json::Value> = config
        .effective
        .iter()
        .map(|e| (e.key.clone(), json!({ "value": e.value, "origin": e.origin.to_string() })))
        .collect();
    let file = config.file.as_ref().map(|p| p.display().to_string());
    Ok(Out::new(json!({ "valid": true, "file": file, "settings": settings }), text))
}
