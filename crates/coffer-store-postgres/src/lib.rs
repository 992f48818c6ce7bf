//! The PostgreSQL store.
//!
//! Several server processes may share one database. Write transactions run at READ
//! COMMITTED and serialize per billing account: [`coffer_store::WriteTx::lock_account`]
//! takes `SELECT ... FOR UPDATE` on the account's row, and the application locks
//! exactly one account per transaction, before it reads any balance. Writes to
//! different accounts never wait for each other. `synchronous_commit` is forced on,
//! so a committed transaction is durable. Read views are `REPEATABLE READ READ ONLY`
//! transactions: every query of one view sees the same snapshot.
//!
//! A failed statement aborts a whole PostgreSQL transaction, where SQLite only undoes
//! the statement. Each write method therefore runs inside a savepoint, so that a
//! refused write (a [`StoreError::Conflict`]) leaves the transaction usable, exactly
//! as on SQLite.
//!
//! # Layout
//! - `migrations/`: the schema, applied in order on connect (tracked in
//!   `schema_migration`, under an advisory lock).
//! - [`reads`]: queries, shared by read views and write transactions.
//! - [`writes`]: the write half of [`coffer_store::WriteTx`].
//! - [`auth`]: [`coffer_store::auth::AuthStore`] (users, tokens, sessions, saved
//!   API responses), each call its own short transaction.
//! - [`rows`]: conversions between columns and core types.
//! - [`testing`] (feature `testing`): a throwaway cluster for tests.

mod adjustments;
mod arrears;
mod auth;
mod conn;
mod events;
mod jobs;
mod rails;
pub mod raw_bench;
mod reads;
mod rows;
mod savepoints;
mod scan;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;
mod writes;

use std::str::FromStr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use coffer_store::{Reads, Store, StoreError, StoreResult, WriteTx};

pub(crate) use conn::Conn;

/// Migrations in order; the version of each is its position, counting from 1.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_auth.sql"),
    include_str!("../migrations/0003_rails.sql"),
    include_str!("../migrations/0004_adjustments.sql"),
    include_str!("../migrations/0005_attempt_window.sql"),
    include_str!("../migrations/0006_jobs_webhooks.sql"),
    include_str!("../migrations/0007_events_arrears.sql"),
    include_str!("../migrations/0008_login_attempts.sql"),
];

/// The advisory lock key that serializes migrations between servers starting at
/// once ("coffer" in ASCII). Advisory locks are scoped to one database.
const MIGRATION_LOCK: i64 = 0x636f_6666_6572;

/// Run on every new connection. `lock_timeout` bounds how long a writer waits for
/// another's account lock, like SQLite's busy timeout; `synchronous_commit` is forced
/// on in case the server's default was relaxed.
const SESSION_SETUP: &str = "SET lock_timeout = '30s'; \
     SET synchronous_commit = on; \
     SET application_name = 'coffer'";

/// Idle connections kept for reuse; more are opened on demand. Every API request
/// reads its token on a pooled connection, so a pool smaller than the HTTP
/// concurrency made the server connect (a process fork on the server) per request:
/// with 64 clients, 8 kept gave 237 charges/s and 32 kept 474/s. Each server
/// process may hold this many idle connections; size `max_connections` for it.
const IDLE_KEPT: usize = 32;

/// How a read view begins: one snapshot for all its queries.
const READ_BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

pub struct PostgresStore {
    config: postgres::Config,
    idle: Mutex<Vec<Conn>>,
    /// Open connections, idle or lent out (see `conn::Live`).
    live: Arc<AtomicUsize>,
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a `key=value`
    /// connection string) and applies pending migrations.
    pub fn connect(url: &str) -> StoreResult<PostgresStore> {
        let config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL connection string: {e}")))?;
        let store = PostgresStore { config, idle: Mutex::new(Vec::new()), live: Arc::new(AtomicUsize::new(0)) };
        let mut conn = store.open()?;
        migrate(&mut conn)?;
        store.give_back(conn);
        Ok(store)
    }

    fn open(&self) -> StoreResult<Conn> {
        let mut client = self.config.connect(postgres::NoTls).map_err(map_err)?;
        client.batch_execute(SESSION_SETUP).map_err(map_err)?;
        Ok(Conn::new(client, conn::Live::new(&self.live)))
    }

