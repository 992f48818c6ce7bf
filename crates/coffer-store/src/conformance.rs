//! The store conformance suite: behaviour every engine must share. Each engine's
//! test crate expands [`crate::conformance_tests`] with a factory for a fresh, empty
//! store, so one suite runs on SQLite and on PostgreSQL.
//!
//! These checks talk to the port directly (no use cases): they pin down what the
//! application may rely on: constraints as a backstop, rollback on drop, balances
//! after each posting, cursor pagination.

use coffer_core::card::{CardOrigin, CardStatus};
use coffer_core::ids::{AccountId, BillId, JournalTxId, WorkspaceId};
use coffer_core::journal::{Book, EntryKind, Posting};
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::{Deduction, Source};
use coffer_core::policy::{Category, InstrumentClass};
use coffer_core::time::{Date, Timestamp, Window};
use coffer_core::voucher::{VoucherKind, VoucherStatus, VoucherValidity};
use coffer_core::workspace::{Settlement, SettlementKind, Workspace};

mod events;
pub use events::*;
mod jobs;
pub use jobs::*;

use crate::records::*;
use crate::{IdSpan, Store, StoreError, WriteTx};

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap_or_else(|e| panic!("store call failed: {e}"))
}

fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap_or_else(|e| panic!("{e}"))
}

fn new_account(tx: &mut dyn WriteTx) -> AccountId {
    ok(tx.insert_account(&NewAccount {
        name: "Conformance".into(),
        currency: Currency::Cny,
        time_zone: "Asia/Shanghai".into(),
        arrears_limit_minor: None,
        created_at: Timestamp(1),
    }))
}

/// Appends an entry at the next sequence number, with a made-up hash.
fn append(
    tx: &mut dyn WriteTx,
    account: AccountId,
    postings: Vec<Posting>,
    at: i64,
) -> Result<JournalTxId, StoreError> {
    let record = ok(tx.account(account)).unwrap_or_else(|| panic!("account exists"));
    let seq = record.journal_seq + 1;
    tx.append_journal(&NewJournalTx {
        account_id: account,
        seq,
        kind: EntryKind::CashCredit,
        memo: format!("entry {seq}"),
        at: Timestamp(at),
        postings,
        prev_hash: record.journal_head,
        hash: format!("{seq:064}"),
    })
}

fn credit(minor: i64) -> Vec<Posting> {
    vec![Posting::new(Book::FundingBank, 0, -minor), Posting::new(Book::Cash, 0, minor)]
}

pub fn accounts_start_with_an_empty_chain(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(tx.commit());
    let mut r = ok(store.read());
    let record = ok(r.account(id)).unwrap_or_else(|| panic!("committed account is readable"));
    assert_eq!((record.journal_seq, record.journal_head.as_str()), (0, GENESIS_HASH));
    assert_eq!(record.account.currency, Currency::Cny);
    assert_eq!(ok(r.accounts()).len(), 1);
}

pub fn a_dropped_write_transaction_rolls_back(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    drop(tx);
    assert!(ok(ok(store.read()).account(id)).is_none());
    let tx = ok(store.begin_write());
    ok(tx.commit());
}

pub fn postings_record_the_balance_after_them(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(append(tx.as_mut(), id, credit(700), 10));
    let second = ok(append(tx.as_mut(), id, credit(300), 20));
    ok(tx.commit());
    let mut r = ok(store.read());
    assert_eq!(ok(r.book_balance(id, Book::Cash, 0)), 1_000);
    let tx = ok(r.journal_tx(id, second)).unwrap_or_else(|| panic!("journal tx readable"));
    let cash = tx.postings.iter().find(|p| p.posting.book == Book::Cash).map(|p| p.balance_after_minor);
    assert_eq!(cash, Some(1_000));
    let record = ok(r.account(id)).unwrap_or_else(|| panic!());
    assert_eq!(record.journal_seq, 2);
    assert_eq!(ok(r.journal_of(id, 0, 10)).len(), 2);
    assert_eq!(ok(r.journal_of(id, 1, 10)).len(), 1);
}

