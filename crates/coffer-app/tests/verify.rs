//! The verifier finds tampering: an edited posting, a changed stored balance, a
//! deleted journal transaction. The same SQL runs on both engines.

mod common;

use common::*;

fn ledger_with_history(engine: Engine) -> TestApp {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 10_000, "bank-1");
    for n in 0..5 {
        t.settle("ws1", &format!("b{n}"), "payg", 1_500).unwrap_or_else(|e| panic!("{e}"));
    }
    t.assert_clean();
    t
}

/// Edits the database behind the store's back, then asks the verifier.
fn tamper(t: &TestApp, sql: &str) -> Vec<String> {
    t.tamper(sql);
    t.app.verify().unwrap_or_else(|e| panic!("{e}")).problems
}

fn an_edited_posting_breaks_the_hash_chain_and_the_balances(engine: Engine) {
    let t = ledger_with_history(engine);
    let problems =
        tamper(&t, "UPDATE posting SET amount_minor = amount_minor + 1 WHERE journal_tx_id = 3 AND posting_idx = 0");
    assert!(problems.iter().any(|p| p.contains("hash does not match")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("do not sum to zero")), "{problems:?}");
}

fn a_changed_stored_balance_is_reported(engine: Engine) {
    let t = ledger_with_history(engine);
    let problems = tamper(&t, "UPDATE ledger_account SET balance_minor = balance_minor + 100 WHERE book = 'revenue'");
    assert!(problems.iter().any(|p| p.contains("differs from the journal")), "{problems:?}");
}

fn a_deleted_journal_transaction_is_reported(engine: Engine) {
    let t = ledger_with_history(engine);
    let problems =
        tamper(&t, "DELETE FROM posting WHERE journal_tx_id = 2; DELETE FROM journal_tx WHERE journal_tx_id = 2;");
    assert!(problems.iter().any(|p| p.contains("sequence gap")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("previous hash")), "{problems:?}");
}

engine_tests!(
    an_edited_posting_breaks_the_hash_chain_and_the_balances,
    a_changed_stored_balance_is_reported,
    a_deleted_journal_transaction_is_reported,
);
