//! The `/v1` API, one module per area, merged here.

pub mod accounts;
pub mod adjustments;
pub mod bank_transfers;
pub mod cards;
pub mod cash;
pub mod charges;
pub mod cloud;
pub mod events;
pub mod health;
pub mod identity;
pub mod recharges;
pub mod statements;
pub mod vouchers;
pub mod webhooks;
pub mod workspaces;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;

use crate::state::AppState;

pub fn v1() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts", post(accounts::create).get(accounts::list))
        .route("/v1/accounts/{account_id}", get(accounts::show))
        .route("/v1/accounts/{account_id}/arrears-limit", put(accounts::set_arrears_limit))
        .route("/v1/accounts/{account_id}/workspaces", get(workspaces::list).post(workspaces::bind))
        .route("/v1/accounts/{account_id}/workspaces/{workspace_id}", axum::routing::delete(workspaces::unbind))
        .route("/v1/accounts/{account_id}/workspaces/{workspace_id}/settlement", put(workspaces::change_settlement))
        .route("/v1/workspaces/{workspace_id}/state", get(events::workspace_state))
        .route("/v1/accounts/{account_id}/events", get(events::account_events))
        .route("/v1/accounts/{account_id}/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/v1/accounts/{account_id}/webhooks/{webhook_id}", axum::routing::delete(webhooks::delete))
        .route("/v1/accounts/{account_id}/webhooks/{webhook_id}/enabled", put(webhooks::set_enabled))
        .route("/v1/accounts/{account_id}/notification-deliveries", get(webhooks::deliveries))
        .route("/v1/accounts/{account_id}/cash-credits", post(cash::credit))
        .route("/v1/accounts/{account_id}/vouchers", get(vouchers::list).post(vouchers::issue))
        .route("/v1/accounts/{account_id}/vouchers/activate", post(vouchers::activate))
        .route("/v1/accounts/{account_id}/vouchers/{voucher_id}/revoke", post(vouchers::revoke))
        .route("/v1/voucher-batches", post(vouchers::create_batch))
        .route("/v1/accounts/{account_id}/prepaid-cards", get(cards::list).post(cards::buy))
        .route("/v1/accounts/{account_id}/prepaid-cards/allocate", post(cards::allocate))
        .route("/v1/charges", post(charges::settle))
        .route("/v1/charges/preview", post(charges::preview))
        .route("/v1/accounts/{account_id}/charges/{charge_id}", get(charges::show))
        .route("/v1/accounts/{account_id}/charges/{charge_id}/reverse", post(charges::reverse))
        .route("/v1/accounts/{account_id}/adjustments", post(charges::adjust))
        .route("/v1/adjustment-requests", get(adjustments::list))
        .route("/v1/adjustment-requests/{request_id}/approve", post(adjustments::approve))
        .route("/v1/adjustment-requests/{request_id}/reject", post(adjustments::reject))
        .route("/v1/accounts/{account_id}/statements/income-expenditure", get(statements::income_expenditure))
        .route("/v1/accounts/{account_id}/statements/consumption", get(statements::consumption))
        .route("/v1/accounts/{account_id}/statements/monthly", get(statements::monthly))
        .route("/v1/session", post(identity::login).delete(identity::logout))
        .route("/v1/tokens", post(identity::create_token))
        .route("/v1/accounts/{account_id}/tokens", get(identity::account_tokens))
        .route("/v1/accounts/{account_id}/members", get(identity::members).post(identity::create_member))
        .route("/v1/accounts/{account_id}/recharges", get(recharges::list).post(recharges::create))
        .route("/v1/accounts/{account_id}/recharges/{out_trade_no}", get(recharges::show))
        .route("/v1/alipay/notify", post(recharges::notify))
        .route("/v1/alipay/return", get(recharges::return_page))
        .route("/v1/alipay/notifications", get(recharges::notifications))
        .route("/v1/recharges/sweep", post(recharges::sweep))
        .route("/v1/accounts/{account_id}/charges/{charge_id}/cloud-delivery", get(cloud::charge_delivery))
        .route("/v1/cloud-outbox", get(cloud::outbox))
        .route("/v1/cloud-outbox/deliver", post(cloud::deliver))
        .route("/v1/cloud-subscriptions/cancel", post(cloud::cancel_subscription))
        .route("/v1/bank-transfers", post(bank_transfers::record).get(bank_transfers::list))
        .route("/v1/bank-transfers/{transfer_id}", get(bank_transfers::show))
        .route("/v1/bank-transfers/{transfer_id}/assign", post(bank_transfers::assign))
        .route("/v1/bank-transfers/{transfer_id}/approve", post(bank_transfers::approve))
        .route(
            "/v1/bank-statements",
            post(bank_transfers::import).layer(DefaultBodyLimit::max(bank_transfers::STATEMENT_BODY_LIMIT_BYTES)),
        )
        .route("/v1/accounts/{account_id}/recharge-instructions", get(bank_transfers::recharge_instructions))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
}
