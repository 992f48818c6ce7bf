//! Billing accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_core::ids::AccountId;

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::ApiPath;
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = CreateAccountRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = AccountResponse), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiJson(body): ApiJson<CreateAccountRequest>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    once(
        &s,
        &caller,
        &key,
        Call { route: "POST /v1/accounts", request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, key, body| {
            let req = CreateAccount {
                name: &body.name,
                currency: &body.currency,
                time_zone: body.time_zone.as_deref(),
                arrears_limit_minor: body.arrears_limit_minor,
                idempotency_key: key,
            };
            app.create_account(&req).map(|r| AccountResponse::from(&r))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", responses((status = 200, body = [AccountResponse])))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<AccountResponse>>, ApiError> {
    caller.require_operator()?;
    let accounts = s.run(|app| app.accounts()).await?;
    Ok(Json(accounts.iter().map(AccountResponse::from).collect()))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}", tag = "accounts",
    params(("account_id" = i64, Path)), responses((status = 200, body = OverviewResponse), (status = 404, body = Problem)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OverviewResponse>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let o = s.run(move |app| app.account_overview(AccountId(id))).await?;
    Ok(Json(OverviewResponse::from(&o)))
}

#[utoipa::path(put, path = "/v1/accounts/{account_id}/arrears-limit", tag = "accounts",
    params(("account_id" = i64, Path)), request_body = ArrearsLimitRequest,
    responses((status = 200, body = AccountResponse), (status = 404, body = Problem)))]
pub async fn set_arrears_limit(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ArrearsLimitRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    let route = format!("PUT /v1/accounts/{id}/arrears-limit");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs },
        move |app, _, body| {
            app.set_arrears_limit(AccountId(id), body.arrears_limit_minor).map(|r| AccountResponse::from(&r))
        },
    )
    .await
}
