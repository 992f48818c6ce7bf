//! The job scheduler: each job on an injected clock, leases between two runners on
//! one database, fencing of a stale runner. Every test runs on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use coffer_app::jobs::{JobName, JobReport, JobSettings, Jobs, RunResult};
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_app::ErrorCode;
use coffer_core::ids::AccountId;
use coffer_store::auth::AuthStore;
use coffer_store::jobs::RunOutcome;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;
use common::*;

/// The identity store of the test's database, as the CLI hands it to the jobs.
fn auth_of(t: &TestApp) -> Arc<dyn AuthStore> {
    match &t.db {
        Database::Sqlite(dir) => {
            Arc::new(SqliteStore::open(&dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}")))
        }
        Database::Postgres(db) => Arc::new(PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("{e}"))),
    }
}

fn jobs_of(t: &TestApp) -> Jobs {
    Jobs::new(t.app.clone(), auth_of(t), JobSettings::default())
}

/// Runs a job to completion and returns its report; panics unless it succeeded.
fn run(jobs: &Jobs, job: JobName) -> JobReport {
    match jobs.run(job, "test") {
        Ok(RunResult::Ran { outcome: RunOutcome::Succeeded, report, .. }) => report,
        other => panic!("{} did not succeed: {other:?}", job.as_str()),
    }
}

fn issue(t: &TestApp, account: AccountId, minor: i64, days: u32) {
    let req = IssueVoucher {
        account_id: account,
        kind: "standard",
        face_value_minor: minor,
        currency: "CNY",
        validity: ValidityInput::Days(days),
        idempotency_key: None,
    };
    t.app.issue_voucher(&req).unwrap_or_else(|e| panic!("issue: {e}"));
}

fn kinds(t: &TestApp, account: AccountId) -> Vec<&'static str> {
    let page = t.app.account_events(account, 0, 1_000).unwrap_or_else(|e| panic!("{e}"));
    page.events.iter().map(|e| e.event.kind.as_str()).collect()
}

fn the_expiry_job_writes_off_once_and_a_rerun_does_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let a = t.account("CNY");
    issue(&t, a, 10_000, 3);
    assert_eq!(run(&jobs, JobName::Expiry).items, 0, "nothing is due yet");
    t.days(4);
    assert_eq!(run(&jobs, JobName::Expiry).items, 1);
    let after_first = t.journal_size();
    assert_eq!(run(&jobs, JobName::Expiry).items, 0);
    assert_eq!(t.journal_size(), after_first, "the rerun wrote nothing");
    let vouchers = t.app.vouchers(a, Some("expired")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(vouchers.len(), 1);
}

fn the_monthly_bills_job_freezes_last_month_after_the_3rd_only_and_once(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 50_000, "bank-1");
    t.settle("ws1", "b1", "sms", 1_234).unwrap_or_else(|e| panic!("{e}"));
    // T0 is 2026-11-26 10:00 in Shanghai; December 3rd is seven days later.
    t.days(7);
    assert_eq!(run(&jobs, JobName::MonthlyBills).items, 0, "not on the 3rd");
    t.days(1);
    assert_eq!(run(&jobs, JobName::MonthlyBills).items, 1, "on the 4th");
    assert_eq!(run(&jobs, JobName::MonthlyBills).items, 0, "once");
    let bill = t.app.store.jobs().monthly_bill(a, "2026-11").unwrap_or_else(|e| panic!("{e}"));
    let bill = bill.unwrap_or_else(|| panic!("the November bill is frozen"));
    assert_eq!((bill.charges, bill.amount_minor), (1, 1_234));
    assert!(bill.csv.contains("ws1"), "{}", bill.csv);
    let ready: Vec<_> = kinds(&t, a).into_iter().filter(|k| *k == "monthly_bill_ready").collect();
    assert_eq!(ready.len(), 1, "announced once");
}

