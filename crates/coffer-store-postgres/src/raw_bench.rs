//! The raw-storage baseline of `coffer bench` on PostgreSQL: the rows a settled
//! charge writes, written with plain SQL and no domain logic (no planning, no
//! hashing, no reads before writing, no row locks taken up front), at the same
//! durability (`synchronous_commit = on`) and with as many connections as the real
//! run has callers. The tables are copies of the real ones (`LIKE ... INCLUDING
//! ALL`: columns, checks, keys, indexes) plus the same foreign keys, in a schema of
//! their own that is dropped afterwards, so the real data is left alone.

use std::time::{Duration, Instant};

use coffer_store::{StoreError, StoreResult};
use postgres::{Client, NoTls, Statement};

use crate::map_err;

/// The shape of the rows to write, taken from a real run.
#[derive(Clone, Copy, Debug)]
pub struct RawLoad {
    pub accounts: u64,
    pub charges: u64,
    /// Postings per charge (a charge from two instruments posts three).
    pub postings_per_charge: u64,
    /// Charges per commit: the real run's average batch size (1 without group commit).
    pub charges_per_commit: u64,
    /// Concurrent connections, each writing the charges of its own accounts.
    pub connections: u64,
}

const SCHEMA: &str = "coffer_raw_bench";

const TABLES: [&str; 6] = ["billing_account", "ledger_account", "journal_tx", "posting", "charge", "charge_deduction"];

const FOREIGN_KEYS: &str = "\
    ALTER TABLE ledger_account ADD FOREIGN KEY (billing_account_id) REFERENCES billing_account; \
    ALTER TABLE journal_tx ADD FOREIGN KEY (billing_account_id) REFERENCES billing_account; \
    ALTER TABLE posting ADD FOREIGN KEY (journal_tx_id) REFERENCES journal_tx; \
    ALTER TABLE charge ADD FOREIGN KEY (billing_account_id) REFERENCES billing_account; \
    ALTER TABLE charge ADD FOREIGN KEY (journal_tx_id) REFERENCES journal_tx; \
    ALTER TABLE charge_deduction ADD FOREIGN KEY (charge_id) REFERENCES charge;";

/// Writes `load` into a scratch schema of the (already migrated) database at `url`
/// and returns the time the writes took (account setup excluded). The scratch
/// schema is dropped before returning.
pub fn run(url: &str, load: RawLoad) -> StoreResult<Duration> {
    let mut admin = connect(url)?;
    create_schema(&mut admin)?;
    seed_accounts(&mut admin, load.accounts)?;
    let connections = load.connections.clamp(1, load.accounts.max(1));
    let started = Instant::now();
    let results: Vec<StoreResult<()>> = std::thread::scope(|s| {
        let workers: Vec<_> =
            (0..connections).map(|w| s.spawn(move || write_share(url, load, w, connections))).collect();
        workers.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(panicked()))).collect()
    });
    let elapsed = started.elapsed();
    admin.batch_execute(&format!("DROP SCHEMA {SCHEMA} CASCADE")).map_err(map_err)?;
    results.into_iter().collect::<StoreResult<()>>()?;
    Ok(elapsed)
}

fn panicked() -> StoreError {
    StoreError::Backend("a raw-baseline writer panicked".into())
}

fn connect(url: &str) -> StoreResult<Client> {
    let config: postgres::Config =
        url.parse().map_err(|e| StoreError::Backend(format!("bad PostgreSQL connection string: {e}")))?;
    let mut client = config.connect(NoTls).map_err(map_err)?;
    let setup = format!("SET synchronous_commit = on; SET search_path = {SCHEMA}");
    client.batch_execute(&setup).map_err(map_err)?;
    Ok(client)
}

/// The statements of one charge, prepared once per connection as the store does.
struct Statements([Statement; 6]);

const SQL: [&str; 6] = [
    "INSERT INTO journal_tx (billing_account_id, seq, kind, memo, at_ms, prev_hash, hash) \
     VALUES ($1, $2, 'charge_settled', $3, $4, $5, $5) RETURNING journal_tx_id",
    "UPDATE ledger_account SET balance_minor = balance_minor + $3 \
     WHERE billing_account_id = $1 AND book = $2 AND instrument_id = 0",
    "INSERT INTO posting (journal_tx_id, posting_idx, billing_account_id, book, instrument_id, \
     amount_minor, balance_after_minor, at_ms) VALUES ($1, $2, $3, $4, 0, $5, 0, $6)",
    "UPDATE billing_account SET journal_seq = $2, journal_head = $3 WHERE billing_account_id = $1",
    "INSERT INTO charge (billing_account_id, workspace_id, bill_id, category, settlement, amount_minor, \
     currency, bill_date, policy_version, settled_at_ms, fingerprint, journal_tx_id) \
     VALUES ($1, $2, $3, 'payg', 'billing_center', 100, 'CNY', '2026-11-25', 1, $4, $5, $6) \
     RETURNING charge_id",
    "INSERT INTO charge_deduction (charge_id, deduction_idx, billing_account_id, class, instrument_id, \
     amount_minor) VALUES ($1, $2, $3, 'cash', 0, 100)",
];

