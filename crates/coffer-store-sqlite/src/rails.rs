//! The money rails on SQLite: recharge orders, notifications, bank transfers, the
//! cloud outbox. Free functions over a connection, shared by read views and write
//! transactions like `reads`.

use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;
use coffer_store::rails::*;
use coffer_store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::map_err;
use crate::rows::{amount, corrupt, currency, from_sql_err, to_sql_err};

type R<T> = StoreResult<T>;

fn collect<T>(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> R<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(p, f).map_err(from_sql_err)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(from_sql_err)
}

fn one_row(n: usize, what: &str) -> R<()> {
    match n {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!("{what}: expected one row, updated {n}"))),
    }
}

const ORDER_COLUMNS: &str = "recharge_order_id, billing_account_id, out_trade_no, amount_minor, currency, channel, \
     state, trade_no, qr_code, created_at_ms, expires_at_ms, paid_at_ms, late, last_checked_at_ms";

fn order_row(r: &Row<'_>) -> rusqlite::Result<RechargeOrder> {
    let state: String = r.get(6)?;
    Ok(RechargeOrder {
        id: r.get(0)?,
        order: NewRechargeOrder {
            account_id: AccountId(r.get(1)?),
            out_trade_no: r.get(2)?,
            amount: amount(r.get(3)?).map_err(to_sql_err)?,
            currency: currency(&r.get::<_, String>(4)?).map_err(to_sql_err)?,
            channel: r.get(5)?,
            created_at: Timestamp(r.get(9)?),
            expires_at: Timestamp(r.get(10)?),
        },
        state: RechargeState::parse(&state).ok_or_else(|| to_sql_err(corrupt("recharge state", &state)))?,
        trade_no: r.get(7)?,
        qr_code: r.get(8)?,
        paid_at: r.get::<_, Option<i64>>(11)?.map(Timestamp),
        late: r.get(12)?,
        last_checked_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
    })
}

pub(crate) fn recharge_order(c: &Connection, out_trade_no: &str) -> R<Option<RechargeOrder>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM recharge_order WHERE out_trade_no = ?1");
    crate::cached_row(c, &sql, [out_trade_no], order_row).optional().map_err(from_sql_err)
}

pub(crate) fn recharge_orders_of(c: &Connection, account: AccountId, limit: u32) -> R<Vec<RechargeOrder>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_order WHERE billing_account_id = ?1 ORDER BY recharge_order_id DESC LIMIT ?2"
    );
    collect(c, &sql, params![account.0, limit], order_row)
}

pub(crate) fn open_recharge_orders(c: &Connection, checked_before: Timestamp, limit: u32) -> R<Vec<RechargeOrder>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_order WHERE state IN ('created', 'pending') \
         AND COALESCE(last_checked_at_ms, 0) < ?1 ORDER BY recharge_order_id LIMIT ?2"
    );
    collect(c, &sql, params![checked_before.0, limit], order_row)
}

pub(crate) fn insert_recharge_order(c: &Connection, n: &NewRechargeOrder) -> R<i64> {
    let sql = "INSERT INTO recharge_order (billing_account_id, out_trade_no, amount_minor, currency, channel, state, \
               created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'created', ?6, ?7)";
    let p = params![
        n.account_id.0,
        n.out_trade_no,
        n.amount.minor(),
        n.currency.code(),
        n.channel,
        n.created_at.0,
        n.expires_at.0
    ];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn update_recharge_order(c: &Connection, id: i64, u: &RechargeUpdate) -> R<()> {
    let n = match u {
        RechargeUpdate::Pending { qr_code } => c.execute(
            "UPDATE recharge_order SET state = 'pending', qr_code = COALESCE(?2, qr_code) \
             WHERE recharge_order_id = ?1 AND state IN ('created', 'pending')",
            params![id, qr_code],
        ),
        RechargeUpdate::Paid { trade_no, at, late } => c.execute(
            "UPDATE recharge_order SET state = 'paid', trade_no = ?2, paid_at_ms = ?3, late = ?4 \
             WHERE recharge_order_id = ?1 AND state <> 'paid'",
            params![id, trade_no, at.0, late],
        ),
        RechargeUpdate::Expired => c.execute(
            "UPDATE recharge_order SET state = 'expired' WHERE recharge_order_id = ?1 AND state IN ('created', 'pending')",
            params![id],
        ),
        RechargeUpdate::Checked { at } => {
            c.execute("UPDATE recharge_order SET last_checked_at_ms = ?2 WHERE recharge_order_id = ?1", params![id, at.0])
        }
    }
    .map_err(map_err)?;
    one_row(n, "recharge order")
}

const NOTIFICATION_COLUMNS: &str =
    "alipay_notification_id, billing_account_id, received_at_ms, out_trade_no, notify_id, trade_status, verdict, reason, body";

pub(crate) fn notifications(c: &Connection, account: Option<AccountId>, limit: u32) -> R<Vec<NotificationRecord>> {
    let sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM alipay_notification WHERE (?1 IS NULL OR billing_account_id = ?1) \
         ORDER BY alipay_notification_id DESC LIMIT ?2"
    );
    collect(c, &sql, params![account.map(|a| a.0), limit], |r| {
        Ok(NotificationRecord {
            id: r.get(0)?,
            notification: NewNotification {
                account_id: r.get::<_, Option<i64>>(1)?.map(AccountId),
                received_at: Timestamp(r.get(2)?),
                out_trade_no: r.get(3)?,
                notify_id: r.get(4)?,
                trade_status: r.get(5)?,
                verdict: r.get(6)?,
                reason: r.get(7)?,
                body: r.get(8)?,
            },
        })
    })
}

