//! Table-driven tests of `plan_charge` against DOMAIN §2.

mod common;

use coffer_core::card::CardStatus;
use coffer_core::money::Currency;
use coffer_core::planner::{
    plan_charge, ChargePlan, ChargeRejected, Consideration, Outcome, SkipReason, Source, WalletSnapshot,
};
use coffer_core::policy::{Category, DeductionPolicy, InstrumentClass, PolicyError, PolicyRule};
use coffer_core::voucher::{Voucher, VoucherStatus};
use coffer_core::workspace::SettlementKind;
use common::*;

use Category::{Payg, Sms, Testing};
use InstrumentClass::{
    Arrears as ArrearsClass, Cash as CashClass, CloudAccount as CloudClass, DiscountVoucher, PrepaidCard,
    StandardVoucher,
};
use SettlementKind::{BillingCenter, Cloud};

/// Plans under policy v1 at [`NOW`] and asserts the exact deductions, in order.
fn check(
    wallet: &WalletSnapshot,
    settlement: SettlementKind,
    category: Category,
    amount_minor: i64,
    expected: &[(InstrumentClass, Source, i64)],
) -> ChargePlan {
    let plan = plan_charge(wallet, &DeductionPolicy::v1(), charge(settlement, category, amount_minor), NOW)
        .unwrap_or_else(|e| panic!("{settlement:?}/{category:?} rejected: {e:?}"));
    let got: Vec<(InstrumentClass, Source, i64)> =
        plan.deductions.iter().map(|d| (d.class, d.source, d.amount.minor())).collect();
    assert_eq!(got, expected, "deductions of {settlement:?}/{category:?} {amount_minor}");
    let sum: i64 = plan.deductions.iter().map(|d| d.amount.minor()).sum();
    assert_eq!(sum, amount_minor, "deductions add up to the charge");
    assert_eq!(plan.amount.minor(), amount_minor);
    assert_eq!(plan.policy_version, DeductionPolicy::V1);
    plan
}

fn reject(
    wallet: &WalletSnapshot,
    settlement: SettlementKind,
    category: Category,
    amount_minor: i64,
) -> ChargeRejected {
    match plan_charge(wallet, &DeductionPolicy::v1(), charge(settlement, category, amount_minor), NOW) {
        Ok(plan) => panic!("expected a rejection, got {plan:?}"),
        Err(e) => e,
    }
}

/// The consideration of one source; panics if the plan does not mention it.
fn considered(plan: &ChargePlan, source: Source) -> Consideration {
    let found: Vec<&Consideration> = plan.considered.iter().filter(|c| c.source == source).collect();
    assert_eq!(found.len(), 1, "{source:?} considered exactly once: {:?}", plan.considered);
    *found[0]
}

fn reason(plan: &ChargePlan, source: Source) -> &'static str {
    match considered(plan, source).outcome {
        Outcome::Skipped(reason) => reason.as_str(),
        Outcome::Used(a) => panic!("{source:?} was used for {}", a.minor()),
    }
}

/// One instrument of each kind: standard voucher 1 (100), discount voucher 2 (200),
/// card 3 (300), cash 400.
fn one_of_each() -> WalletSnapshot {
    WalletSnapshot {
        cash_minor: 400,
        vouchers: vec![discount(2, 200), standard(1, 100)],
        cards: vec![card(3, 300)],
        ..wallet()
    }
}

// ---------------------------------------------------------------- the §2 table

