//! Coffer's HTTP API (axum). **API boundary:** the only crate that knows JSON bodies
//! and HTTP status codes. Handlers authenticate the caller, check what it may do,
//! and call one use case of `coffer-app` on a blocking thread.
//!
//! # Layout
//! - [`routes`]: one module per area, merged in `routes::v1`.
//! - [`dto`]: request and response types (serde, OpenAPI schemas).
//! - [`problem`]: RFC 9457 errors with stable codes.
//! - [`caller`]: authentication and the authorization rules of DOMAIN §10.
//! - [`idempotency`]: the `Idempotency-Key` header.
//! - [`server`]: binding, graceful shutdown.
//! - [`observe`]: request ids, the access log, request metrics and `/metrics`.
//! - [`openapi`]: the generated OpenAPI document.

pub mod caller;
pub mod dto;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod observe;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod server;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use utoipa_swagger_ui::SwaggerUi;

pub use state::AppState;

/// The whole HTTP surface: `/v1`, health, `/openapi.json` and the docs at `/docs`.
pub fn router(state: AppState) -> Router {
    let docs = SwaggerUi::new("/docs").url("/openapi.json", <openapi::ApiDoc as utoipa::OpenApi>::openapi());
    let api = routes::v1()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(json::BODY_LIMIT_BYTES))
        .with_state(state)
        .merge(docs);
    observe::layer(api)
}

async fn not_found() -> impl IntoResponse {
    problem::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> impl IntoResponse {
    problem::ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
}
