//! Charges: settle (metering), preview, read, reverse (operator).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_app::use_cases::charges::SettleCharge;
use coffer_core::ids::{AccountId, ChargeId};

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::ApiPath;
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

fn settle_input(b: &SettleChargeRequest) -> SettleCharge<'_> {
    SettleCharge {
        workspace_id: &b.workspace_id,
        bill_id: &b.bill_id,
        category: &b.category,
        amount_minor: b.amount_minor,
        currency: &b.currency,
        bill_date: &b.bill_date,
    }
}

/// Settles one bill line. Posting the same bill again returns the original
/// settlement with `replayed: true`; other content under the same bill id is a
/// `409 bill_conflict`.
#[utoipa::path(post, path = "/v1/charges", tag = "charges", request_body = SettleChargeRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = SettledResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn settle(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiJson(body): ApiJson<SettleChargeRequest>,
) -> Result<Response, ApiError> {
    caller.require_metering()?;
    once(
        &s,
        &caller,
        &key,
        Call { route: "POST /v1/charges", request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, _, body| {
            let done = app.settle_charge(&settle_input(body))?;
            Ok(SettledResponse {
                charge: ChargeResponse::from(&done.charge),
                plan: done.plan.as_ref().map(PlanResponse::from),
                replayed: done.replayed,
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/charges/preview", tag = "charges", request_body = SettleChargeRequest,
    responses((status = 200, body = PreviewResponse), (status = 422, body = Problem)))]
pub async fn preview(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SettleChargeRequest>,
) -> Result<Json<PreviewResponse>, ApiError> {
    caller.require_metering()?;
    let p = s.run(move |app| app.preview_charge(&settle_input(&body))).await?;
    Ok(Json(PreviewResponse {
        account_id: p.account_id.0,
        settlement: p.settlement.kind().as_str().to_owned(),
        plan: PlanResponse::from(&p.plan),
    }))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/charges/{charge_id}", tag = "charges",
    params(("account_id" = i64, Path), ("charge_id" = i64, Path)),
    responses((status = 200, body = ChargeResponse), (status = 404, body = Problem)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, charge)): ApiPath<(i64, i64)>,
) -> Result<Json<ChargeResponse>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let c = s.run(move |app| app.charge(AccountId(id), ChargeId(charge))).await?;
    Ok(Json(ChargeResponse::from(&c)))
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/charges/{charge_id}/reverse", tag = "charges",
    params(("account_id" = i64, Path), ("charge_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ReasonRequest,
    responses((status = 200, body = ChargeResponse), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reverse(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath((id, charge)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    let route = format!("POST /v1/accounts/{id}/charges/{charge}/reverse");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs },
        move |app, key, body| {
            app.reverse_charge_keyed(AccountId(id), ChargeId(charge), &body.reason, key)
                .map(|c| ChargeResponse::from(&c))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/adjustments", tag = "adjustments",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = AdjustmentRequest,
    responses((status = 201, body = AdjustmentResponse), (status = 422, body = Problem)))]
pub async fn adjust(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AdjustmentRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    // The requester may not approve a large adjustment: the caller, never a name in the body.
    let who = caller.0.who();
    let route = format!("POST /v1/accounts/{id}/adjustments");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, key, body| {
            let req = coffer_app::use_cases::adjustments::AdjustCash {
                account_id: AccountId(id),
                amount_minor: body.amount_minor,
                currency: &body.currency,
                reason: &body.reason,
                requested_by: &who,
                idempotency_key: key,
            };
            app.adjust_cash(&req).map(|o| AdjustmentResponse::from(&o))
        },
    )
    .await
}
