//! Conformance checks of the job scheduler's tables (leases, runs, cursors, frozen
//! bills) and of webhook endpoints and the delivery log.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;

use super::{new_account, ok};
use crate::jobs::*;
use crate::webhooks::*;
use crate::Store;

fn account(store: &dyn Store) -> AccountId {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(tx.commit());
    id
}

fn acquire(store: &dyn Store, holder: &str, now: i64, until: i64) -> Option<Lease> {
    ok(store.jobs().acquire_lease("expiry", holder, Timestamp(now), Timestamp(until)))
}

/// One holder at a time; renewing keeps the generation; a lapsed lease goes to the
/// next taker with the next generation.
pub fn a_lease_has_one_holder_until_it_lapses_then_changes_hands_with_a_new_generation(store: &dyn Store) {
    let first = acquire(store, "a", 100, 200).unwrap_or_else(|| panic!("a free lease is taken"));
    assert_eq!((first.holder.as_str(), first.generation, first.expires_at), ("a", 1, Timestamp(200)));
    assert_eq!(acquire(store, "b", 150, 250), None, "held by a until 200");
    let renewed = acquire(store, "a", 190, 300).unwrap_or_else(|| panic!("the holder renews"));
    assert_eq!((renewed.generation, renewed.expires_at), (1, Timestamp(300)));
    assert_eq!(acquire(store, "b", 299, 400), None);
    let taken = acquire(store, "b", 300, 400).unwrap_or_else(|| panic!("a lapsed lease is taken"));
    assert_eq!((taken.holder.as_str(), taken.generation), ("b", 2));
    assert!(!ok(store.jobs().lease_is_current("expiry", "a", 1, Timestamp(300))));
    assert!(ok(store.jobs().lease_is_current("expiry", "b", 2, Timestamp(300))));
    ok(store.jobs().release_lease("expiry", "b", 2, Timestamp(310)));
    assert_eq!(acquire(store, "a", 311, 500).map(|l| l.generation), Some(3), "a released lease is free");
    assert_eq!(ok(store.jobs().leases()).len(), 1);
}

/// A run records its result only while its lease is still its own.
pub fn a_run_finished_after_its_lease_changed_hands_is_fenced(store: &dyn Store) {
    let jobs = store.jobs();
    let stale = acquire(store, "a", 0, 100).unwrap_or_else(|| panic!("taken"));
    let run = |holder: &str, generation| NewJobRun {
        job: "expiry".into(),
        holder: holder.into(),
        generation,
        started_at: Timestamp(10),
    };
    let stale_run = ok(jobs.start_run(&run("a", stale.generation)));
    let fresh = acquire(store, "b", 100, 200).unwrap_or_else(|| panic!("lapsed, so taken"));
    let fresh_run = ok(jobs.start_run(&run("b", fresh.generation)));
    let finish =
        RunFinish { outcome: RunOutcome::Succeeded, items: 3, detail: "done".into(), finished_at: Timestamp(150) };
    assert!(!ok(jobs.finish_run(stale_run, &finish)), "the stale holder's result is refused");
    assert!(ok(jobs.finish_run(fresh_run, &finish)));
    let runs = ok(jobs.job_runs(Some("expiry"), 10));
    let outcomes: Vec<(i64, RunOutcome)> = runs.iter().map(|r| (r.id, r.outcome)).collect();
    assert_eq!(outcomes, vec![(fresh_run, RunOutcome::Succeeded), (stale_run, RunOutcome::Fenced)]);
    assert_eq!((runs[0].items, runs[0].finished_at), (3, Some(Timestamp(150))));
    assert!(ok(jobs.job_runs(Some("email"), 10)).is_empty());
}

/// The cursor starts at 0, moves forward only, and not for a stale generation.
pub fn a_job_cursor_moves_forward_only_and_only_for_the_current_generation(store: &dyn Store) {
    let jobs = store.jobs();
    assert_eq!(ok(jobs.cursor("expiry")), 0);
    let lease = acquire(store, "a", 0, 100).unwrap_or_else(|| panic!("taken"));
    assert!(ok(jobs.advance_cursor("expiry", lease.generation, 7)));
    assert!(ok(jobs.advance_cursor("expiry", lease.generation, 5)));
    assert_eq!(ok(jobs.cursor("expiry")), 7, "never backwards");
    assert!(!ok(jobs.advance_cursor("expiry", lease.generation + 1, 9)), "not this generation");
    assert_eq!(ok(jobs.cursor("expiry")), 7);
}

