//! Cloud marketplace settlement (DOMAIN §7, decision 004): the delivery state of a
//! charge's usage records, and for operators the outbox, a delivery pass and
//! relaying a cancelled subscription.

use axum::extract::State;
use axum::Json;
use coffer_app::use_cases::cloud_delivery::DeliveryReport;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_store::rails::OutboxItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Need};
use crate::dto::WorkspaceResponse;
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// One usage record on its way to the cloud marketplace.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloudDeliveryResponse {
    pub id: i64,
    pub account_id: i64,
    pub charge_id: i64,
    /// aliyun, aws, huawei or azure.
    pub provider: String,
    pub cloud_account_id: String,
    /// The provider's idempotency key: `coffer-<charge id>-usage` or `-reversal`.
    pub usage_record_id: String,
    /// Positive for usage, negative for a reversal credit.
    pub amount_minor: i64,
    pub currency: String,
    /// pending, delivered or rejected.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
}

fn delivery_response(i: &OutboxItem) -> CloudDeliveryResponse {
    let x = &i.item;
    CloudDeliveryResponse {
        id: i.id,
        account_id: x.account_id.0,
        charge_id: x.charge_id.0,
        provider: x.provider.as_str().to_owned(),
        cloud_account_id: x.cloud_account_id.clone(),
        usage_record_id: x.usage_record_id.clone(),
        amount_minor: x.amount_minor,
        currency: x.currency.code().to_owned(),
        state: i.state.as_str().to_owned(),
        attempts: i.attempts,
        next_attempt_at_ms: i.next_attempt_at.0,
        last_error: i.last_error.clone(),
        created_at_ms: x.created_at.0,
        delivered_at_ms: i.delivered_at.map(|t| t.0),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// pending, delivered or rejected; all when absent.
    pub state: Option<String>,
    /// At most this many, newest first (1 to 1000, default 200).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryReportResponse {
    pub attempted: u32,
    pub delivered: u32,
    pub retried: u32,
    pub rejected: u32,
    /// Due but not tried: their provider failed transiently earlier in the pass.
    pub deferred: u32,
    pub workspaces_moved: u32,
    /// Answers that could not be recorded; those records are sent again later.
    pub errors: Vec<String>,
}

impl From<DeliveryReport> for DeliveryReportResponse {
    fn from(r: DeliveryReport) -> Self {
        DeliveryReportResponse {
            attempted: r.attempted,
            delivered: r.delivered,
            retried: r.retried,
            rejected: r.rejected,
            deferred: r.deferred,
            workspaces_moved: r.workspaces_moved,
            errors: r.errors,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSubscriptionRequest {
    /// aliyun, aws, huawei or azure.
    pub provider: String,
    pub cloud_account_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancelSubscriptionResponse {
    /// The workspaces moved to billing-center settlement (none when already done).
    pub moved: Vec<WorkspaceResponse>,
}

/// The usage records of a charge with their delivery state.
#[utoipa::path(get, path = "/v1/accounts/{account_id}/charges/{charge_id}/cloud-delivery", tag = "cloud",
    params(("account_id" = i64, Path), ("charge_id" = i64, Path)),
    responses((status = 200, body = [CloudDeliveryResponse]), (status = 404, body = Problem)))]
pub async fn charge_delivery(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, charge)): ApiPath<(i64, i64)>,
) -> Result<Json<Vec<CloudDeliveryResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let items = s.run(move |app| app.outbox_for_charge(AccountId(id), ChargeId(charge))).await?;
    Ok(Json(items.iter().map(delivery_response).collect()))
}

/// The outbox across accounts, newest first (operators).
#[utoipa::path(get, path = "/v1/cloud-outbox", tag = "cloud", params(OutboxQuery),
    responses((status = 200, body = [CloudDeliveryResponse]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn outbox(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<Vec<CloudDeliveryResponse>>, ApiError> {
    caller.require_operator()?;
    let items = s.run(move |app| app.outbox(q.state.as_deref(), q.limit.unwrap_or(200))).await?;
    Ok(Json(items.iter().map(delivery_response).collect()))
}

/// Runs one delivery pass now (operators; a background worker normally does).
#[utoipa::path(post, path = "/v1/cloud-outbox/deliver", tag = "cloud",
    responses((status = 200, body = DeliveryReportResponse), (status = 403, body = Problem)))]
pub async fn deliver(State(s): State<AppState>, caller: Caller) -> Result<Json<DeliveryReportResponse>, ApiError> {
    caller.require_operator()?;
    let report = s.run(|app| app.deliver_outbox()).await?;
    Ok(Json(report.into()))
}

/// Relays a provider's notice that a subscription was cancelled (operators): every
/// workspace on it moves to billing-center settlement. Repeating it moves nothing.
#[utoipa::path(post, path = "/v1/cloud-subscriptions/cancel", tag = "cloud", request_body = CancelSubscriptionRequest,
    responses((status = 200, body = CancelSubscriptionResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_subscription(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CancelSubscriptionRequest>,
) -> Result<Json<CancelSubscriptionResponse>, ApiError> {
    caller.require_operator()?;
    let moved = s.run(move |app| app.cancel_cloud_subscription(&body.provider, &body.cloud_account_id)).await?;
    Ok(Json(CancelSubscriptionResponse { moved: moved.iter().map(WorkspaceResponse::from).collect() }))
}
