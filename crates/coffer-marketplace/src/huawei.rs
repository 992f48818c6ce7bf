//! Huawei Cloud KooGallery, modelled on its SaaS usage report (话单上报) for
//! pay-per-use products: `POST /v1/usage-records` with a JSON
//! `{instanceId, records: [{recordId, meteringItem, quantity, unit, beginTime, endTime}]}`
//! and answers carrying KooGallery's `resultCode` / `resultMsg` convention.
//!
//! Modelled on the public API, not certified against it: AK/SK signing is not done,
//! the cloud account id stands for the KooGallery instance id, and the path, field
//! names and result codes other than `000000` are this model's. In this model a
//! quantity may be negative: a credit adjustment.
//!
//! Answers: `000000` → accepted; `MKT.0109` (duplicate record id) → already
//! accepted; `MKT.0302` (instance released) → subscription cancelled; HTTP 429/5xx
//! or `MKT.9999` (system busy) → transient; other codes → rejected.

use coffer_app::marketplace::{DeliveryResult, Marketplace, UsageRecord};
use serde::{Deserialize, Serialize};

use crate::transport::{compact_utc, dimension, excerpt, is_transient_status, rejected, transient, Answer, Transport};

pub const PATH: &str = "/v1/usage-records";
pub const OK: &str = "000000";
pub const DUPLICATE: &str = "MKT.0109";
pub const RELEASED: &str = "MKT.0302";
pub const BUSY: &str = "MKT.9999";

/// The wire shapes, shared with the simulator.
pub mod wire {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct UsageReport {
        pub instance_id: String,
        pub records: Vec<Record>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Record {
        pub record_id: String,
        pub metering_item: String,
        /// A decimal integer as text, in `unit`.
        pub quantity: String,
        /// `minor`: the currency's minor unit.
        pub unit: String,
        /// `yyyyMMddTHHmmssZ`.
        pub begin_time: String,
        pub end_time: String,
    }

    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Answer {
        pub result_code: String,
        #[serde(default)]
        pub result_msg: String,
    }
}

/// The Huawei adapter.
#[derive(Clone, Debug)]
pub struct HuaweiMarketplace {
    transport: Transport,
}

impl HuaweiMarketplace {
    pub fn new(base_url: &str) -> HuaweiMarketplace {
        HuaweiMarketplace { transport: Transport::new(base_url) }
    }

    pub fn request(&self, r: &UsageRecord) -> wire::UsageReport {
        let at = compact_utc(r.usage_at.0);
        let record = wire::Record {
            record_id: r.usage_record_id.clone(),
            metering_item: dimension(r).into(),
            quantity: r.amount_minor.to_string(),
            unit: "minor".into(),
            begin_time: at.clone(),
            end_time: at,
        };
        wire::UsageReport { instance_id: r.cloud_account_id.clone(), records: vec![record] }
    }
}

impl Marketplace for HuaweiMarketplace {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult {
        let body = serde_json::to_string(&self.request(record)).unwrap_or_default();
        match self.transport.post_json(PATH, &[], "application/json", &body) {
            Ok(answer) => interpret(&answer),
            Err(e) => transient(e),
        }
    }
}

fn interpret(answer: &Answer) -> DeliveryResult {
    let code = serde_json::from_str::<wire::Answer>(&answer.body).map(|a| a.result_code).unwrap_or_default();
    match code.as_str() {
        OK if answer.status == 200 => DeliveryResult::Accepted,
        DUPLICATE => DeliveryResult::AlreadyAccepted,
        RELEASED => DeliveryResult::SubscriptionCancelled,
        BUSY => transient(excerpt(answer)),
        _ if is_transient_status(answer.status) || code.is_empty() => transient(excerpt(answer)),
        _ => rejected(excerpt(answer)),
    }
}
