//! Vouchers: direct activation, code batches, activation by code, revocation, lists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_app::tz::DEFAULT_TIME_ZONE;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_app::{App, AppResult};
use coffer_core::ids::{AccountId, VoucherId};

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::{ApiPath, ApiQuery};
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

fn validity(app: &App, v: &ValidityRequest, time_zone: &str) -> AppResult<ValidityInput> {
    ValidityInput::from_parts(v.valid_days, v.valid_from.as_deref(), v.valid_until.as_deref(), time_zone, app.now())
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/vouchers", tag = "vouchers",
    params(("account_id" = i64, Path), StatusQuery), responses((status = 200, body = [VoucherResponse]), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<Vec<VoucherResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let list = s.run(move |app| app.vouchers(AccountId(id), q.status.as_deref())).await?;
    Ok(Json(list.iter().map(VoucherResponse::from).collect()))
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/vouchers", tag = "vouchers",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = IssueVoucherRequest,
    responses((status = 201, body = VoucherResponse), (status = 422, body = Problem)))]
pub async fn issue(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IssueVoucherRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    let route = format!("POST /v1/accounts/{id}/vouchers");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, key, body| {
            let zone = app.account_overview(AccountId(id))?.account.account.time_zone;
            let req = IssueVoucher {
                account_id: AccountId(id),
                kind: &body.kind,
                face_value_minor: body.face_value_minor,
                currency: &body.currency,
                validity: validity(app, &body.validity, &zone)?,
                idempotency_key: key,
            };
            app.issue_voucher(&req).map(|v| VoucherResponse::from(&v))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/vouchers/activate", tag = "vouchers",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = ActivateCodeRequest,
    responses((status = 201, body = VoucherResponse), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn activate(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ActivateCodeRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Pay)?;
    let route = format!("POST /v1/accounts/{id}/vouchers/activate");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, key, body| {
            app.activate_code_keyed(AccountId(id), &body.code, key).map(|v| VoucherResponse::from(&v))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/vouchers/{voucher_id}/revoke", tag = "vouchers",
    params(("account_id" = i64, Path), ("voucher_id" = i64, Path)), request_body = ReasonRequest,
    responses((status = 200, body = VoucherResponse), (status = 404, body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath((id, voucher)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    let route = format!("POST /v1/accounts/{id}/vouchers/{voucher}/revoke");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs },
        move |app, _, body| {
            app.revoke_voucher(AccountId(id), VoucherId(voucher), &body.reason).map(|v| VoucherResponse::from(&v))
        },
    )
    .await
}

fn redact_codes(v: &mut serde_json::Value) {
    if let Some(codes) = v.get_mut("codes") {
        *codes = serde_json::Value::Null;
    }
}

#[utoipa::path(post, path = "/v1/voucher-batches", tag = "vouchers", request_body = CodeBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = CodeBatchResponse), (status = 422, body = Problem)))]
pub async fn create_batch(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiJson(body): ApiJson<CodeBatchRequest>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    once(
        &s,
        &caller,
        &key,
        Call {
            route: "POST /v1/voucher-batches",
            request: body,
            status: StatusCode::CREATED,
            save: Save::Redacted(redact_codes),
        },
        move |app, _, body| {
            let zone = body.time_zone.clone().unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
            let req = GenerateCodes {
                kind: &body.kind,
                face_value_minor: body.face_value_minor,
                currency: &body.currency,
                validity: validity(app, &body.validity, &zone)?,
                count: body.count,
                memo: body.memo.as_deref().unwrap_or(""),
            };
            let generated = app.generate_codes(&req)?;
            let b = &generated.batch;
            Ok(CodeBatchResponse {
                batch_id: b.id.0,
                kind: b.batch.kind.as_str().to_owned(),
                face_value_minor: b.batch.face_value.minor(),
                currency: b.batch.currency.code().to_owned(),
                count: b.batch.count,
                codes: Some(generated.codes.iter().map(|c| c.display_grouped()).collect()),
            })
        },
    )
    .await
}
