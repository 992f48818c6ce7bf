//! Use-case tests on a real SQLite file.

mod common;

use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_app::use_cases::workspaces::ChangeSettlement;
use coffer_app::ErrorCode;
use coffer_core::policy::InstrumentClass;
use coffer_core::workspace::ChangeAuthority;
use common::*;

fn issue(t: &TestApp, account: coffer_core::ids::AccountId, kind: &str, minor: i64, days: u32) {
    let req = IssueVoucher {
        account_id: account,
        kind,
        face_value_minor: minor,
        currency: "CNY",
        validity: ValidityInput::Days(days),
        idempotency_key: None,
    };
    t.app.issue_voucher(&req).unwrap_or_else(|e| panic!("issue: {e}"));
}

fn a_payg_bill_larger_than_the_vouchers_is_paid_in_the_documented_order(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 2_000_000, "bank-1");
    issue(&t, a, "standard", 10_000, 30);
    let card =
        t.app.buy_card(&BuyCard { account_id: a, face_value_minor: 1_000_000, currency: "CNY", idempotency_key: None });
    let card = card.unwrap_or_else(|e| panic!("{e}"));
    assert!(card.bonus_voucher.is_some(), "10,000 CNY earns the first bonus tier");
    let settled = t.settle("ws1", "b1", "payg", 5_000_000).unwrap_or_else(|e| panic!("{e}"));
    let classes: Vec<_> = settled.charge.charge.deductions.iter().map(|d| d.class).collect();
    assert_eq!(
        classes,
        vec![
            InstrumentClass::StandardVoucher,
            InstrumentClass::DiscountVoucher,
            InstrumentClass::PrepaidCard,
            InstrumentClass::Cash,
            InstrumentClass::Arrears,
        ]
    );
    let overview = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overview.cash_minor, 0);
    assert_eq!(overview.arrears_owed_minor, 5_000_000 - 10_000 - 100_000 - 1_000_000 - 1_000_000);
    assert_eq!(overview.card_balance_shown_minor(), -overview.arrears_owed_minor);
    t.assert_clean();
}

fn the_same_bill_posted_twice_returns_the_original_settlement_and_moves_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 10_000, "bank-1");
    let first = t.settle("ws1", "b1", "payg", 3_000).unwrap_or_else(|e| panic!("{e}"));
    let size = t.journal_size();
    let again = t.settle("ws1", "b1", "payg", 3_000).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.replayed);
    assert_eq!(again.charge.id, first.charge.id);
    assert_eq!(again.charge.charge.deductions, first.charge.charge.deductions);
    assert_eq!(t.journal_size(), size);
    let conflict = t.settle("ws1", "b1", "payg", 3_001).map(|_| ()).map_err(|e| e.code);
    assert_eq!(conflict, Err(ErrorCode::BillConflict));
    assert_eq!(t.journal_size(), size);
}

fn sms_and_testing_bills_never_touch_vouchers(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    issue(&t, a, "standard", 10_000, 30);
    t.credit(a, 1_000, "bank-1");
    let s = t.settle("ws1", "b1", "sms", 1_500).unwrap_or_else(|e| panic!("{e}"));
    let classes: Vec<_> = s.charge.charge.deductions.iter().map(|d| d.class).collect();
    assert_eq!(classes, vec![InstrumentClass::Cash, InstrumentClass::Arrears]);
    t.assert_clean();
}

fn cloud_workspaces_bill_the_remainder_to_the_cloud_account(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    t.credit(a, 50_000, "bank-1");
    issue(&t, a, "standard", 1_000, 30);
    let s = t.settle("wc", "b1", "payg", 5_000).unwrap_or_else(|e| panic!("{e}"));
    let classes: Vec<_> = s.charge.charge.deductions.iter().map(|d| (d.class, d.amount.minor())).collect();
    assert_eq!(classes, vec![(InstrumentClass::StandardVoucher, 1_000), (InstrumentClass::CloudAccount, 4_000)]);
    assert_eq!(t.app.account_overview(a).map(|o| o.cash_minor).ok(), Some(50_000), "cash never pays cloud bills");
    t.assert_clean();
}