pub fn a_monthly_bill_is_frozen_once(store: &dyn Store) {
    let id = account(store);
    let bill = MonthlyBill {
        account_id: id,
        month: "2026-10".into(),
        charges: 2,
        amount_minor: 300,
        csv: "a,b\n".into(),
        created_at: Timestamp(5),
    };
    assert!(ok(store.jobs().insert_monthly_bill(&bill)));
    let again = MonthlyBill { amount_minor: 999, ..bill.clone() };
    assert!(!ok(store.jobs().insert_monthly_bill(&again)));
    assert_eq!(ok(store.jobs().monthly_bill(id, "2026-10")), Some(bill));
    assert_eq!(ok(store.jobs().monthly_bill(id, "2026-09")), None);
}

/// Endpoints belong to one account; kinds filter; deleting reports whether it existed.
pub fn webhook_endpoints_belong_to_their_account(store: &dyn Store) {
    let (a, b) = (account(store), account(store));
    let hooks = store.webhooks();
    let new = NewWebhookEndpoint {
        account_id: a,
        url: "https://example.com/hook".into(),
        secret: "whsec_1".into(),
        kinds: vec!["recharge_succeeded".into(), "monthly_bill_ready".into()],
        created_at: Timestamp(1),
    };
    let id = ok(hooks.insert_webhook_endpoint(&new));
    let stored = ok(hooks.webhook_endpoint(a, id)).unwrap_or_else(|| panic!("stored"));
    assert_eq!((stored.endpoint.clone(), stored.enabled), (new, true));
    assert!(stored.wants("monthly_bill_ready") && !stored.wants("runway_low"));
    assert_eq!(ok(hooks.webhook_endpoint(b, id)), None, "another account's endpoint is invisible");
    assert!(ok(hooks.set_webhook_enabled(a, id, false)));
    assert!(!ok(hooks.webhook_endpoint(a, id)).is_some_and(|e| e.enabled));
    assert!(!ok(hooks.delete_webhook_endpoint(b, id)));
    assert!(ok(hooks.delete_webhook_endpoint(a, id)));
    assert!(ok(hooks.webhook_endpoints(a)).is_empty());
}

/// A delivery is queued once per (channel, event, target); attempts are counted, a
/// retry waits, and the last state sticks.
pub fn a_delivery_is_queued_once_and_records_every_attempt(store: &dyn Store) {
    let a = account(store);
    let hooks = store.webhooks();
    let new = |target: &str| NewDelivery {
        account_id: a,
        event_id: 41,
        channel: Channel::Webhook,
        endpoint_id: Some(9),
        target: target.into(),
        created_at: Timestamp(10),
    };
    assert!(ok(hooks.insert_delivery(&new("https://a.example"))));
    assert!(!ok(hooks.insert_delivery(&new("https://a.example"))), "queued once");
    assert!(ok(hooks.insert_delivery(&new("https://b.example"))));
    let mail = NewDelivery { channel: Channel::Email, endpoint_id: None, ..new("owner@a.example") };
    assert!(ok(hooks.insert_delivery(&mail)));
    let due = ok(hooks.deliveries_due(Channel::Webhook, Timestamp(10), 10));
    assert_eq!(due.len(), 2);
    let first = due[0].id;
    let retry = AttemptResult::Retry { status: Some(500), error: "HTTP 500".into(), next_attempt_at: Timestamp(60) };
    ok(hooks.record_attempt(first, &retry));
    assert_eq!(ok(hooks.deliveries_due(Channel::Webhook, Timestamp(59), 10)).len(), 1, "the retry waits");
    ok(hooks.record_attempt(first, &AttemptResult::Delivered { status: Some(204), at: Timestamp(61) }));
    ok(hooks.record_attempt(due[1].id, &AttemptResult::GaveUp { status: None, error: "refused".into() }));
    ok(hooks.record_attempt(first, &AttemptResult::GaveUp { status: None, error: "late".into() }));
    let log = ok(hooks.deliveries_of(a, Some(Channel::Webhook), 10));
    let delivered = log.iter().find(|d| d.id == first).unwrap_or_else(|| panic!("logged"));
    assert_eq!(
        (delivered.state, delivered.attempts, delivered.last_status, delivered.delivered_at),
        (DeliveryState::Delivered, 2, Some(204), Some(Timestamp(61)))
    );
    let failed = log.iter().find(|d| d.id == due[1].id).unwrap_or_else(|| panic!("logged"));
    assert_eq!(
        (failed.state, failed.attempts, failed.last_error.as_deref()),
        (DeliveryState::Failed, 1, Some("refused"))
    );
    assert!(ok(hooks.deliveries_due(Channel::Webhook, Timestamp(1_000), 10)).is_empty());
    assert_eq!(ok(hooks.deliveries_of(a, None, 10)).len(), 3);
}
