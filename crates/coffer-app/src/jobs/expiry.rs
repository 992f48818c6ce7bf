//! `expiry`: vouchers and prepaid cards past their window are expired and their
//! leftover written off (DOMAIN §5, §6), one instrument per transaction. A rerun
//! finds nothing due: an expired instrument is no longer listed.

use coffer_core::ids::AccountId;

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;
use crate::use_cases::expiry::{expire_card_in_tx, expire_voucher_in_tx};

/// Instruments looked at per query.
const BATCH: u32 = 500;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    let app = &jobs.app;
    let now = fence.now();
    let (mut vouchers, mut cards, mut written) = (0i64, 0i64, 0i64);
    loop {
        let due: Vec<(AccountId, _)> = app.read(|r| Ok(r.vouchers_due_for_expiry(now, BATCH)?))?;
        if due.is_empty() {
            break;
        }
        for (account, id) in due {
            fence.check()?;
            if let Some(minor) = app.write(|tx| expire_voucher_in_tx(tx, account, id, now))? {
                vouchers += 1;
                written = written.saturating_add(minor);
            }
        }
    }
    loop {
        let due = app.read(|r| Ok(r.cards_due_for_expiry(now, BATCH)?))?;
        if due.is_empty() {
            break;
        }
        for (account, id) in due {
            fence.check()?;
            if let Some(minor) = app.write(|tx| expire_card_in_tx(tx, account, id, now))? {
                cards += 1;
                written = written.saturating_add(minor);
            }
        }
    }
    let detail = format!("{vouchers} vouchers and {cards} cards expired, {written} minor units written off");
    Ok(JobReport { items: vouchers + cards, detail })
}
