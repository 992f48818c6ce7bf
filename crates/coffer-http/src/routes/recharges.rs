//! Online recharge through Alipay: orders, the notification endpoint Alipay posts
//! to, the return page the browser comes back to, the notification log and the
//! sweeper.

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_core::ids::AccountId;
use coffer_store::rails::{NotificationRecord, RechargeOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Need};
use crate::extract::{ApiPath, ApiQuery, ApiText};
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRechargeRequest {
    pub amount_minor: i64,
    /// CNY: Alipay recharges are in CNY.
    pub currency: String,
    /// `page_pay` (redirect to Alipay's checkout, default) or `precreate` (a QR code).
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RechargeResponse {
    pub out_trade_no: String,
    pub account_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub channel: String,
    /// created, pending, paid or expired.
    pub state: String,
    /// Send the browser here (page_pay).
    pub pay_url: Option<String>,
    /// Render as a QR code (precreate).
    pub qr_code: Option<String>,
    pub trade_no: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub paid_at_ms: Option<i64>,
    /// Paid after the order had expired: credited anyway, flagged for operators.
    pub late: bool,
}

pub fn recharge_response(o: &RechargeOrder, pay_url: Option<String>) -> RechargeResponse {
    RechargeResponse {
        out_trade_no: o.order.out_trade_no.clone(),
        account_id: o.order.account_id.0,
        amount_minor: o.order.amount.minor(),
        currency: o.order.currency.code().to_owned(),
        channel: o.order.channel.clone(),
        state: o.state.as_str().to_owned(),
        pay_url,
        qr_code: o.qr_code.clone(),
        trade_no: o.trade_no.clone(),
        created_at_ms: o.order.created_at.0,
        expires_at_ms: o.order.expires_at.0,
        paid_at_ms: o.paid_at.map(|t| t.0),
        late: o.late,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// `true` asks Alipay now (the customer's "I have paid" button).
    pub confirm: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: i64,
    pub received_at_ms: i64,
    pub account_id: Option<i64>,
    pub out_trade_no: Option<String>,
    pub notify_id: Option<String>,
    pub trade_status: Option<String>,
    /// credited, duplicate, ignored or rejected.
    pub verdict: String,
    pub reason: String,
}

fn notification_response(n: &NotificationRecord) -> NotificationResponse {
    let x = &n.notification;
    NotificationResponse {
        id: n.id,
        received_at_ms: x.received_at.0,
        account_id: x.account_id.map(|a| a.0),
        out_trade_no: x.out_trade_no.clone(),
        notify_id: x.notify_id.clone(),
        trade_status: x.trade_status.clone(),
        verdict: x.verdict.clone(),
        reason: x.reason.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SweepResponse {
    pub checked: u32,
    pub credited: u32,
    pub expired: u32,
    pub deferred: u32,
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/recharges", tag = "recharge",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = CreateRechargeRequest,
    responses((status = 201, body = RechargeResponse), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CreateRechargeRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Pay)?;
    let route = format!("POST /v1/accounts/{id}/recharges");
    let call = Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, key, body| {
        let req = CreateRecharge {
            account_id: AccountId(id),
            amount_minor: body.amount_minor,
            currency: &body.currency,
            channel: body.channel.as_deref().unwrap_or("page_pay"),
            idempotency_key: key,
        };
        let started = app.create_recharge(&req)?;
        Ok(recharge_response(&started.order, started.pay_url))
    })
    .await
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/recharges", tag = "recharge",
    params(("account_id" = i64, Path)), responses((status = 200, body = [RechargeResponse])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RechargeResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let orders = s.run(move |app| app.recharge_orders(AccountId(id), 100)).await?;
    Ok(Json(orders.iter().map(|o| recharge_response(o, None)).collect()))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/recharges/{out_trade_no}", tag = "recharge",
    params(("account_id" = i64, Path), ("out_trade_no" = String, Path), ConfirmQuery),
    responses((status = 200, body = RechargeResponse), (status = 404, body = Problem)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, no)): ApiPath<(i64, String)>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Json<RechargeResponse>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let order = s
        .run(move |app| {
            let order = app.recharge_order(AccountId(id), &no)?;
            if q.confirm == Some(true) && order.state != coffer_store::rails::RechargeState::Paid {
                return app.confirm_recharge(&no);
            }
            Ok(order)
        })
        .await?;
    Ok(Json(recharge_response(&order, None)))
}

/// Alipay's asynchronous notification (form-encoded, unauthenticated: the RSA2
/// signature is the authentication). Answers exactly `success` or `fail`.
#[utoipa::path(post, path = "/v1/alipay/notify", tag = "recharge", security(),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "success or fail", body = String)))]
pub async fn notify(State(s): State<AppState>, ApiText(body): ApiText) -> Response {
    let answer = s.run(move |app| app.handle_alipay_notification(&body)).await;
    let text = match answer {
        Ok(a) => a.as_str(),
        // A transient failure on our side: "fail" makes Alipay retry later.
        Err(_) => "fail",
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// Where the browser comes back after paying. The signature is verified and Alipay
/// is queried; the return alone never credits.
#[utoipa::path(get, path = "/v1/alipay/return", tag = "recharge", security(),
    responses((status = 200, body = RechargeResponse), (status = 422, body = Problem)))]
pub async fn return_page(
    State(s): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<RechargeResponse>, ApiError> {
    let query = query.unwrap_or_default();
    let order = s.run(move |app| app.handle_alipay_return(&query)).await?;
    Ok(Json(recharge_response(&order, None)))
}

#[utoipa::path(get, path = "/v1/alipay/notifications", tag = "recharge",
    responses((status = 200, body = [NotificationResponse]), (status = 403, body = Problem)))]
pub async fn notifications(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<NotificationResponse>>, ApiError> {
    caller.require_operator()?;
    let list = s.run(|app| app.alipay_notifications(None, 200)).await?;
    Ok(Json(list.iter().map(notification_response).collect()))
}

#[utoipa::path(post, path = "/v1/recharges/sweep", tag = "recharge",
    responses((status = 200, body = SweepResponse), (status = 403, body = Problem)))]
pub async fn sweep(State(s): State<AppState>, caller: Caller) -> Result<Json<SweepResponse>, ApiError> {
    caller.require_operator()?;
    let r = s.run(|app| app.sweep_recharges()).await?;
    Ok(Json(SweepResponse { checked: r.checked, credited: r.credited, expired: r.expired, deferred: r.deferred }))
}
