//! Wire types: requests (which refuse unknown fields) and responses, with their
//! conversions from application and core types. Amounts are integers of minor
//! units plus an ISO currency; instants are UTC milliseconds (`*_ms`).

use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::adjustments::AdjustmentOutcome;
use coffer_core::planner::{ChargePlan, Deduction, Outcome};
use coffer_core::workspace::{Settlement, Workspace};
use coffer_store::records::{AccountRecord, CardRecord, ChargeRecord, StatementLine, VoucherRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub name: String,
    /// CNY or USD.
    pub currency: String,
    /// An IANA time zone; defaults to Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The most the account may owe; absent means unlimited.
    #[serde(default)]
    pub arrears_limit_minor: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrearsLimitRequest {
    /// `null` means unlimited.
    pub arrears_limit_minor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    pub account_id: i64,
    pub name: String,
    pub currency: String,
    pub time_zone: String,
    pub arrears_limit_minor: Option<i64>,
    /// Quote this on offline bank transfers.
    pub transfer_reference: String,
    pub created_at_ms: i64,
}

impl From<&AccountRecord> for AccountResponse {
    fn from(r: &AccountRecord) -> Self {
        AccountResponse {
            account_id: r.account.id.0,
            name: r.account.name.clone(),
            currency: r.account.currency.code().to_owned(),
            time_zone: r.account.time_zone.clone(),
            arrears_limit_minor: r.account.arrears_limit_minor,
            transfer_reference: r.account.transfer_reference.clone(),
            created_at_ms: r.created_at.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewResponse {
    pub account: AccountResponse,
    pub cash_minor: i64,
    pub voucher_balance_minor: i64,
    pub card_balance_minor: i64,
    /// The prepaid-card balance as customers see it: negative while in arrears.
    pub card_balance_shown_minor: i64,
    pub arrears_owed_minor: i64,
}

impl From<&AccountOverview> for OverviewResponse {
    fn from(o: &AccountOverview) -> Self {
        OverviewResponse {
            account: AccountResponse::from(&o.account),
            cash_minor: o.cash_minor,
            voucher_balance_minor: o.voucher_balance_minor,
            card_balance_minor: o.card_balance_minor,
            card_balance_shown_minor: o.card_balance_shown_minor(),
            arrears_owed_minor: o.arrears_owed_minor,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindWorkspaceRequest {
    pub workspace_id: String,
    /// billing_center or cloud.
    pub settlement: String,
    #[serde(default)]
    pub cloud_provider: Option<String>,
    #[serde(default)]
    pub cloud_account_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettlementRequest {
    pub settlement: String,
    #[serde(default)]
    pub cloud_provider: Option<String>,
    #[serde(default)]
    pub cloud_account_id: Option<String>,
    /// Operators only: ignore the monthly limit and the cloud lock-in.
    #[serde(default)]
    pub operator_override: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceResponse {
    pub workspace_id: String,
    pub account_id: i64,
    pub settlement: String,
    pub cloud_provider: Option<String>,
    pub cloud_account_id: Option<String>,
    /// YYYY-MM of the last customer change.
    pub settlement_changed_in: Option<String>,
    pub cloud_subscription_active: bool,
}

impl From<&Workspace> for WorkspaceResponse {
    fn from(w: &Workspace) -> Self {
        let (provider, cloud_id) = match &w.settlement {
            Settlement::BillingCenter => (None, None),
            Settlement::Cloud { provider, cloud_account_id } => {
                (Some(provider.as_str().to_owned()), Some(cloud_account_id.clone()))
            }
        };
        WorkspaceResponse {
            workspace_id: w.id.to_string(),
            account_id: w.account_id.0,
            settlement: w.settlement.kind().as_str().to_owned(),
            cloud_provider: provider,
            cloud_account_id: cloud_id,
            settlement_changed_in: w.settlement_changed_in.map(|m| m.to_string()),
            cloud_subscription_active: w.cloud_subscription_active,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashCreditRequest {
    pub amount_minor: i64,
    pub currency: String,
    /// online_payment or bank_transfer.
    pub source: String,
    /// The rail's id for the payment; credited at most once per source.
    pub external_id: String,
    #[serde(default)]
    pub memo: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CashCreditResponse {
    pub account_id: i64,
    pub source: String,
    pub external_id: String,
    pub amount_minor: i64,
    pub journal_tx_id: i64,
    pub at_ms: i64,
    /// True when this payment had already been credited.
    pub replayed: bool,
}

/// Either `valid_days`, or `valid_from`/`valid_until` (inclusive dates, YYYY-MM-DD,
/// in the account's time zone).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidityRequest {
    #[serde(default)]
    pub valid_days: Option<u32>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_until: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueVoucherRequest {
    /// standard or discount.
    pub kind: String,
    pub face_value_minor: i64,
    pub currency: String,
    pub validity: ValidityRequest,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBatchRequest {
    pub kind: String,
    pub face_value_minor: i64,
    pub currency: String,
    pub validity: ValidityRequest,
    pub count: u32,
    #[serde(default)]
    pub memo: Option<String>,
    /// The zone of the validity dates; defaults to Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeBatchResponse {
    pub batch_id: i64,
    pub kind: String,
    pub face_value_minor: i64,
    pub currency: String,
    pub count: u32,
    /// The plain codes. They are shown once and stored nowhere; a replay of this
    /// request returns the batch without them.
    pub codes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateCodeRequest {
    pub code: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherResponse {
    pub voucher_id: i64,
    pub kind: String,
    pub face_value_minor: i64,
    pub balance_minor: i64,
    pub status: String,
    pub valid_from_ms: i64,
    pub valid_until_ms: Option<i64>,
    pub activated_at_ms: i64,
    /// direct, code or bonus.
    pub origin: String,
}

impl From<&VoucherRecord> for VoucherResponse {
    fn from(r: &VoucherRecord) -> Self {
        let v = &r.voucher;
        VoucherResponse {
            voucher_id: v.id.0,
            kind: v.kind.as_str().to_owned(),
            face_value_minor: v.face_value.minor(),
            balance_minor: v.balance_minor,
            status: v.status.as_str().to_owned(),
            valid_from_ms: v.window.from.0,
            valid_until_ms: v.window.until.map(|t| t.0),
            activated_at_ms: v.activated_at.0,
            origin: r.origin.kind_str().to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyCardRequest {
    pub face_value_minor: i64,
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardResponse {
    pub card_id: i64,
    pub number: String,
    pub face_value_minor: i64,
    pub balance_minor: i64,
    pub status: String,
    pub valid_from_ms: i64,
    pub valid_until_ms: Option<i64>,
    pub purchased_at_ms: i64,
    /// purchased or allocated.
    pub origin: String,
}

impl From<&CardRecord> for CardResponse {
    fn from(r: &CardRecord) -> Self {
        let c = &r.card;
        CardResponse {
            card_id: c.id.0,
            number: c.number.clone(),
            face_value_minor: c.face_value.minor(),
            balance_minor: c.balance_minor,
            status: c.status.as_str().to_owned(),
            valid_from_ms: c.window.from.0,
            valid_until_ms: c.window.until.map(|t| t.0),
            purchased_at_ms: c.purchased_at.0,
            origin: c.origin.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardIssuedResponse {
    pub card: CardResponse,
    /// The discount voucher a cash purchase earned, if any.
    pub bonus_voucher: Option<VoucherResponse>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleChargeRequest {
    pub workspace_id: String,
    /// Unique per workspace forever.
    pub bill_id: String,
    /// payg, sms or testing.
    pub category: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The usage day, YYYY-MM-DD in the account's time zone.
    pub bill_date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeductionResponse {
    /// standard_voucher, discount_voucher, prepaid_card, cash, arrears or cloud_account.
    pub class: String,
    /// The voucher or card id; 0 for cash, arrears and the cloud account.
    pub instrument_id: i64,
    pub amount_minor: i64,
}

impl From<&Deduction> for DeductionResponse {
    fn from(d: &Deduction) -> Self {
        DeductionResponse {
            class: d.class.as_str().to_owned(),
            instrument_id: coffer_core::journal::Book::of_source(d.source).1,
            amount_minor: d.amount.minor(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReversalResponse {
    pub at_ms: i64,
    pub reason: String,
    pub journal_tx_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeResponse {
    pub charge_id: i64,
    pub account_id: i64,
    pub workspace_id: String,
    pub bill_id: String,
    pub category: String,
    pub settlement: String,
    pub cloud_provider: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub bill_date: String,
    pub policy_version: u32,
    pub settled_at_ms: i64,
    pub deductions: Vec<DeductionResponse>,
    pub reversal: Option<ReversalResponse>,
}

impl From<&ChargeRecord> for ChargeResponse {
    fn from(r: &ChargeRecord) -> Self {
        let c = &r.charge;
        ChargeResponse {
            charge_id: r.id.0,
            account_id: c.account_id.0,
            workspace_id: c.workspace_id.to_string(),
            bill_id: c.bill_id.to_string(),
            category: c.category.as_str().to_owned(),
            settlement: c.settlement.as_str().to_owned(),
            cloud_provider: c.cloud_provider.map(|p| p.as_str().to_owned()),
            amount_minor: c.amount.minor(),
            currency: c.currency.code().to_owned(),
            bill_date: c.bill_date.to_string(),
            policy_version: c.policy_version,
            settled_at_ms: c.settled_at.0,
            deductions: c.deductions.iter().map(DeductionResponse::from).collect(),
            reversal: r.reversal.as_ref().map(|v| ReversalResponse {
                at_ms: v.at.0,
                reason: v.reason.clone(),
                journal_tx_id: v.journal_tx_id.0,
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsideredResponse {
    pub class: String,
    pub instrument_id: i64,
    pub balance_before_minor: i64,
    /// used or skipped.
    pub outcome: String,
    pub amount_minor: Option<i64>,
    /// Why it was skipped: not_allowed_for_category, not_active, not_yet_valid,
    /// expired, no_balance or already_covered.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    pub policy_version: u32,
    pub amount_minor: i64,
    pub deductions: Vec<DeductionResponse>,
    pub considered: Vec<ConsideredResponse>,
}

impl From<&ChargePlan> for PlanResponse {
    fn from(p: &ChargePlan) -> Self {
        PlanResponse {
            policy_version: p.policy_version,
            amount_minor: p.amount.minor(),
            deductions: p.deductions.iter().map(DeductionResponse::from).collect(),
            considered: p
                .considered
                .iter()
                .map(|c| {
                    let (outcome, amount, reason) = match c.outcome {
                        Outcome::Used(a) => ("used", Some(a.minor()), None),
                        Outcome::Skipped(r) => ("skipped", None, Some(r.as_str().to_owned())),
                    };
                    ConsideredResponse {
                        class: c.class.as_str().to_owned(),
                        instrument_id: coffer_core::journal::Book::of_source(c.source).1,
                        balance_before_minor: c.balance_before_minor,
                        outcome: outcome.to_owned(),
                        amount_minor: amount,
                        reason,
                    }
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettledResponse {
    pub charge: ChargeResponse,
    /// The planner's explanation; absent on a replay of a settled bill.
    pub plan: Option<PlanResponse>,
    pub replayed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    pub account_id: i64,
    pub settlement: String,
    pub plan: PlanResponse,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    /// Positive credits the customer (repaying arrears first); negative takes cash.
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
}

/// An adjustment within the approval threshold is applied at once; a larger one
/// waits for a second operator (`/v1/adjustment-requests`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentResponse {
    /// applied or pending.
    pub state: String,
    /// The journal entry, when applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_tx_id: Option<i64>,
    /// The request awaiting approval, when pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
}

impl From<&AdjustmentOutcome> for AdjustmentResponse {
    fn from(o: &AdjustmentOutcome) -> AdjustmentResponse {
        let (journal_tx_id, request_id) = match o {
            AdjustmentOutcome::Applied { journal_tx_id } => (Some(journal_tx_id.0), None),
            AdjustmentOutcome::Pending { request } => (None, Some(request.id)),
        };
        AdjustmentResponse { state: o.state().to_owned(), journal_tx_id, request_id }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// First day, YYYY-MM-DD (account time zone), inclusive.
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive.
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// 1..=1000, default 100.
    pub limit: Option<u32>,
    /// json (default) or csv.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// YYYY-MM.
    pub month: String,
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineResponse {
    pub line_id: i64,
    pub journal_tx_id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub memo: String,
    /// cash, arrears, voucher or card.
    pub instrument: String,
    pub instrument_id: i64,
    pub amount_minor: i64,
    pub balance_after_minor: i64,
}

impl From<&StatementLine> for StatementLineResponse {
    fn from(l: &StatementLine) -> Self {
        StatementLineResponse {
            line_id: l.line_id,
            journal_tx_id: l.journal_tx_id.0,
            at_ms: l.at.0,
            kind: l.kind.as_str().to_owned(),
            memo: l.memo.clone(),
            instrument: l.book.as_str().to_owned(),
            instrument_id: l.instrument_id,
            amount_minor: l.amount_minor,
            balance_after_minor: l.balance_after_minor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementPage {
    pub currency: String,
    pub rows: Vec<StatementLineResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChargePage {
    pub rows: Vec<ChargeResponse>,
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyBillLineResponse {
    pub workspace_id: String,
    pub category: String,
    pub charges: u32,
    pub amount_minor: i64,
    /// Amount paid by each instrument class.
    pub by_class_minor: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyBillResponse {
    pub month: String,
    pub currency: String,
    pub lines: Vec<MonthlyBillLineResponse>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user_id: i64,
    pub role: String,
    pub account_id: Option<i64>,
    /// Send as `X-CSRF-Token` on mutating requests made with the session cookie.
    pub csrf_token: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    /// operator, metering, or a member role (owner, finance, viewer) with `account_id`.
    pub role: String,
    #[serde(default)]
    pub account_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token_id: i64,
    pub name: String,
    pub role: String,
    pub account_id: Option<i64>,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    /// The token itself: shown once, on creation only.
    pub token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMemberRequest {
    pub login: String,
    pub password: String,
    /// owner, finance or viewer.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub user_id: i64,
    pub login: String,
    pub role: String,
    pub account_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: String,
}
