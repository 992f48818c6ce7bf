//! Prepaid cards: buy with cash, operator allocation, list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_app::use_cases::cards::{BuyCard, CardIssued};
use coffer_core::ids::AccountId;

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::{ApiPath, ApiQuery};
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

fn issued(c: &CardIssued) -> CardIssuedResponse {
    CardIssuedResponse {
        card: CardResponse::from(&c.card),
        bonus_voucher: c.bonus_voucher.as_ref().map(VoucherResponse::from),
    }
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/prepaid-cards", tag = "prepaid cards",
    params(("account_id" = i64, Path), StatusQuery), responses((status = 200, body = [CardResponse]), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<Vec<CardResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let list = s.run(move |app| app.cards(AccountId(id), q.status.as_deref())).await?;
    Ok(Json(list.iter().map(CardResponse::from).collect()))
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/prepaid-cards", tag = "prepaid cards",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = BuyCardRequest,
    responses((status = 201, body = CardIssuedResponse), (status = 422, body = Problem)))]
pub async fn buy(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<BuyCardRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Pay)?;
    issue(s, caller, key, id, body, Origin::Purchased).await
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/prepaid-cards/allocate", tag = "prepaid cards",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = BuyCardRequest,
    responses((status = 201, body = CardIssuedResponse), (status = 422, body = Problem)))]
pub async fn allocate(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<BuyCardRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Operator)?;
    issue(s, caller, key, id, body, Origin::Allocated).await
}

/// Buying and allocating differ only in who may and which use case runs.
#[derive(Clone, Copy)]
enum Origin {
    Purchased,
    Allocated,
}

async fn issue(
    s: AppState,
    caller: Caller,
    key: IdemKey,
    id: i64,
    body: BuyCardRequest,
    origin: Origin,
) -> Result<Response, ApiError> {
    let route = match origin {
        Origin::Purchased => format!("POST /v1/accounts/{id}/prepaid-cards"),
        Origin::Allocated => format!("POST /v1/accounts/{id}/prepaid-cards/allocate"),
    };
    let call = Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, key, body| {
        let req = BuyCard {
            account_id: AccountId(id),
            face_value_minor: body.face_value_minor,
            currency: &body.currency,
            idempotency_key: key,
        };
        match origin {
            Origin::Purchased => app.buy_card(&req),
            Origin::Allocated => app.allocate_card(&req),
        }
        .map(|c| issued(&c))
    })
    .await
}