impl Statements {
    fn prepare(c: &mut Client) -> StoreResult<Statements> {
        let mut prepared = Vec::with_capacity(SQL.len());
        for sql in SQL {
            prepared.push(c.prepare(sql).map_err(map_err)?);
        }
        prepared.try_into().map(Statements).map_err(|_| StoreError::Backend("statement count".into()))
    }
}

fn create_schema(c: &mut Client) -> StoreResult<()> {
    let mut sql = format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};");
    for table in TABLES {
        sql.push_str(&format!("CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL);"));
    }
    sql.push_str(FOREIGN_KEYS);
    c.batch_execute(&sql).map_err(map_err)
}

fn seed_accounts(c: &mut Client, accounts: u64) -> StoreResult<()> {
    let n = i64::try_from(accounts).unwrap_or(i64::MAX);
    let sql = "INSERT INTO billing_account (name, currency, time_zone, journal_head, created_at_ms) \
               SELECT 'raw', 'CNY', 'Asia/Shanghai', '', 0 FROM generate_series(1, $1::bigint)";
    c.execute(sql, &[&n]).map_err(map_err)?;
    let sql = "INSERT INTO ledger_account (billing_account_id, book, instrument_id, balance_minor) \
               SELECT billing_account_id, book, 0, 0 FROM billing_account, \
               (VALUES ('revenue'), ('cash')) AS b (book)";
    c.execute(sql, &[]).map_err(map_err)?;
    c.batch_execute("ANALYZE").map_err(map_err)
}

/// Worker `w` of `of` writes the charges whose account index is `w` modulo `of`,
/// so no two workers touch the same account.
fn write_share(url: &str, load: RawLoad, w: u64, of: u64) -> StoreResult<()> {
    let mut c = connect(url)?;
    let st = Statements::prepare(&mut c)?;
    let mut seq = vec![0_i64; usize::try_from(load.accounts).unwrap_or(0)];
    let mine: Vec<u64> = (0..load.charges).filter(|n| (n % load.accounts.max(1)) % of == w).collect();
    for chunk in mine.chunks(usize::try_from(load.charges_per_commit.max(1)).unwrap_or(1)) {
        let mut tx = c.transaction().map_err(map_err)?;
        for &charge in chunk {
            write_charge(&mut tx, &st, charge, load, &mut seq)?;
        }
        tx.commit().map_err(map_err)?;
    }
    Ok(())
}

/// One charge's rows: the journal transaction, its postings and their balance
/// updates, the chain head, the charge and its deductions.
fn write_charge(
    c: &mut postgres::Transaction<'_>,
    st: &Statements,
    charge: u64,
    load: RawLoad,
    seq: &mut [i64],
) -> StoreResult<()> {
    let [journal, balance, posting, head, charge_row, deduction] = &st.0;
    let idx = usize::try_from(charge % load.accounts.max(1)).unwrap_or(0);
    let account = i64::try_from(idx).unwrap_or(0) + 1;
    seq[idx] += 1;
    let s = seq[idx];
    let at = i64::try_from(charge).unwrap_or(0);
    let hash = format!("{charge:064x}");
    let memo = format!("payg bill b{charge} of workspace w{account}");
    let tx_id: i64 = c.query_one(journal, &[&account, &s, &memo, &at, &hash]).map_err(map_err)?.get(0);
    let postings = i64::try_from(load.postings_per_charge.max(2)).unwrap_or(2);
    for p in 0..postings {
        // Revenue pays the customer's cash book: balanced, and the cash book only grows.
        let (book, amount) = if p == 0 { ("revenue", -100 * (postings - 1)) } else { ("cash", 100) };
        c.execute(balance, &[&account, &book, &amount]).map_err(map_err)?;
        c.execute(posting, &[&tx_id, &p, &account, &book, &amount, &at]).map_err(map_err)?;
    }
    c.execute(head, &[&account, &s, &hash]).map_err(map_err)?;
    let (ws, bill) = (format!("w{account}"), format!("b{charge}"));
    let charge_id: i64 = c.query_one(charge_row, &[&account, &ws, &bill, &at, &hash, &tx_id]).map_err(map_err)?.get(0);
    for d in 1..postings {
        c.execute(deduction, &[&charge_id, &d, &account]).map_err(map_err)?;
    }
    Ok(())
}

/// The size of the database at `url` (tables, indexes, TOAST; the WAL is the
/// cluster's and not counted), after a `VACUUM` so dead row versions do not count.
pub fn database_bytes(url: &str) -> StoreResult<u64> {
    let mut c = connect(url)?;
    c.batch_execute("VACUUM").map_err(map_err)?;
    let bytes: i64 = c.query_one("SELECT pg_database_size(current_database())", &[]).map_err(map_err)?.get(0);
    Ok(u64::try_from(bytes).unwrap_or(0))
}
