//! A faithful local Alipay (PROTOCOL.md A.9) for Coffer's tests and demo, as a library: mount [`router`] in
//! a server and run [`Sandbox::run_notifier`] beside it (or call [`Sandbox::deliver_due`] from tests).
//!
//! # Routes
//! - `GET|POST /gateway.do`: `alipay.trade.page.pay` (HTML cashier), `alipay.trade.precreate`,
//!   `alipay.trade.query`, `alipay.trade.close` (signed JSON with Alipay's `\/` escaping).
//! - `GET /sim/qr/{token}`: the wallet's view of a scanned QR code (creates the trade).
//! - `POST /sim/cashier/{pay,scan,cancel}`: the cashier's buttons.
//! - `GET /sim/trades`, `GET /sim/notifications`, `GET|POST /sim/control/faults`, `POST /sim/control/deliver`:
//!   inspection and [`Faults`] for tests.
//!
//! # Layout
//! [`state`] (config, clock, shared state), `gateway` (common checks), `api` (JSON methods), `cashier` and
//! `pages` (HTML), `trades` (order and trade lifecycle), `payment` (paying, return URL), [`notifier`]
//! (delivery schedule), [`faults`], `control`, [`demo`] (public demo keys).

mod api;
mod cashier;
mod control;
pub mod demo;
pub mod faults;
mod gateway;
pub mod notifier;
mod pages;
mod payment;
mod refusal;
pub mod state;
mod trades;

use axum::routing::{get, post};
use axum::Router;

pub use faults::{Faults, QueryFailure};
pub use notifier::{AttemptInfo, DeliveryInfo, FOREIGN_APP_ID, FOREIGN_SELLER_ID, SCHEDULE_MS};
pub use state::{system_clock, Clock, Sandbox, SandboxConfig};
pub use trades::TradeInfo;

/// The sandbox's routes, with absolute paths; nest it under a prefix and include that prefix in
/// [`SandboxConfig::base_url`].
pub fn router(state: Sandbox) -> Router {
    Router::new()
        .route("/gateway.do", get(gateway::gateway).post(gateway::gateway))
        .route("/sim/qr/{token}", get(cashier::scan_page))
        .route("/sim/cashier/pay", post(cashier::pay))
        .route("/sim/cashier/scan", post(cashier::scan))
        .route("/sim/cashier/cancel", post(cashier::cancel))
        .route("/sim/trades", get(control::trades))
        .route("/sim/notifications", get(control::notifications))
        .route("/sim/control/faults", get(control::faults).post(control::set_faults))
        .route("/sim/control/deliver", post(control::deliver))
        .with_state(state)
}
