//! The `Idempotency-Key` header. A mutating request with a key is answered once:
//! the same key and body later get the saved response; the same key with another
//! body gets `409 idempotency_conflict`. Responses are kept at least 30 days. Keys
//! are scoped per principal kind and billing account. Use cases that take a key of
//! their own also receive it, so the outcome is idempotent inside the transaction
//! too (the saved response covers the crash window between commit and save).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use coffer_app::{App, AppResult};
use coffer_core::ids::IdempotencyKey;
use coffer_store::auth::SavedResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::caller::Caller;
use crate::problem::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";

/// The optional key of a request, validated.
#[derive(Clone, Debug, Default)]
pub struct IdemKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(HEADER) else { return Ok(IdemKey(None)) };
        let text = value.to_str().map_err(|_| bad_key("must be ASCII"))?;
        IdempotencyKey::parse(text).map_err(|e| bad_key(&e.to_string()))?;
        Ok(IdemKey(Some(text.to_owned())))
    }
}

fn bad_key(why: &str) -> ApiError {
    ApiError::bad_request("invalid_idempotency_key", format!("Idempotency-Key {why}")).field("Idempotency-Key")
}

/// How a response may be saved.
#[derive(Clone, Copy)]
pub enum Save {
    AsIs,
    /// With secrets removed (activation codes are shown once).
    Redacted(fn(&mut serde_json::Value)),
}

fn fingerprint(route: &str, body: &impl Serialize) -> String {
    let json = serde_json::to_string(body).unwrap_or_default();
    hex::encode(Sha256::digest(format!("{route}\n{json}").as_bytes()))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One mutating request: where it went, what it carried, how to answer it.
pub struct Call<'a, B> {
    pub route: &'a str,
    pub request: B,
    /// The status of a successful answer.
    pub status: StatusCode,
    pub save: Save,
}

/// Runs `f` at most once per key; see the module docs. `f` gets the app, the key
/// (for use cases that take one) and the request.
pub async fn once<T, B>(
    state: &AppState,
    caller: &Caller,
    key: &IdemKey,
    call: Call<'_, B>,
    f: impl FnOnce(&App, Option<&str>, &B) -> AppResult<T> + Send + 'static,
) -> Result<Response, ApiError>
where
    T: Serialize + Send + 'static,
    B: Serialize + Send + 'static,
{
    let Call { route, request, status, save } = call;
    let request_hash = fingerprint(route, &request);
    let scope = caller.scope();
    if let Some(k) = key.0.clone() {
        let (s, kk) = (scope.clone(), k.clone());
        let saved = state.run_auth(move |auth| Ok(auth.store.saved_response(&s, &kk)?)).await?;
        if let Some(saved) = saved {
            if saved.request_hash != request_hash {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "idempotency_conflict",
                    "this Idempotency-Key was already used with a different request",
                )
                .field("Idempotency-Key"));
            }
            let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
            return Ok(json_response(status, saved.body));
        }
    }
    let app_key = key.0.clone();
    let value = state.run(move |app| f(app, app_key.as_deref(), &request)).await?;
    let mut json = serde_json::to_value(&value).map_err(|_| ApiError::internal())?;
    let body = serde_json::to_string(&json).map_err(|_| ApiError::internal())?;
    if let Some(k) = key.0.clone() {
        if let Save::Redacted(redact) = save {
            redact(&mut json);
        }
        let saved = SavedResponse {
            scope,
            key: k,
            request_hash,
            status: status.as_u16(),
            body: serde_json::to_string(&json).map_err(|_| ApiError::internal())?,
            created_at: state.app.now(),
        };
        // A concurrent request with the same key may have saved first; either copy
        // describes the same outcome.
        let _ = state.run_auth(move |auth| Ok(auth.store.save_response(&saved)?)).await;
    }
    Ok(json_response(status, body))
}
