//! Observability at the HTTP edge: a request id on every request, one access-log
//! line per answer, the request metrics, and the `/metrics` route.
//!
//! **Request ids.** A caller's `x-request-id` is kept when it is short and printable
//! (so a proxy's id follows the request through), otherwise a fresh random id is
//! drawn. The id is echoed in the response's `x-request-id` and carried by the
//! `request` span, so every log line written while the request runs names it.
//!
//! **No secrets in logs.** The access log records the matched route *template*
//! (`/v1/accounts/{account_id}`), never the raw path or query string, and no header
//! values: tokens, session cookies, activation codes and Alipay's signed return
//! parameters never reach a log line.
//!
//! **Who may scrape.** `/metrics` answers a bearer token when one is configured
//! ([`MetricsAccess::Token`]); without one it answers only peers on the loopback
//! interface ([`MetricsAccess::LoopbackOnly`]), and refuses others with 403.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::problem::ApiError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The longest caller-supplied request id that is kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Adds request ids, access logging and request metrics to every route of `router`.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(axum::middleware::from_fn(observe))
}

async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id(req.headers());
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        req.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let mut response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    coffer_app::metrics::record_http_request(&route, &method, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            target: "coffer::access",
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The caller's request id when it is acceptable, else a new random one.
fn request_id(headers: &HeaderMap) -> String {
    let given = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok());
    match given {
        Some(id) if is_acceptable(id) => id.to_owned(),
        _ => hex::encode(rand::random::<[u8; 12]>()),
    }
}

fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Who may read `/metrics`.
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    /// Peers on the loopback interface only.
    LoopbackOnly,
    /// Anyone presenting `Authorization: Bearer <token>`; kept as a SHA-256 digest
    /// so the comparison does not leak the token's length or prefix through timing.
    Token([u8; 32]),
}

impl MetricsAccess {
    pub fn token(token: &str) -> MetricsAccess {
        MetricsAccess::Token(Sha256::digest(token.as_bytes()).into())
    }
}

/// What `/metrics` needs: who may read it, and a hook that samples gauges only
/// known at scrape time (such as the database pool) before rendering.
#[derive(Clone)]
struct Scrape {
    access: MetricsAccess,
    sample: Arc<dyn Fn() + Send + Sync>,
}

/// The `/metrics` route. Serve the app with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the loopback rule can
/// see the peer; without that information every peer is refused.
pub fn metrics_router<S: Clone + Send + Sync + 'static>(
    access: MetricsAccess,
    sample: impl Fn() + Send + Sync + 'static,
) -> Router<S> {
    let scrape = Scrape { access, sample: Arc::new(sample) };
    Router::new().route("/metrics", get(metrics).with_state(scrape))
}

async fn metrics(State(scrape): State<Scrape>, req: Request) -> Response {
    if !allowed(&scrape.access, &req) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "metrics are served to loopback or with the metrics token",
        )
        .into_response();
    }
    let sample = scrape.sample.clone();
    // Sampling may take a lock in the store; keep it off the async workers.
    let _ = tokio::task::spawn_blocking(move || sample()).await;
    let body = coffer_app::metrics::render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

fn allowed(access: &MetricsAccess, req: &Request) -> bool {
    match access {
        MetricsAccess::LoopbackOnly => {
            req.extensions().get::<ConnectInfo<SocketAddr>>().is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback())
        }
        MetricsAccess::Token(digest) => {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let presented: Option<[u8; 32]> = presented.map(|t| Sha256::digest(t.as_bytes()).into());
            presented.is_some_and(|p| constant_time_eq(&p, digest))
        }
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printable_caller_request_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("abc-123_x.y:z"));
        assert_eq!(request_id(&headers), "abc-123_x.y:z");
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("has space"));
        let fresh = request_id(&headers);
        assert_eq!(fresh.len(), 24);
        assert_ne!(fresh, request_id(&headers));
        let long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_str(&long).unwrap_or(HeaderValue::from_static("x")));
        assert_ne!(request_id(&headers), long);
    }
}
