//! Parsing raw input (as the CLI and the HTTP API receive it) into core types, with
//! the offending field named in every error.

use coffer_core::ids::{AccountId, BillId, ExternalId, WorkspaceId};
use coffer_core::money::{Amount, Currency, MoneyError};
use coffer_core::policy::Category;
use coffer_core::time::Date;
use coffer_core::workspace::{check_cloud_account_id, CloudProvider, Settlement};
use coffer_store::records::AccountRecord;
use coffer_store::{Reads, WriteTx};

use crate::error::{AppError, AppResult, ErrorCode};

pub fn amount(field: &'static str, minor: i64) -> AppResult<Amount> {
    Amount::from_minor(minor).map_err(|e| AppError::invalid(field, e))
}

pub fn currency(field: &'static str, code: &str) -> AppResult<Currency> {
    Currency::parse(code).map_err(|e: MoneyError| AppError::invalid(field, e))
}

/// Checks that a request's currency is the account's: no FX, ever.
pub fn same_currency(account: &AccountRecord, currency: Currency) -> AppResult<()> {
    if account.account.currency != currency {
        return Err(AppError::new(
            ErrorCode::CurrencyMismatch,
            format!("the account is in {}, not {currency}", account.account.currency),
        )
        .with_field("currency"));
    }
    Ok(())
}

pub fn workspace_id(raw: &str) -> AppResult<WorkspaceId> {
    WorkspaceId::parse(raw).map_err(|e| AppError::invalid("workspace_id", e))
}

pub fn bill_id(raw: &str) -> AppResult<BillId> {
    BillId::parse(raw).map_err(|e| AppError::invalid("bill_id", e))
}

pub fn external_id(raw: &str) -> AppResult<ExternalId> {
    ExternalId::parse(raw).map_err(|e| AppError::invalid("external_id", e))
}

pub fn date(field: &'static str, raw: &str) -> AppResult<Date> {
    Date::parse(raw).ok_or_else(|| AppError::invalid(field, "must be a calendar date YYYY-MM-DD"))
}

pub fn category(raw: &str) -> AppResult<Category> {
    Category::parse(raw).ok_or_else(|| AppError::invalid("category", "must be payg, sms or testing"))
}

/// A settlement from its parts: "billing_center", or "cloud" with provider and account.
pub fn settlement(method: &str, provider: Option<&str>, cloud_account_id: Option<&str>) -> AppResult<Settlement> {
    match method {
        "billing_center" => Ok(Settlement::BillingCenter),
        "cloud" => {
            let provider =
                provider.ok_or_else(|| AppError::invalid("cloud_provider", "is required for cloud settlement"))?;
            let provider = CloudProvider::parse(provider)
                .ok_or_else(|| AppError::invalid("cloud_provider", "must be aliyun, aws, huawei or azure"))?;
            let id = cloud_account_id
                .ok_or_else(|| AppError::invalid("cloud_account_id", "is required for cloud settlement"))?;
            check_cloud_account_id(id)
                .map_err(|_| AppError::invalid("cloud_account_id", "must be 1 to 128 characters"))?;
            Ok(Settlement::Cloud { provider, cloud_account_id: id.trim().to_owned() })
        }
        _ => Err(AppError::invalid("settlement", "must be billing_center or cloud")),
    }
}

/// A mandatory free-text reason (adjustments, reversals).
pub fn reason(field: &'static str, raw: &str) -> AppResult<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if text.chars().count() > 500 {
        return Err(AppError::invalid(field, "must be at most 500 characters"));
    }
    Ok(text.to_owned())
}

fn account_not_found(id: AccountId) -> AppError {
    AppError::new(ErrorCode::AccountNotFound, format!("billing account {id} not found")).with_field("account_id")
}

/// Locks the account for this transaction, or says it does not exist.
pub fn lock_account(tx: &mut dyn WriteTx, id: AccountId) -> AppResult<AccountRecord> {
    tx.lock_account(id)?.ok_or_else(|| account_not_found(id))
}

/// Reads the account, or says it does not exist.
pub fn account(reads: &mut dyn Reads, id: AccountId) -> AppResult<AccountRecord> {
    reads.account(id)?.ok_or_else(|| account_not_found(id))
}
