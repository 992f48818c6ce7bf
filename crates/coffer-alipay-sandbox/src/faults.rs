//! Fault knobs: the ways real Alipay (or an attacker) can surprise a merchant, on demand.
//!
//! Notification faults are captured when a payment enqueues its notifications, so changing knobs later does
//! not rewrite what is already queued. `late_payment` applies when paying, `query_failure` when querying.

use serde::{Deserialize, Serialize};

/// Every knob off by default. JSON for `POST /sim/control/faults` uses these field names; omitted fields are
/// off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Each notification is queued twice (same `notify_id`); the copy is delivered even after `success`.
    pub duplicate_delivery: bool,
    /// A `TRADE_FINISHED` notification is queued (and delivered) before the `TRADE_SUCCESS` one.
    pub reorder_finished_first: bool,
    /// `total_amount` is changed after signing, so verification must fail.
    pub tamper_amount: bool,
    /// The signature is made over other content, so verification must fail.
    pub bad_signature: bool,
    /// Correctly signed, but `app_id`/`auth_app_id` name another application.
    pub wrong_app_id: bool,
    /// Correctly signed, but `seller_id` names another seller.
    pub wrong_seller_id: bool,
    /// `sign_type=RSA` (legacy SHA-1 label) on an otherwise valid notification; the merchant must refuse it.
    pub sign_type_rsa: bool,
    /// Notifications are recorded but never delivered (the merchant must rely on query).
    pub lose_notifications: bool,
    /// The buyer may pay after the order's expiry (the race the merchant's sweeper must survive).
    pub late_payment: bool,
    /// `alipay.trade.query` fails this way while set.
    pub query_failure: Option<QueryFailure>,
}

/// How a query fails under [`Faults::query_failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryFailure {
    /// HTTP 500 with a non-JSON body.
    Http500,
    /// A signed `40004` / `ACQ.SYSTEM_ERROR` response.
    SystemError,
}

/// The notification-shaping knobs, captured per queued notification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NotifyFaults {
    pub tamper_amount: bool,
    pub bad_signature: bool,
    pub wrong_app_id: bool,
    pub wrong_seller_id: bool,
    pub sign_type_rsa: bool,
}

impl Faults {
    pub(crate) fn notify(&self) -> NotifyFaults {
        NotifyFaults {
            tamper_amount: self.tamper_amount,
            bad_signature: self.bad_signature,
            wrong_app_id: self.wrong_app_id,
            wrong_seller_id: self.wrong_seller_id,
            sign_type_rsa: self.sign_type_rsa,
        }
    }
}