fn a_cash_credit_repays_arrears_first(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.settle("ws1", "b1", "payg", 7_000).unwrap_or_else(|e| panic!("{e}"));
    t.credit(a, 10_000, "bank-1");
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((o.arrears_owed_minor, o.cash_minor), (0, 3_000));
    t.assert_clean();
}

fn crediting_the_same_bank_transaction_twice_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.credit(a, 10_000, "bank-1");
    t.credit(a, 10_000, "bank-1");
    assert_eq!(t.app.account_overview(a).map(|o| o.cash_minor).ok(), Some(10_000));
}

fn expired_vouchers_are_skipped_and_written_off_through_the_journal(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    issue(&t, a, "standard", 10_000, 3);
    t.credit(a, 50_000, "bank-1");
    t.days(4);
    let s = t.settle("ws1", "b1", "payg", 2_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.charge.charge.deductions[0].class, InstrumentClass::Cash, "the expired voucher is skipped");
    let report = t.app.expire_due().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.vouchers_expired, report.written_off_minor), (1, 10_000));
    let vouchers = t.app.vouchers(a, Some("expired")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vouchers.len(), 1);
    assert_eq!(vouchers[0].voucher.balance_minor, 0);
    assert_eq!(t.app.expire_due().map(|r| r.vouchers_expired).ok(), Some(0), "rerunning changes nothing");
    t.assert_clean();
}

fn a_voucher_code_activates_once_and_says_why_it_fails_afterwards(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let b = t.account("CNY");
    let generated = t.app.generate_codes(&GenerateCodes {
        kind: "standard",
        face_value_minor: 5_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        count: 3,
        memo: "promo",
    });
    let generated = generated.unwrap_or_else(|e| panic!("{e}"));
    let code = generated.codes[0].display_grouped().to_lowercase();
    let v = t.app.activate_code(a, &code).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.voucher.balance_minor, 5_000);
    let again = t.app.activate_code(b, &code).map(|_| ()).map_err(|e| e.code);
    assert_eq!(again, Err(ErrorCode::CodeAlreadyUsed));
    let unknown = t.app.activate_code(b, "2222-2222-2222-2222").map(|_| ()).map_err(|e| e.code);
    assert!(matches!(unknown, Err(ErrorCode::CodeUnknown | ErrorCode::CodeMalformed)));
    t.assert_clean();
}

fn failed_code_attempts_are_throttled_per_account(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    for _ in 0..10 {
        let e = t.app.activate_code(a, "ABCD").map(|_| ()).map_err(|e| e.code);
        assert_eq!(e, Err(ErrorCode::CodeMalformed));
    }
    let throttled = t.app.activate_code(a, "ABCD").map(|_| ()).map_err(|e| e.code);
    assert_eq!(throttled, Err(ErrorCode::TooManyAttempts));
    t.clock.advance_ms(3_600_001);
    let later = t.app.activate_code(a, "ABCD").map(|_| ()).map_err(|e| e.code);
    assert_eq!(later, Err(ErrorCode::CodeMalformed), "the window slides after an hour");
}

