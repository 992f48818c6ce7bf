//! The money rails on PostgreSQL: recharge orders, notifications, bank transfers,
//! the cloud outbox. Mirrors coffer-store-sqlite's `rails`.

use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;
use coffer_store::rails::*;
use coffer_store::{StoreError, StoreResult};
use postgres::Row;

use crate::rows::{amount, corrupt, currency, get, get_u32};
use crate::Conn;

type R<T> = StoreResult<T>;

fn all<T>(rows: Vec<Row>, map: impl Fn(&Row) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(map).collect()
}

fn one_row(n: u64, what: &str) -> R<()> {
    match n {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!("{what}: expected one row, updated {n}"))),
    }
}

fn id_of(c: &mut Conn, sql: &str, p: crate::conn::Params<'_>) -> R<i64> {
    get(&c.query_one(sql, p)?, 0)
}

const ORDER_COLUMNS: &str = "recharge_order_id, billing_account_id, out_trade_no, amount_minor, currency, channel, \
     state, trade_no, qr_code, created_at_ms, expires_at_ms, paid_at_ms, late, last_checked_at_ms";

fn order_row(r: &Row) -> R<RechargeOrder> {
    let state: &str = get(r, 6)?;
    Ok(RechargeOrder {
        id: get(r, 0)?,
        order: NewRechargeOrder {
            account_id: AccountId(get(r, 1)?),
            out_trade_no: get(r, 2)?,
            amount: amount(get(r, 3)?)?,
            currency: currency(get(r, 4)?)?,
            channel: get(r, 5)?,
            created_at: Timestamp(get(r, 9)?),
            expires_at: Timestamp(get(r, 10)?),
        },
        state: RechargeState::parse(state).ok_or_else(|| corrupt("recharge state", state))?,
        trade_no: get(r, 7)?,
        qr_code: get(r, 8)?,
        paid_at: get::<Option<i64>>(r, 11)?.map(Timestamp),
        late: get(r, 12)?,
        last_checked_at: get::<Option<i64>>(r, 13)?.map(Timestamp),
    })
}

pub(crate) fn recharge_order(c: &mut Conn, out_trade_no: &str) -> R<Option<RechargeOrder>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM recharge_order WHERE out_trade_no = $1");
    c.query_opt(&sql, &[&out_trade_no])?.as_ref().map(order_row).transpose()
}

pub(crate) fn recharge_orders_of(c: &mut Conn, account: AccountId, limit: u32) -> R<Vec<RechargeOrder>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_order WHERE billing_account_id = $1 ORDER BY recharge_order_id DESC LIMIT $2"
    );
    all(c.query(&sql, &[&account.0, &i64::from(limit)])?, order_row)
}

pub(crate) fn open_recharge_orders(c: &mut Conn, checked_before: Timestamp, limit: u32) -> R<Vec<RechargeOrder>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_order WHERE state IN ('created', 'pending') \
         AND COALESCE(last_checked_at_ms, 0) < $1 ORDER BY recharge_order_id LIMIT $2"
    );
    all(c.query(&sql, &[&checked_before.0, &i64::from(limit)])?, order_row)
}

pub(crate) fn insert_recharge_order(c: &mut Conn, n: &NewRechargeOrder) -> R<i64> {
    let sql = "INSERT INTO recharge_order (billing_account_id, out_trade_no, amount_minor, currency, channel, state, \
               created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, 'created', $6, $7) RETURNING recharge_order_id";
    id_of(
        c,
        sql,
        &[
            &n.account_id.0,
            &n.out_trade_no,
            &n.amount.minor(),
            &n.currency.code(),
            &n.channel,
            &n.created_at.0,
            &n.expires_at.0,
        ],
    )
}

pub(crate) fn update_recharge_order(c: &mut Conn, id: i64, u: &RechargeUpdate) -> R<()> {
    let n = match u {
        RechargeUpdate::Pending { qr_code } => c.execute(
            "UPDATE recharge_order SET state = 'pending', qr_code = COALESCE($2, qr_code) \
             WHERE recharge_order_id = $1 AND state IN ('created', 'pending')",
            &[&id, qr_code],
        )?,
        RechargeUpdate::Paid { trade_no, at, late } => c.execute(
            "UPDATE recharge_order SET state = 'paid', trade_no = $2, paid_at_ms = $3, late = $4 \
             WHERE recharge_order_id = $1 AND state <> 'paid'",
            &[&id, trade_no, &at.0, late],
        )?,
        RechargeUpdate::Expired => c.execute(
            "UPDATE recharge_order SET state = 'expired' WHERE recharge_order_id = $1 AND state IN ('created', 'pending')",
            &[&id],
        )?,
        RechargeUpdate::Checked { at } => {
            c.execute("UPDATE recharge_order SET last_checked_at_ms = $2 WHERE recharge_order_id = $1", &[&id, &at.0])?
        }
    };
    one_row(n, "recharge order")
}

