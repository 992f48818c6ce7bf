//! Who is calling, and what they may do (DOMAIN §10).
//!
//! A request authenticates with `Authorization: Bearer <token>` or with the session
//! cookie set by `POST /v1/session`. Cookie-authenticated requests that change
//! anything must also carry the session's CSRF token in `X-CSRF-Token`.
//!
//! Unauthenticated → 401. Authenticated but not allowed → 403 on one's own account
//! (or on operator-only routes), 404 on another account's resources: a foreign
//! resource is answered exactly like a missing one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use coffer_app::auth::Principal;
use coffer_core::ids::AccountId;
use coffer_store::auth::Role;

use crate::problem::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "coffer_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated principal of a request.
#[derive(Clone, Copy, Debug)]
pub struct Caller(pub Principal);

/// What an action on an account needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Any member.
    Read,
    /// Recharge, activate vouchers, buy cards: owner or finance.
    Pay,
    /// Workspaces, settlement, members, tokens: owner.
    Manage,
    /// Billing Center staff only.
    Operator,
}

impl Caller {
    pub fn is_operator(&self) -> bool {
        self.0.role == Role::Operator
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Metering posts charges and previews; operators may too.
    pub fn require_metering(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::Operator | Role::Metering => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// Checks access to one billing account's resources.
    pub fn require(&self, account: AccountId, need: Need) -> Result<(), ApiError> {
        let p = self.0;
        if p.role == Role::Operator {
            return Ok(());
        }
        if p.role == Role::Metering {
            return Err(ApiError::forbidden());
        }
        if p.account_id != Some(account) {
            return Err(ApiError::not_found("billing account"));
        }
        let allowed = match need {
            Need::Read => true,
            Need::Pay => matches!(p.role, Role::Owner | Role::Finance),
            Need::Manage => p.role == Role::Owner,
            Need::Operator => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// A scope for saved idempotent responses: one per principal kind and account.
    pub fn scope(&self) -> String {
        let account = self.0.account_id.map_or(0, |a| a.0);
        format!("{}:{account}", self.0.role.as_str())
    }
}

pub fn cookie_value_of<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compares secrets (CSRF tokens, the login form's double-submit token) in time
/// independent of where they differ. `subtle` keeps the optimizer from turning the
/// comparison back into an early exit; only the length, which is public (every
/// token has the same length), may end it early.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

fn is_mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).map(str::to_owned);
            let Some(token) = token else { return Err(ApiError::unauthorized()) };
            let principal = state.run_auth(move |auth| auth.authenticate_token(&token)).await?;
            return principal.map(Caller).ok_or_else(ApiError::unauthorized);
        }
        let Some(session_id) = cookie_value_of(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(ApiError::unauthorized());
        };
        let found = state.run_auth(move |auth| auth.session(&session_id)).await?;
        let Some((principal, csrf)) = found else { return Err(ApiError::unauthorized()) };
        if is_mutating(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", "missing or wrong X-CSRF-Token"));
            }
        }
        Ok(Caller(principal))
    }
}