#[test]
fn every_row_of_the_deduction_table_walks_its_classes_in_order() {
    struct Row {
        settlement: SettlementKind,
        category: Category,
        expected: Vec<(InstrumentClass, Source, i64)>,
    }
    let bc_restricted =
        vec![(PrepaidCard, c(3), 300), (CashClass, Source::Cash, 400), (ArrearsClass, Source::Arrears, 9_300)];
    let cloud_restricted = vec![(PrepaidCard, c(3), 300), (CloudClass, Source::CloudAccount, 9_700)];
    let rows = [
        Row {
            settlement: BillingCenter,
            category: Payg,
            expected: vec![
                (StandardVoucher, v(1), 100),
                (DiscountVoucher, v(2), 200),
                (PrepaidCard, c(3), 300),
                (CashClass, Source::Cash, 400),
                (ArrearsClass, Source::Arrears, 9_000),
            ],
        },
        Row { settlement: BillingCenter, category: Sms, expected: bc_restricted.clone() },
        Row { settlement: BillingCenter, category: Testing, expected: bc_restricted },
        Row {
            settlement: Cloud,
            category: Payg,
            expected: vec![
                (StandardVoucher, v(1), 100),
                (DiscountVoucher, v(2), 200),
                (PrepaidCard, c(3), 300),
                (CloudClass, Source::CloudAccount, 9_400),
            ],
        },
        Row { settlement: Cloud, category: Sms, expected: cloud_restricted.clone() },
        Row { settlement: Cloud, category: Testing, expected: cloud_restricted },
    ];
    let wallet = one_of_each();
    for row in rows {
        check(&wallet, row.settlement, row.category, 10_000, &row.expected);
    }
}

#[test]
fn policy_v1_states_the_domain_table_literally() {
    let policy = DeductionPolicy::v1();
    assert_eq!(policy.version(), 1);
    let bc_payg = [StandardVoucher, DiscountVoucher, PrepaidCard, CashClass, ArrearsClass];
    let cloud_payg = [StandardVoucher, DiscountVoucher, PrepaidCard, CloudClass];
    assert_eq!(policy.classes_for(BillingCenter, Payg), bc_payg);
    for category in [Sms, Testing] {
        assert_eq!(policy.classes_for(BillingCenter, category), [PrepaidCard, CashClass, ArrearsClass]);
        assert_eq!(policy.classes_for(Cloud, category), [PrepaidCard, CloudClass]);
    }
    assert_eq!(policy.classes_for(Cloud, Payg), cloud_payg);
    assert_eq!(policy.rules().len(), 6);
}

#[test]
fn a_billing_center_payg_charge_larger_than_all_vouchers_drains_standard_then_discount_then_cards_then_cash_then_arrears(
) {
    let wallet = WalletSnapshot {
        cash_minor: 5_000,
        arrears_owed_minor: 700,
        vouchers: vec![discount(21, 2_000), standard(12, 1_500), discount(20, 2_500), standard(11, 1_000)],
        cards: vec![card(31, 3_000), card(30, 4_000)],
        ..wallet()
    };
    let plan = check(
        &wallet,
        BillingCenter,
        Payg,
        25_000,
        &[
            (StandardVoucher, v(11), 1_000),
            (StandardVoucher, v(12), 1_500),
            (DiscountVoucher, v(20), 2_500),
            (DiscountVoucher, v(21), 2_000),
            (PrepaidCard, c(30), 4_000),
            (PrepaidCard, c(31), 3_000),
            (CashClass, Source::Cash, 5_000),
            (ArrearsClass, Source::Arrears, 6_000),
        ],
    );
    assert_eq!(plan.amount_from(StandardVoucher), 2_500);
    assert_eq!(plan.amount_from(DiscountVoucher), 4_500);
    assert_eq!(plan.amount_from(PrepaidCard), 7_000);
    assert_eq!(plan.amount_from(CashClass), 5_000);
    assert_eq!(plan.amount_from(ArrearsClass), 6_000);
    assert_eq!(plan.amount_from(CloudClass), 0);
    assert_eq!(considered(&plan, Source::Arrears).balance_before_minor, -700);
    let mut exhausted = plan.exhausted();
    exhausted.sort();
    assert_eq!(exhausted, vec![v(11), v(12), v(20), v(21), c(30), c(31)]);
}

// ------------------------------------------------------- within-class order

