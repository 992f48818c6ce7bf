//! The cloud marketplace outbox (DOMAIN §7): usage records waiting for, or done
//! with, delivery to the providers, filterable by state, and a button that runs a
//! delivery pass now instead of waiting for the background one. Without configured
//! marketplace adapters (only `serve --demo` configures them) a pass records each
//! due item's failure and schedules it again.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::cloud_delivery::DeliveryReport;
use coffer_http::AppState;
use coffer_store::rails::OutboxItem;
use minijinja::{context, Value};

use crate::fmt::{money, when};
use crate::forms::FormData;
use crate::view::{base, render, with};
use crate::viewer::{load, PageResult, Viewer};

fn item_view(i: &OutboxItem, zone: &jiff::tz::TimeZone) -> Value {
    let x = &i.item;
    context! {
        id => i.id, account => x.account_id.0, charge => x.charge_id.0, provider => x.provider.as_str(),
        cloud_account => x.cloud_account_id.clone(), usage => x.usage_record_id.clone(),
        amount => money(x.amount_minor, x.currency), state => i.state.as_str(), attempts => i.attempts,
        next => when(i.next_attempt_at.0, zone), error => i.last_error.clone(),
        delivered => i.delivered_at.map(|t| when(t.0, zone)),
    }
}

/// The pass's counts, carried in the redirect's query so a reload shows them again
/// without running another pass.
fn report_query(r: &DeliveryReport) -> String {
    format!(
        "attempted={}&delivered={}&retried={}&rejected={}&deferred={}",
        r.attempted, r.delivered, r.retried, r.rejected, r.deferred
    )
}

fn report_notice(q: &HashMap<String, String>) -> Option<String> {
    let n = |k: &str| q.get(k).and_then(|v| v.parse::<u32>().ok());
    let (attempted, delivered, retried) = (n("attempted")?, n("delivered")?, n("retried")?);
    let (rejected, deferred) = (n("rejected")?, n("deferred")?);
    Some(format!(
        "Delivery pass done: {attempted} attempted, {delivered} delivered, {retried} to retry, \
         {rejected} rejected, {deferred} deferred."
    ))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> PageResult {
    v.require_operator()?;
    let state = q.get("state").cloned().unwrap_or_default();
    let st = state.clone();
    let items = load(&s, move |app| app.outbox(Some(st.as_str()).filter(|x| !x.is_empty()), 200)).await?;
    // The console shows instants in the demo's home zone, like the recharge log.
    let zone = coffer_app::tz::zone("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    let items: Vec<Value> = items.iter().map(|i| item_view(i, &zone)).collect();
    let ctx = context! { items, state, notice => report_notice(&q) };
    Ok(render("console_outbox.html", with(base(&v, None, "outbox"), ctx)))
}

pub async fn deliver(State(s): State<AppState>, v: Viewer, Form(form): Form<FormData>) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    let report = load(&s, |app| app.deliver_outbox()).await?;
    Ok(Redirect::to(&format!("/console/cloud-outbox?{}", report_query(&report))).into_response())
}
