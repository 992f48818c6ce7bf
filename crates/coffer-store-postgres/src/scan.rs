//! The streaming scans behind `coffer verify` on PostgreSQL (the SQLite store's
//! `scan` module does the same with two open cursors). Here each table is read in
//! chunks of [`CHUNK`] rows in primary-key order, and the child rows of a chunk
//! (postings, deductions) come from one range query over the same ids, so a scan
//! costs two round trips per chunk instead of one or more per account, journal
//! transaction and charge. All chunks run in the caller's read transaction, so they
//! see one snapshot.

use coffer_store::records::{ChargeRecord, JournalTxRecord};
use coffer_store::StoreResult;
use postgres::Row;

use crate::reads::{charge_row, deduction_row, posting_row, tx_row, CHARGE_COLUMNS, TX_COLUMNS};
use crate::rows::get;
use crate::Conn;

type R<T> = StoreResult<T>;

/// Parent rows per round trip: large enough that latency stops mattering, small
/// enough that a chunk and its children stay a few megabytes.
const CHUNK: i64 = 5_000;

/// Every journal transaction with its postings, in id order.
pub(crate) fn journal(c: &mut Conn, visit: &mut dyn FnMut(&JournalTxRecord) -> R<()>) -> R<()> {
    let parents =
        format!("SELECT {TX_COLUMNS} FROM journal_tx WHERE journal_tx_id > $1 ORDER BY journal_tx_id LIMIT $2");
    let children = "SELECT journal_tx_id, book, instrument_id, amount_minor, balance_after_minor FROM posting \
                    WHERE journal_tx_id > $1 AND journal_tx_id <= $2 ORDER BY journal_tx_id, posting_idx";
    let mut after = i64::MIN;
    loop {
        let txs = c.query(&parents, &[&after, &CHUNK])?;
        let Some(last) = txs.last() else { return Ok(()) };
        let last_id: i64 = get(last, 0)?;
        let postings = c.query(children, &[&after, &last_id])?;
        let mut postings = postings.iter().peekable();
        for row in &txs {
            let mut tx = tx_row(row)?;
            for child in children_of(tx.id.0, &mut postings)? {
                tx.postings.push(posting_row(child, 1)?);
            }
            visit(&tx)?;
        }
        if txs.len() < CHUNK as usize {
            return Ok(());
        }
        after = last_id;
    }
}

/// Every charge with its deductions, in id order.
pub(crate) fn charges(c: &mut Conn, visit: &mut dyn FnMut(&ChargeRecord) -> R<()>) -> R<()> {
    let parents = format!("SELECT {CHARGE_COLUMNS} FROM charge WHERE charge_id > $1 ORDER BY charge_id LIMIT $2");
    let children = "SELECT charge_id, class, instrument_id, amount_minor FROM charge_deduction \
                    WHERE charge_id > $1 AND charge_id <= $2 ORDER BY charge_id, deduction_idx";
    let mut after = i64::MIN;
    loop {
        let charges = c.query(&parents, &[&after, &CHUNK])?;
        let Some(last) = charges.last() else { return Ok(()) };
        let last_id: i64 = get(last, 0)?;
        let deductions = c.query(children, &[&after, &last_id])?;
        let mut deductions = deductions.iter().peekable();
        for row in &charges {
            let mut charge = charge_row(row)?;
            for child in children_of(charge.id.0, &mut deductions)? {
                charge.charge.deductions.push(deduction_row(child, 1)?);
            }
            visit(&charge)?;
        }
        if charges.len() < CHUNK as usize {
            return Ok(());
        }
        after = last_id;
    }
}

/// Takes the child rows (parent id in column 0) that belong to `parent` off the
/// front of `rows`. Rows of a smaller id belong to no parent (the foreign key rules
/// them out) and are skipped, as the SQLite scan skips them.
fn children_of<'a>(parent: i64, rows: &mut std::iter::Peekable<std::slice::Iter<'a, Row>>) -> R<Vec<&'a Row>> {
    let mut mine = Vec::new();
    while let Some(row) = rows.peek() {
        let id: i64 = get(row, 0)?;
        if id > parent {
            break;
        }
        if id == parent {
            mine.push(*row);
        }
        rows.next();
    }
    Ok(mine)
}
