//! Plans for every money-moving use case other than settlement, and the journal
//! entries that record them. Each function decides; the store only persists.

use crate::card::{check_face_value, BonusTiers, FaceValueError};
use crate::ids::{CardId, VoucherId};
use crate::journal::{Book, EntryKind, JournalEntry, Posting};
use crate::money::{Amount, Currency};
use crate::planner::{ChargePlan, Deduction, Source};
use crate::time::{Timestamp, Window, WindowPosition};

/// The journal entry of a settled charge: each deduction leaves its book, revenue takes the total.
pub fn charge_entry(plan: &ChargePlan, memo: &str) -> JournalEntry {
    let mut postings: Vec<Posting> = plan
        .deductions
        .iter()
        .map(|d| {
            let (book, id) = Book::of_source(d.source);
            Posting::new(book, id, -d.amount.minor())
        })
        .collect();
    postings.push(Posting::new(Book::Revenue, 0, plan.amount.minor()));
    JournalEntry::new(EntryKind::ChargeSettled, postings, memo)
}

/// Where a cash credit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CashSource {
    OnlinePayment,
    BankTransfer,
}

impl CashSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CashSource::OnlinePayment => "online_payment",
            CashSource::BankTransfer => "bank_transfer",
        }
    }

    pub fn parse(text: &str) -> Option<CashSource> {
        match text {
            "online_payment" => Some(CashSource::OnlinePayment),
            "bank_transfer" => Some(CashSource::BankTransfer),
            _ => None,
        }
    }

    fn book(self) -> Book {
        match self {
            CashSource::OnlinePayment => Book::FundingOnline,
            CashSource::BankTransfer => Book::FundingBank,
        }
    }
}

/// How incoming value splits between repaying arrears and the instrument it was meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrearsSplit {
    pub repaid_minor: i64,
    pub rest_minor: i64,
}

/// Any incoming value repays arrears first (DOMAIN §4, §6).
pub fn split_for_arrears(owed_minor: i64, incoming: Amount) -> ArrearsSplit {
    let repaid_minor = owed_minor.clamp(0, incoming.minor());
    ArrearsSplit { repaid_minor, rest_minor: incoming.minor() - repaid_minor }
}

pub fn cash_credit_entry(source: CashSource, amount: Amount, owed_minor: i64, memo: &str) -> JournalEntry {
    let split = split_for_arrears(owed_minor, amount);
    let postings = vec![
        Posting::new(source.book(), 0, -amount.minor()),
        Posting::new(Book::Arrears, 0, split.repaid_minor),
        Posting::new(Book::Cash, 0, split.rest_minor),
    ];
    JournalEntry::new(EntryKind::CashCredit, postings, memo)
}

/// A voucher granted by an operator, by a redeemed code or as a purchase bonus.
pub fn voucher_activation_entry(voucher: VoucherId, face_value: Amount, memo: &str) -> JournalEntry {
    let postings = vec![
        Posting::new(Book::Promotion, 0, -face_value.minor()),
        Posting::new(Book::Voucher, voucher.0, face_value.minor()),
    ];
    JournalEntry::new(EntryKind::VoucherActivated, postings, memo)
}

/// Takes an instrument's leftover out of it: to breakage on expiry, back to promotion on revocation.
pub fn write_off_entry(kind: EntryKind, source: Source, leftover_minor: i64, memo: &str) -> JournalEntry {
    let (book, id) = Book::of_source(source);
    let counter = if kind == EntryKind::VoucherRevoked { Book::Promotion } else { Book::Breakage };
    let postings = vec![Posting::new(book, id, -leftover_minor), Posting::new(counter, 0, leftover_minor)];
    JournalEntry::new(kind, postings, memo)
}

/// Checked in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardRejected {
    FaceValue(FaceValueError),
    InsufficientCash { available_minor: i64, needed_minor: i64 },
}

/// A card purchase or allocation, decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardPlan {
    pub face_value: Amount,
    pub purchased: bool,
    pub split: ArrearsSplit,
    pub bonus: Option<Amount>,
}

