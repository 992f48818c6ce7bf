//! The arrears lifecycle for the platform (a workspace's state) and the account
//! event feed (docs/EVENTS.md). The DTOs live here: they are this module's only.

use axum::extract::State;
use axum::Json;
use coffer_app::{AppError, ErrorCode};
use coffer_core::event::Event;
use coffer_core::ids::AccountId;
use coffer_store::auth::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Need};
use crate::extract::{ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;

/// A workspace's arrears state (DOMAIN §9): the platform stops ingestion while it
/// is `locked`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceStateResponse {
    pub workspace_id: String,
    /// `normal`, `grace` or `locked`.
    pub state: String,
    /// When the grace period ends (grace) or ended (locked), ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_until_ms: Option<i64>,
    /// When the workspace was locked, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_at_ms: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Return events with a sequence number above this (0, the default, from the start).
    pub after: Option<i64>,
    /// 1..=1000, default 100.
    pub limit: Option<u32>,
}

/// One account event; optional fields are omitted when the kind has none.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    /// Global id, increasing in commit order.
    pub id: i64,
    /// 1, 2, 3 … per account, without gaps.
    pub seq: i64,
    pub account_id: i64,
    /// A stable snake_case name, e.g. `recharge_succeeded`, `workspace_locked`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The voucher, card, order or bill the event is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The instant the event points at (an expiry, a lock), ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
    pub occurred_at_ms: i64,
}

impl From<&Event> for EventResponse {
    fn from(e: &Event) -> Self {
        let n = &e.event;
        EventResponse {
            id: e.id,
            seq: e.seq,
            account_id: n.account_id.0,
            kind: n.kind.as_str().to_owned(),
            workspace_id: n.workspace_id.as_ref().map(|w| w.to_string()),
            subject_id: n.subject_id.clone(),
            amount_minor: n.amount.map(|a| a.minor),
            currency: n.amount.map(|a| a.currency.code().to_owned()),
            until_ms: n.until.map(|t| t.0),
            occurred_at_ms: n.occurred_at.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPageResponse {
    pub events: Vec<EventResponse>,
    /// Pass as `after` to read on: the last `seq` returned, or the `after` asked for.
    pub next_after: i64,
}

/// The metering service and operators may read any workspace; members only their
/// own account's, and another account's workspace is answered like a missing one.
fn may_read(caller: &Caller, owner: AccountId) -> bool {
    matches!(caller.0.role, Role::Operator | Role::Metering) || caller.0.account_id == Some(owner)
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace_id}/state", tag = "workspaces",
    params(("workspace_id" = String, Path)),
    responses((status = 200, body = WorkspaceStateResponse), (status = 404, body = Problem)))]
pub async fn workspace_state(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WorkspaceStateResponse>, ApiError> {
    let view = s.run(move |app| app.workspace_state(&id)).await?;
    if !may_read(&caller, view.account_id) {
        let missing = AppError::new(
            ErrorCode::WorkspaceNotFound,
            format!("workspace {} is not bound to any billing account", view.workspace_id),
        )
        .with_field("workspace_id");
        return Err(missing.into());
    }
    Ok(Json(WorkspaceStateResponse {
        workspace_id: view.workspace_id.to_string(),
        state: view.state.name().to_owned(),
        grace_until_ms: view.grace_until.map(|t| t.0),
        locked_at_ms: view.locked_at.map(|t| t.0),
    }))
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/events", tag = "events",
    params(("account_id" = i64, Path), EventQuery),
    responses((status = 200, body = EventPageResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn account_events(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> Result<Json<EventPageResponse>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let page = s.run(move |app| app.account_events(AccountId(id), after, limit)).await?;
    Ok(Json(EventPageResponse {
        events: page.events.iter().map(EventResponse::from).collect(),
        next_after: page.next_after,
    }))
}
