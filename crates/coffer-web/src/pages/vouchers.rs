//! Manage Vouchers: the list (filterable by status) and "Activate Vouchers" by code.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_core::code::ActivationCode;
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_core::voucher::VoucherStatus;
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::records::VoucherRecord;
use minijinja::{context, Value};

use crate::fmt::{day, money, when, words};
use crate::forms::{field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

pub fn voucher_view(r: &VoucherRecord, c: Currency, zone: &jiff::tz::TimeZone) -> Value {
    let v = &r.voucher;
    context! {
        id => v.id.0,
        kind => words(v.kind.as_str()),
        face => money(v.face_value.minor(), c),
        balance => money(v.balance_minor, c),
        status => v.status.as_str(),
        activated => when(v.activated_at.0, zone),
        from => day(v.window.from.0, zone),
        until => v.window.until.map(|t| day(t.0 - 1, zone)).unwrap_or_else(|| "no expiry".into()),
    }
}

pub async fn list(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let status = q.get("status").filter(|s| VoucherStatus::parse(s).is_some()).cloned();
    let st = status.clone();
    let vouchers = load(&s, move |app| app.vouchers(AccountId(id), st.as_deref())).await?;
    let zone = crate::fmt::zone_of(&o.account);
    let ctx = context! {
        vouchers => vouchers.iter().map(|r| voucher_view(r, o.account.account.currency, &zone)).collect::<Vec<_>>(),
        statuses => VoucherStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        status,
        notice => super::notice(&q),
    };
    Ok(render("vouchers.html", with(base(&v, Some(&o.account), "vouchers"), ctx)))
}

fn form_page(v: &Viewer, o: &AccountOverview, code: &str, errors: Errors) -> axum::response::Response {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! { values => context! { code }, errors };
    render_status(status, "activate.html", with(base(v, Some(&o.account), "vouchers"), ctx))
}

pub async fn form(State(s): State<AppState>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    let o = super::account(&s, &v, id, Need::Pay).await?;
    Ok(form_page(&v, &o, "", Errors::default()))
}

/// Step one checks the code's format (typos are caught by its check character) and
/// asks for confirmation; step two redeems it.
pub async fn submit(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Pay).await?;
    let raw = field(&form, "code").to_owned();
    let code = match ActivationCode::parse(&raw) {
        Ok(code) => code,
        Err(e) => {
            let mut errors = Errors::default();
            errors
                .add("code", if raw.is_empty() { "Enter the activation code".to_owned() } else { cap(&e.to_string()) });
            return Ok(form_page(&v, &o, &raw, errors));
        }
    };
    if field(&form, "confirm") != "yes" {
        let ctx = context! {
            heading => "Activate this voucher?",
            rows => vec![("Account", o.account.account.name.clone()), ("Activation code", code.display_grouped())],
            note => "The voucher's value is added to this account and the code can never be used again.",
            action => format!("/accounts/{id}/vouchers/activate"),
            hidden => HashMap::from([("code", code.display_grouped())]),
            button => "Activate voucher",
            back => format!("/accounts/{id}/vouchers"),
        };
        return Ok(render("confirm.html", with(base(&v, Some(&o.account), "vouchers"), ctx)));
    }
    let canonical = code.canonical().to_owned();
    match run(&s, move |app| app.activate_code(AccountId(id), &canonical)).await? {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/vouchers?done=activated")).into_response()),
        Err(e) => Ok(form_page(&v, &o, &raw, Errors::from_app(&e, &["code"], &[]))),
    }
}

fn cap(text: &str) -> String {
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