#[test]
fn within_a_class_the_earliest_expiry_pays_first() {
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { window: window(0, Some(180)), ..standard(1, 100) },
            Voucher { window: window(0, Some(120)), ..standard(2, 100) },
            Voucher { window: window(0, Some(150)), ..standard(3, 100) },
        ],
        ..wallet()
    };
    check(
        &wallet,
        BillingCenter,
        Payg,
        250,
        &[(StandardVoucher, v(2), 100), (StandardVoucher, v(3), 100), (StandardVoucher, v(1), 50)],
    );
}

#[test]
fn within_a_class_instruments_without_expiry_pay_last() {
    let wallet = WalletSnapshot {
        cards: vec![
            coffer_core::card::PrepaidCard { window: window(0, None), purchased_at: day(0), ..card(1, 100) },
            coffer_core::card::PrepaidCard { window: window(0, Some(10_000)), purchased_at: day(50), ..card(2, 100) },
        ],
        ..wallet()
    };
    check(&wallet, Cloud, Sms, 150, &[(PrepaidCard, c(2), 100), (PrepaidCard, c(1), 50)]);
}

#[test]
fn with_equal_expiry_the_earliest_activated_voucher_pays_first() {
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { activated_at: day(30), ..discount(1, 100) },
            Voucher { activated_at: day(10), ..discount(2, 100) },
            Voucher { activated_at: day(20), ..discount(3, 100) },
        ],
        ..wallet()
    };
    check(
        &wallet,
        BillingCenter,
        Payg,
        300,
        &[(DiscountVoucher, v(2), 100), (DiscountVoucher, v(3), 100), (DiscountVoucher, v(1), 100)],
    );
}

#[test]
fn with_equal_expiry_the_earliest_purchased_card_pays_first() {
    let wallet = WalletSnapshot {
        cards: vec![
            coffer_core::card::PrepaidCard { purchased_at: day(5), ..card(1, 100) },
            coffer_core::card::PrepaidCard { purchased_at: day(1), ..card(2, 100) },
        ],
        ..wallet()
    };
    check(&wallet, BillingCenter, Testing, 120, &[(PrepaidCard, c(2), 100), (PrepaidCard, c(1), 20)]);
}

#[test]
fn with_equal_expiry_and_activation_the_lowest_id_pays_first() {
    let wallet = WalletSnapshot {
        vouchers: vec![standard(9, 100), standard(3, 100), standard(5, 100)],
        cards: vec![card(8, 100), card(4, 100)],
        ..wallet()
    };
    check(
        &wallet,
        BillingCenter,
        Payg,
        450,
        &[
            (StandardVoucher, v(3), 100),
            (StandardVoucher, v(5), 100),
            (StandardVoucher, v(9), 100),
            (PrepaidCard, c(4), 100),
            (PrepaidCard, c(8), 50),
        ],
    );
}

#[test]
fn expiry_outranks_activation_which_outranks_id() {
    // Voucher 1: lowest id, earliest activation, but latest expiry → last.
    // Voucher 2 and 3 share the expiry; 3 was activated earlier → 3 before 2.
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { window: window(0, Some(190)), activated_at: day(0), ..standard(1, 100) },
            Voucher { window: window(0, Some(150)), activated_at: day(40), ..standard(2, 100) },
            Voucher { window: window(0, Some(150)), activated_at: day(30), ..standard(3, 100) },
        ],
        ..wallet()
    };
    check(
        &wallet,
        Cloud,
        Payg,
        300,
        &[(StandardVoucher, v(3), 100), (StandardVoucher, v(2), 100), (StandardVoucher, v(1), 100)],
    );
}

#[test]
fn standard_vouchers_pay_before_discount_vouchers_whatever_their_expiry() {
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { window: window(0, Some(101)), ..discount(1, 100) },
            Voucher { window: window(0, None), ..standard(2, 100) },
        ],
        ..wallet()
    };
    check(&wallet, BillingCenter, Payg, 150, &[(StandardVoucher, v(2), 100), (DiscountVoucher, v(1), 50)]);
}

// ------------------------------------------------------- validity and status

