//! `monthly_bills`: once an account's month is over and its 3rd day has passed (in
//! the account's time zone, DOMAIN §8: the original generates last month's bill
//! "after the 3rd"), the previous month's bill is frozen — the statement use case's
//! lines, kept as CSV — and a `monthly_bill_ready` event announces it. Both happen at
//! most once per account and month: the bill row is unique, the event has a dedup key.

use coffer_core::event::{EventKind, EventMoney, NewEvent};
use coffer_core::time::{Timestamp, YearMonth};
use coffer_store::jobs::MonthlyBill;
use coffer_store::records::AccountRecord;

use super::{Fence, JobReport, Jobs};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::use_cases::statements::monthly_bill_csv;
use crate::{tz, App};

/// The bill of a month is produced from this day of the next month on.
pub const FIRST_BILLING_DAY: u8 = 4;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    let now = fence.now();
    let (mut frozen, mut announced) = (0i64, 0i64);
    for account in jobs.app.accounts()? {
        let Some(month) = month_due(&account, now)? else { continue };
        fence.check()?;
        if freeze(jobs, &account, month, now)? {
            frozen += 1;
        }
        // Announced even when the bill was frozen by an earlier run that stopped
        // before announcing it; the dedup key makes this a no-op otherwise.
        if announce(&jobs.app, &account, month, now)? {
            announced += 1;
        }
    }
    Ok(JobReport { items: frozen, detail: format!("{frozen} bills frozen, {announced} announced") })
}

/// The month whose bill is due at `now`, or `None` before the 4th or when the
/// account did not exist yet in the previous month.
pub fn month_due(account: &AccountRecord, now: Timestamp) -> AppResult<Option<YearMonth>> {
    let zone = tz::zone(&account.account.time_zone)?;
    let today = tz::date_of(now, &zone);
    if today.day() < FIRST_BILLING_DAY {
        return Ok(None);
    }
    let this_month = today.year_month();
    if account.created_at >= tz::start_of_month(this_month, &zone)? {
        return Ok(None);
    }
    Ok(Some(previous(this_month)))
}

fn previous(m: YearMonth) -> YearMonth {
    match m.month {
        1 => YearMonth { year: m.year - 1, month: 12 },
        n => YearMonth { year: m.year, month: n - 1 },
    }
}

/// Freezes the bill; `false` when it already was.
fn freeze(jobs: &Jobs, account: &AccountRecord, month: YearMonth, now: Timestamp) -> AppResult<bool> {
    let store = jobs.app.store.jobs();
    let id = account.account.id;
    let key = month.to_string();
    if store.monthly_bill(id, &key)?.is_some() {
        return Ok(false);
    }
    let lines = jobs.app.monthly_bill(id, &key)?;
    let amount_minor = lines
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.amount_minor))
        .ok_or_else(|| AppError::new(ErrorCode::Internal, format!("the {key} bill of account {id} overflows")))?;
    let bill = MonthlyBill {
        account_id: id,
        month: key.clone(),
        charges: lines.iter().map(|l| i64::from(l.charges)).sum(),
        amount_minor,
        csv: monthly_bill_csv(&key, &lines, account.account.currency),
        created_at: now,
    };
    Ok(store.insert_monthly_bill(&bill)?)
}

fn announce(app: &App, account: &AccountRecord, month: YearMonth, now: Timestamp) -> AppResult<bool> {
    let id = account.account.id;
    let Some(bill) = app.store.jobs().monthly_bill(id, &month.to_string())? else { return Ok(false) };
    let mut event = NewEvent::new(id, EventKind::MonthlyBillReady, now, format!("monthly_bill_ready:{month}"));
    event.subject_id = Some(bill.month);
    event.amount = Some(EventMoney { minor: bill.amount_minor, currency: account.account.currency });
    super::notifications::append(app, &event)
}
