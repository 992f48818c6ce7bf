//! Plans and journal entries of every money-moving use case (DOMAIN §4, §6, §8, §11).

mod common;

use coffer_core::card::{BonusTier, BonusTiers, FaceValueError};
use coffer_core::ids::{CardId, VoucherId};
use coffer_core::journal::{sums_to_zero, Book, EntryKind, JournalEntry};
use coffer_core::lifecycle::{
    adjustment_entry, card_entry, cash_credit_entry, charge_entry, plan_card_allocation, plan_card_purchase,
    plan_reversal, split_for_arrears, voucher_activation_entry, write_off_entry, AdjustmentDirection,
    AdjustmentRejected, ArrearsSplit, CardRejected, CashSource, InstrumentNow,
};
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::{plan_charge, ChargePlan, Deduction, Source, WalletSnapshot};
use coffer_core::policy::{Category, DeductionPolicy, InstrumentClass};
use coffer_core::time::Timestamp;
use coffer_core::workspace::SettlementKind;
use common::*;

/// Whole currency units as an amount (CNY and USD both have 100 minor units).
fn units(n: i64) -> Amount {
    amount(n * 100)
}

fn assert_balanced(entry: &JournalEntry) {
    assert!(sums_to_zero(&entry.postings), "{:?} does not balance: {:?}", entry.kind, entry.postings);
    assert!(entry.postings.iter().all(|p| p.amount_minor != 0), "zero postings are dropped");
}

fn plan(wallet: &WalletSnapshot, settlement: SettlementKind, minor: i64) -> ChargePlan {
    plan_charge(wallet, &DeductionPolicy::v1(), charge(settlement, Category::Payg, minor), NOW)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Books matching a wallet snapshot.
fn books_of(wallet: &WalletSnapshot) -> Books {
    let mut books =
        Books::new().with(Book::Cash, 0, wallet.cash_minor).with(Book::Arrears, 0, -wallet.arrears_owed_minor);
    for voucher in &wallet.vouchers {
        books = books.with(Book::Voucher, voucher.id.0, voucher.balance_minor);
    }
    for card in &wallet.cards {
        books = books.with(Book::Card, card.id.0, card.balance_minor);
    }
    books
}

// ------------------------------------------------------------------ charges

#[test]
fn a_charge_entry_moves_each_deduction_to_revenue_and_balances() {
    let wallet = WalletSnapshot {
        cash_minor: 400,
        arrears_owed_minor: 50,
        vouchers: vec![standard(1, 100), discount(2, 200)],
        cards: vec![card(3, 300)],
        ..wallet()
    };
    let plan = plan(&wallet, SettlementKind::BillingCenter, 1_500);
    let entry = charge_entry(&plan, "bill 42");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::ChargeSettled);
    assert_eq!(entry.memo, "bill 42");
    assert_eq!(posted_to(&entry, Book::Voucher, 1), -100);
    assert_eq!(posted_to(&entry, Book::Voucher, 2), -200);
    assert_eq!(posted_to(&entry, Book::Card, 3), -300);
    assert_eq!(posted(&entry, Book::Cash), -400);
    assert_eq!(posted(&entry, Book::Arrears), -500);
    assert_eq!(posted(&entry, Book::Revenue), 1_500);
    assert_eq!(posted(&entry, Book::CloudBilled), 0);

    let mut books = books_of(&wallet);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Cash, 0), 0);
    assert_eq!(books.get(Book::Arrears, 0), -550);
}

#[test]
fn a_cloud_charge_entry_posts_the_remainder_to_cloud_billed() {
    let wallet = WalletSnapshot { cash_minor: 10_000, cards: vec![card(3, 300)], ..wallet() };
    let plan = plan(&wallet, SettlementKind::Cloud, 1_000);
    let entry = charge_entry(&plan, "cloud bill");
    assert_balanced(&entry);
    assert_eq!(posted_to(&entry, Book::Card, 3), -300);
    assert_eq!(posted(&entry, Book::CloudBilled), -700);
    assert_eq!(posted(&entry, Book::Cash), 0);
    assert_eq!(posted(&entry, Book::Arrears), 0);
    assert_eq!(posted(&entry, Book::Revenue), 1_000);
}

