//! What the PostgreSQL store adds to the shared conformance suite: migrations under
//! an advisory lock, refused writes that leave the transaction usable, snapshot read
//! views, and lock conflicts reported as `Busy`.

use std::sync::{Arc, Barrier};

use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;
use coffer_store::records::{IdempotencyRecord, NewAccount};
use coffer_store::{Store, StoreError, WriteTx};
use coffer_store_postgres::testing::{empty_db, fresh_store};
use coffer_store_postgres::PostgresStore;

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap_or_else(|e| panic!("store call failed: {e}"))
}

fn new_account(tx: &mut dyn WriteTx) -> AccountId {
    ok(tx.insert_account(&NewAccount {
        name: "Postgres".into(),
        currency: Currency::Cny,
        time_zone: "Asia/Shanghai".into(),
        arrears_limit_minor: None,
        created_at: Timestamp(1),
    }))
}

#[test]
fn servers_starting_at_once_on_an_empty_database_apply_the_migrations_once() {
    let db = Arc::new(empty_db());
    let start = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                PostgresStore::connect(db.url()).map(drop)
            })
        })
        .collect();
    for h in handles {
        ok(h.join().unwrap_or_else(|_| panic!("connect panicked")));
    }
    let versions: Vec<i64> = db
        .client()
        .query("SELECT version FROM schema_migration ORDER BY version", &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Every migration exactly once, in order (however many there are by now).
    assert!(versions.len() >= 2, "{versions:?}");
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
}

#[test]
fn a_refused_write_keeps_the_transactions_earlier_writes() {
    let store = fresh_store();
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let key = IdempotencyRecord {
        scope: "global".into(),
        key: "k".into(),
        fingerprint: "f".into(),
        result_ref: format!("account:{id}"),
        created_at: Timestamp(1),
    };
    ok(tx.put_idempotency(&key));
    match tx.put_idempotency(&key) {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, "idempotency_pkey"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    ok(tx.commit());
    let mut r = ok(store.read());
    assert!(ok(r.account(id)).is_some());
    assert_eq!(ok(r.idempotency("global", "k")), Some(key));
}

#[test]
fn conflicts_name_the_constraint_as_the_schema_does() {
    let store = fresh_store();
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let seq = |n| coffer_store::records::NewJournalTx {
        account_id: id,
        seq: n,
        kind: coffer_core::journal::EntryKind::CashCredit,
        memo: String::new(),
        at: Timestamp(1),
        postings: vec![
            coffer_core::journal::Posting::new(coffer_core::journal::Book::Revenue, 0, 5),
            coffer_core::journal::Posting::new(coffer_core::journal::Book::Cash, 0, -5),
        ],
        prev_hash: coffer_store::records::GENESIS_HASH.into(),
        hash: "h".into(),
    };
    match tx.append_journal(&seq(1)) {
        Err(StoreError::Conflict { constraint }) => {
            assert_eq!(constraint, "customer_balance_non_negative")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(ok(tx.account(id)).map(|a| a.journal_seq), Some(0), "the refused entry left nothing behind");
}

#[test]
fn a_read_view_sees_one_snapshot() {
    let store = fresh_store();
    let mut view = ok(store.read());
    assert_eq!(ok(view.accounts()).len(), 0);
    let mut tx = ok(store.begin_write());
    new_account(tx.as_mut());
    ok(tx.commit());
    assert_eq!(ok(view.accounts()).len(), 0, "a view keeps the snapshot it started with");
    drop(view);
    assert_eq!(ok(ok(store.read()).accounts()).len(), 1);
}

/// The application never locks two accounts in one transaction; if something did,
/// in opposite orders, PostgreSQL breaks the deadlock and the victim sees `Busy`.
#[test]
fn a_deadlock_between_two_writers_is_reported_as_busy() {
    let fresh = fresh_store();
    let mut tx = ok(fresh.begin_write());
    let (a, b) = (new_account(tx.as_mut()), new_account(tx.as_mut()));
    ok(tx.commit());
    let store: Arc<dyn Store> = Arc::new(fresh.db.store());
    let locked = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [(a, b), (b, a)]
        .into_iter()
        .map(|(first, second)| {
            let (store, locked) = (store.clone(), locked.clone());
            std::thread::spawn(move || {
                let mut tx = ok(store.begin_write());
                ok(tx.lock_account(first));
                locked.wait();
                let result = tx.lock_account(second).map(drop);
                drop(tx);
                result
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("writer panicked"))).collect();
    assert_eq!(results.iter().filter(|r| matches!(r, Err(StoreError::Busy))).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
}