    /// A pooled connection if one is idle and alive, else a new one.
    fn take(&self) -> StoreResult<Conn> {
        loop {
            let pooled = lock(&self.idle).pop();
            match pooled {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => return Ok(c),
                None => return self.open(),
            }
        }
    }

    fn give_back(&self, conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_KEPT {
            idle.push(conn);
        }
    }

    /// A connection with a transaction begun by `begin`. A pooled connection the
    /// server has dropped (a restart, an idle timeout) is replaced once.
    fn begin(&self, begin: &str) -> StoreResult<Conn> {
        let mut conn = self.take()?;
        if conn.client.batch_execute(begin).is_ok() {
            return Ok(conn);
        }
        conn = self.open()?;
        conn.client.batch_execute(begin).map_err(map_err)?;
        Ok(conn)
    }
}

/// A poisoned mutex only means another thread panicked while holding it; the
/// idle list itself is always consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Applies pending migrations in one transaction. The advisory lock makes a second
/// server starting at the same moment wait, then find the migrations applied.
fn migrate(conn: &mut Conn) -> StoreResult<()> {
    let client = &mut conn.client;
    client.batch_execute("BEGIN").map_err(map_err)?;
    let result = (|| {
        client.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(map_err)?;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migration (
                     version       BIGINT      PRIMARY KEY,
                     applied_at    TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .map_err(map_err)?;
        let applied: i64 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migration", &[])
            .and_then(|r| r.try_get(0))
            .map_err(map_err)?;
        let applied = usize::try_from(applied).unwrap_or(0);
        for (idx, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            client.batch_execute(sql).map_err(map_err)?;
            let version = i64::try_from(idx + 1).unwrap_or(i64::MAX);
            client.execute("INSERT INTO schema_migration (version) VALUES ($1)", &[&version]).map_err(map_err)?;
        }
        Ok(())
    })();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    client.batch_execute(end).map_err(map_err)?;
    result
}

/// Maps driver errors onto the port's: constraint violations (SQLSTATE class 23)
/// become conflicts naming the constraint; serialization failures, deadlocks and
/// lock timeouts mean "try again" and become [`StoreError::Busy`].
pub(crate) fn map_err(e: postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::Backend(error_chain(&e));
    };
    let code = db.code().code();
    if code.starts_with("23") {
        return StoreError::Conflict {
            constraint: db.constraint().map(str::to_owned).unwrap_or_else(|| format!("{} ({code})", db.message())),
        };
    }
    match code {
        // serialization_failure, deadlock_detected, lock_not_available
        "40001" | "40P01" | "55P03" => StoreError::Busy,
        _ => StoreError::Backend(format!("{} ({code})", db.message())),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Store for PostgresStore {
    fn read(&self) -> StoreResult<Box<dyn Reads + '_>> {
        let conn = self.begin(READ_BEGIN)?;
        Ok(Box::new(ReadView { store: self, conn: Some(conn) }))
    }

    fn read_pair(&self) -> StoreResult<coffer_store::ReadPair<'_>> {
        // The first view exports its snapshot and the second adopts it, which must be
        // the second transaction's first statement.
        let mut first = ReadView { store: self, conn: Some(self.begin(READ_BEGIN)?) };
        let snapshot: String =
            first.conn().client.query_one("SELECT pg_export_snapshot()", &[]).map_err(map_err)?.get(0);
        // SET TRANSACTION SNAPSHOT takes no parameters; an id is hex digits and dashes.
        if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(StoreError::Backend(format!("unexpected snapshot id {snapshot:?}")));
        }
        let mut second = ReadView { store: self, conn: Some(self.begin(READ_BEGIN)?) };
        second.conn().client.batch_execute(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'")).map_err(map_err)?;
        Ok([Box::new(first), Box::new(second)])
    }

    fn begin_write(&self) -> StoreResult<Box<dyn WriteTx + '_>> {
        let conn = self.begin("BEGIN ISOLATION LEVEL READ COMMITTED")?;
        Ok(Box::new(PostgresWriteTx { store: self, conn: Some(conn), aborted: false, unit_open: false }))
    }

    fn pool_status(&self) -> Option<coffer_store::PoolStatus> {
        let idle = lock(&self.idle).len();
        let live = self.live.load(std::sync::atomic::Ordering::Relaxed);
        Some(coffer_store::PoolStatus { in_use: live.saturating_sub(idle) as u64, idle: idle as u64 })
    }

    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn jobs(&self) -> &dyn coffer_store::jobs::JobStore {
        self
    }

    fn webhooks(&self) -> &dyn coffer_store::webhooks::WebhookStore {
        self
    }
}

