//! The API's JSON request bodies. The first byte picks a route; the rest is the body,
//! decoded exactly as the handler's `ApiJson` decodes it. Where it decodes, the use
//! case the handler calls runs on a real (SQLite) app, so the app's own input checks
//! run too. Nothing may panic, and bad input must be refused as such: never an
//! internal error, and a validation error always names its field.
#![no_main]

use std::sync::{Arc, OnceLock};

use coffer_app::clock::ManualClock;
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_app::use_cases::adjustments::AdjustCash;
use coffer_app::use_cases::bank_transfers::RecordTransfer;
use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::cash::CreditCash;
use coffer_app::use_cases::charges::SettleCharge;
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_app::use_cases::workspaces::{BindWorkspace, ChangeSettlement};
use coffer_app::{App, AppConfig, AppError, AppResult, ErrorCode};
use coffer_core::ids::{AccountId, ChargeId, VoucherId};
use coffer_core::time::Timestamp;
use coffer_core::workspace::ChangeAuthority;
use coffer_http::dto::*;
use coffer_http::json::decode_body;
use coffer_http::problem::ApiError;
use coffer_http::routes::adjustments::RejectAdjustmentRequest;
use coffer_http::routes::bank_transfers::{AssignTransferRequest, RecordTransferRequest};
use coffer_http::routes::cloud::CancelSubscriptionRequest;
use coffer_http::routes::recharges::CreateRechargeRequest;
use coffer_store::auth::Role;
use coffer_store_sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;

/// 2026-11-26T02:00:00Z, as in the app's tests.
const T0: Timestamp = Timestamp(1_795_658_400_000);

/// An app on a fresh SQLite file with one CNY account (id 1) holding cash, a voucher
/// and two workspaces, and one USD account (id 2).
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("coffer-fuzz-api-json-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(&dir.join("coffer.db")).unwrap_or_else(|e| panic!("open: {e}"));
        let clock = Arc::new(ManualClock::new(T0));
        let app = App::new(Arc::new(store), AppConfig::with_code_key(vec![7; 32]), clock);
        seed(&app).unwrap_or_else(|e| panic!("seed: {e}"));
        app
    })
}

fn seed(app: &App) -> AppResult<()> {
    for currency in ["CNY", "USD"] {
        let req = CreateAccount {
            name: "Fuzz Co",
            currency,
            time_zone: None,
            arrears_limit_minor: None,
            idempotency_key: None,
        };
        app.create_account(&req)?;
    }
    let a = AccountId(1);
    let bind = |ws, settlement, provider, cloud_id| {
        let req = BindWorkspace {
            account_id: a,
            workspace_id: ws,
            settlement,
            cloud_provider: provider,
            cloud_account_id: cloud_id,
        };
        app.bind_workspace(&req)
    };
    bind("wb", "billing_center", None, None)?;
    bind("wc", "cloud", Some("aws"), Some("123456789012"))?;
    let credit = CreditCash {
        account_id: a,
        amount_minor: 1_000_000,
        currency: "CNY",
        source: "bank_transfer",
        external_id: "seed-1",
        memo: "",
    };
    app.credit_cash(&credit)?;
    let voucher = IssueVoucher {
        account_id: a,
        kind: "standard",
        face_value_minor: 50_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        idempotency_key: None,
    };
    app.issue_voucher(&voucher)?;
    Ok(())
}

/// The refusal must be a client error, and a validation error names its field.
fn check<T>(route: &str, result: AppResult<T>) {
    if let Err(e) = result {
        check_error(route, &e);
        let _ = ApiError::from(e);
    }
}

fn check_error(route: &str, e: &AppError) {
    assert!(e.code != ErrorCode::Internal, "{route}: bad input became an internal error: {e}");
    assert!(e.code != ErrorCode::StoreBusy, "{route}: the store was busy with one caller: {e}");
    if e.code == ErrorCode::Validation {
        assert!(e.field.is_some(), "{route}: a validation error without a field: {e}");
    }
}

