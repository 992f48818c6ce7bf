//! Property tests of `plan_charge` against an independent reference model of DOMAIN §2.

mod common;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use coffer_core::card::{CardOrigin, CardStatus, PrepaidCard};
use coffer_core::ids::{CardId, VoucherId};
use coffer_core::journal::{sums_to_zero, Book};
use coffer_core::lifecycle::charge_entry;
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::{
    plan_charge, ChargeInput, ChargePlan, ChargeRejected, Outcome, SkipReason, Source, WalletSnapshot,
};
use coffer_core::policy::{Category, DeductionPolicy, InstrumentClass};
use coffer_core::time::{Timestamp, Window, MS_PER_DAY};
use coffer_core::voucher::{Voucher, VoucherKind, VoucherStatus};
use coffer_core::workspace::SettlementKind;
use common::{Books, ACCOUNT};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use InstrumentClass::{
    Arrears as ArrearsClass, Cash as CashClass, CloudAccount as CloudClass, DiscountVoucher, PrepaidCard as CardClass,
    StandardVoucher,
};

const DAY: i64 = MS_PER_DAY;

// ===================================================================== the model

/// DOMAIN §2's table, written out again independently of `DeductionPolicy::v1`.
fn reference_classes(settlement: SettlementKind, category: Category) -> &'static [InstrumentClass] {
    match (settlement, category) {
        (SettlementKind::BillingCenter, Category::Payg) => {
            &[StandardVoucher, DiscountVoucher, CardClass, CashClass, ArrearsClass]
        }
        (SettlementKind::BillingCenter, Category::Sms | Category::Testing) => &[CardClass, CashClass, ArrearsClass],
        (SettlementKind::Cloud, Category::Payg) => &[StandardVoucher, DiscountVoucher, CardClass, CloudClass],
        (SettlementKind::Cloud, Category::Sms | Category::Testing) => &[CardClass, CloudClass],
    }
}

/// One instrument as the model sees it.
#[derive(Clone, Copy, Debug)]
struct Inst {
    class: InstrumentClass,
    source: Source,
    balance: i64,
    active: bool,
    window: Option<Window>,
    since: Timestamp,
    id: i64,
}

fn model_instruments(wallet: &WalletSnapshot) -> Vec<Inst> {
    let mut out = Vec::new();
    for voucher in &wallet.vouchers {
        out.push(Inst {
            class: match voucher.kind {
                VoucherKind::Standard => StandardVoucher,
                VoucherKind::Discount => DiscountVoucher,
            },
            source: Source::Voucher(voucher.id),
            balance: voucher.balance_minor,
            active: voucher.status == VoucherStatus::Active,
            window: Some(voucher.window),
            since: voucher.activated_at,
            id: voucher.id.0,
        });
    }
    for card in &wallet.cards {
        out.push(Inst {
            class: CardClass,
            source: Source::Card(card.id),
            balance: card.balance_minor,
            active: card.status == CardStatus::Active,
            window: Some(card.window),
            since: card.purchased_at,
            id: card.id.0,
        });
    }
    out.push(Inst {
        class: CashClass,
        source: Source::Cash,
        balance: wallet.cash_minor,
        active: true,
        window: None,
        since: Timestamp(0),
        id: 0,
    });
    out
}

/// Why the model will not use an instrument, before looking at what is left to cover.
fn unusable(inst: &Inst, now: Timestamp) -> Option<SkipReason> {
    if !inst.active {
        return Some(SkipReason::NotActive);
    }
    if let Some(window) = inst.window {
        if now.0 < window.from.0 {
            return Some(SkipReason::NotYetValid);
        }
        if let Some(until) = window.until {
            if now.0 >= until.0 {
                return Some(SkipReason::Expired);
            }
        }
    }
    if inst.balance <= 0 {
        return Some(SkipReason::NoBalance);
    }
    None
}

