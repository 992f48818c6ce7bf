//! [`JobStore`] on PostgreSQL: each call is its own short READ COMMITTED transaction.
//! Leases are taken with a conditional UPDATE: PostgreSQL re-checks the WHERE clause
//! on the locked row, so of two servers racing for a lapsed lease exactly one updates it.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::jobs::*;
use coffer_store::StoreResult;
use postgres::Row;

use crate::rows::{corrupt, get};
use crate::{map_err, Conn, PostgresStore};

type R<T> = StoreResult<T>;

impl PostgresStore {
    /// Runs `f` in its own READ COMMITTED transaction, committed if `f` succeeds.
    pub(crate) fn short_write<T>(&self, f: impl FnOnce(&mut Conn) -> R<T>) -> R<T> {
        let mut conn = self.begin("BEGIN ISOLATION LEVEL READ COMMITTED")?;
        match f(&mut conn) {
            Ok(value) => {
                conn.client.batch_execute("COMMIT").map_err(map_err)?;
                self.give_back(conn);
                Ok(value)
            }
            Err(e) => {
                if conn.client.batch_execute("ROLLBACK").is_ok() {
                    self.give_back(conn);
                }
                Err(e)
            }
        }
    }

    /// Single-statement reads outside an explicit transaction, repeated once on a
    /// fresh connection (a pooled one may have been terminated by the server).
    pub(crate) fn short_read<T>(&self, f: impl Fn(&mut Conn) -> R<T>) -> R<T> {
        let mut conn = self.take()?;
        let result = match f(&mut conn) {
            Err(_) => {
                conn = self.open()?;
                f(&mut conn)
            }
            ok => ok,
        };
        self.give_back(conn);
        result
    }
}

pub(crate) fn all<T>(rows: Vec<Row>, map: impl Fn(&Row) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(map).collect()
}

const LEASE_COLUMNS: &str = "job, holder, generation, acquired_at_ms, expires_at_ms";

fn lease_row(r: &Row) -> R<Lease> {
    Ok(Lease {
        job: get(r, 0)?,
        holder: get(r, 1)?,
        generation: get(r, 2)?,
        acquired_at: Timestamp(get(r, 3)?),
        expires_at: Timestamp(get(r, 4)?),
    })
}

const RUN_COLUMNS: &str = "job_run_id, job, holder, generation, started_at_ms, finished_at_ms, outcome, items, detail";

fn run_row(r: &Row) -> R<JobRun> {
    let outcome: String = get(r, 6)?;
    Ok(JobRun {
        id: get(r, 0)?,
        run: NewJobRun {
            job: get(r, 1)?,
            holder: get(r, 2)?,
            generation: get(r, 3)?,
            started_at: Timestamp(get(r, 4)?),
        },
        finished_at: get::<Option<i64>>(r, 5)?.map(Timestamp),
        outcome: RunOutcome::parse(&outcome).ok_or_else(|| corrupt("run outcome", &outcome))?,
        items: get(r, 7)?,
        detail: get(r, 8)?,
    })
}

const BILL_COLUMNS: &str = "billing_account_id, month, charges, amount_minor, csv, created_at_ms";

fn bill_row(r: &Row) -> R<MonthlyBill> {
    Ok(MonthlyBill {
        account_id: AccountId(get(r, 0)?),
        month: get(r, 1)?,
        charges: get(r, 2)?,
        amount_minor: get(r, 3)?,
        csv: get(r, 4)?,
        created_at: Timestamp(get(r, 5)?),
    })
}

/// Inserts the job's row for the first taker; later takers update it only if it
/// lapsed or is theirs (see the SQLite twin for the generation rule).
fn take_lease(c: &mut Conn, job: &str, holder: &str, now: Timestamp, until: Timestamp) -> R<Option<Lease>> {
    let inserted = c.execute(
        "INSERT INTO job_lease (job, holder, generation, acquired_at_ms, expires_at_ms) VALUES ($1, $2, 1, $3, $4) \
         ON CONFLICT (job) DO NOTHING",
        &[&job, &holder, &now.0, &until.0],
    )?;
    if inserted == 0 {
        c.execute(
            "UPDATE job_lease SET \
               generation = CASE WHEN holder = $2 AND expires_at_ms > $3 THEN generation ELSE generation + 1 END, \
               acquired_at_ms = CASE WHEN holder = $2 AND expires_at_ms > $3 THEN acquired_at_ms ELSE $3 END, \
               holder = $2, expires_at_ms = $4 \
             WHERE job = $1 AND (holder = $2 OR expires_at_ms <= $3)",
            &[&job, &holder, &now.0, &until.0],
        )?;
    }
    let sql = format!("SELECT {LEASE_COLUMNS} FROM job_lease WHERE job = $1 AND holder = $2");
    c.query_opt(&sql, &[&job, &holder])?.map(|r| lease_row(&r)).transpose()
}

