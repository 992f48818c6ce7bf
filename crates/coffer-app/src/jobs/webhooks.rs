//! `webhooks`: new events of the feed are queued for every enabled endpoint of their
//! account that wants their kind, then due deliveries are posted, signed, through
//! the [`WebhookSender`](super::notify::WebhookSender). A failed attempt is retried
//! with exponential backoff; after `max_attempts` the delivery is `failed` and stays
//! in the log. The job's cursor in the feed only moves forward, and a delivery is
//! unique per event and destination, so a rerun queues and sends nothing twice.

use std::collections::HashMap;

use coffer_core::event::Event;
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::webhooks::{AttemptResult, Channel, Delivery, NewDelivery, WebhookEndpoint};

use super::notify::{next_attempt_at, SendOutcome, WebhookSender};
use super::{Fence, JobReport, Jobs};
use crate::error::{AppError, AppResult};
use crate::metrics::{self, Outbox};
use crate::App;

/// Events read from the feed per query, and deliveries attempted per run.
const BATCH: u32 = 500;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    let queued = queue_new_events(jobs, fence, Channel::Webhook, &|app, event| targets(app, event))?;
    let Some(sender) = jobs.webhook_sender.clone() else {
        return Ok(JobReport { items: 0, detail: format!("{queued} queued; no webhook sender configured") });
    };
    let tally =
        deliver_due(jobs, fence, Channel::Webhook, &|d, event, now| send(jobs, sender.as_ref(), d, event, now))?;
    let due = jobs.app.store.webhooks().deliveries_due(Channel::Webhook, fence.now(), 10_000)?.len();
    metrics::set_outbox_backlog(Outbox::Webhooks, u64::try_from(due).unwrap_or(0));
    Ok(tally.report(queued))
}

/// The endpoints of the event's account that want it: (endpoint id, URL).
fn targets(app: &App, event: &Event) -> AppResult<Vec<(Option<i64>, String)>> {
    let endpoints: Vec<WebhookEndpoint> = app.store.webhooks().webhook_endpoints(event.event.account_id)?;
    let wanted = endpoints.into_iter().filter(|e| e.wants(event.event.kind.as_str()));
    Ok(wanted.map(|e| (Some(e.id), e.endpoint.url)).collect())
}

fn send(
    jobs: &Jobs,
    sender: &dyn WebhookSender,
    d: &Delivery,
    event: &Event,
    now: Timestamp,
) -> AppResult<SendOutcome> {
    let endpoint = match d.delivery.endpoint_id {
        Some(id) => jobs.app.store.webhooks().webhook_endpoint(d.delivery.account_id, id)?,
        None => None,
    };
    Ok(match endpoint {
        Some(e) if e.enabled => sender.send(&e.endpoint.url, &e.endpoint.secret, event, now),
        Some(_) => SendOutcome::failed(None, "the endpoint is disabled"),
        None => SendOutcome::gave_up("the endpoint was deleted"),
    })
}

/// Who gets an event on one channel: (endpoint id, target).
pub type Targets<'a> = dyn Fn(&App, &Event) -> AppResult<Vec<(Option<i64>, String)>> + 'a;

/// Queues a delivery per target for every event after the job's cursor, then moves
/// the cursor. Returns how many deliveries were queued.
pub fn queue_new_events(jobs: &Jobs, fence: &Fence<'_>, channel: Channel, targets: &Targets<'_>) -> AppResult<i64> {
    let store = jobs.app.store.jobs();
    let job = fence.job().as_str();
    let mut queued = 0i64;
    loop {
        let cursor = store.cursor(job)?;
        let events = jobs.app.read(|r| Ok(r.events_since(cursor, BATCH)?))?;
        let Some(last) = events.last().map(|e| e.id) else { return Ok(queued) };
        fence.check()?;
        let now = fence.now();
        for event in &events {
            for (endpoint_id, target) in targets(&jobs.app, event)? {
                let new = NewDelivery {
                    account_id: event.event.account_id,
                    event_id: event.id,
                    channel,
                    endpoint_id,
                    target,
                    created_at: now,
                };
                if jobs.app.store.webhooks().insert_delivery(&new)? {
                    queued += 1;
                }
            }
        }
        if !store.advance_cursor(job, fence.generation(), last)? {
            fence.check()?;
            return Err(AppError::new(crate::ErrorCode::JobFenced, format!("job {job} lost its lease")));
        }
    }
}

/// What a delivery pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub delivered: i64,
    pub retried: i64,
    pub failed: i64,
}

impl Tally {
    fn report(self, queued: i64) -> JobReport {
        let detail =
            format!("{queued} queued, {} delivered, {} to retry, {} failed", self.delivered, self.retried, self.failed);
        JobReport { items: self.delivered + self.retried + self.failed, detail }
    }
}

/// Attempts every due delivery of `channel` once and records the result.
pub fn deliver_due(
    jobs: &Jobs,
    fence: &Fence<'_>,
    channel: Channel,
    attempt: &dyn Fn(&Delivery, &Event, Timestamp) -> AppResult<SendOutcome>,
) -> AppResult<Tally> {
    let store = jobs.app.store.webhooks();
    let due = store.deliveries_due(channel, fence.now(), BATCH)?;
    let mut tally = Tally::default();
    let mut events: HashMap<i64, Event> = HashMap::new();
    for d in due {
        fence.check()?;
        let now = fence.now();
        let outcome = match event_of(&jobs.app, d.delivery.account_id, d.delivery.event_id, &mut events)? {
            Some(event) => attempt(&d, &event, now)?,
            None => SendOutcome::gave_up("the event no longer exists"),
        };
        let result = settle(jobs, &d, outcome, now);
        match result {
            AttemptResult::Delivered { .. } => tally.delivered += 1,
            AttemptResult::Retry { .. } => tally.retried += 1,
            AttemptResult::GaveUp { .. } => tally.failed += 1,
        }
        store.record_attempt(d.id, &result)?;
    }
    Ok(tally)
}

/// An attempt's outcome as the log records it: delivered, retry later, or give up
/// after the last allowed attempt.
fn settle(jobs: &Jobs, d: &Delivery, outcome: SendOutcome, now: Timestamp) -> AttemptResult {
    let s = &jobs.settings;
    let attempts = d.attempts.saturating_add(1);
    match outcome.error {
        None => AttemptResult::Delivered { status: outcome.status, at: now },
        Some(error) if outcome.permanent || attempts >= s.max_attempts => {
            AttemptResult::GaveUp { status: outcome.status, error }
        }
        Some(error) => AttemptResult::Retry {
            status: outcome.status,
            error,
            next_attempt_at: next_attempt_at(now, attempts, s.backoff_base_ms, s.backoff_cap_ms),
        },
    }
}

/// The event with global id `id`, read once per pass.
fn event_of(app: &App, account: AccountId, id: i64, cache: &mut HashMap<i64, Event>) -> AppResult<Option<Event>> {
    if let Some(e) = cache.get(&id) {
        return Ok(Some(e.clone()));
    }
    let found = app.read(|r| Ok(r.events_since(id - 1, 1)?))?.into_iter().find(|e| e.id == id);
    let found = found.filter(|e| e.event.account_id == account);
    if let Some(e) = &found {
        cache.insert(id, e.clone());
    }
    Ok(found)
}
