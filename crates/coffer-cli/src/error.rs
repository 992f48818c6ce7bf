//! The CLI's error: an app error's stable code, field and message, or one of the few
//! errors only the CLI can produce. Exit codes are derived from the code alone.

use coffer_app::AppError;

/// Exit codes (documented in `--help` and README.md).
pub mod exit {
    pub const OK: u8 = 0;
    /// `coffer verify` found problems.
    pub const PROBLEMS: u8 = 1;
    /// Usage errors: clap's own exit code.
    pub const USAGE: u8 = 2;
    pub const VALIDATION: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const REJECTED: u8 = 5;
    pub const INTERNAL: u8 = 10;
}

#[derive(Debug)]
pub struct CliError {
    pub code: String,
    pub field: Option<String>,
    pub message: String,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn new(code: &str, message: impl Into<String>) -> CliError {
        CliError { code: code.to_owned(), field: None, message: message.into() }
    }

    /// A `validation_failed` error naming the field (API name, e.g. `amount_minor`).
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> CliError {
        CliError {
            code: "validation_failed".to_owned(),
            field: Some(field.to_owned()),
            message: format!("{field}: {message}"),
        }
    }

    pub fn internal(message: impl Into<String>) -> CliError {
        CliError::new("internal", message)
    }

    pub fn exit_code(&self) -> u8 {
        exit_code_for(&self.code)
    }
}

/// Maps a stable error code to the process exit code.
pub fn exit_code_for(code: &str) -> u8 {
    match code {
        "validation_failed" => exit::VALIDATION,
        "config_invalid" => exit::USAGE,
        c if c.ends_with("_not_found") => exit::NOT_FOUND,
        "internal" | "store_busy" => exit::INTERNAL,
        _ => exit::REJECTED,
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> CliError {
        CliError { code: e.code.as_str().to_owned(), field: e.field.map(str::to_owned), message: e.message }
    }
}
