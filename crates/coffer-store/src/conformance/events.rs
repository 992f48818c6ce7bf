//! Conformance checks of the event feed and the workspace arrears states.

use coffer_core::arrears::ArrearsState;
use coffer_core::event::{EventKind, EventMoney, NewEvent};
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;
use coffer_core::workspace::{Settlement, Workspace};

use super::{new_account, ok};
use crate::events::Appended;
use crate::{Store, WriteTx};

fn event(account: AccountId, key: &str, at: i64) -> NewEvent {
    NewEvent::new(account, EventKind::RechargeSucceeded, Timestamp(at), key.to_owned())
}

fn seq(tx: &mut dyn WriteTx, new: &NewEvent) -> i64 {
    ok(tx.append_event(new)).seq()
}

/// Each account counts 1, 2, 3 …; a repeated dedup key appends nothing and
/// answers with the stored event's numbers.
pub fn events_are_numbered_per_account_and_appended_once_per_dedup_key(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let b = new_account(tx.as_mut());
    let full = NewEvent {
        workspace_id: Some(WorkspaceId::parse("ws-1").unwrap_or_else(|e| panic!("{e:?}"))),
        subject_id: Some("voucher:7".into()),
        amount: Some(EventMoney { minor: 0, currency: Currency::Cny }),
        until: Some(Timestamp(99)),
        ..event(a, "a-1", 10)
    };
    let first = ok(tx.append_event(&full));
    assert!(matches!(first, Appended::New { seq: 1, .. }));
    assert_eq!(seq(tx.as_mut(), &event(a, "a-2", 11)), 2);
    assert_eq!(seq(tx.as_mut(), &event(b, "a-1", 12)), 1, "dedup keys are scoped to the account");
    let again = ok(tx.append_event(&event(a, "a-1", 13)));
    assert_eq!(
        again,
        Appended::AlreadyThere {
            id: match first {
                Appended::New { id, .. } | Appended::AlreadyThere { id, .. } => id,
            },
            seq: 1
        }
    );
    assert_eq!(seq(tx.as_mut(), &event(a, "a-3", 14)), 3, "a repeated key leaves no gap");
    ok(tx.commit());
    let mut r = ok(store.read());
    let feed = ok(r.events_after(a, 0, 10));
    assert_eq!(feed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(feed[0].event, full, "every field round-trips");
    assert_eq!(ok(r.events_after(a, 1, 1)).iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
}

/// A negative amount is refused by the store too.
pub fn an_event_amount_below_zero_is_refused(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let bad = NewEvent { amount: Some(EventMoney { minor: -1, currency: Currency::Cny }), ..event(a, "k", 1) };
    assert!(tx.append_event(&bad).is_err());
    assert_eq!(seq(tx.as_mut(), &event(a, "k", 2)), 1, "the refused event left nothing behind");
}

/// Events rolled back to a savepoint (a refused charge in a group commit) leave no
/// gap in the account's numbering; the global cursor reads every account in order.
pub fn events_since_reads_every_account_in_commit_order(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let b = new_account(tx.as_mut());
    ok(tx.commit());
    let mut tx = ok(store.begin_write());
    seq(tx.as_mut(), &event(a, "1", 1));
    ok(tx.savepoint());
    seq(tx.as_mut(), &event(a, "undone", 2));
    ok(tx.rollback_to_savepoint());
    seq(tx.as_mut(), &event(b, "1", 3));
    assert_eq!(seq(tx.as_mut(), &event(a, "2", 4)), 2);
    ok(tx.commit());
    let mut r = ok(store.read());
    let all = ok(r.events_since(0, 10));
    let keys: Vec<(AccountId, &str)> = all.iter().map(|e| (e.event.account_id, e.event.dedup_key.as_str())).collect();
    assert_eq!(keys, vec![(a, "1"), (b, "1"), (a, "2")]);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let rest = ok(r.events_since(all[0].id, 10));
    assert_eq!(rest.len(), 2);
}

/// Grace and locked states round-trip; normal deletes the row; unbinding the
/// workspace removes its state.
pub fn workspace_arrears_states_round_trip(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let ws = |name: &str| Workspace {
        id: WorkspaceId::parse(name).unwrap_or_else(|e| panic!("{e:?}")),
        account_id: a,
        settlement: Settlement::BillingCenter,
        settlement_changed_in: None,
        cloud_subscription_active: false,
    };
    let (one, two) = (ws("ws-one"), ws("ws-two"));
    ok(tx.upsert_workspace(&one, Timestamp(1)));
    ok(tx.upsert_workspace(&two, Timestamp(1)));
    assert_eq!(ok(tx.workspace_arrears(&one.id)), ArrearsState::Normal);
    let grace = ArrearsState::Grace { since: Timestamp(5), warned: true };
    let locked = ArrearsState::Locked { since: Timestamp(5), at: Timestamp(9) };
    ok(tx.put_workspace_arrears(&one.id, a, grace));
    ok(tx.put_workspace_arrears(&two.id, a, locked));
    ok(tx.commit());
    let mut r = ok(store.read());
    assert_eq!(ok(r.workspace_arrears(&one.id)), grace);
    let states: Vec<ArrearsState> = ok(r.workspace_arrears_of(a)).into_iter().map(|w| w.state).collect();
    assert_eq!(states, vec![grace, locked]);
    assert_eq!(ok(r.accounts_in_grace(AccountId(0), 10)), vec![a]);
    assert_eq!(ok(r.accounts_in_grace(a, 10)), vec![]);
    drop(r);
    let mut tx = ok(store.begin_write());
    ok(tx.put_workspace_arrears(&one.id, a, ArrearsState::Normal));
    ok(tx.delete_workspace(&two.id));
    assert_eq!(ok(tx.workspace_arrears_of(a)), vec![]);
    assert_eq!(ok(tx.accounts_in_grace(AccountId(0), 10)), vec![]);
}
