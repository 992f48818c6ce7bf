//! Azure Marketplace, modelled on the Marketplace Metering Service's usage event:
//! `POST /api/usageEvent?api-version=2018-08-31` with a JSON `usageEvent`
//! `{resourceId, quantity, dimension, effectiveStartTime, planId}` and the usage
//! record id in `x-ms-requestid` (echoed as `x-ms-correlationid`).
//!
//! Modelled on the public API, not certified against it: no Azure AD token is
//! sent, and real Azure deduplicates by resource, dimension and hour. Here the
//! request id is the simulator's dedup key.
//!
//! Answers: 200 `Accepted` → accepted; 409 (duplicate) → already accepted; 400 with
//! code `ResourceNotActive` or `ResourceNotFound` → subscription cancelled; other
//! 400s → rejected; 429, 5xx, 401/403 → transient. Metering takes no credits, so a
//! negative record is rejected without a call (decision 004).

use coffer_app::marketplace::{DeliveryResult, Marketplace, UsageRecord};
use serde::{Deserialize, Serialize};

use crate::transport::{dimension, excerpt, is_transient_status, iso8601, rejected, transient, Answer, Transport};

pub const PATH: &str = "/api/usageEvent?api-version=2018-08-31";
pub const REQUEST_ID_HEADER: &str = "x-ms-requestid";
pub const CORRELATION_ID_HEADER: &str = "x-ms-correlationid";

/// The wire shapes, shared with the simulator.
pub mod wire {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct UsageEvent {
        pub resource_id: String,
        pub quantity: f64,
        pub dimension: String,
        pub effective_start_time: String,
        pub plan_id: String,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct UsageEventResponse {
        pub usage_event_id: String,
        /// `Accepted`.
        pub status: String,
        pub message_time: String,
        pub resource_id: String,
        pub quantity: f64,
        pub dimension: String,
        pub effective_start_time: String,
        pub plan_id: String,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub struct Error {
        pub code: String,
        pub message: String,
    }
}

/// The Azure adapter.
#[derive(Clone, Debug)]
pub struct AzureMarketplace {
    transport: Transport,
    plan_id: String,
}

impl AzureMarketplace {
    pub fn new(base_url: &str, plan_id: &str) -> AzureMarketplace {
        AzureMarketplace { transport: Transport::new(base_url), plan_id: plan_id.to_owned() }
    }

    pub fn request(&self, r: &UsageRecord) -> wire::UsageEvent {
        // Quantities are minor units; integers up to 10^13 are exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let quantity = r.amount_minor as f64;
        wire::UsageEvent {
            resource_id: r.cloud_account_id.clone(),
            quantity,
            dimension: dimension(r).into(),
            effective_start_time: iso8601(r.usage_at.0),
            plan_id: self.plan_id.clone(),
        }
    }
}

impl Marketplace for AzureMarketplace {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult {
        if record.amount_minor < 0 {
            return rejected("Azure Marketplace metering takes no credits; refunds go through Microsoft");
        }
        let body = serde_json::to_string(&self.request(record)).unwrap_or_default();
        let id = record.usage_record_id.as_str();
        let headers = [(REQUEST_ID_HEADER, id), (CORRELATION_ID_HEADER, id)];
        match self.transport.post_json(PATH, &headers, "application/json", &body) {
            Ok(answer) => interpret(&answer),
            Err(e) => transient(e),
        }
    }
}

fn interpret(answer: &Answer) -> DeliveryResult {
    match answer.status {
        200 => match serde_json::from_str::<wire::UsageEventResponse>(&answer.body) {
            Ok(r) if r.status == "Accepted" => DeliveryResult::Accepted,
            _ => transient(format!("unexpected answer: {}", excerpt(answer))),
        },
        409 => DeliveryResult::AlreadyAccepted,
        400 => {
            let code = serde_json::from_str::<wire::Error>(&answer.body).map(|e| e.code).unwrap_or_default();
            match code.as_str() {
                "ResourceNotActive" | "ResourceNotFound" => DeliveryResult::SubscriptionCancelled,
                _ => rejected(excerpt(answer)),
            }
        }
        s if is_transient_status(s) => transient(excerpt(answer)),
        _ => transient(format!("unexpected answer: {}", excerpt(answer))),
    }
}