/// Earliest expiry; no expiry last; earliest activation/purchase; lowest id.
fn within_class(a: &Inst, b: &Inst) -> Ordering {
    let until_a = a.window.and_then(|w| w.until);
    let until_b = b.window.and_then(|w| w.until);
    let by_expiry = match (until_a, until_b) {
        (Some(x), Some(y)) => x.0.cmp(&y.0),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_expiry.then(a.since.0.cmp(&b.since.0)).then(a.id.cmp(&b.id))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModelOutcome {
    Used(i64),
    Skipped(SkipReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelPlan {
    deductions: Vec<(InstrumentClass, Source, i64)>,
    /// source → (class, balance before, outcome)
    considered: BTreeMap<Source, (InstrumentClass, i64, ModelOutcome)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModelRejection {
    Currency(Currency, Currency),
    Limit { owed: i64, limit: i64, requested: i64 },
}

fn model_plan(wallet: &WalletSnapshot, charge: ChargeInput, now: Timestamp) -> Result<ModelPlan, ModelRejection> {
    if wallet.currency != charge.currency {
        return Err(ModelRejection::Currency(wallet.currency, charge.currency));
    }
    let classes = reference_classes(charge.settlement, charge.category);
    let all = model_instruments(wallet);
    let mut plan = ModelPlan { deductions: Vec::new(), considered: BTreeMap::new() };
    for inst in all.iter().filter(|i| !classes.contains(&i.class)) {
        plan.considered
            .insert(inst.source, (inst.class, inst.balance, ModelOutcome::Skipped(SkipReason::NotAllowedForCategory)));
    }
    let mut left = charge.amount.minor();
    for &class in classes {
        if class == ArrearsClass || class == CloudClass {
            let (source, before) = if class == ArrearsClass {
                (Source::Arrears, -wallet.arrears_owed_minor)
            } else {
                (Source::CloudAccount, 0)
            };
            if left == 0 {
                let skipped = ModelOutcome::Skipped(SkipReason::AlreadyCovered);
                plan.considered.insert(source, (class, before, skipped));
                continue;
            }
            if class == ArrearsClass {
                if let Some(limit) = wallet.arrears_limit_minor {
                    if wallet.arrears_owed_minor + left > limit {
                        return Err(ModelRejection::Limit { owed: wallet.arrears_owed_minor, limit, requested: left });
                    }
                }
            }
            plan.deductions.push((class, source, left));
            plan.considered.insert(source, (class, before, ModelOutcome::Used(left)));
            left = 0;
            continue;
        }
        let mut members: Vec<Inst> = all.iter().filter(|i| i.class == class).copied().collect();
        members.sort_by(within_class);
        for inst in members {
            let outcome = match unusable(&inst, now) {
                Some(reason) => ModelOutcome::Skipped(reason),
                None if left == 0 => ModelOutcome::Skipped(SkipReason::AlreadyCovered),
                None => {
                    let take = left.min(inst.balance);
                    left -= take;
                    plan.deductions.push((class, inst.source, take));
                    ModelOutcome::Used(take)
                }
            };
            plan.considered.insert(inst.source, (class, inst.balance, outcome));
        }
    }
    assert_eq!(left, 0, "the model's terminal class always covers the rest");
    Ok(plan)
}

fn as_model(result: Result<ChargePlan, ChargeRejected>) -> Result<ModelPlan, ModelRejection> {
    match result {
        Ok(plan) => {
            let deductions = plan.deductions.iter().map(|d| (d.class, d.source, d.amount.minor())).collect();
            let mut considered = BTreeMap::new();
            for c in &plan.considered {
                let outcome = match c.outcome {
                    Outcome::Used(a) => ModelOutcome::Used(a.minor()),
                    Outcome::Skipped(r) => ModelOutcome::Skipped(r),
                };
                let previous = considered.insert(c.source, (c.class, c.balance_before_minor, outcome));
                assert!(previous.is_none(), "{:?} considered twice: {:?}", c.source, plan.considered);
            }
            Ok(ModelPlan { deductions, considered })
        }
        Err(ChargeRejected::CurrencyMismatch { account, charge }) => Err(ModelRejection::Currency(account, charge)),
        Err(ChargeRejected::ArrearsLimitExceeded { owed_minor, limit_minor, requested_minor }) => {
            Err(ModelRejection::Limit { owed: owed_minor, limit: limit_minor, requested: requested_minor })
        }
        Err(ChargeRejected::NoPolicyRule) => panic!("policy v1 has a rule for every pair"),
    }
}

// ================================================================ strategies

fn balance() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(0i64),
        3 => 1i64..1_000,
        3 => 1i64..=1_000_000_000,
    ]
}

/// Small day grids so that expiries, activations and `now` often coincide.
fn window_strategy() -> impl Strategy<Value = Window> {
    (0i64..6, option::of(1i64..6)).prop_map(|(from, len)| Window {
        from: Timestamp(from * DAY),
        until: len.map(|len| Timestamp((from + len) * DAY)),
    })
}

fn now_strategy() -> impl Strategy<Value = Timestamp> {
    (0i64..10, prop_oneof![Just(0i64), 0i64..DAY]).prop_map(|(d, off)| Timestamp(d * DAY + off))
}

type VoucherSpec = (VoucherKind, VoucherStatus, i64, Window, i64);
type CardSpec = (CardStatus, i64, Window, i64, CardOrigin);

fn voucher_spec() -> impl Strategy<Value = VoucherSpec> {
    (
        prop_oneof![Just(VoucherKind::Standard), Just(VoucherKind::Discount)],
        prop_oneof![
            4 => Just(VoucherStatus::Active),
            1 => select(VoucherStatus::ALL.to_vec()),
        ],
        balance(),
        window_strategy(),
        0i64..4,
    )
}

fn card_spec() -> impl Strategy<Value = CardSpec> {
    (
        prop_oneof![
            4 => Just(CardStatus::Active),
            1 => select(CardStatus::ALL.to_vec()),
        ],
        balance(),
        window_strategy(),
        0i64..4,
        prop_oneof![Just(CardOrigin::Purchased), Just(CardOrigin::Allocated)],
    )
}

fn build_wallet(
    vouchers: Vec<VoucherSpec>,
    cards: Vec<CardSpec>,
    ids: Vec<i64>,
    cash_minor: i64,
    arrears_owed_minor: i64,
    arrears_limit_minor: Option<i64>,
) -> WalletSnapshot {
    let face = |balance: i64| Amount::from_minor(balance.max(1)).unwrap_or_else(|e| panic!("{e:?}"));
    let vouchers = vouchers
        .into_iter()
        .enumerate()
        .map(|(i, (kind, status, balance, window, activated))| Voucher {
            id: VoucherId(ids[i]),
            account_id: ACCOUNT,
            kind,
            face_value: face(balance),
            balance_minor: balance,
            status,
            window,
            activated_at: Timestamp(activated * DAY),
        })
        .collect();
    let cards = cards
        .into_iter()
        .enumerate()
        .map(|(i, (status, balance, window, purchased, origin))| PrepaidCard {
            id: CardId(ids[6 + i]),
            account_id: ACCOUNT,
            number: format!("PC{:010}", ids[6 + i]),
            face_value: face(balance),
            balance_minor: balance,
            status,
            window,
            purchased_at: Timestamp(purchased * DAY),
            origin,
        })
        .collect();
    WalletSnapshot {
        account_id: ACCOUNT,
        currency: Currency::Cny,
        cash_minor,
        arrears_owed_minor,
        arrears_limit_minor,
        vouchers,
        cards,
    }
}

fn wallet_strategy() -> impl Strategy<Value = WalletSnapshot> {
    (
        vec(voucher_spec(), 0..=6),
        vec(card_spec(), 0..=5),
        Just((1..=12).collect::<Vec<i64>>()).prop_shuffle(),
        prop_oneof![Just(0i64), 0i64..=1_000_000_000],
        prop_oneof![2 => Just(0i64), 1 => 0i64..=1_000_000_000],
        option::of(prop_oneof![Just(0i64), 0i64..=2_000_000_000]),
    )
        .prop_map(|(v, c, ids, cash, owed, limit)| build_wallet(v, c, ids, cash, owed, limit))
}

fn charge_strategy() -> impl Strategy<Value = ChargeInput> {
    (
        prop_oneof![Just(SettlementKind::BillingCenter), Just(SettlementKind::Cloud)],
        select(Category::ALL.to_vec()),
        prop_oneof![1i64..1_000, 1i64..=1_000_000_000],
        prop_oneof![9 => Just(Currency::Cny), 1 => Just(Currency::Usd)],
    )
        .prop_map(|(settlement, category, minor, currency)| ChargeInput {
            settlement,
            category,
            amount: Amount::from_minor(minor).unwrap_or_else(|e| panic!("{e:?}")),
            currency,
        })
}

// ================================================================ helpers

fn voucher_of(wallet: &WalletSnapshot, id: VoucherId) -> &Voucher {
    wallet.vouchers.iter().find(|v| v.id == id).unwrap_or_else(|| panic!("unknown voucher {id}"))
}

fn card_of(wallet: &WalletSnapshot, id: CardId) -> &PrepaidCard {
    wallet.cards.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("unknown card {id}"))
}

/// The balance a source had in the snapshot, for the sources that have one.
fn balance_of(wallet: &WalletSnapshot, source: Source) -> Option<i64> {
    match source {
        Source::Voucher(id) => Some(voucher_of(wallet, id).balance_minor),
        Source::Card(id) => Some(card_of(wallet, id).balance_minor),
        Source::Cash => Some(wallet.cash_minor),
        Source::Arrears | Source::CloudAccount => None,
    }
}

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

/// Cash, vouchers and cards minus what is owed.
fn customer_value(wallet: &WalletSnapshot) -> i64 {
    wallet.cash_minor
        + wallet.vouchers.iter().map(|v| v.balance_minor).sum::<i64>()
        + wallet.cards.iter().map(|c| c.balance_minor).sum::<i64>()
        - wallet.arrears_owed_minor
}

/// Applies a plan to the snapshot the way the store would: balances move, emptied
/// vouchers and cards become `used_up`.
fn apply(wallet: &mut WalletSnapshot, plan: &ChargePlan) -> i64 {
    let mut cloud = 0;
    for d in &plan.deductions {
        let a = d.amount.minor();
        match d.source {
            Source::Voucher(id) => {
                let voucher =
                    wallet.vouchers.iter_mut().find(|v| v.id == id).unwrap_or_else(|| panic!("unknown voucher {id}"));
                voucher.balance_minor -= a;
            }
            Source::Card(id) => {
                let card = wallet.cards.iter_mut().find(|c| c.id == id).unwrap_or_else(|| panic!("unknown card {id}"));
                card.balance_minor -= a;
            }
            Source::Cash => wallet.cash_minor -= a,
            Source::Arrears => wallet.arrears_owed_minor += a,
            Source::CloudAccount => cloud += a,
        }
    }
    for source in plan.exhausted() {
        match source {
            Source::Voucher(id) => {
                if let Some(v) = wallet.vouchers.iter_mut().find(|v| v.id == id) {
                    v.status = VoucherStatus::UsedUp;
                }
            }
            Source::Card(id) => {
                if let Some(c) = wallet.cards.iter_mut().find(|c| c.id == id) {
                    c.status = CardStatus::UsedUp;
                }
            }
            other => panic!("{other:?} cannot be exhausted"),
        }
    }
    cloud
}

// ================================================================ properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_plan_equals_the_reference_models_plan(
        wallet in wallet_strategy(),
        charge in charge_strategy(),
        now in now_strategy(),
    ) {
        let got = as_model(plan_charge(&wallet, &DeductionPolicy::v1(), charge, now));
        let want = model_plan(&wallet, charge, now);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn deductions_add_up_to_the_charge_and_follow_the_policys_class_order(
        wallet in wallet_strategy(),
        charge in charge_strategy(),
        now in now_strategy(),
    ) {
        let policy = DeductionPolicy::v1();
        let Ok(plan) = plan_charge(&wallet, &policy, charge, now) else {
            return Ok(());
        };
        let total: i64 = plan.deductions.iter().map(|d| d.amount.minor()).sum();
        prop_assert_eq!(total, charge.amount.minor());
        prop_assert_eq!(plan.amount, charge.amount);
        prop_assert_eq!(plan.policy_version, DeductionPolicy::V1);

        let classes = policy.classes_for(charge.settlement, charge.category);
        let positions: Vec<usize> = plan
            .deductions
            .iter()
            .map(|d| classes.iter().position(|c| *c == d.class).unwrap_or(usize::MAX))
            .collect();
        prop_assert!(positions.iter().all(|p| *p != usize::MAX), "a class outside the policy paid");
        prop_assert!(positions.windows(2).all(|w| w[0] <= w[1]), "classes out of order: {:?}", plan.deductions);

        // Every deduction's class matches its source.
        for d in &plan.deductions {
            let consistent = match d.source {
                Source::Voucher(id) => {
                    let kind = voucher_of(&wallet, id).kind;
                    (kind == VoucherKind::Standard && d.class == StandardVoucher)
                        || (kind == VoucherKind::Discount && d.class == DiscountVoucher)
                }
                Source::Card(_) => d.class == CardClass,
                Source::Cash => d.class == CashClass,
                Source::Arrears => d.class == ArrearsClass,
                Source::CloudAccount => d.class == CloudClass,
            };
            prop_assert!(consistent, "{:?}", d);
        }

        // Greedy: every instrument but the last one used is drained completely.
        if let Some((_, earlier)) = plan.deductions.split_last() {
            for d in earlier {
                prop_assert_eq!(Some(d.amount.minor()), balance_of(&wallet, d.source), "{:?}", d);
            }
        }

        // Exhausted = vouchers and cards drained by this plan.
        let mut drained: Vec<Source> = plan
            .deductions
            .iter()
            .filter(|d| matches!(d.source, Source::Voucher(_) | Source::Card(_)))
            .filter(|d| balance_of(&wallet, d.source) == Some(d.amount.minor()))
            .map(|d| d.source)
            .collect();
        drained.sort();
        let mut exhausted = plan.exhausted();
        exhausted.sort();
        prop_assert_eq!(exhausted, drained);
    }

    #[test]
    fn no_forbidden_class_or_unusable_instrument_ever_pays(
        wallet in wallet_strategy(),
        charge in charge_strategy(),
        now in now_strategy(),
    ) {
        let Ok(plan) = plan_charge(&wallet, &DeductionPolicy::v1(), charge, now) else {
            return Ok(());
        };
        let mut seen = Vec::new();
        for d in &plan.deductions {
            prop_assert!(!seen.contains(&d.source), "{:?} pays twice", d.source);
            seen.push(d.source);
            let is_voucher = matches!(d.source, Source::Voucher(_));
            if charge.category != Category::Payg {
                prop_assert!(!is_voucher, "a voucher paid {:?}", charge.category);
            }
            match charge.settlement {
                SettlementKind::Cloud => prop_assert!(
                    !matches!(d.source, Source::Cash | Source::Arrears),
                    "{:?} paid a cloud charge", d.source
                ),
                SettlementKind::BillingCenter => prop_assert!(
                    d.source != Source::CloudAccount,
                    "the cloud account paid a billing-center charge"
                ),
            }
            if let Some(balance) = balance_of(&wallet, d.source) {
                prop_assert!(d.amount.minor() <= balance, "{:?} paid more than its balance {}", d, balance);
            }
            let window_and_active = match d.source {
                Source::Voucher(id) => {
                    let v = voucher_of(&wallet, id);
                    Some((v.window, v.status == VoucherStatus::Active))
                }
                Source::Card(id) => {
                    let c = card_of(&wallet, id);
                    Some((c.window, c.status == CardStatus::Active))
                }
                _ => None,
            };
            if let Some((window, active)) = window_and_active {
                prop_assert!(active, "a non-active {:?} paid", d.source);
                prop_assert!(window.from <= now, "a not-yet-valid {:?} paid", d.source);
                prop_assert!(window.until.is_none_or(|u| now < u), "an expired {:?} paid", d.source);
            }
        }
        // Every voucher, card and the cash line is explained exactly once.
        let mut explained: Vec<Source> = plan.considered.iter().map(|c| c.source).collect();
        explained.sort();
        let before = explained.len();
        explained.dedup();
        prop_assert_eq!(before, explained.len(), "an instrument explained twice");
        for v in &wallet.vouchers {
            prop_assert!(explained.contains(&Source::Voucher(v.id)));
        }
        for c in &wallet.cards {
            prop_assert!(explained.contains(&Source::Card(c.id)));
        }
        prop_assert!(explained.contains(&Source::Cash));
    }

    #[test]
    fn only_arrears_grow_what_is_owed_and_the_charge_entry_balances(
        wallet in wallet_strategy(),
        charge in charge_strategy(),
        now in now_strategy(),
    ) {
        let Ok(plan) = plan_charge(&wallet, &DeductionPolicy::v1(), charge, now) else {
            return Ok(());
        };
        let entry = charge_entry(&plan, "prop");
        prop_assert!(sums_to_zero(&entry.postings));
        let mut books = books_of(&wallet);
        books.apply(&entry);
        books.assert_customer_books_valid();
        let new_arrears = plan.amount_from(ArrearsClass);
        prop_assert_eq!(books.get(Book::Arrears, 0), -(wallet.arrears_owed_minor + new_arrears));
        prop_assert_eq!(books.get(Book::Revenue, 0), charge.amount.minor());
        prop_assert_eq!(books.get(Book::CloudBilled, 0), -plan.amount_from(CloudClass));
        if new_arrears > 0 {
            if let Some(limit) = wallet.arrears_limit_minor {
                prop_assert!(wallet.arrears_owed_minor + new_arrears <= limit);
            }
        }
    }

    #[test]
    fn arrears_may_reach_the_limit_exactly_but_never_pass_it(
        wallet in wallet_strategy(),
        charge in charge_strategy(),
        now in now_strategy(),
        slack in -2i64..=2,
    ) {
        let charge = ChargeInput {
            settlement: SettlementKind::BillingCenter,
            currency: Currency::Cny,
            ..charge
        };
        let unlimited = WalletSnapshot { arrears_limit_minor: None, ..wallet.clone() };
        let Ok(free) = plan_charge(&unlimited, &DeductionPolicy::v1(), charge, now) else {
            return Err(TestCaseError::fail("an unlimited billing-center charge is never refused"));
        };
        let needed = free.amount_from(ArrearsClass);
        let limit = (wallet.arrears_owed_minor + needed + slack).max(0);
        let limited = WalletSnapshot { arrears_limit_minor: Some(limit), ..wallet };
        let got = as_model(plan_charge(&limited, &DeductionPolicy::v1(), charge, now));
        prop_assert_eq!(&got, &model_plan(&limited, charge, now));
        let passes = needed == 0 || limited.arrears_owed_minor + needed <= limit;
        match got {
            Ok(plan) => {
                prop_assert!(passes);
                let arrears: i64 = plan
                    .deductions
                    .iter()
                    .filter(|d| d.0 == ArrearsClass)
                    .map(|d| d.2)
                    .sum();
                prop_assert_eq!(arrears, needed);
            }
            Err(rejection) => {
                prop_assert!(!passes);
                prop_assert_eq!(
                    rejection,
                    ModelRejection::Limit {
                        owed: limited.arrears_owed_minor,
                        limit,
                        requested: needed,
                    }
                );
            }
        }
    }

    #[test]
    fn a_currency_mismatch_is_rejected_before_anything_else(
        wallet in wallet_strategy(),
        wallet_currency in select(Currency::ALL.to_vec()),
        charge in charge_strategy(),
        now in now_strategy(),
    ) {
        let wallet = WalletSnapshot { currency: wallet_currency, ..wallet };
        let result = plan_charge(&wallet, &DeductionPolicy::v1(), charge, now);
        if wallet_currency != charge.currency {
            prop_assert_eq!(
                result,
                Err(ChargeRejected::CurrencyMismatch { account: wallet_currency, charge: charge.currency })
            );
        } else if let Err(rejection) = result {
            prop_assert!(
                matches!(rejection, ChargeRejected::ArrearsLimitExceeded { .. }),
                "{:?}", rejection
            );
            prop_assert_eq!(charge.settlement, SettlementKind::BillingCenter);
            prop_assert!(wallet.arrears_limit_minor.is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sequences_of_charges_never_overdraw_and_conserve_value(
        start in wallet_strategy(),
        charges in vec((charge_strategy(), 0i64..3), 1..10),
        first_now in now_strategy(),
    ) {
        let policy = DeductionPolicy::v1();
        let mut wallet = start.clone();
        let mut books = books_of(&wallet);
        let initial_value = customer_value(&wallet);
        let initial_total = books.total();
        let mut revenue = 0i64;
        let mut cloud = 0i64;
        let mut now = first_now;
        for (charge, half_days) in charges {
            now = Timestamp(now.0 + half_days * DAY / 2);
            let owed_before = wallet.arrears_owed_minor;
            let result = plan_charge(&wallet, &policy, charge, now);
            prop_assert_eq!(as_model(result.clone()), model_plan(&wallet, charge, now));
            let Ok(plan) = result else {
                continue;
            };
            cloud += apply(&mut wallet, &plan);
            revenue += charge.amount.minor();
            books.apply(&charge_entry(&plan, "seq"));

            prop_assert!(wallet.cash_minor >= 0);
            prop_assert!(wallet.vouchers.iter().all(|v| v.balance_minor >= 0));
            prop_assert!(wallet.cards.iter().all(|c| c.balance_minor >= 0));
            prop_assert_eq!(
                wallet.arrears_owed_minor - owed_before,
                plan.amount_from(ArrearsClass),
                "only arrears grow what is owed"
            );
            // What the plan called exhausted is empty now.
            for source in plan.exhausted() {
                let left = balance_of(&wallet, source);
                prop_assert_eq!(left, Some(0), "{:?} exhausted but not empty", source);
            }
            // Value is conserved: what the customer lost is revenue not billed to the cloud.
            prop_assert_eq!(customer_value(&wallet) + revenue - cloud, initial_value);
            // The journal agrees with the balances, and stays balanced.
            books.assert_customer_books_valid();
            prop_assert_eq!(books.total(), initial_total);
            prop_assert_eq!(&books_of(&wallet).0, &books
                .0
                .iter()
                .filter(|((book, _), _)| matches!(book, Book::Cash | Book::Arrears | Book::Voucher | Book::Card))
                .map(|(k, v)| (*k, *v))
                .collect::<BTreeMap<_, _>>());
            prop_assert_eq!(books.get(Book::Revenue, 0), revenue);
            prop_assert_eq!(books.get(Book::CloudBilled, 0), -cloud);
        }
    }
}
