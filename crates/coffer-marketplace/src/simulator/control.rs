//! Inspection and fault knobs over HTTP, for tests and the demo.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coffer_core::workspace::CloudProvider;
use serde::Deserialize;

use super::state::{Faults, MarketplaceSim, SimUsage};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsRequest {
    pub provider: String,
    #[serde(default)]
    pub transient_failures: u32,
    #[serde(default)]
    pub rejections: u32,
    #[serde(default)]
    pub lost_answers: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub provider: String,
    pub cloud_account_id: String,
}

fn provider(name: &str) -> Result<CloudProvider, (StatusCode, String)> {
    CloudProvider::parse(name)
        .ok_or_else(|| (StatusCode::BAD_REQUEST, "provider must be aliyun, aws, huawei or azure".to_owned()))
}

pub async fn usage(State(sim): State<MarketplaceSim>) -> Json<Vec<SimUsage>> {
    Json(sim.usage())
}

pub async fn set_faults(
    State(sim): State<MarketplaceSim>,
    Json(req): Json<FaultsRequest>,
) -> Result<Json<Faults>, (StatusCode, String)> {
    let p = provider(&req.provider)?;
    let faults = Faults {
        transient_failures: req.transient_failures,
        rejections: req.rejections,
        lost_answers: req.lost_answers,
    };
    sim.set_faults(p, faults);
    Ok(Json(faults))
}

pub async fn cancel(
    State(sim): State<MarketplaceSim>,
    Json(req): Json<CancelRequest>,
) -> Result<StatusCode, (StatusCode, String)> {
    sim.cancel_subscription(provider(&req.provider)?, &req.cloud_account_id);
    Ok(StatusCode::NO_CONTENT)
}