// --------------------------------------------------------------- cash credit

#[test]
fn a_cash_credit_without_arrears_all_becomes_cash() {
    let entry = cash_credit_entry(CashSource::OnlinePayment, amount(1_000), 0, "alipay 1");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::CashCredit);
    assert_eq!(posted(&entry, Book::FundingOnline), -1_000);
    assert_eq!(posted(&entry, Book::Cash), 1_000);
    assert_eq!(posted(&entry, Book::Arrears), 0);
}

#[test]
fn a_cash_credit_repays_arrears_first() {
    let entry = cash_credit_entry(CashSource::BankTransfer, amount(1_000), 300, "wire 1");
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::FundingBank), -1_000);
    assert_eq!(posted(&entry, Book::FundingOnline), 0);
    assert_eq!(posted(&entry, Book::Arrears), 300);
    assert_eq!(posted(&entry, Book::Cash), 700);

    let mut books = Books::new().with(Book::Arrears, 0, -300);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Arrears, 0), 0);
    assert_eq!(books.get(Book::Cash, 0), 700);
}

#[test]
fn a_cash_credit_smaller_than_the_arrears_only_reduces_them() {
    let entry = cash_credit_entry(CashSource::OnlinePayment, amount(200), 300, "alipay 2");
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::Arrears), 200);
    assert_eq!(posted(&entry, Book::Cash), 0);
    let mut books = Books::new().with(Book::Arrears, 0, -300);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Arrears, 0), -100);
}

#[test]
fn the_arrears_split_never_repays_more_than_is_owed_or_incoming() {
    let cases = [(0, 500, 0, 500), (100, 500, 100, 400), (500, 500, 500, 0), (900, 500, 500, 0), (-50, 500, 0, 500)];
    for (owed, incoming, repaid, rest) in cases {
        assert_eq!(
            split_for_arrears(owed, amount(incoming)),
            ArrearsSplit { repaid_minor: repaid, rest_minor: rest },
            "owed {owed}, incoming {incoming}"
        );
    }
}

// -------------------------------------------------------------------- cards

#[test]
fn card_face_values_must_be_whole_hundreds_of_units_of_at_least_one_hundred() {
    let tiers = BonusTiers::published();
    for currency in Currency::ALL {
        for (face, ok) in [
            (amount(9_999), Err(FaceValueError::BelowMinimum)),
            (units(99), Err(FaceValueError::BelowMinimum)),
            (units(150), Err(FaceValueError::NotMultipleOfHundredUnits)),
            (amount(10_001), Err(FaceValueError::NotMultipleOfHundredUnits)),
            (units(100), Ok(())),
            (units(1_000_000), Ok(())),
        ] {
            let purchase = plan_card_purchase(face, currency, i64::MAX, 0, &tiers).map(|_| ());
            assert_eq!(purchase, ok.map_err(CardRejected::FaceValue), "{face:?}");
            let allocation = plan_card_allocation(face, currency, 0).map(|_| ());
            assert_eq!(allocation, ok.map_err(CardRejected::FaceValue), "{face:?}");
        }
    }
}

#[test]
fn a_bad_face_value_is_reported_before_missing_cash() {
    assert_eq!(
        plan_card_purchase(units(150), Currency::Cny, 0, 0, &BonusTiers::published()),
        Err(CardRejected::FaceValue(FaceValueError::NotMultipleOfHundredUnits))
    );
}

#[test]
fn a_card_cannot_be_bought_with_less_cash_than_its_face_value() {
    let tiers = BonusTiers::published();
    assert_eq!(
        plan_card_purchase(units(500), Currency::Cny, 49_999, 0, &tiers),
        Err(CardRejected::InsufficientCash { available_minor: 49_999, needed_minor: 50_000 })
    );
    let plan = plan_card_purchase(units(500), Currency::Cny, 50_000, 0, &tiers).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(plan.purchased);
    assert_eq!(plan.split, ArrearsSplit { repaid_minor: 0, rest_minor: 50_000 });
    assert_eq!(plan.bonus, None);

    let entry = card_entry(&plan, CardId(7), None, "buy");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::CardPurchased);
    let mut books = Books::new().with(Book::Cash, 0, 50_000);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Cash, 0), 0);
    assert_eq!(books.get(Book::Card, 7), 50_000);
}

