//! Webhook endpoints of an account and its notification delivery log
//! (docs/WEBHOOKS.md). Owners and operators manage them. The DTOs live here: they
//! are this module's only.
//!
//! Creating an endpoint takes no `Idempotency-Key`: the answer carries the signing
//! secret, and saved answers are stored, which a secret must never be.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coffer_app::use_cases::webhooks::CreateWebhook;
use coffer_core::ids::AccountId;
use coffer_store::webhooks::{Delivery, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Need};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where events are POSTed: an http:// or https:// URL.
    pub url: String,
    /// Event kinds to deliver (e.g. `recharge_succeeded`); omitted or empty: every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: i64,
    pub account_id: i64,
    pub url: String,
    /// Empty: every kind.
    pub kinds: Vec<String>,
    pub enabled: bool,
    pub created_at_ms: i64,
}

impl From<&WebhookEndpoint> for WebhookResponse {
    fn from(e: &WebhookEndpoint) -> Self {
        WebhookResponse {
            id: e.id,
            account_id: e.endpoint.account_id.0,
            url: e.endpoint.url.clone(),
            kinds: e.endpoint.kinds.clone(),
            enabled: e.enabled,
            created_at_ms: e.endpoint.created_at.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreatedResponse {
    #[serde(flatten)]
    pub endpoint: WebhookResponse,
    /// The signing secret, shown only in this answer: keep it to verify deliveries.
    pub secret: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEnabledRequest {
    /// `false` pauses deliveries to the endpoint, `true` resumes them.
    pub enabled: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `webhook` or `email`; omitted: both.
    pub channel: Option<String>,
    /// 1..=1000, default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: i64,
    /// The event's global id.
    pub event_id: i64,
    /// `webhook` or `email`.
    pub channel: String,
    pub endpoint_id: Option<i64>,
    /// The URL or e-mail address delivered to.
    pub target: String,
    /// `pending`, `delivered` or `failed` (gave up after the last attempt).
    pub state: String,
    pub attempts: i32,
    /// The last HTTP status received (webhooks).
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
}

impl From<&Delivery> for DeliveryResponse {
    fn from(d: &Delivery) -> Self {
        let n = &d.delivery;
        DeliveryResponse {
            id: d.id,
            event_id: n.event_id,
            channel: n.channel.as_str().to_owned(),
            endpoint_id: n.endpoint_id,
            target: n.target.clone(),
            state: d.state.as_str().to_owned(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            next_attempt_at_ms: d.next_attempt_at.0,
            delivered_at_ms: d.delivered_at.map(|t| t.0),
        }
    }
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/webhooks", tag = "webhooks",
    params(("account_id" = i64, Path)), request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookCreatedResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> Result<(StatusCode, Json<WebhookCreatedResponse>), ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let created = s
        .run(move |app| {
            app.create_webhook(&CreateWebhook { account_id: AccountId(id), url: &body.url, kinds: &body.kinds })
        })
        .await?;
    let endpoint = WebhookResponse::from(&created.endpoint);
    Ok((StatusCode::CREATED, Json(WebhookCreatedResponse { endpoint, secret: created.secret })))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/webhooks", tag = "webhooks",
    params(("account_id" = i64, Path)),
    responses((status = 200, body = [WebhookResponse]), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WebhookResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let list = s.run(move |app| app.webhooks(AccountId(id))).await?;
    Ok(Json(list.iter().map(WebhookResponse::from).collect()))
}

#[utoipa::path(delete, path = "/v1/accounts/{account_id}/webhooks/{webhook_id}", tag = "webhooks",
    params(("account_id" = i64, Path), ("webhook_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, webhook_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    s.run(move |app| app.delete_webhook(AccountId(id), webhook_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/v1/accounts/{account_id}/webhooks/{webhook_id}/enabled", tag = "webhooks",
    params(("account_id" = i64, Path), ("webhook_id" = i64, Path)), request_body = WebhookEnabledRequest,
    responses((status = 200, body = WebhookResponse), (status = 404, body = Problem)))]
pub async fn set_enabled(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, webhook_id)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<WebhookEnabledRequest>,
) -> Result<Json<WebhookResponse>, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let endpoint = s.run(move |app| app.set_webhook_enabled(AccountId(id), webhook_id, body.enabled)).await?;
    Ok(Json(WebhookResponse::from(&endpoint)))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/notification-deliveries", tag = "webhooks",
    params(("account_id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = [DeliveryResponse]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn deliveries(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let limit = q.limit.unwrap_or(100);
    let list = s.run(move |app| app.notification_deliveries(AccountId(id), q.channel.as_deref(), limit)).await?;
    Ok(Json(list.iter().map(DeliveryResponse::from).collect()))
}
