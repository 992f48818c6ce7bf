//! Offline bank transfers (DOMAIN §4). Each billing account has a transfer
//! reference code (`CF` + id + check digit); customers wire money to the payee
//! account with that code in the remittance text. An incoming transfer, recorded
//! by an operator or imported from a statement (`bank_statements`), is matched by
//! its reference and credited as cash, or queued unmatched for an operator to
//! assign. A manual credit above `approval_threshold_minor` waits for a second
//! operator. Each bank transaction id is recorded once and credits at most once:
//! the transfer's unique id and the cash credit's unique (source, external id)
//! both back it.
//!
//! Who did what (`recorded_by`, the assigner, `approved_by`) is a name the edge
//! passes in. The store records who assigned a transfer nowhere, so the assigner
//! is kept as a record in the idempotency table under [`ASSIGNMENT_SCOPE`], keyed
//! by transfer id (docs/decisions/003-bank-transfers.md).

use coffer_bank::matching::account_references;
use coffer_core::account::transfer_reference;
use coffer_core::ids::{AccountId, ExternalId};
use coffer_core::money::{format_minor, Amount, Currency};
use coffer_core::time::{Date, Timestamp};
use coffer_store::rails::{BankTransfer, NewBankTransfer, TransferState, TransferUpdate};
use coffer_store::records::{AccountRecord, IdempotencyRecord};
use coffer_store::{Reads, StoreError, WriteTx};

use super::cash::{credit_cash_in_tx, CreditCash};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::{idempotency, input, App};

/// The cash-credit source of every bank transfer.
pub const CASH_SOURCE: &str = "bank_transfer";
/// Where the operator who assigned a transfer is remembered (key: transfer id).
pub const ASSIGNMENT_SCOPE: &str = "bank_transfer_assignment";
const PAYER_MAX_CHARS: usize = 200;
const REFERENCE_MAX_CHARS: usize = 500;
const NAME_MAX_CHARS: usize = 100;

/// The payee bank account shown on the recharge page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankDetails {
    pub payee_name: String,
    pub bank_name: String,
    pub account_number: String,
    pub swift: Option<String>,
    pub branch: Option<String>,
}

impl BankDetails {
    /// Demo values; a deployment sets its own. The sample statements in
    /// `coffer-bank/tests/fixtures` are for this account number.
    pub fn demo() -> BankDetails {
        BankDetails {
            payee_name: "Coffer Demo Billing Co., Ltd.".into(),
            bank_name: "Demo Bank of Shanghai".into(),
            account_number: "1001 2345 6789 0001".into(),
            swift: Some("DEMOCNSHXXX".into()),
            branch: Some("Pudong Branch".into()),
        }
    }
}

/// What a customer needs to recharge by bank transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RechargeInstructions {
    pub account_id: AccountId,
    pub currency: Currency,
    /// Quote this in the transfer's remittance text.
    pub reference: String,
    pub bank: BankDetails,
}

/// An operator's record of a transfer that arrived, as typed.
pub struct RecordTransfer<'a> {
    pub bank_transaction_id: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// `YYYY-MM-DD`.
    pub value_date: &'a str,
    pub payer: &'a str,
    pub reference: &'a str,
    pub recorded_by: &'a str,
}

/// Where a transfer came from. Only manual credits need a second operator:
/// statement entries are the bank's own account of what arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Manual,
    Statement(coffer_bank::Format),
}

impl Origin {
    /// As stored in `bank_transfer.source`.
    pub fn source(self) -> &'static str {
        match self {
            Origin::Manual => "manual",
            Origin::Statement(format) => format.as_str(),
        }
    }
}

/// What became of a recorded, assigned or approved transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferOutcome {
    Credited,
    AwaitingApproval,
    /// Waits for an operator to assign it.
    Queued {
        reason: String,
    },
    /// This bank transaction was recorded before: nothing changed.
    Duplicate,
}

impl TransferOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            TransferOutcome::Credited => "credited",
            TransferOutcome::AwaitingApproval => "awaiting_approval",
            TransferOutcome::Queued { .. } => "queued",
            TransferOutcome::Duplicate => "duplicate",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecorded {
    pub transfer: BankTransfer,
    pub outcome: TransferOutcome,
}