#[test]
fn a_new_cards_value_repays_arrears_first() {
    let plan = plan_card_purchase(units(300), Currency::Cny, 100_000, 12_345, &BonusTiers::published())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.split, ArrearsSplit { repaid_minor: 12_345, rest_minor: 30_000 - 12_345 });
    let entry = card_entry(&plan, CardId(9), None, "buy");
    assert_balanced(&entry);
    let mut books = Books::new().with(Book::Cash, 0, 100_000).with(Book::Arrears, 0, -12_345);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Cash, 0), 70_000, "cash drops by the face value");
    assert_eq!(books.get(Book::Arrears, 0), 0);
    assert_eq!(books.get(Book::Card, 9), 17_655);
}

#[test]
fn arrears_larger_than_the_card_swallow_all_of_its_value() {
    let plan = plan_card_allocation(units(100), Currency::Usd, 50_000).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.split, ArrearsSplit { repaid_minor: 10_000, rest_minor: 0 });
    let entry = card_entry(&plan, CardId(4), None, "grant");
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::Card), 0, "the zero card posting is dropped");
    let mut books = Books::new().with(Book::Arrears, 0, -50_000);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Arrears, 0), -40_000);
}

#[test]
fn only_the_highest_bonus_tier_reached_is_granted_per_purchase() {
    let tiers = BonusTiers::published();
    let cases = [
        (9_900, None),
        (10_000, Some(1_000)),
        (29_900, Some(1_000)),
        (30_000, Some(5_000)),
        (99_900, Some(5_000)),
        (100_000, Some(20_000)),
        (1_000_000, Some(20_000)),
    ];
    for (face_units, bonus_units) in cases {
        let plan = plan_card_purchase(units(face_units), Currency::Cny, i64::MAX, 0, &tiers)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(plan.bonus, bonus_units.map(units), "face {face_units}");
    }
}

#[test]
fn custom_bonus_tiers_need_not_be_sorted_and_still_pay_only_the_highest() {
    let tiers = BonusTiers::new(vec![
        BonusTier { threshold_minor: 50_000, bonus_minor: 7_000 },
        BonusTier { threshold_minor: 10_000, bonus_minor: 500 },
        BonusTier { threshold_minor: 20_000, bonus_minor: 2_000 },
    ])
    .unwrap_or_else(|| panic!("valid tiers"));
    let bonus = |face| {
        plan_card_purchase(amount(face), Currency::Cny, i64::MAX, 0, &tiers)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .bonus
            .map(Amount::minor)
    };
    assert_eq!(bonus(10_000), Some(500));
    assert_eq!(bonus(40_000), Some(2_000));
    assert_eq!(bonus(60_000), Some(7_000));
    assert!(BonusTiers::new(vec![BonusTier { threshold_minor: 10_000, bonus_minor: 0 }]).is_none());
    assert!(BonusTiers::new(vec![BonusTier { threshold_minor: 0, bonus_minor: 100 }]).is_none());
}

#[test]
fn a_bought_card_with_a_bonus_books_the_discount_voucher_from_promotion() {
    let plan = plan_card_purchase(units(30_000), Currency::Cny, units(40_000).minor(), 0, &BonusTiers::published())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.bonus, Some(units(5_000)));
    let entry = card_entry(&plan, CardId(1), Some(VoucherId(2)), "buy big");
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::Cash), -units(30_000).minor());
    assert_eq!(posted_to(&entry, Book::Card, 1), units(30_000).minor());
    assert_eq!(posted(&entry, Book::Promotion), -units(5_000).minor());
    assert_eq!(posted_to(&entry, Book::Voucher, 2), units(5_000).minor());
    let mut books = Books::new().with(Book::Cash, 0, units(40_000).minor());
    books.apply(&entry);
    books.assert_customer_books_valid();
}