pub fn a_negative_customer_balance_is_refused(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(append(tx.as_mut(), id, credit(100), 10));
    let overdraw = vec![Posting::new(Book::Cash, 0, -101), Posting::new(Book::Revenue, 0, 101)];
    assert!(matches!(append(tx.as_mut(), id, overdraw, 20), Err(StoreError::Conflict { .. })));
    let fresh_negative = vec![Posting::new(Book::Voucher, 9, -1), Posting::new(Book::Revenue, 0, 1)];
    assert!(matches!(append(tx.as_mut(), id, fresh_negative, 30), Err(StoreError::Conflict { .. })));
}

pub fn positive_arrears_are_refused(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let repay_nothing = vec![Posting::new(Book::FundingBank, 0, -1), Posting::new(Book::Arrears, 0, 1)];
    assert!(matches!(append(tx.as_mut(), id, repay_nothing, 10), Err(StoreError::Conflict { .. })));
}

pub fn a_stale_chain_head_is_refused(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(append(tx.as_mut(), id, credit(100), 10));
    let stale = NewJournalTx {
        account_id: id,
        seq: 1,
        kind: EntryKind::CashCredit,
        memo: "replayed seq".into(),
        at: Timestamp(20),
        postings: credit(1),
        prev_hash: GENESIS_HASH.into(),
        hash: "x".into(),
    };
    assert!(tx.append_journal(&stale).is_err(), "a sequence number is used once per account");
}

fn charge(account: AccountId, workspace: &str, bill: &str, journal_tx_id: JournalTxId) -> NewCharge {
    NewCharge {
        account_id: account,
        workspace_id: WorkspaceId::parse(workspace).unwrap_or_else(|_| panic!()),
        bill_id: BillId::parse(bill).unwrap_or_else(|_| panic!()),
        category: Category::Payg,
        settlement: SettlementKind::BillingCenter,
        cloud_provider: None,
        amount: amount(100),
        currency: Currency::Cny,
        bill_date: Date::parse("2026-11-25").unwrap_or_else(|| panic!()),
        policy_version: 1,
        settled_at: Timestamp(50),
        fingerprint: "fp".into(),
        journal_tx_id,
        deductions: vec![Deduction { class: InstrumentClass::Cash, source: Source::Cash, amount: amount(100) }],
    }
}

pub fn a_bill_id_is_unique_per_workspace(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let j = ok(append(tx.as_mut(), id, credit(100), 10));
    let charge_id = ok(tx.insert_charge(&charge(id, "ws1", "b1", j)));
    assert!(matches!(tx.insert_charge(&charge(id, "ws1", "b1", j)), Err(StoreError::Conflict { .. })));
    ok(tx.insert_charge(&charge(id, "ws2", "b1", j)));
    let found = ok(tx.charge_by_bill(
        &WorkspaceId::parse("ws1").unwrap_or_else(|_| panic!()),
        &BillId::parse("b1").unwrap_or_else(|_| panic!()),
    ));
    let found = found.unwrap_or_else(|| panic!("charge by bill"));
    assert_eq!(found.id, charge_id);
    assert_eq!(found.charge.deductions.len(), 1);
}

pub fn an_external_payment_is_recorded_once(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let j = ok(append(tx.as_mut(), id, credit(100), 10));
    let new = NewCashCredit {
        account_id: id,
        source: "bank_transfer".into(),
        external_id: "TX1".into(),
        amount: amount(100),
        journal_tx_id: j,
        at: Timestamp(10),
    };
    ok(tx.insert_cash_credit(&new));
    assert!(matches!(tx.insert_cash_credit(&new), Err(StoreError::Conflict { .. })));
    assert!(ok(tx.cash_credit_by_external("bank_transfer", "TX1")).is_some());
    assert!(ok(tx.cash_credit_by_external("online_payment", "TX1")).is_none());
}

pub fn an_idempotency_key_is_stored_once_per_scope(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let record = IdempotencyRecord {
        scope: "account:1".into(),
        key: "k".into(),
        fingerprint: "f".into(),
        result_ref: "voucher:1".into(),
        created_at: Timestamp(1),
    };
    ok(tx.put_idempotency(&record));
    assert!(matches!(tx.put_idempotency(&record), Err(StoreError::Conflict { .. })));
    ok(tx.put_idempotency(&IdempotencyRecord { scope: "account:2".into(), ..record.clone() }));
    assert_eq!(ok(tx.idempotency("account:1", "k")), Some(record));
}

