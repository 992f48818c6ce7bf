//! Group commit: concurrent charges share one durable transaction without weakening
//! any rule of a single charge. Batches are forced by configuration (a batch of
//! exactly N, with a wait long enough that N callers always arrive), never by timing
//! assertions.

mod common;

use std::sync::Arc;
use std::time::Duration;

use coffer_app::group_commit::GroupConfig;
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_app::use_cases::charges::{ChargeSettled, SettleCharge};
use coffer_app::{App, AppResult, ErrorCode};
use coffer_core::ids::AccountId;
use common::*;

/// A batch of exactly `n`: the writer waits (up to a minute) until `n` callers queued.
fn batch_of(n: usize) -> GroupConfig {
    GroupConfig { max_batch: n, max_wait: Duration::from_secs(60) }
}

fn charge(app: &App, workspace_id: &str, bill_id: &str, amount_minor: i64, currency: &str) -> AppResult<ChargeSettled> {
    app.settle_charge(&SettleCharge {
        workspace_id,
        bill_id,
        category: "payg",
        amount_minor,
        currency,
        bill_date: "2026-11-25",
    })
}

/// Runs each (workspace, bill, amount, currency) on its own thread at once.
fn concurrently(app: &App, requests: &[(&str, &str, i64, &str)]) -> Vec<AppResult<ChargeSettled>> {
    let handles: Vec<_> = requests
        .iter()
        .map(|&(ws, bill, amount, currency)| {
            let (app, ws, bill, currency) = (app.clone(), ws.to_owned(), bill.to_owned(), currency.to_owned());
            std::thread::spawn(move || charge(&app, &ws, &bill, amount, &currency))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("caller panicked"))).collect()
}

fn account_owing_nothing(t: &TestApp) -> AccountId {
    let req = CreateAccount {
        name: "No arrears",
        currency: "CNY",
        time_zone: None,
        arrears_limit_minor: Some(0),
        idempotency_key: None,
    };
    t.app.create_account(&req).unwrap_or_else(|e| panic!("create account: {e}")).account.id
}

fn many_concurrent_callers_each_get_their_charge_settled_and_the_ledger_verifies(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 50_000, "bank-1");
    let app = t.app.clone().with_group_commit(GroupConfig::default());
    let callers: Vec<_> = (0..8)
        .map(|caller| {
            let app = app.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    let bill = format!("c{caller}-b{n}");
                    charge(&app, "ws1", &bill, 300, "CNY").unwrap_or_else(|e| panic!("settle: {e}"));
                }
            })
        })
        .collect();
    callers.into_iter().for_each(|h| h.join().unwrap_or_else(|_| panic!("caller panicked")));
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((o.cash_minor, o.arrears_owed_minor), (0, 200 * 300 - 50_000));
    let report = t.app.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.charges, 200);
}

fn refused_charges_in_a_batch_leave_no_trace_and_the_others_commit(engine: Engine) {
    let t = spawn_app(engine);
    let a = account_owing_nothing(&t);
    t.bind(a, "ws1");
    t.credit(a, 1_000, "bank-1");
    let before = t.journal_size();
    let app = t.app.clone().with_group_commit(batch_of(5));
    // Whatever the arrival order, 600 and 300 fit in the 1,000 and 5,000 never does.
    let results = concurrently(
        &app,
        &[("ws1", "ok-1", 600, "CNY"), ("ws1", "too-big", 5_000, "CNY"), ("ws1", "ok-2", 300, "CNY")]
            .into_iter()
            .chain([("ws1", "usd", 100, "USD"), ("nowhere", "lost", 100, "CNY")])
            .collect::<Vec<_>>(),
    );
    let codes: Vec<Option<ErrorCode>> = results.iter().map(|r| r.as_ref().err().map(|e| e.code)).collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some(ErrorCode::ArrearsLimitExceeded),
            None,
            Some(ErrorCode::CurrencyMismatch),
            Some(ErrorCode::WorkspaceNotFound)
        ]
    );
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.cash_minor, 100);
    let after = t.journal_size();
    assert_eq!(after.0, before.0 + 2, "exactly the two settled charges were journaled");
}

fn a_bill_posted_twice_in_one_batch_settles_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 1_000, "bank-1");
    let app = t.app.clone().with_group_commit(batch_of(2));
    let results = concurrently(&app, &[("ws1", "same", 400, "CNY"), ("ws1", "same", 400, "CNY")]);
    let settled: Vec<ChargeSettled> = results.into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert_eq!(settled[0].charge.id, settled[1].charge.id);
    let replays: Vec<bool> = settled.iter().map(|s| s.replayed).collect();
    assert!(replays.contains(&true) && replays.contains(&false), "{replays:?}");
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.cash_minor, 600);
    t.assert_clean();
}

fn a_conflicting_bill_in_the_same_batch_is_refused_and_the_first_stands(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 1_000, "bank-1");
    let app = t.app.clone().with_group_commit(batch_of(2));
    let results = concurrently(&app, &[("ws1", "dup", 400, "CNY"), ("ws1", "dup", 500, "CNY")]);
    let refused = results.iter().filter(|r| matches!(r, Err(e) if e.code == ErrorCode::BillConflict)).count();
    let settled: Vec<i64> = results.iter().flatten().map(|s| s.charge.charge.amount.minor()).collect();
    assert_eq!((refused, settled.len()), (1, 1));
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.cash_minor, 1_000 - settled[0]);
    t.assert_clean();
}

fn charges_of_one_caller_settle_in_the_order_sent(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 10_000, "bank-1");
    let app = t.app.clone().with_group_commit(GroupConfig::default());
    let ids: Vec<i64> = (0..20)
        .map(|n| charge(&app, "ws1", &format!("b{n}"), 100, "CNY").unwrap_or_else(|e| panic!("{e}")).charge.id.0)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    drop(app);
    t.assert_clean();
}

fn the_committer_stops_when_the_last_app_holding_it_is_dropped(engine: Engine) {
    let t = spawn_app(engine);
    let app = t.app.clone().with_group_commit(GroupConfig::default());
    let group = app.group.clone().unwrap_or_else(|| panic!("group commit is on"));
    let weak = Arc::downgrade(&group);
    drop((group, app));
    assert!(weak.upgrade().is_none());
}

engine_tests!(
    many_concurrent_callers_each_get_their_charge_settled_and_the_ledger_verifies,
    refused_charges_in_a_batch_leave_no_trace_and_the_others_commit,
    a_bill_posted_twice_in_one_batch_settles_once,
    a_conflicting_bill_in_the_same_batch_is_refused_and_the_first_stands,
    charges_of_one_caller_settle_in_the_order_sent,
    the_committer_stops_when_the_last_app_holding_it_is_dropped,
);
