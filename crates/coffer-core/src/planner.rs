//! The deduction planner: DOMAIN §2 as a pure function from a wallet snapshot, a
//! policy, a charge and the current instant to a plan or a rejection.
//!
//! Rejections are checked in this fixed order, and the first that applies wins:
//! 1. [`ChargeRejected::CurrencyMismatch`]: the charge's currency is not the account's.
//! 2. [`ChargeRejected::NoPolicyRule`]: the policy has no classes for the pair (cannot
//!    happen with a validated policy, kept as a guard).
//! 3. [`ChargeRejected::ArrearsLimitExceeded`]: covering the charge would take the
//!    arrears past the account's limit.
//!
//! Within one class instruments are taken in this order: earliest expiry first, no
//! expiry last; then earliest activation (vouchers) or purchase (cards); then lowest id.
//! Only `active` instruments inside their validity window at `now` count.

use crate::card::{CardStatus, PrepaidCard};
use crate::ids::{AccountId, CardId, VoucherId};
use crate::money::{Amount, Currency};
use crate::policy::{Category, DeductionPolicy, InstrumentClass};
use crate::time::{Timestamp, Window, WindowPosition};
use crate::voucher::{Voucher, VoucherKind, VoucherStatus};
use crate::workspace::SettlementKind;

/// What the planner needs to know about one billing account at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletSnapshot {
    pub account_id: AccountId,
    pub currency: Currency,
    pub cash_minor: i64,
    /// What the account owes, as a non-negative number.
    pub arrears_owed_minor: i64,
    pub arrears_limit_minor: Option<i64>,
    pub vouchers: Vec<Voucher>,
    pub cards: Vec<PrepaidCard>,
}

/// One instrument that can pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Voucher(VoucherId),
    Card(CardId),
    Cash,
    Arrears,
    CloudAccount,
}

/// One leg of a settled charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deduction {
    pub class: InstrumentClass,
    pub source: Source,
    pub amount: Amount,
}

/// Why an instrument did not pay (part of) a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The policy does not allow this class for the charge's settlement and category.
    NotAllowedForCategory,
    /// Used up, expired, revoked or otherwise not `active`.
    NotActive,
    NotYetValid,
    /// Past its validity window even if the expiry job has not marked it yet.
    Expired,
    NoBalance,
    /// Earlier instruments already covered the whole charge.
    AlreadyCovered,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotAllowedForCategory => "not_allowed_for_category",
            SkipReason::NotActive => "not_active",
            SkipReason::NotYetValid => "not_yet_valid",
            SkipReason::Expired => "expired",
            SkipReason::NoBalance => "no_balance",
            SkipReason::AlreadyCovered => "already_covered",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Used(Amount),
    Skipped(SkipReason),
}

/// The preview's explanation of one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consideration {
    pub class: InstrumentClass,
    pub source: Source,
    pub balance_before_minor: i64,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargePlan {
    pub policy_version: u32,
    pub amount: Amount,
    pub deductions: Vec<Deduction>,
    pub considered: Vec<Consideration>,
}

impl ChargePlan {
    /// Instruments this plan empties; they become `used_up`.
    pub fn exhausted(&self) -> Vec<Source> {
        self.considered
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Used(a) if a.minor() == c.balance_before_minor))
            .filter(|c| matches!(c.source, Source::Voucher(_) | Source::Card(_)))
            .map(|c| c.source)
            .collect()
    }

    pub fn amount_from(&self, class: InstrumentClass) -> i64 {
        self.deductions.iter().filter(|d| d.class == class).map(|d| d.amount.minor()).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeRejected {
    CurrencyMismatch { account: Currency, charge: Currency },
    NoPolicyRule,
    ArrearsLimitExceeded { owed_minor: i64, limit_minor: i64, requested_minor: i64 },
}

/// The charge to plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChargeInput {
    pub settlement: SettlementKind,
    pub category: Category,
    pub amount: Amount,
    pub currency: Currency,
}

/// Plans how `charge` is paid from `wallet` at `now`. Writes nothing; a preview is this plan.
pub fn plan_charge(
    wallet: &WalletSnapshot,
    policy: &DeductionPolicy,
    charge: ChargeInput,
    now: Timestamp,
) -> Result<ChargePlan, ChargeRejected> {
    if charge.currency != wallet.currency {
        return Err(ChargeRejected::CurrencyMismatch { account: wallet.currency, charge: charge.currency });
    }
    let classes = policy.classes_for(charge.settlement, charge.category);
    if classes.is_empty() {
        return Err(ChargeRejected::NoPolicyRule);
    }
    let mut walk = Walk { remaining: charge.amount.minor(), deductions: Vec::new(), considered: Vec::new() };
    for class in InstrumentClass::ALL {
        if classes.contains(&class) {
            continue;
        }
        for candidate in candidates_of(wallet, class) {
            walk.skip(class, candidate.source, candidate.balance_minor, SkipReason::NotAllowedForCategory);
        }
    }
    for &class in classes {
        match class {
            InstrumentClass::Arrears => walk.take_arrears(wallet)?,
            InstrumentClass::CloudAccount => walk.take_terminal(class, Source::CloudAccount, 0),
            _ => {
                for candidate in ordered_candidates(wallet, class) {
                    walk.consider(class, &candidate, now);
                }
            }
        }
    }
    debug_assert_eq!(walk.remaining, 0, "a terminal class always covers the rest");
    debug_assert_eq!(
        walk.deductions.iter().map(|d| d.amount.minor()).sum::<i64>(),
        charge.amount.minor(),
        "deductions add up to the charge"
    );
    Ok(ChargePlan {
        policy_version: policy.version(),
        amount: charge.amount,
        deductions: walk.deductions,
        considered: walk.considered,
    })
}

