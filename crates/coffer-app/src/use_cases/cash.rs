//! Crediting cash from a payment rail (DOMAIN §4). Any credit repays arrears first.
//! The external id (Alipay trade number, bank transaction id) is unique per source
//! forever: crediting it again returns the original credit and moves nothing.

use coffer_core::ids::AccountId;
use coffer_core::lifecycle::{cash_credit_entry, CashSource};
use coffer_core::time::Timestamp;
use coffer_store::records::{CashCreditRecord, NewCashCredit};
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, journal, snapshot, App};

pub struct CreditCash<'a> {
    pub account_id: AccountId,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// "online_payment" or "bank_transfer".
    pub source: &'a str,
    pub external_id: &'a str,
    pub memo: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashCredited {
    pub credit: CashCreditRecord,
    /// True when this external id had already been credited: nothing moved now.
    pub replayed: bool,
}

impl App {
    pub fn credit_cash(&self, req: &CreditCash<'_>) -> AppResult<CashCredited> {
        let now = self.now();
        self.write(|tx| credit_cash_in_tx(tx, req, now))
    }
}

pub fn credit_cash_in_tx(tx: &mut dyn WriteTx, req: &CreditCash<'_>, now: Timestamp) -> AppResult<CashCredited> {
    let amount = input::amount("amount_minor", req.amount_minor)?;
    let currency = input::currency("currency", req.currency)?;
    let source = CashSource::parse(req.source)
        .ok_or_else(|| AppError::invalid("source", "must be online_payment or bank_transfer"))?;
    let external_id = input::external_id(req.external_id)?;
    let mut account = input::lock_account(tx, req.account_id)?;
    input::same_currency(&account, currency)?;
    if let Some(existing) = tx.cash_credit_by_external(source.as_str(), external_id.as_str())? {
        let same = existing.credit.account_id == req.account_id && existing.credit.amount == amount;
        if !same {
            return Err(AppError::new(
                ErrorCode::ExternalIdConflict,
                format!("{} {external_id} was already credited with different details", source.as_str()),
            )
            .with_field("external_id"));
        }
        return Ok(CashCredited { credit: existing, replayed: true });
    }
    let (_, owed) = snapshot::cash_and_owed(tx, &account)?;
    let memo = if req.memo.trim().is_empty() {
        format!("{} {external_id}", source.as_str())
    } else {
        input::reason("memo", req.memo)?
    };
    let entry = cash_credit_entry(source, amount, owed, &memo);
    let journal_tx_id = journal::post(tx, &mut account, &entry, now)?;
    if owed > 0 {
        super::arrears::after_entry_in_tx(tx, &account, owed, now)?;
    }
    recharge_event_in_tx(tx, &account, source.as_str(), external_id.as_str(), amount, now)?;
    let credit = NewCashCredit {
        account_id: req.account_id,
        source: source.as_str().to_owned(),
        external_id: external_id.as_str().to_owned(),
        amount,
        journal_tx_id,
        at: now,
    };
    // The same payment credited to another account at the same moment: the unique
    // external id refuses the second, and this transaction rolls back whole.
    tx.insert_cash_credit(&credit).map_err(|e| match e {
        coffer_store::StoreError::Conflict { .. } => AppError::new(
            ErrorCode::ExternalIdConflict,
            format!("{} {external_id} was credited concurrently elsewhere", source.as_str()),
        )
        .with_field("external_id"),
        other => other.into(),
    })?;
    Ok(CashCredited { credit: CashCreditRecord { credit }, replayed: false })
}

/// `recharge_succeeded`, once per payment (docs/EVENTS.md).
fn recharge_event_in_tx(
    tx: &mut dyn WriteTx,
    account: &coffer_store::records::AccountRecord,
    source: &str,
    external_id: &str,
    amount: coffer_core::money::Amount,
    now: Timestamp,
) -> AppResult<()> {
    use coffer_core::event::{EventKind, EventMoney, NewEvent};
    let subject = format!("{source}:{external_id}");
    let mut event = NewEvent::new(account.account.id, EventKind::RechargeSucceeded, now, format!("recharge:{subject}"));
    event.subject_id = Some(subject);
    event.amount = Some(EventMoney { minor: amount.minor(), currency: account.account.currency });
    tx.append_event(&event)?;
    Ok(())
}
