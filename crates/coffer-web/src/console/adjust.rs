//! An operator's cash adjustment on the console account page: a signed amount and
//! a reason, confirmed first. Above the approval threshold the use case stores a
//! request for a second operator instead (`console::adjustments`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::adjustments::{AdjustCash, AdjustmentOutcome};
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_http::AppState;
use minijinja::context;

use super::account::{confirm_page, operator_account, render_failed};
use crate::fmt::{money, plain};
use crate::forms::{self, field, Errors, FormData};
use crate::viewer::{run, PageResult, Viewer};

/// A signed amount in major units: "-50" takes cash, "50" gives it.
fn signed_amount(form: &FormData, currency: Currency, errors: &mut Errors) -> Option<i64> {
    let raw = field(form, "amount");
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, raw.strip_prefix('+').unwrap_or(raw).trim()),
    };
    let mut only_digits = FormData::new();
    only_digits.insert("amount".into(), digits.to_owned());
    let minor = forms::amount(&only_digits, "amount", currency, errors)?;
    Some(if negative { -minor } else { minor })
}

pub async fn adjust(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = operator_account(&s, &v, id).await?;
    let c = o.account.account.currency;
    let reason = field(&form, "reason").to_owned();
    let values = context! { amount => field(&form, "amount"), reason => reason.clone() };
    let mut errors = Errors::default();
    let amount = signed_amount(&form, c, &mut errors);
    if reason.is_empty() {
        errors.add("reason", "Enter a reason; it is kept in the journal");
    }
    let (Some(amount), true) = (amount, errors.is_empty()) else {
        return render_failed(&s, &v, &o, "adjust", values, errors).await;
    };
    if field(&form, "confirm") != "yes" {
        let effect = if amount < 0 { "takes cash away" } else { "gives cash (repaying arrears first)" };
        let rows = vec![
            ("Account", o.account.account.name.clone()),
            ("Amount", money(amount, c)),
            ("Effect", effect.to_owned()),
            ("Reason", reason.clone()),
        ];
        let hidden = HashMap::from([("amount", plain(amount, c)), ("reason", reason), ("key", forms::new_key())]);
        let action = format!("/console/accounts/{id}/adjustments");
        return Ok(confirm_page(&v, &o, "Adjust this account's cash?", rows, action, hidden, "Adjust cash".into()));
    }
    let (key, who) = (field(&form, "key").to_owned(), v.p.who());
    let done = run(&s, move |app| {
        app.adjust_cash(&AdjustCash {
            account_id: AccountId(id),
            amount_minor: amount,
            currency: c.code(),
            reason: &reason,
            requested_by: &who,
            idempotency_key: Some(key.as_str()).filter(|k| !k.is_empty()),
        })
    })
    .await?;
    match done {
        Ok(AdjustmentOutcome::Applied { .. }) => {
            Ok(Redirect::to(&format!("/console/accounts/{id}?done=adjusted")).into_response())
        }
        Ok(AdjustmentOutcome::Pending { .. }) => {
            Ok(Redirect::to(&format!("/console/accounts/{id}?done=adjustment_pending")).into_response())
        }
        Err(e) => render_failed(&s, &v, &o, "adjust", values, Errors::from_app(&e, &["amount", "reason"], &[])).await,
    }
}
