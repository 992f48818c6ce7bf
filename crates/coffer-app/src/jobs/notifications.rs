//! `notifications`: the time-based events, which no use case emits because nothing
//! happens at that moment except time passing:
//! - `voucher_expiring` / `card_expiring`: an active instrument with a balance ends
//!   within [`super::JobSettings::expiring_within_days`] days; once per instrument.
//! - `runway_low`: the spendable balance (cash, vouchers, cards) lasts fewer than
//!   [`super::JobSettings::runway_days`] days at the average daily spend of the last
//!   [`super::JobSettings::runway_window_days`] days; at most once per account and
//!   calendar month (the account's zone), so a long dry spell is not a daily e-mail.
//!
//! Every event carries a dedup key, so a rerun appends nothing.

use coffer_core::card::CardStatus;
use coffer_core::event::{EventKind, EventMoney, NewEvent};
use coffer_core::ids::AccountId;
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_core::voucher::VoucherStatus;
use coffer_store::events::Appended;
use coffer_store::records::{AccountRecord, PageQuery};

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;
use crate::{input, tz, App};

/// Appends `event` under its account's lock; `true` when it is new, `false` when an
/// event with its dedup key was already there.
pub fn append(app: &App, event: &NewEvent) -> AppResult<bool> {
    app.write(|tx| {
        input::lock_account(tx, event.account_id)?;
        Ok(matches!(tx.append_event(event)?, Appended::New { .. }))
    })
}

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    let now = fence.now();
    let mut emitted = 0i64;
    for account in jobs.app.accounts()? {
        fence.check()?;
        for event in expiring(jobs, &account, now)?.into_iter().chain(runway_low(jobs, &account, now)?) {
            if append(&jobs.app, &event)? {
                emitted += 1;
            }
        }
    }
    Ok(JobReport { items: emitted, detail: format!("{emitted} events emitted") })
}

/// Active vouchers and cards with a balance that end within the warning window.
fn expiring(jobs: &Jobs, account: &AccountRecord, now: Timestamp) -> AppResult<Vec<NewEvent>> {
    let id = account.account.id;
    let currency = account.account.currency;
    let horizon = Timestamp(now.0.saturating_add(jobs.settings.expiring_within_days.saturating_mul(MS_PER_DAY)));
    let soon = |until: Option<Timestamp>| until.filter(|u| *u > now && *u <= horizon);
    let (vouchers, cards) = jobs
        .app
        .read(|r| Ok((r.vouchers_of(id, Some(VoucherStatus::Active))?, r.cards_of(id, Some(CardStatus::Active))?)))?;
    let mut events = Vec::new();
    for v in vouchers.iter().map(|r| &r.voucher).filter(|v| v.balance_minor > 0) {
        if let Some(until) = soon(v.window.until) {
            let event = NewEvent::new(id, EventKind::VoucherExpiring, now, format!("voucher_expiring:{}", v.id));
            events.push(about(event, v.id.to_string(), until, EventMoney { minor: v.balance_minor, currency }));
        }
    }
    for c in cards.iter().map(|r| &r.card).filter(|c| c.balance_minor > 0) {
        if let Some(until) = soon(c.window.until) {
            let event = NewEvent::new(id, EventKind::CardExpiring, now, format!("card_expiring:{}", c.id));
            events.push(about(event, c.id.to_string(), until, EventMoney { minor: c.balance_minor, currency }));
        }
    }
    Ok(events)
}

/// `event` about an instrument: which one, when it ends, what is left on it.
fn about(mut event: NewEvent, subject: String, until: Timestamp, balance: EventMoney) -> NewEvent {
    event.subject_id = Some(subject);
    event.until = Some(until);
    event.amount = Some(balance);
    event
}

/// The runway event, if the balance runs out within the configured days.
fn runway_low(jobs: &Jobs, account: &AccountRecord, now: Timestamp) -> AppResult<Option<NewEvent>> {
    let id = account.account.id;
    let window = jobs.settings.runway_window_days.max(1);
    let since = Timestamp(now.0.saturating_sub(window.saturating_mul(MS_PER_DAY)));
    // The window's end is exclusive; a charge settled at this very instant counts.
    let spent = spent_since(&jobs.app, id, since, Timestamp(now.0.saturating_add(1)))?;
    if spent <= 0 {
        return Ok(None);
    }
    let o = jobs.app.account_overview(id)?;
    let spendable = o.spendable_minor();
    let days = match o.runway(spent, window).days {
        Some(days) if days < jobs.settings.runway_days => days,
        _ => return Ok(None),
    };
    let month = tz::month_of(now, &tz::zone(&account.account.time_zone)?);
    let mut event = NewEvent::new(id, EventKind::RunwayLow, now, format!("runway_low:{month}"));
    event.amount = Some(EventMoney { minor: spendable.max(0), currency: account.account.currency });
    event.until = Some(Timestamp(now.0.saturating_add(days.max(0).saturating_mul(MS_PER_DAY))));
    Ok(Some(event))
}

/// Money consumed by charges settled in `[since, until)` and not reversed.
fn spent_since(app: &App, account: AccountId, since: Timestamp, until: Timestamp) -> AppResult<i64> {
    let mut q = PageQuery { from: Some(since), until: Some(until), after: None, limit: 1_000 };
    let mut total = 0i64;
    loop {
        let page = app.read(|r| Ok(r.charges_of(account, &q)?))?;
        let live = page.iter().filter(|c| c.reversal.is_none());
        total = live.fold(total, |sum, c| sum.saturating_add(c.charge.amount.minor()));
        match page.last() {
            Some(last) if page.len() == q.limit as usize => q.after = Some(last.id.0),
            _ => return Ok(total),
        }
    }
}
