//! AWS Marketplace, modelled on the Metering Service's `BatchMeterUsage` (SaaS):
//! `POST /` with `X-Amz-Target: AWSMPMeteringService.BatchMeterUsage` and an
//! `application/x-amz-json-1.1` body of one usage record per call.
//!
//! Modelled on the public API, not certified against it: SigV4 signing is not done,
//! and real AWS deduplicates by customer, dimension and hour, so a production
//! integration must aggregate per hour. Here the usage record id travels as a
//! usage-allocation tag ([`RECORD_ID_TAG`]) and is the simulator's dedup key.
//!
//! Answers: result status `Success` → accepted, `DuplicateRecord` → already
//! accepted, `CustomerNotSubscribed` → subscription cancelled, unprocessed records →
//! transient; errors by `__type`: throttling and internal errors → transient,
//! `Invalid*`/`TimestampOutOfBounds` → rejected. Metering takes no credits, so a
//! negative record is rejected without a call (decision 004).

use coffer_app::marketplace::{DeliveryResult, Marketplace, UsageRecord};
use serde::{Deserialize, Serialize};

use crate::transport::{dimension, excerpt, is_transient_status, rejected, transient, Answer, Transport};

pub const TARGET: &str = "AWSMPMeteringService.BatchMeterUsage";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const RECORD_ID_TAG: &str = "coffer_usage_record_id";

/// The wire shapes, shared with the simulator.
pub mod wire {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct BatchMeterUsageRequest {
        pub product_code: String,
        pub usage_records: Vec<UsageRecord>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct UsageRecord {
        /// Seconds since the epoch.
        pub timestamp: i64,
        pub customer_identifier: String,
        pub dimension: String,
        pub quantity: i64,
        #[serde(default)]
        pub usage_allocations: Vec<UsageAllocation>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct UsageAllocation {
        pub allocated_usage_quantity: i64,
        pub tags: Vec<Tag>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Tag {
        pub key: String,
        pub value: String,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct BatchMeterUsageResponse {
        pub results: Vec<UsageRecordResult>,
        #[serde(default)]
        pub unprocessed_records: Vec<UsageRecord>,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct UsageRecordResult {
        pub usage_record: UsageRecord,
        pub metering_record_id: Option<String>,
        /// `Success`, `CustomerNotSubscribed` or `DuplicateRecord`.
        pub status: String,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub struct Error {
        #[serde(rename = "__type")]
        pub kind: String,
        pub message: String,
    }

    impl UsageRecord {
        /// The tag carrying Coffer's usage record id, if any.
        pub fn record_id(&self) -> Option<&str> {
            let tags = self.usage_allocations.iter().flat_map(|a| a.tags.iter());
            tags.filter(|t| t.key == RECORD_ID_TAG).map(|t| t.value.as_str()).next()
        }
    }
}

/// The AWS adapter.
#[derive(Clone, Debug)]
pub struct AwsMarketplace {
    transport: Transport,
    product_code: String,
}

impl AwsMarketplace {
    pub fn new(base_url: &str, product_code: &str) -> AwsMarketplace {
        AwsMarketplace { transport: Transport::new(base_url), product_code: product_code.to_owned() }
    }

    /// The request body for one record.
    pub fn request(&self, r: &UsageRecord) -> wire::BatchMeterUsageRequest {
        let tag = wire::Tag { key: RECORD_ID_TAG.into(), value: r.usage_record_id.clone() };
        let record = wire::UsageRecord {
            timestamp: r.usage_at.0.div_euclid(1_000),
            customer_identifier: r.cloud_account_id.clone(),
            dimension: dimension(r).into(),
            quantity: r.amount_minor,
            usage_allocations: vec![wire::UsageAllocation {
                allocated_usage_quantity: r.amount_minor,
                tags: vec![tag],
            }],
        };
        wire::BatchMeterUsageRequest { product_code: self.product_code.clone(), usage_records: vec![record] }
    }
}

impl Marketplace for AwsMarketplace {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult {
        if record.amount_minor < 0 {
            return rejected("AWS Marketplace metering takes no credits; refunds go through AWS");
        }
        if record.amount_minor > i64::from(i32::MAX) {
            return rejected("the quantity exceeds AWS's per-record limit");
        }
        let body = serde_json::to_string(&self.request(record)).unwrap_or_default();
        match self.transport.post_json("", &[("X-Amz-Target", TARGET)], CONTENT_TYPE, &body) {
            Ok(answer) => interpret(&answer),
            Err(e) => transient(e),
        }
    }
}

fn interpret(answer: &Answer) -> DeliveryResult {
    if answer.status != 200 {
        return interpret_error(answer);
    }
    let Ok(response) = serde_json::from_str::<wire::BatchMeterUsageResponse>(&answer.body) else {
        return transient(format!("unreadable answer: {}", excerpt(answer)));
    };
    if !response.unprocessed_records.is_empty() {
        return transient("AWS left the record unprocessed");
    }
    match response.results.first().map(|r| r.status.as_str()) {
        Some("Success") => DeliveryResult::Accepted,
        Some("DuplicateRecord") => DeliveryResult::AlreadyAccepted,
        Some("CustomerNotSubscribed") => DeliveryResult::SubscriptionCancelled,
        _ => transient(format!("unexpected answer: {}", excerpt(answer))),
    }
}

fn interpret_error(answer: &Answer) -> DeliveryResult {
    let kind = serde_json::from_str::<wire::Error>(&answer.body).map(|e| e.kind).unwrap_or_default();
    // `__type` may be qualified: `com.amazonaws.marketplace#ThrottlingException`.
    let kind = kind.rsplit('#').next().unwrap_or_default();
    let permanent = kind.starts_with("Invalid") || kind == "TimestampOutOfBoundsException";
    if permanent && !is_transient_status(answer.status) {
        rejected(format!("{kind}: {}", excerpt(answer)))
    } else {
        transient(excerpt(answer))
    }
}
