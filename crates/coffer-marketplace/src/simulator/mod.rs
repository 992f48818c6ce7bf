//! A local cloud marketplace for tests and the demo: one endpoint per provider,
//! each speaking that provider's modelled contract (see the adapter modules), over
//! one shared memory with fault knobs.
//!
//! # Routes
//! - `POST /aws`: `BatchMeterUsage` (`X-Amz-Target` header, amz-json body).
//! - `POST /aliyun`: `PushMeteringData` (form).
//! - `POST /huawei/v1/usage-records`: KooGallery usage report (JSON).
//! - `POST /azure/api/usageEvent?api-version=2018-08-31`: Azure usage event (JSON).
//! - `GET /sim/usage`: every accepted record; `POST /sim/control/faults`
//!   `{provider, transient_failures, rejections, lost_answers}`;
//!   `POST /sim/control/cancel` `{provider, cloud_account_id}`.
//!
//! Nest [`router`] under a prefix and point the adapters at `<prefix>/<provider>`
//! ([`crate::demo::marketplaces`] does).

mod aliyun;
mod aws;
mod azure;
mod control;
mod huawei;
pub mod state;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub use state::{Faults, MarketplaceSim, SimUsage};

/// The simulator's routes, with absolute paths.
pub fn router(sim: MarketplaceSim) -> Router {
    Router::new()
        .route("/aws", post(aws::handle))
        .route("/aliyun", post(aliyun::handle))
        .route("/huawei/v1/usage-records", post(huawei::handle))
        .route("/azure/api/usageEvent", post(azure::handle))
        .route("/sim/usage", get(control::usage))
        .route("/sim/control/faults", post(control::set_faults))
        .route("/sim/control/cancel", post(control::cancel))
        .with_state(sim)
}

/// A JSON answer with a given status and content type.
fn reply(status: u16, content_type: &'static str, body: &serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, content_type)], body.to_string()).into_response()
}
