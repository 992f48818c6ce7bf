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
        .with_state(state)
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
