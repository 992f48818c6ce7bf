//! Notification delivery: webhook endpoints per billing account and the delivery log
//! of both channels (webhooks and e-mail), one row per event and destination.
//!
//! Each method is its own short transaction, as in [`crate::auth`]: nothing here
//! moves money. Every row carries its billing account.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;

use crate::StoreResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhookEndpoint {
    pub account_id: AccountId,
    pub url: String,
    /// The signing secret. Stored as is: the sender needs it to sign every delivery.
    pub secret: String,
    /// Event kinds delivered; empty means every kind.
    pub kinds: Vec<String>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub endpoint: NewWebhookEndpoint,
    pub enabled: bool,
}

impl WebhookEndpoint {
    /// Whether events of `kind` go to this endpoint.
    pub fn wants(&self, kind: &str) -> bool {
        self.enabled && (self.endpoint.kinds.is_empty() || self.endpoint.kinds.iter().any(|k| k == kind))
    }
}

/// How a notification travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Webhook,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Webhook, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// pending → delivered | failed (after the last attempt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub account_id: AccountId,
    /// The event feed's global id.
    pub event_id: i64,
    pub channel: Channel,
    /// The webhook endpoint; `None` for e-mail.
    pub endpoint_id: Option<i64>,
    /// The endpoint's URL or the e-mail address, as it was when the delivery was queued.
    pub target: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub delivery: NewDelivery,
    pub state: DeliveryState,
    pub attempts: i32,
    /// The last HTTP status received (webhooks), if any.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered {
        status: Option<i32>,
        at: Timestamp,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        status: Option<i32>,
        error: String,
        next_attempt_at: Timestamp,
    },
    /// The last attempt failed too: give up.
    GaveUp {
        status: Option<i32>,
        error: String,
    },
}

pub trait WebhookStore: Send + Sync {
    fn insert_webhook_endpoint(&self, new: &NewWebhookEndpoint) -> StoreResult<i64>;
    fn webhook_endpoint(&self, account: AccountId, id: i64) -> StoreResult<Option<WebhookEndpoint>>;
    fn webhook_endpoints(&self, account: AccountId) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Deletes the endpoint and forgets its pending deliveries' destination; `false`
    /// when the account has no such endpoint.
    fn delete_webhook_endpoint(&self, account: AccountId, id: i64) -> StoreResult<bool>;
    fn set_webhook_enabled(&self, account: AccountId, id: i64, enabled: bool) -> StoreResult<bool>;

    /// Queues a delivery; `false` (and nothing changes) when this event is already
    /// queued for this channel and target, so re-reading the feed queues nothing twice.
    fn insert_delivery(&self, new: &NewDelivery) -> StoreResult<bool>;
    /// Pending deliveries of `channel` due at `now`, oldest first.
    fn deliveries_due(&self, channel: Channel, now: Timestamp, limit: u32) -> StoreResult<Vec<Delivery>>;
    /// Records an attempt on a delivery still pending (counts it).
    fn record_attempt(&self, id: i64, result: &AttemptResult) -> StoreResult<()>;
    /// The delivery log of an account, newest first; `channel` filters.
    fn deliveries_of(&self, account: AccountId, channel: Option<Channel>, limit: u32) -> StoreResult<Vec<Delivery>>;
}