#[test]
fn expired_vouchers_are_skipped_even_with_a_balance() {
    let wallet = WalletSnapshot {
        cash_minor: 1_000,
        vouchers: vec![Voucher { window: window(0, Some(50)), ..standard(1, 500) }],
        ..wallet()
    };
    let plan = check(&wallet, BillingCenter, Payg, 300, &[(CashClass, Source::Cash, 300)]);
    assert_eq!(reason(&plan, v(1)), "expired");
    assert_eq!(considered(&plan, v(1)).balance_before_minor, 500);
}

#[test]
fn expired_cards_are_skipped_even_with_a_balance() {
    let wallet = WalletSnapshot {
        cards: vec![coffer_core::card::PrepaidCard { window: window(0, Some(99)), ..card(1, 500) }],
        ..wallet()
    };
    let plan = check(&wallet, Cloud, Payg, 300, &[(CloudClass, Source::CloudAccount, 300)]);
    assert_eq!(reason(&plan, c(1)), "expired");
}

#[test]
fn an_instrument_expires_exactly_at_the_end_of_its_window() {
    // Windows are half-open: valid at `from`, expired at `until`.
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { window: window(0, Some(100)), ..standard(1, 100) },
            Voucher { window: window(100, Some(101)), ..standard(2, 100) },
        ],
        ..wallet()
    };
    let plan =
        check(&wallet, BillingCenter, Payg, 150, &[(StandardVoucher, v(2), 100), (ArrearsClass, Source::Arrears, 50)]);
    assert_eq!(reason(&plan, v(1)), "expired");
}

#[test]
fn not_yet_valid_instruments_are_skipped_even_with_a_balance() {
    let wallet = WalletSnapshot {
        vouchers: vec![Voucher { window: window(101, Some(300)), ..discount(1, 500) }],
        cards: vec![coffer_core::card::PrepaidCard { window: window(150, None), ..card(2, 500) }],
        cash_minor: 50,
        ..wallet()
    };
    let plan =
        check(&wallet, BillingCenter, Payg, 80, &[(CashClass, Source::Cash, 50), (ArrearsClass, Source::Arrears, 30)]);
    assert_eq!(reason(&plan, v(1)), "not_yet_valid");
    assert_eq!(reason(&plan, c(2)), "not_yet_valid");
}

#[test]
fn vouchers_that_are_not_active_are_skipped_whatever_their_balance_and_window() {
    for status in [VoucherStatus::Issued, VoucherStatus::UsedUp, VoucherStatus::Expired, VoucherStatus::Revoked] {
        let wallet = WalletSnapshot { vouchers: vec![Voucher { status, ..standard(1, 500) }], ..wallet() };
        let plan = check(&wallet, BillingCenter, Payg, 100, &[(ArrearsClass, Source::Arrears, 100)]);
        assert_eq!(reason(&plan, v(1)), "not_active", "{status:?}");
    }
}

#[test]
fn cards_that_are_not_active_are_skipped_whatever_their_balance_and_window() {
    for status in [CardStatus::UsedUp, CardStatus::Expired] {
        let wallet =
            WalletSnapshot { cards: vec![coffer_core::card::PrepaidCard { status, ..card(1, 500) }], ..wallet() };
        let plan = check(&wallet, Cloud, Testing, 100, &[(CloudClass, Source::CloudAccount, 100)]);
        assert_eq!(reason(&plan, c(1)), "not_active", "{status:?}");
    }
}

// ------------------------------------------------------- cover and terminals

#[test]
fn a_charge_smaller_than_the_first_instrument_is_covered_by_it_alone() {
    let wallet = one_of_each();
    let plan = check(&wallet, BillingCenter, Payg, 30, &[(StandardVoucher, v(1), 30)]);
    assert_eq!(reason(&plan, v(2)), "already_covered");
    assert_eq!(reason(&plan, c(3)), "already_covered");
    assert_eq!(reason(&plan, Source::Cash), "already_covered");
    assert_eq!(reason(&plan, Source::Arrears), "already_covered");
    assert!(plan.exhausted().is_empty(), "a partly used voucher is not exhausted");
}

