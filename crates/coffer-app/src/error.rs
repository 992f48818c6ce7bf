//! One error type for every use case: a stable machine-readable code, the offending
//! field when there is one, and a sentence for people. Edges map codes to exit codes
//! or HTTP statuses; the code strings never change once published.

use std::fmt;

use coffer_store::StoreError;

macro_rules! error_codes {
    ($($variant:ident => $text:literal,)*) => {
        /// Stable error codes. See docs/errors.md.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text,)* }
            }
        }
    };
}

error_codes! {
    Validation => "validation_failed",
    CurrencyMismatch => "currency_mismatch",
    AccountNotFound => "account_not_found",
    WorkspaceNotFound => "workspace_not_found",
    WorkspaceBoundElsewhere => "workspace_bound_elsewhere",
    VoucherNotFound => "voucher_not_found",
    CardNotFound => "card_not_found",
    ChargeNotFound => "charge_not_found",
    IdempotencyConflict => "idempotency_conflict",
    BillConflict => "bill_conflict",
    ExternalIdConflict => "external_id_conflict",
    InsufficientCash => "insufficient_cash",
    ArrearsLimitExceeded => "arrears_limit_exceeded",
    SettlementUnchanged => "settlement_unchanged",
    SettlementChangedThisMonth => "settlement_changed_this_month",
    CloudSubscriptionActive => "cloud_subscription_active",
    CodeMalformed => "code_malformed",
    CodeUnknown => "code_unknown",
    CodeAlreadyUsed => "code_already_used",
    CodeExpired => "code_expired",
    CodeNotYetValid => "code_not_yet_valid",
    TooManyAttempts => "too_many_attempts",
    ChargeAlreadyReversed => "charge_already_reversed",
    VoucherNotRevocable => "voucher_not_revocable",
    InvalidCredentials => "invalid_credentials",
    LoginTaken => "login_taken",
    TokenNotFound => "token_not_found",
    RechargeNotFound => "recharge_not_found",
    PaymentRailUnavailable => "payment_rail_unavailable",
    TransferNotFound => "transfer_not_found",
    TransferNotUnmatched => "transfer_not_unmatched",
    TransferNotAwaitingApproval => "transfer_not_awaiting_approval",
    ApprovalBySameOperator => "approval_by_same_operator",
    AdjustmentRequestNotFound => "adjustment_request_not_found",
    AdjustmentRequestNotPending => "adjustment_request_not_pending",
    WebhookEndpointNotFound => "webhook_endpoint_not_found",
    JobLeaseHeld => "job_lease_held",
    JobFenced => "job_fenced",
    StoreBusy => "store_busy",
    Internal => "internal",
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppError {
    pub code: ErrorCode,
    /// The input field at fault, named as in the API (`amount_minor`, `workspace_id`).
    pub field: Option<&'static str>,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, field: None, message: message.into() }
    }

    /// A validation error naming the field.
    pub fn invalid(field: &'static str, message: impl fmt::Display) -> AppError {
        AppError { code: ErrorCode::Validation, field: Some(field), message: format!("{field}: {message}") }
    }

    pub fn with_field(mut self, field: &'static str) -> AppError {
        self.field = Some(field);
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for AppError {}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Busy => AppError::new(ErrorCode::StoreBusy, "the store is busy; retry the request"),
            other => AppError::new(ErrorCode::Internal, format!("store error: {other}")),
        }
    }
}
