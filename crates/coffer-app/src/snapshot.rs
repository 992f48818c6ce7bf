//! Loading what the planner needs about one account.

use coffer_core::card::CardStatus;
use coffer_core::journal::Book;
use coffer_core::planner::WalletSnapshot;
use coffer_core::voucher::VoucherStatus;
use coffer_store::records::AccountRecord;
use coffer_store::Reads;

use crate::error::AppResult;

/// Cash and what is owed, as non-negative numbers.
pub fn cash_and_owed(reads: &mut dyn Reads, account: &AccountRecord) -> AppResult<(i64, i64)> {
    let id = account.account.id;
    let cash = reads.book_balance(id, Book::Cash, 0)?;
    let arrears = reads.book_balance(id, Book::Arrears, 0)?;
    Ok((cash, -arrears))
}

/// The wallet as the planner sees it: active vouchers and cards with their balances.
pub fn wallet(reads: &mut dyn Reads, account: &AccountRecord) -> AppResult<WalletSnapshot> {
    let id = account.account.id;
    let (cash_minor, arrears_owed_minor) = cash_and_owed(reads, account)?;
    let vouchers = reads.vouchers_of(id, Some(VoucherStatus::Active))?.into_iter().map(|v| v.voucher).collect();
    let cards = reads.cards_of(id, Some(CardStatus::Active))?.into_iter().map(|c| c.card).collect();
    Ok(WalletSnapshot {
        account_id: id,
        currency: account.account.currency,
        cash_minor,
        arrears_owed_minor,
        arrears_limit_minor: account.account.arrears_limit_minor,
        vouchers,
        cards,
    })
}