pub fn vouchers_and_cards_carry_their_book_balances(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let window = Window { from: Timestamp(0), until: Some(Timestamp(1_000)) };
    let v = ok(tx.insert_voucher(&NewVoucher {
        account_id: id,
        kind: VoucherKind::Standard,
        face_value: amount(500),
        window,
        activated_at: Timestamp(0),
        origin: VoucherOrigin::Direct,
    }));
    let c = ok(tx.insert_card(&NewCard {
        account_id: id,
        face_value: amount(10_000),
        window,
        purchased_at: Timestamp(0),
        origin: CardOrigin::Allocated,
    }));
    let grant = vec![
        Posting::new(Book::Promotion, 0, -500),
        Posting::new(Book::Voucher, v.0, 500),
        Posting::new(Book::CardGrant, 0, -10_000),
        Posting::new(Book::Card, c.0, 10_000),
    ];
    ok(append(tx.as_mut(), id, grant, 0));
    ok(tx.set_voucher_status(id, v, VoucherStatus::UsedUp));
    ok(tx.commit());
    let mut r = ok(store.read());
    assert_eq!(ok(r.vouchers_of(id, Some(VoucherStatus::Active))).len(), 0);
    let used = ok(r.vouchers_of(id, Some(VoucherStatus::UsedUp)));
    assert_eq!(used.first().map(|v| v.voucher.balance_minor), Some(500));
    let cards = ok(r.cards_of(id, Some(CardStatus::Active)));
    assert_eq!(cards.first().map(|c| c.card.balance_minor), Some(10_000));
    assert_eq!(ok(r.vouchers_due_for_expiry(Timestamp(1_000), 10)), vec![(id, v)]);
    assert_eq!(ok(r.cards_due_for_expiry(Timestamp(999), 10)), vec![]);
}

pub fn statement_lines_page_by_cursor_and_filter_by_time(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    for n in 0..5 {
        ok(append(tx.as_mut(), id, credit(100), n * 10));
    }
    ok(tx.commit());
    let mut r = ok(store.read());
    let first = ok(r.statement_lines(id, &PageQuery { limit: 2, ..PageQuery::default() }));
    assert_eq!(first.len(), 2);
    let after = first.last().map(|l| l.line_id);
    let rest = ok(r.statement_lines(id, &PageQuery { after, limit: 10, ..PageQuery::default() }));
    assert_eq!(rest.len(), 3, "only customer books are listed, once each");
    assert!(rest.iter().all(|l| l.book == Book::Cash));
    let window = PageQuery { from: Some(Timestamp(10)), until: Some(Timestamp(30)), limit: 10, after: None };
    assert_eq!(ok(r.statement_lines(id, &window)).iter().map(|l| l.at.0).collect::<Vec<_>>(), vec![10, 20]);
}

pub fn activation_codes_redeem_once(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let batch = ok(tx.insert_code_batch(&NewCodeBatch {
        kind: VoucherKind::Standard,
        face_value: amount(100),
        currency: Currency::Cny,
        validity: VoucherValidity::DaysFromActivation(30),
        count: 1,
        memo: String::new(),
        created_at: Timestamp(1),
    }));
    ok(tx.insert_code(batch, "hash-1"));
    assert!(matches!(tx.insert_code(batch, "hash-1"), Err(StoreError::Conflict { .. })));
    let code = ok(tx.code_by_hash("hash-1")).unwrap_or_else(|| panic!("code stored"));
    assert_eq!(code.status, CodeStatus::Issued);
    assert_eq!(code.batch.batch.validity, VoucherValidity::DaysFromActivation(30));
    ok(tx.mark_code_redeemed(code.id, id, coffer_core::ids::VoucherId(1), Timestamp(2)));
    assert!(tx.mark_code_redeemed(code.id, id, coffer_core::ids::VoucherId(1), Timestamp(3)).is_err());
    ok(tx.record_failed_attempt(id, Timestamp(5)));
    ok(tx.record_failed_attempt(id, Timestamp(9)));
    assert_eq!(ok(tx.failed_attempts_since(id, Timestamp(6))), 1);
    ok(tx.record_failed_attempt(AccountId(id.0 + 1), Timestamp(7)));
    assert_eq!(ok(tx.failed_attempts_total_since(Timestamp(6))), 2);
}