fn finish(c: &mut Conn, id: i64, f: &RunFinish) -> R<bool> {
    let row = c.query_one("SELECT job, holder, generation FROM job_run WHERE job_run_id = $1 FOR UPDATE", &[&id])?;
    let (job, holder, generation): (String, String, i64) = (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
    // FOR SHARE keeps the lease from changing hands between this check and the commit.
    let live = c
        .query_opt(
            "SELECT 1 FROM job_lease WHERE job = $1 AND holder = $2 AND generation = $3 FOR SHARE",
            &[&job, &holder, &generation],
        )?
        .is_some();
    let outcome = if live { f.outcome } else { RunOutcome::Fenced };
    c.execute(
        "UPDATE job_run SET outcome = $2, items = $3, detail = $4, finished_at_ms = $5 WHERE job_run_id = $1",
        &[&id, &outcome.as_str(), &f.items, &f.detail, &f.finished_at.0],
    )?;
    Ok(live)
}

fn advance(c: &mut Conn, job: &str, generation: i64, position: i64) -> R<bool> {
    let live = c
        .query_opt("SELECT 1 FROM job_lease WHERE job = $1 AND generation = $2 FOR SHARE", &[&job, &generation])?
        .is_some();
    if !live {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO job_cursor (job, position) VALUES ($1, $2) \
         ON CONFLICT (job) DO UPDATE SET position = GREATEST(job_cursor.position, excluded.position)",
        &[&job, &position],
    )?;
    Ok(true)
}

impl JobStore for PostgresStore {
    fn acquire_lease(&self, job: &str, holder: &str, now: Timestamp, expires_at: Timestamp) -> R<Option<Lease>> {
        self.short_write(|c| take_lease(c, job, holder, now, expires_at))
    }

    fn release_lease(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> R<()> {
        self.short_write(|c| {
            c.execute(
                "UPDATE job_lease SET expires_at_ms = $4 WHERE job = $1 AND holder = $2 AND generation = $3",
                &[&job, &holder, &generation, &now.0],
            )
            .map(drop)
        })
    }

    fn lease_is_current(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> R<bool> {
        self.short_read(|c| {
            let row = c.query_opt(
                "SELECT 1 FROM job_lease WHERE job = $1 AND holder = $2 AND generation = $3 AND expires_at_ms > $4",
                &[&job, &holder, &generation, &now.0],
            )?;
            Ok(row.is_some())
        })
    }

    fn leases(&self) -> R<Vec<Lease>> {
        let sql = format!("SELECT {LEASE_COLUMNS} FROM job_lease ORDER BY job");
        self.short_read(|c| all(c.query(&sql, &[])?, lease_row))
    }

    fn start_run(&self, run: &NewJobRun) -> R<i64> {
        self.short_write(|c| {
            let row = c.query_one(
                "INSERT INTO job_run (job, holder, generation, started_at_ms, outcome) \
                 VALUES ($1, $2, $3, $4, 'running') RETURNING job_run_id",
                &[&run.job, &run.holder, &run.generation, &run.started_at.0],
            )?;
            get(&row, 0)
        })
    }

    fn finish_run(&self, id: i64, finish_: &RunFinish) -> R<bool> {
        self.short_write(|c| finish(c, id, finish_))
    }

    fn job_runs(&self, job: Option<&str>, limit: u32) -> R<Vec<JobRun>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM job_run WHERE ($1::TEXT IS NULL OR job = $1) ORDER BY job_run_id DESC LIMIT $2"
        );
        let limit = i64::from(limit);
        self.short_read(|c| all(c.query(&sql, &[&job, &limit])?, run_row))
    }

    fn cursor(&self, job: &str) -> R<i64> {
        self.short_read(|c| {
            let row = c.query_opt("SELECT position FROM job_cursor WHERE job = $1", &[&job])?;
            row.map(|r| get(&r, 0)).transpose().map(|p| p.unwrap_or(0))
        })
    }

    fn advance_cursor(&self, job: &str, generation: i64, position: i64) -> R<bool> {
        self.short_write(|c| advance(c, job, generation, position))
    }

    fn insert_monthly_bill(&self, b: &MonthlyBill) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO monthly_bill (billing_account_id, month, charges, amount_minor, csv, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (billing_account_id, month) DO NOTHING",
                &[&b.account_id.0, &b.month, &b.charges, &b.amount_minor, &b.csv, &b.created_at.0],
            )
            .map(|n| n == 1)
        })
    }

    fn monthly_bill(&self, account: AccountId, month: &str) -> R<Option<MonthlyBill>> {
        let sql = format!("SELECT {BILL_COLUMNS} FROM monthly_bill WHERE billing_account_id = $1 AND month = $2");
        self.short_read(|c| c.query_opt(&sql, &[&account.0, &month])?.map(|r| bill_row(&r)).transpose())
    }
}
