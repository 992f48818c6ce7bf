//! Adjustment requests awaiting a second operator, on SQLite. Free functions over a
//! connection, shared by read views and write transactions like `reads`.

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::time::Timestamp;
use coffer_store::adjustments::*;
use coffer_store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::map_err;
use crate::rows::{corrupt, currency, from_sql_err, to_sql_err};

type R<T> = StoreResult<T>;

const COLUMNS: &str = "adjustment_request_id, billing_account_id, amount_minor, currency, reason, requested_by, \
     state, decided_by, rejection_reason, journal_tx_id, created_at_ms, decided_at_ms";

fn request_row(r: &Row<'_>) -> rusqlite::Result<AdjustmentRequest> {
    let state: String = r.get(6)?;
    Ok(AdjustmentRequest {
        id: r.get(0)?,
        request: NewAdjustmentRequest {
            account_id: AccountId(r.get(1)?),
            amount_minor: r.get(2)?,
            currency: currency(&r.get::<_, String>(3)?).map_err(to_sql_err)?,
            reason: r.get(4)?,
            requested_by: r.get(5)?,
            created_at: Timestamp(r.get(10)?),
        },
        state: AdjustmentState::parse(&state).ok_or_else(|| to_sql_err(corrupt("adjustment state", &state)))?,
        decided_by: r.get(7)?,
        rejection_reason: r.get(8)?,
        journal_tx_id: r.get::<_, Option<i64>>(9)?.map(JournalTxId),
        decided_at: r.get::<_, Option<i64>>(11)?.map(Timestamp),
    })
}

pub(crate) fn adjustment_request(c: &Connection, id: i64) -> R<Option<AdjustmentRequest>> {
    let sql = format!("SELECT {COLUMNS} FROM adjustment_request WHERE adjustment_request_id = ?1");
    crate::cached_row(c, &sql, [id], request_row).optional().map_err(from_sql_err)
}

pub(crate) fn adjustment_requests(
    c: &Connection,
    state: Option<AdjustmentState>,
    limit: u32,
) -> R<Vec<AdjustmentRequest>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM adjustment_request WHERE (?1 IS NULL OR state = ?1) \
         ORDER BY adjustment_request_id DESC LIMIT ?2"
    );
    let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map(params![state.map(|s| s.as_str()), limit], request_row).map_err(from_sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(from_sql_err)
}

pub(crate) fn insert_adjustment_request(c: &Connection, n: &NewAdjustmentRequest) -> R<i64> {
    let sql = "INSERT INTO adjustment_request (billing_account_id, amount_minor, currency, reason, requested_by, \
               state, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)";
    let p = params![n.account_id.0, n.amount_minor, n.currency.code(), n.reason, n.requested_by, n.created_at.0];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn decide_adjustment_request(c: &Connection, id: i64, d: &AdjustmentDecision) -> R<()> {
    let n = match d {
        AdjustmentDecision::Applied { by, journal_tx_id, at } => c.execute(
            "UPDATE adjustment_request SET state = 'applied', decided_by = ?2, journal_tx_id = ?3, decided_at_ms = ?4 \
             WHERE adjustment_request_id = ?1 AND state = 'pending'",
            params![id, by, journal_tx_id.0, at.0],
        ),
        AdjustmentDecision::Rejected { by, reason, at } => c.execute(
            "UPDATE adjustment_request SET state = 'rejected', decided_by = ?2, rejection_reason = ?3, \
             decided_at_ms = ?4 WHERE adjustment_request_id = ?1 AND state = 'pending'",
            params![id, by, reason, at.0],
        ),
    }
    .map_err(map_err)?;
    match n {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!("adjustment request {id}: expected one pending row, updated {n}"))),
    }
}
