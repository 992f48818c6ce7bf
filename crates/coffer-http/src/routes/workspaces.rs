//! Workspaces and their settlement method.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use coffer_app::use_cases::workspaces::{BindWorkspace, ChangeSettlement};
use coffer_core::ids::AccountId;
use coffer_core::workspace::ChangeAuthority;

use crate::caller::{Caller, Need};
use crate::dto::*;
use crate::extract::ApiPath;
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[utoipa::path(get, path = "/v1/accounts/{account_id}/workspaces", tag = "workspaces",
    params(("account_id" = i64, Path)), responses((status = 200, body = [WorkspaceResponse]), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WorkspaceResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let list = s.run(move |app| app.workspaces_of(AccountId(id))).await?;
    Ok(Json(list.iter().map(WorkspaceResponse::from).collect()))
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/workspaces", tag = "workspaces",
    params(("account_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = BindWorkspaceRequest,
    responses((status = 201, body = WorkspaceResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn bind(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<BindWorkspaceRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let route = format!("POST /v1/accounts/{id}/workspaces");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::CREATED, save: Save::AsIs },
        move |app, _, body| {
            let req = BindWorkspace {
                account_id: AccountId(id),
                workspace_id: &body.workspace_id,
                settlement: &body.settlement,
                cloud_provider: body.cloud_provider.as_deref(),
                cloud_account_id: body.cloud_account_id.as_deref(),
            };
            app.bind_workspace(&req).map(|w| WorkspaceResponse::from(&w))
        },
    )
    .await
}

/// Checks that the workspace belongs to the account in the path.
fn owned(app: &coffer_app::App, account: i64, workspace: &str) -> coffer_app::AppResult<()> {
    let list = app.workspaces_of(AccountId(account))?;
    if list.iter().any(|w| w.id.as_str() == workspace) {
        Ok(())
    } else {
        Err(coffer_app::AppError::new(
            coffer_app::ErrorCode::WorkspaceNotFound,
            format!("workspace {workspace} not found"),
        )
        .with_field("workspace_id"))
    }
}

#[utoipa::path(delete, path = "/v1/accounts/{account_id}/workspaces/{workspace_id}", tag = "workspaces",
    params(("account_id" = i64, Path), ("workspace_id" = String, Path)),
    responses((status = 200, body = WorkspaceResponse), (status = 404, body = Problem)))]
pub async fn unbind(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath((id, ws)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let route = format!("DELETE /v1/accounts/{id}/workspaces/{ws}");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: (), status: StatusCode::OK, save: Save::AsIs },
        move |app, _, _| {
            owned(app, id, &ws)?;
            app.unbind_workspace(&ws).map(|w| WorkspaceResponse::from(&w))
        },
    )
    .await
}

#[utoipa::path(put, path = "/v1/accounts/{account_id}/workspaces/{workspace_id}/settlement", tag = "workspaces",
    params(("account_id" = i64, Path), ("workspace_id" = String, Path)), request_body = ChangeSettlementRequest,
    responses((status = 200, body = WorkspaceResponse), (status = 422, body = Problem)))]
pub async fn change_settlement(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath((id, ws)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<ChangeSettlementRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    if body.operator_override {
        caller.require_operator()?;
    }
    let authority = if body.operator_override { ChangeAuthority::Operator } else { ChangeAuthority::Customer };
    let route = format!("PUT /v1/accounts/{id}/workspaces/{ws}/settlement");
    once(
        &s,
        &caller,
        &key,
        Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs },
        move |app, _, body| {
            owned(app, id, &ws)?;
            let req = ChangeSettlement {
                workspace_id: &ws,
                settlement: &body.settlement,
                cloud_provider: body.cloud_provider.as_deref(),
                cloud_account_id: body.cloud_account_id.as_deref(),
                authority,
            };
            app.change_settlement(&req).map(|w| WorkspaceResponse::from(&w))
        },
    )
    .await
}