struct Walk {
    remaining: i64,
    deductions: Vec<Deduction>,
    considered: Vec<Consideration>,
}

impl Walk {
    fn skip(&mut self, class: InstrumentClass, source: Source, balance: i64, reason: SkipReason) {
        let outcome = Outcome::Skipped(reason);
        self.considered.push(Consideration { class, source, balance_before_minor: balance, outcome });
    }

    fn consider(&mut self, class: InstrumentClass, c: &Candidate, now: Timestamp) {
        let reason = if !c.active {
            Some(SkipReason::NotActive)
        } else {
            match c.window.map(|w| w.position(now)) {
                Some(WindowPosition::NotYetValid) => Some(SkipReason::NotYetValid),
                Some(WindowPosition::Expired) => Some(SkipReason::Expired),
                _ if c.balance_minor <= 0 => Some(SkipReason::NoBalance),
                _ if self.remaining == 0 => Some(SkipReason::AlreadyCovered),
                _ => None,
            }
        };
        match reason {
            Some(reason) => self.skip(class, c.source, c.balance_minor, reason),
            None => {
                let take = self.remaining.min(c.balance_minor);
                self.take(class, c.source, c.balance_minor, take);
            }
        }
    }

    fn take(&mut self, class: InstrumentClass, source: Source, balance: i64, take: i64) {
        let Ok(amount) = Amount::from_minor(take) else {
            return self.skip(class, source, balance, SkipReason::AlreadyCovered);
        };
        self.remaining -= take;
        self.deductions.push(Deduction { class, source, amount });
        let outcome = Outcome::Used(amount);
        self.considered.push(Consideration { class, source, balance_before_minor: balance, outcome });
    }

    fn take_terminal(&mut self, class: InstrumentClass, source: Source, balance: i64) {
        if self.remaining == 0 {
            return self.skip(class, source, balance, SkipReason::AlreadyCovered);
        }
        self.take(class, source, balance, self.remaining);
    }

    fn take_arrears(&mut self, wallet: &WalletSnapshot) -> Result<(), ChargeRejected> {
        let owed = wallet.arrears_owed_minor;
        if let Some(limit) = wallet.arrears_limit_minor {
            if self.remaining > 0 && owed.saturating_add(self.remaining) > limit {
                return Err(ChargeRejected::ArrearsLimitExceeded {
                    owed_minor: owed,
                    limit_minor: limit,
                    requested_minor: self.remaining,
                });
            }
        }
        self.take_terminal(InstrumentClass::Arrears, Source::Arrears, -owed);
        Ok(())
    }
}

struct Candidate {
    source: Source,
    balance_minor: i64,
    active: bool,
    window: Option<Window>,
    /// Activation or purchase instant, the second tie-break.
    since: Timestamp,
    id: i64,
}

fn voucher_candidate(v: &Voucher) -> Candidate {
    Candidate {
        source: Source::Voucher(v.id),
        balance_minor: v.balance_minor,
        active: v.status == VoucherStatus::Active,
        window: Some(v.window),
        since: v.activated_at,
        id: v.id.0,
    }
}

fn card_candidate(c: &PrepaidCard) -> Candidate {
    Candidate {
        source: Source::Card(c.id),
        balance_minor: c.balance_minor,
        active: c.status == CardStatus::Active,
        window: Some(c.window),
        since: c.purchased_at,
        id: c.id.0,
    }
}

fn candidates_of(wallet: &WalletSnapshot, class: InstrumentClass) -> Vec<Candidate> {
    let vouchers_of = |kind: VoucherKind| -> Vec<Candidate> {
        wallet.vouchers.iter().filter(|v| v.kind == kind).map(voucher_candidate).collect()
    };
    let whole = |source, balance_minor| Candidate {
        source,
        balance_minor,
        active: true,
        window: None,
        since: Timestamp(0),
        id: 0,
    };
    match class {
        InstrumentClass::StandardVoucher => vouchers_of(VoucherKind::Standard),
        InstrumentClass::DiscountVoucher => vouchers_of(VoucherKind::Discount),
        InstrumentClass::PrepaidCard => wallet.cards.iter().map(card_candidate).collect(),
        InstrumentClass::Cash => vec![whole(Source::Cash, wallet.cash_minor)],
        InstrumentClass::Arrears | InstrumentClass::CloudAccount => Vec::new(),
    }
}

/// The within-class order: earliest expiry, no expiry last, earliest since, lowest id.
fn ordered_candidates(wallet: &WalletSnapshot, class: InstrumentClass) -> Vec<Candidate> {
    let mut candidates = candidates_of(wallet, class);
    candidates.sort_by_key(|c| {
        let until = c.window.and_then(|w| w.until);
        (until.is_none(), until, c.since, c.id)
    });
    candidates
}
