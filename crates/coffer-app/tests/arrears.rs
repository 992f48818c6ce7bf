//! Issue 8: the arrears lifecycle (DOMAIN §9) and the account event feed, on both
//! engines with the manual clock.

mod common;

use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::cash::CreditCash;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_app::use_cases::workspaces::ChangeSettlement;
use coffer_app::ErrorCode;
use coffer_core::arrears::ArrearsState;
use coffer_core::event::{Event, EventKind};
use coffer_core::ids::AccountId;
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_core::workspace::ChangeAuthority;
use common::*;

fn feed(t: &TestApp, account: AccountId) -> Vec<Event> {
    t.app.account_events(account, 0, 1000).unwrap_or_else(|e| panic!("feed: {e}")).events
}

fn kinds(t: &TestApp, account: AccountId) -> Vec<&'static str> {
    feed(t, account).iter().map(|e| e.event.kind.as_str()).collect()
}

fn state(t: &TestApp, workspace: &str) -> ArrearsState {
    t.app.workspace_state(workspace).unwrap_or_else(|e| panic!("state: {e}")).state
}

fn owe(t: &TestApp, workspace: &str, bill: &str, minor: i64) {
    t.settle(workspace, bill, "payg", minor).unwrap_or_else(|e| panic!("settle: {e}"));
}

fn advance(t: &TestApp) -> coffer_app::use_cases::arrears::ArrearsAdvanced {
    t.app.advance_arrears(t.app.now()).unwrap_or_else(|e| panic!("advance: {e}"))
}

/// An account owing money for the first time: its billing-center workspaces enter
/// grace, its cloud workspaces stay normal, and the feed says so.
fn issue_8_the_first_arrears_start_a_grace_period_for_billing_center_workspaces(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws-bc");
    t.bind_cloud(a, "ws-cloud");
    assert_eq!(state(&t, "ws-bc"), ArrearsState::Normal);
    owe(&t, "ws-bc", "b1", 500);
    assert_eq!(state(&t, "ws-bc"), ArrearsState::Grace { since: T0, warned: false });
    assert_eq!(state(&t, "ws-cloud"), ArrearsState::Normal);
    let view = t.app.workspace_state("ws-bc").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.grace_until, Some(T0.plus_days(14)));
    assert_eq!(view.account_id, a);
    let events = feed(&t, a);
    assert_eq!(kinds(&t, a), vec!["arrears_started", "grace_started"]);
    assert_eq!(events[0].event.amount.map(|m| m.minor), Some(500));
    assert_eq!(events[1].event.workspace_id.as_ref().map(|w| w.as_str()), Some("ws-bc"));
    t.assert_clean();
}

/// More charges while in grace neither restart the grace period nor repeat events.
fn issue_8_more_arrears_during_grace_do_not_restart_it(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 500);
    t.days(5);
    owe(&t, "ws1", "b2", 700);
    assert_eq!(state(&t, "ws1"), ArrearsState::Grace { since: T0, warned: false });
    assert_eq!(kinds(&t, a), vec!["arrears_started", "grace_started"]);
}

/// advance_arrears warns once 3 days before the lock and locks after 14 days; a
/// rerun appends nothing; charges from a locked workspace are still settled.
fn issue_8_grace_ends_in_a_lock_after_fourteen_days_with_one_warning(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 500);
    t.days(10);
    assert_eq!(advance(&t).warned, 0);
    t.days(1);
    assert_eq!(advance(&t).warned, 1);
    assert_eq!(advance(&t).warned, 0, "the warning is given once");
    t.clock.advance_ms(3 * MS_PER_DAY - 1);
    assert_eq!(advance(&t).locked, 0);
    t.clock.advance_ms(1);
    let report = advance(&t);
    assert_eq!((report.locked, report.accounts), (1, 1));
    let now = t.app.now();
    assert_eq!(state(&t, "ws1"), ArrearsState::Locked { since: T0, at: now });
    let before = feed(&t, a).len();
    assert_eq!(advance(&t), Default::default(), "a locked account is no longer in grace");
    assert_eq!(feed(&t, a).len(), before, "a rerun appends nothing");
    assert_eq!(kinds(&t, a), vec!["arrears_started", "grace_started", "lock_in_3_days", "workspace_locked"]);
    let warning = &feed(&t, a)[2];
    assert_eq!(warning.event.until, Some(Timestamp(T0.0 + 14 * MS_PER_DAY)));
    owe(&t, "ws1", "b2", 100);
    let owed = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}")).arrears_owed_minor;
    assert_eq!(owed, 600, "a locked workspace's charges are still settled");
    t.assert_clean();
}

