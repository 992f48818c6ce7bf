//! The overview: balances (the card balance negative while in arrears, as the
//! original Billing Center shows it), workspaces, recent activity and a runway
//! estimated from recent daily consumption.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::arrears::WorkspaceState;
use coffer_app::use_cases::statements::Range;
use coffer_app::App;
use coffer_app::AppResult;
use coffer_core::time::MS_PER_DAY;
use coffer_core::workspace::{Settlement, Workspace};
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::records::StatementLine;
use minijinja::{context, Value};

use crate::fmt::{day, money, when, words, zone_of};
use crate::view::{base, render, with};
use crate::viewer::{load, PageResult, Viewer};

/// The consumption window the runway averages over.
pub const RUNWAY_DAYS: i64 = 30;

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let account_id = o.account.account.id;
    let (workspaces, lines, consumed): (Vec<(WorkspaceState, Workspace)>, _, _) = load(&s, move |app| {
        let since = day(app.now().0 - RUNWAY_DAYS * MS_PER_DAY, &zone_of(&app.account_overview(account_id)?.account));
        let ws = app.workspaces_with_state(account_id)?;
        let range = Range { from: Some(&since), to: None, after: None, limit: 1_000 };
        let lines = app.income_expenditure(account_id, &range)?.rows;
        Ok((ws, lines, consumed_since(app, account_id, &since)?))
    })
    .await?;
    let c = o.account.account.currency;
    let zone = zone_of(&o.account);
    let activity: Vec<Value> = lines.iter().rev().take(10).map(|l| line_view(l, c, &zone)).collect();
    let ctx = context! {
        bal => balances(&o),
        runway => runway(&o, consumed),
        workspaces => workspaces.iter().map(|(state, w)| workspace_view(w, state, &zone)).collect::<Vec<_>>(),
        activity,
        notice => super::notice(&q),
    };
    Ok(render("overview.html", with(base(&v, Some(&o.account), "overview"), ctx)))
}

fn balances(o: &AccountOverview) -> Value {
    let c = o.account.account.currency;
    context! {
        cash => money(o.cash_minor, c),
        vouchers => money(o.voucher_balance_minor, c),
        cards => money(o.card_balance_shown_minor(), c),
        arrears => money(o.arrears_owed_minor, c),
        in_arrears => o.arrears_owed_minor > 0,
    }
}

/// Money consumed (settled, not reversed) by charges billed since `since`.
fn consumed_since(app: &App, account: coffer_core::ids::AccountId, since: &str) -> AppResult<i64> {
    let mut total = 0i64;
    let mut after = None;
    loop {
        let range = Range { from: Some(since), to: None, after, limit: 1_000 };
        let page = app.consumption(account, &range)?;
        total += page.rows.iter().filter(|c| c.reversal.is_none()).map(|c| c.charge.amount.minor()).sum::<i64>();
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(total),
        }
    }
}

/// Days the spendable balance lasts at the recent daily average. Vouchers pay
/// only pay-as-you-go usage, so this is an estimate, and says so.
fn runway(o: &AccountOverview, consumed: i64) -> Value {
    let runway = o.runway(consumed, RUNWAY_DAYS);
    let daily = money(runway.daily_minor, o.account.account.currency);
    context! { days => runway.days, daily, window => RUNWAY_DAYS }
}

pub fn settlement_text(s: &Settlement) -> String {
    match s {
        Settlement::BillingCenter => "Billing Center".into(),
        Settlement::Cloud { provider, cloud_account_id } => {
            format!("Cloud: {} ({cloud_account_id})", provider.as_str())
        }
    }
}

/// A workspace with its arrears state (DOMAIN §9) as the platform enforces it.
pub fn workspace_view(w: &Workspace, s: &WorkspaceState, zone: &jiff::tz::TimeZone) -> Value {
    let note = match (s.locked_at, s.grace_until) {
        (Some(at), _) => {
            format!("locked since {}: usage is no longer ingested; repaying the arrears unlocks it", when(at.0, zone))
        }
        (None, Some(until)) => format!("the account is in arrears; it locks on {} unless repaid", when(until.0, zone)),
        (None, None) => String::new(),
    };
    context! { id => w.id.to_string(), settlement => settlement_text(&w.settlement), state => s.state.name(), state_note => note }
}

pub fn book_text(l: &StatementLine) -> String {
    match l.book.as_str() {
        "voucher" => format!("voucher #{}", l.instrument_id),
        "card" => format!("card #{}", l.instrument_id),
        other => words(other),
    }
}

pub fn line_view(l: &StatementLine, c: coffer_core::money::Currency, zone: &jiff::tz::TimeZone) -> Value {
    context! {
        at => when(l.at.0, zone),
        kind => words(l.kind.as_str()),
        memo => l.memo.clone(),
        book => book_text(l),
        amount => money(l.amount_minor, c),
        positive => l.amount_minor >= 0,
        balance => money(l.balance_after_minor, c),
    }
}