pub(crate) fn insert_notification(c: &Connection, n: &NewNotification) -> R<i64> {
    let sql =
        "INSERT INTO alipay_notification (billing_account_id, received_at_ms, out_trade_no, notify_id, trade_status, \
               verdict, reason, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    let p = params![
        n.account_id.map(|a| a.0),
        n.received_at.0,
        n.out_trade_no,
        n.notify_id,
        n.trade_status,
        n.verdict,
        n.reason,
        n.body
    ];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(c.last_insert_rowid())
}

const TRANSFER_COLUMNS: &str = "bank_transfer_id, billing_account_id, bank_transaction_id, amount_minor, currency, \
     value_date, payer, reference, state, source, recorded_by, approved_by, created_at_ms, credited_at_ms";

fn transfer_row(r: &Row<'_>) -> rusqlite::Result<BankTransfer> {
    let date: String = r.get(5)?;
    let state: String = r.get(8)?;
    Ok(BankTransfer {
        id: r.get(0)?,
        transfer: NewBankTransfer {
            account_id: r.get::<_, Option<i64>>(1)?.map(AccountId),
            bank_transaction_id: r.get(2)?,
            amount: amount(r.get(3)?).map_err(to_sql_err)?,
            currency: currency(&r.get::<_, String>(4)?).map_err(to_sql_err)?,
            value_date: Date::parse(&date).ok_or_else(|| to_sql_err(corrupt("value date", &date)))?,
            payer: r.get(6)?,
            reference: r.get(7)?,
            state: TransferState::parse(&state).ok_or_else(|| to_sql_err(corrupt("transfer state", &state)))?,
            source: r.get(9)?,
            recorded_by: r.get(10)?,
            created_at: Timestamp(r.get(12)?),
        },
        approved_by: r.get(11)?,
        credited_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
    })
}

pub(crate) fn bank_transfer(c: &Connection, txid: &str) -> R<Option<BankTransfer>> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE bank_transaction_id = ?1");
    crate::cached_row(c, &sql, [txid], transfer_row).optional().map_err(from_sql_err)
}

pub(crate) fn bank_transfer_by_id(c: &Connection, id: i64) -> R<Option<BankTransfer>> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE bank_transfer_id = ?1");
    crate::cached_row(c, &sql, [id], transfer_row).optional().map_err(from_sql_err)
}

pub(crate) fn bank_transfers(c: &Connection, state: Option<TransferState>, limit: u32) -> R<Vec<BankTransfer>> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE (?1 IS NULL OR state = ?1) ORDER BY bank_transfer_id DESC LIMIT ?2"
    );
    collect(c, &sql, params![state.map(|s| s.as_str()), limit], transfer_row)
}

pub(crate) fn insert_bank_transfer(c: &Connection, n: &NewBankTransfer) -> R<i64> {
    let sql =
        "INSERT INTO bank_transfer (billing_account_id, bank_transaction_id, amount_minor, currency, value_date, \
               payer, reference, state, source, recorded_by, created_at_ms) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    let p = params![
        n.account_id.map(|a| a.0),
        n.bank_transaction_id,
        n.amount.minor(),
        n.currency.code(),
        n.value_date.to_string(),
        n.payer,
        n.reference,
        n.state.as_str(),
        n.source,
        n.recorded_by,
        n.created_at.0
    ];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn update_bank_transfer(c: &Connection, id: i64, u: &TransferUpdate) -> R<()> {
    let n = match u {
        TransferUpdate::Assigned { account_id, state } => c.execute(
            "UPDATE bank_transfer SET billing_account_id = ?2, state = ?3 WHERE bank_transfer_id = ?1 AND state <> 'credited'",
            params![id, account_id.0, state.as_str()],
        ),
        TransferUpdate::Credited { at, approved_by } => c.execute(
            "UPDATE bank_transfer SET state = 'credited', credited_at_ms = ?2, approved_by = ?3 \
             WHERE bank_transfer_id = ?1 AND state <> 'credited' AND billing_account_id IS NOT NULL",
            params![id, at.0, approved_by],
        ),
    }
    .map_err(map_err)?;
    one_row(n, "bank transfer")
}

