//! Bad input gets a specific error naming what was wrong, and changes nothing.

mod common;

use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::cash::CreditCash;
use coffer_app::use_cases::charges::SettleCharge;
use coffer_app::{AppError, ErrorCode};
use coffer_core::ids::AccountId;
use common::*;

fn setup(engine: Engine) -> (TestApp, AccountId) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 50_000, "bank-1");
    (t, a)
}

/// Runs `op`, expects `code` (and `field`, if given), and checks the journal did not move.
fn rejects<T>(t: &TestApp, code: ErrorCode, field: Option<&str>, op: impl FnOnce() -> Result<T, AppError>) {
    let before = t.journal_size();
    match op() {
        Ok(_) => panic!("expected {code:?}, got success"),
        Err(e) => {
            assert_eq!(e.code, code, "{e}");
            if field.is_some() {
                assert_eq!(e.field, field, "{e}");
            }
        }
    }
    assert_eq!(t.journal_size(), before, "a rejected request must not write to the journal");
}

fn charge<'a>(amount_minor: i64, currency: &'a str, workspace_id: &'a str) -> SettleCharge<'a> {
    SettleCharge { workspace_id, bill_id: "b1", category: "payg", amount_minor, currency, bill_date: "2026-11-25" }
}

fn zero_negative_and_overflowing_amounts_are_refused_with_the_field_named(engine: Engine) {
    let (t, _) = setup(engine);
    for minor in [0, -1, i64::MIN, 10_000_000_000_001, i64::MAX] {
        rejects(&t, ErrorCode::Validation, Some("amount_minor"), || t.app.settle_charge(&charge(minor, "CNY", "ws1")));
    }
}

fn a_charge_in_another_currency_is_refused(engine: Engine) {
    let (t, _) = setup(engine);
    rejects(&t, ErrorCode::CurrencyMismatch, Some("currency"), || t.app.settle_charge(&charge(100, "USD", "ws1")));
    rejects(&t, ErrorCode::Validation, Some("currency"), || t.app.settle_charge(&charge(100, "EUR", "ws1")));
}

fn a_charge_for_an_unknown_workspace_is_refused(engine: Engine) {
    let (t, _) = setup(engine);
    rejects(&t, ErrorCode::WorkspaceNotFound, Some("workspace_id"), || {
        t.app.settle_charge(&charge(100, "CNY", "nope"))
    });
    rejects(&t, ErrorCode::Validation, Some("workspace_id"), || t.app.settle_charge(&charge(100, "CNY", "bad id")));
}

fn malformed_bill_fields_are_refused(engine: Engine) {
    let (t, _) = setup(engine);
    let mut c = charge(100, "CNY", "ws1");
    c.bill_date = "2026-02-30";
    rejects(&t, ErrorCode::Validation, Some("bill_date"), || t.app.settle_charge(&c));
    let mut c = charge(100, "CNY", "ws1");
    c.category = "storage";
    rejects(&t, ErrorCode::Validation, Some("category"), || t.app.settle_charge(&c));
    let mut c = charge(100, "CNY", "ws1");
    c.bill_id = "";
    rejects(&t, ErrorCode::Validation, Some("bill_id"), || t.app.settle_charge(&c));
}

fn unknown_used_and_malformed_codes_are_refused(engine: Engine) {
    let (t, a) = setup(engine);
    rejects(&t, ErrorCode::CodeMalformed, Some("code"), || t.app.activate_code(a, "not-a-code"));
    let unknown = coffer_core::code::ActivationCode::from_random([3; 15]).display_grouped();
    rejects(&t, ErrorCode::CodeUnknown, Some("code"), || t.app.activate_code(a, &unknown));
}

fn card_face_values_that_are_not_whole_hundreds_are_refused(engine: Engine) {
    let (t, a) = setup(engine);
    for minor in [15_000, 9_999, 100] {
        let req = BuyCard { account_id: a, face_value_minor: minor, currency: "CNY", idempotency_key: None };
        rejects(&t, ErrorCode::Validation, Some("face_value_minor"), || t.app.buy_card(&req));
    }
    let req = BuyCard { account_id: a, face_value_minor: 100_000, currency: "CNY", idempotency_key: None };
    rejects(&t, ErrorCode::InsufficientCash, None, || t.app.buy_card(&req));
}

fn an_unknown_account_is_refused_as_not_found(engine: Engine) {
    let (t, _) = setup(engine);
    let req = CreditCash {
        account_id: AccountId(999),
        amount_minor: 100,
        currency: "CNY",
        source: "bank_transfer",
        external_id: "x",
        memo: "",
    };
    rejects(&t, ErrorCode::AccountNotFound, Some("account_id"), || t.app.credit_cash(&req));
}

fn a_credit_with_an_unknown_source_or_empty_external_id_is_refused(engine: Engine) {
    let (t, a) = setup(engine);
    let req =
        CreditCash { account_id: a, amount_minor: 100, currency: "CNY", source: "cheque", external_id: "x", memo: "" };
    rejects(&t, ErrorCode::Validation, Some("source"), || t.app.credit_cash(&req));
    let req = CreditCash {
        account_id: a,
        amount_minor: 100,
        currency: "CNY",
        source: "bank_transfer",
        external_id: "",
        memo: "",
    };
    rejects(&t, ErrorCode::Validation, Some("external_id"), || t.app.credit_cash(&req));
}

fn a_charge_beyond_the_arrears_limit_is_refused(engine: Engine) {
    let t = spawn_app(engine);
    let req = coffer_app::use_cases::accounts::CreateAccount {
        name: "Capped",
        currency: "CNY",
        time_zone: None,
        arrears_limit_minor: Some(1_000),
        idempotency_key: None,
    };
    let a = t.app.create_account(&req).unwrap_or_else(|e| panic!("{e}")).account.id;
    t.bind(a, "ws1");
    rejects(&t, ErrorCode::ArrearsLimitExceeded, None, || t.app.settle_charge(&charge(1_001, "CNY", "ws1")));
    assert!(t.app.settle_charge(&charge(1_000, "CNY", "ws1")).is_ok());
}

fn an_adjustment_needs_a_reason_and_cannot_overdraw_cash(engine: Engine) {
    let (t, a) = setup(engine);
    let adjust = |amount_minor, reason| coffer_app::use_cases::adjustments::AdjustCash {
        account_id: a,
        amount_minor,
        currency: "CNY",
        reason,
        requested_by: "alice",
        idempotency_key: None,
    };
    rejects(&t, ErrorCode::Validation, Some("reason"), || t.app.adjust_cash(&adjust(100, "  ")));
    rejects(&t, ErrorCode::InsufficientCash, Some("amount_minor"), || t.app.adjust_cash(&adjust(-50_001, "clawback")));
    assert!(t.app.adjust_cash(&adjust(-50_000, "clawback")).is_ok());
}

engine_tests!(
    zero_negative_and_overflowing_amounts_are_refused_with_the_field_named,
    a_charge_in_another_currency_is_refused,
    a_charge_for_an_unknown_workspace_is_refused,
    malformed_bill_fields_are_refused,
    unknown_used_and_malformed_codes_are_refused,
    card_face_values_that_are_not_whole_hundreds_are_refused,
    an_unknown_account_is_refused_as_not_found,
    a_credit_with_an_unknown_source_or_empty_external_id_is_refused,
    a_charge_beyond_the_arrears_limit_is_refused,
    an_adjustment_needs_a_reason_and_cannot_overdraw_cash,
);