/// A transfer as operators see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferView {
    pub transfer: BankTransfer,
    /// The operator who assigned it to its account, if one did.
    pub assigned_by: Option<String>,
    /// Why an unmatched transfer did not match.
    pub unmatched_reason: Option<String>,
}

/// A transfer's facts, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incoming {
    pub bank_transaction_id: ExternalId,
    pub amount: Amount,
    pub currency: Currency,
    pub value_date: Date,
    pub payer: String,
    pub reference: String,
}

impl Incoming {
    pub fn parse(req: &RecordTransfer<'_>) -> AppResult<Incoming> {
        Ok(Incoming {
            bank_transaction_id: ExternalId::parse(req.bank_transaction_id.trim())
                .map_err(|e| AppError::invalid("bank_transaction_id", e))?,
            amount: input::amount("amount_minor", req.amount_minor)?,
            currency: input::currency("currency", req.currency)?,
            value_date: input::date("value_date", req.value_date.trim())?,
            payer: text("payer", req.payer, PAYER_MAX_CHARS)?,
            reference: text("reference", req.reference, REFERENCE_MAX_CHARS)?,
        })
    }

    /// A statement entry, already checked by the parser; checked again here so
    /// that nothing unchecked reaches the store whoever builds the entry.
    pub fn from_entry(entry: &coffer_bank::Entry) -> AppResult<Incoming> {
        Incoming::parse(&RecordTransfer {
            bank_transaction_id: &entry.bank_transaction_id,
            amount_minor: entry.amount_minor,
            currency: entry.currency.code(),
            value_date: &entry.value_date.to_string(),
            payer: &entry.payer,
            reference: &entry.reference,
            recorded_by: "",
        })
    }
}