fn validity(app: &App, v: &ValidityRequest, zone: &str) -> AppResult<ValidityInput> {
    ValidityInput::from_parts(v.valid_days, v.valid_from.as_deref(), v.valid_until.as_deref(), zone, app.now())
}

/// Decodes `body` as `T`; a refusal must be a 4xx problem.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    match decode_body::<T>(body) {
        Ok(value) => Some(value),
        Err(problem) => {
            assert!(problem.status.is_client_error(), "a body was refused with {}: {}", problem.status, problem.detail);
            None
        }
    }
}

fn run(route: u8, account: AccountId, body: &[u8]) {
    let app = app();
    match route % 21 {
        0 => {
            let Some(b) = decode::<CreateAccountRequest>(body) else { return };
            let req = CreateAccount {
                name: &b.name,
                currency: &b.currency,
                time_zone: b.time_zone.as_deref(),
                arrears_limit_minor: b.arrears_limit_minor,
                idempotency_key: None,
            };
            check("create account", app.create_account(&req));
        }
        1 => {
            let Some(b) = decode::<ArrearsLimitRequest>(body) else { return };
            check("arrears limit", app.set_arrears_limit(account, b.arrears_limit_minor));
        }
        2 => {
            let Some(b) = decode::<BindWorkspaceRequest>(body) else { return };
            let req = BindWorkspace {
                account_id: account,
                workspace_id: &b.workspace_id,
                settlement: &b.settlement,
                cloud_provider: b.cloud_provider.as_deref(),
                cloud_account_id: b.cloud_account_id.as_deref(),
            };
            check("bind workspace", app.bind_workspace(&req));
        }
        3 => {
            let Some(b) = decode::<ChangeSettlementRequest>(body) else { return };
            let authority = if b.operator_override { ChangeAuthority::Operator } else { ChangeAuthority::Customer };
            let ws = if body.len() % 2 == 0 { "wb" } else { "wc" };
            let req = ChangeSettlement {
                workspace_id: ws,
                settlement: &b.settlement,
                cloud_provider: b.cloud_provider.as_deref(),
                cloud_account_id: b.cloud_account_id.as_deref(),
                authority,
            };
            check("change settlement", app.change_settlement(&req));
        }
        4 => {
            let Some(b) = decode::<CashCreditRequest>(body) else { return };
            let req = CreditCash {
                account_id: account,
                amount_minor: b.amount_minor,
                currency: &b.currency,
                source: &b.source,
                external_id: &b.external_id,
                memo: b.memo.as_deref().unwrap_or(""),
            };
            check("credit cash", app.credit_cash(&req));
        }
        5 => {
            let Some(b) = decode::<IssueVoucherRequest>(body) else { return };
            let result = validity(app, &b.validity, "Asia/Shanghai").and_then(|validity| {
                let req = IssueVoucher {
                    account_id: account,
                    kind: &b.kind,
                    face_value_minor: b.face_value_minor,
                    currency: &b.currency,
                    validity,
                    idempotency_key: None,
                };
                app.issue_voucher(&req)
            });
            check("issue voucher", result);
        }
        6 => {
            let Some(b) = decode::<CodeBatchRequest>(body) else { return };
            // Keep batches small: generating ten thousand codes only costs time.
            let count = b.count.min(5);
            let zone = b.time_zone.clone().unwrap_or_else(|| "Asia/Shanghai".to_owned());
            let result = validity(app, &b.validity, &zone).and_then(|validity| {
                let req = GenerateCodes {
                    kind: &b.kind,
                    face_value_minor: b.face_value_minor,
                    currency: &b.currency,
                    validity,
                    count,
                    memo: b.memo.as_deref().unwrap_or(""),
                };
                app.generate_codes(&req)
            });
            check("voucher batch", result);
        }
        7 => {
            let Some(b) = decode::<ActivateCodeRequest>(body) else { return };
            check("activate code", app.activate_code(account, &b.code));
        }
        8 => {
            let Some(b) = decode::<ReasonRequest>(body) else { return };
            check("revoke voucher", app.revoke_voucher(account, VoucherId(1), &b.reason));
        }
        9 | 10 => {
            let Some(b) = decode::<BuyCardRequest>(body) else { return };
            let req = BuyCard {
                account_id: account,
                face_value_minor: b.face_value_minor,
                currency: &b.currency,
                idempotency_key: None,
            };
            if route % 21 == 9 {
                check("buy card", app.buy_card(&req));
            } else {
                check("allocate card", app.allocate_card(&req));
            }
        }
        11 | 12 => {
            let Some(b) = decode::<SettleChargeRequest>(body) else { return };
            let req = SettleCharge {
                workspace_id: &b.workspace_id,
                bill_id: &b.bill_id,
                category: &b.category,
                amount_minor: b.amount_minor,
                currency: &b.currency,
                bill_date: &b.bill_date,
            };
            if route % 21 == 11 {
                check("settle charge", app.settle_charge(&req));
            } else {
                check("preview charge", app.preview_charge(&req));
            }
        }
        13 => {
            let Some(b) = decode::<ReasonRequest>(body) else { return };
            check("reverse charge", app.reverse_charge(account, ChargeId(1), &b.reason));
        }
        14 => {
            let Some(b) = decode::<AdjustmentRequest>(body) else { return };
            let req = AdjustCash {
                account_id: account,
                amount_minor: b.amount_minor,
                currency: &b.currency,
                reason: &b.reason,
                requested_by: "fuzz-operator",
                idempotency_key: None,
            };
            check("adjust cash", app.adjust_cash(&req));
        }
        15 => {
            let Some(b) = decode::<RejectAdjustmentRequest>(body) else { return };
            check("reject adjustment", app.reject_adjustment(1, "fuzz-operator", &b.reason));
        }
        16 => {
            let Some(b) = decode::<RecordTransferRequest>(body) else { return };
            let req = RecordTransfer {
                bank_transaction_id: &b.bank_transaction_id,
                amount_minor: b.amount_minor,
                currency: &b.currency,
                value_date: &b.value_date,
                payer: b.payer.as_deref().unwrap_or(""),
                reference: b.reference.as_deref().unwrap_or(""),
                recorded_by: "fuzz-operator",
            };
            check("record transfer", app.record_transfer(&req));
        }
        17 => {
            let Some(b) = decode::<AssignTransferRequest>(body) else { return };
            check("assign transfer", app.assign_transfer(1, AccountId(b.account_id), "fuzz-operator"));
        }
        18 => {
            let Some(b) = decode::<CancelSubscriptionRequest>(body) else { return };
            check("cancel subscription", app.cancel_cloud_subscription(&b.provider, &b.cloud_account_id));
        }
        19 => {
            let Some(b) = decode::<CreateRechargeRequest>(body) else { return };
            let req = CreateRecharge {
                account_id: account,
                amount_minor: b.amount_minor,
                currency: &b.currency,
                channel: b.channel.as_deref().unwrap_or("page_pay"),
                idempotency_key: None,
            };
            check("create recharge", app.create_recharge(&req));
        }
        _ => {
            // Identity bodies: password hashing would dominate the run, so only the
            // decoding and the role check the handlers do first run here.
            let _ = decode::<LoginRequest>(body);
            if let Some(b) = decode::<CreateTokenRequest>(body) {
                let _ = Role::parse(&b.role);
            }
            if let Some(b) = decode::<CreateMemberRequest>(body) {
                let _ = Role::parse(&b.role);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, rest)) = data.split_first() else {
        return;
    };
    let Some((&account, body)) = rest.split_first() else {
        return;
    };
    // Mostly the seeded CNY account; sometimes the USD one or one that does not exist.
    let account = AccountId(match account % 8 {
        6 => 2,
        7 => 99,
        _ => 1,
    });
    run(route, account, body);
});