pub fn workspaces_round_trip(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    let ws = Workspace {
        id: WorkspaceId::parse("w-1").unwrap_or_else(|_| panic!()),
        account_id: id,
        settlement: Settlement::Cloud {
            provider: coffer_core::workspace::CloudProvider::Azure,
            cloud_account_id: "sub-1".into(),
        },
        settlement_changed_in: coffer_core::time::YearMonth::parse("2026-11"),
        cloud_subscription_active: true,
    };
    ok(tx.upsert_workspace(&ws, Timestamp(1)));
    assert_eq!(ok(tx.workspace(&ws.id)), Some(ws.clone()));
    let moved = Workspace { settlement: Settlement::BillingCenter, cloud_subscription_active: false, ..ws.clone() };
    ok(tx.upsert_workspace(&moved, Timestamp(2)));
    assert_eq!(ok(tx.workspaces_of(id)), vec![moved]);
    ok(tx.delete_workspace(&ws.id));
    assert_eq!(ok(tx.workspace(&ws.id)), None);
}

pub fn an_upsert_never_moves_a_workspace_to_another_account(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let b = new_account(tx.as_mut());
    let ws = Workspace {
        id: WorkspaceId::parse("w-1").unwrap_or_else(|_| panic!()),
        account_id: a,
        settlement: Settlement::BillingCenter,
        settlement_changed_in: None,
        cloud_subscription_active: false,
    };
    ok(tx.upsert_workspace(&ws, Timestamp(1)));
    let moved = Workspace { account_id: b, ..ws.clone() };
    assert!(matches!(tx.upsert_workspace(&moved, Timestamp(2)), Err(StoreError::Conflict { .. })));
    assert_eq!(ok(tx.workspace(&ws.id)).map(|w| w.account_id), Some(a));
}

pub fn a_refused_append_leaves_nothing_behind(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(append(tx.as_mut(), id, credit(100), 10));
    // Revenue is applied first, then cash is refused: revenue must not keep the 150.
    let overdraw = vec![Posting::new(Book::Revenue, 0, 150), Posting::new(Book::Cash, 0, -150)];
    assert!(matches!(append(tx.as_mut(), id, overdraw, 20), Err(StoreError::Conflict { .. })));
    ok(tx.commit());
    let mut r = ok(store.read());
    assert_eq!(ok(r.book_balance(id, Book::Revenue, 0)), 0);
    assert_eq!(ok(r.book_balance(id, Book::Cash, 0)), 100);
    assert_eq!(ok(r.account(id)).map(|a| a.journal_seq), Some(1));
    assert_eq!(ok(r.journal_of(id, 0, 10)).len(), 1);
}

fn order(account: AccountId, out_trade_no: &str) -> crate::rails::NewRechargeOrder {
    crate::rails::NewRechargeOrder {
        account_id: account,
        out_trade_no: out_trade_no.into(),
        amount: amount(8_888),
        currency: Currency::Cny,
        channel: "page_pay".into(),
        created_at: Timestamp(10),
        expires_at: Timestamp(1_000),
    }
}