/// Plans buying a card with cash: the face value must be valid and covered by cash;
/// the card's value repays arrears first; the highest bonus tier reached applies.
pub fn plan_card_purchase(
    face_value: Amount,
    currency: Currency,
    cash_minor: i64,
    owed_minor: i64,
    tiers: &BonusTiers,
) -> Result<CardPlan, CardRejected> {
    check_face_value(face_value, currency).map_err(CardRejected::FaceValue)?;
    if cash_minor < face_value.minor() {
        return Err(CardRejected::InsufficientCash { available_minor: cash_minor, needed_minor: face_value.minor() });
    }
    let split = split_for_arrears(owed_minor, face_value);
    Ok(CardPlan { face_value, purchased: true, split, bonus: tiers.bonus_for(face_value) })
}

/// Plans an operator allocation: no cash, no bonus, arrears still repaid first.
pub fn plan_card_allocation(face_value: Amount, currency: Currency, owed_minor: i64) -> Result<CardPlan, CardRejected> {
    check_face_value(face_value, currency).map_err(CardRejected::FaceValue)?;
    Ok(CardPlan { face_value, purchased: false, split: split_for_arrears(owed_minor, face_value), bonus: None })
}

/// The entry of a card plan; `bonus_voucher` is the id of the discount voucher if any.
pub fn card_entry(plan: &CardPlan, card: CardId, bonus_voucher: Option<VoucherId>, memo: &str) -> JournalEntry {
    let funding = if plan.purchased { Book::Cash } else { Book::CardGrant };
    let mut postings = vec![
        Posting::new(funding, 0, -plan.face_value.minor()),
        Posting::new(Book::Arrears, 0, plan.split.repaid_minor),
        Posting::new(Book::Card, card.0, plan.split.rest_minor),
    ];
    if let (Some(bonus), Some(voucher)) = (plan.bonus, bonus_voucher) {
        postings.push(Posting::new(Book::Promotion, 0, -bonus.minor()));
        postings.push(Posting::new(Book::Voucher, voucher.0, bonus.minor()));
    }
    let kind = if plan.purchased { EntryKind::CardPurchased } else { EntryKind::CardAllocated };
    JournalEntry::new(kind, postings, memo)
}

/// The direction of an operator adjustment of cash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentDirection {
    /// Gives the customer value; repays arrears first like any cash credit.
    Credit,
    /// Takes cash away; never below zero.
    Debit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdjustmentRejected {
    InsufficientCash { available_minor: i64, needed_minor: i64 },
}

pub fn adjustment_entry(
    direction: AdjustmentDirection,
    amount: Amount,
    cash_minor: i64,
    owed_minor: i64,
    reason: &str,
) -> Result<JournalEntry, AdjustmentRejected> {
    let postings = match direction {
        AdjustmentDirection::Credit => {
            let split = split_for_arrears(owed_minor, amount);
            vec![
                Posting::new(Book::Adjustment, 0, -amount.minor()),
                Posting::new(Book::Arrears, 0, split.repaid_minor),
                Posting::new(Book::Cash, 0, split.rest_minor),
            ]
        }
        AdjustmentDirection::Debit => {
            if cash_minor < amount.minor() {
                return Err(AdjustmentRejected::InsufficientCash {
                    available_minor: cash_minor,
                    needed_minor: amount.minor(),
                });
            }
            vec![Posting::new(Book::Cash, 0, -amount.minor()), Posting::new(Book::Adjustment, 0, amount.minor())]
        }
    };
    Ok(JournalEntry::new(EntryKind::Adjustment, postings, reason))
}

/// An instrument's state at the moment a charge is reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentNow {
    pub source: Source,
    pub window: Window,
    /// Expired or revoked by status, whatever the window says.
    pub terminal: bool,
}

/// A reversal, decided: the entry, and the instruments that hold value again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReversalPlan {
    pub entry: JournalEntry,
    /// Vouchers and cards that get value back and stay usable: `used_up` → `active`.
    pub revived: Vec<Source>,
    /// Vouchers and cards past their window that get value back only to lose it again.
    pub written_off: Vec<Source>,
}