/// A read view: a pooled connection in a read-only snapshot transaction.
pub(crate) struct ReadView<'a> {
    store: &'a PostgresStore,
    conn: Option<Conn>,
}

impl ReadView<'_> {
    pub(crate) fn conn(&mut self) -> &mut Conn {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("the connection is taken only on drop"),
        }
    }

    /// Runs a query in the view's snapshot.
    pub(crate) fn read<T>(&mut self, f: impl FnOnce(&mut Conn) -> StoreResult<T>) -> StoreResult<T> {
        f(self.conn())
    }
}

impl Drop for ReadView<'_> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // A read-only transaction has nothing to keep; a connection that cannot
            // even roll back is dropped rather than pooled.
            if conn.client.batch_execute("ROLLBACK").is_ok() {
                self.store.give_back(conn);
            }
        }
    }
}

/// A write transaction on a pooled connection. `aborted` records that a statement
/// failed outside a savepoint: PostgreSQL then refuses everything but a rollback,
/// and would even answer COMMIT with a silent ROLLBACK, so `commit` must refuse.
pub(crate) struct PostgresWriteTx<'a> {
    store: &'a PostgresStore,
    conn: Option<Conn>,
    aborted: bool,
    /// Whether a unit-of-work savepoint ([`coffer_store::WriteTx::savepoint`]) is
    /// open. Inside one a failed write is undone with the whole unit, so writes skip
    /// their own savepoint and the two round trips it costs.
    pub(crate) unit_open: bool,
}

impl PostgresWriteTx<'_> {
    pub(crate) fn conn(&mut self) -> &mut Conn {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("the connection is taken only on commit or drop"),
        }
    }

    /// Runs statements inside the transaction but outside a savepoint (reads, and
    /// writes that report refusals without raising an error). A failed statement
    /// poisons the transaction; a row that does not convert does not.
    pub(crate) fn read<T>(&mut self, f: impl FnOnce(&mut Conn) -> StoreResult<T>) -> StoreResult<T> {
        self.usable()?;
        let result = f(self.conn());
        if let Err(e) = &result {
            if !matches!(e, StoreError::Corrupt(_)) {
                self.aborted = true;
            }
        }
        result
    }

    /// Runs a write inside a savepoint. If it fails, the savepoint is rolled back
    /// and the transaction stays usable, as a failed statement leaves SQLite's.
    /// Inside an open unit the write runs bare: a failure marks the transaction
    /// aborted until the caller undoes the unit, as the port's contract requires.
    pub(crate) fn guarded<T>(&mut self, f: impl FnOnce(&mut Conn) -> StoreResult<T>) -> StoreResult<T> {
        if self.unit_open {
            return self.read(f);
        }
        self.usable()?;
        let Some(conn) = self.conn.as_mut() else { unreachable!("the connection is taken only on commit or drop") };
        if let Err(e) = conn.client.batch_execute("SAVEPOINT coffer_write") {
            self.aborted = true;
            return Err(map_err(e));
        }
        let result = f(conn);
        let end = match result {
            Ok(_) => "RELEASE SAVEPOINT coffer_write",
            Err(_) => "ROLLBACK TO SAVEPOINT coffer_write; RELEASE SAVEPOINT coffer_write",
        };
        if let Err(e) = conn.client.batch_execute(end) {
            self.aborted = true;
            return Err(result.err().unwrap_or_else(|| map_err(e)));
        }
        result
    }

    fn usable(&self) -> StoreResult<()> {
        if self.aborted {
            return Err(StoreError::Backend("the transaction was aborted by an earlier error; roll it back".into()));
        }
        Ok(())
    }

    fn finish(&mut self) -> StoreResult<()> {
        self.usable()?;
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => unreachable!("commit consumes the transaction"),
        };
        let result = conn.client.batch_execute("COMMIT").map_err(map_err);
        if result.is_ok() {
            self.store.give_back(conn);
        }
        result
    }
}

impl Drop for PostgresWriteTx<'_> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if conn.client.batch_execute("ROLLBACK").is_ok() {
                self.store.give_back(conn);
            }
        }
    }
}