pub fn recharge_orders_move_through_their_states_once(store: &dyn Store) {
    use crate::rails::{RechargeState, RechargeUpdate};
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let id = ok(tx.insert_recharge_order(&order(a, "T1")));
    assert!(matches!(tx.insert_recharge_order(&order(a, "T1")), Err(StoreError::Conflict { .. })));
    ok(tx.update_recharge_order(id, &RechargeUpdate::Pending { qr_code: Some("qr".into()) }));
    assert_eq!(ok(tx.open_recharge_orders(Timestamp(5), 10)).len(), 1);
    ok(tx.update_recharge_order(id, &RechargeUpdate::Checked { at: Timestamp(20) }));
    assert_eq!(ok(tx.open_recharge_orders(Timestamp(5), 10)).len(), 0, "checked after the cut-off");
    ok(tx
        .update_recharge_order(id, &RechargeUpdate::Paid { trade_no: "2024X".into(), at: Timestamp(30), late: false }));
    assert!(tx
        .update_recharge_order(id, &RechargeUpdate::Paid { trade_no: "2024X".into(), at: Timestamp(31), late: false })
        .is_err());
    assert!(tx.update_recharge_order(id, &RechargeUpdate::Expired).is_err(), "a paid order never expires");
    let found = ok(tx.recharge_order("T1")).unwrap_or_else(|| panic!("order stored"));
    assert_eq!(
        (found.state, found.trade_no.as_deref(), found.qr_code.as_deref()),
        (RechargeState::Paid, Some("2024X"), Some("qr"))
    );
    assert_eq!(ok(tx.recharge_orders_of(a, 10)).len(), 1);
    let note = crate::rails::NewNotification {
        received_at: Timestamp(30),
        account_id: Some(a),
        out_trade_no: Some("T1".into()),
        notify_id: Some("n1".into()),
        trade_status: Some("TRADE_SUCCESS".into()),
        verdict: "credited".into(),
        reason: "ok".into(),
        body: "a=b".into(),
    };
    ok(tx.insert_notification(&note));
    ok(tx.insert_notification(&crate::rails::NewNotification {
        account_id: None,
        verdict: "rejected".into(),
        ..note.clone()
    }));
    assert_eq!(ok(tx.notifications(Some(a), 10)).len(), 1);
    assert_eq!(ok(tx.notifications(None, 10)).len(), 2);
}

pub fn a_bank_transaction_is_recorded_once_and_credited_once(store: &dyn Store) {
    use crate::rails::{NewBankTransfer, TransferState, TransferUpdate};
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let new = NewBankTransfer {
        bank_transaction_id: "BANK-1".into(),
        amount: amount(50_000),
        currency: Currency::Cny,
        value_date: Date::parse("2026-11-25").unwrap_or_else(|| panic!()),
        payer: "ACME LTD".into(),
        reference: "CF12".into(),
        account_id: None,
        state: TransferState::Unmatched,
        source: "csv".into(),
        recorded_by: "op".into(),
        created_at: Timestamp(1),
    };
    let id = ok(tx.insert_bank_transfer(&new));
    assert!(matches!(tx.insert_bank_transfer(&new), Err(StoreError::Conflict { .. })));
    assert!(
        tx.update_bank_transfer(id, &TransferUpdate::Credited { at: Timestamp(2), approved_by: None }).is_err(),
        "no account yet"
    );
    ok(tx
        .update_bank_transfer(id, &TransferUpdate::Assigned { account_id: a, state: TransferState::AwaitingApproval }));
    ok(tx.update_bank_transfer(id, &TransferUpdate::Credited { at: Timestamp(3), approved_by: Some("op2".into()) }));
    assert!(tx.update_bank_transfer(id, &TransferUpdate::Credited { at: Timestamp(4), approved_by: None }).is_err());
    let found = ok(tx.bank_transfer("BANK-1")).unwrap_or_else(|| panic!("stored"));
    assert_eq!(
        (found.transfer.state, found.transfer.account_id, found.approved_by.as_deref()),
        (TransferState::Credited, Some(a), Some("op2"))
    );
    assert_eq!(ok(tx.bank_transfers(Some(TransferState::Unmatched), 10)).len(), 0);
    assert_eq!(ok(tx.bank_transfer_by_id(id)).map(|t| t.id), Some(id));
}

