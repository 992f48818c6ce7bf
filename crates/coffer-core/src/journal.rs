//! The double-entry journal's vocabulary: books, postings and entries.
//!
//! Every book belongs to one billing account (so the journal shards by account).
//! Customer books hold the customer's value and are never negative: `cash`,
//! `voucher` (one per voucher) and `card` (one per card). `arrears` holds minus
//! what is owed and is never positive. The other books are the counterparts the
//! money comes from or goes to; their sign carries no rule.

use crate::planner::Source;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Book {
    Cash,
    Arrears,
    Voucher,
    Card,
    /// Consumption income: settled charges.
    Revenue,
    /// The part of charges billed through a cloud marketplace.
    CloudBilled,
    /// Cash received through online payment (Alipay).
    FundingOnline,
    /// Cash received through offline bank transfer.
    FundingBank,
    /// Voucher value granted by operators and as bonuses.
    Promotion,
    /// Prepaid-card value allocated by operators or partners.
    CardGrant,
    /// Leftover value written off at expiry.
    Breakage,
    /// Operator adjustments.
    Adjustment,
}

impl Book {
    pub const ALL: [Book; 12] = [
        Book::Cash,
        Book::Arrears,
        Book::Voucher,
        Book::Card,
        Book::Revenue,
        Book::CloudBilled,
        Book::FundingOnline,
        Book::FundingBank,
        Book::Promotion,
        Book::CardGrant,
        Book::Breakage,
        Book::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Book::Cash => "cash",
            Book::Arrears => "arrears",
            Book::Voucher => "voucher",
            Book::Card => "card",
            Book::Revenue => "revenue",
            Book::CloudBilled => "cloud_billed",
            Book::FundingOnline => "funding_online",
            Book::FundingBank => "funding_bank",
            Book::Promotion => "promotion",
            Book::CardGrant => "card_grant",
            Book::Breakage => "breakage",
            Book::Adjustment => "adjustment",
        }
    }

    pub fn parse(text: &str) -> Option<Book> {
        Book::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// Books that must never go negative.
    pub fn is_customer_value(self) -> bool {
        matches!(self, Book::Cash | Book::Voucher | Book::Card)
    }

    /// Whether a balance is allowed in this book (DOMAIN §11).
    pub fn allows_balance(self, balance_minor: i64) -> bool {
        match self {
            Book::Cash | Book::Voucher | Book::Card => balance_minor >= 0,
            Book::Arrears => balance_minor <= 0,
            _ => true,
        }
    }

    /// The customer book a deduction source draws on, with its instrument id.
    pub fn of_source(source: Source) -> (Book, i64) {
        match source {
            Source::Voucher(id) => (Book::Voucher, id.0),
            Source::Card(id) => (Book::Card, id.0),
            Source::Cash => (Book::Cash, 0),
            Source::Arrears => (Book::Arrears, 0),
            Source::CloudAccount => (Book::CloudBilled, 0),
        }
    }
}

/// One line of a journal entry. `instrument_id` is the voucher or card id for those
/// books, and 0 for books that exist once per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Posting {
    pub book: Book,
    pub instrument_id: i64,
    pub amount_minor: i64,
}

impl Posting {
    pub fn new(book: Book, instrument_id: i64, amount_minor: i64) -> Posting {
        Posting { book, instrument_id, amount_minor }
    }
}

/// What kind of business event an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    CashCredit,
    VoucherActivated,
    VoucherExpired,
    VoucherRevoked,
    CardPurchased,
    CardAllocated,
    CardExpired,
    ChargeSettled,
    ChargeReversed,
    Adjustment,
    /// A cloud amount the marketplace refused for good, settled with the customer.
    CloudUncollectable,
}

impl EntryKind {
    pub const ALL: [EntryKind; 11] = [
        EntryKind::CashCredit,
        EntryKind::VoucherActivated,
        EntryKind::VoucherExpired,
        EntryKind::VoucherRevoked,
        EntryKind::CardPurchased,
        EntryKind::CardAllocated,
        EntryKind::CardExpired,
        EntryKind::ChargeSettled,
        EntryKind::ChargeReversed,
        EntryKind::Adjustment,
        EntryKind::CloudUncollectable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::CashCredit => "cash_credit",
            EntryKind::VoucherActivated => "voucher_activated",
            EntryKind::VoucherExpired => "voucher_expired",
            EntryKind::VoucherRevoked => "voucher_revoked",
            EntryKind::CardPurchased => "card_purchased",
            EntryKind::CardAllocated => "card_allocated",
            EntryKind::CardExpired => "card_expired",
            EntryKind::ChargeSettled => "charge_settled",
            EntryKind::ChargeReversed => "charge_reversed",
            EntryKind::Adjustment => "adjustment",
            EntryKind::CloudUncollectable => "cloud_uncollectable",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A balanced set of postings describing one business event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub kind: EntryKind,
    pub postings: Vec<Posting>,
    pub memo: String,
}

impl JournalEntry {
    /// Builds an entry, dropping zero postings. Panics if the postings do not sum to
    /// zero: an unbalanced entry is a programming error in the core, never input.
    pub fn new(kind: EntryKind, postings: Vec<Posting>, memo: impl Into<String>) -> JournalEntry {
        let postings: Vec<Posting> = postings.into_iter().filter(|p| p.amount_minor != 0).collect();
        assert!(sums_to_zero(&postings), "journal entry {kind:?} does not balance: {postings:?}");
        JournalEntry { kind, postings, memo: memo.into() }
    }
}

/// Whether postings sum to zero, treating overflow as imbalance.
pub fn sums_to_zero(postings: &[Posting]) -> bool {
    let mut sum: i64 = 0;
    for p in postings {
        match sum.checked_add(p.amount_minor) {
            Some(s) => sum = s,
            None => return false,
        }
    }
    sum == 0
}
