//! Online backup and restore of the embedded database (docs/OPERATIONS.md).
//!
//! **Backup** copies the live file through SQLite's online backup API in a single
//! step: the copy reads one snapshot of the database (in WAL mode a reader does not
//! block writers, so a serving `coffer serve` keeps settling charges meanwhile) and
//! never sees half a transaction. A step over part of the pages would restart
//! whenever another process writes, which under steady load may never finish. The
//! copy is written to a temporary file beside the target, checked with
//! `PRAGMA integrity_check`, synced and only then renamed into place, so a crash
//! leaves either no backup or a whole one.
//!
//! **Restore** writes a backup into the target database through the same API, which
//! takes the target's locks and rewrites its WAL correctly (copying files over a
//! database with a `-wal` beside it would corrupt it). It refuses a file that is not
//! a Coffer database, one with a newer schema than this build, and a target that
//! already holds accounts unless forced.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::{connect, MIGRATIONS};

/// How often a step that found the source locked is retried, and how long apart.
const BUSY_RETRIES: u32 = 600;
const BUSY_PAUSE: Duration = Duration::from_millis(50);

/// Why a backup or restore did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupError {
    /// The request itself is wrong: a missing or foreign file, an existing target.
    Refused(String),
    /// SQLite or the file system failed.
    Failed(String),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupError::Refused(m) | BackupError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BackupError {}

pub type BackupResult<T> = Result<T, BackupError>;

/// What a backup or restore copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    pub pages: i32,
    pub bytes: u64,
    /// The schema version (applied migrations) of the copy.
    pub schema_version: i64,
}

/// Whether a restore may replace a target that already holds data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    Refuse,
    Force,
}

/// Copies the database at `source` into the new file `dest` while it is in use.
pub fn backup(source: &Path, dest: &Path) -> BackupResult<CopyReport> {
    let src = open_existing(source)?;
    let schema_version = coffer_schema_version(&src, source)?;
    if dest.exists() {
        return Err(invalid(format!("{} already exists; choose a new backup file", dest.display())));
    }
    let partial = partial_path(dest);
    let _ = fs::remove_file(&partial);
    let result = (|| {
        let mut dst = Connection::open(&partial).map_err(map_err)?;
        let pages = copy(&src, &mut dst)?;
        integrity_check(&dst, dest)?;
        drop(dst);
        File::open(&partial).and_then(|f| f.sync_all()).map_err(io)?;
        fs::rename(&partial, dest).map_err(io)?;
        sync_dir(dest);
        Ok(pages)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    let pages = result?;
    let bytes = fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(CopyReport { pages, bytes, schema_version })
}

/// Replaces the database at `target` with the backup `from`. The caller verifies
/// the ledger afterwards (opening the store also applies any newer migrations).
pub fn restore(from: &Path, target: &Path, overwrite: Overwrite) -> BackupResult<CopyReport> {
    let src = open_existing(from)?;
    let schema_version = coffer_schema_version(&src, from)?;
    integrity_check(&src, from)?;
    if overwrite == Overwrite::Refuse && holds_data(target)? {
        return Err(invalid(format!(
            "{} already holds data; restoring would replace it (pass --force to do so)",
            target.display()
        )));
    }
    let mut dst = connect(target).map_err(|e| BackupError::Failed(e.to_string()))?;
    let pages = copy(&src, &mut dst)?;
    integrity_check(&dst, target)?;
    drop(dst);
    let bytes = fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    Ok(CopyReport { pages, bytes, schema_version })
}

/// All pages in one step, retried while another connection holds a lock that
/// prevents even reading (a checkpoint in progress, an exclusive lock).
fn copy(src: &Connection, dst: &mut Connection) -> BackupResult<i32> {
    let backup = Backup::new(src, dst).map_err(map_err)?;
    for _ in 0..BUSY_RETRIES {
        match backup.step(-1).map_err(map_err)? {
            StepResult::Done => return Ok(backup.progress().pagecount),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => sleep(BUSY_PAUSE),
            _ => sleep(BUSY_PAUSE),
        }
    }
    Err(BackupError::Failed("the database stayed locked; try again".into()))
}

fn open_existing(path: &Path) -> BackupResult<Connection> {
    if !path.is_file() {
        return Err(invalid(format!("{} does not exist or is not a file", path.display())));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(map_err)?;
    Ok(conn)
}

/// The file's schema version, or an error when it is not a Coffer database this
/// build understands.
fn coffer_schema_version(conn: &Connection, path: &Path) -> BackupResult<i64> {
    let not_coffer = || invalid(format!("{} is not a Coffer database", path.display()));
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|_| not_coffer())?;
    let has_accounts: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'billing_account'", [], |r| {
            r.get(0)
        })
        .map_err(|_| not_coffer())?;
    if version < 1 || has_accounts != 1 {
        return Err(not_coffer());
    }
    if version > MIGRATIONS.len() as i64 {
        return Err(invalid(format!(
            "{} has schema version {version}, newer than this build's {}; use a newer coffer",
            path.display(),
            MIGRATIONS.len()
        )));
    }
    Ok(version)
}

fn integrity_check(conn: &Connection, path: &Path) -> BackupResult<()> {
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(map_err)?;
    match result.as_str() {
        "ok" => Ok(()),
        other => Err(invalid(format!("{} failed SQLite's integrity check: {other}", path.display()))),
    }
}

/// Whether `target` is a file holding anything but an empty Coffer schema.
fn holds_data(target: &Path) -> BackupResult<bool> {
    if fs::metadata(target).map(|m| m.len() == 0).unwrap_or(true) {
        return Ok(false);
    }
    let conn = open_existing(target)?;
    if coffer_schema_version(&conn, target).is_err() {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(map_err)?;
        return Ok(tables > 0);
    }
    let accounts: i64 = conn.query_row("SELECT count(*) FROM billing_account", [], |r| r.get(0)).map_err(map_err)?;
    Ok(accounts > 0)
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

/// Makes the rename durable; best effort, as not every platform can sync a directory.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

fn invalid(message: String) -> BackupError {
    BackupError::Refused(message)
}

fn io(e: std::io::Error) -> BackupError {
    BackupError::Failed(e.to_string())
}

fn map_err(e: rusqlite::Error) -> BackupError {
    BackupError::Failed(e.to_string())
}
