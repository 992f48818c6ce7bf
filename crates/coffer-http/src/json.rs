//! JSON bodies in and out. Malformed JSON, unknown fields, wrong types, a wrong
//! content type and oversized bodies all become 4xx problems, never 500s.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// The most a request body may hold.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A JSON body whose errors are problem details.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

/// Decodes a body exactly as [`ApiJson`] does once the bytes are read, with the same
/// problems on failure. The fuzz targets call it to reach every request type without
/// a server.
pub fn decode_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    axum::Json::<T>::from_bytes(bytes).map(|axum::Json(value)| value).map_err(reject)
}

fn reject(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            let field = field_of(&detail);
            let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", detail);
            match field {
                Some(f) => err.field(f),
                None => err,
            }
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request("malformed_json", e.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body could not be read: {}", e.body_text()),
        ),
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// serde reports "unknown field `x`" and "missing field `x`" and, with a path,
/// "x: invalid type"; pull the field name out for the problem's `field`.
fn field_of(detail: &str) -> Option<String> {
    if let Some(start) = detail.find('`') {
        let rest = &detail[start + 1..];
        if let Some(end) = rest.find('`') {
            if detail.contains("unknown field") || detail.contains("missing field") {
                return Some(rest[..end].to_owned());
            }
        }
    }
    let body = detail.strip_prefix("Failed to deserialize the JSON body into the target type: ")?;
    let (path, _) = body.split_once(": ")?;
    (!path.contains(' ')).then(|| path.to_owned())
}
