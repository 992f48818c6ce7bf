//! The Aliyun endpoint: `PushMeteringData` with RPC-style `Code` errors.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::response::Response;
use coffer_core::workspace::CloudProvider;
use serde_json::json;

use super::state::{worst, Gate, MarketplaceSim, SimUsage, Verdict};
use crate::aliyun::{wire, ACTION, DUPLICATED, RELEASED};

const REQUEST_ID: &str = "SIM-ALIYUN-REQUEST";

fn answer(status: u16, code: &str, message: &str) -> Response {
    let body = json!({"RequestId": REQUEST_ID, "Success": status == 200, "Code": code, "Message": message});
    super::reply(status, "application/json", &body)
}

fn usage_of(m: &wire::Metering) -> Option<SimUsage> {
    Some(SimUsage {
        provider: "aliyun".into(),
        usage_record_id: m.entity("UsageRecordId")?.to_owned(),
        cloud_account_id: m.instance_id.clone(),
        dimension: m.entity("Dimension").unwrap_or_default().to_owned(),
        quantity: m.entity("Amount")?.parse().ok()?,
        accepted_at_ms: 0,
    })
}

pub async fn handle(State(sim): State<MarketplaceSim>, Form(form): Form<HashMap<String, String>>) -> Response {
    if form.get("Action").map(String::as_str) != Some(ACTION) {
        return answer(400, "InvalidAction.NotFound", "only PushMeteringData is simulated");
    }
    let metering = form.get("Metering").map(String::as_str).unwrap_or_default();
    let Ok(list) = serde_json::from_str::<Vec<wire::Metering>>(metering) else {
        return answer(400, "InvalidParameter", "Metering must be a JSON list");
    };
    let Some(usages) = list.iter().map(usage_of).collect::<Option<Vec<_>>>() else {
        return answer(400, "InvalidParameter", "each metering needs UsageRecordId and an integer Amount");
    };
    match sim.gate(CloudProvider::Aliyun) {
        Gate::Open => {}
        Gate::Throttled => return answer(400, "Throttling.User", "request was denied due to user flow control"),
        Gate::Unavailable => return answer(503, "ServiceUnavailable", "simulated outage"),
    }
    let verdicts: Vec<Verdict> = usages.into_iter().map(|u| sim.judge(CloudProvider::Aliyun, u)).collect();
    match worst(&verdicts) {
        Verdict::Accepted => answer(200, "200", "success"),
        Verdict::Duplicate => answer(400, DUPLICATED, "the metering record was already pushed"),
        Verdict::Cancelled => answer(400, RELEASED, "the instance was released"),
        Verdict::Rejected => answer(400, "InvalidParameter.Metering", "rejected by the simulator"),
        Verdict::AnswerLost => answer(503, "ServiceUnavailable", "simulated lost answer"),
    }
}