#[test]
fn partial_cover_takes_each_instrument_up_to_its_balance() {
    let wallet = one_of_each();
    let plan = check(
        &wallet,
        BillingCenter,
        Payg,
        450,
        &[(StandardVoucher, v(1), 100), (DiscountVoucher, v(2), 200), (PrepaidCard, c(3), 150)],
    );
    assert_eq!(plan.exhausted(), vec![v(1), v(2)]);
    assert_eq!(reason(&plan, Source::Cash), "already_covered");
}

#[test]
fn a_charge_exactly_equal_to_an_instrument_exhausts_it_and_stops() {
    let wallet = WalletSnapshot { cash_minor: 100, cards: vec![card(1, 250)], ..wallet() };
    let plan = check(&wallet, BillingCenter, Sms, 250, &[(PrepaidCard, c(1), 250)]);
    assert_eq!(plan.exhausted(), vec![c(1)]);
    assert_eq!(reason(&plan, Source::Cash), "already_covered");
}

#[test]
fn cloud_settlement_bills_the_remainder_to_the_cloud_account() {
    let wallet =
        WalletSnapshot { cash_minor: 10_000, arrears_owed_minor: 0, arrears_limit_minor: Some(0), ..one_of_each() };
    let plan = check(
        &wallet,
        Cloud,
        Payg,
        1_000,
        &[
            (StandardVoucher, v(1), 100),
            (DiscountVoucher, v(2), 200),
            (PrepaidCard, c(3), 300),
            (CloudClass, Source::CloudAccount, 400),
        ],
    );
    assert_eq!(reason(&plan, Source::Cash), "not_allowed_for_category");
    assert!(plan.considered.iter().all(|c| c.source != Source::Arrears), "arrears is not part of cloud settlement");
    assert_eq!(considered(&plan, Source::CloudAccount).class, CloudClass);
}

#[test]
fn cloud_settlement_with_nothing_in_the_wallet_bills_everything_to_the_cloud() {
    check(&wallet(), Cloud, Sms, 777, &[(CloudClass, Source::CloudAccount, 777)]);
}

#[test]
fn cloud_settlement_ignores_the_arrears_limit() {
    let wallet = WalletSnapshot { arrears_owed_minor: 5_000, arrears_limit_minor: Some(1_000), ..wallet() };
    check(&wallet, Cloud, Payg, 9_999, &[(CloudClass, Source::CloudAccount, 9_999)]);
}

#[test]
fn billing_center_never_bills_the_cloud_account() {
    let plan = check(
        &one_of_each(),
        BillingCenter,
        Payg,
        100_000,
        &[
            (StandardVoucher, v(1), 100),
            (DiscountVoucher, v(2), 200),
            (PrepaidCard, c(3), 300),
            (CashClass, Source::Cash, 400),
            (ArrearsClass, Source::Arrears, 99_000),
        ],
    );
    assert!(plan.considered.iter().all(|c| c.source != Source::CloudAccount));
}

// ------------------------------------------------------------------ arrears

#[test]
fn without_a_limit_arrears_take_any_remainder() {
    let wallet = WalletSnapshot { arrears_owed_minor: 9_000_000_000_000, ..wallet() };
    let plan =
        check(&wallet, BillingCenter, Payg, 10_000_000_000_000, &[(ArrearsClass, Source::Arrears, 10_000_000_000_000)]);
    let arrears = considered(&plan, Source::Arrears);
    assert_eq!(arrears.balance_before_minor, -9_000_000_000_000);
    assert!(plan.exhausted().is_empty(), "arrears is never exhausted");
}

#[test]
fn arrears_beyond_the_limit_are_rejected() {
    let wallet =
        WalletSnapshot { cash_minor: 100, arrears_owed_minor: 600, arrears_limit_minor: Some(1_000), ..wallet() };
    assert_eq!(
        reject(&wallet, BillingCenter, Payg, 601),
        ChargeRejected::ArrearsLimitExceeded { owed_minor: 600, limit_minor: 1_000, requested_minor: 501 }
    );
}

