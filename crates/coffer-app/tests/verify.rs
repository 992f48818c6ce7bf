//! The verifier finds tampering: an edited posting, a changed stored balance, a
//! deleted journal transaction.

mod common;

use common::*;
use rusqlite::Connection;

fn ledger_with_history() -> TestApp {
    let t = spawn_app();
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 10_000, "bank-1");
    for n in 0..5 {
        t.settle("ws1", &format!("b{n}"), "payg", 1_500)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    t.assert_clean();
    t
}

fn tamper(t: &TestApp, sql: &str) -> Vec<String> {
    let conn = Connection::open(t.dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
    t.app.verify().unwrap_or_else(|e| panic!("{e}")).problems
}

#[test]
fn an_edited_posting_breaks_the_hash_chain_and_the_balances() {
    let t = ledger_with_history();
    let problems = tamper(&t, "UPDATE posting SET amount_minor = amount_minor + 1 WHERE journal_tx_id = 3 AND posting_idx = 0");
    assert!(
        problems.iter().any(|p| p.contains("hash does not match")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("do not sum to zero")),
        "{problems:?}"
    );
}

#[test]
fn a_changed_stored_balance_is_reported() {
    let t = ledger_with_history();
    let problems = tamper(
        &t,
        "UPDATE ledger_account SET balance_minor = balance_minor + 100 WHERE book = 'revenue'",
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("differs from the journal")),
        "{problems:?}"
    );
}

#[test]
fn a_deleted_journal_transaction_is_reported() {
    let t = ledger_with_history();
    let problems = tamper(&t, "PRAGMA foreign_keys = OFF; DELETE FROM posting WHERE journal_tx_id = 2; DELETE FROM journal_tx WHERE journal_tx_id = 2;");
    assert!(
        problems.iter().any(|p| p.contains("sequence gap")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("previous hash")),
        "{problems:?}"
    );
}