/// Reverses a charge (DOMAIN §8): each deduction goes back to its instrument. An
/// instrument that has since expired gets the money and immediately writes it off
/// again. The cash and arrears parts together first reduce what is owed now (any
/// cash credit repays arrears first); the rest becomes cash, so arrears never turn
/// positive and an account never holds cash while it owes.
pub fn plan_reversal(
    deductions: &[Deduction],
    instruments: &[InstrumentNow],
    owed_minor: i64,
    now: Timestamp,
    memo: &str,
) -> ReversalPlan {
    let mut postings = Vec::new();
    let mut revived = Vec::new();
    let mut written_off = Vec::new();
    let mut total = 0i64;
    // Money that came from cash or arrears returns as one sum: it first reduces what
    // is owed now, like any cash credit, and only the rest becomes cash.
    let mut cash_or_arrears = 0i64;
    for d in deductions {
        let amount = d.amount.minor();
        total += amount;
        match d.source {
            Source::Arrears | Source::Cash => cash_or_arrears += amount,
            Source::CloudAccount => {
                let (book, id) = Book::of_source(d.source);
                postings.push(Posting::new(book, id, amount));
            }
            Source::Voucher(_) | Source::Card(_) => {
                let (book, id) = Book::of_source(d.source);
                postings.push(Posting::new(book, id, amount));
                let state = instruments.iter().find(|i| i.source == d.source);
                let dead = state.is_none_or(|s| s.terminal || s.window.position(now) == WindowPosition::Expired);
                if dead {
                    postings.push(Posting::new(book, id, -amount));
                    postings.push(Posting::new(Book::Breakage, 0, amount));
                    written_off.push(d.source);
                } else {
                    revived.push(d.source);
                }
            }
        }
    }
    let back_to_arrears = owed_minor.clamp(0, cash_or_arrears);
    postings.push(Posting::new(Book::Arrears, 0, back_to_arrears));
    postings.push(Posting::new(Book::Cash, 0, cash_or_arrears - back_to_arrears));
    postings.push(Posting::new(Book::Revenue, 0, -total));
    ReversalPlan { entry: JournalEntry::new(EntryKind::ChargeReversed, postings, memo), revived, written_off }
}

/// A cloud usage record the marketplace refused for good (e.g. the subscription was
/// cancelled), so the cloud will never collect it. `amount_minor` is the record's
/// signed amount. Usage (positive) leaves `cloud_billed` and becomes arrears: the
/// customer now owes it to the Billing Center. A credit (negative, from a reversal)
/// the marketplace cannot carry comes back to the customer instead, repaying what is
/// owed first like any cash credit. Either way no minor unit is lost.
pub fn cloud_uncollectable_entry(amount_minor: i64, owed_minor: i64, memo: &str) -> JournalEntry {
    let postings = if amount_minor >= 0 {
        vec![Posting::new(Book::CloudBilled, 0, amount_minor), Posting::new(Book::Arrears, 0, -amount_minor)]
    } else {
        let back = -amount_minor;
        let repaid = owed_minor.clamp(0, back);
        vec![
            Posting::new(Book::CloudBilled, 0, amount_minor),
            Posting::new(Book::Arrears, 0, repaid),
            Posting::new(Book::Cash, 0, back - repaid),
        ]
    };
    JournalEntry::new(EntryKind::CloudUncollectable, postings, memo)
}

#[cfg(test)]
mod cloud_tests {
    use super::*;

    fn amounts(entry: &JournalEntry) -> Vec<(Book, i64)> {
        entry.postings.iter().map(|p| (p.book, p.amount_minor)).collect()
    }

    #[test]
    fn uncollectable_cloud_usage_moves_from_cloud_billed_to_arrears() {
        let entry = cloud_uncollectable_entry(1_234, 0, "cancelled");
        assert_eq!(amounts(&entry), vec![(Book::CloudBilled, 1_234), (Book::Arrears, -1_234)]);
    }

    #[test]
    fn an_uncarried_cloud_credit_repays_arrears_first_and_the_rest_becomes_cash() {
        let entry = cloud_uncollectable_entry(-1_000, 300, "credit");
        let expected = vec![(Book::CloudBilled, -1_000), (Book::Arrears, 300), (Book::Cash, 700)];
        assert_eq!(amounts(&entry), expected);
        let no_debt = cloud_uncollectable_entry(-1_000, 0, "credit");
        assert_eq!(amounts(&no_debt), vec![(Book::CloudBilled, -1_000), (Book::Cash, 1_000)]);
    }
}
