//! Confirming recharges: verified notifications, browser returns (which only
//! trigger a query), active queries and the sweeper. Every path that finds a paid
//! trade goes through [`mark_paid_in_tx`], which credits cash exactly once per
//! order, and every notification received is recorded with its verdict.

use coffer_alipay::{format_beijing, parse_form, CloseOutcome, QueryOutcome, TradeStatus};
use coffer_core::time::Timestamp;
use coffer_store::rails::{NewNotification, NotificationRecord, RechargeOrder, RechargeState, RechargeUpdate};
use coffer_store::WriteTx;

use super::cash::{credit_cash_in_tx, CreditCash};
use super::recharge::{order_not_found, rail};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, App};

/// Open orders are queried again at most this often.
const RECHECK_MS: i64 = 60_000;
const SWEEP_BATCH: u32 = 100;

/// The answer owed to Alipay: exactly `success` stops its retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyAnswer {
    Success,
    Fail,
}

impl NotifyAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyAnswer::Success => "success",
            NotifyAnswer::Fail => "fail",
        }
    }
}

/// What became of a confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    Credited,
    /// Already paid and credited earlier: nothing moved.
    Duplicate,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: u32,
    pub credited: u32,
    pub expired: u32,
    pub deferred: u32,
}

/// Credits a paid order once. Runs under the account's lock, so concurrent
/// confirmations of one order serialize and all but the first see it paid.
pub fn mark_paid_in_tx(
    tx: &mut dyn WriteTx,
    out_trade_no: &str,
    trade_no: &str,
    total_amount_minor: i64,
    now: Timestamp,
) -> AppResult<Confirmation> {
    let order = tx.recharge_order(out_trade_no)?.ok_or_else(|| order_not_found(out_trade_no))?;
    input::lock_account(tx, order.order.account_id)?;
    let order = tx.recharge_order(out_trade_no)?.ok_or_else(|| order_not_found(out_trade_no))?;
    if order.state == RechargeState::Paid {
        return Ok(Confirmation::Duplicate);
    }
    if total_amount_minor != order.order.amount.minor() {
        return Err(AppError::new(
            ErrorCode::Validation,
            format!("paid amount {total_amount_minor} differs from the order's {}", order.order.amount.minor()),
        )
        .with_field("total_amount"));
    }
    let credit = CreditCash {
        account_id: order.order.account_id,
        amount_minor: total_amount_minor,
        currency: order.order.currency.code(),
        source: "online_payment",
        external_id: out_trade_no,
        memo: &format!("Alipay recharge {out_trade_no} (trade {trade_no})"),
    };
    credit_cash_in_tx(tx, &credit, now)?;
    let late = order.state == RechargeState::Expired;
    tx.update_recharge_order(order.id, &RechargeUpdate::Paid { trade_no: trade_no.to_owned(), at: now, late })?;
    Ok(Confirmation::Credited)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl App {
    /// Handles one asynchronous notification (PROTOCOL A.5) and records it.
    pub fn handle_alipay_notification(&self, body: &str) -> AppResult<NotifyAnswer> {
        let rail = rail(self)?;
        let now = self.now();
        let fields = parse_form(body);
        let mut record = NewNotification {
            received_at: now,
            account_id: None,
            out_trade_no: field(&fields, "out_trade_no").map(str::to_owned),
            notify_id: field(&fields, "notify_id").map(str::to_owned),
            trade_status: field(&fields, "trade_status").map(str::to_owned),
            verdict: "rejected".into(),
            reason: String::new(),
            body: body.to_owned(),
        };
        let reject = |mut record: NewNotification, reason: String| -> AppResult<NotifyAnswer> {
            record.reason = reason;
            self.write(|tx| Ok(tx.insert_notification(&record)?))?;
            Ok(NotifyAnswer::Fail)
        };
        let note = match rail.client.verify_notification(&fields) {
            Ok(note) => note,
            Err(e) => return reject(record, format!("verification failed: {e}")),
        };
        let Some(order) = self.read(|r| Ok(r.recharge_order(&note.out_trade_no)?))? else {
            return reject(record, "no such recharge order".into());
        };
        record.account_id = Some(order.order.account_id);
        if note.total_amount_minor != order.order.amount.minor() {
            return reject(record, format!("total_amount {} differs from the order's", note.total_amount_minor));
        }
        let outcome = self.write(|tx| {
            let (verdict, reason) = if note.trade_status.is_paid() {
                match mark_paid_in_tx(tx, &note.out_trade_no, &note.trade_no, note.total_amount_minor, now)? {
                    Confirmation::Credited => ("credited", "cash credited"),
                    Confirmation::Duplicate => ("duplicate", "already credited"),
                }
            } else {
                if note.trade_status == TradeStatus::TradeClosed {
                    let _ = tx.update_recharge_order(order.id, &RechargeUpdate::Expired);
                }
                ("ignored", "not a paid status")
            };
            tx.insert_notification(&NewNotification {
                verdict: verdict.into(),
                reason: reason.into(),
                ..record.clone()
            })?;
            Ok(NotifyAnswer::Success)
        });
        match outcome {
            Ok(answer) => Ok(answer),
            Err(e) if e.code == ErrorCode::StoreBusy || e.code == ErrorCode::Internal => Err(e),
            Err(e) => reject(record, e.message),
        }
    }

    /// The browser came back (PROTOCOL A.8): verify, then ask Alipay, never trust the return alone.
    pub fn handle_alipay_return(&self, query: &str) -> AppResult<RechargeOrder> {
        let rail = rail(self)?;
        let ret = rail
            .client
            .verify_return(&parse_form(query))
            .map_err(|e| AppError::new(ErrorCode::Validation, format!("the return does not verify: {e}")))?;
        self.confirm_recharge(&ret.out_trade_no)
    }

    /// Asks Alipay about an order and credits it if paid. Transient gateway errors
    /// leave the order as it was.
    pub fn confirm_recharge(&self, out_trade_no: &str) -> AppResult<RechargeOrder> {
        let rail = rail(self)?;
        let now = self.now();
        if let Ok(QueryOutcome::Trade { trade_no, trade_status, total_amount_minor }) =
            rail.client.query(out_trade_no, &format_beijing(now.0))
        {
            if trade_status.is_paid() {
                self.write(|tx| mark_paid_in_tx(tx, out_trade_no, &trade_no, total_amount_minor, now))?;
            }
        }
        self.read(|r| r.recharge_order(out_trade_no)?.ok_or_else(|| order_not_found(out_trade_no)))
    }

    /// The recharge sweeper: queries open orders, credits paid ones, closes and
    /// expires stale ones, and never expires on an unknown result.
    pub fn sweep_recharges(&self) -> AppResult<SweepReport> {
        rail(self)?;
        let now = self.now();
        let orders = self.read(|r| Ok(r.open_recharge_orders(Timestamp(now.0 - RECHECK_MS), SWEEP_BATCH)?))?;
        let mut report = SweepReport::default();
        for order in orders {
            report.checked += 1;
            match self.sweep_one(&order, now)? {
                Swept::Credited => report.credited += 1,
                Swept::Expired => report.expired += 1,
                Swept::Deferred => report.deferred += 1,
            }
        }
        Ok(report)
    }

    fn sweep_one(&self, order: &RechargeOrder, now: Timestamp) -> AppResult<Swept> {
        let rail = rail(self)?;
        let no = order.order.out_trade_no.as_str();
        let ts = format_beijing(now.0);
        let expired = now >= order.order.expires_at;
        let swept = match rail.client.query(no, &ts) {
            Ok(QueryOutcome::Trade { trade_no, trade_status, total_amount_minor }) if trade_status.is_paid() => {
                self.write(|tx| mark_paid_in_tx(tx, no, &trade_no, total_amount_minor, now))?;
                Swept::Credited
            }
            Ok(QueryOutcome::Trade { trade_status: TradeStatus::TradeClosed, .. }) => self.expire(order)?,
            Ok(QueryOutcome::Trade { .. }) if expired => match rail.client.close(no, &ts) {
                Ok(CloseOutcome::Closed | CloseOutcome::NotExist) => self.expire(order)?,
                // Not closable: it was probably paid a moment ago; the next sweep sees it.
                Ok(CloseOutcome::StatusError) | Err(_) => Swept::Deferred,
            },
            // Past the time_expire we sent, nobody can create the trade by scanning any more.
            Ok(QueryOutcome::NotExist) if expired => self.expire(order)?,
            Ok(_) | Err(_) => Swept::Deferred,
        };
        self.write(|tx| Ok(tx.update_recharge_order(order.id, &RechargeUpdate::Checked { at: now })?))?;
        Ok(swept)
    }

    fn expire(&self, order: &RechargeOrder) -> AppResult<Swept> {
        self.write(|tx| {
            input::lock_account(tx, order.order.account_id)?;
            Ok(tx.update_recharge_order(order.id, &RechargeUpdate::Expired).is_ok())
        })?;
        Ok(Swept::Expired)
    }

    /// The notification log, newest first (operators).
    pub fn alipay_notifications(
        &self,
        account: Option<coffer_core::ids::AccountId>,
        limit: u32,
    ) -> AppResult<Vec<NotificationRecord>> {
        self.read(|r| Ok(r.notifications(account, limit.clamp(1, 1_000))?))
    }
}

enum Swept {
    Credited,
    Expired,
    Deferred,
}
