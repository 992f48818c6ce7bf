//! Operator actions on one account: issue a voucher, allocate a prepaid card,
//! adjust cash (`adjust`), reverse a charge. Each goes through a confirmation page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_core::ids::{AccountId, ChargeId};
use coffer_http::caller::Need;
use coffer_http::AppState;
use minijinja::{context, Value};

use crate::fmt::{money, plain, zone_of};
use crate::forms::{self, field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

/// A failed form to show again: which one, its values and errors.
type Failed<'a> = Option<(&'a str, Value, Errors)>;

async fn render_page(
    s: &AppState,
    v: &Viewer,
    o: &AccountOverview,
    failed: Failed<'_>,
    notice: Option<&str>,
) -> PageResult {
    let id = o.account.account.id;
    let orders = load(s, move |app| app.recharge_orders(id, 50)).await?;
    let zone = zone_of(&o.account);
    let orders: Vec<Value> = orders.iter().map(|x| crate::pages::recharge::order_view(x, &zone)).collect();
    let blank = |defaults: Value| (defaults, Errors::default());
    let (mut voucher, mut card) = (blank(context! { kind => "standard", valid_days => "90" }), blank(context! {}));
    let mut adjust = blank(context! {});
    let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    match failed {
        Some(("voucher", values, errors)) => voucher = (values, errors),
        Some(("adjust", values, errors)) => adjust = (values, errors),
        Some((_, values, errors)) => card = (values, errors),
        None => {}
    }
    let ctx = context! {
        orders, notice,
        voucher_values => voucher.0, voucher_errors => voucher.1,
        card_values => card.0, card_errors => card.1,
        adjust_values => adjust.0, adjust_errors => adjust.1,
        threshold => money(s.app.config.approval_threshold_minor, o.account.account.currency),
    };
    Ok(render_status(status, "console_account.html", with(base(v, Some(&o.account), "operate"), ctx)))
}

pub(crate) async fn render_failed(
    s: &AppState,
    v: &Viewer,
    o: &AccountOverview,
    form: &str,
    values: Value,
    errors: Errors,
) -> PageResult {
    render_page(s, v, o, Some((form, values, errors)), None).await
}

pub(crate) async fn operator_account(
    s: &AppState,
    v: &Viewer,
    id: i64,
) -> Result<AccountOverview, crate::viewer::PageError> {
    v.require_operator()?;
    crate::pages::account(s, v, id, Need::Operator).await
}

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = operator_account(&s, &v, id).await?;
    render_page(&s, &v, &o, None, crate::pages::notice(&q)).await
}

pub(crate) fn confirm_page(
    v: &Viewer,
    o: &AccountOverview,
    heading: &str,
    rows: Vec<(&str, String)>,
    action: String,
    hidden: HashMap<&str, String>,
    button: String,
) -> axum::response::Response {
    let back = format!("/console/accounts/{}", o.account.account.id.0);
    let ctx = context! { heading, rows, action, hidden, button, back };
    render("confirm.html", with(base(v, Some(&o.account), "operate"), ctx))
}

pub async fn issue_voucher(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = operator_account(&s, &v, id).await?;
    let c = o.account.account.currency;
    let values = context! { kind => field(&form, "kind"), face_value => field(&form, "face_value"), valid_days => field(&form, "valid_days") };
    let mut errors = Errors::default();
    let face = forms::amount(&form, "face_value", c, &mut errors);
    let days = field(&form, "valid_days").parse::<u32>().ok().filter(|d| *d > 0);
    if days.is_none() {
        errors.add("valid_days", "Enter a number of days, at least 1");
    }
    let kind = field(&form, "kind").to_owned();
    let (Some(face), Some(days), true) = (face, days, errors.is_empty()) else {
        return render_page(&s, &v, &o, Some(("voucher", values, errors)), None).await;
    };
    if field(&form, "confirm") != "yes" {
        let rows = vec![
            ("Account", o.account.account.name.clone()),
            ("Kind", kind.clone()),
            ("Face value", money(face, c)),
            ("Valid for", format!("{days} days from now")),
        ];
        let hidden = HashMap::from([
            ("kind", kind),
            ("face_value", plain(face, c)),
            ("valid_days", days.to_string()),
            ("key", forms::new_key()),
        ]);
        return Ok(confirm_page(
            &v,
            &o,
            "Issue this voucher?",
            rows,
            format!("/console/accounts/{id}/vouchers"),
            hidden,
            format!("Issue {}", money(face, c)),
        ));
    }
    let key = field(&form, "key").to_owned();
    let done = run(&s, move |app| {
        let req = IssueVoucher {
            account_id: AccountId(id),
            kind: &kind,
            face_value_minor: face,
            currency: c.code(),
            validity: ValidityInput::Days(days),
            idempotency_key: Some(key.as_str()).filter(|k| !k.is_empty()),
        };
        app.issue_voucher(&req)
    })
    .await?;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/accounts/{id}?done=voucher")).into_response()),
        Err(e) => {
            let errors = Errors::from_app(&e, &["kind", "face_value", "valid_days"], &[]);
            render_page(&s, &v, &o, Some(("voucher", values, errors)), None).await
        }
    }
}

