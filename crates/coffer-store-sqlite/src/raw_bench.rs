//! The raw-storage baseline of `coffer bench`: the rows a settled charge writes,
//! written with plain SQL and no domain logic (no planning, no hashing, no reads
//! before writing), on the same schema at the same durability (WAL,
//! `synchronous=FULL`). The ratio of a real run to this one is what the domain
//! costs on top of the storage it cannot avoid.

use std::path::Path;
use std::time::{Duration, Instant};

use coffer_store::StoreResult;
use rusqlite::{params, Connection};

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
}

/// Creates the schema in a new file at `path`, writes `load` and returns the time
/// the writes took (account setup excluded).
pub fn run(path: &Path, load: RawLoad) -> StoreResult<Duration> {
    drop(crate::SqliteStore::open(path)?);
    let conn = crate::connect(path)?;
    // The same page cache as the store's writer connection, so only the domain differs.
    conn.execute_batch(crate::WRITER_CACHE).map_err(map_err)?;
    seed_accounts(&conn, load.accounts)?;
    let started = Instant::now();
    let mut seq = vec![0_i64; usize::try_from(load.accounts).unwrap_or(0)];
    let mut n = 0;
    while n < load.charges {
        let end = (n + load.charges_per_commit.max(1)).min(load.charges);
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        for charge in n..end {
            write_charge(&conn, charge, load, &mut seq)?;
        }
        conn.execute_batch("COMMIT").map_err(map_err)?;
        n = end;
    }
    Ok(started.elapsed())
}

fn seed_accounts(conn: &Connection, accounts: u64) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
    for _ in 0..accounts {
        let sql = "INSERT INTO billing_account (name, currency, time_zone, journal_head, created_at_ms) \
                   VALUES ('raw', 'CNY', 'Asia/Shanghai', '', 0)";
        conn.execute(sql, []).map_err(map_err)?;
        let account = conn.last_insert_rowid();
        for book in ["revenue", "cash"] {
            let sql = "INSERT INTO ledger_account (billing_account_id, book, instrument_id, balance_minor) \
                       VALUES (?1, ?2, 0, 0)";
            conn.execute(sql, params![account, book]).map_err(map_err)?;
        }
    }
    conn.execute_batch("COMMIT").map_err(map_err)
}

fn exec(c: &Connection, sql: &str, p: impl rusqlite::Params) -> StoreResult<usize> {
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)
}

/// One charge's rows: the journal transaction, its postings and their balance
/// updates, the chain head, the charge and its deductions.
fn write_charge(c: &Connection, charge: u64, load: RawLoad, seq: &mut [i64]) -> StoreResult<()> {
    // Accounts drawn at random, as the real charge stream draws them: taken in turn,
    // one batch's accounts would sit on a few adjacent pages, a locality the real
    // run never gets.
    let idx = usize::try_from(scatter(charge) % load.accounts.max(1)).unwrap_or(0);
    let account = i64::try_from(idx).unwrap_or(0) + 1;
    seq[idx] += 1;
    let s = seq[idx];
    let hash_text = format!("{charge:064x}");
    // Stored as the real path stores it (32 bytes, `rows::StoredHash`).
    let hash = crate::rows::StoredHash::of(&hash_text);
    let sql = "INSERT INTO journal_tx (billing_account_id, seq, kind, memo, at_ms, prev_hash, hash) \
               VALUES (?1, ?2, 'charge_settled', ?3, ?4, ?5, ?5)";
    exec(c, sql, params![account, s, format!("payg bill b{charge} of workspace w{account}"), charge, &hash])?;
    let tx_id = c.last_insert_rowid();
    let postings = load.postings_per_charge.max(2);
    for p in 0..postings {
        // Revenue pays the customer's cash book: balanced, and the cash book only grows,
        // so its sign rule holds and statements (customer books) have lines to show.
        let (book, amount) = if p == 0 { ("revenue", 100 * (postings - 1)) } else { ("cash", 100) };
        let amount = i64::try_from(amount).unwrap_or(0) * if p == 0 { -1 } else { 1 };
        let sql = "UPDATE ledger_account SET balance_minor = balance_minor + ?3 \
                   WHERE billing_account_id = ?1 AND book = ?2 AND instrument_id = 0";
        exec(c, sql, params![account, book, amount])?;
        let sql = "INSERT INTO posting (journal_tx_id, posting_idx, billing_account_id, book, instrument_id, \
                   amount_minor, balance_after_minor, at_ms) VALUES (?1, ?2, ?3, ?4, 0, ?5, 0, ?6)";
        exec(c, sql, params![tx_id, p, account, book, amount, charge])?;
    }
    let sql = "UPDATE billing_account SET journal_seq = ?2, journal_head = ?3 WHERE billing_account_id = ?1";
    exec(c, sql, params![account, s, &hash])?;
    let sql = "INSERT INTO charge (billing_account_id, workspace_id, bill_id, category, settlement, amount_minor, \
               currency, bill_date, policy_version, settled_at_ms, fingerprint, journal_tx_id) \
               VALUES (?1, ?2, ?3, 'payg', 'billing_center', ?4, 'CNY', '2026-11-25', 1, ?5, ?6, ?7)";
    let bill = format!("b{charge}");
    exec(c, sql, params![account, format!("w{account}"), bill, 100, charge, &hash, tx_id])?;
    let charge_id = c.last_insert_rowid();
    for d in 1..postings {
        let sql = "INSERT INTO charge_deduction (charge_id, deduction_idx, billing_account_id, class, instrument_id, \
                   amount_minor) VALUES (?1, ?2, ?3, 'cash', 0, 100)";
        exec(c, sql, params![charge_id, d, account])?;
    }
    Ok(())
}

/// SplitMix64's finalizer: a fixed, well-mixed account number per charge.
fn scatter(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Folds the WAL into the database file, so its size is the data's, not the log's.
pub fn checkpoint(path: &Path) -> StoreResult<()> {
    let conn = crate::connect(path)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(map_err)
}

/// How many postings the database at `path` holds.
pub fn postings(path: &Path) -> StoreResult<u64> {
    let conn = crate::connect(path)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM posting", [], |r| r.get(0)).map_err(map_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
