//! Two connections (each with its own writer, as two processes would have) settle
//! charges on one account at once: no fen is lost or spent twice.

mod common;

use std::sync::Arc;

use coffer_app::use_cases::charges::SettleCharge;
use coffer_app::{App, AppConfig};
use coffer_store_sqlite::SqliteStore;
use common::*;

const PER_WRITER: i64 = 60;

#[test]
fn two_writers_on_one_file_settle_charges_without_losing_or_double_spending() {
    let t = spawn_app();
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    let path = t.dir.path().join("coffer.db");
    let handles: Vec<_> = (0..2)
        .map(|writer| {
            let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
            let app = App::new(
                Arc::new(store),
                AppConfig::with_code_key(vec![7; 32]),
                t.clock.clone(),
            );
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
                    app.settle_charge(&req)
                        .unwrap_or_else(|e| panic!("settle: {e}"));
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

#[test]
fn the_same_bill_posted_concurrently_settles_once() {
    let t = spawn_app();
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    let path = t.dir.path().join("coffer.db");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
            let app = App::new(
                Arc::new(store),
                AppConfig::with_code_key(vec![7; 32]),
                t.clock.clone(),
            );
            std::thread::spawn(move || {
                let req = SettleCharge {
                    workspace_id: "ws1",
                    bill_id: "same",
                    category: "payg",
                    amount_minor: 5_000,
                    currency: "CNY",
                    bill_date: "2026-11-25",
                };
                app.settle_charge(&req)
                    .map(|s| s.charge.id)
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        })
        .collect();
    let ids: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| panic!("panicked")))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "every caller sees the one settlement"
    );
    assert_eq!(
        t.app.account_overview(a).map(|o| o.cash_minor).ok(),
        Some(95_000)
    );
}
