//! The streaming scans behind `coffer verify`: one pass over each table in primary
//! key order instead of one query per account, journal transaction or charge. The
//! child rows (postings, deductions) come from a second cursor in the same key order
//! and are merged in, so each table is read once, sequentially, with no per-row
//! query and, for postings, no per-row allocation (the record is reused).

use coffer_core::ids::{AccountId, ChargeId, JournalTxId};
use coffer_core::journal::{Book, EntryKind, Posting};
use coffer_core::planner::Deduction;
use coffer_core::policy::Category;
use coffer_core::time::Timestamp;
use coffer_core::workspace::SettlementKind;
use coffer_store::records::{JournalTxRecord, PostingRecord, ScannedCharge};
use coffer_store::{IdSpan, ScanBounds, StoreResult};
use rusqlite::{Connection, Row, Rows};

use crate::reads::{deduction_row, TX_COLUMNS};
use crate::rows::{amount, corrupt, from_sql_err, read_hash, to_sql_err};

type R<T> = StoreResult<T>;

const POSTINGS: &str = "SELECT journal_tx_id, book, instrument_id, amount_minor, balance_after_minor \
                        FROM posting WHERE journal_tx_id > ?1 AND journal_tx_id <= ?2 \
                        ORDER BY journal_tx_id, posting_idx";

const DEDUCTIONS: &str = "SELECT charge_id, class, instrument_id, amount_minor \
                          FROM charge_deduction WHERE charge_id > ?1 AND charge_id <= ?2 \
                          ORDER BY charge_id, deduction_idx";

/// The columns of [`ScannedCharge`], in its field order.
const SCANNED_CHARGE: &str = "SELECT charge_id, billing_account_id, category, settlement, amount_minor, \
                              policy_version, settled_at_ms, journal_tx_id \
                              FROM charge WHERE charge_id > ?1 AND charge_id <= ?2 ORDER BY charge_id";

pub(crate) fn bounds(c: &Connection) -> R<ScanBounds> {
    let sql = "SELECT coalesce(max(journal_tx_id), 0) FROM journal_tx";
    crate::cached_row(c, sql, [], |r| Ok(ScanBounds { journal_tx_id_max: r.get(0)? })).map_err(crate::map_err)
}

/// The journal transactions in `span` with their postings, in id order.
pub(crate) fn journal(c: &Connection, span: IdSpan, visit: &mut dyn FnMut(&JournalTxRecord) -> R<()>) -> R<()> {
    let mut txs = c
        .prepare_cached(&format!(
            "SELECT {TX_COLUMNS} FROM journal_tx WHERE journal_tx_id > ?1 AND journal_tx_id <= ?2 \
             ORDER BY journal_tx_id"
        ))
        .map_err(crate::map_err)?;
    let mut postings = c.prepare_cached(POSTINGS).map_err(crate::map_err)?;
    let mut tx_rows = txs.query([span.after, span.up_to]).map_err(from_sql_err)?;
    let mut posting_rows = postings.query([span.after, span.up_to]).map_err(from_sql_err)?;
    let mut rec = JournalTxRecord {
        id: JournalTxId(0),
        account_id: AccountId(0),
        seq: 0,
        kind: EntryKind::ChargeSettled,
        memo: String::new(),
        at: Timestamp(0),
        prev_hash: String::new(),
        hash: String::new(),
        postings: Vec::new(),
    };
    let mut ahead = next_posting(&mut posting_rows)?;
    while let Some(row) = tx_rows.next().map_err(from_sql_err)? {
        fill_tx(row, &mut rec).map_err(from_sql_err)?;
        rec.postings.clear();
        // Postings of a transaction id below this one belong to no transaction; the
        // foreign key rules them out, so they are skipped rather than reported.
        while let Some((tx_id, posting)) = ahead.take() {
            if tx_id > rec.id.0 {
                ahead = Some((tx_id, posting));
                break;
            }
            if tx_id == rec.id.0 {
                rec.postings.push(posting);
            }
            ahead = next_posting(&mut posting_rows)?;
        }
        visit(&rec)?;
    }
    Ok(())
}

