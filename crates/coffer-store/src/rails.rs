//! Records of the money rails (issue 4): Alipay recharge orders and the log of
//! every notification received, offline bank transfers, and the cloud marketplace
//! outbox. Every record carries the billing account it belongs to, except what
//! arrives before anyone knows the account (an unmatched transfer, a notification
//! for an unknown order).

use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::money::{Amount, Currency};
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;

/// DOMAIN §4 and PROTOCOL A.6: created → pending → paid | expired; a payment that
/// lands after expiry still moves the order to paid (and marks it late).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RechargeState {
    Created,
    Pending,
    Paid,
    Expired,
}

impl RechargeState {
    pub const ALL: [RechargeState; 4] =
        [RechargeState::Created, RechargeState::Pending, RechargeState::Paid, RechargeState::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            RechargeState::Created => "created",
            RechargeState::Pending => "pending",
            RechargeState::Paid => "paid",
            RechargeState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<RechargeState> {
        RechargeState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRechargeOrder {
    pub account_id: AccountId,
    /// Our order number, unique forever.
    pub out_trade_no: String,
    pub amount: Amount,
    pub currency: Currency,
    /// `page_pay` or `precreate`.
    pub channel: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RechargeOrder {
    pub id: i64,
    pub order: NewRechargeOrder,
    pub state: RechargeState,
    pub trade_no: Option<String>,
    pub qr_code: Option<String>,
    pub paid_at: Option<Timestamp>,
    /// Paid after the order had expired: credited anyway, and flagged for operators.
    pub late: bool,
    pub last_checked_at: Option<Timestamp>,
}

/// A change to a recharge order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RechargeUpdate {
    Pending { qr_code: Option<String> },
    Paid { trade_no: String, at: Timestamp, late: bool },
    Expired,
    Checked { at: Timestamp },
}

/// One notification (or return/query confirmation) received, whatever became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub received_at: Timestamp,
    pub account_id: Option<AccountId>,
    pub out_trade_no: Option<String>,
    pub notify_id: Option<String>,
    pub trade_status: Option<String>,
    /// `credited`, `duplicate`, `ignored` or `rejected`.
    pub verdict: String,
    pub reason: String,
    /// The raw form body, with the signature (not a secret).
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: i64,
    pub notification: NewNotification,
}

/// An incoming offline bank transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferState {
    /// No account matched its reference yet: waits for an operator.
    Unmatched,
    /// Matched, above the approval threshold: waits for a second operator.
    AwaitingApproval,
    /// Cash credited.
    Credited,
}

impl TransferState {
    pub const ALL: [TransferState; 3] =
        [TransferState::Unmatched, TransferState::AwaitingApproval, TransferState::Credited];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Unmatched => "unmatched",
            TransferState::AwaitingApproval => "awaiting_approval",
            TransferState::Credited => "credited",
        }
    }

    pub fn parse(text: &str) -> Option<TransferState> {
        TransferState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBankTransfer {
    /// The bank's id for the transaction: unique forever.
    pub bank_transaction_id: String,
    pub amount: Amount,
    pub currency: Currency,
    pub value_date: Date,
    pub payer: String,
    /// The reference text as the bank reported it.
    pub reference: String,
    pub account_id: Option<AccountId>,
    pub state: TransferState,
    /// `manual`, `csv` or `camt053`.
    pub source: String,
    /// Who recorded it (operator login or token name).
    pub recorded_by: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankTransfer {
    pub id: i64,
    pub transfer: NewBankTransfer,
    pub approved_by: Option<String>,
    pub credited_at: Option<Timestamp>,
}

/// A change to a bank transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferUpdate {
    Assigned { account_id: AccountId, state: TransferState },
    Credited { at: Timestamp, approved_by: Option<String> },
}

/// A cloud marketplace usage record waiting to be delivered (DOMAIN §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxState {
    Pending,
    Delivered,
    /// The provider refused it for good (e.g. subscription cancelled): needs an operator.
    Rejected,
}

impl OutboxState {
    pub const ALL: [OutboxState; 3] = [OutboxState::Pending, OutboxState::Delivered, OutboxState::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutboxItem {
    pub account_id: AccountId,
    pub charge_id: ChargeId,
    pub provider: CloudProvider,
    pub cloud_account_id: String,
    /// Idempotent at the provider: `coffer-<charge id>-usage` or `-reversal`.
    pub usage_record_id: String,
    /// Positive for usage, negative for a reversal credit.
    pub amount_minor: i64,
    pub currency: Currency,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub item: NewOutboxItem,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// The outcome of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxUpdate {
    Delivered { at: Timestamp },
    Retry { attempts: u32, next_attempt_at: Timestamp, error: String },
    Rejected { attempts: u32, error: String },
}
