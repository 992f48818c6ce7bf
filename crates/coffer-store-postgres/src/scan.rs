//! The streaming scans behind `coffer verify` on PostgreSQL (the SQLite store's
//! `scan` module does the same with two open cursors). Here each table is read in
//! chunks of [`CHUNK`] rows in primary-key order, and the child rows of a chunk
//! (postings, deductions) come from one range query over the same ids, so a scan
//! costs two round trips per chunk instead of one or more per account, journal
//! transaction and charge. All chunks run in the caller's read transaction, so they
//! see one snapshot.

use coffer_store::records::{ChargeRecord, JournalTxRecord};
use coffer_store::{IdSpan, ScanBounds, StoreResult};
use postgres::Row;

use crate::reads::{charge_row, deduction_row, posting_row, tx_row, CHARGE_COLUMNS, TX_COLUMNS};
use crate::rows::get;
use crate::Conn;

type R<T> = StoreResult<T>;

/// Parent rows per round trip: large enough that latency stops mattering, small
/// enough that a chunk and its children stay a few megabytes.
const CHUNK: i64 = 5_000;

pub(crate) fn bounds(c: &mut Conn) -> R<ScanBounds> {
    let row = c.query_one(
        "SELECT (SELECT coalesce(max(journal_tx_id), 0) FROM journal_tx), \
                (SELECT coalesce(max(charge_id), 0) FROM charge)",
        &[],
    )?;
    Ok(ScanBounds { journal_tx_id_max: get(&row, 0)?, charge_id_max: get(&row, 1)? })
}

/// The journal transactions in `span` with their postings, in id order.
pub(crate) fn journal(c: &mut Conn, span: IdSpan, visit: &mut dyn FnMut(&JournalTxRecord) -> R<()>) -> R<()> {
    let scan = Chunked {
        parents: &format!(
            "SELECT {TX_COLUMNS} FROM journal_tx WHERE journal_tx_id > $1 AND journal_tx_id <= $3 \
             ORDER BY journal_tx_id LIMIT $2"
        ),
        children: "SELECT journal_tx_id, book, instrument_id, amount_minor, balance_after_minor FROM posting \
                   WHERE journal_tx_id > $1 AND journal_tx_id <= $2 ORDER BY journal_tx_id, posting_idx",
    };
    let add = |tx: &mut JournalTxRecord, row: &Row| {
        tx.postings.push(posting_row(row, 1)?);
        Ok(())
    };
    scan.run(c, span, tx_row, |tx| tx.id.0, add, visit)
}

/// The charges in `span` with their deductions, in id order.
pub(crate) fn charges(c: &mut Conn, span: IdSpan, visit: &mut dyn FnMut(&ChargeRecord) -> R<()>) -> R<()> {
    let scan = Chunked {
        parents: &format!(
            "SELECT {CHARGE_COLUMNS} FROM charge WHERE charge_id > $1 AND charge_id <= $3 ORDER BY charge_id LIMIT $2"
        ),
        children: "SELECT charge_id, class, instrument_id, amount_minor FROM charge_deduction \
                   WHERE charge_id > $1 AND charge_id <= $2 ORDER BY charge_id, deduction_idx",
    };
    let add = |charge: &mut ChargeRecord, row: &Row| {
        charge.charge.deductions.push(deduction_row(row, 1)?);
        Ok(())
    };
    scan.run(c, span, charge_row, |charge| charge.id.0, add, visit)
}

/// A parent table read in key order, [`CHUNK`] rows per query (`parents` takes the
/// id to start after, the limit and the span's last id), and the children of each chunk by one range
/// query (`children` takes the chunk's id range and yields the parent id first).
struct Chunked<'a> {
    parents: &'a str,
    children: &'a str,
}

impl Chunked<'_> {
    fn run<P>(
        &self,
        c: &mut Conn,
        span: IdSpan,
        parent_of: impl Fn(&Row) -> R<P>,
        id_of: impl Fn(&P) -> i64,
        add_child: impl Fn(&mut P, &Row) -> R<()>,
        visit: &mut dyn FnMut(&P) -> R<()>,
    ) -> R<()> {
        let mut after = span.after;
        loop {
            let parents = c.query(self.parents, &[&after, &CHUNK, &span.up_to])?;
            let Some(last) = parents.last() else { return Ok(()) };
            let last_id: i64 = get(last, 0)?;
            let children = c.query(self.children, &[&after, &last_id])?;
            let mut children = children.iter().peekable();
            for row in &parents {
                let mut parent = parent_of(row)?;
                for child in children_of(id_of(&parent), &mut children)? {
                    add_child(&mut parent, child)?;
                }
                visit(&parent)?;
            }
            if parents.len() < CHUNK as usize {
                return Ok(());
            }
            after = last_id;
        }
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