#[test]
fn allocated_cards_earn_no_bonus_and_are_funded_by_the_grant_book() {
    let plan = plan_card_allocation(units(100_000), Currency::Cny, 0).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!plan.purchased);
    assert_eq!(plan.bonus, None);
    // Even if a caller passes a voucher id, no bonus is booked without a planned bonus.
    let entry = card_entry(&plan, CardId(5), Some(VoucherId(6)), "partner grant");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::CardAllocated);
    assert_eq!(posted(&entry, Book::CardGrant), -units(100_000).minor());
    assert_eq!(posted(&entry, Book::Cash), 0);
    assert_eq!(posted(&entry, Book::Voucher), 0);
    assert_eq!(posted(&entry, Book::Promotion), 0);
    assert_eq!(posted_to(&entry, Book::Card, 5), units(100_000).minor());
}

#[test]
fn an_allocated_cards_value_also_repays_arrears_first() {
    let plan = plan_card_allocation(units(100), Currency::Cny, 2_500).unwrap_or_else(|e| panic!("{e:?}"));
    let entry = card_entry(&plan, CardId(5), None, "grant");
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::Arrears), 2_500);
    assert_eq!(posted_to(&entry, Book::Card, 5), 7_500);
}

// ----------------------------------------------------------------- vouchers

#[test]
fn a_voucher_activation_moves_promotion_value_into_the_voucher() {
    let entry = voucher_activation_entry(VoucherId(3), amount(5_000), "code ABCD");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::VoucherActivated);
    assert_eq!(posted(&entry, Book::Promotion), -5_000);
    assert_eq!(posted_to(&entry, Book::Voucher, 3), 5_000);
}

// -------------------------------------------------------------- adjustments

#[test]
fn an_adjustment_credit_repays_arrears_first() {
    let entry = adjustment_entry(AdjustmentDirection::Credit, amount(1_000), 0, 400, "goodwill")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::Adjustment);
    assert_eq!(entry.memo, "goodwill");
    assert_eq!(posted(&entry, Book::Adjustment), -1_000);
    assert_eq!(posted(&entry, Book::Arrears), 400);
    assert_eq!(posted(&entry, Book::Cash), 600);
    let mut books = Books::new().with(Book::Arrears, 0, -400);
    books.apply(&entry);
    books.assert_customer_books_valid();
}

#[test]
fn an_adjustment_debit_takes_cash_but_never_below_zero() {
    assert_eq!(
        adjustment_entry(AdjustmentDirection::Debit, amount(501), 500, 0, "fix"),
        Err(AdjustmentRejected::InsufficientCash { available_minor: 500, needed_minor: 501 })
    );
    let entry =
        adjustment_entry(AdjustmentDirection::Debit, amount(500), 500, 0, "fix").unwrap_or_else(|e| panic!("{e:?}"));
    assert_balanced(&entry);
    assert_eq!(posted(&entry, Book::Cash), -500);
    assert_eq!(posted(&entry, Book::Adjustment), 500);
    assert_eq!(posted(&entry, Book::Arrears), 0, "a debit never touches arrears");
    let mut books = Books::new().with(Book::Cash, 0, 500);
    books.apply(&entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Cash, 0), 0);
}

// ---------------------------------------------------------------- write-offs

#[test]
fn expiry_writes_the_leftover_off_to_breakage() {
    let entry = write_off_entry(EntryKind::VoucherExpired, v(3), 250, "expired");
    assert_balanced(&entry);
    assert_eq!(posted_to(&entry, Book::Voucher, 3), -250);
    assert_eq!(posted(&entry, Book::Breakage), 250);

    let entry = write_off_entry(EntryKind::CardExpired, c(4), 9_000, "expired");
    assert_balanced(&entry);
    assert_eq!(entry.kind, EntryKind::CardExpired);
    assert_eq!(posted_to(&entry, Book::Card, 4), -9_000);
    assert_eq!(posted(&entry, Book::Breakage), 9_000);

    let mut books = Books::new().with(Book::Voucher, 3, 250).with(Book::Card, 4, 9_000);
    books.apply(&write_off_entry(EntryKind::VoucherExpired, v(3), 250, ""));
    books.apply(&write_off_entry(EntryKind::CardExpired, c(4), 9_000, ""));
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Voucher, 3), 0);
    assert_eq!(books.get(Book::Card, 4), 0);
}