pub fn outbox_items_are_unique_per_usage_record_and_come_due_in_order(store: &dyn Store) {
    use crate::rails::{NewOutboxItem, OutboxState, OutboxUpdate};
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let j = ok(append(tx.as_mut(), a, credit(100), 10));
    let charge_id = ok(tx.insert_charge(&charge(a, "ws1", "b1", j)));
    let item = |usage: &str, at: i64| NewOutboxItem {
        account_id: a,
        charge_id,
        provider: coffer_core::workspace::CloudProvider::Aws,
        cloud_account_id: "123".into(),
        usage_record_id: usage.into(),
        amount_minor: 100,
        currency: Currency::Cny,
        created_at: Timestamp(at),
    };
    let first = ok(tx.insert_outbox_item(&item("u1", 50)));
    let second = ok(tx.insert_outbox_item(&item("u2", 40)));
    assert!(matches!(tx.insert_outbox_item(&item("u1", 60)), Err(StoreError::Conflict { .. })));
    let due: Vec<_> = ok(tx.outbox_due(Timestamp(100), 10)).iter().map(|i| i.id).collect();
    assert_eq!(due, vec![second, first]);
    ok(tx.update_outbox_item(
        first,
        &OutboxUpdate::Retry { attempts: 1, next_attempt_at: Timestamp(500), error: "timeout".into() },
    ));
    ok(tx.update_outbox_item(second, &OutboxUpdate::Delivered { at: Timestamp(101) }));
    assert!(ok(tx.outbox_due(Timestamp(100), 10)).is_empty());
    assert_eq!(
        ok(tx.outbox_due(Timestamp(500), 10)).first().map(|i| (i.attempts, i.last_error.clone())),
        Some((1, Some("timeout".into())))
    );
    ok(tx.update_outbox_item(first, &OutboxUpdate::Rejected { attempts: 2, error: "subscription cancelled".into() }));
    assert!(tx.update_outbox_item(first, &OutboxUpdate::Delivered { at: Timestamp(600) }).is_err());
    assert_eq!(ok(tx.outbox_items(Some(OutboxState::Rejected), 10)).len(), 1);
    assert_eq!(ok(tx.outbox_of_charge(a, charge_id)).len(), 2);
}

pub fn an_adjustment_request_is_decided_once(store: &dyn Store) {
    use crate::adjustments::{AdjustmentDecision, AdjustmentState, NewAdjustmentRequest};
    let mut tx = ok(store.begin_write());
    let a = new_account(tx.as_mut());
    let new = |amount_minor: i64| NewAdjustmentRequest {
        account_id: a,
        amount_minor,
        currency: Currency::Cny,
        reason: "goodwill".into(),
        requested_by: "alice".into(),
        created_at: Timestamp(1),
    };
    let credit_id = ok(tx.insert_adjustment_request(&new(2_000_000)));
    let debit_id = ok(tx.insert_adjustment_request(&new(-3_000_000)));
    assert!(matches!(tx.insert_adjustment_request(&new(0)), Err(StoreError::Conflict { .. })), "zero is no adjustment");
    let j = ok(append(tx.as_mut(), a, credit(2_000_000), 5));
    let applied = AdjustmentDecision::Applied { by: "bob".into(), journal_tx_id: j, at: Timestamp(5) };
    ok(tx.decide_adjustment_request(credit_id, &applied));
    assert!(tx.decide_adjustment_request(credit_id, &applied).is_err(), "applied once");
    let rejected = AdjustmentDecision::Rejected { by: "bob".into(), reason: "no".into(), at: Timestamp(6) };
    assert!(tx.decide_adjustment_request(credit_id, &rejected).is_err(), "an applied request stays applied");
    ok(tx.decide_adjustment_request(debit_id, &rejected));
    let found = ok(tx.adjustment_request(credit_id)).unwrap_or_else(|| panic!("stored"));
    assert_eq!(
        (found.state, found.decided_by.as_deref(), found.journal_tx_id, found.request.amount_minor),
        (AdjustmentState::Applied, Some("bob"), Some(j), 2_000_000)
    );
    let found = ok(tx.adjustment_request(debit_id)).unwrap_or_else(|| panic!("stored"));
    assert_eq!((found.rejection_reason.as_deref(), found.decided_at), (Some("no"), Some(Timestamp(6))));
    assert_eq!(ok(tx.adjustment_requests(Some(AdjustmentState::Pending), 10)).len(), 0);
    let all: Vec<i64> = ok(tx.adjustment_requests(None, 10)).iter().map(|r| r.id).collect();
    assert_eq!(all, vec![debit_id, credit_id], "newest first");
    assert!(ok(tx.adjustment_request(debit_id + 100)).is_none());
}

