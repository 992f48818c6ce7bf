//! Several stores on one database (each with its own connections, as separate server
//! processes would have) write to one account at once: no fen is lost or spent
//! twice. On SQLite the writers share a file; on PostgreSQL each has its own
//! connection pool and they serialize on the account's row lock.

mod common;

use std::sync::{Arc, Barrier};

use coffer_app::use_cases::charges::SettleCharge;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::ValidityInput;
use coffer_app::ErrorCode;
use common::*;

const PER_WRITER: i64 = 60;

fn two_writers_on_one_database_settle_charges_without_losing_or_double_spending(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    let handles: Vec<_> = (0..2)
        .map(|writer| {
            let app = app_on(t.another_store(), &t.clock);
            std::thread::spawn(move || {
                for n in 0..PER_WRITER {
                    let bill_id = format!("w{writer}-b{n}");
                    let req = SettleCharge {
                        workspace_id: "ws1",
                        bill_id: &bill_id,
                        category: "payg",
                        amount_minor: 1_000,
                        currency: "CNY",
                        bill_date: "2026-11-25",
                    };
                    app.settle_charge(&req).unwrap_or_else(|e| panic!("settle: {e}"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap_or_else(|_| panic!("writer panicked"));
    }
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    let spent = 2 * PER_WRITER * 1_000;
    assert_eq!(o.cash_minor, (100_000 - spent).max(0));
    assert_eq!(o.arrears_owed_minor, (spent - 100_000).max(0));
    let report = t.app.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.charges, 2 * PER_WRITER as u64);
}

fn the_same_bill_posted_concurrently_settles_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let app = app_on(t.another_store(), &t.clock);
            std::thread::spawn(move || {
                let req = SettleCharge {
                    workspace_id: "ws1",
                    bill_id: "same",
                    category: "payg",
                    amount_minor: 5_000,
                    currency: "CNY",
                    bill_date: "2026-11-25",
                };
                app.settle_charge(&req).map(|s| s.charge.id).unwrap_or_else(|e| panic!("{e}"))
            })
        })
        .collect();
    let ids: Vec<_> = handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("panicked"))).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "every caller sees the one settlement");
    assert_eq!(t.app.account_overview(a).map(|o| o.cash_minor).ok(), Some(95_000));
}

/// Two accounts redeem the same codes at the same moment, through different
/// stores. Each account's lock does not cover the other, so only the code itself
/// (locked by the lookup inside the write transaction) can make them take turns:
/// exactly one wins each code and the other is told it was already used.
fn one_code_redeemed_by_two_accounts_at_once_goes_to_exactly_one(engine: Engine) {
    // Fewer than the 10 failed attempts an account may make per hour: a lost race
    // counts as one.
    const CODES: usize = 8;
    let t = spawn_app(engine);
    let accounts = [t.account("CNY"), t.account("CNY")];
    let generated = t.app.generate_codes(&GenerateCodes {
        kind: "standard",
        face_value_minor: 1_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        count: CODES as u32,
        memo: "race",
    });
    let codes: Arc<Vec<String>> =
        Arc::new(generated.unwrap_or_else(|e| panic!("{e}")).codes.iter().map(|c| c.display_grouped()).collect());
    let start = Arc::new(Barrier::new(2));
    let handles: Vec<_> = accounts
        .iter()
        .map(|&account| {
            let app = app_on(t.another_store(), &t.clock);
            let (codes, start) = (codes.clone(), start.clone());
            std::thread::spawn(move || {
                codes
                    .iter()
                    .map(|code| {
                        start.wait();
                        app.activate_code(account, code).map(|_| ()).map_err(|e| e.code)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let outcomes: Vec<Vec<_>> =
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("redeemer panicked"))).collect();
    for (n, (first, second)) in outcomes[0].iter().zip(&outcomes[1]).enumerate() {
        let mut pair = [*first, *second];
        pair.sort_by_key(|o| o.is_err());
        assert_eq!(
            pair,
            [Ok(()), Err(ErrorCode::CodeAlreadyUsed)],
            "code {n}: one redemption, and a clear refusal for the other"
        );
    }
    let balances: i64 = accounts
        .iter()
        .map(|&a| t.app.account_overview(a).map(|o| o.voucher_balance_minor).unwrap_or_else(|e| panic!("{e}")))
        .sum();
    assert_eq!(balances, CODES as i64 * 1_000);
    t.assert_clean();
}

/// Runs `op` on `n` threads, each with its own store, released at once; returns the
/// outcomes' error codes.
fn race<T: Send + 'static>(
    t: &TestApp,
    n: usize,
    op: impl Fn(&coffer_app::App, usize) -> coffer_app::AppResult<T> + Send + Sync + 'static,
) -> Vec<Result<(), ErrorCode>> {
    let op = Arc::new(op);
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let app = app_on(t.another_store(), &t.clock);
            let (op, barrier) = (op.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                op(&app, i).map(drop).map_err(|e| e.code)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("racer panicked"))).collect()
}

/// Regression: on PostgreSQL two accounts binding one workspace at once both
/// succeeded and the later silently took it.
fn one_workspace_bound_by_two_accounts_at_once_goes_to_exactly_one(engine: Engine) {
    let t = spawn_app(engine);
    let accounts = [t.account("CNY"), t.account("CNY")];
    let outcomes = race(&t, 2, move |app, i| {
        app.bind_workspace(&coffer_app::use_cases::workspaces::BindWorkspace {
            account_id: accounts[i],
            workspace_id: "contested",
            settlement: "billing_center",
            cloud_provider: None,
            cloud_account_id: None,
        })
    });
    let mut sorted = outcomes.clone();
    sorted.sort_by_key(|o| o.is_err());
    assert_eq!(sorted, vec![Ok(()), Err(ErrorCode::WorkspaceBoundElsewhere)], "{outcomes:?}");
}

/// Regression: on PostgreSQL two customer settlement changes in one month both
/// succeeded, bypassing the once-a-month rule.
fn two_settlement_changes_in_one_month_at_once_let_exactly_one_through(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    let outcomes = race(&t, 2, |app, i| {
        let (settlement, provider, id) =
            if i == 0 { ("cloud", Some("aws"), Some("1")) } else { ("cloud", Some("azure"), Some("2")) };
        app.change_settlement(&coffer_app::use_cases::workspaces::ChangeSettlement {
            workspace_id: "ws1",
            settlement,
            cloud_provider: provider,
            cloud_account_id: id,
            authority: coffer_core::workspace::ChangeAuthority::Customer,
        })
    });
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Ok(()) | Err(ErrorCode::CloudSubscriptionActive | ErrorCode::SettlementChangedThisMonth)
        )),
        "{outcomes:?}"
    );
}

engine_tests!(
    one_workspace_bound_by_two_accounts_at_once_goes_to_exactly_one,
    two_settlement_changes_in_one_month_at_once_let_exactly_one_through,
    two_writers_on_one_database_settle_charges_without_losing_or_double_spending,
    the_same_bill_posted_concurrently_settles_once,
    one_code_redeemed_by_two_accounts_at_once_goes_to_exactly_one,
);
