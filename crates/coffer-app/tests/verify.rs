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

/// The charge pass runs beside the journal pass and matches each charge against
/// its journal transaction afterwards; a mismatch still names the one charge.
fn a_charge_that_no_longer_matches_its_journal_transaction_is_named(engine: Engine) {
    let t = ledger_with_history(engine);
    let problems = tamper(&t, "UPDATE charge SET amount_minor = amount_minor + 1 WHERE charge_id = 3");
    let unmatched: Vec<_> = problems.iter().filter(|p| p.contains("journal transaction is missing")).collect();
    assert_eq!(unmatched.len(), 1, "{problems:?}");
    assert!(unmatched[0].contains("charge 3:"), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("charge 3: deductions do not add up")), "{problems:?}");
}

/// Two charges claiming one journal transaction would be one bill paid once but
/// settled twice: the second claim is named, and the transaction it left behind
/// settles no charge.
fn a_journal_transaction_claimed_by_two_charges_is_reported(engine: Engine) {
    let t = ledger_with_history(engine);
    let problems = tamper(
        &t,
        "UPDATE charge SET journal_tx_id = (SELECT journal_tx_id FROM charge WHERE charge_id = 2) WHERE charge_id = 3",
    );
    let unmatched: Vec<_> = problems.iter().filter(|p| p.contains("claimed by another charge")).collect();
    assert_eq!(unmatched.len(), 1, "{problems:?}");
    assert!(unmatched[0].contains("charge 3:"), "{problems:?}");
    let unclaimed: Vec<_> = problems.iter().filter(|p| p.contains("settles a charge that does not exist")).collect();
    assert_eq!(unclaimed.len(), 1, "{problems:?}");
}

/// The journal is checked in spans on two threads and the spans are spliced, so a
/// wrong balance after must be found whether it falls inside a span or where two
/// meet. With 41 transactions the spans hold from ten down to one, and every
/// transaction is tampered with in turn, so every position is tried. (At a span's
/// start the wrong figure may also be reported at the next posting of that book;
/// the final balances stay right.)
fn an_edited_balance_after_is_found_wherever_it_falls_among_the_spans(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 100_000, "bank-1");
    for n in 0..40 {
        t.settle("ws1", &format!("b{n}"), "payg", 100 + n).unwrap_or_else(|e| panic!("{e}"));
    }
    t.assert_clean();
    let txs = t.journal_size().0;
    assert_eq!(txs, 41);
    for id in 1..=txs {
        let posting = format!("WHERE journal_tx_id = {id} AND posting_idx = 0");
        t.tamper(&format!("UPDATE posting SET balance_after_minor = balance_after_minor + 1 {posting}"));
        let problems = t.app.verify().unwrap_or_else(|e| panic!("{e}")).problems;
        assert!((1..=2).contains(&problems.len()), "tx {id}: {problems:?}");
        assert!(problems.iter().all(|p| p.contains("balance after is")), "tx {id}: {problems:?}");
        assert!(problems.iter().any(|p| p.contains(&format!("journal seq {id}:"))), "tx {id}: {problems:?}");
        t.tamper(&format!("UPDATE posting SET balance_after_minor = balance_after_minor - 1 {posting}"));
    }
    t.assert_clean();
}

engine_tests!(
    an_edited_balance_after_is_found_wherever_it_falls_among_the_spans,
    a_charge_that_no_longer_matches_its_journal_transaction_is_named,
    a_journal_transaction_claimed_by_two_charges_is_reported,
    an_edited_posting_breaks_the_hash_chain_and_the_balances,
    a_changed_stored_balance_is_reported,
    a_deleted_journal_transaction_is_reported,
);

/// SQLite stores hashes as their 32 bytes since migration 0009; a database written
/// before, with hex text, is converted when it is opened and still verifies clean,
/// and a store reads either form.
#[test]
fn a_sqlite_ledger_with_hex_text_hashes_is_converted_on_open_and_stays_clean() {
    let t = ledger_with_history(Engine::Sqlite);
    let text = "UPDATE journal_tx SET prev_hash = lower(hex(prev_hash)), hash = lower(hex(hash)); \
                UPDATE billing_account SET journal_head = lower(hex(journal_head)); \
                UPDATE charge SET fingerprint = lower(hex(fingerprint));";
    t.tamper(text);
    // The old form reads back the same: still clean before any migration.
    t.assert_clean();
    t.tamper("PRAGMA user_version = 8;");
    let reopened = app_on(t.another_store(), &t.clock);
    let report = reopened.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.charges, 5);
    let Database::Sqlite(dir) = &t.db else { unreachable!("a SQLite test") };
    let conn = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}"));
    let sql = "SELECT (SELECT count(*) FROM journal_tx WHERE typeof(hash) = 'text' OR typeof(prev_hash) = 'text') \
                    + (SELECT count(*) FROM billing_account WHERE typeof(journal_head) = 'text') \
                    + (SELECT count(*) FROM charge WHERE typeof(fingerprint) = 'text')";
    let still_text: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(still_text, 0);
}
