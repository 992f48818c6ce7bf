//! Expiry (DOMAIN §5, §6): vouchers and cards past their window become `expired`
//! and their leftover is written off through the journal, so statements show it.
//! Safe to rerun: an instrument already expired is skipped.

use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, CardId, VoucherId};
use coffer_core::journal::EntryKind;
use coffer_core::lifecycle::write_off_entry;
use coffer_core::planner::Source;
use coffer_core::time::{Timestamp, WindowPosition};
use coffer_core::voucher::VoucherStatus;
use coffer_store::WriteTx;

use crate::error::AppResult;
use crate::{input, journal, App};

/// How many instruments one expiry pass handles per query.
const BATCH: u32 = 500;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub vouchers_expired: u32,
    pub cards_expired: u32,
    pub written_off_minor: i64,
}

impl App {
    /// Expires every voucher and card whose window ended by now.
    pub fn expire_due(&self) -> AppResult<ExpiryReport> {
        let now = self.now();
        let mut report = ExpiryReport::default();
        loop {
            let due = self.read(|r| Ok(r.vouchers_due_for_expiry(now, BATCH)?))?;
            if due.is_empty() {
                break;
            }
            for (account, id) in due {
                if let Some(written) = self.write(|tx| expire_voucher_in_tx(tx, account, id, now))? {
                    report.vouchers_expired += 1;
                    report.written_off_minor += written;
                }
            }
        }
        loop {
            let due = self.read(|r| Ok(r.cards_due_for_expiry(now, BATCH)?))?;
            if due.is_empty() {
                break;
            }
            for (account, id) in due {
                if let Some(written) = self.write(|tx| expire_card_in_tx(tx, account, id, now))? {
                    report.cards_expired += 1;
                    report.written_off_minor += written;
                }
            }
        }
        Ok(report)
    }
}

/// Expires one voucher if it is due; returns the amount written off, or `None` if it was not due.
pub fn expire_voucher_in_tx(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    id: VoucherId,
    now: Timestamp,
) -> AppResult<Option<i64>> {
    let mut account = input::lock_account(tx, account_id)?;
    let Some(record) = tx.voucher(account_id, id)? else {
        return Ok(None);
    };
    let v = record.voucher;
    if v.status.is_terminal() || v.window.position(now) != WindowPosition::Expired {
        return Ok(None);
    }
    if v.balance_minor > 0 {
        let memo = format!("{} voucher {id} expired", v.kind.as_str());
        let entry = write_off_entry(EntryKind::VoucherExpired, Source::Voucher(id), v.balance_minor, &memo);
        journal::post(tx, &mut account, &entry, now)?;
    }
    tx.set_voucher_status(account_id, id, VoucherStatus::Expired)?;
    Ok(Some(v.balance_minor))
}

/// Expires one card if it is due; returns the amount written off, or `None` if it was not due.
pub fn expire_card_in_tx(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    id: CardId,
    now: Timestamp,
) -> AppResult<Option<i64>> {
    let mut account = input::lock_account(tx, account_id)?;
    let Some(record) = tx.card(account_id, id)? else {
        return Ok(None);
    };
    let c = record.card;
    if c.status == CardStatus::Expired || c.window.position(now) != WindowPosition::Expired {
        return Ok(None);
    }
    if c.balance_minor > 0 {
        let memo = format!("prepaid card {} expired", c.number);
        let entry = write_off_entry(EntryKind::CardExpired, Source::Card(id), c.balance_minor, &memo);
        journal::post(tx, &mut account, &entry, now)?;
    }
    tx.set_card_status(account_id, id, CardStatus::Expired)?;
    Ok(Some(c.balance_minor))
}