#[test]
fn arrears_may_reach_the_limit_exactly() {
    let wallet =
        WalletSnapshot { cash_minor: 100, arrears_owed_minor: 600, arrears_limit_minor: Some(1_000), ..wallet() };
    check(&wallet, BillingCenter, Sms, 500, &[(CashClass, Source::Cash, 100), (ArrearsClass, Source::Arrears, 400)]);
}

#[test]
fn a_zero_limit_forbids_any_new_arrears() {
    let wallet = WalletSnapshot { cash_minor: 100, arrears_limit_minor: Some(0), ..wallet() };
    check(&wallet, BillingCenter, Payg, 100, &[(CashClass, Source::Cash, 100)]);
    assert_eq!(
        reject(&wallet, BillingCenter, Payg, 101),
        ChargeRejected::ArrearsLimitExceeded { owed_minor: 0, limit_minor: 0, requested_minor: 1 }
    );
}

#[test]
fn a_charge_covered_without_arrears_passes_even_when_already_over_the_limit() {
    // The limit may have been lowered below what is owed; covered charges still settle.
    let wallet =
        WalletSnapshot { cash_minor: 500, arrears_owed_minor: 2_000, arrears_limit_minor: Some(1_000), ..wallet() };
    let plan = check(&wallet, BillingCenter, Payg, 500, &[(CashClass, Source::Cash, 500)]);
    assert_eq!(reason(&plan, Source::Arrears), "already_covered");
    assert!(matches!(
        reject(&wallet, BillingCenter, Payg, 501),
        ChargeRejected::ArrearsLimitExceeded { requested_minor: 1, .. }
    ));
}

// ------------------------------------------------------------- rejections

#[test]
fn a_charge_in_another_currency_is_rejected() {
    let wallet = one_of_each();
    let usd = coffer_core::planner::ChargeInput { currency: Currency::Usd, ..charge(BillingCenter, Payg, 100) };
    assert_eq!(
        plan_charge(&wallet, &DeductionPolicy::v1(), usd, NOW),
        Err(ChargeRejected::CurrencyMismatch { account: Currency::Cny, charge: Currency::Usd })
    );
}

#[test]
fn a_currency_mismatch_is_reported_before_the_arrears_limit() {
    let wallet =
        WalletSnapshot { currency: Currency::Usd, arrears_owed_minor: 5_000, arrears_limit_minor: Some(0), ..wallet() };
    // In CNY (the wrong currency) the only problem reported is the currency.
    assert_eq!(
        reject(&wallet, BillingCenter, Payg, 1_000),
        ChargeRejected::CurrencyMismatch { account: Currency::Usd, charge: Currency::Cny }
    );
    // In USD the same charge meets the limit.
    let usd = coffer_core::planner::ChargeInput { currency: Currency::Usd, ..charge(BillingCenter, Payg, 1_000) };
    assert!(matches!(
        plan_charge(&wallet, &DeductionPolicy::v1(), usd, NOW),
        Err(ChargeRejected::ArrearsLimitExceeded { .. })
    ));
}

// ------------------------------------------------------------ explanation

