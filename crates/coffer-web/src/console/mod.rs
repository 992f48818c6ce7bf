//! The operator console: finding accounts, direct vouchers and card allocations,
//! cash adjustments and their approval queue, charge reversals, activation-code
//! batches, bank transfers, the Alipay recharge log and the cloud outbox.
//! Customer pages double as the operator's view of one account.

pub mod account;
pub mod adjust;
pub mod adjustments;
pub mod batches;
pub mod outbox;
pub mod transfers;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::Router;
use coffer_http::AppState;
use minijinja::{context, Value};

use crate::fmt::{money, when};
use crate::view::{base, render, with};
use crate::viewer::{load, PageResult, Viewer};

pub fn routes() -> Router<AppState> {
    let a = "/console/accounts/{account_id}";
    Router::new()
        .route("/console", get(accounts))
        .route(a, get(account::page))
        .route(&format!("{a}/vouchers"), post(account::issue_voucher))
        .route(&format!("{a}/cards"), post(account::allocate_card))
        .route(&format!("{a}/adjustments"), post(adjust::adjust))
        .route(&format!("{a}/charges/{{charge_id}}/reverse"), get(account::reverse_form).post(account::reverse))
        .route("/console/code-batches", get(batches::page).post(batches::generate))
        .route("/console/code-batches/{batch_id}/codes.csv", get(batches::download))
        .route("/console/recharges", get(recharges))
        .route("/console/bank-transfers", get(transfers::page).post(transfers::record))
        .route("/console/bank-transfers/{transfer_id}/assign", post(transfers::assign))
        .route("/console/bank-transfers/{transfer_id}/approve", post(transfers::approve))
        .route("/console/adjustments", get(adjustments::page))
        .route("/console/cloud-outbox", get(outbox::page))
        .route("/console/cloud-outbox/deliver", post(outbox::deliver))
        .route("/console/adjustments/{request_id}/approve", post(adjustments::approve))
        .route("/console/adjustments/{request_id}/reject", post(adjustments::reject))
}

/// Accounts, searchable by name, number or transfer reference.
pub async fn accounts(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> PageResult {
    v.require_operator()?;
    let query = q.get("q").map(|t| t.trim().to_lowercase()).unwrap_or_default();
    let needle = query.clone();
    let list = load(&s, move |app| {
        let mut out = Vec::new();
        for a in app.accounts()? {
            let x = &a.account;
            let hit = needle.is_empty()
                || x.name.to_lowercase().contains(&needle)
                || x.id.0.to_string() == needle
                || x.transfer_reference.to_lowercase().contains(&needle);
            if hit {
                out.push(app.account_overview(x.id)?);
            }
        }
        Ok(out)
    })
    .await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|o| {
            let c = o.account.account.currency;
            context! {
                id => o.account.account.id.0, name => o.account.account.name.clone(), currency => c.code(),
                reference => o.account.account.transfer_reference.clone(),
                cash => money(o.cash_minor, c), vouchers => money(o.voucher_balance_minor, c),
                cards => money(o.card_balance_minor, c), arrears => money(o.arrears_owed_minor, c),
                in_arrears => o.arrears_owed_minor > 0,
            }
        })
        .collect();
    Ok(render("console_accounts.html", with(base(&v, None, "console"), context! { accounts => rows, q => query })))
}

/// Recharge orders of every account, newest first, and the notification log.
pub async fn recharges(State(s): State<AppState>, v: Viewer) -> PageResult {
    v.require_operator()?;
    let (orders, notes) = load(&s, |app| {
        let mut orders = Vec::new();
        for a in app.accounts()? {
            orders.extend(app.recharge_orders(a.account.id, 100)?);
        }
        orders.sort_by_key(|o| std::cmp::Reverse(o.order.created_at.0));
        Ok((orders, app.alipay_notifications(None, 200)?))
    })
    .await?;
    // The console shows instants in the demo's home zone, where the original bills.
    let zone = coffer_app::tz::zone("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    let orders: Vec<Value> = orders
        .iter()
        .map(|o| {
            let view = crate::pages::recharge::order_view(o, &zone);
            context! { trade => o.trade_no.clone(), ..view }
        })
        .collect();
    let notifications: Vec<Value> = notes
        .iter()
        .map(|n| {
            let x = &n.notification;
            context! { at => when(x.received_at.0, &zone), order => x.out_trade_no.clone(),
            status => x.trade_status.clone(), verdict => x.verdict.clone(), reason => x.reason.clone() }
        })
        .collect();
    let ctx = context! { orders, notifications };
    Ok(render("console_recharges.html", with(base(&v, None, "recharges"), ctx)))
}
