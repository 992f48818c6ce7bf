//! Account events: structured facts about a billing account that clients and the
//! notification jobs consume (docs/EVENTS.md). An event is plain data: the store
//! gives it a per-account sequence number, and only the edges (HTTP, webhooks)
//! encode it as JSON.

use crate::ids::{AccountId, WorkspaceId};
use crate::money::Currency;
use crate::time::Timestamp;

/// What happened. The strings are stable: they appear in the API, in webhooks and
/// in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Cash was credited (Alipay or bank transfer); `amount` is the credit.
    RechargeSucceeded,
    /// A voucher became active in the account; `subject_id` is the voucher id.
    VoucherActivated,
    /// An active voucher ends within 7 days; `until` is its expiry.
    VoucherExpiring,
    /// An active prepaid card ends within 7 days; `until` is its expiry.
    CardExpiring,
    /// The estimated runway fell below the configured number of days.
    RunwayLow,
    /// Arrears went from zero to positive; `amount` is what is owed.
    ArrearsStarted,
    /// Arrears were repaid to zero.
    ArrearsRepaid,
    /// A billing-center workspace entered its grace period; `until` is when it locks.
    GraceStarted,
    /// A workspace in grace locks in 3 days or less; `until` is when it locks.
    LockIn3Days,
    /// A workspace's grace period ended unpaid: the platform should stop ingestion.
    WorkspaceLocked,
    /// A workspace in grace or locked is normal again (arrears repaid, or it moved
    /// to cloud settlement).
    WorkspaceUnlocked,
    /// Last month's bill of a workspace is ready.
    MonthlyBillReady,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::RechargeSucceeded,
        EventKind::VoucherActivated,
        EventKind::VoucherExpiring,
        EventKind::CardExpiring,
        EventKind::RunwayLow,
        EventKind::ArrearsStarted,
        EventKind::ArrearsRepaid,
        EventKind::GraceStarted,
        EventKind::LockIn3Days,
        EventKind::WorkspaceLocked,
        EventKind::WorkspaceUnlocked,
        EventKind::MonthlyBillReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RechargeSucceeded => "recharge_succeeded",
            EventKind::VoucherActivated => "voucher_activated",
            EventKind::VoucherExpiring => "voucher_expiring",
            EventKind::CardExpiring => "card_expiring",
            EventKind::RunwayLow => "runway_low",
            EventKind::ArrearsStarted => "arrears_started",
            EventKind::ArrearsRepaid => "arrears_repaid",
            EventKind::GraceStarted => "grace_started",
            EventKind::LockIn3Days => "lock_in_3_days",
            EventKind::WorkspaceLocked => "workspace_locked",
            EventKind::WorkspaceUnlocked => "workspace_unlocked",
            EventKind::MonthlyBillReady => "monthly_bill_ready",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// An amount attached to an event. Unlike [`crate::money::Amount`] it may be zero
/// (a balance that ran out), but never negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMoney {
    pub minor: i64,
    pub currency: Currency,
}

/// An event before the store numbers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub account_id: AccountId,
    pub kind: EventKind,
    pub workspace_id: Option<WorkspaceId>,
    /// The voucher, card, order or bill the event is about, as text (ids of
    /// different kinds differ in shape); the kind says which.
    pub subject_id: Option<String>,
    pub amount: Option<EventMoney>,
    /// The instant the event points at (an expiry, a lock), if any.
    pub until: Option<Timestamp>,
    pub occurred_at: Timestamp,
    /// Unique per account: appending an event whose key is already there appends
    /// nothing, so a job that runs twice notifies once.
    pub dedup_key: String,
}

impl NewEvent {
    /// An event with only the required fields; set the optional ones on the result.
    pub fn new(account_id: AccountId, kind: EventKind, occurred_at: Timestamp, dedup_key: String) -> NewEvent {
        NewEvent {
            account_id,
            kind,
            workspace_id: None,
            subject_id: None,
            amount: None,
            until: None,
            occurred_at,
            dedup_key,
        }
    }
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// A global, increasing id: the cursor of a dispatcher reading every account.
    pub id: i64,
    /// 1, 2, 3 … per account, without gaps: the cursor of one account's feed.
    pub seq: i64,
    pub event: NewEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_string() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("Recharge_Succeeded"), None);
    }
}
