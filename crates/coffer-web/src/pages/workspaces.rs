//! Workspaces and their settlement method, with the once-a-month and cloud lock-in
//! rules (DOMAIN §7) explained where the change is made. Customers change with
//! customer authority; an operator's change is an override.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::arrears::WorkspaceState;
use coffer_app::use_cases::workspaces::ChangeSettlement;
use coffer_app::AppError;
use coffer_core::ids::AccountId;
use coffer_core::workspace::{ChangeAuthority, Settlement, Workspace};
use coffer_http::caller::Need;
use coffer_http::AppState;
use minijinja::{context, Value};

use crate::forms::{field, optional, Errors, FormData};
use crate::view::{base, render_status, with};
use crate::viewer::{load, run, PageError, PageResult, Viewer};

const FIELDS: &[&str] = &["settlement", "cloud_provider", "cloud_account_id"];

fn view(
    (state, w): &(WorkspaceState, Workspace),
    o: &AccountOverview,
    this_month: &str,
    failed: Option<(&str, &FormData, &Errors)>,
) -> Value {
    let mut base = super::overview::workspace_view(w, state, &crate::fmt::zone_of(&o.account));
    let cloud_locked = matches!(w.settlement, Settlement::Cloud { .. }) && w.cloud_subscription_active;
    let changed_this_month = w.settlement_changed_in.is_some_and(|m| m.to_string() == this_month);
    let locked_reason = if cloud_locked {
        Some("Locked: the cloud subscription is active, so the settlement method cannot change until it ends.")
    } else if changed_this_month {
        Some("Already changed this month: the next change is possible from the 1st of next month.")
    } else {
        None
    };
    let (values, errors) = match failed {
        Some((id, form, errors)) if id == w.id.as_str() => {
            let values: HashMap<&str, &str> = FIELDS.iter().map(|f| (*f, field(form, f))).collect();
            (Value::from_serialize(&values), Value::from_serialize(errors))
        }
        _ => (Value::from_serialize(HashMap::from([("settlement", next_method(&w.settlement))])), context! {}),
    };
    let extra = context! { locked_reason, values, errors };
    context! { ..extra, ..std::mem::take(&mut base) }
}

fn next_method(s: &Settlement) -> &'static str {
    match s {
        Settlement::BillingCenter => "cloud",
        Settlement::Cloud { .. } => "billing_center",
    }
}

async fn render_page(
    s: &AppState,
    v: &Viewer,
    o: &AccountOverview,
    failed: Option<(&str, &FormData, &Errors)>,
    notice: Option<&str>,
) -> PageResult {
    let id = o.account.account.id;
    let (workspaces, now) = load(s, move |app| Ok((app.workspaces_with_state(id)?, app.now()))).await?;
    let this_month = crate::fmt::month(now.0, &crate::fmt::zone_of(&o.account));
    let list: Vec<Value> = workspaces.iter().map(|w| view(w, o, &this_month, failed)).collect();
    let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let ctx = context! { workspaces => list, notice };
    Ok(render_status(status, "workspaces.html", with(base(v, Some(&o.account), "workspaces"), ctx)))
}

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    render_page(&s, &v, &o, None, super::notice(&q)).await
}

pub async fn change(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, ws)): Path<(i64, String)>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Manage).await?;
    let authority = if v.is_operator() { ChangeAuthority::Operator } else { ChangeAuthority::Customer };
    let owned: Vec<Workspace> = load(&s, move |app| app.workspaces_of(AccountId(id))).await?;
    // Only this account's workspaces: another account's is answered like a missing one.
    if !owned.iter().any(|w| w.id.as_str() == ws) {
        return Err(PageError::not_found());
    }
    let (settlement, provider, cloud_id) = (
        field(&form, "settlement").to_owned(),
        optional(&form, "cloud_provider").map(str::to_owned),
        optional(&form, "cloud_account_id").map(str::to_owned),
    );
    let w = ws.clone();
    let result = run(&s, move |app| {
        let req = ChangeSettlement {
            workspace_id: &w,
            settlement: &settlement,
            cloud_provider: provider.as_deref(),
            cloud_account_id: cloud_id.as_deref(),
            authority,
        };
        app.change_settlement(&req)
    })
    .await?;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/workspaces?done=settlement")).into_response()),
        Err(e) => {
            let errors = settlement_errors(&e);
            render_page(&s, &v, &o, Some((&ws, &form, &errors)), None).await
        }
    }
}

fn settlement_errors(e: &AppError) -> Errors {
    let e = match e.field {
        None => e.clone().with_field("settlement"),
        Some(_) => e.clone(),
    };
    Errors::from_app(&e, FIELDS, &[("provider", "cloud_provider")])
}
