//! [`JobStore`] on SQLite: each call is its own short transaction. `BEGIN IMMEDIATE`
//! takes the write lock first, so two processes on one file taking the same lease
//! serialize and the second sees the first's row.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::jobs::*;
use coffer_store::StoreResult;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::rows::{corrupt, from_sql_err, to_sql_err};
use crate::{lock, map_err, SqliteStore};

type R<T> = StoreResult<T>;

impl SqliteStore {
    /// Runs `f` in its own immediate transaction, committed if `f` succeeds.
    pub(crate) fn short_write<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> R<T> {
        let conn = lock(&self.writer);
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        match f(&conn) {
            Ok(value) => {
                conn.execute_batch("COMMIT").map_err(map_err)?;
                Ok(value)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(from_sql_err(e))
            }
        }
    }

    pub(crate) fn short_read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> R<T> {
        let conn = self.take_reader()?;
        let result = f(&conn).map_err(from_sql_err);
        self.give_back(conn);
        result
    }
}

const LEASE_COLUMNS: &str = "job, holder, generation, acquired_at_ms, expires_at_ms";

fn lease_row(r: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        job: r.get(0)?,
        holder: r.get(1)?,
        generation: r.get(2)?,
        acquired_at: Timestamp(r.get(3)?),
        expires_at: Timestamp(r.get(4)?),
    })
}

const RUN_COLUMNS: &str = "job_run_id, job, holder, generation, started_at_ms, finished_at_ms, outcome, items, detail";

fn run_row(r: &Row<'_>) -> rusqlite::Result<JobRun> {
    let outcome: String = r.get(6)?;
    Ok(JobRun {
        id: r.get(0)?,
        run: NewJobRun { job: r.get(1)?, holder: r.get(2)?, generation: r.get(3)?, started_at: Timestamp(r.get(4)?) },
        finished_at: r.get::<_, Option<i64>>(5)?.map(Timestamp),
        outcome: RunOutcome::parse(&outcome).ok_or_else(|| to_sql_err(corrupt("run outcome", &outcome)))?,
        items: r.get(7)?,
        detail: r.get(8)?,
    })
}

const BILL_COLUMNS: &str = "billing_account_id, month, charges, amount_minor, csv, created_at_ms";

fn bill_row(r: &Row<'_>) -> rusqlite::Result<MonthlyBill> {
    Ok(MonthlyBill {
        account_id: AccountId(r.get(0)?),
        month: r.get(1)?,
        charges: r.get(2)?,
        amount_minor: r.get(3)?,
        csv: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
    })
}

/// The lease after a conditional take-over or renewal, or `None` when another holder
/// has it. The first writer of a job's row inserts it; later ones update it only if it
/// lapsed or is theirs.
fn take_lease(
    c: &Connection,
    job: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> rusqlite::Result<Option<Lease>> {
    let inserted = c.execute(
        "INSERT INTO job_lease (job, holder, generation, acquired_at_ms, expires_at_ms) VALUES (?1, ?2, 1, ?3, ?4) \
         ON CONFLICT (job) DO NOTHING",
        params![job, holder, now.0, until.0],
    )?;
    if inserted == 0 {
        c.execute(
            "UPDATE job_lease SET \
               generation = CASE WHEN holder = ?2 AND expires_at_ms > ?3 THEN generation ELSE generation + 1 END, \
               acquired_at_ms = CASE WHEN holder = ?2 AND expires_at_ms > ?3 THEN acquired_at_ms ELSE ?3 END, \
               holder = ?2, expires_at_ms = ?4 \
             WHERE job = ?1 AND (holder = ?2 OR expires_at_ms <= ?3)",
            params![job, holder, now.0, until.0],
        )?;
    }
    let sql = format!("SELECT {LEASE_COLUMNS} FROM job_lease WHERE job = ?1 AND holder = ?2");
    c.query_row(&sql, params![job, holder], lease_row).optional()
}

fn current(c: &Connection, job: &str, holder: &str, generation: i64, now: Timestamp) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT COUNT(*) FROM job_lease WHERE job = ?1 AND holder = ?2 AND generation = ?3 AND expires_at_ms > ?4",
        params![job, holder, generation, now.0],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n == 1)
}