/// Repaying the arrears in full unlocks at once; a partial repayment does not.
fn issue_8_repaying_the_arrears_unlocks_the_workspace(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 500);
    t.days(14);
    advance(&t);
    assert!(matches!(state(&t, "ws1"), ArrearsState::Locked { .. }));
    t.credit(a, 200, "bank-1");
    assert!(matches!(state(&t, "ws1"), ArrearsState::Locked { .. }), "still owes 300");
    t.credit(a, 300, "bank-2");
    assert_eq!(state(&t, "ws1"), ArrearsState::Normal);
    let events = feed(&t, a);
    let tail: Vec<&str> = events.iter().rev().take(3).map(|e| e.event.kind.as_str()).collect();
    assert_eq!(tail, vec!["recharge_succeeded", "workspace_unlocked", "arrears_repaid"]);
    let unlocked = events.iter().find(|e| e.event.kind == EventKind::WorkspaceUnlocked).map(|e| e.event.clone());
    assert_eq!(unlocked.and_then(|e| e.subject_id).as_deref(), Some("locked"));
    t.assert_clean();
}

/// Moving a workspace to cloud settlement takes it out of grace (or its lock).
fn issue_8_moving_to_cloud_settlement_unlocks_the_workspace(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 500);
    let req = ChangeSettlement {
        workspace_id: "ws1",
        settlement: "cloud",
        cloud_provider: Some("aws"),
        cloud_account_id: Some("acct-9"),
        authority: ChangeAuthority::Customer,
    };
    t.app.change_settlement(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state(&t, "ws1"), ArrearsState::Normal);
    assert_eq!(kinds(&t, a).last(), Some(&"workspace_unlocked"));
    t.days(30);
    assert_eq!(advance(&t), Default::default());
}

/// A billing-center workspace bound while the account owes joins the running
/// grace period instead of starting a new one.
fn issue_8_a_workspace_bound_during_grace_shares_its_clock(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 500);
    t.days(3);
    t.bind(a, "ws2");
    assert_eq!(state(&t, "ws2"), ArrearsState::Grace { since: T0, warned: false });
    t.days(11);
    assert_eq!(advance(&t).locked, 2);
}

/// Every use case numbers its events 1, 2, 3 … per account, in its own transaction.
fn issue_8_the_event_feed_is_gapless_and_pages_by_sequence_number(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let b = t.account("CNY");
    t.bind(a, "ws1");
    t.credit(a, 1_000, "bank-1");
    t.credit(b, 1_000, "bank-2");
    t.credit(a, 1_000, "bank-1");
    let voucher = IssueVoucher {
        account_id: a,
        kind: "standard",
        face_value_minor: 5_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        idempotency_key: None,
    };
    t.app.issue_voucher(&voucher).unwrap_or_else(|e| panic!("{e}"));
    owe(&t, "ws1", "b1", 8_000);
    let events = feed(&t, a);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(kinds(&t, a), vec!["recharge_succeeded", "voucher_activated", "arrears_started", "grace_started"]);
    let page = t.app.account_events(a, 2, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((page.events.len(), page.events[0].seq, page.next_after), (1, 3, 3));
    let end = t.app.account_events(a, 4, 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((end.events.len(), end.next_after), (0, 4));
    let since: Vec<AccountId> =
        t.app.events_since(0, 100).unwrap_or_else(|e| panic!("{e}")).iter().map(|e| e.event.account_id).collect();
    assert_eq!(since, vec![a, b, a, a, a]);
}

/// Bad paging input names its field; an unknown account or workspace is not found.
fn issue_8_bad_feed_and_state_requests_name_the_field(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let e = t.app.account_events(a, -1, 10).err().map(|e| (e.code, e.field));
    assert_eq!(e, Some((ErrorCode::Validation, Some("after"))));
    let e = t.app.account_events(a, 0, 0).err().map(|e| (e.code, e.field));
    assert_eq!(e, Some((ErrorCode::Validation, Some("limit"))));
    let e = t.app.account_events(AccountId(a.0 + 100), 0, 10).err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::AccountNotFound));
    let e = t.app.workspace_state("nope").err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::WorkspaceNotFound));
}