/// Expands every conformance check into a `#[test]` for one engine. `$factory` is an
/// expression producing a fresh, empty store (anything that derefs to `dyn Store`).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            accounts_start_with_an_empty_chain,
            a_dropped_write_transaction_rolls_back,
            postings_record_the_balance_after_them,
            a_negative_customer_balance_is_refused,
            positive_arrears_are_refused,
            a_stale_chain_head_is_refused,
            a_bill_id_is_unique_per_workspace,
            an_external_payment_is_recorded_once,
            an_idempotency_key_is_stored_once_per_scope,
            vouchers_and_cards_carry_their_book_balances,
            statement_lines_page_by_cursor_and_filter_by_time,
            activation_codes_redeem_once,
            workspaces_round_trip,
            an_upsert_never_moves_a_workspace_to_another_account,
            a_refused_append_leaves_nothing_behind,
            recharge_orders_move_through_their_states_once,
            a_bank_transaction_is_recorded_once_and_credited_once,
            outbox_items_are_unique_per_usage_record_and_come_due_in_order,
            an_adjustment_request_is_decided_once,
            a_rolled_back_savepoint_undoes_only_its_own_writes,
            events_are_numbered_per_account_and_appended_once_per_dedup_key,
            an_event_amount_below_zero_is_refused,
            events_since_reads_every_account_in_commit_order,
            workspace_arrears_states_round_trip,
            a_lease_has_one_holder_until_it_lapses_then_changes_hands_with_a_new_generation,
            a_run_finished_after_its_lease_changed_hands_is_fenced,
            a_job_cursor_moves_forward_only_and_only_for_the_current_generation,
            a_monthly_bill_is_frozen_once,
            webhook_endpoints_belong_to_their_account,
            a_delivery_is_queued_once_and_records_every_attempt,
            the_journal_scan_yields_every_transaction_in_sequence_order_per_account,
            the_charge_scan_yields_every_charge_with_its_deductions,
            both_views_of_a_read_pair_see_one_state_and_no_later_write,
        );
    };
    (@each $factory:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let store = $factory;
                $crate::conformance::$name(&*store);
            }
        )*
    };
}

/// A group commit runs many units of work in one transaction: a unit rolled back to
/// its savepoint leaves nothing, not even half of a failed multi-statement write,
/// and the units around it still commit.
pub fn a_rolled_back_savepoint_undoes_only_its_own_writes(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(tx.savepoint());
    ok(append(tx.as_mut(), id, credit(100), 10));
    ok(tx.release_savepoint());
    ok(tx.savepoint());
    ok(append(tx.as_mut(), id, credit(50), 20));
    ok(tx.rollback_to_savepoint());
    ok(tx.savepoint());
    let overdraw = vec![Posting::new(Book::Revenue, 0, 500), Posting::new(Book::Cash, 0, -500)];
    assert!(append(tx.as_mut(), id, overdraw, 30).is_err());
    ok(tx.rollback_to_savepoint());
    ok(tx.savepoint());
    ok(append(tx.as_mut(), id, credit(25), 40));
    ok(tx.release_savepoint());
    ok(tx.commit());
    let mut r = ok(store.read());
    assert_eq!(ok(r.book_balance(id, Book::Cash, 0)), 125);
    // Inside a unit a write takes no savepoint of its own, so the refused append's
    // first posting (Revenue +500) is undone only by the unit's rollback.
    assert_eq!(ok(r.book_balance(id, Book::Revenue, 0)), 0, "the refused append left a posting behind");
    assert_eq!(ok(r.account(id)).map(|a| a.journal_seq), Some(2));
    assert_eq!(ok(r.journal_of(id, 0, 10)).len(), 2);
}

/// `verify` reads the journal through one scan: it must hand over every transaction
/// with its postings, each account's in sequence order, exactly as the per-account
/// reads see them.
pub fn the_journal_scan_yields_every_transaction_in_sequence_order_per_account(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let (a, b) = (new_account(tx.as_mut()), new_account(tx.as_mut()));
    for (n, account) in [a, b, a, b, a].into_iter().enumerate() {
        let minor = i64::try_from(n).unwrap_or(0) + 1;
        ok(append(tx.as_mut(), account, credit(minor), minor));
    }
    ok(tx.commit());
    let mut r = ok(store.read());
    let mut scanned: Vec<JournalTxRecord> = Vec::new();
    ok(r.scan_journal(IdSpan::ALL, &mut |t| {
        scanned.push(t.clone());
        Ok(())
    }));
    for account in [a, b] {
        let mine: Vec<_> = scanned.iter().filter(|t| t.account_id == account).cloned().collect();
        assert_eq!(mine, ok(r.journal_of(account, 0, 100)), "account {account}");
    }
    assert_eq!(scanned.len(), 5);
    // Spans split the scan without losing or repeating a transaction.
    let bounds = ok(r.scan_bounds());
    assert_eq!(bounds.journal_tx_id_max, scanned[4].id.0);
    let cut = scanned[2].id.0;
    let mut pieces: Vec<JournalTxRecord> = Vec::new();
    for span in [IdSpan { after: 0, up_to: cut }, IdSpan { after: cut, up_to: bounds.journal_tx_id_max }] {
        ok(r.scan_journal(span, &mut |t| {
            pieces.push(t.clone());
            Ok(())
        }));
    }
    assert_eq!(pieces, scanned);
}