const OUTBOX_COLUMNS: &str =
    "cloud_outbox_id, billing_account_id, charge_id, provider, cloud_account_id, usage_record_id, \
     amount_minor, currency, state, attempts, next_attempt_at_ms, last_error, created_at_ms, delivered_at_ms";

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let provider: String = r.get(3)?;
    let state: String = r.get(8)?;
    Ok(OutboxItem {
        id: r.get(0)?,
        item: NewOutboxItem {
            account_id: AccountId(r.get(1)?),
            charge_id: ChargeId(r.get(2)?),
            provider: CloudProvider::parse(&provider).ok_or_else(|| to_sql_err(corrupt("provider", &provider)))?,
            cloud_account_id: r.get(4)?,
            usage_record_id: r.get(5)?,
            amount_minor: r.get(6)?,
            currency: currency(&r.get::<_, String>(7)?).map_err(to_sql_err)?,
            created_at: Timestamp(r.get(12)?),
        },
        state: OutboxState::parse(&state).ok_or_else(|| to_sql_err(corrupt("outbox state", &state)))?,
        attempts: r.get(9)?,
        next_attempt_at: Timestamp(r.get(10)?),
        last_error: r.get(11)?,
        delivered_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
    })
}

pub(crate) fn outbox_due(c: &Connection, now: Timestamp, limit: u32) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE state = 'pending' AND next_attempt_at_ms <= ?1 \
         ORDER BY next_attempt_at_ms, cloud_outbox_id LIMIT ?2"
    );
    collect(c, &sql, params![now.0, limit], outbox_row)
}

pub(crate) fn outbox_of_charge(c: &Connection, account: AccountId, charge: ChargeId) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE billing_account_id = ?1 AND charge_id = ?2 ORDER BY cloud_outbox_id"
    );
    collect(c, &sql, params![account.0, charge.0], outbox_row)
}

pub(crate) fn outbox_items(c: &Connection, state: Option<OutboxState>, limit: u32) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE (?1 IS NULL OR state = ?1) ORDER BY cloud_outbox_id DESC LIMIT ?2"
    );
    collect(c, &sql, params![state.map(|s| s.as_str()), limit], outbox_row)
}

pub(crate) fn insert_outbox_item(c: &Connection, n: &NewOutboxItem) -> R<i64> {
    let sql = "INSERT INTO cloud_outbox (billing_account_id, charge_id, provider, cloud_account_id, usage_record_id, \
               amount_minor, currency, state, next_attempt_at_ms, created_at_ms) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8)";
    let p = params![
        n.account_id.0,
        n.charge_id.0,
        n.provider.as_str(),
        n.cloud_account_id,
        n.usage_record_id,
        n.amount_minor,
        n.currency.code(),
        n.created_at.0
    ];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn update_outbox_item(c: &Connection, id: i64, u: &OutboxUpdate) -> R<()> {
    let n = match u {
        OutboxUpdate::Delivered { at } => c.execute(
            "UPDATE cloud_outbox SET state = 'delivered', delivered_at_ms = ?2, attempts = attempts + 1, last_error = NULL \
             WHERE cloud_outbox_id = ?1 AND state = 'pending'",
            params![id, at.0],
        ),
        OutboxUpdate::Retry { attempts, next_attempt_at, error } => c.execute(
            "UPDATE cloud_outbox SET attempts = ?2, next_attempt_at_ms = ?3, last_error = ?4 \
             WHERE cloud_outbox_id = ?1 AND state = 'pending'",
            params![id, attempts, next_attempt_at.0, error],
        ),
        OutboxUpdate::Rejected { attempts, error } => c.execute(
            "UPDATE cloud_outbox SET state = 'rejected', attempts = ?2, last_error = ?3 \
             WHERE cloud_outbox_id = ?1 AND state = 'pending'",
            params![id, attempts, error],
        ),
    }
    .map_err(map_err)?;
    one_row(n, "outbox item")
}
