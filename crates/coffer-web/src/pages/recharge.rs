//! Recharge: an amount and Alipay → a confirmation → the sandbox (or Alipay)
//! checkout with its QR code → back to a result page. Bank-transfer instructions
//! with the account's reference code sit next to it. The return page never credits
//! by itself: `handle_alipay_return` verifies the signature and asks Alipay.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_core::ids::AccountId;
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::rails::{RechargeOrder, RechargeState};
use minijinja::{context, Value};

use crate::fmt::{money, when, zone_of};
use crate::forms::{self, field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageError, PageResult, Viewer};

pub fn order_view(o: &RechargeOrder, zone: &jiff::tz::TimeZone) -> Value {
    context! {
        no => o.order.out_trade_no.clone(),
        account_id => o.order.account_id.0,
        amount => money(o.order.amount.minor(), o.order.currency),
        state => o.state.as_str(),
        created => when(o.order.created_at.0, zone),
        paid => o.paid_at.map(|t| when(t.0, zone)),
        late => o.late,
        channel => o.order.channel.clone(),
        qr_svg => o.qr_code.as_deref().filter(|_| o.state.as_str() == "pending").and_then(qr_svg),
    }
}

/// The precreate QR code, drawn here as SVG: Coffer renders it itself (PROTOCOL A.3).
fn qr_svg(content: &str) -> Option<String> {
    let code = qrcode::QrCode::new(content.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).build())
}

/// `alipay_qr` (a QR code on our page: precreate) or `alipay` (Alipay's checkout: page.pay).
fn channel_of(method: &str) -> &'static str {
    if method == "alipay_qr" {
        "precreate"
    } else {
        "page_pay"
    }
}

async fn page_with(s: &AppState, v: &Viewer, o: &AccountOverview, values: Value, errors: Errors) -> PageResult {
    let id = o.account.account.id;
    let (instructions, orders) =
        load(s, move |app| Ok((app.recharge_instructions(id)?, app.recharge_orders(id, 10)?))).await?;
    let zone = zone_of(&o.account);
    let b = &instructions.bank;
    let ctx = context! {
        alipay => s.app.config.alipay.is_some(),
        bank => context! { payee => b.payee_name.clone(), bank => b.bank_name.clone(),
            number => b.account_number.clone(), swift => b.swift.clone(), branch => b.branch.clone() },
        orders => orders.iter().map(|o| order_view(o, &zone)).collect::<Vec<_>>(),
        values, errors => errors.clone(),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_status(status, "recharge.html", with(base(v, Some(&o.account), "recharge"), ctx)))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    page_with(&s, &v, &o, context! {}, Errors::default()).await
}

/// Step one checks the amount and shows a confirmation; step two (`confirm=yes`)
/// creates the order and sends the browser to the checkout.
pub async fn submit(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Pay).await?;
    let c = o.account.account.currency;
    let mut errors = Errors::default();
    let amount = forms::amount(&form, "amount", c, &mut errors);
    let values = context! { amount => field(&form, "amount") };
    let Some(amount) = amount else { return page_with(&s, &v, &o, values, errors).await };
    if field(&form, "confirm") != "yes" {
        let ctx = context! {
            heading => "Recharge with Alipay",
            rows => vec![("Account", o.account.account.name.clone()), ("Amount", money(amount, c)), ("Pay with", "Alipay".to_owned())],
            note => "You will be taken to the Alipay checkout to scan the QR code and pay.",
            action => format!("/accounts/{id}/recharge"),
            hidden => HashMap::from([
                ("amount", crate::fmt::plain(amount, c)),
                ("key", forms::new_key()),
                ("method", field(&form, "method").to_owned()),
            ]),
            button => format!("Pay {} with Alipay", money(amount, c)),
            back => format!("/accounts/{id}/recharge"),
        };
        return Ok(render("confirm.html", with(base(&v, Some(&o.account), "recharge"), ctx)));
    }
    let key = field(&form, "key").to_owned();
    let channel = channel_of(field(&form, "method"));
    let currency = c.code();
    let started = run(&s, move |app| {
        let req = CreateRecharge {
            account_id: AccountId(id),
            amount_minor: amount,
            currency,
            channel,
            idempotency_key: Some(key.as_str()).filter(|k| !k.is_empty()),
        };
        app.create_recharge(&req)
    })
    .await?;
    match started {
        Ok(st) => match st.pay_url {
            Some(url) => Ok(Redirect::to(&url).into_response()),
            None => {
                Ok(Redirect::to(&format!("/accounts/{id}/recharges/{}", st.order.order.out_trade_no)).into_response())
            }
        },
        Err(e) => page_with(&s, &v, &o, values, Errors::from_app(&e, &["amount"], &[])).await,
    }
}

async fn result_page(s: &AppState, v: Option<&Viewer>, order: &RechargeOrder) -> PageResult {
    let account = order.order.account_id;
    let o = match v {
        Some(_) => Some(load(s, move |app| app.account_overview(account)).await?),
        None => None,
    };
    let zone = o.as_ref().map(|o| zone_of(&o.account)).unwrap_or(jiff::tz::TimeZone::UTC);
    let order_path = format!("/accounts/{}/recharges/{}", account.0, order.order.out_trade_no);
    let page = context! { order => order_view(order, &zone), order_path };
    let ctx = match (v, &o) {
        (Some(v), Some(o)) => with(base(v, Some(&o.account), "recharge"), page),
        _ => page,
    };
    Ok(render("recharge_result.html", ctx))
}

pub async fn show(State(s): State<AppState>, v: Viewer, Path((id, no)): Path<(i64, String)>) -> PageResult {
    v.require(AccountId(id), Need::Read)?;
    let order = load(&s, move |app| app.recharge_order(AccountId(id), &no)).await?;
    result_page(&s, Some(&v), &order).await
}

/// "I have paid": asks Alipay now instead of waiting for the notification.
pub async fn check(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, no)): Path<(i64, String)>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    v.require(AccountId(id), Need::Read)?;
    let order = load(&s, move |app| {
        let order = app.recharge_order(AccountId(id), &no)?;
        if order.state == RechargeState::Paid {
            return Ok(order);
        }
        app.confirm_recharge(&no)
    })
    .await?;
    Ok(Redirect::to(&format!("/accounts/{id}/recharges/{}", order.order.out_trade_no)).into_response())
}

/// Where Alipay sends the browser back. A session is optional here: after a
/// cross-site redirect a SameSite=Strict cookie is not sent, and the signed return
/// is enough to show the order's own state.
pub async fn alipay_return(
    State(s): State<AppState>,
    viewer: Result<Viewer, PageError>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = query.unwrap_or_default();
    let order = load(&s, move |app| app.handle_alipay_return(&query)).await?;
    let v = viewer.ok().filter(|v| v.may(order.order.account_id, Need::Read));
    result_page(&s, v.as_ref(), &order).await
}
