//! Sessions (password login for the web UI), API tokens and account members.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coffer_core::ids::AccountId;
use coffer_store::auth::{Role, TokenRecord};

use crate::caller::{cookie_value_of, Caller, Need, SESSION_COOKIE};
use crate::dto::*;
use crate::extract::ApiPath;
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Whether cookies should carry `Secure` (behind TLS).
#[derive(Clone, Copy, Debug, Default)]
pub struct CookiePolicy {
    pub secure: bool,
}

fn token_response(t: &TokenRecord, plain: Option<String>) -> TokenResponse {
    TokenResponse {
        token_id: t.id,
        name: t.token.name.clone(),
        role: t.token.role.as_str().to_owned(),
        account_id: t.token.account_id.map(|a| a.0),
        created_at_ms: t.token.created_at.0,
        revoked_at_ms: t.revoked_at.map(|r| r.0),
        token: plain,
    }
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "role must be operator, owner, finance, viewer or metering",
        )
        .field("role")
    })
}

/// Logs in with a password. Sets an HttpOnly, SameSite=Strict session cookie (Secure
/// under TLS) with a fresh id, so a session id from before the login is never reused.
#[utoipa::path(post, path = "/v1/session", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem)))]
pub async fn login(State(s): State<AppState>, ApiJson(body): ApiJson<LoginRequest>) -> Result<Response, ApiError> {
    let done = s.run_auth(move |auth| auth.login(&body.login, &body.password)).await.map_err(|e| {
        if e.code == "invalid_credentials" {
            ApiError::new(StatusCode::UNAUTHORIZED, e.code, e.detail)
        } else {
            e
        }
    })?;
    let secure = if s.cookies.secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{secure}", done.session_id);
    let body = LoginResponse {
        user_id: done.user.id,
        role: done.user.user.role.as_str().to_owned(),
        account_id: done.user.user.account_id.map(|a| a.0),
        csrf_token: done.csrf_token,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Logs out: the session is deleted server-side and the cookie cleared.
#[utoipa::path(delete, path = "/v1/session", tag = "identity", responses((status = 204)))]
pub async fn logout(State(s): State<AppState>, _caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(id) = cookie_value_of(&headers, SESSION_COOKIE).map(str::to_owned) {
        s.run_auth(move |auth| auth.logout(&id)).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Creates an API token. Operators may create any; an account owner may create
/// member tokens for their own account.
#[utoipa::path(post, path = "/v1/tokens", tag = "identity", request_body = CreateTokenRequest,
    responses((status = 201, body = TokenResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> Result<Response, ApiError> {
    let role = role(&body.role)?;
    let account = body.account_id.map(AccountId);
    match (role.is_member(), account) {
        (true, Some(a)) => caller.require(a, Need::Manage)?,
        _ => caller.require_operator()?,
    }
    if let Some(a) = account {
        s.run(move |app| app.account_overview(a).map(drop)).await?;
    }
    let (plain, record) = s.run_auth(move |auth| auth.create_token(&body.name, role, account)).await?;
    Ok((StatusCode::CREATED, Json(token_response(&record, Some(plain)))).into_response())
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/tokens", tag = "identity",
    params(("account_id" = i64, Path)), responses((status = 200, body = [TokenResponse])))]
pub async fn account_tokens(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TokenResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let list = s.run_auth(move |auth| Ok(auth.store.tokens_of_account(Some(AccountId(id)))?)).await?;
    Ok(Json(list.iter().map(|t| token_response(t, None)).collect()))
}

#[utoipa::path(post, path = "/v1/accounts/{account_id}/members", tag = "identity",
    params(("account_id" = i64, Path)), request_body = CreateMemberRequest,
    responses((status = 201, body = MemberResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_member(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CreateMemberRequest>,
) -> Result<Response, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let role = role(&body.role)?;
    if !role.is_member() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "role must be owner, finance or viewer",
        )
        .field("role"));
    }
    s.run(move |app| app.account_overview(AccountId(id)).map(drop)).await?;
    let user = s.run_auth(move |auth| auth.create_user(&body.login, &body.password, role, Some(AccountId(id)))).await?;
    let body = MemberResponse {
        user_id: user.id,
        login: user.user.login,
        role: role.as_str().to_owned(),
        account_id: Some(id),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/members", tag = "identity",
    params(("account_id" = i64, Path)), responses((status = 200, body = [MemberResponse])))]
pub async fn members(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MemberResponse>>, ApiError> {
    caller.require(AccountId(id), Need::Manage)?;
    let users = s.run_auth(move |auth| Ok(auth.store.users_of_account(AccountId(id))?)).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| MemberResponse {
                user_id: u.id,
                login: u.user.login,
                role: u.user.role.as_str().to_owned(),
                account_id: Some(id),
            })
            .collect(),
    ))
}