fn reversing_a_charge_gives_every_deduction_back(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    issue(&t, a, "standard", 1_000, 30);
    t.credit(a, 2_000, "bank-1");
    let s = t.settle("ws1", "b1", "payg", 5_000).unwrap_or_else(|e| panic!("{e}"));
    let r = t.app.reverse_charge(a, s.charge.id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    assert!(r.reversal.is_some());
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((o.voucher_balance_minor, o.cash_minor, o.arrears_owed_minor), (1_000, 2_000, 0));
    let twice = t.app.reverse_charge(a, s.charge.id, "again").map(|_| ()).map_err(|e| e.code);
    assert_eq!(twice, Err(ErrorCode::ChargeAlreadyReversed));
    t.assert_clean();
}

fn settlement_may_change_once_per_calendar_month_unless_an_operator_overrides(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    let to = |settlement, authority| ChangeSettlement {
        workspace_id: "ws1",
        settlement,
        cloud_provider: Some("aws"),
        cloud_account_id: Some("42"),
        authority,
    };
    t.app.change_settlement(&to("cloud", ChangeAuthority::Customer)).unwrap_or_else(|e| panic!("{e}"));
    let locked =
        t.app.change_settlement(&to("billing_center", ChangeAuthority::Customer)).map(|_| ()).map_err(|e| e.code);
    assert_eq!(locked, Err(ErrorCode::CloudSubscriptionActive));
    t.app.change_settlement(&to("billing_center", ChangeAuthority::Operator)).unwrap_or_else(|e| panic!("{e}"));
    let again = t.app.change_settlement(&to("cloud", ChangeAuthority::Customer)).map(|_| ()).map_err(|e| e.code);
    assert_eq!(again, Err(ErrorCode::SettlementChangedThisMonth));
    t.days(10);
    assert!(t.app.change_settlement(&to("cloud", ChangeAuthority::Customer)).is_ok(), "December allows a new change");
}

fn an_idempotency_key_replays_the_original_result_and_refuses_different_input(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let req = |minor| IssueVoucher {
        account_id: a,
        kind: "standard",
        face_value_minor: minor,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        idempotency_key: Some("key-1"),
    };
    let first = t.app.issue_voucher(&req(1_000)).unwrap_or_else(|e| panic!("{e}"));
    let size = t.journal_size();
    let replay = t.app.issue_voucher(&req(1_000)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.voucher.id, first.voucher.id);
    assert_eq!(t.journal_size(), size);
    let conflict = t.app.issue_voucher(&req(2_000)).map(|_| ()).map_err(|e| e.code);
    assert_eq!(conflict, Err(ErrorCode::IdempotencyConflict));
    assert_eq!(t.journal_size(), size);
}

fn a_card_bought_while_in_arrears_repays_them_first(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.settle("ws1", "b1", "payg", 3_000).unwrap_or_else(|e| panic!("{e}"));
    let alloc = BuyCard { account_id: a, face_value_minor: 10_000, currency: "CNY", idempotency_key: None };
    let card = t.app.allocate_card(&alloc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(card.card.card.balance_minor, 7_000);
    assert!(card.bonus_voucher.is_none(), "allocated cards earn no bonus");
    assert_eq!(t.app.account_overview(a).map(|o| o.arrears_owed_minor).ok(), Some(0));
    t.assert_clean();
}

fn monthly_bills_and_csv_exports_cover_every_charge(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    t.settle("ws1", "b1", "payg", 1_000).unwrap_or_else(|e| panic!("{e}"));
    t.settle("ws1", "b2", "payg", 2_000).unwrap_or_else(|e| panic!("{e}"));
    t.settle("ws1", "b3", "sms", 500).unwrap_or_else(|e| panic!("{e}"));
    let bill = t.app.monthly_bill(a, "2026-11").unwrap_or_else(|e| panic!("{e}"));
    let totals: Vec<_> = bill.iter().map(|l| (l.category.as_str(), l.charges, l.amount_minor)).collect();
    assert_eq!(totals, vec![("payg", 2, 3_000), ("sms", 1, 500)]);
    let range = coffer_app::use_cases::statements::Range { limit: 100, ..Default::default() };
    let lines = t.app.income_expenditure(a, &range).unwrap_or_else(|e| panic!("{e}"));
    let csv = coffer_app::use_cases::statements::income_expenditure_csv(&lines.rows, coffer_core::money::Currency::Cny);
    assert_eq!(csv.lines().count(), 1 + 4, "a header, the credit and three charges");
    assert!(csv.contains("-10.00"));
}

engine_tests!(
    a_payg_bill_larger_than_the_vouchers_is_paid_in_the_documented_order,
    the_same_bill_posted_twice_returns_the_original_settlement_and_moves_nothing,
    sms_and_testing_bills_never_touch_vouchers,
    cloud_workspaces_bill_the_remainder_to_the_cloud_account,
    a_cash_credit_repays_arrears_first,
    crediting_the_same_bank_transaction_twice_credits_once,
    expired_vouchers_are_skipped_and_written_off_through_the_journal,
    a_voucher_code_activates_once_and_says_why_it_fails_afterwards,
    failed_code_attempts_are_throttled_per_account,
    reversing_a_charge_gives_every_deduction_back,
    settlement_may_change_once_per_calendar_month_unless_an_operator_overrides,
    an_idempotency_key_replays_the_original_result_and_refuses_different_input,
    a_card_bought_while_in_arrears_repays_them_first,
    monthly_bills_and_csv_exports_cover_every_charge,
);
