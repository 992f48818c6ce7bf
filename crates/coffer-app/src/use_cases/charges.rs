//! Settling charges (DOMAIN §2, §8). A charge is idempotent by (workspace, bill id):
//! the same bill again returns the original settlement; the same bill id with other
//! content is a `bill_conflict`. A preview runs the same planner and writes nothing.

use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::lifecycle::charge_entry;
use coffer_core::money::Amount;
use coffer_core::planner::{plan_charge, ChargeInput, ChargePlan, ChargeRejected, Source};
use coffer_core::policy::{Category, DeductionPolicy};
use coffer_core::time::{Date, Timestamp};
use coffer_core::voucher::VoucherStatus;
use coffer_core::workspace::{Settlement, Workspace};
use coffer_store::records::{ChargeRecord, NewCharge};
use coffer_store::{Reads, WriteTx};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::{idempotency, input, journal, snapshot, App};

/// A bill line as the metering service sends it.
#[derive(Clone, Copy, Debug)]
pub struct SettleCharge<'a> {
    pub workspace_id: &'a str,
    pub bill_id: &'a str,
    pub category: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// The day the usage belongs to, YYYY-MM-DD in the account's time zone.
    pub bill_date: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeSettled {
    pub charge: ChargeRecord,
    /// The planner's explanation; `None` when this is a replay of a settled bill.
    pub plan: Option<ChargePlan>,
    pub replayed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargePreview {
    pub account_id: AccountId,
    pub settlement: Settlement,
    pub plan: ChargePlan,
}

/// A charge's input, parsed.
struct Parsed {
    workspace: Workspace,
    bill_id: coffer_core::ids::BillId,
    category: Category,
    amount: Amount,
    currency: coffer_core::money::Currency,
    bill_date: Date,
    fingerprint: String,
}

fn parse(reads: &mut dyn Reads, req: &SettleCharge<'_>) -> AppResult<Parsed> {
    let workspace_id = input::workspace_id(req.workspace_id)?;
    let bill_id = input::bill_id(req.bill_id)?;
    let category = input::category(req.category)?;
    let amount = input::amount("amount_minor", req.amount_minor)?;
    let currency = input::currency("currency", req.currency)?;
    let bill_date = input::date("bill_date", req.bill_date)?;
    let workspace = reads.workspace(&workspace_id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::WorkspaceNotFound,
            format!("workspace {workspace_id} is not bound to any billing account"),
        )
        .with_field("workspace_id")
    })?;
    let fingerprint = idempotency::fingerprint(&[
        workspace_id.as_str(),
        bill_id.as_str(),
        category.as_str(),
        &amount.minor().to_string(),
        currency.code(),
        &bill_date.to_string(),
    ]);
    Ok(Parsed { workspace, bill_id, category, amount, currency, bill_date, fingerprint })
}

fn rejected(e: ChargeRejected) -> AppError {
    match e {
        ChargeRejected::CurrencyMismatch { account, charge } => AppError::new(
            ErrorCode::CurrencyMismatch,
            format!("the charge is in {charge} but the billing account is in {account}"),
        )
        .with_field("currency"),
        ChargeRejected::NoPolicyRule => AppError::new(ErrorCode::Internal, "the deduction policy has no rule"),
        ChargeRejected::ArrearsLimitExceeded { owed_minor, limit_minor, requested_minor } => AppError::new(
            ErrorCode::ArrearsLimitExceeded,
            format!(
                "the account owes {owed_minor} and may owe at most {limit_minor}; {requested_minor} more would exceed it"
            ),
        ),
    }
}

fn input_of(p: &Parsed) -> ChargeInput {
    ChargeInput {
        settlement: p.workspace.settlement.kind(),
        category: p.category,
        amount: p.amount,
        currency: p.currency,
    }
}

impl App {
    pub fn settle_charge(&self, req: &SettleCharge<'_>) -> AppResult<ChargeSettled> {
        let settled = match &self.group {
            Some(group) => group.settle(req)?,
            None => {
                let now = self.now();
                let policy = self.config.policy.clone();
                self.write(|tx| settle_charge_in_tx(tx, &policy, req, now))?
            }
        };
        // Counted only once committed, so a rolled-back charge never shows up.
        crate::metrics::record_settlement(&settled);
        Ok(settled)
    }

