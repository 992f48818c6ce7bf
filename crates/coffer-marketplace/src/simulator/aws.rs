//! The AWS endpoint: `BatchMeterUsage` with AWS's JSON-protocol errors.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use coffer_core::workspace::CloudProvider;
use serde_json::json;

use super::state::{worst, Gate, MarketplaceSim, SimUsage, Verdict};
use crate::aws::{wire, CONTENT_TYPE, TARGET};

fn error(status: u16, kind: &str, message: &str) -> Response {
    super::reply(status, CONTENT_TYPE, &json!({"__type": kind, "message": message}))
}

pub async fn handle(State(sim): State<MarketplaceSim>, headers: HeaderMap, body: String) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if target != TARGET {
        return error(400, "UnknownOperationException", "only BatchMeterUsage is simulated");
    }
    let request: wire::BatchMeterUsageRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "SerializationException", &e.to_string()),
    };
    match sim.gate(CloudProvider::Aws) {
        Gate::Open => {}
        Gate::Throttled => return error(400, "ThrottlingException", "rate exceeded"),
        Gate::Unavailable => return error(500, "InternalServiceErrorException", "simulated outage"),
    }
    let mut results = Vec::new();
    let mut verdicts = Vec::new();
    for record in request.usage_records {
        let Some(id) = record.record_id().map(str::to_owned) else {
            return error(400, "InvalidTagException", "the coffer_usage_record_id tag is required");
        };
        if record.quantity < 0 {
            return error(400, "InvalidUsageAllocationsException", "quantities are never negative");
        }
        let usage = SimUsage {
            provider: "aws".into(),
            usage_record_id: id.clone(),
            cloud_account_id: record.customer_identifier.clone(),
            dimension: record.dimension.clone(),
            quantity: record.quantity,
            accepted_at_ms: 0,
        };
        let verdict = sim.judge(CloudProvider::Aws, usage);
        let status = match verdict {
            Verdict::Accepted | Verdict::AnswerLost => "Success",
            Verdict::Duplicate => "DuplicateRecord",
            Verdict::Cancelled => "CustomerNotSubscribed",
            Verdict::Rejected => return error(400, "InvalidUsageDimensionException", "rejected by the simulator"),
        };
        verdicts.push(verdict);
        results.push(json!({"UsageRecord": record, "MeteringRecordId": format!("sim-{id}"), "Status": status}));
    }
    if worst(&verdicts) == Verdict::AnswerLost {
        return error(500, "InternalServiceErrorException", "simulated lost answer");
    }
    super::reply(200, CONTENT_TYPE, &json!({"Results": results, "UnprocessedRecords": []}))
}