pub async fn allocate_card(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = operator_account(&s, &v, id).await?;
    let c = o.account.account.currency;
    let values = context! { face_value => field(&form, "face_value") };
    let mut errors = Errors::default();
    let Some(face) = forms::amount(&form, "face_value", c, &mut errors) else {
        return render_page(&s, &v, &o, Some(("card", values, errors)), None).await;
    };
    if field(&form, "confirm") != "yes" {
        let rows = vec![
            ("Account", o.account.account.name.clone()),
            ("Face value", money(face, c)),
            ("Paid with", "nothing: an allocation".to_owned()),
        ];
        let hidden = HashMap::from([("face_value", plain(face, c)), ("key", forms::new_key())]);
        return Ok(confirm_page(
            &v,
            &o,
            "Allocate this prepaid card?",
            rows,
            format!("/console/accounts/{id}/cards"),
            hidden,
            format!("Allocate {}", money(face, c)),
        ));
    }
    let key = field(&form, "key").to_owned();
    let done = run(&s, move |app| {
        let req = BuyCard {
            account_id: AccountId(id),
            face_value_minor: face,
            currency: c.code(),
            idempotency_key: Some(key.as_str()).filter(|k| !k.is_empty()),
        };
        app.allocate_card(&req)
    })
    .await?;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/accounts/{id}?done=allocated")).into_response()),
        Err(e) => {
            render_page(&s, &v, &o, Some(("card", values, Errors::from_app(&e, &["face_value"], &[]))), None).await
        }
    }
}

async fn reverse_page(s: &AppState, v: &Viewer, id: i64, charge: i64, reason: &str, errors: Errors) -> PageResult {
    let o = operator_account(s, v, id).await?;
    let c = o.account.account.currency;
    let ch = load(s, move |app| app.charge(AccountId(id), ChargeId(charge))).await?;
    let x = &ch.charge;
    let rows = vec![
        ("Charge", format!("#{} · bill {} of {}", ch.id.0, x.bill_id, x.workspace_id)),
        ("Bill date", x.bill_date.to_string()),
        ("Amount", money(x.amount.minor(), c)),
        ("Effect", "each deduction goes back to the instrument that paid it".to_owned()),
    ];
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! {
        heading => "Reverse this charge?", rows, reason_field => true, reason, errors,
        action => format!("/console/accounts/{id}/charges/{charge}/reverse"), hidden => HashMap::<String, String>::new(),
        button => "Reverse the charge", back => format!("/accounts/{id}/statements?tab=consumption"),
    };
    Ok(render_status(status, "confirm.html", with(base(v, Some(&o.account), "operate"), ctx)))
}

pub async fn reverse_form(State(s): State<AppState>, v: Viewer, Path((id, charge)): Path<(i64, i64)>) -> PageResult {
    reverse_page(&s, &v, id, charge, "", Errors::default()).await
}

pub async fn reverse(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, charge)): Path<(i64, i64)>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    operator_account(&s, &v, id).await?;
    let reason = field(&form, "reason").to_owned();
    let r = reason.clone();
    match run(&s, move |app| app.reverse_charge(AccountId(id), ChargeId(charge), &r)).await? {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/statements?tab=consumption&done=reversed")).into_response()),
        Err(e) => {
            let e = if e.field.is_none() { e.with_field("reason") } else { e };
            reverse_page(&s, &v, id, charge, &reason, Errors::from_app(&e, &["reason"], &[])).await
        }
    }
}
