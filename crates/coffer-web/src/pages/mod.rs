//! The customer side: one module per area of the Billing Center. Operators see the
//! same pages for any account (DOMAIN §10: operators may do everything).

pub mod cards;
pub mod chart;
pub mod login;
pub mod overview;
pub mod recharge;
pub mod statements;
pub mod team;
pub mod vouchers;
pub mod workspaces;

use std::collections::HashMap;

use axum::routing::{get, post};
use axum::Router;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_core::ids::AccountId;
use coffer_http::caller::Need;
use coffer_http::AppState;

use crate::viewer::{load, PageError, Viewer};

pub fn routes() -> Router<AppState> {
    let a = "/accounts/{account_id}";
    Router::new()
        .route("/", get(login::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route(a, get(overview::page))
        .route(&format!("{a}/recharge"), get(recharge::page).post(recharge::submit))
        .route(&format!("{a}/recharges/{{out_trade_no}}"), get(recharge::show))
        .route(&format!("{a}/recharges/{{out_trade_no}}/check"), post(recharge::check))
        .route("/recharge/return", get(recharge::alipay_return))
        .route(&format!("{a}/vouchers"), get(vouchers::list))
        .route(&format!("{a}/vouchers/activate"), get(vouchers::form).post(vouchers::submit))
        .route(&format!("{a}/cards"), get(cards::list))
        .route(&format!("{a}/cards/buy"), get(cards::form).post(cards::submit))
        .route(&format!("{a}/cards/bonus"), get(cards::bonus))
        .route(&format!("{a}/workspaces"), get(workspaces::page))
        .route(&format!("{a}/workspaces/{{workspace_id}}/settlement"), post(workspaces::change))
        .route(&format!("{a}/statements"), get(statements::page))
        .route(&format!("{a}/statements/export.csv"), get(statements::export))
        .route(&format!("{a}/team"), get(team::page))
        .route(&format!("{a}/members"), post(team::add_member))
        .route(&format!("{a}/tokens"), post(team::create_token))
        .route(&format!("{a}/tokens/{{token_id}}/revoke"), post(team::revoke_token))
}

/// Checks `need` on the account, then loads it with its balances. The check comes
/// first, so a foreign account is a 404 whether or not it exists.
pub async fn account(s: &AppState, v: &Viewer, id: i64, need: Need) -> Result<AccountOverview, PageError> {
    let id = AccountId(id);
    v.require(id, need)?;
    load(s, move |app| app.account_overview(id)).await
}

/// The message for a `?done=` code set by a redirect after a successful form.
pub fn notice(query: &HashMap<String, String>) -> Option<&'static str> {
    Some(match query.get("done")?.as_str() {
        "activated" => "Voucher activated.",
        "card" => "Prepaid card bought.",
        "card_bonus" => "Prepaid card bought. Its bonus discount voucher is now among your vouchers.",
        "settlement" => "Settlement method changed.",
        "member" => "Member added.",
        "revoked" => "Token revoked.",
        "voucher" => "Voucher issued.",
        "allocated" => "Prepaid card allocated.",
        "reversed" => "Charge reversed.",
        "adjusted" => "Cash adjusted.",
        "adjustment_pending" => "The adjustment is above the approval threshold; it waits for a second operator.",
        _ => return None,
    })
}
