//! Large cash adjustments awaiting a second operator (operators only): the queue,
//! approving and rejecting. Requests are made by `POST /v1/accounts/{id}/adjustments`
//! (`charges::adjust`). Who approved or rejected is the caller, never a name in
//! the body, so the requester cannot approve their own request under another name.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_store::adjustments::AdjustmentRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::Caller;
use crate::extract::{ApiPath, ApiQuery};
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentRequestResponse {
    pub id: i64,
    pub account_id: i64,
    /// Positive credits the customer; negative takes cash.
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub requested_by: String,
    /// pending, applied or rejected.
    pub state: String,
    pub decided_by: Option<String>,
    pub rejection_reason: Option<String>,
    pub journal_tx_id: Option<i64>,
    pub created_at_ms: i64,
    pub decided_at_ms: Option<i64>,
}

fn response(r: &AdjustmentRequest) -> AdjustmentRequestResponse {
    let n = &r.request;
    AdjustmentRequestResponse {
        id: r.id,
        account_id: n.account_id.0,
        amount_minor: n.amount_minor,
        currency: n.currency.code().to_owned(),
        reason: n.reason.clone(),
        requested_by: n.requested_by.clone(),
        state: r.state.as_str().to_owned(),
        decided_by: r.decided_by.clone(),
        rejection_reason: r.rejection_reason.clone(),
        journal_tx_id: r.journal_tx_id.map(|j| j.0),
        created_at_ms: n.created_at.0,
        decided_at_ms: r.decided_at.map(|t| t.0),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdjustmentListQuery {
    /// pending, applied or rejected; all when absent.
    pub state: Option<String>,
    /// 1..=1000, default 200; newest first.
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectAdjustmentRequest {
    pub reason: String,
}

#[utoipa::path(get, path = "/v1/adjustment-requests", operation_id = "list_adjustment_requests", tag = "adjustments",
    params(AdjustmentListQuery),
    responses((status = 200, body = [AdjustmentRequestResponse]), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AdjustmentListQuery>,
) -> Result<Json<Vec<AdjustmentRequestResponse>>, ApiError> {
    caller.require_operator()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let list = s.run(move |app| app.adjustment_requests(q.state.as_deref(), limit)).await?;
    Ok(Json(list.iter().map(response).collect()))
}

#[utoipa::path(post, path = "/v1/adjustment-requests/{request_id}/approve", operation_id = "approve_adjustment",
    tag = "adjustments", params(("request_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = AdjustmentRequestResponse), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let who = caller.0.who();
    let route = format!("POST /v1/adjustment-requests/{id}/approve");
    let call = Call { route: &route, request: (), status: StatusCode::OK, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, ()| app.approve_adjustment(id, &who).map(|r| response(&r))).await
}

#[utoipa::path(post, path = "/v1/adjustment-requests/{request_id}/reject", operation_id = "reject_adjustment",
    tag = "adjustments", params(("request_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = RejectAdjustmentRequest,
    responses((status = 200, body = AdjustmentRequestResponse), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RejectAdjustmentRequest>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let who = caller.0.who();
    let route = format!("POST /v1/adjustment-requests/{id}/reject");
    let call = Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, b| app.reject_adjustment(id, &who, &b.reason).map(|r| response(&r)))
        .await
}
