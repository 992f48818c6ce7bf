//! Recording a provider's answer: one short transaction under the item's account
//! lock, which re-reads the item so an answer another pass recorded first is left alone.

use coffer_core::time::Timestamp;
use coffer_store::rails::{OutboxItem, OutboxState, OutboxUpdate};
use coffer_store::records::AccountRecord;
use coffer_store::WriteTx;

use super::{backoff_ms, subscription_of};
use crate::error::AppResult;
use crate::input;
use crate::marketplace::DeliveryResult;
use crate::use_cases::cloud_subscription::{cancel_subscription_in_tx, post_uncollectable};

/// Provider reasons are kept to this many characters in `last_error`.
const ERROR_MAX_CHARS: usize = 500;

pub(super) enum Recorded {
    Delivered,
    Retried,
    Rejected {
        moved: u32,
    },
    /// Another pass recorded this item first.
    Stale,
}

/// Moves a held credit's next attempt after its usage record's, so held credits do
/// not fill every batch.
pub(super) fn hold_in_tx(tx: &mut dyn WriteTx, item: &OutboxItem, until: Timestamp) -> AppResult<()> {
    input::lock_account(tx, item.item.account_id)?;
    let current = tx.outbox_of_charge(item.item.account_id, item.item.charge_id)?.into_iter().find(|i| i.id == item.id);
    if let Some(current) = current.filter(|c| c.state == OutboxState::Pending) {
        let error = "waiting for its usage record to be delivered".to_owned();
        tx.update_outbox_item(
            current.id,
            &OutboxUpdate::Retry { attempts: current.attempts, next_attempt_at: until, error },
        )?;
    }
    Ok(())
}

/// Records one answer under the account's lock, unless another pass already did.
pub(super) fn record_outcome_in_tx(
    tx: &mut dyn WriteTx,
    item: &OutboxItem,
    result: &DeliveryResult,
    now: Timestamp,
) -> AppResult<Recorded> {
    let mut account = input::lock_account(tx, item.item.account_id)?;
    let current = tx.outbox_of_charge(item.item.account_id, item.item.charge_id)?.into_iter().find(|i| i.id == item.id);
    let Some(current) = current.filter(|c| c.state == OutboxState::Pending) else { return Ok(Recorded::Stale) };
    let attempts = current.attempts + 1;
    match result {
        DeliveryResult::Accepted | DeliveryResult::AlreadyAccepted => {
            tx.update_outbox_item(current.id, &OutboxUpdate::Delivered { at: now })?;
            Ok(Recorded::Delivered)
        }
        DeliveryResult::Transient { reason } => {
            let next_attempt_at = Timestamp(now.0.saturating_add(backoff_ms(attempts)));
            let update = OutboxUpdate::Retry { attempts, next_attempt_at, error: clip(reason) };
            tx.update_outbox_item(current.id, &update)?;
            Ok(Recorded::Retried)
        }
        DeliveryResult::Rejected { reason } => {
            reject_in_tx(tx, &mut account, &current, &format!("rejected: {}", clip(reason)), now)?;
            Ok(Recorded::Rejected { moved: 0 })
        }
        DeliveryResult::SubscriptionCancelled => {
            reject_in_tx(tx, &mut account, &current, "subscription cancelled", now)?;
            let moved = cancel_subscription_in_tx(tx, account.account.id, &subscription_of(&current), now)?;
            Ok(Recorded::Rejected { moved: u32::try_from(moved.len()).unwrap_or(u32::MAX) })
        }
    }
}

/// Marks the item rejected and settles its amount with the customer (decision 004).
fn reject_in_tx(
    tx: &mut dyn WriteTx,
    account: &mut AccountRecord,
    item: &OutboxItem,
    error: &str,
    now: Timestamp,
) -> AppResult<()> {
    let attempts = item.attempts + 1;
    tx.update_outbox_item(item.id, &OutboxUpdate::Rejected { attempts, error: error.to_owned() })?;
    let x = &item.item;
    let fate = if x.amount_minor >= 0 { "moved to arrears" } else { "returned to the customer" };
    let memo = format!(
        "cloud usage record {} ({} {}) not collectable: {error}; {fate}",
        x.usage_record_id,
        x.provider.as_str(),
        x.cloud_account_id
    );
    post_uncollectable(tx, account, x.amount_minor, &memo, now)
}

fn clip(reason: &str) -> String {
    reason.chars().take(ERROR_MAX_CHARS).collect()
}
