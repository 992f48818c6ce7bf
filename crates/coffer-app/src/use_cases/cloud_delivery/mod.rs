//! Delivering the cloud outbox (DOMAIN §7, decision 004). One pass reads the due
//! items, calls each one's provider adapter **outside any transaction** (a slow or
//! hanging provider never holds a database lock), then records the answer in a short
//! transaction of the item's account.
//!
//! Exactly once at the provider: the usage record id is the provider's idempotency
//! key, so a record sent again after a crash, a lost answer or a concurrent pass is
//! answered "already accepted" and only marked delivered here.
//!
//! Retries: a transient failure waits [`backoff_ms`]: 30 s, doubling per attempt,
//! capped at one hour from the 8th attempt on, and then retried hourly forever; an
//! item is never dropped. Only an explicit, permanent refusal rejects it.
//!
//! A reversal credit goes out only after its usage record was delivered; if the
//! usage was refused, the credit is settled here without calling the provider.

mod due;
mod record;

use std::collections::HashSet;

use coffer_core::time::Timestamp;
use coffer_core::workspace::CloudProvider;
use coffer_store::rails::OutboxItem;

use super::cloud_subscription::CloudSubscription;
use crate::error::AppResult;
use crate::marketplace::{DeliveryResult, UsageRecord};
use crate::App;
use due::{due_records, Send};
use record::{hold_in_tx, record_outcome_in_tx, Recorded};

/// The first retry waits this long.
pub const BACKOFF_BASE_MS: i64 = 30_000;
/// No retry waits longer than this.
pub const BACKOFF_CAP_MS: i64 = 3_600_000;
/// Items per delivery pass.
pub const DELIVERY_BATCH: u32 = 100;

/// How long to wait after the `attempts`-th failed attempt (1-based).
pub fn backoff_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    BACKOFF_BASE_MS.saturating_mul(1 << doublings).min(BACKOFF_CAP_MS)
}

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Adapter calls made.
    pub attempted: u32,
    /// Marked delivered (accepted now or earlier).
    pub delivered: u32,
    /// Failed transiently; scheduled again with backoff.
    pub retried: u32,
    /// Refused for good; the amount moved to arrears (or back to the customer).
    pub rejected: u32,
    /// Due but not tried: their provider failed transiently earlier in this pass, or
    /// a credit waits for its usage record to be delivered first.
    pub deferred: u32,
    /// Workspaces moved to billing-center settlement by cancelled subscriptions.
    pub workspaces_moved: u32,
    /// Answers that could not be recorded; those items stay due and are sent again.
    pub errors: Vec<String>,
}

impl App {
    /// One delivery pass over the due outbox items.
    pub fn deliver_outbox(&self) -> AppResult<DeliveryReport> {
        let now = self.now();
        let due = self.read(|r| due_records(r, now))?;
        let mut report = DeliveryReport::default();
        let mut down: HashSet<CloudProvider> = HashSet::new();
        let mut cancelled: HashSet<CloudSubscription> = HashSet::new();
        for (item, send) in due {
            let Some(record) = self.callable(&item, send, &down, &mut report) else { continue };
            report.attempted += 1;
            let result = self.call_marketplace(&record);
            if matches!(result, DeliveryResult::Transient { .. }) {
                // A throttled or unreachable provider is not hammered with the rest of the batch.
                down.insert(record.provider);
            }
            self.tally(&item, &result, &mut report);
            if result == DeliveryResult::SubscriptionCancelled {
                let sub = subscription_of(&item);
                if !cancelled.contains(&sub) {
                    self.cancel_elsewhere(&sub, &mut report);
                    cancelled.insert(sub);
                }
            }
        }
        Ok(report)
    }

    /// The record to send now, or `None` when the item is held, refused or deferred.
    fn callable(
        &self,
        item: &OutboxItem,
        send: Send,
        down: &HashSet<CloudProvider>,
        report: &mut DeliveryReport,
    ) -> Option<UsageRecord> {
        match send {
            Send::Call(record) if down.contains(&record.provider) => {
                report.deferred += 1;
                None
            }
            Send::Call(record) => Some(record),
            Send::Hold { until } => {
                self.hold(item, until, report);
                None
            }
            Send::Refuse => {
                let reason = "its usage record was refused, so the provider has nothing to credit".into();
                self.tally(item, &DeliveryResult::Rejected { reason }, report);
                None
            }
        }
    }

    fn call_marketplace(&self, record: &UsageRecord) -> DeliveryResult {
        match self.config.marketplaces.get(record.provider) {
            Some(adapter) => adapter.report_usage(record),
            None => DeliveryResult::Transient {
                reason: format!("no marketplace adapter is configured for {}", record.provider.as_str()),
            },
        }
    }

    fn tally(&self, item: &OutboxItem, result: &DeliveryResult, report: &mut DeliveryReport) {
        let now = self.now();
        match self.write(|tx| record_outcome_in_tx(tx, item, result, now)) {
            Ok(Recorded::Delivered) => report.delivered += 1,
            Ok(Recorded::Retried) => report.retried += 1,
            Ok(Recorded::Rejected { moved }) => {
                report.rejected += 1;
                report.workspaces_moved += moved;
            }
            Ok(Recorded::Stale) => {}
            Err(e) => report.errors.push(format!("{}: {e}", item.item.usage_record_id)),
        }
    }

    fn hold(&self, item: &OutboxItem, until: Timestamp, report: &mut DeliveryReport) {
        report.deferred += 1;
        if let Err(e) = self.write(|tx| hold_in_tx(tx, item, until)) {
            report.errors.push(format!("{}: {e}", item.item.usage_record_id));
        }
    }

    /// Other billing accounts may have workspaces on the same cloud account.
    fn cancel_elsewhere(&self, sub: &CloudSubscription, report: &mut DeliveryReport) {
        match self.cancel_subscription(sub) {
            Ok(moved) => report.workspaces_moved += u32::try_from(moved.len()).unwrap_or(u32::MAX),
            Err(e) => report.errors.push(format!("cancelling {} {}: {e}", sub.provider.as_str(), sub.cloud_account_id)),
        }
    }
}

fn subscription_of(item: &OutboxItem) -> CloudSubscription {
    CloudSubscription { provider: item.item.provider, cloud_account_id: item.item.cloud_account_id.clone() }
}