/// A recharge credited twice (the same bank transaction) notifies once.
fn issue_8_a_replayed_credit_appends_no_second_event(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let req = CreditCash {
        account_id: a,
        amount_minor: 100,
        currency: "CNY",
        source: "online_payment",
        external_id: "T1",
        memo: "",
    };
    t.app.credit_cash(&req).unwrap_or_else(|e| panic!("{e}"));
    t.app.credit_cash(&req).unwrap_or_else(|e| panic!("{e}"));
    let events = feed(&t, a);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.subject_id.as_deref(), Some("online_payment:T1"));
}

/// Writers in separate stores (separate processes) crediting two accounts at once:
/// each account's feed counts 1..=N without a gap, and the global cursor meets every
/// event exactly once, in increasing id order.
fn issue_8_concurrent_writers_keep_every_feed_gapless(engine: Engine) {
    const PER_WRITER: usize = 25;
    let t = spawn_app(engine);
    let accounts = [t.account("CNY"), t.account("CNY")];
    let handles: Vec<_> = (0..4)
        .map(|writer| {
            let app = common::app_on(t.another_store(), &t.clock);
            std::thread::spawn(move || {
                for n in 0..PER_WRITER {
                    let external_id = format!("w{writer}-{n}");
                    let req = CreditCash {
                        account_id: accounts[(writer + n) % 2],
                        amount_minor: 100,
                        currency: "CNY",
                        source: "bank_transfer",
                        external_id: &external_id,
                        memo: "",
                    };
                    app.credit_cash(&req).unwrap_or_else(|e| panic!("credit: {e}"));
                }
            })
        })
        .collect();
    // A dispatcher polling with one cursor while the writers run must meet every event.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (app, done) = (common::app_on(t.another_store(), &t.clock), done.clone());
        std::thread::spawn(move || {
            let (mut cursor, mut seen) = (0, Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = app.events_since(cursor, 7).unwrap_or_else(|e| panic!("read: {e}"));
                cursor = batch.last().map_or(cursor, |e| e.id);
                seen.extend(batch.iter().map(|e| e.id));
                if finished && batch.is_empty() {
                    return seen;
                }
            }
        })
    };
    for h in handles {
        h.join().unwrap_or_else(|_| panic!("writer panicked"));
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.join().unwrap_or_else(|_| panic!("reader panicked"));
    for a in accounts {
        let seqs: Vec<i64> = feed(&t, a).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=(2 * PER_WRITER) as i64).collect::<Vec<_>>());
    }
    let all = t.app.events_since(0, 1000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 4 * PER_WRITER);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(seen, all.iter().map(|e| e.id).collect::<Vec<_>>(), "the cursor skipped nothing");
}

/// Every kind of repayment unlocks: an allocated card's value, and the reversal of
/// the charge that caused the arrears.
fn issue_8_a_card_or_a_reversal_that_repays_the_arrears_unlocks(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    owe(&t, "ws1", "b1", 3_000);
    let alloc = BuyCard { account_id: a, face_value_minor: 10_000, currency: "CNY", idempotency_key: None };
    t.app.allocate_card(&alloc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state(&t, "ws1"), ArrearsState::Normal);
    let b = t.account("CNY");
    t.bind(b, "ws2");
    let charge = t.settle("ws2", "b1", "payg", 900).unwrap_or_else(|e| panic!("{e}")).charge;
    assert!(matches!(state(&t, "ws2"), ArrearsState::Grace { .. }));
    t.app.reverse_charge(b, charge.id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state(&t, "ws2"), ArrearsState::Normal);
    assert_eq!(kinds(&t, b), vec!["arrears_started", "grace_started", "arrears_repaid", "workspace_unlocked"]);
    t.assert_clean();
}

engine_tests!(
    issue_8_the_first_arrears_start_a_grace_period_for_billing_center_workspaces,
    issue_8_more_arrears_during_grace_do_not_restart_it,
    issue_8_grace_ends_in_a_lock_after_fourteen_days_with_one_warning,
    issue_8_repaying_the_arrears_unlocks_the_workspace,
    issue_8_moving_to_cloud_settlement_unlocks_the_workspace,
    issue_8_a_workspace_bound_during_grace_shares_its_clock,
    issue_8_the_event_feed_is_gapless_and_pages_by_sequence_number,
    issue_8_bad_feed_and_state_requests_name_the_field,
    issue_8_a_replayed_credit_appends_no_second_event,
    issue_8_concurrent_writers_keep_every_feed_gapless,
    issue_8_a_card_or_a_reversal_that_repays_the_arrears_unlocks,
);