/// Overwrites `rec` with the row's transaction, reusing its strings' buffers.
fn fill_tx(r: &Row<'_>, rec: &mut JournalTxRecord) -> rusqlite::Result<()> {
    let text = |idx: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(idx)?.as_str()?) };
    let kind = text(3)?;
    rec.id = JournalTxId(r.get(0)?);
    rec.account_id = AccountId(r.get(1)?);
    rec.seq = r.get(2)?;
    rec.kind = EntryKind::parse(kind).ok_or_else(|| to_sql_err(corrupt("entry kind", kind)))?;
    rec.memo.clear();
    rec.memo.push_str(text(4)?);
    rec.at = Timestamp(r.get(5)?);
    read_hash(r.get_ref(6)?, &mut rec.prev_hash)?;
    read_hash(r.get_ref(7)?, &mut rec.hash)?;
    Ok(())
}

fn next_posting(rows: &mut Rows<'_>) -> R<Option<(i64, PostingRecord)>> {
    let Some(r) = rows.next().map_err(from_sql_err)? else {
        return Ok(None);
    };
    let read = || -> rusqlite::Result<(i64, PostingRecord)> {
        let book = r.get_ref(1)?.as_str()?;
        let posting = Posting {
            book: Book::parse(book).ok_or_else(|| to_sql_err(corrupt("book", book)))?,
            instrument_id: r.get(2)?,
            amount_minor: r.get(3)?,
        };
        Ok((r.get(0)?, PostingRecord { posting, balance_after_minor: r.get(4)? }))
    };
    read().map(Some).map_err(from_sql_err)
}

/// The charges in `span` with their deductions, in id order.
pub(crate) fn charges(c: &Connection, span: IdSpan, visit: &mut dyn FnMut(&ScannedCharge) -> R<()>) -> R<()> {
    let mut charges = c.prepare_cached(SCANNED_CHARGE).map_err(crate::map_err)?;
    let mut deductions = c.prepare_cached(DEDUCTIONS).map_err(crate::map_err)?;
    let mut charge_rows = charges.query([span.after, span.up_to]).map_err(from_sql_err)?;
    let mut deduction_rows = deductions.query([span.after, span.up_to]).map_err(from_sql_err)?;
    // One deduction list serves every charge, so the scan allocates nothing per row.
    let mut spare = Vec::new();
    let mut ahead = next_deduction(&mut deduction_rows)?;
    while let Some(row) = charge_rows.next().map_err(from_sql_err)? {
        let mut rec = scanned_charge(row, std::mem::take(&mut spare)).map_err(from_sql_err)?;
        while let Some((charge_id, deduction)) = ahead.take() {
            if charge_id > rec.id.0 {
                ahead = Some((charge_id, deduction));
                break;
            }
            if charge_id == rec.id.0 {
                rec.deductions.push(deduction);
            }
            ahead = next_deduction(&mut deduction_rows)?;
        }
        visit(&rec)?;
        spare = rec.deductions;
        spare.clear();
    }
    Ok(())
}

/// The row's charge (columns as in [`SCANNED_CHARGE`]), with `deductions` (empty)
/// to fill.
fn scanned_charge(r: &Row<'_>, deductions: Vec<Deduction>) -> rusqlite::Result<ScannedCharge> {
    let text = |idx: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(idx)?.as_str()?) };
    let (category, settlement) = (text(2)?, text(3)?);
    Ok(ScannedCharge {
        id: ChargeId(r.get(0)?),
        account_id: AccountId(r.get(1)?),
        category: Category::parse(category).ok_or_else(|| to_sql_err(corrupt("category", category)))?,
        settlement: SettlementKind::parse(settlement).ok_or_else(|| to_sql_err(corrupt("settlement", settlement)))?,
        amount: amount(r.get(4)?).map_err(to_sql_err)?,
        policy_version: r.get(5)?,
        settled_at: Timestamp(r.get(6)?),
        journal_tx_id: JournalTxId(r.get(7)?),
        deductions,
    })
}

fn next_deduction(rows: &mut Rows<'_>) -> R<Option<(i64, Deduction)>> {
    let Some(r) = rows.next().map_err(from_sql_err)? else {
        return Ok(None);
    };
    let read = || -> rusqlite::Result<_> { Ok((r.get(0)?, deduction_row(r, 1)?)) };
    read().map(Some).map_err(from_sql_err)
}
