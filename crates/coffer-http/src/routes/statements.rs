//! Statements with time filters and cursor pagination, as JSON or CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use coffer_app::use_cases::statements::{self, Range};
use coffer_core::ids::AccountId;

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::{ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format(raw: Option<&str>) -> Result<Format, ApiError> {
    match raw {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(ApiError::bad_request("invalid_query", "format must be json or csv").field("format")),
    }
}

fn csv(name: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/statements/income-expenditure", tag = "statements",
    params(("account_id" = i64, Path), StatementQuery),
    responses((status = 200, body = StatementPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn income_expenditure(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let fmt = format(q.format.as_deref())?;
    let (page, currency) = s
        .run(move |app| {
            let range = Range {
                from: q.from.as_deref(),
                to: q.to.as_deref(),
                after: q.cursor,
                limit: q.limit.unwrap_or(DEFAULT_LIMIT),
            };
            let currency = app.account_overview(AccountId(id))?.account.account.currency;
            Ok((app.income_expenditure(AccountId(id), &range)?, currency))
        })
        .await?;
    if fmt == Format::Csv {
        return Ok(csv("income-expenditure", statements::income_expenditure_csv(&page.rows, currency)));
    }
    let rows = page.rows.iter().map(StatementLineResponse::from).collect();
    Ok(Json(StatementPage { currency: currency.code().to_owned(), rows, next_cursor: page.next }).into_response())
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/statements/consumption", tag = "statements",
    params(("account_id" = i64, Path), StatementQuery),
    responses((status = 200, body = ChargePage), (status = 404, body = Problem)))]
pub async fn consumption(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let fmt = format(q.format.as_deref())?;
    let page = s
        .run(move |app| {
            let range = Range {
                from: q.from.as_deref(),
                to: q.to.as_deref(),
                after: q.cursor,
                limit: q.limit.unwrap_or(DEFAULT_LIMIT),
            };
            app.consumption(AccountId(id), &range)
        })
        .await?;
    if fmt == Format::Csv {
        return Ok(csv("consumption", statements::consumption_csv(&page.rows)));
    }
    Ok(Json(ChargePage { rows: page.rows.iter().map(ChargeResponse::from).collect(), next_cursor: page.next })
        .into_response())
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/statements/monthly", tag = "statements",
    params(("account_id" = i64, Path), MonthlyQuery),
    responses((status = 200, body = MonthlyBillResponse), (status = 404, body = Problem)))]
pub async fn monthly(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let fmt = format(q.format.as_deref())?;
    let month = q.month.clone();
    let (lines, currency) = s
        .run(move |app| {
            let currency = app.account_overview(AccountId(id))?.account.account.currency;
            Ok((app.monthly_bill(AccountId(id), &q.month)?, currency))
        })
        .await?;
    if fmt == Format::Csv {
        return Ok(csv(&format!("bill-{month}"), statements::monthly_bill_csv(&month, &lines, currency)));
    }
    let lines = lines
        .iter()
        .map(|l| MonthlyBillLineResponse {
            workspace_id: l.workspace_id.clone(),
            category: l.category.as_str().to_owned(),
            charges: l.charges,
            amount_minor: l.amount_minor,
            by_class_minor: l.by_class_minor.iter().map(|(c, v)| (c.as_str().to_owned(), *v)).collect(),
        })
        .collect();
    Ok(Json(MonthlyBillResponse { month, currency: currency.code().to_owned(), lines }).into_response())
}
