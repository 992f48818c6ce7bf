//! The second operator's side of large cash adjustments (DOMAIN §4): a pending
//! request is applied by an operator other than the one who asked, or rejected
//! with a reason by anyone (the requester may withdraw their own). Both decide
//! under the account's lock, so of two concurrent decisions one wins and the other
//! finds the request decided. A debit is checked against cash again when approved:
//! the cash may have been spent since the request.

use coffer_core::time::Timestamp;
use coffer_store::adjustments::{AdjustmentDecision, AdjustmentRequest, AdjustmentState};
use coffer_store::records::AccountRecord;
use coffer_store::WriteTx;

use super::adjustments::plan;
use super::bank_transfers::operator_name;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, journal, App};

pub(crate) fn request_not_found(id: i64) -> AppError {
    AppError::new(ErrorCode::AdjustmentRequestNotFound, format!("adjustment request {id} not found"))
        .with_field("request_id")
}

fn not_pending(r: &AdjustmentRequest) -> AppError {
    AppError::new(
        ErrorCode::AdjustmentRequestNotPending,
        format!("adjustment request {} is {}, not pending", r.id, r.state.as_str()),
    )
    .with_field("request_id")
}

impl App {
    /// A second operator applies a pending adjustment; see [`approve_adjustment_in_tx`].
    pub fn approve_adjustment(&self, request_id: i64, approved_by: &str) -> AppResult<AdjustmentRequest> {
        let now = self.now();
        self.write(|tx| approve_adjustment_in_tx(tx, request_id, approved_by, now))
    }

    /// Rejects a pending adjustment; see [`reject_adjustment_in_tx`].
    pub fn reject_adjustment(&self, request_id: i64, rejected_by: &str, reason: &str) -> AppResult<AdjustmentRequest> {
        let now = self.now();
        self.write(|tx| reject_adjustment_in_tx(tx, request_id, rejected_by, reason, now))
    }

    /// Requests, newest first; `state` (`pending`, `applied`, `rejected`) filters,
    /// `None` lists all.
    pub fn adjustment_requests(&self, state: Option<&str>, limit: u32) -> AppResult<Vec<AdjustmentRequest>> {
        let state = state
            .map(|s| {
                AdjustmentState::parse(s)
                    .ok_or_else(|| AppError::invalid("state", "must be pending, applied or rejected"))
            })
            .transpose()?;
        self.read(|r| Ok(r.adjustment_requests(state, limit.clamp(1, 1_000))?))
    }

    pub fn adjustment_request(&self, request_id: i64) -> AppResult<AdjustmentRequest> {
        self.read(|r| r.adjustment_request(request_id)?.ok_or_else(|| request_not_found(request_id)))
    }
}

/// The pending request, read again under its account's lock, and the account.
fn lock_pending(tx: &mut dyn WriteTx, request_id: i64) -> AppResult<(AdjustmentRequest, AccountRecord)> {
    let request = tx.adjustment_request(request_id)?.ok_or_else(|| request_not_found(request_id))?;
    if request.state != AdjustmentState::Pending {
        return Err(not_pending(&request));
    }
    let account = input::lock_account(tx, request.request.account_id)?;
    let request = tx.adjustment_request(request_id)?.ok_or_else(|| request_not_found(request_id))?;
    if request.state != AdjustmentState::Pending {
        return Err(not_pending(&request));
    }
    Ok((request, account))
}

/// Posts the adjustment's entry and marks the request applied. Refused for the
/// operator who asked (`approval_by_same_operator`) and, for a debit that cash no
/// longer covers, with `insufficient_cash`; the request then stays pending.
pub fn approve_adjustment_in_tx(
    tx: &mut dyn WriteTx,
    request_id: i64,
    approved_by: &str,
    now: Timestamp,
) -> AppResult<AdjustmentRequest> {
    let approved_by = operator_name("approved_by", approved_by)?;
    let (request, mut account) = lock_pending(tx, request_id)?;
    if request.request.requested_by == approved_by {
        return Err(AppError::new(
            ErrorCode::ApprovalBySameOperator,
            format!("{approved_by} requested adjustment {request_id}; another operator must approve it"),
        )
        .with_field("approved_by"));
    }
    let entry = plan(tx, &account, request.request.amount_minor, &request.request.reason)?;
    let (_, owed) = crate::snapshot::cash_and_owed(tx, &account)?;
    let journal_tx_id = journal::post(tx, &mut account, &entry, now)?;
    if owed > 0 {
        super::arrears::after_entry_in_tx(tx, &account, owed, now)?;
    }
    tx.decide_adjustment_request(request_id, &AdjustmentDecision::Applied { by: approved_by, journal_tx_id, at: now })?;
    tx.adjustment_request(request_id)?.ok_or_else(|| request_not_found(request_id))
}

/// Marks a pending request rejected, with who and why; nothing moves.
pub fn reject_adjustment_in_tx(
    tx: &mut dyn WriteTx,
    request_id: i64,
    rejected_by: &str,
    reason: &str,
    now: Timestamp,
) -> AppResult<AdjustmentRequest> {
    let by = operator_name("rejected_by", rejected_by)?;
    let reason = input::reason("reason", reason)?;
    lock_pending(tx, request_id)?;
    tx.decide_adjustment_request(request_id, &AdjustmentDecision::Rejected { by, reason, at: now })?;
    tx.adjustment_request(request_id)?.ok_or_else(|| request_not_found(request_id))
}
