//! Offline bank transfers (DOMAIN §4): record what arrived, work the unmatched
//! queue by matching transfers to accounts, and approve large manual credits as a
//! second operator. Each money-moving step has a confirmation page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use coffer_app::use_cases::bank_transfers::{RecordTransfer, TransferRecorded, TransferView};
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_http::AppState;
use minijinja::{context, Value};

use crate::fmt::{money, plain};
use crate::forms::{self, field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

const FIELDS: [&str; 6] = ["bank_transaction_id", "amount", "currency", "value_date", "payer", "reference"];

fn transfer_view(t: &TransferView) -> Value {
    let x = &t.transfer.transfer;
    context! {
        id => t.transfer.id, bank_id => x.bank_transaction_id.clone(), date => x.value_date.to_string(),
        payer => x.payer.clone(), reference => x.reference.clone(), amount => money(x.amount.minor(), x.currency),
        state => x.state.as_str(), account => x.account_id.map(|a| a.0), reason => t.unmatched_reason.clone(),
    }
}

async fn render_page(
    s: &AppState,
    v: &Viewer,
    state: String,
    values: Value,
    errors: Errors,
    notice: Option<String>,
) -> PageResult {
    let st = state.clone();
    let (transfers, accounts) = load(s, move |app| {
        Ok((app.bank_transfers(Some(st.as_str()).filter(|x| !x.is_empty()), 200)?, app.accounts()?))
    })
    .await?;
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| context! { id => a.account.id.0, name => a.account.name.clone(), currency => a.account.currency.code() })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ctx = context! {
        transfers => transfers.iter().map(transfer_view).collect::<Vec<_>>(), accounts, state, values, errors, notice,
        threshold => money(s.app.config.approval_threshold_minor, Currency::Cny),
    };
    Ok(render_status(status, "console_transfers.html", with(base(v, None, "transfers"), ctx)))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> PageResult {
    v.require_operator()?;
    let state = q.get("state").cloned().unwrap_or_else(|| "unmatched".into());
    let notice = q.get("done").and_then(|d| outcome_text(d)).map(str::to_owned);
    render_page(&s, &v, state, context! { currency => "CNY" }, Errors::default(), notice).await
}

fn outcome_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "credited" => "Transfer credited to the account.",
        "awaiting_approval" => "Recorded; the credit waits for a second operator's approval.",
        "queued" => "Recorded; no account matched, so it waits in the unmatched queue.",
        "duplicate" => "This bank transaction was recorded before; nothing changed.",
        _ => return None,
    })
}

fn done(r: &TransferRecorded) -> Response {
    let state = r.transfer.transfer.state.as_str();
    Redirect::to(&format!("/console/bank-transfers?state={state}&done={}", r.outcome.as_str())).into_response()
}

fn confirm(
    v: &Viewer,
    heading: &str,
    rows: Vec<(&str, String)>,
    action: String,
    hidden: HashMap<&str, String>,
    button: &str,
) -> Response {
    let ctx = context! { heading, rows, action, hidden, button, back => "/console/bank-transfers" };
    render("confirm.html", with(base(v, None, "transfers"), ctx))
}

pub async fn record(State(s): State<AppState>, v: Viewer, Form(form): Form<FormData>) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    let values = Value::from_serialize(FIELDS.iter().map(|f| (*f, field(&form, f))).collect::<HashMap<_, _>>());
    let mut errors = Errors::default();
    let currency = Currency::parse(field(&form, "currency")).unwrap_or(Currency::Cny);
    let amount = forms::amount(&form, "amount", currency, &mut errors);
    for (name, label) in [
        ("bank_transaction_id", "Enter the bank's transaction ID"),
        ("value_date", "Enter the value date"),
        ("payer", "Enter the payer"),
    ] {
        if field(&form, name).is_empty() {
            errors.add(name, label);
        }
    }
    let Some(amount) = amount.filter(|_| errors.is_empty()) else {
        return render_page(&s, &v, "unmatched".into(), values, errors, None).await;
    };
    let owned: HashMap<&str, String> = FIELDS.iter().map(|f| (*f, field(&form, f).to_owned())).collect();
    if field(&form, "confirm") != "yes" {
        let rows = vec![
            ("Bank transaction", owned["bank_transaction_id"].clone()),
            ("Amount", money(amount, currency)),
            ("Value date", owned["value_date"].clone()),
            ("Payer", owned["payer"].clone()),
            ("Reference", owned["reference"].clone()),
        ];
        let mut hidden = owned.clone();
        hidden.insert("amount", plain(amount, currency));
        return Ok(confirm(
            &v,
            "Record this bank transfer?",
            rows,
            "/console/bank-transfers".into(),
            hidden,
            "Record the transfer",
        ));
    }
    let who = v.p.who();
    let o = owned.clone();
    let result = run(&s, move |app| {
        app.record_transfer(&RecordTransfer {
            bank_transaction_id: &o["bank_transaction_id"],
            amount_minor: amount,
            currency: currency.code(),
            value_date: &o["value_date"],
            payer: &o["payer"],
            reference: &o["reference"],
            recorded_by: &who,
        })
    })
    .await?;
    match result {
        Ok(r) => Ok(done(&r)),
        Err(e) => {
            let errors = Errors::from_app(&e, &FIELDS, &[]);
            render_page(&s, &v, "unmatched".into(), values, errors, None).await
        }
    }
}

pub async fn assign(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    let account = field(&form, "account_id").parse::<i64>().unwrap_or(0);
    if field(&form, "confirm") != "yes" {
        let (t, o) =
            load(&s, move |app| Ok((app.bank_transfer(id)?, app.account_overview(AccountId(account))?))).await?;
        let x = &t.transfer.transfer;
        let rows = vec![
            ("Transfer", format!("#{id} · {}", x.bank_transaction_id)),
            ("Amount", money(x.amount.minor(), x.currency)),
            ("Payer", x.payer.clone()),
            ("Reference", x.reference.clone()),
            ("Credit to", format!("#{} {} ({})", account, o.account.account.name, o.account.account.currency.code())),
        ];
        let hidden = HashMap::from([("account_id", account.to_string())]);
        return Ok(confirm(
            &v,
            "Match this transfer to the account?",
            rows,
            format!("/console/bank-transfers/{id}/assign"),
            hidden,
            "Match and credit",
        ));
    }
    let who = v.p.who();
    let r = load(&s, move |app| app.assign_transfer(id, AccountId(account), &who)).await?;
    Ok(done(&r))
}

pub async fn approve(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    if field(&form, "confirm") != "yes" {
        let t = load(&s, move |app| app.bank_transfer(id)).await?;
        let x = &t.transfer.transfer;
        let rows = vec![
            ("Transfer", format!("#{id} · {}", x.bank_transaction_id)),
            ("Amount", money(x.amount.minor(), x.currency)),
            ("Credit to", x.account_id.map(|a| format!("#{a}")).unwrap_or_default()),
            ("Recorded by", x.recorded_by.clone()),
        ];
        return Ok(confirm(
            &v,
            "Approve this credit?",
            rows,
            format!("/console/bank-transfers/{id}/approve"),
            HashMap::new(),
            "Approve the credit",
        ));
    }
    let who = v.p.who();
    let r = load(&s, move |app| app.approve_transfer(id, &who)).await?;
    Ok(done(&r))
}
