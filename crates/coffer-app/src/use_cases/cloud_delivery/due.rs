//! Which due items go to their provider in this pass, and what they send.

use coffer_core::time::Timestamp;
use coffer_store::rails::{OutboxItem, OutboxState};
use coffer_store::Reads;

use super::{BACKOFF_BASE_MS, DELIVERY_BATCH};
use crate::error::AppResult;
use crate::marketplace::UsageRecord;
use crate::use_cases::charges::charge_not_found;
use crate::use_cases::cloud_outbox::usage_record_id;

/// What a pass does with a due item.
pub(super) enum Send {
    Call(UsageRecord),
    /// A credit whose usage record is still pending waits for it: a provider has
    /// nothing to credit before it accepted the usage.
    Hold {
        until: Timestamp,
    },
    /// A credit whose usage record was refused: that amount was already settled
    /// with the customer, so the credit is too, without calling the provider.
    Refuse,
}

/// The due items with what their adapters need from the charge.
pub(super) fn due_records(r: &mut dyn Reads, now: Timestamp) -> AppResult<Vec<(OutboxItem, Send)>> {
    let mut out = Vec::new();
    for item in r.outbox_due(now, DELIVERY_BATCH)? {
        let send = match credit_gate(r, &item, now)? {
            Some(gate) => gate,
            None => Send::Call(usage_record(r, &item)?),
        };
        out.push((item, send));
    }
    Ok(out)
}

/// `None` when the item may go to its provider now.
fn credit_gate(r: &mut dyn Reads, item: &OutboxItem, now: Timestamp) -> AppResult<Option<Send>> {
    if item.item.amount_minor >= 0 {
        return Ok(None);
    }
    let usage_id = usage_record_id(item.item.charge_id);
    let siblings = r.outbox_of_charge(item.item.account_id, item.item.charge_id)?;
    Ok(match siblings.into_iter().find(|i| i.item.usage_record_id == usage_id) {
        Some(u) if u.state == OutboxState::Pending => {
            Some(Send::Hold { until: Timestamp(u.next_attempt_at.0.max(now.0).saturating_add(BACKOFF_BASE_MS)) })
        }
        Some(u) if u.state == OutboxState::Rejected => Some(Send::Refuse),
        _ => None,
    })
}

fn usage_record(r: &mut dyn Reads, item: &OutboxItem) -> AppResult<UsageRecord> {
    let x = &item.item;
    let charge = r.charge(x.account_id, x.charge_id)?.ok_or_else(|| charge_not_found(x.charge_id))?;
    Ok(UsageRecord {
        usage_record_id: x.usage_record_id.clone(),
        provider: x.provider,
        cloud_account_id: x.cloud_account_id.clone(),
        amount_minor: x.amount_minor,
        currency: x.currency,
        account_id: x.account_id,
        charge_id: x.charge_id,
        workspace_id: charge.charge.workspace_id.as_str().to_owned(),
        category: charge.charge.category,
        bill_date: charge.charge.bill_date,
        usage_at: charge.charge.settled_at,
    })
}