fn text(field: &'static str, raw: &str, max_chars: usize) -> AppResult<String> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "must not contain control characters"));
    }
    if text.chars().count() > max_chars {
        return Err(AppError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    Ok(text)
}

/// An operator's name for the audit fields: required, short.
pub fn operator_name(field: &'static str, raw: &str) -> AppResult<String> {
    let name = text(field, raw, NAME_MAX_CHARS)?;
    if name.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    Ok(name)
}

fn transfer_not_found(id: i64) -> AppError {
    AppError::new(ErrorCode::TransferNotFound, format!("bank transfer {id} not found")).with_field("transfer_id")
}

fn not_awaiting(t: &BankTransfer) -> AppError {
    AppError::new(
        ErrorCode::TransferNotAwaitingApproval,
        format!("bank transfer {} is {}, not awaiting approval", t.id, t.transfer.state.as_str()),
    )
    .with_field("transfer_id")
}

fn not_unmatched(id: i64, state: &str) -> AppError {
    AppError::new(
        ErrorCode::TransferNotUnmatched,
        format!("bank transfer {id} is {state}; only unmatched ones are assigned"),
    )
    .with_field("transfer_id")
}

impl App {
    /// Records a transfer an operator saw arrive; see [`record_transfer_in_tx`].
    pub fn record_transfer(&self, req: &RecordTransfer<'_>) -> AppResult<TransferRecorded> {
        let incoming = Incoming::parse(req)?;
        let threshold = self.config.approval_threshold_minor;
        let now = self.now();
        self.write(|tx| record_transfer_in_tx(tx, &incoming, Origin::Manual, req.recorded_by, threshold, now))
    }

    /// Assigns an unmatched transfer to an account; see [`assign_transfer_in_tx`].
    pub fn assign_transfer(
        &self,
        transfer_id: i64,
        account_id: AccountId,
        assigned_by: &str,
    ) -> AppResult<TransferRecorded> {
        let threshold = self.config.approval_threshold_minor;
        let now = self.now();
        self.write(|tx| assign_transfer_in_tx(tx, transfer_id, account_id, assigned_by, threshold, now))
    }

    /// A second operator approves a credit; see [`approve_transfer_in_tx`].
    pub fn approve_transfer(&self, transfer_id: i64, approved_by: &str) -> AppResult<TransferRecorded> {
        let now = self.now();
        self.write(|tx| approve_transfer_in_tx(tx, transfer_id, approved_by, now))
    }

    /// Transfers, newest first; `state` (`unmatched`, `awaiting_approval`,
    /// `credited`) filters, `None` lists all.
    pub fn bank_transfers(&self, state: Option<&str>, limit: u32) -> AppResult<Vec<TransferView>> {
        let state = state
            .map(|s| {
                TransferState::parse(s)
                    .ok_or_else(|| AppError::invalid("state", "must be unmatched, awaiting_approval or credited"))
            })
            .transpose()?;
        self.read(|r| {
            let list = r.bank_transfers(state, limit.clamp(1, 1_000))?;
            list.into_iter().map(|t| view(r, t)).collect()
        })
    }

    pub fn bank_transfer(&self, transfer_id: i64) -> AppResult<TransferView> {
        self.read(|r| {
            let transfer = r.bank_transfer_by_id(transfer_id)?.ok_or_else(|| transfer_not_found(transfer_id))?;
            view(r, transfer)
        })
    }

    /// The payee bank details and the account's reference code.
    pub fn recharge_instructions(&self, account_id: AccountId) -> AppResult<RechargeInstructions> {
        let account = self.read(|r| input::account(r, account_id))?;
        Ok(RechargeInstructions {
            account_id,
            currency: account.account.currency,
            reference: account.account.transfer_reference,
            bank: self.config.bank_details.clone(),
        })
    }
}

fn view(r: &mut dyn Reads, transfer: BankTransfer) -> AppResult<TransferView> {
    let assigned_by = r.idempotency(ASSIGNMENT_SCOPE, &transfer.id.to_string())?.map(|a| a.result_ref);
    let unmatched_reason = if transfer.transfer.state == TransferState::Unmatched {
        // Recomputed, so the queue says what is true now (an account may exist since).
        Some(match match_account(r, &transfer.transfer.reference, transfer.transfer.currency)? {
            Err(why) => why,
            Ok(_) => "the reference now names an account; assign the transfer to it".to_owned(),
        })
    } else {
        None
    };
    Ok(TransferView { transfer, assigned_by, unmatched_reason })
}

/// The account a reference text names, if it names exactly one existing account
/// in the transfer's currency; otherwise why not. Reads without locking; the write
/// paths lock the account they credit.
fn match_account(r: &mut dyn Reads, reference: &str, currency: Currency) -> AppResult<Result<AccountRecord, String>> {
    let id = match account_references(reference).as_slice() {
        [] => return Ok(Err("no transfer reference code (CF…) in the reference text".to_owned())),
        [one] => *one,
        several => {
            let codes: Vec<String> = several.iter().map(|id| transfer_reference(*id)).collect();
            return Ok(Err(format!("the reference text names several accounts: {}", codes.join(", "))));
        }
    };
    let Some(account) = r.account(id)? else {
        return Ok(Err(format!("reference {} names no billing account", transfer_reference(id))));
    };
    if account.account.currency != currency {
        let why = format!("account {id} is in {}, the transfer in {currency}", account.account.currency);
        return Ok(Err(why));
    }
    Ok(Ok(account))
}

/// Records an incoming transfer once: a bank transaction id seen before is a
/// duplicate (or, with another amount, a conflict) and changes nothing. A match
/// by reference is credited in this transaction, or, for a manual record above
/// `threshold_minor`, left awaiting a second operator; no match queues it.
pub fn record_transfer_in_tx(
    tx: &mut dyn WriteTx,
    incoming: &Incoming,
    origin: Origin,
    recorded_by: &str,
    threshold_minor: i64,
    now: Timestamp,
) -> AppResult<TransferRecorded> {
    let recorded_by = operator_name("recorded_by", recorded_by)?;
    if let Some(existing) = tx.bank_transfer(incoming.bank_transaction_id.as_str())? {
        return duplicate(existing, incoming);
    }
    let matched = match match_account(tx, &incoming.reference, incoming.currency)? {
        Ok(account) => Ok(input::lock_account(tx, account.account.id)?),
        Err(reason) => Err(reason),
    };
    let new = NewBankTransfer {
        bank_transaction_id: incoming.bank_transaction_id.as_str().to_owned(),
        amount: incoming.amount,
        currency: incoming.currency,
        value_date: incoming.value_date,
        payer: incoming.payer.clone(),
        reference: incoming.reference.clone(),
        account_id: matched.as_ref().ok().map(|a| a.account.id),
        // A matched transfer is credited right below, in this transaction.
        state: if matched.is_ok() { TransferState::AwaitingApproval } else { TransferState::Unmatched },
        source: origin.source().to_owned(),
        recorded_by,
        created_at: now,
    };
    let id = match tx.insert_bank_transfer(&new) {
        Ok(id) => id,
        // Recorded concurrently (another import of the same statement): it is ours now.
        Err(StoreError::Conflict { .. }) => match tx.bank_transfer(&new.bank_transaction_id)? {
            Some(existing) => return duplicate(existing, incoming),
            None => return Err(AppError::new(ErrorCode::StoreBusy, "the transfer was being recorded; retry")),
        },
        Err(e) => return Err(e.into()),
    };
    let transfer = BankTransfer { id, transfer: new, approved_by: None, credited_at: None };
    match matched {
        Err(reason) => Ok(TransferRecorded { transfer, outcome: TransferOutcome::Queued { reason } }),
        Ok(_) if origin == Origin::Manual && incoming.amount.minor() > threshold_minor => {
            Ok(TransferRecorded { transfer, outcome: TransferOutcome::AwaitingApproval })
        }
        Ok(_) => credit_in_tx(tx, transfer, None, now),
    }
}

fn duplicate(existing: BankTransfer, incoming: &Incoming) -> AppResult<TransferRecorded> {
    let t = &existing.transfer;
    if t.amount != incoming.amount || t.currency != incoming.currency {
        return Err(AppError::new(
            ErrorCode::ExternalIdConflict,
            format!(
                "bank transaction {} was recorded before with {} {}, not {} {}",
                t.bank_transaction_id,
                format_minor(t.amount.minor(), t.currency),
                t.currency,
                format_minor(incoming.amount.minor(), incoming.currency),
                incoming.currency
            ),
        )
        .with_field("bank_transaction_id"));
    }
    Ok(TransferRecorded { transfer: existing, outcome: TransferOutcome::Duplicate })
}

/// Credits a transfer that has its account: cash rises (arrears first) once per
/// bank transaction id, and the transfer is marked credited.
fn credit_in_tx(
    tx: &mut dyn WriteTx,
    mut transfer: BankTransfer,
    approved_by: Option<String>,
    now: Timestamp,
) -> AppResult<TransferRecorded> {
    let t = &transfer.transfer;
    let account_id =
        t.account_id.ok_or_else(|| AppError::new(ErrorCode::Internal, "crediting a transfer without an account"))?;
    let memo = match t.payer.as_str() {
        "" => format!("Bank transfer {}", t.bank_transaction_id),
        payer => format!("Bank transfer {} from {payer}", t.bank_transaction_id),
    };
    let credit = CreditCash {
        account_id,
        amount_minor: t.amount.minor(),
        currency: t.currency.code(),
        source: CASH_SOURCE,
        external_id: &t.bank_transaction_id,
        memo: &memo,
    };
    credit_cash_in_tx(tx, &credit, now)?;
    tx.update_bank_transfer(transfer.id, &TransferUpdate::Credited { at: now, approved_by: approved_by.clone() })?;
    transfer.transfer.state = TransferState::Credited;
    transfer.approved_by = approved_by;
    transfer.credited_at = Some(now);
    Ok(TransferRecorded { transfer, outcome: TransferOutcome::Credited })
}

/// Assigns an unmatched transfer to an account in its currency. Assigning is a
/// manual credit: above `threshold_minor` it waits for a second operator, else it
/// is credited now. Who assigned it is remembered for the approval.
pub fn assign_transfer_in_tx(
    tx: &mut dyn WriteTx,
    transfer_id: i64,
    account_id: AccountId,
    assigned_by: &str,
    threshold_minor: i64,
    now: Timestamp,
) -> AppResult<TransferRecorded> {
    let assigned_by = operator_name("assigned_by", assigned_by)?;
    let mut transfer = tx.bank_transfer_by_id(transfer_id)?.ok_or_else(|| transfer_not_found(transfer_id))?;
    if transfer.transfer.state != TransferState::Unmatched {
        return Err(not_unmatched(transfer_id, transfer.transfer.state.as_str()));
    }
    let account = input::lock_account(tx, account_id)?;
    if account.account.currency != transfer.transfer.currency {
        let why = format!(
            "account {account_id} is in {}, the transfer in {}",
            account.account.currency, transfer.transfer.currency
        );
        return Err(AppError::new(ErrorCode::CurrencyMismatch, why).with_field("account_id"));
    }
    remember_assignment(tx, transfer_id, account_id, &assigned_by, now)?;
    let state = TransferState::AwaitingApproval;
    tx.update_bank_transfer(transfer_id, &TransferUpdate::Assigned { account_id, state })?;
    transfer.transfer.account_id = Some(account_id);
    transfer.transfer.state = state;
    if transfer.transfer.amount.minor() > threshold_minor {
        return Ok(TransferRecorded { transfer, outcome: TransferOutcome::AwaitingApproval });
    }
    credit_in_tx(tx, transfer, None, now)
}

/// A transfer is assigned once: a second assignment, even a concurrent one on
/// another account, finds this record and is refused.
fn remember_assignment(
    tx: &mut dyn WriteTx,
    transfer_id: i64,
    account_id: AccountId,
    assigned_by: &str,
    now: Timestamp,
) -> AppResult<()> {
    let record = IdempotencyRecord {
        scope: ASSIGNMENT_SCOPE.to_owned(),
        key: transfer_id.to_string(),
        fingerprint: idempotency::fingerprint(&["assign", &account_id.0.to_string()]),
        result_ref: assigned_by.to_owned(),
        created_at: now,
    };
    tx.put_idempotency(&record).map_err(|e| match e {
        StoreError::Conflict { .. } => not_unmatched(transfer_id, "being assigned by another operator"),
        other => other.into(),
    })
}

/// Who may not approve a transfer: whoever assigned it and, for a manual record,
/// whoever recorded it. The import of a statement is the bank's word, not a
/// decision, so its importer may approve an assignment made by someone else.
fn makers(tx: &mut dyn WriteTx, transfer: &BankTransfer) -> AppResult<Vec<String>> {
    let mut makers = Vec::new();
    if transfer.transfer.source == Origin::Manual.source() {
        makers.push(transfer.transfer.recorded_by.clone());
    }
    if let Some(assignment) = tx.idempotency(ASSIGNMENT_SCOPE, &transfer.id.to_string())? {
        makers.push(assignment.result_ref);
    }
    Ok(makers)
}

/// Credits a transfer awaiting approval, by an operator other than the one who
/// recorded or assigned it. Runs under the account's lock, so of two concurrent
/// approvals one credits and the other finds it credited.
pub fn approve_transfer_in_tx(
    tx: &mut dyn WriteTx,
    transfer_id: i64,
    approved_by: &str,
    now: Timestamp,
) -> AppResult<TransferRecorded> {
    let approved_by = operator_name("approved_by", approved_by)?;
    let transfer = tx.bank_transfer_by_id(transfer_id)?.ok_or_else(|| transfer_not_found(transfer_id))?;
    let (TransferState::AwaitingApproval, Some(account_id)) = (transfer.transfer.state, transfer.transfer.account_id)
    else {
        return Err(not_awaiting(&transfer));
    };
    input::lock_account(tx, account_id)?;
    let transfer = tx.bank_transfer_by_id(transfer_id)?.ok_or_else(|| transfer_not_found(transfer_id))?;
    if transfer.transfer.state != TransferState::AwaitingApproval {
        return Err(not_awaiting(&transfer));
    }
    if makers(tx, &transfer)?.contains(&approved_by) {
        return Err(AppError::new(
            ErrorCode::ApprovalBySameOperator,
            format!("{approved_by} recorded or assigned bank transfer {transfer_id}; another operator must approve it"),
        )
        .with_field("approved_by"));
    }
    credit_in_tx(tx, transfer, Some(approved_by), now)
}
