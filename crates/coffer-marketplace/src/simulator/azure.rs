//! The Azure endpoint: a single usage event, deduplicated by `x-ms-requestid`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use coffer_core::workspace::CloudProvider;
use serde_json::json;

use super::state::{Gate, MarketplaceSim, SimUsage, Verdict};
use crate::azure::{wire, REQUEST_ID_HEADER};

fn error(status: u16, code: &str, message: &str) -> Response {
    super::reply(status, "application/json", &json!({"code": code, "message": message}))
}

fn accepted(id: &str, event: &wire::UsageEvent) -> Response {
    let body = wire::UsageEventResponse {
        usage_event_id: format!("sim-{id}"),
        status: "Accepted".into(),
        message_time: event.effective_start_time.clone(),
        resource_id: event.resource_id.clone(),
        quantity: event.quantity,
        dimension: event.dimension.clone(),
        effective_start_time: event.effective_start_time.clone(),
        plan_id: event.plan_id.clone(),
    };
    super::reply(200, "application/json", &serde_json::to_value(body).unwrap_or_default())
}

pub async fn handle(
    State(sim): State<MarketplaceSim>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if query.get("api-version").map(String::as_str) != Some("2018-08-31") {
        return error(400, "BadArgument", "api-version 2018-08-31 is required");
    }
    let id = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let Ok(event) = serde_json::from_str::<wire::UsageEvent>(&body) else {
        return error(400, "BadArgument", "the body is not a usage event");
    };
    if id.is_empty() || event.quantity.is_nan() || event.quantity <= 0.0 {
        return error(400, "BadArgument", "x-ms-requestid and a positive quantity are required");
    }
    match sim.gate(CloudProvider::Azure) {
        Gate::Open => {}
        Gate::Throttled => return error(429, "TooManyRequests", "throttled"),
        Gate::Unavailable => return error(500, "InternalServerError", "simulated outage"),
    }
    #[allow(clippy::cast_possible_truncation)]
    let quantity = event.quantity.round() as i64;
    let usage = SimUsage {
        provider: "azure".into(),
        usage_record_id: id.clone(),
        cloud_account_id: event.resource_id.clone(),
        dimension: event.dimension.clone(),
        quantity,
        accepted_at_ms: 0,
    };
    match sim.judge(CloudProvider::Azure, usage) {
        Verdict::Accepted => accepted(&id, &event),
        Verdict::Duplicate => error(409, "Conflict", "This usage event already exist."),
        Verdict::Cancelled => error(400, "ResourceNotActive", "the SaaS subscription is not active"),
        Verdict::Rejected => error(400, "InvalidDimension", "rejected by the simulator"),
        Verdict::AnswerLost => error(500, "InternalServerError", "simulated lost answer"),
    }
}
