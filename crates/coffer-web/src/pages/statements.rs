//! Bills and statements (DOMAIN §8): income & expenditure, consumption details and
//! monthly bills, with time filters, CSV export and the daily consumption chart.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use coffer_app::use_cases::statements::{self as st, MonthlyBillLine, Range};
use coffer_app::{App, AppError, AppResult};
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_core::time::MS_PER_DAY;
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::records::{ChargeRecord, StatementLine};
use minijinja::{context, Value};

use super::chart;
use super::overview::line_view;
use crate::fmt::{day, money, month, words, zone_of};
use crate::forms::Errors;
use crate::view::{base, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

/// Rows a page shows; the CSV has everything.
const SHOWN: u32 = 500;

/// The filter as asked, with defaults: the last 30 days, this month.
struct Filter {
    tab: &'static str,
    from: String,
    to: String,
    month: String,
}

fn filter(q: &HashMap<String, String>, now_ms: i64, zone: &jiff::tz::TimeZone) -> Filter {
    let tab = match q.get("tab").map(String::as_str) {
        Some("consumption") => "consumption",
        Some("monthly") => "monthly",
        _ => "income",
    };
    let given = |k: &str| q.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    Filter {
        tab,
        from: given("from").unwrap_or_else(|| day(now_ms - 29 * MS_PER_DAY, zone)),
        to: given("to").unwrap_or_else(|| day(now_ms, zone)),
        month: given("month").unwrap_or_else(|| month(now_ms, zone)),
    }
}

/// Every page of a paged statement (for CSV and the chart).
fn all<T>(mut page: impl FnMut(Option<i64>) -> AppResult<st::Page<T>>) -> AppResult<Vec<T>> {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let p = page(after)?;
        rows.extend(p.rows);
        match p.next {
            Some(n) => after = Some(n),
            None => return Ok(rows),
        }
    }
}

fn all_charges(app: &App, id: AccountId, from: &str, to: &str) -> AppResult<Vec<ChargeRecord>> {
    all(|after| app.consumption(id, &Range { from: Some(from), to: Some(to), after, limit: st::PAGE_MAX }))
}

fn all_lines(app: &App, id: AccountId, from: &str, to: &str) -> AppResult<Vec<StatementLine>> {
    all(|after| app.income_expenditure(id, &Range { from: Some(from), to: Some(to), after, limit: st::PAGE_MAX }))
}

fn charge_view(c: &ChargeRecord, cur: Currency) -> Value {
    let ch = &c.charge;
    let paid_by: Vec<String> =
        ch.deductions.iter().map(|d| format!("{} {}", words(d.class.as_str()), money(d.amount.minor(), cur))).collect();
    context! {
        id => c.id.0,
        date => ch.bill_date.to_string(),
        workspace => ch.workspace_id.to_string(),
        bill => ch.bill_id.to_string(),
        category => ch.category.as_str(),
        amount => money(ch.amount.minor(), cur),
        paid_by => paid_by.join(", "),
        state => if c.reversal.is_some() { "reversed" } else { "settled" },
    }
}

fn bill_view(b: &MonthlyBillLine, cur: Currency) -> Value {
    let paid_by: Vec<String> =
        b.by_class_minor.iter().map(|(k, v)| format!("{} {}", words(k.as_str()), money(*v, cur))).collect();
    context! {
        workspace => b.workspace_id.clone(), category => b.category.as_str(), charges => b.charges,
        amount => money(b.amount_minor, cur), paid_by => paid_by.join(", "),
    }
}

/// What the current tab shows, or the error of its filter.
fn tab_data(app: &App, id: AccountId, f: &Filter, cur: Currency, zone: &jiff::tz::TimeZone) -> AppResult<Value> {
    match f.tab {
        "monthly" => {
            let bill = app.monthly_bill(id, &f.month)?;
            let total: i64 = bill.iter().map(|b| b.amount_minor).sum();
            let bill: Vec<Value> = bill.iter().map(|b| bill_view(b, cur)).collect();
            Ok(context! { bill, bill_total => money(total, cur) })
        }
        tab => {
            let charges = all_charges(app, id, &f.from, &f.to)?;
            let totals = chart::daily_totals(&charges);
            let svg = chart::svg(&chart::days_between(&f.from, &f.to), &totals, cur);
            if tab == "consumption" {
                let more = charges.len() > SHOWN as usize;
                // Newest first on screen; the CSV keeps the journal's order.
                let shown: Vec<Value> =
                    charges.iter().rev().take(SHOWN as usize).map(|c| charge_view(c, cur)).collect();
                return Ok(context! { charges => shown, more, chart => svg });
            }
            let all = all_lines(app, id, &f.from, &f.to)?;
            let lines: Vec<Value> = all.iter().rev().take(SHOWN as usize).map(|l| line_view(l, cur, zone)).collect();
            Ok(context! { lines, more => all.len() > SHOWN as usize, chart => svg })
        }
    }
}

fn quick_ranges(now_ms: i64, zone: &jiff::tz::TimeZone) -> Vec<Value> {
    let today = day(now_ms, zone);
    [("Last 7 days", 6), ("Last 30 days", 29), ("Last 90 days", 89)]
        .iter()
        .map(|(label, back)| context! { label, from => day(now_ms - back * MS_PER_DAY, zone), to => today.clone() })
        .collect()
}

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let zone = zone_of(&o.account);
    let cur = o.account.account.currency;
    let now = s.app.now().0;
    let f = filter(&q, now, &zone);
    let (from, to, mon, tab) = (f.from.clone(), f.to.clone(), f.month.clone(), f.tab);
    let z = zone.clone();
    let data = run(&s, move |app| tab_data(app, AccountId(id), &f, cur, &z)).await?;
    let (data, errors, status) = match data {
        Ok(d) => (d, Errors::default(), StatusCode::OK),
        Err(e) => (context! {}, Errors::from_app(&e, &["from", "to", "month"], &[]), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let ctx = context! {
        tab, from => from.clone(), to => to.clone(), month => mon.clone(),
        values => context! { from, to, month => mon },
        errors, quick => quick_ranges(now, &zone),
    };
    Ok(render_status(
        status,
        "statements.html",
        with(base(&v, Some(&o.account), "statements"), context! { ..data, ..ctx }),
    ))
}

/// The current tab as CSV, every row of the filter.
pub async fn export(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let zone = zone_of(&o.account);
    let cur = o.account.account.currency;
    let f = filter(&q, s.app.now().0, &zone);
    let name = match f.tab {
        "monthly" => format!("coffer-{id}-monthly-{}.csv", f.month),
        tab => format!("coffer-{id}-{tab}-{}-to-{}.csv", f.from, f.to),
    };
    let csv = load(&s, move |app| -> Result<String, AppError> {
        let a = AccountId(id);
        Ok(match f.tab {
            "monthly" => st::monthly_bill_csv(&f.month, &app.monthly_bill(a, &f.month)?, cur),
            "consumption" => st::consumption_csv(&all_charges(app, a, &f.from, &f.to)?),
            _ => st::income_expenditure_csv(&all_lines(app, a, &f.from, &f.to)?, cur),
        })
    })
    .await?;
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    Ok((headers, csv).into_response())
}
