//! The streaming scans behind `coffer verify` on PostgreSQL (the SQLite store's
//! `scan` module does the same with two open cursors). Here each table is read in
//! chunks of [`CHUNK`] rows in primary-key order, and the child rows of a chunk
//! (postings, deductions) come from one range query over the same ids, so a scan
//! costs two round trips per chunk instead of one or more per account, journal
//! transaction and charge. All chunks run in the caller's read transaction, so they
//! see one snapshot.

use coffer_core::ids::{AccountId, ChargeId, JournalTxId};
use coffer_core::policy::Category;
use coffer_core::time::Timestamp;
use coffer_core::workspace::SettlementKind;
use coffer_store::records::{JournalTxRecord, ScannedCharge};
use coffer_store::{IdSpan, ScanBounds, StoreResult};
use postgres::Row;

use crate::reads::{deduction_row, posting_row, tx_row, TX_COLUMNS};
use crate::rows::{amount, corrupt, get, get_u32};
use crate::Conn;

type R<T> = StoreResult<T>;

/// Parent rows per round trip: large enough that latency stops mattering, small
/// enough that a chunk and its children stay a few megabytes.
const CHUNK: i64 = 5_000;

pub(crate) fn bounds(c: &mut Conn) -> R<ScanBounds> {
    let row = c.query_one("SELECT coalesce(max(journal_tx_id), 0) FROM journal_tx", &[])?;
    Ok(ScanBounds { journal_tx_id_max: get(&row, 0)? })
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
pub(crate) fn charges(c: &mut Conn, span: IdSpan, visit: &mut dyn FnMut(&ScannedCharge) -> R<()>) -> R<()> {
    let scan = Chunked {
        parents: "SELECT charge_id, billing_account_id, category, settlement, amount_minor, policy_version, \
                  settled_at_ms, journal_tx_id FROM charge WHERE charge_id > $1 AND charge_id <= $3 \
                  ORDER BY charge_id LIMIT $2",
        children: "SELECT charge_id, class, instrument_id, amount_minor FROM charge_deduction \
                   WHERE charge_id > $1 AND charge_id <= $2 ORDER BY charge_id, deduction_idx",
    };
    let add = |charge: &mut ScannedCharge, row: &Row| {
        charge.deductions.push(deduction_row(row, 1)?);
        Ok(())
    };
    scan.run(c, span, scanned_charge, |charge| charge.id.0, add, visit)
}

/// A charge from the columns of the scan above, without its deductions.
fn scanned_charge(r: &Row) -> R<ScannedCharge> {
    let (category, settlement): (&str, &str) = (get(r, 2)?, get(r, 3)?);
    Ok(ScannedCharge {
        id: ChargeId(get(r, 0)?),
        account_id: AccountId(get(r, 1)?),
        category: Category::parse(category).ok_or_else(|| corrupt("category", category))?,
        settlement: SettlementKind::parse(settlement).ok_or_else(|| corrupt("settlement", settlement))?,
        amount: amount(get(r, 4)?)?,
        policy_version: get_u32(r, 5)?,
        settled_at: Timestamp(get(r, 6)?),
        journal_tx_id: JournalTxId(get(r, 7)?),
        deductions: Vec::new(),
    })
}

/// A parent table read in key order, [`CHUNK`] rows per query (`parents` takes
/// the id to start after, the limit and the span's last id), and the children of
/// each chunk by one range query (`children` takes the chunk's id range and yields
/// the parent id first).
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
