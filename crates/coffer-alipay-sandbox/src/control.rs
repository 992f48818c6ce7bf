//! Test and demo controls: `/sim/trades`, `/sim/notifications`, `/sim/control/faults`,
//! `/sim/control/deliver`. Not part of Alipay's protocol.

use axum::extract::State;
use axum::Json;

use crate::faults::Faults;
use crate::notifier::DeliveryInfo;
use crate::state::Sandbox;
use crate::trades::TradeInfo;

/// `GET /sim/trades`.
pub(crate) async fn trades(State(sandbox): State<Sandbox>) -> Json<Vec<TradeInfo>> {
    Json(sandbox.trades())
}

/// `GET /sim/notifications`.
pub(crate) async fn notifications(State(sandbox): State<Sandbox>) -> Json<Vec<DeliveryInfo>> {
    Json(sandbox.deliveries())
}

/// `GET /sim/control/faults`.
pub(crate) async fn faults(State(sandbox): State<Sandbox>) -> Json<Faults> {
    Json(sandbox.faults())
}

/// `POST /sim/control/faults`: replaces every knob (omitted ones are off) and echoes them.
pub(crate) async fn set_faults(State(sandbox): State<Sandbox>, Json(faults): Json<Faults>) -> Json<Faults> {
    sandbox.set_faults(faults);
    Json(sandbox.faults())
}

/// `POST /sim/control/deliver`: one delivery round now (for demos without a notifier loop).
pub(crate) async fn deliver(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    let sent = tokio::task::spawn_blocking(move || sandbox.deliver_due()).await.unwrap_or(0);
    Json(serde_json::json!({ "sent": sent }))
}