const NOTIFICATION_COLUMNS: &str =
    "alipay_notification_id, billing_account_id, received_at_ms, out_trade_no, notify_id, trade_status, verdict, reason, body";

pub(crate) fn notifications(c: &mut Conn, account: Option<AccountId>, limit: u32) -> R<Vec<NotificationRecord>> {
    let sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM alipay_notification \
         WHERE ($1::BIGINT IS NULL OR billing_account_id = $1) ORDER BY alipay_notification_id DESC LIMIT $2"
    );
    all(c.query(&sql, &[&account.map(|a| a.0), &i64::from(limit)])?, |r| {
        Ok(NotificationRecord {
            id: get(r, 0)?,
            notification: NewNotification {
                account_id: get::<Option<i64>>(r, 1)?.map(AccountId),
                received_at: Timestamp(get(r, 2)?),
                out_trade_no: get(r, 3)?,
                notify_id: get(r, 4)?,
                trade_status: get(r, 5)?,
                verdict: get(r, 6)?,
                reason: get(r, 7)?,
                body: get(r, 8)?,
            },
        })
    })
}

pub(crate) fn insert_notification(c: &mut Conn, n: &NewNotification) -> R<i64> {
    let sql =
        "INSERT INTO alipay_notification (billing_account_id, received_at_ms, out_trade_no, notify_id, trade_status, \
               verdict, reason, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING alipay_notification_id";
    id_of(
        c,
        sql,
        &[
            &n.account_id.map(|a| a.0),
            &n.received_at.0,
            &n.out_trade_no,
            &n.notify_id,
            &n.trade_status,
            &n.verdict,
            &n.reason,
            &n.body,
        ],
    )
}

const TRANSFER_COLUMNS: &str = "bank_transfer_id, billing_account_id, bank_transaction_id, amount_minor, currency, \
     value_date, payer, reference, state, source, recorded_by, approved_by, created_at_ms, credited_at_ms";

fn transfer_row(r: &Row) -> R<BankTransfer> {
    let date: &str = get(r, 5)?;
    let state: &str = get(r, 8)?;
    Ok(BankTransfer {
        id: get(r, 0)?,
        transfer: NewBankTransfer {
            account_id: get::<Option<i64>>(r, 1)?.map(AccountId),
            bank_transaction_id: get(r, 2)?,
            amount: amount(get(r, 3)?)?,
            currency: currency(get(r, 4)?)?,
            value_date: Date::parse(date).ok_or_else(|| corrupt("value date", date))?,
            payer: get(r, 6)?,
            reference: get(r, 7)?,
            state: TransferState::parse(state).ok_or_else(|| corrupt("transfer state", state))?,
            source: get(r, 9)?,
            recorded_by: get(r, 10)?,
            created_at: Timestamp(get(r, 12)?),
        },
        approved_by: get(r, 11)?,
        credited_at: get::<Option<i64>>(r, 13)?.map(Timestamp),
    })
}

pub(crate) fn bank_transfer(c: &mut Conn, txid: &str) -> R<Option<BankTransfer>> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE bank_transaction_id = $1");
    c.query_opt(&sql, &[&txid])?.as_ref().map(transfer_row).transpose()
}

pub(crate) fn bank_transfer_by_id(c: &mut Conn, id: i64) -> R<Option<BankTransfer>> {
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE bank_transfer_id = $1");
    c.query_opt(&sql, &[&id])?.as_ref().map(transfer_row).transpose()
}

pub(crate) fn bank_transfers(c: &mut Conn, state: Option<TransferState>, limit: u32) -> R<Vec<BankTransfer>> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM bank_transfer WHERE ($1::TEXT IS NULL OR state = $1) \
         ORDER BY bank_transfer_id DESC LIMIT $2"
    );
    all(c.query(&sql, &[&state.map(|s| s.as_str()), &i64::from(limit)])?, transfer_row)
}

pub(crate) fn insert_bank_transfer(c: &mut Conn, n: &NewBankTransfer) -> R<i64> {
    let sql =
        "INSERT INTO bank_transfer (billing_account_id, bank_transaction_id, amount_minor, currency, value_date, \
               payer, reference, state, source, recorded_by, created_at_ms) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING bank_transfer_id";
    id_of(
        c,
        sql,
        &[
            &n.account_id.map(|a| a.0),
            &n.bank_transaction_id,
            &n.amount.minor(),
            &n.currency.code(),
            &n.value_date.to_string(),
            &n.payer,
            &n.reference,
            &n.state.as_str(),
            &n.source,
            &n.recorded_by,
            &n.created_at.0,
        ],
    )
}

