//! How long the `arrears` job takes over many accounts in grace (issue 8). Ignored by
//! default (it measures rather than checks); run with
//! `cargo test --release -p coffer-app --test arrears_scale -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;

const ACCOUNTS: usize = 300;

fn advance_arrears_over_many_accounts(engine: Engine) {
    let t = spawn_app(engine);
    let started = Instant::now();
    for n in 0..ACCOUNTS {
        let a = t.account("CNY");
        let ws = format!("ws-{n}");
        t.bind(a, &ws);
        t.settle(&ws, "b1", "payg", 100).unwrap_or_else(|e| panic!("{e}"));
    }
    let setup = started.elapsed();
    let run = |days: i64| {
        t.days(days);
        let clock = Instant::now();
        let report = t.app.advance_arrears(t.app.now()).unwrap_or_else(|e| panic!("{e}"));
        (report, clock.elapsed())
    };
    let (warned, warn_time) = run(11);
    let (rerun, rerun_time) = run(0);
    let (locked, lock_time) = run(3);
    let (after, after_time) = run(0);
    assert_eq!((warned.warned, rerun.warned, locked.locked, after.accounts), (ACCOUNTS as u32, 0, ACCOUNTS as u32, 0));
    println!(
        "{engine:?}: {ACCOUNTS} accounts set up in {setup:?}; warn pass {warn_time:?}, rerun {rerun_time:?}, \
         lock pass {lock_time:?}, pass with none in grace {after_time:?}"
    );
}

mod sqlite {
    #[test]
    #[ignore = "a measurement"]
    fn advance_arrears_over_many_accounts() {
        super::advance_arrears_over_many_accounts(super::Engine::Sqlite)
    }
}

mod postgres {
    #[test]
    #[ignore = "a measurement"]
    fn advance_arrears_over_many_accounts() {
        super::advance_arrears_over_many_accounts(super::Engine::Postgres)
    }
}
