//! The Huawei endpoint: the KooGallery usage report with `resultCode` answers.

use axum::extract::State;
use axum::response::Response;
use coffer_core::workspace::CloudProvider;
use serde_json::json;

use super::state::{worst, Gate, MarketplaceSim, SimUsage, Verdict};
use crate::huawei::{wire, BUSY, DUPLICATE, OK, RELEASED};

fn answer(status: u16, code: &str, message: &str) -> Response {
    super::reply(status, "application/json", &json!({"resultCode": code, "resultMsg": message}))
}

fn usage_of(instance: &str, r: &wire::Record) -> Option<SimUsage> {
    Some(SimUsage {
        provider: "huawei".into(),
        usage_record_id: r.record_id.clone(),
        cloud_account_id: instance.to_owned(),
        dimension: r.metering_item.clone(),
        quantity: r.quantity.parse().ok()?,
        accepted_at_ms: 0,
    })
}

pub async fn handle(State(sim): State<MarketplaceSim>, body: String) -> Response {
    let Ok(report) = serde_json::from_str::<wire::UsageReport>(&body) else {
        return answer(400, "MKT.0100", "the request body is not a usage report");
    };
    let usages: Option<Vec<SimUsage>> = report.records.iter().map(|r| usage_of(&report.instance_id, r)).collect();
    let Some(usages) = usages.filter(|u| !u.is_empty() && u.iter().all(|x| !x.usage_record_id.is_empty())) else {
        return answer(400, "MKT.0100", "each record needs a recordId and an integer quantity");
    };
    match sim.gate(CloudProvider::Huawei) {
        Gate::Open => {}
        Gate::Throttled => return answer(429, BUSY, "too many requests"),
        Gate::Unavailable => return answer(500, BUSY, "system busy"),
    }
    let verdicts: Vec<Verdict> = usages.into_iter().map(|u| sim.judge(CloudProvider::Huawei, u)).collect();
    match worst(&verdicts) {
        Verdict::Accepted => answer(200, OK, "Success."),
        Verdict::Duplicate => answer(200, DUPLICATE, "the record id was already reported"),
        Verdict::Cancelled => answer(200, RELEASED, "the instance was released"),
        Verdict::Rejected => answer(400, "MKT.0100", "rejected by the simulator"),
        Verdict::AnswerLost => answer(500, BUSY, "simulated lost answer"),
    }
}