fn generation_is(c: &Connection, job: &str, holder: &str, generation: i64) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT COUNT(*) FROM job_lease WHERE job = ?1 AND holder = ?2 AND generation = ?3",
        params![job, holder, generation],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n == 1)
}

fn finish(c: &Connection, id: i64, f: &RunFinish) -> rusqlite::Result<bool> {
    let (job, holder, generation): (String, String, i64) =
        c.query_row("SELECT job, holder, generation FROM job_run WHERE job_run_id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    // The run's result counts only if its lease has not changed hands since it began.
    let fenced = !generation_is(c, &job, &holder, generation)?;
    let outcome = if fenced { RunOutcome::Fenced } else { f.outcome };
    c.execute(
        "UPDATE job_run SET outcome = ?2, items = ?3, detail = ?4, finished_at_ms = ?5 WHERE job_run_id = ?1",
        params![id, outcome.as_str(), f.items, f.detail, f.finished_at.0],
    )?;
    Ok(!fenced)
}

fn advance(c: &Connection, job: &str, generation: i64, position: i64) -> rusqlite::Result<bool> {
    let live: i64 = c.query_row(
        "SELECT COUNT(*) FROM job_lease WHERE job = ?1 AND generation = ?2",
        params![job, generation],
        |r| r.get(0),
    )?;
    if live != 1 {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO job_cursor (job, position) VALUES (?1, ?2) \
         ON CONFLICT (job) DO UPDATE SET position = MAX(position, excluded.position)",
        params![job, position],
    )?;
    Ok(true)
}

impl JobStore for SqliteStore {
    fn acquire_lease(&self, job: &str, holder: &str, now: Timestamp, expires_at: Timestamp) -> R<Option<Lease>> {
        self.short_write(|c| take_lease(c, job, holder, now, expires_at))
    }

    fn release_lease(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> R<()> {
        self.short_write(|c| {
            c.execute(
                "UPDATE job_lease SET expires_at_ms = ?4 WHERE job = ?1 AND holder = ?2 AND generation = ?3",
                params![job, holder, generation, now.0],
            )
            .map(drop)
        })
    }

    fn lease_is_current(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> R<bool> {
        self.short_read(|c| current(c, job, holder, generation, now))
    }

    fn leases(&self) -> R<Vec<Lease>> {
        self.short_read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {LEASE_COLUMNS} FROM job_lease ORDER BY job"))?;
            let rows = stmt.query_map([], lease_row)?;
            rows.collect()
        })
    }

    fn start_run(&self, run: &NewJobRun) -> R<i64> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO job_run (job, holder, generation, started_at_ms, outcome) VALUES (?1, ?2, ?3, ?4, 'running')",
                params![run.job, run.holder, run.generation, run.started_at.0],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn finish_run(&self, id: i64, finish_: &RunFinish) -> R<bool> {
        self.short_write(|c| finish(c, id, finish_))
    }

    fn job_runs(&self, job: Option<&str>, limit: u32) -> R<Vec<JobRun>> {
        self.short_read(|c| {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM job_run WHERE (?1 IS NULL OR job = ?1) ORDER BY job_run_id DESC LIMIT ?2"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![job, limit], run_row)?;
            rows.collect()
        })
    }

    fn cursor(&self, job: &str) -> R<i64> {
        self.short_read(|c| {
            c.query_row("SELECT position FROM job_cursor WHERE job = ?1", [job], |r| r.get(0))
                .optional()
                .map(|p| p.unwrap_or(0))
        })
    }

    fn advance_cursor(&self, job: &str, generation: i64, position: i64) -> R<bool> {
        self.short_write(|c| advance(c, job, generation, position))
    }

    fn insert_monthly_bill(&self, b: &MonthlyBill) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO monthly_bill (billing_account_id, month, charges, amount_minor, csv, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (billing_account_id, month) DO NOTHING",
                params![b.account_id.0, b.month, b.charges, b.amount_minor, b.csv, b.created_at.0],
            )
            .map(|n| n == 1)
        })
    }

    fn monthly_bill(&self, account: AccountId, month: &str) -> R<Option<MonthlyBill>> {
        self.short_read(|c| {
            let sql = format!("SELECT {BILL_COLUMNS} FROM monthly_bill WHERE billing_account_id = ?1 AND month = ?2");
            c.query_row(&sql, params![account.0, month], bill_row).optional()
        })
    }
}
