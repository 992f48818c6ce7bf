//! Adjustment requests awaiting a second operator, on PostgreSQL. Mirrors
//! coffer-store-sqlite's `adjustments`.

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::time::Timestamp;
use coffer_store::adjustments::*;
use coffer_store::{StoreError, StoreResult};
use postgres::Row;

use crate::rows::{corrupt, currency, get};
use crate::Conn;

type R<T> = StoreResult<T>;

const COLUMNS: &str = "adjustment_request_id, billing_account_id, amount_minor, currency, reason, requested_by, \
     state, decided_by, rejection_reason, journal_tx_id, created_at_ms, decided_at_ms";

fn request_row(r: &Row) -> R<AdjustmentRequest> {
    let state: &str = get(r, 6)?;
    Ok(AdjustmentRequest {
        id: get(r, 0)?,
        request: NewAdjustmentRequest {
            account_id: AccountId(get(r, 1)?),
            amount_minor: get(r, 2)?,
            currency: currency(get(r, 3)?)?,
            reason: get(r, 4)?,
            requested_by: get(r, 5)?,
            created_at: Timestamp(get(r, 10)?),
        },
        state: AdjustmentState::parse(state).ok_or_else(|| corrupt("adjustment state", state))?,
        decided_by: get(r, 7)?,
        rejection_reason: get(r, 8)?,
        journal_tx_id: get::<Option<i64>>(r, 9)?.map(JournalTxId),
        decided_at: get::<Option<i64>>(r, 11)?.map(Timestamp),
    })
}

pub(crate) fn adjustment_request(c: &mut Conn, id: i64) -> R<Option<AdjustmentRequest>> {
    let sql = format!("SELECT {COLUMNS} FROM adjustment_request WHERE adjustment_request_id = $1");
    c.query_opt(&sql, &[&id])?.as_ref().map(request_row).transpose()
}

pub(crate) fn adjustment_requests(
    c: &mut Conn,
    state: Option<AdjustmentState>,
    limit: u32,
) -> R<Vec<AdjustmentRequest>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM adjustment_request WHERE ($1::TEXT IS NULL OR state = $1) \
         ORDER BY adjustment_request_id DESC LIMIT $2"
    );
    c.query(&sql, &[&state.map(|s| s.as_str()), &i64::from(limit)])?.iter().map(request_row).collect()
}

pub(crate) fn insert_adjustment_request(c: &mut Conn, n: &NewAdjustmentRequest) -> R<i64> {
    let sql = "INSERT INTO adjustment_request (billing_account_id, amount_minor, currency, reason, requested_by, \
               state, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING adjustment_request_id";
    let p: crate::conn::Params<'_> =
        &[&n.account_id.0, &n.amount_minor, &n.currency.code(), &n.reason, &n.requested_by, &n.created_at.0];
    get(&c.query_one(sql, p)?, 0)
}

pub(crate) fn decide_adjustment_request(c: &mut Conn, id: i64, d: &AdjustmentDecision) -> R<()> {
    let n = match d {
        AdjustmentDecision::Applied { by, journal_tx_id, at } => c.execute(
            "UPDATE adjustment_request SET state = 'applied', decided_by = $2, journal_tx_id = $3, decided_at_ms = $4 \
             WHERE adjustment_request_id = $1 AND state = 'pending'",
            &[&id, by, &journal_tx_id.0, &at.0],
        )?,
        AdjustmentDecision::Rejected { by, reason, at } => c.execute(
            "UPDATE adjustment_request SET state = 'rejected', decided_by = $2, rejection_reason = $3, \
             decided_at_ms = $4 WHERE adjustment_request_id = $1 AND state = 'pending'",
            &[&id, by, reason, &at.0],
        )?,
    };
    match n {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!("adjustment request {id}: expected one pending row, updated {n}"))),
    }
}
