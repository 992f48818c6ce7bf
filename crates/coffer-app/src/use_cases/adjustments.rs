//! Operator adjustments of cash, always with a reason (DOMAIN §4). A credit repays
//! arrears first like any cash credit; a debit never takes cash below zero. An
//! adjustment whose size exceeds `approval_threshold_minor` is not applied: it
//! becomes a pending request that another operator approves or rejects
//! (`adjustment_requests`), like a large manual bank-transfer credit.

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::journal::JournalEntry;
use coffer_core::lifecycle::{adjustment_entry, AdjustmentDirection, AdjustmentRejected};
use coffer_core::money::Amount;
use coffer_core::time::Timestamp;
use coffer_store::adjustments::{AdjustmentRequest, NewAdjustmentRequest};
use coffer_store::records::AccountRecord;
use coffer_store::WriteTx;

use super::adjustment_requests::request_not_found;
use super::bank_transfers::operator_name;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, snapshot, App};

/// What an idempotency record saves for an adjustment left for approval.
const REQUEST_REF: &str = "adjustment_request";
const JOURNAL_REF: &str = "journal_tx";

pub struct AdjustCash<'a> {
    pub account_id: AccountId,
    /// Positive gives the customer value, negative takes cash away.
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reason: &'a str,
    /// The operator asking (login or token name); may not approve it later.
    pub requested_by: &'a str,
    pub idempotency_key: Option<&'a str>,
}

/// What became of an adjustment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdjustmentOutcome {
    /// Within the threshold: in the journal now.
    Applied { journal_tx_id: JournalTxId },
    /// Above the threshold: waits for a second operator.
    Pending { request: AdjustmentRequest },
}

impl AdjustmentOutcome {
    pub fn state(&self) -> &'static str {
        match self {
            AdjustmentOutcome::Applied { .. } => "applied",
            AdjustmentOutcome::Pending { .. } => "pending",
        }
    }
}

impl App {
    pub fn adjust_cash(&self, req: &AdjustCash<'_>) -> AppResult<AdjustmentOutcome> {
        let threshold = self.config.approval_threshold_minor;
        let now = self.now();
        self.write(|tx| adjust_cash_in_tx(tx, req, threshold, now))
    }
}

/// The direction and size of a signed amount, checked like any amount.
pub(crate) fn signed_amount(amount_minor: i64) -> AppResult<(AdjustmentDirection, Amount)> {
    let direction = if amount_minor < 0 { AdjustmentDirection::Debit } else { AdjustmentDirection::Credit };
    // i64::MIN has no absolute value; it is far beyond the amount limit anyway.
    let magnitude = amount_minor.checked_abs().unwrap_or(i64::MAX);
    Ok((direction, input::amount("amount_minor", magnitude)?))
}

/// Plans the entry against the account's cash now; the caller holds its lock.
pub(crate) fn plan(
    tx: &mut dyn WriteTx,
    account: &AccountRecord,
    amount_minor: i64,
    reason: &str,
) -> AppResult<JournalEntry> {
    let (direction, amount) = signed_amount(amount_minor)?;
    let (cash, owed) = snapshot::cash_and_owed(tx, account)?;
    adjustment_entry(direction, amount, cash, owed, reason).map_err(|e| match e {
        AdjustmentRejected::InsufficientCash { available_minor, needed_minor } => AppError::new(
            ErrorCode::InsufficientCash,
            format!("cash balance {available_minor} is less than the debit {needed_minor} (minor units)"),
        )
        .with_field("amount_minor"),
    })
}

/// Applies an adjustment within `threshold_minor` at once; a larger one is stored
/// as a pending request. Either way the debit is checked against cash now, so a
/// request that could not be applied today is refused rather than queued.
pub fn adjust_cash_in_tx(
    tx: &mut dyn WriteTx,
    req: &AdjustCash<'_>,
    threshold_minor: i64,
    now: Timestamp,
) -> AppResult<AdjustmentOutcome> {
    let (_, amount) = signed_amount(req.amount_minor)?;
    let currency = input::currency("currency", req.currency)?;
    let reason = input::reason("reason", req.reason)?;
    let requested_by = operator_name("requested_by", req.requested_by)?;
    let key = idempotency::parse_key(req.idempotency_key)?;
    let mut account = input::lock_account(tx, req.account_id)?;
    input::same_currency(&account, currency)?;
    let scope = idempotency::account_scope(req.account_id.0);
    let fp = idempotency::fingerprint(&["adjust_cash", &req.amount_minor.to_string(), &reason]);
    if let Replay::Saved(r) = idempotency::check(tx, &scope, key.as_ref(), &fp)? {
        return replay(tx, &r);
    }
    let entry = plan(tx, &account, req.amount_minor, &reason)?;
    if amount.minor() > threshold_minor {
        let new = NewAdjustmentRequest {
            account_id: req.account_id,
            amount_minor: req.amount_minor,
            currency,
            reason,
            requested_by,
            created_at: now,
        };
        let id = tx.insert_adjustment_request(&new)?;
        idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("{REQUEST_REF}:{id}"), now)?;
        let request = tx.adjustment_request(id)?.ok_or_else(|| request_not_found(id))?;
        return Ok(AdjustmentOutcome::Pending { request });
    }
    let (_, owed) = snapshot::cash_and_owed(tx, &account)?;
    let journal_tx_id = journal::post(tx, &mut account, &entry, now)?;
    if owed > 0 {
        super::arrears::after_entry_in_tx(tx, &account, owed, now)?;
    }
    idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("{JOURNAL_REF}:{journal_tx_id}"), now)?;
    Ok(AdjustmentOutcome::Applied { journal_tx_id })
}

/// The first outcome under a repeated key. A request is returned as it is now
/// (it may have been decided since).
fn replay(tx: &mut dyn WriteTx, saved: &str) -> AppResult<AdjustmentOutcome> {
    if saved.starts_with(REQUEST_REF) {
        let id = idempotency::ref_id(saved, REQUEST_REF)?;
        let request = tx.adjustment_request(id)?.ok_or_else(|| request_not_found(id))?;
        return Ok(AdjustmentOutcome::Pending { request });
    }
    Ok(AdjustmentOutcome::Applied { journal_tx_id: JournalTxId(idempotency::ref_id(saved, JOURNAL_REF)?) })
}