#[test]
fn the_preview_explains_every_instrument_with_its_reason() {
    let wallet = WalletSnapshot {
        cash_minor: 700,
        arrears_owed_minor: 40,
        vouchers: vec![standard(1, 100), discount(2, 100)],
        cards: vec![
            coffer_core::card::PrepaidCard { window: window(0, Some(50)), ..card(10, 500) },
            coffer_core::card::PrepaidCard { window: window(150, Some(300)), ..card(11, 500) },
            coffer_core::card::PrepaidCard { status: CardStatus::UsedUp, ..card(12, 500) },
            card(13, 0),
            coffer_core::card::PrepaidCard { window: window(0, Some(200)), ..card(14, 200) },
            coffer_core::card::PrepaidCard { window: window(0, Some(300)), ..card(15, 1_000) },
            coffer_core::card::PrepaidCard { window: window(0, None), ..card(16, 1_000) },
        ],
        ..wallet()
    };
    let plan = check(&wallet, BillingCenter, Sms, 250, &[(PrepaidCard, c(14), 200), (PrepaidCard, c(15), 50)]);
    let expected: Vec<(Source, InstrumentClass, i64, &str)> = vec![
        (v(1), StandardVoucher, 100, "not_allowed_for_category"),
        (v(2), DiscountVoucher, 100, "not_allowed_for_category"),
        (c(10), PrepaidCard, 500, "expired"),
        (c(11), PrepaidCard, 500, "not_yet_valid"),
        (c(12), PrepaidCard, 500, "not_active"),
        (c(13), PrepaidCard, 0, "no_balance"),
        (c(14), PrepaidCard, 200, "used:200"),
        (c(15), PrepaidCard, 1_000, "used:50"),
        (c(16), PrepaidCard, 1_000, "already_covered"),
        (Source::Cash, CashClass, 700, "already_covered"),
        (Source::Arrears, ArrearsClass, -40, "already_covered"),
    ];
    let describe = |o: Outcome| match o {
        Outcome::Used(a) => format!("used:{}", a.minor()),
        Outcome::Skipped(r) => r.as_str().to_owned(),
    };
    let mut got: Vec<(Source, InstrumentClass, i64, String)> =
        plan.considered.iter().map(|c| (c.source, c.class, c.balance_before_minor, describe(c.outcome))).collect();
    got.sort_by_key(|g| g.0);
    let mut expected: Vec<(Source, InstrumentClass, i64, String)> =
        expected.into_iter().map(|(s, k, b, r)| (s, k, b, r.to_owned())).collect();
    expected.sort_by_key(|e| e.0);
    assert_eq!(got, expected);
    assert_eq!(plan.exhausted(), vec![c(14)]);
}

#[test]
fn empty_cash_and_empty_vouchers_are_explained_as_no_balance() {
    let wallet = WalletSnapshot { vouchers: vec![standard(1, 0)], ..wallet() };
    let plan = check(&wallet, BillingCenter, Payg, 10, &[(ArrearsClass, Source::Arrears, 10)]);
    assert_eq!(reason(&plan, v(1)), "no_balance");
    assert_eq!(reason(&plan, Source::Cash), "no_balance");
    assert_eq!(considered(&plan, Source::Arrears).outcome, Outcome::Used(amount(10)));
}

#[test]
fn the_reasons_are_checked_in_a_fixed_order() {
    // An inactive, expired, empty voucher is "not_active"; an active, expired, empty one
    // is "expired"; an active, valid, empty one after cover is "no_balance".
    let wallet = WalletSnapshot {
        vouchers: vec![
            Voucher { status: VoucherStatus::Expired, window: window(0, Some(10)), ..standard(1, 0) },
            Voucher { window: window(0, Some(10)), ..standard(2, 0) },
            standard(3, 50),
            standard(4, 0),
        ],
        ..wallet()
    };
    let plan = check(&wallet, BillingCenter, Payg, 50, &[(StandardVoucher, v(3), 50)]);
    assert_eq!(reason(&plan, v(1)), "not_active");
    assert_eq!(reason(&plan, v(2)), "expired");
    assert_eq!(reason(&plan, v(4)), "no_balance");
    // Vouchers under SMS are "not allowed" before anything else.
    let plan = check(&wallet, BillingCenter, Sms, 50, &[(ArrearsClass, Source::Arrears, 50)]);
    for id in 1..=4 {
        assert_eq!(reason(&plan, v(id)), "not_allowed_for_category");
    }
}

#[test]
fn every_skip_reason_has_its_documented_name() {
    let names = [
        (SkipReason::NotAllowedForCategory, "not_allowed_for_category"),
        (SkipReason::NotActive, "not_active"),
        (SkipReason::NotYetValid, "not_yet_valid"),
        (SkipReason::Expired, "expired"),
        (SkipReason::NoBalance, "no_balance"),
        (SkipReason::AlreadyCovered, "already_covered"),
    ];
    for (reason, name) in names {
        assert_eq!(reason.as_str(), name);
    }
}

