//! What the fuzz targets share: the checks every parsed bank statement must pass.

use coffer_app::use_cases::bank_transfers::Incoming;
use coffer_bank::{matching, Statement, MAX_ENTRIES};
use coffer_core::money::AMOUNT_MAX_MINOR;

/// A statement parser may refuse anything, but what it hands out must be usable:
/// every entry passes the application's own checks (so an import never stores an
/// unchecked entry), amounts are in range, and the file's size bound holds.
pub fn check_statement(statement: &Statement) {
    assert!(statement.entries.len() + statement.errors.len() <= MAX_ENTRIES.max(1));
    for entry in &statement.entries {
        assert!(entry.index > 0, "entries are numbered from 1: {entry:?}");
        assert!((1..=AMOUNT_MAX_MINOR).contains(&entry.amount_minor), "amount out of range: {entry:?}");
        if let Err(e) = Incoming::from_entry(entry) {
            panic!("the parser accepted an entry the application refuses ({e}): {entry:?}");
        }
        // The reference search runs on every booked credit of an import.
        let _ = matching::account_references(&entry.reference);
        let _ = matching::single_account_reference(&entry.reference);
    }
    for error in &statement.errors {
        assert!(!error.field.is_empty() && !error.message.is_empty(), "an error must say what is wrong: {error:?}");
    }
}
