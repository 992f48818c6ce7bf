//! Who is looking at a page, and the errors a page can end in.
//!
//! The UI logs in with the same sessions as the API (`coffer_session`, HttpOnly,
//! SameSite=Strict) and decides access with the API's own rules
//! (`coffer_http::caller::Caller::require`), so the UI and the API cannot disagree
//! about DOMAIN §10.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use coffer_app::auth::Principal;
use coffer_app::{App, AppError, AppResult, ErrorCode};
use coffer_core::ids::AccountId;
use coffer_http::caller::{constant_time_eq, cookie_value_of, Caller, Need, SESSION_COOKIE};
use coffer_http::AppState;
use coffer_store::auth::Role;

use crate::forms::FormData;
use crate::view;

/// A logged-in person: their principal, the session's CSRF token and the session id.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub p: Principal,
    pub csrf: String,
    pub session_id: String,
}

/// How a page request can end other than with its page.
#[derive(Debug)]
pub enum PageError {
    /// No (live) session: go to the login page.
    Login,
    /// A status page: 403, 404, 400 and the like.
    Status(StatusCode, String),
}

impl PageError {
    pub fn not_found() -> PageError {
        PageError::Status(StatusCode::NOT_FOUND, "There is nothing here.".into())
    }

    pub fn forbidden() -> PageError {
        PageError::Status(StatusCode::FORBIDDEN, "Your role does not allow this.".into())
    }

    /// An error of a use case outside a form: missing things are 404, the rest 400/500.
    pub fn app(e: AppError) -> PageError {
        let status = match e.code {
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::StoreBusy | ErrorCode::PaymentRailUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            c if c.as_str().ends_with("_not_found") => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "page failed");
            return PageError::Status(status, "Something went wrong on our side.".into());
        }
        PageError::Status(status, e.message)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::app(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login => Redirect::to("/login").into_response(),
            PageError::Status(status, message) => view::status_page(status, &message),
        }
    }
}

pub type PageResult = Result<Response, PageError>;

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(session_id) = cookie_value_of(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(PageError::Login);
        };
        let id = session_id.clone();
        let found = auth_call(state, move |auth| auth.session(&id)).await?;
        let (p, csrf) = found.ok_or(PageError::Login)?;
        if p.role == Role::Metering {
            return Err(PageError::forbidden());
        }
        Ok(Viewer { p, csrf, session_id })
    }
}

impl Viewer {
    pub fn is_operator(&self) -> bool {
        self.p.role == Role::Operator
    }

    /// DOMAIN §10, exactly as the API applies it: 403 on one's own account, 404 on another's.
    pub fn require(&self, account: AccountId, need: Need) -> Result<(), PageError> {
        Caller(self.p).require(account, need).map_err(|e| match e.status {
            StatusCode::NOT_FOUND => PageError::not_found(),
            _ => PageError::forbidden(),
        })
    }

    pub fn may(&self, account: AccountId, need: Need) -> bool {
        Caller(self.p).require(account, need).is_ok()
    }

    pub fn require_operator(&self) -> Result<(), PageError> {
        if self.is_operator() {
            Ok(())
        } else {
            Err(PageError::forbidden())
        }
    }

    /// Every POST carries the session's CSRF token in the `csrf` field.
    pub fn check_csrf(&self, form: &FormData) -> Result<(), PageError> {
        let sent = form.get("csrf").map(String::as_str).unwrap_or("");
        if constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Status(StatusCode::FORBIDDEN, "The form expired or did not come from this site.".into()))
        }
    }
}

/// Runs a use case on a blocking thread (use cases do synchronous, durable IO).
pub async fn run<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
) -> Result<AppResult<T>, PageError> {
    let app = s.app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await.map_err(|e| {
        tracing::error!(error = %e, "use case panicked");
        PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.".into())
    })
}

/// [`run`] where any error ends the page.
pub async fn load<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
) -> Result<T, PageError> {
    run(s, f).await?.map_err(PageError::app)
}

/// Runs an identity operation on a blocking thread; errors end the page.
pub async fn auth_call<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&coffer_app::auth::Auth) -> AppResult<T> + Send + 'static,
) -> Result<T, PageError> {
    let auth = s.auth.clone();
    match tokio::task::spawn_blocking(move || f(&auth)).await {
        Ok(r) => r.map_err(PageError::app),
        Err(_) => Err(PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.".into())),
    }
}

/// Runs an identity operation whose error a form shows.
pub async fn auth_try<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&coffer_app::auth::Auth) -> AppResult<T> + Send + 'static,
) -> Result<AppResult<T>, PageError> {
    let auth = s.auth.clone();
    tokio::task::spawn_blocking(move || f(&auth))
        .await
        .map_err(|_| PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.".into()))
}
