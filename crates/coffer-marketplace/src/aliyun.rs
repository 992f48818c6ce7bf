//! Alibaba Cloud Marketplace, modelled on the Market API's `PushMeteringData`
//! (RPC style, version 2015-11-01): a form POST with `Action`, `Version`, `Format`
//! and `Metering`, a JSON list of `{InstanceId, StartTime, EndTime, Entities}`
//! where each entity is a `{Key, Value}` metering item.
//!
//! Modelled on the public API, not certified against it: the RPC signature is not
//! computed, the cloud account id stands for the marketplace instance id, and the
//! entity keys (`Amount`, `Dimension`, `UsageRecordId`) and error codes below are
//! this model's. In this model an `Amount` may be negative: a credit adjustment.
//!
//! Answers: 200 with `Success: true` → accepted; `Code` `Metering.Duplicated` →
//! already accepted; `InvalidInstance.Released` → subscription cancelled;
//! `Throttling*` / `ServiceUnavailable` / 5xx → transient; other 4xx → rejected.

use coffer_app::marketplace::{DeliveryResult, Marketplace, UsageRecord};
use serde::{Deserialize, Serialize};

use crate::transport::{dimension, excerpt, is_transient_status, rejected, transient, Answer, Transport};

pub const ACTION: &str = "PushMeteringData";
pub const VERSION: &str = "2015-11-01";
pub const DUPLICATED: &str = "Metering.Duplicated";
pub const RELEASED: &str = "InvalidInstance.Released";

/// The wire shapes, shared with the simulator.
pub mod wire {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Metering {
        pub instance_id: String,
        /// Seconds since the epoch.
        pub start_time: i64,
        pub end_time: i64,
        pub entities: Vec<Entity>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Entity {
        pub key: String,
        pub value: String,
    }

    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Response {
        pub request_id: String,
        #[serde(default)]
        pub success: bool,
        #[serde(default)]
        pub code: String,
        #[serde(default)]
        pub message: String,
    }

    impl Metering {
        pub fn entity(&self, key: &str) -> Option<&str> {
            self.entities.iter().find(|e| e.key == key).map(|e| e.value.as_str())
        }
    }
}

/// The Aliyun adapter.
#[derive(Clone, Debug)]
pub struct AliyunMarketplace {
    transport: Transport,
}

impl AliyunMarketplace {
    pub fn new(base_url: &str) -> AliyunMarketplace {
        AliyunMarketplace { transport: Transport::new(base_url) }
    }

    pub fn request(&self, r: &UsageRecord) -> Vec<wire::Metering> {
        let at = r.usage_at.0.div_euclid(1_000);
        let entity = |key: &str, value: String| wire::Entity { key: key.into(), value };
        vec![wire::Metering {
            instance_id: r.cloud_account_id.clone(),
            start_time: at,
            end_time: at,
            entities: vec![
                entity("Amount", r.amount_minor.to_string()),
                entity("Dimension", dimension(r).into()),
                entity("UsageRecordId", r.usage_record_id.clone()),
            ],
        }]
    }
}

impl Marketplace for AliyunMarketplace {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult {
        let metering = serde_json::to_string(&self.request(record)).unwrap_or_default();
        let fields = [("Action", ACTION), ("Version", VERSION), ("Format", "JSON"), ("Metering", metering.as_str())];
        match self.transport.post_form("", &fields) {
            Ok(answer) => interpret(&answer),
            Err(e) => transient(e),
        }
    }
}

fn interpret(answer: &Answer) -> DeliveryResult {
    let response = serde_json::from_str::<wire::Response>(&answer.body).unwrap_or_default();
    match (answer.status, response.code.as_str()) {
        (200, _) if response.success => DeliveryResult::Accepted,
        (_, DUPLICATED) => DeliveryResult::AlreadyAccepted,
        (_, RELEASED) => DeliveryResult::SubscriptionCancelled,
        (_, code) if code.starts_with("Throttling") || code == "ServiceUnavailable" => transient(excerpt(answer)),
        (s, _) if is_transient_status(s) => transient(excerpt(answer)),
        (s, code) if (400..500).contains(&s) && !code.is_empty() => rejected(excerpt(answer)),
        _ => transient(format!("unexpected answer: {}", excerpt(answer))),
    }
}
