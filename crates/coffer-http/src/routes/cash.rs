//! Cash credits: the entry point for the payment rails and for operators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use coffer_app::use_cases::cash::CreditCash;
use coffer_core::ids::AccountId;

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::ApiPath;
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/accounts/{account_id}/cash-credits", tag = "cash",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = CashCreditRequest,
    responses((status = 201, body = CashCreditResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn credit(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CashCreditRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    let route = format!("POST /v1/accounts/{id}/cash-credits");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, _, body| {
            let req = CreditCash {
                account_id: AccountId(id),
                amount_minor: body.amount_minor,
                currency: &body.currency,
                source: &body.source,
                external_id: &body.external_id,
                memo: body.memo.as_deref().unwrap_or(""),
            };
            let done = app.credit_cash(&req)?;
            let c = &done.credit.credit;
            Ok(CashCreditResponse {
                account_id: c.account_id.0,
                source: c.source.clone(),
                external_id: c.external_id.clone(),
                amount_minor: c.amount.minor(),
                journal_tx_id: c.journal_tx_id.0,
                at_ms: c.at.0,
                replayed: done.replayed,
            })
        },
    )
    .await
}
