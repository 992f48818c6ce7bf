//! Coffer's Billing Center web UI: server-rendered HTML (minijinja templates
//! compiled into the binary) over the same `coffer-app` use cases the API calls,
//! with a vendored htmx for the few places where a partial update helps.
//!
//! Every page checks DOMAIN §10 through `coffer_http::caller` (403 on one's own
//! account, 404 on a foreign one); every form carries the session's CSRF token and
//! every POST checks it; money-moving forms go through a confirmation step; a form
//! with errors is shown again with each error next to its field, and nothing is
//! written.
//!
//! # Layout
//! - [`viewer`]: the session behind a request, CSRF, authorization, page errors.
//! - [`view`]: the template environment and rendering.
//! - [`forms`], [`fmt`]: form input and display formatting.
//! - [`pages`]: the customer side (one module per area).
//! - [`console`]: the operator console.

pub mod console;
pub mod fmt;
pub mod forms;
pub mod pages;
pub mod view;
pub mod viewer;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use coffer_http::AppState;

static CSS: &str = include_str!("../assets/app.css");
static HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");

/// The UI's routes, to merge with the API's router. Sets no fallback, so the API's
/// fallback keeps answering unknown paths. Form bodies have the API's size limit
/// (no form comes near it); an oversized one gets a status page, not axum's text.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/assets/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }))
        .route("/assets/htmx.min.js", get(htmx))
        .merge(pages::routes())
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(coffer_http::json::BODY_LIMIT_BYTES))
        .layer(axum::middleware::map_response(too_large_page))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The Content-Security-Policy of every UI response. Scripts come only from our own
/// assets (htmx; no template has an inline script), the UI cannot be framed
/// (clickjacking), and no plugin or `<base>` can be injected. Inline styles stay
/// allowed because htmx adds its indicator style at run time. There is no
/// `form-action`: a recharge form is answered with a redirect to Alipay's checkout,
/// which browsers check against `form-action` too.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                                           img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                                           frame-ancestors 'none'";

/// Headers every UI response carries: the CSP above, no framing, no MIME sniffing,
/// no full URL (a signed Alipay return, say) in the Referer sent to other sites,
/// and pages, which hold account data and once-shown tokens, kept out of caches.
async fn security_headers(mut response: Response) -> Response {
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    if is_page && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    response
}

async fn too_large_page(response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return view::status_page(StatusCode::PAYLOAD_TOO_LARGE, "The form was too large; nothing was saved.");
    }
    response
}

async fn htmx() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], HTMX)
}
