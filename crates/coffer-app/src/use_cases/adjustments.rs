//! Operator adjustments of cash, always with a reason (DOMAIN §4). A credit repays
//! arrears first like any cash credit; a debit never takes cash below zero.
//! Second-operator approval above a threshold arrives with operator identities (the
//! service issue); until then every adjustment is recorded with its reason.

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::lifecycle::{adjustment_entry, AdjustmentDirection, AdjustmentRejected};
use coffer_core::time::Timestamp;
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, snapshot, App};

pub struct AdjustCash<'a> {
    pub account_id: AccountId,
    /// Positive gives the customer value, negative takes cash away.
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reason: &'a str,
    pub idempotency_key: Option<&'a str>,
}

impl App {
    pub fn adjust_cash(&self, req: &AdjustCash<'_>) -> AppResult<JournalTxId> {
        let now = self.now();
        self.write(|tx| adjust_cash_in_tx(tx, req, now))
    }
}

pub fn adjust_cash_in_tx(tx: &mut dyn WriteTx, req: &AdjustCash<'_>, now: Timestamp) -> AppResult<JournalTxId> {
    let direction = if req.amount_minor < 0 { AdjustmentDirection::Debit } else { AdjustmentDirection::Credit };
    // i64::MIN has no absolute value; it is far beyond the amount limit anyway.
    let magnitude = req.amount_minor.checked_abs().unwrap_or(i64::MAX);
    let amount = input::amount("amount_minor", magnitude)?;
    let currency = input::currency("currency", req.currency)?;
    let reason = input::reason("reason", req.reason)?;
    let key = idempotency::parse_key(req.idempotency_key)?;
    let mut account = input::lock_account(tx, req.account_id)?;
    input::same_currency(&account, currency)?;
    let scope = idempotency::account_scope(req.account_id.0);
    let fp = idempotency::fingerprint(&["adjust_cash", &req.amount_minor.to_string(), &reason]);
    if let Replay::Saved(r) = idempotency::check(tx, &scope, key.as_ref(), &fp)? {
        return Ok(JournalTxId(idempotency::ref_id(&r, "journal_tx")?));
    }
    let (cash, owed) = snapshot::cash_and_owed(tx, &account)?;
    let entry = adjustment_entry(direction, amount, cash, owed, &reason).map_err(|e| match e {
        AdjustmentRejected::InsufficientCash { available_minor, needed_minor } => AppError::new(
            ErrorCode::InsufficientCash,
            format!("cash balance {available_minor} is less than the debit {needed_minor} (minor units)"),
        )
        .with_field("amount_minor"),
    })?;
    let id = journal::post(tx, &mut account, &entry, now)?;
    idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("journal_tx:{id}"), now)?;
    Ok(id)
}
