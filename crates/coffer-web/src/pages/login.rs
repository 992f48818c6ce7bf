//! Login and logout. The session is the API's (`Auth::login`), with the cookie set
//! exactly as `POST /v1/session` sets it. The login form itself is protected by a
//! double-submit token, since there is no session to hold one yet.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use coffer_app::ErrorCode;
use coffer_http::caller::{constant_time_eq, cookie_value_of, SESSION_COOKIE};
use coffer_http::AppState;
use minijinja::context;

use crate::forms::{field, new_key, Errors, FormData};
use crate::view::render_status;
use crate::viewer::{auth_call, auth_try, PageError, PageResult, Viewer};

const LOGIN_CSRF_COOKIE: &str = "coffer_login_csrf";

/// `/`: the login page, the console, or the member's account.
pub async fn home(viewer: Result<Viewer, PageError>) -> Response {
    match viewer {
        Ok(v) if v.is_operator() => Redirect::to("/console").into_response(),
        Ok(v) => match v.p.account_id {
            Some(a) => Redirect::to(&format!("/accounts/{}", a.0)).into_response(),
            None => PageError::forbidden().into_response(),
        },
        Err(_) => Redirect::to("/login").into_response(),
    }
}

fn login_page(status: StatusCode, secure: bool, login: &str, errors: Errors) -> Response {
    let token = new_key();
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{secure}");
    let ctx = context! { login_csrf => token, values => context! { login }, errors };
    let mut page = render_status(status, "login.html", ctx);
    if let Ok(value) = cookie.parse() {
        page.headers_mut().insert(header::SET_COOKIE, value);
    }
    page
}

pub async fn form(State(s): State<AppState>, viewer: Result<Viewer, PageError>) -> Response {
    if viewer.is_ok() {
        return Redirect::to("/").into_response();
    }
    login_page(StatusCode::OK, s.cookies.secure, "", Errors::default())
}

pub async fn submit(State(s): State<AppState>, headers: HeaderMap, Form(form): Form<FormData>) -> PageResult {
    let sent = field(&form, "login_csrf");
    let expected = cookie_value_of(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let login = field(&form, "login").to_owned();
    if expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        let mut errors = Errors::default();
        errors.add("_form", "The form expired. Please sign in again.");
        return Ok(login_page(StatusCode::FORBIDDEN, s.cookies.secure, &login, errors));
    }
    let password = field(&form, "password").to_owned();
    let l = login.clone();
    let done = match auth_try(&s, move |auth| auth.login(&l, &password)).await? {
        Ok(done) => done,
        Err(e) if e.code == ErrorCode::InvalidCredentials => {
            let mut errors = Errors::default();
            errors.add("_form", "Invalid login or password.");
            return Ok(login_page(StatusCode::UNAUTHORIZED, s.cookies.secure, &login, errors));
        }
        Err(e) if e.code == ErrorCode::TooManyAttempts => {
            let mut errors = Errors::default();
            errors.add("_form", "Too many failed sign-ins for this login. Try again in an hour.");
            return Ok(login_page(StatusCode::TOO_MANY_REQUESTS, s.cookies.secure, &login, errors));
        }
        Err(e) => return Err(PageError::app(e)),
    };
    let secure = if s.cookies.secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{secure}", done.session_id);
    let clear = format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = Redirect::to("/").into_response();
    for c in [cookie, clear] {
        if let Ok(value) = c.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// Deletes the session server-side and clears the cookie.
pub async fn logout(State(s): State<AppState>, v: Viewer, Form(form): Form<FormData>) -> PageResult {
    v.check_csrf(&form)?;
    let id = v.session_id.clone();
    auth_call(&s, move |auth| auth.logout(&id)).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}