/// `verify`'s second scan: every charge with its own deductions, each account's
/// exactly as the per-account page reads see them.
pub fn the_charge_scan_yields_every_charge_with_its_deductions(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let (a, b) = (new_account(tx.as_mut()), new_account(tx.as_mut()));
    for (n, account) in [a, b, a, b, a].into_iter().enumerate() {
        let j = ok(append(tx.as_mut(), account, credit(100), 10));
        let mut new = charge(account, &format!("ws{account}"), &format!("b{n}"), j);
        // Charges with no, one and two deductions, so a child row can only land
        // on its own parent.
        new.deductions.truncate(n % 3);
        if n % 3 == 2 {
            new.deductions = vec![
                Deduction { class: InstrumentClass::Cash, source: Source::Cash, amount: amount(60) },
                Deduction { class: InstrumentClass::Arrears, source: Source::Arrears, amount: amount(40) },
            ];
        }
        ok(tx.insert_charge(&new));
    }
    ok(tx.commit());
    let mut r = ok(store.read());
    let mut scanned: Vec<ScannedCharge> = Vec::new();
    ok(r.scan_charges(IdSpan::ALL, &mut |c| {
        scanned.push(c.clone());
        Ok(())
    }));
    for account in [a, b] {
        let mine: Vec<_> = scanned.iter().filter(|c| c.account_id == account).cloned().collect();
        let page = PageQuery { limit: 100, ..PageQuery::default() };
        let read: Vec<ScannedCharge> = ok(r.charges_of(account, &page)).iter().map(ScannedCharge::from).collect();
        assert_eq!(mine, read, "account {account}");
    }
    assert_eq!(scanned.len(), 5);
    assert_eq!(scanned.iter().map(|c| c.deductions.len()).sum::<usize>(), 1 + 2 + 1);
    let cut = scanned[1].id.0;
    let mut pieces: Vec<ScannedCharge> = Vec::new();
    for span in [IdSpan { after: 0, up_to: cut }, IdSpan { after: cut, up_to: scanned[4].id.0 }] {
        ok(r.scan_charges(span, &mut |c| {
            pieces.push(c.clone());
            Ok(())
        }));
    }
    assert_eq!(pieces, scanned);
}

/// `verify` splits its reads over two threads: both views of a pair see the state
/// of the moment the pair was taken, each from its own thread, and a write committed
/// after it is seen by neither.
pub fn both_views_of_a_read_pair_see_one_state_and_no_later_write(store: &dyn Store) {
    let mut tx = ok(store.begin_write());
    let id = new_account(tx.as_mut());
    ok(append(tx.as_mut(), id, credit(100), 10));
    ok(tx.commit());
    let pair = ok(store.read_pair());
    let mut tx = ok(store.begin_write());
    ok(append(tx.as_mut(), id, credit(50), 20));
    ok(tx.commit());
    let seen: Vec<(i64, usize)> = std::thread::scope(|s| {
        let readers: Vec<_> = pair
            .into_iter()
            .map(|mut view| {
                s.spawn(move || (ok(view.book_balance(id, Book::Cash, 0)), ok(view.journal_of(id, 0, 10)).len()))
            })
            .collect();
        readers.into_iter().map(|r| r.join().unwrap_or_else(|_| panic!("a reader panicked"))).collect()
    });
    assert_eq!(seen, vec![(100, 1), (100, 1)]);
    assert_eq!(ok(ok(store.read()).book_balance(id, Book::Cash, 0)), 150);
}
