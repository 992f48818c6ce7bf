//! Builders and a tiny ledger shared by the core's integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use coffer_core::card::{CardOrigin, CardStatus, PrepaidCard};
use coffer_core::ids::{AccountId, CardId, VoucherId};
use coffer_core::journal::{sums_to_zero, Book, JournalEntry};
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::{ChargeInput, Source, WalletSnapshot};
use coffer_core::policy::Category;
use coffer_core::time::{Timestamp, Window, MS_PER_DAY};
use coffer_core::voucher::{Voucher, VoucherKind, VoucherStatus};
use coffer_core::workspace::SettlementKind;

pub const ACCOUNT: AccountId = AccountId(1);

/// "Now" in the table tests: day 100.
pub const NOW: Timestamp = Timestamp(100 * MS_PER_DAY);

pub fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap_or_else(|e| panic!("bad test amount {minor}: {e:?}"))
}

pub fn day(n: i64) -> Timestamp {
    Timestamp(n * MS_PER_DAY)
}

/// A window from day `from` until day `until` (none: no expiry).
pub fn window(from: i64, until: Option<i64>) -> Window {
    Window { from: day(from), until: until.map(day) }
}

pub fn v(id: i64) -> Source {
    Source::Voucher(VoucherId(id))
}

pub fn c(id: i64) -> Source {
    Source::Card(CardId(id))
}

/// An active voucher valid from day 0 to day 200, activated on day 0.
pub fn voucher(id: i64, kind: VoucherKind, balance_minor: i64) -> Voucher {
    Voucher {
        id: VoucherId(id),
        account_id: ACCOUNT,
        kind,
        face_value: amount(balance_minor.max(1)),
        balance_minor,
        status: VoucherStatus::Active,
        window: window(0, Some(200)),
        activated_at: day(0),
    }
}

pub fn standard(id: i64, balance_minor: i64) -> Voucher {
    voucher(id, VoucherKind::Standard, balance_minor)
}

pub fn discount(id: i64, balance_minor: i64) -> Voucher {
    voucher(id, VoucherKind::Discount, balance_minor)
}

/// An active purchased card valid from day 0 to day 365, bought on day 0.
pub fn card(id: i64, balance_minor: i64) -> PrepaidCard {
    PrepaidCard {
        id: CardId(id),
        account_id: ACCOUNT,
        number: format!("PC{id:010}"),
        face_value: amount(balance_minor.max(1)),
        balance_minor,
        status: CardStatus::Active,
        window: window(0, Some(365)),
        purchased_at: day(0),
        origin: CardOrigin::Purchased,
    }
}

/// An empty CNY wallet with unlimited arrears.
pub fn wallet() -> WalletSnapshot {
    WalletSnapshot {
        account_id: ACCOUNT,
        currency: Currency::Cny,
        cash_minor: 0,
        arrears_owed_minor: 0,
        arrears_limit_minor: None,
        vouchers: Vec::new(),
        cards: Vec::new(),
    }
}

pub fn charge(settlement: SettlementKind, category: Category, minor: i64) -> ChargeInput {
    ChargeInput { settlement, category, amount: amount(minor), currency: Currency::Cny }
}

/// A ledger of book balances keyed by (book, instrument id), fed with journal entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Books(pub BTreeMap<(Book, i64), i64>);

impl Books {
    pub fn new() -> Books {
        Books::default()
    }

    pub fn with(mut self, book: Book, id: i64, balance_minor: i64) -> Books {
        self.0.insert((book, id), balance_minor);
        self
    }

    /// Applies an entry after checking it balances.
    pub fn apply(&mut self, entry: &JournalEntry) {
        assert!(sums_to_zero(&entry.postings), "entry does not balance: {entry:?}");
        for p in &entry.postings {
            let slot = self.0.entry((p.book, p.instrument_id)).or_insert(0);
            *slot = slot.checked_add(p.amount_minor).unwrap_or_else(|| panic!("book overflow on {p:?}"));
        }
    }

    pub fn get(&self, book: Book, id: i64) -> i64 {
        self.0.get(&(book, id)).copied().unwrap_or(0)
    }

    pub fn total(&self) -> i64 {
        self.0.values().sum()
    }

    /// DOMAIN §11: customer books never negative, arrears never positive.
    pub fn assert_customer_books_valid(&self) {
        for (&(book, id), &balance) in &self.0 {
            assert!(book.allows_balance(balance), "book {}#{id} has a forbidden balance {balance}", book.as_str());
        }
    }
}

/// The sum of an entry's postings to one book (any instrument id).
pub fn posted(entry: &JournalEntry, book: Book) -> i64 {
    entry.postings.iter().filter(|p| p.book == book).map(|p| p.amount_minor).sum()
}

/// The sum of an entry's postings to one book and instrument.
pub fn posted_to(entry: &JournalEntry, book: Book, id: i64) -> i64 {
    entry.postings.iter().filter(|p| p.book == book && p.instrument_id == id).map(|p| p.amount_minor).sum()
}