pub(crate) fn update_bank_transfer(c: &mut Conn, id: i64, u: &TransferUpdate) -> R<()> {
    let n = match u {
        TransferUpdate::Assigned { account_id, state } => c.execute(
            "UPDATE bank_transfer SET billing_account_id = $2, state = $3 WHERE bank_transfer_id = $1 AND state <> 'credited'",
            &[&id, &account_id.0, &state.as_str()],
        )?,
        TransferUpdate::Credited { at, approved_by } => c.execute(
            "UPDATE bank_transfer SET state = 'credited', credited_at_ms = $2, approved_by = $3 \
             WHERE bank_transfer_id = $1 AND state <> 'credited' AND billing_account_id IS NOT NULL",
            &[&id, &at.0, approved_by],
        )?,
    };
    one_row(n, "bank transfer")
}

const OUTBOX_COLUMNS: &str =
    "cloud_outbox_id, billing_account_id, charge_id, provider, cloud_account_id, usage_record_id, \
     amount_minor, currency, state, attempts, next_attempt_at_ms, last_error, created_at_ms, delivered_at_ms";

fn outbox_row(r: &Row) -> R<OutboxItem> {
    let provider: &str = get(r, 3)?;
    let state: &str = get(r, 8)?;
    Ok(OutboxItem {
        id: get(r, 0)?,
        item: NewOutboxItem {
            account_id: AccountId(get(r, 1)?),
            charge_id: ChargeId(get(r, 2)?),
            provider: CloudProvider::parse(provider).ok_or_else(|| corrupt("provider", provider))?,
            cloud_account_id: get(r, 4)?,
            usage_record_id: get(r, 5)?,
            amount_minor: get(r, 6)?,
            currency: currency(get(r, 7)?)?,
            created_at: Timestamp(get(r, 12)?),
        },
        state: OutboxState::parse(state).ok_or_else(|| corrupt("outbox state", state))?,
        attempts: get_u32(r, 9)?,
        next_attempt_at: Timestamp(get(r, 10)?),
        last_error: get(r, 11)?,
        delivered_at: get::<Option<i64>>(r, 13)?.map(Timestamp),
    })
}

pub(crate) fn outbox_due(c: &mut Conn, now: Timestamp, limit: u32) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE state = 'pending' AND next_attempt_at_ms <= $1 \
         ORDER BY next_attempt_at_ms, cloud_outbox_id LIMIT $2"
    );
    all(c.query(&sql, &[&now.0, &i64::from(limit)])?, outbox_row)
}

pub(crate) fn outbox_of_charge(c: &mut Conn, account: AccountId, charge: ChargeId) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE billing_account_id = $1 AND charge_id = $2 ORDER BY cloud_outbox_id"
    );
    all(c.query(&sql, &[&account.0, &charge.0])?, outbox_row)
}

pub(crate) fn outbox_items(c: &mut Conn, state: Option<OutboxState>, limit: u32) -> R<Vec<OutboxItem>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM cloud_outbox WHERE ($1::TEXT IS NULL OR state = $1) \
         ORDER BY cloud_outbox_id DESC LIMIT $2"
    );
    all(c.query(&sql, &[&state.map(|s| s.as_str()), &i64::from(limit)])?, outbox_row)
}

pub(crate) fn insert_outbox_item(c: &mut Conn, n: &NewOutboxItem) -> R<i64> {
    let sql = "INSERT INTO cloud_outbox (billing_account_id, charge_id, provider, cloud_account_id, usage_record_id, \
               amount_minor, currency, state, next_attempt_at_ms, created_at_ms) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING cloud_outbox_id";
    id_of(
        c,
        sql,
        &[
            &n.account_id.0,
            &n.charge_id.0,
            &n.provider.as_str(),
            &n.cloud_account_id,
            &n.usage_record_id,
            &n.amount_minor,
            &n.currency.code(),
            &n.created_at.0,
        ],
    )
}

pub(crate) fn update_outbox_item(c: &mut Conn, id: i64, u: &OutboxUpdate) -> R<()> {
    let n = match u {
        OutboxUpdate::Delivered { at } => c.execute(
            "UPDATE cloud_outbox SET state = 'delivered', delivered_at_ms = $2, attempts = attempts + 1, last_error = NULL \
             WHERE cloud_outbox_id = $1 AND state = 'pending'",
            &[&id, &at.0],
        )?,
        OutboxUpdate::Retry { attempts, next_attempt_at, error } => c.execute(
            "UPDATE cloud_outbox SET attempts = $2, next_attempt_at_ms = $3, last_error = $4 \
             WHERE cloud_outbox_id = $1 AND state = 'pending'",
            &[&id, &i64::from(*attempts), &next_attempt_at.0, error],
        )?,
        OutboxUpdate::Rejected { attempts, error } => c.execute(
            "UPDATE cloud_outbox SET state = 'rejected', attempts = $2, last_error = $3 \
             WHERE cloud_outbox_id = $1 AND state = 'pending'",
            &[&id, &i64::from(*attempts), error],
        )?,
    };
    one_row(n, "outbox item")
}
