//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::dto::HealthResponse;
use crate::problem::ApiError;
use crate::state::AppState;

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok".into() })
}

/// The store answers a query.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, body = HealthResponse), (status = 503)))]
pub async fn readyz(State(s): State<AppState>) -> Result<Json<HealthResponse>, ApiError> {
    s.run(|app| app.read(|r| Ok(r.account(coffer_core::ids::AccountId(0)).map(drop)?)))
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the store is not reachable"))?;
    Ok(Json(HealthResponse { status: "ready".into() }))
}