#[test]
fn revocation_returns_the_leftover_to_promotion() {
    let entry = write_off_entry(EntryKind::VoucherRevoked, v(8), 100, "revoked");
    assert_balanced(&entry);
    assert_eq!(posted_to(&entry, Book::Voucher, 8), -100);
    assert_eq!(posted(&entry, Book::Promotion), 100);
    assert_eq!(posted(&entry, Book::Breakage), 0);
}

#[test]
fn writing_off_nothing_produces_an_empty_entry() {
    let entry = write_off_entry(EntryKind::VoucherExpired, v(3), 0, "empty");
    assert!(entry.postings.is_empty());
}

// ---------------------------------------------------------------- reversals

fn alive(source: Source) -> InstrumentNow {
    InstrumentNow { source, window: window(0, Some(365)), terminal: false }
}

fn deduction(class: InstrumentClass, source: Source, minor: i64) -> Deduction {
    Deduction { class, source, amount: amount(minor) }
}

#[test]
fn reversing_a_charge_gives_each_deduction_back_and_revives_vouchers_and_cards() {
    let deductions = [
        deduction(InstrumentClass::StandardVoucher, v(1), 100),
        deduction(InstrumentClass::PrepaidCard, c(2), 300),
        deduction(InstrumentClass::Cash, Source::Cash, 400),
    ];
    let plan = plan_reversal(&deductions, &[alive(v(1)), alive(c(2))], 0, NOW, "billing error");
    let entry = &plan.entry;
    assert_balanced(entry);
    assert_eq!(entry.kind, EntryKind::ChargeReversed);
    assert_eq!(posted_to(entry, Book::Voucher, 1), 100);
    assert_eq!(posted_to(entry, Book::Card, 2), 300);
    assert_eq!(posted(entry, Book::Cash), 400);
    assert_eq!(posted(entry, Book::Revenue), -800);
    assert_eq!(plan.revived, vec![v(1), c(2)]);
    assert!(plan.written_off.is_empty());
}

#[test]
fn reversing_onto_an_expired_instrument_writes_the_money_off_again() {
    let deductions =
        [deduction(InstrumentClass::DiscountVoucher, v(1), 100), deduction(InstrumentClass::PrepaidCard, c(2), 300)];
    let expired_voucher = InstrumentNow {
        window: window(0, Some(100)), // ends exactly now
        ..alive(v(1))
    };
    let plan = plan_reversal(&deductions, &[expired_voucher, alive(c(2))], 0, NOW, "r");
    assert_balanced(&plan.entry);
    assert_eq!(plan.written_off, vec![v(1)]);
    assert_eq!(plan.revived, vec![c(2)]);
    // The voucher gets the money and loses it again: both legs are visible.
    let voucher_legs: Vec<i64> = plan
        .entry
        .postings
        .iter()
        .filter(|p| p.book == Book::Voucher && p.instrument_id == 1)
        .map(|p| p.amount_minor)
        .collect();
    assert_eq!(voucher_legs, vec![100, -100]);
    assert_eq!(posted(&plan.entry, Book::Breakage), 100);
    assert_eq!(posted(&plan.entry, Book::Revenue), -400);

    let mut books = Books::new().with(Book::Voucher, 1, 0).with(Book::Card, 2, 0);
    books.apply(&plan.entry);
    books.assert_customer_books_valid();
    assert_eq!(books.get(Book::Voucher, 1), 0);
    assert_eq!(books.get(Book::Card, 2), 300);
}

