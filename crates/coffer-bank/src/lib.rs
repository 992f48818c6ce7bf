//! Bank statements for the offline transfer rail (DOMAIN §4): a statement file is
//! parsed into [`Entry`]s, one per bank transaction, and a [`RowError`] for every
//! row or entry that cannot be read. A broken row never fails the whole file; a
//! file that cannot be read at all (no header, malformed XML, another account)
//! yields no entries and one error.
//!
//! **Pure.** No IO, no clock, no store: text in, entries out. What to do with an
//! entry (match it, credit it, queue it) is the application's business.
//!
//! # Layout
//! - [`csv`]: the CSV format and its fixed column mapping (see README.md).
//! - [`camt053`]: ISO 20022 camt.053 bank-to-customer statements.
//! - [`matching`]: finding transfer reference codes in free remittance text.
//! - `fields`: the checks both formats share, so both report alike.

pub mod camt053;
pub mod csv;
mod fields;
pub mod matching;

use coffer_core::money::Currency;
use coffer_core::time::Date;

/// The most entries (rows, `Ntry` elements) one statement may hold; split larger
/// files. It bounds the work of one import request.
pub const MAX_ENTRIES: usize = 10_000;

/// The statement formats Coffer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Camt053,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Csv, Format::Camt053];

    /// The name used on the wire and in `bank_transfer.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Camt053 => "camt053",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// Money in or money out of the payee account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreditDebit {
    Credit,
    Debit,
}

/// One bank transaction as the statement reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where it is in the file: the CSV line its row starts on (the header is line
    /// 1), or the 1-based position of the camt.053 `Ntry` in the document.
    pub index: usize,
    /// The bank's id for the transaction; a valid Coffer external id.
    pub bank_transaction_id: String,
    /// Positive; the direction is in `credit_or_debit`.
    pub amount_minor: i64,
    pub currency: Currency,
    pub value_date: Date,
    /// The payer's name as the bank reports it; may be empty.
    pub payer: String,
    /// The remittance text, where payers quote their transfer reference; may be empty.
    pub reference: String,
    pub credit_or_debit: CreditDebit,
    /// Booked by the bank (not pending or informational).
    pub booked: bool,
}

impl Entry {
    /// Only booked credits are money that arrived.
    pub fn is_booked_credit(&self) -> bool {
        self.booked && self.credit_or_debit == CreditDebit::Credit
    }
}

/// Why one row or entry (or, with index 0, the whole file) could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// As [`Entry::index`]; 0 for the file as a whole.
    pub index: usize,
    /// The entry field at fault (`amount`, `value_date`, ...), or `header`, `row`,
    /// `document`, `account` for problems of a whole row or file.
    pub field: &'static str,
    pub message: String,
}

impl RowError {
    pub fn new(index: usize, field: &'static str, message: impl Into<String>) -> RowError {
        RowError { index, field, message: message.into() }
    }
}

/// A parsed statement: every readable entry and every error, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    pub entries: Vec<Entry>,
    pub errors: Vec<RowError>,
    /// The account numbers the statement says it is for (camt.053 `Stmt/Acct/Id`);
    /// empty when the format does not say (CSV).
    pub accounts: Vec<String>,
}

impl Statement {
    /// A file that could not be read at all: no entries, one error.
    pub fn unreadable(field: &'static str, message: impl Into<String>) -> Statement {
        Statement { errors: vec![RowError::new(0, field, message)], ..Statement::default() }
    }

    /// Enforces [`MAX_ENTRIES`] on the whole file rather than importing a prefix.
    fn bounded(self) -> Statement {
        if self.entries.len() + self.errors.len() > MAX_ENTRIES {
            return Statement::unreadable(
                "document",
                format!("the statement has more than {MAX_ENTRIES} entries; split it into smaller files"),
            );
        }
        self
    }
}

/// Parses a statement in `format`.
pub fn parse(format: Format, text: &str) -> Statement {
    match format {
        Format::Csv => csv::parse(text),
        Format::Camt053 => camt053::parse(text),
    }
}

/// An account number compared as banks print it differently: without spaces or
/// dashes, upper case.
pub fn normalize_account_number(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_uppercase()
}
