//! `coffer backup --to FILE` and `coffer restore --from FILE [--force]` for the
//! embedded SQLite store (docs/OPERATIONS.md). A backup may be taken while
//! `coffer serve` is running; a restore should not be (stop the servers first).
//! Both run the ledger verifier on the result, and both carry the activation-code
//! key file (`<db>.code-key`) along, without which restored codes could not be
//! redeemed. PostgreSQL has its own tools (pg_dump, pg_basebackup, PITR).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use coffer_app::clock::SystemClock;
use coffer_app::{App, AppConfig};
use coffer_store_sqlite::backup::{self, BackupError, CopyReport, Overwrite};
use coffer_store_sqlite::SqliteStore;
use serde_json::json;

use crate::args::Global;
use crate::context::{self, Database};
use crate::error::{exit, CliError, CliResult};
use crate::output::Out;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new backup file (must not exist yet).
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Replace a database that already holds accounts.
    #[arg(long)]
    pub force: bool,
}

pub fn run_backup(global: &Global, args: BackupArgs) -> CliResult<Out> {
    let db = sqlite_path(global)?;
    let report = backup::backup(&db, &args.to).map_err(backup_error)?;
    copy_key(&db, &args.to)?;
    let verdict = verify(&args.to)?;
    let text = format!(
        "Backed up {} to {} ({} pages, {} bytes, schema version {}).\n{}",
        db.display(),
        args.to.display(),
        report.pages,
        report.bytes,
        report.schema_version,
        verdict.text
    );
    let json = json!({ "source": db.display().to_string(), "backup": args.to.display().to_string(),
        "report": report_json(&report), "verify": verdict.json });
    Ok(Out::new(json, text).with_status(verdict.status))
}

pub fn run_restore(global: &Global, args: RestoreArgs) -> CliResult<Out> {
    let db = sqlite_path(global)?;
    let overwrite = if args.force { Overwrite::Force } else { Overwrite::Refuse };
    let report = backup::restore(&args.from, &db, overwrite).map_err(backup_error)?;
    copy_key(&args.from, &db)?;
    let verdict = verify(&db)?;
    let text = format!(
        "Restored {} into {} ({} pages, schema version {}).\n{}",
        args.from.display(),
        db.display(),
        report.pages,
        report.schema_version,
        verdict.text
    );
    let json = json!({ "backup": args.from.display().to_string(), "database": db.display().to_string(),
        "report": report_json(&report), "verify": verdict.json });
    Ok(Out::new(json, text).with_status(verdict.status))
}

fn sqlite_path(global: &Global) -> CliResult<PathBuf> {
    let config = context::load_config(global)?;
    match Database::from_global(global, &config) {
        Database::Sqlite(path) => Ok(path),
        Database::Postgres(_) => Err(CliError::invalid(
            "database",
            "backup and restore work on the SQLite store; back PostgreSQL up with pg_dump or pg_basebackup \
             (docs/OPERATIONS.md)",
        )),
    }
}

fn backup_error(e: BackupError) -> CliError {
    match e {
        BackupError::Refused(message) => CliError::new("backup_refused", message),
        BackupError::Failed(message) => CliError::internal(message),
    }
}

fn key_path(db: &Path) -> PathBuf {
    let mut path = OsString::from(db.as_os_str());
    path.push(".code-key");
    PathBuf::from(path)
}

/// Copies `<from>.code-key` to `<to>.code-key` when there is one.
fn copy_key(from: &Path, to: &Path) -> CliResult<()> {
    let (from, to) = (key_path(from), key_path(to));
    if from.is_file() {
        std::fs::copy(&from, &to)
            .map_err(|e| CliError::internal(format!("cannot copy {} to {}: {e}", from.display(), to.display())))?;
    }
    Ok(())
}

struct Verdict {
    text: String,
    json: serde_json::Value,
    status: u8,
}

/// Runs the ledger verifier on the SQLite file at `path`.
fn verify(path: &Path) -> CliResult<Verdict> {
    let store = SqliteStore::open(path)
        .map_err(|e| CliError::internal(format!("cannot open {} to verify it: {e}", path.display())))?;
    // The verifier reads the journal only; it needs no activation-code key.
    let app = App::new(Arc::new(store), AppConfig::with_code_key(Vec::new()), Arc::new(SystemClock));
    let r = app.verify()?;
    let json = json!({ "accounts": r.accounts, "journal_transactions": r.journal_txs, "charges": r.charges,
        "consistent": r.is_clean(), "problems": r.problems });
    let mut text = format!(
        "Verified {}: {} accounts, {} journal transactions, {} charges: ",
        path.display(),
        r.accounts,
        r.journal_txs,
        r.charges
    );
    if r.is_clean() {
        text.push_str("ledger consistent.\n");
        return Ok(Verdict { text, json, status: exit::OK });
    }
    text.push_str(&format!("{} problems:\n", r.problems.len()));
    for p in &r.problems {
        text.push_str(&format!("  - {p}\n"));
    }
    Ok(Verdict { text, json, status: exit::PROBLEMS })
}

fn report_json(r: &CopyReport) -> serde_json::Value {
    json!({ "pages": r.pages, "bytes": r.bytes, "schema_version": r.schema_version })
}