fn the_notifications_job_emits_expiring_and_runway_events_once(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 10_000, "bank-1");
    issue(&t, a, 500, 5);
    // SMS bills never touch vouchers: 9,000 spent in the 30-day window is 300 a day,
    // against 1,000 cash and a 500 voucher: five days of runway.
    t.settle("ws1", "b1", "sms", 9_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(&jobs, JobName::Notifications).items, 2, "{:?}", kinds(&t, a));
    assert_eq!(run(&jobs, JobName::Notifications).items, 0, "a rerun emits nothing");
    let found = kinds(&t, a);
    assert_eq!(found.iter().filter(|k| **k == "voucher_expiring").count(), 1, "{found:?}");
    assert_eq!(found.iter().filter(|k| **k == "runway_low").count(), 1, "{found:?}");
}

fn an_account_with_a_long_runway_gets_no_runway_event(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    t.settle("ws1", "b1", "sms", 3_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(&jobs, JobName::Notifications).items, 0);
}

fn the_sweeper_and_outbox_jobs_run_with_nothing_to_do(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let sweep = run(&jobs, JobName::RechargeSweeper);
    assert_eq!((sweep.items, sweep.detail.as_str()), (0, "the Alipay rail is not configured"));
    assert_eq!(run(&jobs, JobName::CloudOutbox).items, 0);
    assert_eq!(run(&jobs, JobName::Arrears).items, 0);
}

/// The arrears job warns 3 days before the lock and locks after the grace period,
/// each once, on the injected clock.
fn the_arrears_job_warns_then_locks_once(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.settle("ws1", "b1", "payg", 500).unwrap_or_else(|e| panic!("{e}"));
    t.days(11);
    assert_eq!(run(&jobs, JobName::Arrears).items, 1, "warned");
    assert_eq!(run(&jobs, JobName::Arrears).items, 0);
    t.days(3);
    assert_eq!(run(&jobs, JobName::Arrears).items, 1, "locked");
    assert_eq!(run(&jobs, JobName::Arrears).items, 0);
    let found = kinds(&t, a);
    assert_eq!(found, vec!["arrears_started", "grace_started", "lock_in_3_days", "workspace_locked"]);
}

/// Two servers on one database: the first takes the lease, the second is skipped
/// until the lease lapses (the first one stopped), then takes over.
fn two_runners_contend_and_only_one_runs_a_job_in_a_period(engine: Engine) {
    let t = spawn_app(engine);
    let first = jobs_of(&t);
    let second = Jobs::new(app_on(t.another_store(), &t.clock), auth_of(&t), JobSettings::default());
    assert!(matches!(first.run(JobName::Expiry, "server-a"), Ok(RunResult::Ran { .. })));
    match second.run(JobName::Expiry, "server-b") {
        Ok(RunResult::Skipped { holder, .. }) => assert_eq!(holder, "server-a"),
        other => panic!("the second runner must be skipped: {other:?}"),
    }
    t.clock.advance_ms(60_000);
    assert!(matches!(first.run(JobName::Expiry, "server-a"), Ok(RunResult::Ran { .. })), "the holder renews");
    let lease = JobSettings::default().lease_ms_for(JobName::Expiry);
    t.clock.advance_ms(lease + 1);
    assert!(matches!(second.run(JobName::Expiry, "server-b"), Ok(RunResult::Ran { .. })), "a lapsed lease moves");
    assert!(matches!(first.run(JobName::Expiry, "server-a"), Ok(RunResult::Skipped { .. })));
    let runs = t.app.store.jobs().job_runs(Some("expiry"), 10).unwrap_or_else(|e| panic!("{e}"));
    let holders: Vec<&str> = runs.iter().map(|r| r.run.holder.as_str()).collect();
    assert_eq!(holders, vec!["server-b", "server-a", "server-a"]);
}