#[test]
fn reversing_onto_a_revoked_or_unknown_instrument_writes_the_money_off() {
    let deductions =
        [deduction(InstrumentClass::StandardVoucher, v(1), 100), deduction(InstrumentClass::PrepaidCard, c(9), 50)];
    let revoked = InstrumentNow { terminal: true, ..alive(v(1)) };
    let plan = plan_reversal(&deductions, &[revoked], 0, NOW, "r");
    assert_balanced(&plan.entry);
    assert_eq!(plan.written_off, vec![v(1), c(9)]);
    assert!(plan.revived.is_empty());
    assert_eq!(posted(&plan.entry, Book::Breakage), 150);
}

#[test]
fn reversing_arrears_reduces_what_is_owed_and_never_more() {
    let deductions = [deduction(InstrumentClass::Arrears, Source::Arrears, 500)];
    // (owed now, back to arrears, to cash)
    for (owed, back, cash) in [(1_000, 500, 0), (500, 500, 0), (200, 200, 300), (0, 0, 500)] {
        let plan = plan_reversal(&deductions, &[], owed, NOW, "r");
        assert_balanced(&plan.entry);
        assert_eq!(posted(&plan.entry, Book::Arrears), back, "owed {owed}");
        assert_eq!(posted(&plan.entry, Book::Cash), cash, "owed {owed}");
        assert_eq!(posted(&plan.entry, Book::Revenue), -500);
        let mut books = Books::new().with(Book::Arrears, 0, -owed);
        books.apply(&plan.entry);
        books.assert_customer_books_valid();
    }
}

#[test]
fn reversing_a_cloud_part_takes_it_back_from_cloud_billed() {
    let deductions = [
        deduction(InstrumentClass::PrepaidCard, c(1), 10),
        deduction(InstrumentClass::CloudAccount, Source::CloudAccount, 90),
    ];
    let plan = plan_reversal(&deductions, &[alive(c(1))], 0, NOW, "r");
    assert_balanced(&plan.entry);
    assert_eq!(posted(&plan.entry, Book::CloudBilled), 90);
    assert_eq!(posted(&plan.entry, Book::Revenue), -100);
}

#[test]
fn a_charge_then_its_reversal_restores_every_book() {
    let wallet = WalletSnapshot {
        cash_minor: 400,
        // A consistent wallet: cash repays arrears first, so it never holds cash while it owes.
        arrears_owed_minor: 0,
        vouchers: vec![standard(1, 100), discount(2, 200)],
        cards: vec![card(3, 300)],
        ..wallet()
    };
    let charge_plan = plan(&wallet, SettlementKind::BillingCenter, 2_000);
    let before = books_of(&wallet);
    let mut books = before.clone();
    books.apply(&charge_entry(&charge_plan, "settle"));
    books.assert_customer_books_valid();
    let owed_now = -books.get(Book::Arrears, 0);
    assert_eq!(owed_now, 1_000);
    let instruments = [alive(v(1)), alive(v(2)), alive(c(3))];
    let reversal = plan_reversal(&charge_plan.deductions, &instruments, owed_now, Timestamp(NOW.0 + 1), "reverse");
    books.apply(&reversal.entry);
    books.assert_customer_books_valid();
    assert_eq!(reversal.revived, vec![v(1), v(2), c(3)]);
    for (&(book, id), &balance) in &before.0 {
        assert_eq!(books.get(book, id), balance, "{}#{id}", book.as_str());
    }
    assert_eq!(books.get(Book::Revenue, 0), 0);
}

#[test]
fn cash_returned_by_a_reversal_repays_arrears_owed_now_first() {
    let deductions = [deduction(InstrumentClass::Cash, Source::Cash, 100)];
    let plan = plan_reversal(&deductions, &[], 60, NOW, "r");
    assert_balanced(&plan.entry);
    assert_eq!(posted(&plan.entry, Book::Arrears), 60);
    assert_eq!(posted(&plan.entry, Book::Cash), 40);
    assert_eq!(posted(&plan.entry, Book::Revenue), -100);
}