    /// The plan a charge would get now, with the reason for every instrument. Writes nothing.
    pub fn preview_charge(&self, req: &SettleCharge<'_>) -> AppResult<ChargePreview> {
        let now = self.now();
        self.read(|r| {
            let parsed = parse(r, req)?;
            let account = input::account(r, parsed.workspace.account_id)?;
            let wallet = snapshot::wallet(r, &account)?;
            let plan = plan_charge(&wallet, &self.config.policy, input_of(&parsed), now).map_err(rejected)?;
            Ok(ChargePreview { account_id: account.account.id, settlement: parsed.workspace.settlement, plan })
        })
    }

    pub fn charge(&self, account_id: AccountId, id: ChargeId) -> AppResult<ChargeRecord> {
        self.read(|r| {
            input::account(r, account_id)?;
            r.charge(account_id, id)?.ok_or_else(|| charge_not_found(id))
        })
    }
}

pub(crate) fn charge_not_found(id: ChargeId) -> AppError {
    AppError::new(ErrorCode::ChargeNotFound, format!("charge {id} not found")).with_field("charge_id")
}

pub fn settle_charge_in_tx(
    tx: &mut dyn WriteTx,
    policy: &DeductionPolicy,
    req: &SettleCharge<'_>,
    now: Timestamp,
) -> AppResult<ChargeSettled> {
    let mut parsed = parse(tx, req)?;
    // Lock before looking for an earlier settlement of this bill, so that two
    // concurrent posts of one bill serialize on the account and the second sees
    // the first (engines without a global write lock need this order). The
    // workspace is read again under the lock, as its settlement may have changed.
    let (mut account, workspace) = super::workspaces::lock_seen_workspace(tx, &parsed.workspace)?;
    parsed.workspace = workspace;
    if let Some(existing) = tx.charge_by_bill(&parsed.workspace.id, &parsed.bill_id)? {
        if existing.charge.fingerprint != parsed.fingerprint {
            return Err(AppError::new(
                ErrorCode::BillConflict,
                format!(
                    "bill {} of workspace {} was already settled with different content",
                    parsed.bill_id, parsed.workspace.id
                ),
            )
            .with_field("bill_id"));
        }
        return Ok(ChargeSettled { charge: existing, plan: None, replayed: true });
    }
    let wallet = snapshot::wallet(tx, &account)?;
    let plan = plan_charge(&wallet, policy, input_of(&parsed), now).map_err(rejected)?;
    let memo = format!("{} bill {} of workspace {}", parsed.category.as_str(), parsed.bill_id, parsed.workspace.id);
    let journal_tx_id = journal::post(tx, &mut account, &charge_entry(&plan, &memo), now)?;
    // The one cheap check of the arrears lifecycle on this path: only a charge that
    // draws on arrears while nothing was owed can start them (DOMAIN §9).
    if wallet.arrears_owed_minor == 0 && plan.deductions.iter().any(|d| d.source == Source::Arrears) {
        super::arrears::after_entry_in_tx(tx, &account, 0, now)?;
    }
    let cloud_provider = match &parsed.workspace.settlement {
        Settlement::Cloud { provider, .. } => Some(*provider),
        Settlement::BillingCenter => None,
    };
    let new = NewCharge {
        account_id: account.account.id,
        workspace_id: parsed.workspace.id.clone(),
        bill_id: parsed.bill_id.clone(),
        category: parsed.category,
        settlement: parsed.workspace.settlement.kind(),
        cloud_provider,
        amount: parsed.amount,
        currency: parsed.currency,
        bill_date: parsed.bill_date,
        policy_version: plan.policy_version,
        settled_at: now,
        fingerprint: parsed.fingerprint.clone(),
        journal_tx_id,
        deductions: plan.deductions.clone(),
    };
    let id = tx.insert_charge(&new)?;
    super::cloud_outbox::enqueue_usage_in_tx(tx, id, &new, &parsed.workspace.settlement)?;
    mark_exhausted(tx, account.account.id, &plan.exhausted())?;
    Ok(ChargeSettled { charge: ChargeRecord { id, charge: new, reversal: None }, plan: Some(plan), replayed: false })
}

/// Vouchers and cards a plan emptied become `used_up`.
fn mark_exhausted(tx: &mut dyn WriteTx, account: AccountId, sources: &[Source]) -> AppResult<()> {
    for source in sources {
        match *source {
            Source::Voucher(id) => tx.set_voucher_status(account, id, VoucherStatus::UsedUp)?,
            Source::Card(id) => tx.set_card_status(account, id, CardStatus::UsedUp)?,
            _ => {}
        }
    }
    Ok(())
}