/// A runner that lost its lease mid-run can neither continue nor report success.
fn a_stale_lease_holders_run_is_refused(engine: Engine) {
    let t = spawn_app(engine);
    let stale = jobs_of(&t);
    let fresh = jobs_of(&t);
    let guard = match stale.begin(JobName::Notifications, "stale") {
        Ok(Ok(guard)) => guard,
        other => panic!("begin: {other:?}"),
    };
    t.clock.advance_ms(JobSettings::default().lease_ms_for(JobName::Notifications) + 1);
    assert!(matches!(fresh.run(JobName::Notifications, "fresh"), Ok(RunResult::Ran { .. })));
    let worked = stale.work(&guard);
    assert_eq!(worked.as_ref().map_err(|e| e.code), Err(ErrorCode::JobFenced));
    match stale.finish(&guard, Ok(JobReport::default())) {
        Ok(RunResult::Ran { outcome, .. }) => assert_eq!(outcome, RunOutcome::Fenced),
        other => panic!("finish: {other:?}"),
    }
    let runs = t.app.store.jobs().job_runs(Some("notifications"), 10).unwrap_or_else(|e| panic!("{e}"));
    let outcomes: Vec<RunOutcome> = runs.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, vec![RunOutcome::Succeeded, RunOutcome::Fenced]);
}

/// A run that works longer than half its lease renews it at its next check, so
/// another runner does not take the job from under it.
fn a_long_run_renews_its_lease(engine: Engine) {
    let t = spawn_app(engine);
    let long = jobs_of(&t);
    let other = jobs_of(&t);
    let lease = JobSettings::default().lease_ms_for(JobName::Expiry);
    let guard = match long.begin(JobName::Expiry, "long") {
        Ok(Ok(guard)) => guard,
        other => panic!("begin: {other:?}"),
    };
    t.clock.advance_ms(lease * 3 / 4);
    assert!(long.work(&guard).is_ok(), "past half-time the check renews");
    t.clock.advance_ms(lease * 3 / 4);
    assert!(matches!(other.run(JobName::Expiry, "other"), Ok(RunResult::Skipped { .. })), "renewed, so still held");
    match long.finish(&guard, Ok(JobReport::default())) {
        Ok(RunResult::Ran { outcome, .. }) => assert_eq!(outcome, RunOutcome::Succeeded),
        other => panic!("finish: {other:?}"),
    }
}

/// Four servers (four stores) reach for a free lease at the same instant: one runs.
fn of_runners_racing_for_a_free_lease_exactly_one_runs(engine: Engine) {
    let t = spawn_app(engine);
    let runners: Vec<Jobs> =
        (0..4).map(|_| Jobs::new(app_on(t.another_store(), &t.clock), auth_of(&t), JobSettings::default())).collect();
    let barrier = std::sync::Barrier::new(runners.len());
    let results: Vec<RunResult> = std::thread::scope(|s| {
        let handles: Vec<_> = runners
            .iter()
            .enumerate()
            .map(|(i, jobs)| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    jobs.run(JobName::Notifications, &format!("server-{i}")).unwrap_or_else(|e| panic!("{e}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("runner panicked"))).collect()
    });
    let ran = results.iter().filter(|r| matches!(r, RunResult::Ran { .. })).count();
    assert_eq!(ran, 1, "{results:?}");
    let runs = t.app.store.jobs().job_runs(Some("notifications"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(runs.len(), 1);
}

/// A run by hand gives the lease back, so the server's next run is not skipped.
fn a_run_by_hand_gives_the_lease_back(engine: Engine) {
    let t = spawn_app(engine);
    let jobs = jobs_of(&t);
    assert!(matches!(jobs.run_by_hand(JobName::Expiry, "cli"), Ok(RunResult::Ran { .. })));
    assert!(matches!(jobs.run(JobName::Expiry, "server"), Ok(RunResult::Ran { .. })));
    let unknown = JobName::parse("nope").map_err(|e| e.field);
    assert_eq!(unknown, Err(Some("job")));
}

engine_tests!(
    the_expiry_job_writes_off_once_and_a_rerun_does_nothing,
    the_monthly_bills_job_freezes_last_month_after_the_3rd_only_and_once,
    the_notifications_job_emits_expiring_and_runway_events_once,
    an_account_with_a_long_runway_gets_no_runway_event,
    the_sweeper_and_outbox_jobs_run_with_nothing_to_do,
    the_arrears_job_warns_then_locks_once,
    two_runners_contend_and_only_one_runs_a_job_in_a_period,
    a_stale_lease_holders_run_is_refused,
    a_run_by_hand_gives_the_lease_back,
    a_long_run_renews_its_lease,
    of_runners_racing_for_a_free_lease_exactly_one_runs,
);