#[test]
fn exhausted_lists_only_vouchers_and_cards_that_were_emptied() {
    let wallet = WalletSnapshot {
        cash_minor: 100,
        vouchers: vec![standard(1, 100), discount(2, 100)],
        cards: vec![card(3, 100), card(4, 100)],
        ..wallet()
    };
    let plan = check(
        &wallet,
        BillingCenter,
        Payg,
        350,
        &[
            (StandardVoucher, v(1), 100),
            (DiscountVoucher, v(2), 100),
            (PrepaidCard, c(3), 100),
            (PrepaidCard, c(4), 50),
        ],
    );
    assert_eq!(plan.exhausted(), vec![v(1), v(2), c(3)]);
    // Cash emptied by a charge is not "exhausted": it is not an instrument with a status.
    let plan = check(
        &wallet,
        BillingCenter,
        Sms,
        500,
        &[
            (PrepaidCard, c(3), 100),
            (PrepaidCard, c(4), 100),
            (CashClass, Source::Cash, 100),
            (ArrearsClass, Source::Arrears, 200),
        ],
    );
    assert_eq!(plan.exhausted(), vec![c(3), c(4)]);
}

// ------------------------------------------------------- the policy is data

#[test]
fn a_custom_policy_is_followed_and_its_version_recorded() {
    use coffer_core::policy::PolicyRule as R;
    let mut rules: Vec<R> = DeductionPolicy::v1().rules().to_vec();
    for rule in &mut rules {
        if rule.settlement == BillingCenter && rule.category == Payg {
            rule.classes = vec![CashClass, PrepaidCard, ArrearsClass];
        }
    }
    let policy = DeductionPolicy::new(7, rules).unwrap_or_else(|e| panic!("{e:?}"));
    let plan =
        plan_charge(&one_of_each(), &policy, charge(BillingCenter, Payg, 500), NOW).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.policy_version, 7);
    let got: Vec<(Source, i64)> = plan.deductions.iter().map(|d| (d.source, d.amount.minor())).collect();
    assert_eq!(got, vec![(Source::Cash, 400), (c(3), 100)]);
    assert_eq!(reason(&plan, v(1)), "not_allowed_for_category");
}

#[test]
fn a_policy_table_must_have_one_rule_per_pair_ending_in_its_terminal() {
    let v1 = DeductionPolicy::v1().rules().to_vec();
    let without_cloud_sms: Vec<PolicyRule> =
        v1.iter().filter(|r| !(r.settlement == Cloud && r.category == Sms)).cloned().collect();
    assert_eq!(
        DeductionPolicy::new(2, without_cloud_sms),
        Err(PolicyError::NotExactlyOneRule { settlement: Cloud, category: Sms })
    );
    let with = |settlement, category, classes: Vec<InstrumentClass>| -> Vec<PolicyRule> {
        v1.iter()
            .map(|r| {
                if r.settlement == settlement && r.category == category {
                    PolicyRule { classes: classes.clone(), ..r.clone() }
                } else {
                    r.clone()
                }
            })
            .collect()
    };
    assert_eq!(
        DeductionPolicy::new(2, with(Cloud, Payg, vec![PrepaidCard, ArrearsClass])),
        Err(PolicyError::WrongTerminal)
    );
    assert_eq!(DeductionPolicy::new(2, with(BillingCenter, Sms, vec![CashClass])), Err(PolicyError::WrongTerminal));
    assert_eq!(
        DeductionPolicy::new(2, with(BillingCenter, Sms, vec![ArrearsClass, CashClass, ArrearsClass])),
        Err(PolicyError::WrongTerminal)
    );
    assert_eq!(
        DeductionPolicy::new(2, with(BillingCenter, Sms, vec![CashClass, CashClass, ArrearsClass])),
        Err(PolicyError::DuplicateClass)
    );
}
