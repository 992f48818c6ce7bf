//! The cloud marketplace outbox (DOMAIN §7): the cloud part of a charge becomes one
//! usage record, written in the charge's own transaction, so a charge never exists
//! without its record and nothing is lost across a restart. Delivery happens later,
//! outside any transaction (`cloud_delivery`).
//!
//! A reversal adds a credit record (negative) when the usage may have reached the
//! provider. If the usage was already refused for good, its amount had been moved to
//! the customer's arrears (`cloud_subscription`), so the reversal gives it back at
//! once instead: the provider never billed it and has nothing to credit.

use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::planner::{Deduction, Source};
use coffer_core::time::Timestamp;
use coffer_core::workspace::Settlement;
use coffer_store::rails::{NewOutboxItem, OutboxItem, OutboxState};
use coffer_store::records::{AccountRecord, ChargeRecord, NewCharge};
use coffer_store::WriteTx;

use super::charges::charge_not_found;
use super::cloud_subscription::post_uncollectable;
use crate::error::{AppError, AppResult};
use crate::{input, App};

const LIST_LIMIT_MAX: u32 = 1_000;

/// The provider-side idempotency key of a charge's usage record.
pub fn usage_record_id(charge: ChargeId) -> String {
    format!("coffer-{charge}-usage")
}

/// The provider-side idempotency key of a charge's reversal credit.
pub fn reversal_record_id(charge: ChargeId) -> String {
    format!("coffer-{charge}-reversal")
}

/// What the cloud account paid of a charge.
pub fn cloud_part(deductions: &[Deduction]) -> i64 {
    deductions.iter().filter(|d| d.source == Source::CloudAccount).map(|d| d.amount.minor()).sum()
}

/// Queues the usage record of a just-settled charge, if it has a cloud part.
pub fn enqueue_usage_in_tx(
    tx: &mut dyn WriteTx,
    id: ChargeId,
    charge: &NewCharge,
    settlement: &Settlement,
) -> AppResult<()> {
    let amount = cloud_part(&charge.deductions);
    let Settlement::Cloud { provider, cloud_account_id } = settlement else { return Ok(()) };
    if amount == 0 {
        return Ok(());
    }
    tx.insert_outbox_item(&NewOutboxItem {
        account_id: charge.account_id,
        charge_id: id,
        provider: *provider,
        cloud_account_id: cloud_account_id.clone(),
        usage_record_id: usage_record_id(id),
        amount_minor: amount,
        currency: charge.currency,
        created_at: charge.settled_at,
    })?;
    Ok(())
}

/// The cloud side of a reversal, after its journal entry: a credit record, or the
/// arrears given back when the usage never reached the provider.
pub fn on_reversal_in_tx(
    tx: &mut dyn WriteTx,
    account: &mut AccountRecord,
    charge: &ChargeRecord,
    now: Timestamp,
) -> AppResult<()> {
    if cloud_part(&charge.charge.deductions) == 0 {
        return Ok(());
    }
    let items = tx.outbox_of_charge(charge.charge.account_id, charge.id)?;
    let usage_id = usage_record_id(charge.id);
    // Charges settled before the outbox existed have no usage record: nothing was
    // ever billed through the marketplace, so there is nothing to credit.
    let Some(usage) = items.into_iter().find(|i| i.item.usage_record_id == usage_id) else { return Ok(()) };
    let credit = NewOutboxItem {
        usage_record_id: reversal_record_id(charge.id),
        amount_minor: -usage.item.amount_minor,
        created_at: now,
        ..usage.item.clone()
    };
    if usage.state == OutboxState::Rejected {
        let memo = format!("{}: usage {} was never billed by the cloud", credit.usage_record_id, usage_id);
        return post_uncollectable(tx, account, credit.amount_minor, &memo, now);
    }
    tx.insert_outbox_item(&credit)?;
    Ok(())
}

impl App {
    /// The usage records of one charge with their delivery state (customers may see their own).
    pub fn outbox_for_charge(&self, account: AccountId, charge: ChargeId) -> AppResult<Vec<OutboxItem>> {
        self.read(|r| {
            input::account(r, account)?;
            r.charge(account, charge)?.ok_or_else(|| charge_not_found(charge))?;
            Ok(r.outbox_of_charge(account, charge)?)
        })
    }

    /// The outbox across accounts, newest first, optionally in one state (operators).
    pub fn outbox(&self, state: Option<&str>, limit: u32) -> AppResult<Vec<OutboxItem>> {
        let state = match state {
            None => None,
            Some(raw) => Some(
                OutboxState::parse(raw)
                    .ok_or_else(|| AppError::invalid("state", "must be pending, delivered or rejected"))?,
            ),
        };
        self.read(|r| Ok(r.outbox_items(state, limit.clamp(1, LIST_LIMIT_MAX))?))
    }
}
