//! Errors as RFC 9457 problem details (`application/problem+json`), each with a
//! stable machine-readable `code` and, where one is at fault, the `field`. Internal
//! details are logged, never returned.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use coffer_app::{AppError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:coffer:error:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable error code (see docs/errors.md).
    pub code: String,
    /// The request field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError { status, code, field: None, detail: detail.into() }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a valid API token or session is required")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this action")
    }

    /// The answer for anything missing, and for anything of another billing account.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; it has been logged")
    }
}

/// The HTTP status of each application error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        Validation => StatusCode::UNPROCESSABLE_ENTITY,
        AccountNotFound | WorkspaceNotFound | VoucherNotFound | CardNotFound | ChargeNotFound => StatusCode::NOT_FOUND,
        IdempotencyConflict | BillConflict | ExternalIdConflict | WorkspaceBoundElsewhere | ChargeAlreadyReversed => {
            StatusCode::CONFLICT
        }
        TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        InvalidCredentials => StatusCode::UNAUTHORIZED,
        LoginTaken => StatusCode::CONFLICT,
        TokenNotFound | RechargeNotFound => StatusCode::NOT_FOUND,
        TransferNotFound => StatusCode::NOT_FOUND,
        TransferNotUnmatched | TransferNotAwaitingApproval => StatusCode::CONFLICT,
        AdjustmentRequestNotFound => StatusCode::NOT_FOUND,
        WebhookEndpointNotFound => StatusCode::NOT_FOUND,
        JobLeaseHeld | JobFenced => StatusCode::CONFLICT,
        AdjustmentRequestNotPending => StatusCode::CONFLICT,
        ApprovalBySameOperator => StatusCode::FORBIDDEN,
        PaymentRailUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        StoreBusy => StatusCode::SERVICE_UNAVAILABLE,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        CurrencyMismatch
        | InsufficientCash
        | ArrearsLimitExceeded
        | SettlementUnchanged
        | SettlementChangedThisMonth
        | CloudSubscriptionActive
        | CodeMalformed
        | CodeUnknown
        | CodeAlreadyUsed
        | CodeExpired
        | CodeNotYetValid
        | VoucherNotRevocable => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        if e.code == ErrorCode::Internal {
            tracing::error!(error = %e.message, "internal error");
            return ApiError::internal();
        }
        ApiError {
            status: status_of(e.code),
            code: e.code.as_str(),
            field: e.field.map(str::to_owned),
            detail: e.message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        coffer_app::metrics::record_failure(self.code);
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let body = Problem {
            type_uri: format!("urn:coffer:error:{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            field: self.field,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (self.status, [(header::CONTENT_TYPE, "application/problem+json")], json).into_response()
    }
}
