//! Records of operator cash adjustments that wait for a second operator (DOMAIN §4).
//! Adjustments within the approval threshold go straight to the journal and leave
//! no record here.

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;

/// pending → applied | rejected, each once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdjustmentState {
    Pending,
    Applied,
    Rejected,
}

impl AdjustmentState {
    pub const ALL: [AdjustmentState; 3] =
        [AdjustmentState::Pending, AdjustmentState::Applied, AdjustmentState::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentState::Pending => "pending",
            AdjustmentState::Applied => "applied",
            AdjustmentState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<AdjustmentState> {
        AdjustmentState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAdjustmentRequest {
    pub account_id: AccountId,
    /// Positive gives the customer value, negative takes cash away; never zero.
    pub amount_minor: i64,
    pub currency: Currency,
    pub reason: String,
    /// The operator who asked (login or token name); may not approve it.
    pub requested_by: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdjustmentRequest {
    pub id: i64,
    pub request: NewAdjustmentRequest,
    pub state: AdjustmentState,
    pub decided_by: Option<String>,
    pub rejection_reason: Option<String>,
    /// The entry that applied it.
    pub journal_tx_id: Option<JournalTxId>,
    pub decided_at: Option<Timestamp>,
}

/// A second operator's decision on a pending request; engines apply it only to a
/// request still pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdjustmentDecision {
    Applied { by: String, journal_tx_id: JournalTxId, at: Timestamp },
    Rejected { by: String, reason: String, at: Timestamp },
}
