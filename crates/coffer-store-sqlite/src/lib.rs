//! The embedded SQLite store.
//!
//! The database runs in WAL mode with `synchronous=FULL`, so a committed write
//! transaction survives power loss. Write transactions start with `BEGIN IMMEDIATE`:
//! the write lock is taken before the first read, so two processes on one file
//! serialize instead of failing with a lock upgrade error halfway through.
//!
//! # Layout
//! - `migrations/`: the schema, applied in order on open (tracked by `user_version`).
//! - [`reads`]: queries, shared by read views and write transactions.
//! - [`writes`]: the write half of [`coffer_store::WriteTx`].
//! - [`rows`]: conversions between columns and core types.

mod adjustments;
mod arrears;
mod auth;
pub mod backup;
mod events;
mod jobs;
mod rails;
pub mod raw_bench;
mod reads;
mod rows;
mod savepoints;
mod scan;
mod webhooks;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use coffer_store::{Reads, Store, StoreError, StoreResult, WriteTx};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_auth.sql"),
    include_str!("../migrations/0003_rails.sql"),
    include_str!("../migrations/0004_adjustments.sql"),
    include_str!("../migrations/0005_attempt_window.sql"),
    include_str!("../migrations/0006_jobs_webhooks.sql"),
    include_str!("../migrations/0007_events_arrears.sql"),
    include_str!("../migrations/0008_login_attempts.sql"),
    include_str!("../migrations/0009_hash_bytes.sql"),
];

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The writer's page cache, 64 MiB instead of SQLite's 2 MiB default: the
/// settlement path touches index pages all over the ledger, and with 10,000
/// accounts the default made the writer re-read them from the OS on every batch.
/// Readers keep the default, as they are many and short-lived.
pub(crate) const WRITER_CACHE: &str = "PRAGMA cache_size = -65536;";

/// Reader connections kept open for reuse; more are opened on demand. Opening one
/// parses the whole schema, so a pool smaller than the HTTP concurrency (every API
/// request reads its token) made the server open and close connections constantly.
const READERS_KEPT: usize = 32;

pub struct SqliteStore {
    path: PathBuf,
    pub(crate) writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let writer = connect(path)?;
        writer.execute_batch(WRITER_CACHE).map_err(map_err)?;
        migrate(&writer)?;
        Ok(SqliteStore { path: path.to_owned(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn take_reader(&self) -> StoreResult<Connection> {
        let pooled = lock(&self.readers).pop();
        match pooled {
            Some(c) => Ok(c),
            None => connect(&self.path),
        }
    }

    pub(crate) fn give_back(&self, conn: Connection) {
        let mut readers = lock(&self.readers);
        if readers.len() < READERS_KEPT {
            readers.push(conn);
        }
    }
}

/// A poisoned mutex only means another thread panicked while holding it; the
/// connection itself rolls back any open transaction on the next `BEGIN`.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(map_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
    // A charge runs a few dozen distinct statements; rusqlite's default cache of 16
    // would evict and re-parse them on every charge. `temp_store = MEMORY` keeps the
    // statement sub-journal (the pages a savepoint may have to restore) in memory:
    // on disk it cost a pwrite per page per savepoint, a quarter of a group-commit
    // writer's time. It is scratch space; durability comes from the WAL.
    // `wal_autocheckpoint = 10000` pages (~40 MiB of WAL) instead of 1,000: a group
    // commit appends hundreds of pages per batch, so the default checkpointed on
    // almost every commit; fewer, larger checkpoints write each hot page once for
    // many batches.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 10000;",
    )
    .map_err(map_err)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
    let result = (|| {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
        let applied = usize::try_from(version).unwrap_or(0);
        for (idx, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            conn.execute_batch(sql).map_err(map_err)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", idx + 1)).map_err(map_err)?;
        }
        Ok(())
    })();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(map_err)?;
    result
}

/// Statements kept prepared per connection.
const STATEMENT_CACHE: usize = 256;

/// Runs a parameterless statement (savepoint control) through the connection's
/// statement cache, so it is parsed once per connection instead of on every call.
pub(crate) fn run_cached(c: &Connection, sql: &str) -> StoreResult<()> {
    c.prepare_cached(sql).and_then(|mut s| s.execute([])).map(drop).map_err(map_err)
}

/// `Connection::query_row` through the statement cache.
pub(crate) fn cached_row<T>(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(p, f)
}

/// Maps engine errors onto the port's: constraint names survive so callers can tell
/// which backstop fired.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(inner, msg) => match inner.code {
            ErrorCode::ConstraintViolation => {
                StoreError::Conflict { constraint: msg.clone().unwrap_or_else(|| "constraint".into()) }
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
            _ => StoreError::Backend(e.to_string()),
        },
        _ => StoreError::Backend(e.to_string()),
    }
}

impl Store for SqliteStore {
    fn read(&self) -> StoreResult<Box<dyn Reads + '_>> {
        let conn = self.take_reader()?;
        // A read transaction makes the view a snapshot: WAL readers see the database
        // as of their first read until the view is dropped, so `verify` running
        // beside writers sees one consistent state.
        run_cached(&conn, "BEGIN")?;
        Ok(Box::new(ReadView { store: self, conn: Some(conn) }))
    }

    fn read_pair(&self) -> StoreResult<coffer_store::ReadPair<'_>> {
        // While the write lock is held no commit can land, so two read transactions
        // that both take their snapshot under it see the same state. Writers wait
        // only for the two first reads.
        let write_lock = self.begin_write()?;
        let pair = [self.snapshot_view()?, self.snapshot_view()?];
        drop(write_lock);
        Ok(pair)
    }

    fn begin_write(&self) -> StoreResult<Box<dyn WriteTx + '_>> {
        let conn = lock(&self.writer);
        run_cached(&conn, "BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteWriteTx { conn, open: true, unit_open: false }))
    }

    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn jobs(&self) -> &dyn coffer_store::jobs::JobStore {
        self
    }

    fn webhooks(&self) -> &dyn coffer_store::webhooks::WebhookStore {
        self
    }
}

/// A read view: a pooled connection inside a read transaction, so every query of
/// the view sees the same committed state.
pub(crate) struct ReadView<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl Drop for ReadView<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection whose read transaction cannot be closed is not reused.
            if run_cached(&conn, "ROLLBACK").is_ok() {
                self.store.give_back(conn);
            }
        }
    }
}

impl SqliteStore {
    /// A read view whose snapshot is already taken: a WAL read transaction takes it
    /// at its first read, not at `BEGIN`.
    fn snapshot_view(&self) -> StoreResult<Box<dyn Reads + Send + '_>> {
        let conn = self.take_reader()?;
        run_cached(&conn, "BEGIN")?;
        let mut view = ReadView { store: self, conn: Some(conn) };
        cached_row(view.conn(), "SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map_err(map_err)?;
        Ok(Box::new(view))
    }
}

impl ReadView<'_> {
    pub(crate) fn conn(&mut self) -> &Connection {
        match &self.conn {
            Some(c) => c,
            None => unreachable!("the connection is taken only on drop"),
        }
    }
}

pub(crate) struct SqliteWriteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
    /// Whether a unit-of-work savepoint ([`WriteTx::savepoint`]) is open. Inside one,
    /// a failed write is undone with the whole unit, so writes skip their own savepoint.
    pub(crate) unit_open: bool,
}

impl SqliteWriteTx<'_> {
    pub(crate) fn conn(&mut self) -> &Connection {
        &self.conn
    }
}

impl Drop for SqliteWriteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Rolling back can only fail if the transaction is already gone.
            let _ = run_cached(&self.conn, "ROLLBACK");
        }
    }
}
