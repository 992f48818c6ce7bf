//! `email`: new events of the feed are queued for the account owners whose login is
//! an e-mail address (docs/WEBHOOKS.md, "E-mail"), then due messages are sent through
//! the [`Mailer`](super::notify::Mailer) with the same retries and log as webhooks.
//! The message is plain text rendered here; the mailer only transports it.

use coffer_core::event::{Event, EventKind};
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_store::auth::Role;
use coffer_store::webhooks::{Channel, Delivery};

use super::notify::{Mail, Mailer, SendOutcome};
use super::webhooks::{deliver_due, queue_new_events};
use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;
use crate::metrics::{self, Outbox};

/// Events older than this when first read are not mailed: a day-late e-mail is noise
/// (the feed has them), and a database upgraded to this version must not mail its
/// whole history at once.
pub const STALE_AFTER_MS: i64 = MS_PER_DAY;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    let oldest = Timestamp(fence.now().0.saturating_sub(STALE_AFTER_MS));
    let queued = queue_new_events(jobs, fence, Channel::Email, &|_, event| {
        if event.event.occurred_at < oldest {
            return Ok(Vec::new());
        }
        Ok(owner_addresses(jobs, event)?.into_iter().map(|a| (None, a)).collect())
    })?;
    let Some(mailer) = jobs.mailer.clone() else {
        return Ok(JobReport { items: 0, detail: format!("{queued} queued; no mailer configured") });
    };
    let tally =
        deliver_due(jobs, fence, Channel::Email, &|d, event, now| Ok(send(jobs, mailer.as_ref(), d, event, now)))?;
    let due = jobs.app.store.webhooks().deliveries_due(Channel::Email, fence.now(), 10_000)?.len();
    metrics::set_outbox_backlog(Outbox::Email, u64::try_from(due).unwrap_or(0));
    Ok(JobReport {
        items: tally.delivered + tally.retried + tally.failed,
        detail: format!(
            "{queued} queued, {} sent, {} to retry, {} failed",
            tally.delivered, tally.retried, tally.failed
        ),
    })
}

/// Owners of the event's account whose login looks like an e-mail address.
fn owner_addresses(jobs: &Jobs, event: &Event) -> AppResult<Vec<String>> {
    let users = jobs.auth.users_of_account(event.event.account_id)?;
    let owners = users.into_iter().filter(|u| u.user.role == Role::Owner).map(|u| u.user.login);
    Ok(owners.filter(|login| is_address(login)).collect())
}

/// One `@` with something on both sides, and no characters that could break a
/// header: enough to tell an address from a user name.
pub fn is_address(text: &str) -> bool {
    let mut parts = text.split('@');
    let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'));
    ok && !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
}

fn send(jobs: &Jobs, mailer: &dyn Mailer, d: &Delivery, event: &Event, now: Timestamp) -> SendOutcome {
    let mail = render(jobs, &d.delivery.target, event, now);
    match mailer.send(&mail) {
        Ok(()) => SendOutcome { status: None, error: None, permanent: false },
        Err(e) => SendOutcome::failed(None, e),
    }
}

/// The message for one event.
pub fn render(jobs: &Jobs, to: &str, event: &Event, now: Timestamp) -> Mail {
    let e = &event.event;
    let subject = format!("[Coffer] account {}: {}", e.account_id, headline(e.kind));
    let mut body = format!(
        "{}\n\nAccount: {}\nEvent: {} (#{} of this account)\n",
        headline(e.kind),
        e.account_id,
        e.kind.as_str(),
        event.seq
    );
    if let Some(ws) = &e.workspace_id {
        body.push_str(&format!("Workspace: {ws}\n"));
    }
    if let Some(subject) = &e.subject_id {
        body.push_str(&format!("Concerning: {subject}\n"));
    }
    if let Some(m) = &e.amount {
        body.push_str(&format!(
            "Amount: {} {}\n",
            coffer_core::money::format_minor(m.minor, m.currency),
            m.currency.code()
        ));
    }
    if let Some(until) = e.until {
        body.push_str(&format!("Until: {}\n", utc(until)));
    }
    body.push_str("\nSign in to the Billing Center for details.\n");
    Mail {
        from: jobs.settings.mail_from.clone(),
        to: to.to_owned(),
        subject,
        body,
        at: now,
        message_id: format!("event-{}-{}@coffer", event.id, now.0),
    }
}

fn headline(kind: EventKind) -> &'static str {
    match kind {
        EventKind::RechargeSucceeded => "Your recharge succeeded",
        EventKind::VoucherActivated => "A voucher was activated",
        EventKind::VoucherExpiring => "A voucher expires within 7 days",
        EventKind::CardExpiring => "A prepaid card expires within 7 days",
        EventKind::RunwayLow => "Your balance is running low",
        EventKind::ArrearsStarted => "Your account is in arrears",
        EventKind::ArrearsRepaid => "Your arrears are repaid",
        EventKind::GraceStarted => "A workspace's grace period started",
        EventKind::LockIn3Days => "A workspace locks in 3 days",
        EventKind::WorkspaceLocked => "A workspace is locked",
        EventKind::WorkspaceUnlocked => "A workspace is unlocked",
        EventKind::MonthlyBillReady => "Your monthly bill is ready",
    }
}

/// An instant as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(at: Timestamp) -> String {
    let ts = jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%d %H:%M UTC").to_string()
}
