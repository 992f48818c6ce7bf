//! Large cash adjustments awaiting a second operator (DOMAIN §4): the queue, with
//! approve (after a confirmation page) and reject (with a reason). The use cases
//! refuse the requester's own approval and a debit that cash no longer covers;
//! those refusals are shown on the page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use coffer_http::AppState;
use coffer_store::adjustments::AdjustmentRequest;
use minijinja::{context, Value};

use crate::fmt::money;
use crate::forms::{field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

fn request_view(r: &AdjustmentRequest) -> Value {
    let n = &r.request;
    context! {
        id => r.id, account => n.account_id.0, amount => money(n.amount_minor, n.currency), reason => n.reason.clone(),
        requested_by => n.requested_by.clone(), state => r.state.as_str(), decided_by => r.decided_by.clone(),
        rejection_reason => r.rejection_reason.clone(),
    }
}

/// The page for `state`; `failed` is a refused decision: the request and the errors.
async fn render_page(
    s: &AppState,
    v: &Viewer,
    state: String,
    failed: Option<(i64, Errors)>,
    notice: Option<&str>,
) -> PageResult {
    let st = state.clone();
    let list = load(s, move |app| app.adjustment_requests(Some(st.as_str()).filter(|x| !x.is_empty()), 200)).await?;
    let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (failed_id, errors) = failed.unwrap_or_default();
    let ctx = context! {
        requests => list.iter().map(request_view).collect::<Vec<_>>(), state, notice, failed_id, errors,
        threshold => money(s.app.config.approval_threshold_minor, coffer_core::money::Currency::Cny),
    };
    Ok(render_status(status, "console_adjustments.html", with(base(v, None, "adjustments"), ctx)))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> PageResult {
    v.require_operator()?;
    let state = q.get("state").cloned().unwrap_or_else(|| "pending".into());
    let notice = match q.get("done").map(String::as_str) {
        Some("applied") => Some("Adjustment approved and applied."),
        Some("rejected") => Some("Adjustment rejected; nothing moved."),
        _ => None,
    };
    render_page(&s, &v, state, None, notice).await
}

fn done(state: &str) -> Response {
    Redirect::to(&format!("/console/adjustments?done={state}")).into_response()
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
        let r = load(&s, move |app| app.adjustment_request(id)).await?;
        let n = &r.request;
        let rows = vec![
            ("Request", format!("#{id}")),
            ("Account", format!("#{}", n.account_id)),
            ("Amount", money(n.amount_minor, n.currency)),
            ("Reason", n.reason.clone()),
            ("Requested by", n.requested_by.clone()),
        ];
        let ctx = context! {
            heading => "Approve this adjustment?", rows, action => format!("/console/adjustments/{id}/approve"),
            hidden => HashMap::<String, String>::new(), button => "Approve and apply", back => "/console/adjustments",
        };
        return Ok(render("confirm.html", with(base(&v, None, "adjustments"), ctx)));
    }
    let who = v.p.who();
    match run(&s, move |app| app.approve_adjustment(id, &who)).await? {
        Ok(_) => Ok(done("applied")),
        Err(e) => render_page(&s, &v, "pending".into(), Some((id, Errors::from_app(&e, &[], &[]))), None).await,
    }
}

pub async fn reject(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    let (who, reason) = (v.p.who(), field(&form, "reason").to_owned());
    match run(&s, move |app| app.reject_adjustment(id, &who, &reason)).await? {
        Ok(_) => Ok(done("rejected")),
        Err(e) => {
            let errors = Errors::from_app(&e, &["reason"], &[]);
            render_page(&s, &v, "pending".into(), Some((id, errors)), None).await
        }
    }
}
