//! The storage port: the traits every Coffer store engine implements and the records
//! they exchange.
//!
//! **Adapters persist; they never decide.** Every money outcome arrives here already
//! planned by `coffer-core`. Engines back the core up with constraints (non-negative
//! customer balances, unique idempotency keys and external ids) and report a broken
//! constraint as [`StoreError::Conflict`].
//!
//! **One billing account per write.** Every table holding account data carries the
//! billing account id, and every write transaction a use case opens touches one
//! billing account (plus global catalogues such as activation codes).
//!
//! # Layout
//! - [`records`]: what goes in and comes out ([`rails`] and [`adjustments`] too).
//! - [`Store`], [`Reads`], [`WriteTx`]: the port; [`events`] (the account event feed)
//!   and [`arrears`] (workspace arrears states) add their methods as supertraits.

pub mod adjustments;
pub mod arrears;
pub mod auth;
pub mod conformance;
pub mod events;
pub mod jobs;
pub mod rails;
pub mod records;
pub mod webhooks;

use adjustments::*;
use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, BillId, CardId, ChargeId, CodeBatchId, JournalTxId, VoucherId, WorkspaceId};
use coffer_core::journal::Book;
use coffer_core::time::Timestamp;
use coffer_core::voucher::VoucherStatus;
use coffer_core::workspace::Workspace;
use rails::*;
use records::*;

/// What went wrong in an engine.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A constraint refused the write (the core should have prevented it, or a
    /// concurrent writer got there first).
    /// `constraint` names the constraint where the engine reports its name
    /// (PostgreSQL), else carries the engine's message, which contains the name for
    /// named CHECK constraints (SQLite). Callers must not parse it for decisions.
    #[error("store constraint refused the write: {constraint}")]
    Conflict { constraint: String },
    /// The database stayed locked longer than the busy timeout.
    #[error("store is busy")]
    Busy,
    /// Stored data that no longer parses into domain types.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("store backend error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Two read views of one committed state ([`Store::read_pair`]), each movable to
/// its own thread.
pub type ReadPair<'a> = [Box<dyn Reads + Send + 'a>; 2];

/// A store engine: hands out read views and write transactions.
pub trait Store: Send + Sync {
    /// A consistent read view: all its queries see one committed state.
    fn read(&self) -> StoreResult<Box<dyn Reads + '_>>;
    /// Two read views of one committed state, so that one long read (`coffer
    /// verify`) can be split over two threads. Neither view sees a write committed
    /// after this returns, and both see every write committed before.
    fn read_pair(&self) -> StoreResult<ReadPair<'_>>;
    /// A write transaction. Writers are serialized per billing account (SQLite: one
    /// writer at a time). Dropping it without [`WriteTx::commit`] rolls back.
    fn begin_write(&self) -> StoreResult<Box<dyn WriteTx + '_>>;
    /// The engine's name, for logs and `coffer verify`.
    fn engine(&self) -> &'static str;
    /// Job leases, runs, cursors and frozen bills ([`jobs`]), each call its own transaction.
    fn jobs(&self) -> &dyn jobs::JobStore;
    /// Webhook endpoints and the notification delivery log ([`webhooks`]).
    fn webhooks(&self) -> &dyn webhooks::WebhookStore;
    /// The connection pool's figures, for metrics; `None` for engines without a pool.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }
}

/// Ids `after < id <= up_to`: a piece of a scan, so that `verify` can split one
/// table over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdSpan {
    pub after: i64,
    pub up_to: i64,
}

impl IdSpan {
    pub const ALL: IdSpan = IdSpan { after: i64::MIN, up_to: i64::MAX };
}

/// The largest id of the scanned journal (0 when empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanBounds {
    pub journal_tx_id_max: i64,
}

/// Connections of a store's pool: lent out to a transaction, and idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    pub in_use: u64,
    pub idle: u64,
}

/// Queries, available in read views and inside write transactions.
pub trait Reads: events::EventReads + arrears::ArrearsReads {
    fn account(&mut self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    fn accounts(&mut self) -> StoreResult<Vec<AccountRecord>>;
    fn workspace(&mut self, id: &WorkspaceId) -> StoreResult<Option<Workspace>>;
    fn workspaces_of(&mut self, account: AccountId) -> StoreResult<Vec<Workspace>>;
    fn book_balance(&mut self, account: AccountId, book: Book, instrument_id: i64) -> StoreResult<i64>;
    fn ledger_balances(&mut self, account: AccountId) -> StoreResult<Vec<LedgerBalance>>;
    fn vouchers_of(&mut self, account: AccountId, status: Option<VoucherStatus>) -> StoreResult<Vec<VoucherRecord>>;
    fn voucher(&mut self, account: AccountId, id: VoucherId) -> StoreResult<Option<VoucherRecord>>;
    fn cards_of(&mut self, account: AccountId, status: Option<CardStatus>) -> StoreResult<Vec<CardRecord>>;
    fn card(&mut self, account: AccountId, id: CardId) -> StoreResult<Option<CardRecord>>;
    /// Active vouchers whose window ended at or before `now`, across accounts.
    fn vouchers_due_for_expiry(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<(AccountId, VoucherId)>>;
    fn cards_due_for_expiry(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<(AccountId, CardId)>>;
    fn charge(&mut self, account: AccountId, id: ChargeId) -> StoreResult<Option<ChargeRecord>>;
    fn charge_by_bill(&mut self, workspace: &WorkspaceId, bill: &BillId) -> StoreResult<Option<ChargeRecord>>;
    fn charges_of(&mut self, account: AccountId, page: &PageQuery) -> StoreResult<Vec<ChargeRecord>>;
    fn idempotency(&mut self, scope: &str, key: &str) -> StoreResult<Option<IdempotencyRecord>>;
    fn code_by_hash(&mut self, code_hash: &str) -> StoreResult<Option<CodeRecord>>;
    fn code_batch(&mut self, id: CodeBatchId) -> StoreResult<Option<CodeBatchRecord>>;
    fn failed_attempts_since(&mut self, account: AccountId, since: Timestamp) -> StoreResult<u32>;
    /// Failed activation attempts of every account since `since` (the global guessing limit).
    fn failed_attempts_total_since(&mut self, since: Timestamp) -> StoreResult<u32>;
    fn cash_credit_by_external(&mut self, source: &str, external_id: &str) -> StoreResult<Option<CashCreditRecord>>;
    /// Postings on the customer books (cash, arrears, vouchers, cards), oldest first.
    fn statement_lines(&mut self, account: AccountId, page: &PageQuery) -> StoreResult<Vec<StatementLine>>;
    /// Every journal transaction of an account with its postings, in sequence order.
    fn journal_of(&mut self, account: AccountId, after_seq: i64, limit: u32) -> StoreResult<Vec<JournalTxRecord>>;
    fn journal_tx(&mut self, account: AccountId, id: JournalTxId) -> StoreResult<Option<JournalTxRecord>>;
    /// The journal transactions with ids in `span`, with their postings, in id order
    /// (so each account's in sequence order), for `verify`: one streaming pass, and
    /// the record handed to `visit` may be reused between calls.
    fn scan_journal(
        &mut self,
        span: IdSpan,
        visit: &mut dyn FnMut(&JournalTxRecord) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// The charges with ids in `span`, with their deductions, in id order, as much of
    /// each as `verify` checks; the same contract as [`Reads::scan_journal`].
    fn scan_charges(
        &mut self,
        span: IdSpan,
        visit: &mut dyn FnMut(&ScannedCharge) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// The largest journal transaction id, to split the journal scan by.
    fn scan_bounds(&mut self) -> StoreResult<ScanBounds>;

    // The money rails.
    fn recharge_order(&mut self, out_trade_no: &str) -> StoreResult<Option<RechargeOrder>>;
    fn recharge_orders_of(&mut self, account: AccountId, limit: u32) -> StoreResult<Vec<RechargeOrder>>;
    /// Orders still `created` or `pending` whose last check is older than `checked_before`.
    fn open_recharge_orders(&mut self, checked_before: Timestamp, limit: u32) -> StoreResult<Vec<RechargeOrder>>;
    /// The newest notifications first; `account` filters, `None` lists all.
    fn notifications(&mut self, account: Option<AccountId>, limit: u32) -> StoreResult<Vec<NotificationRecord>>;
    fn bank_transfer(&mut self, bank_transaction_id: &str) -> StoreResult<Option<BankTransfer>>;
    fn bank_transfer_by_id(&mut self, id: i64) -> StoreResult<Option<BankTransfer>>;
    fn bank_transfers(&mut self, state: Option<TransferState>, limit: u32) -> StoreResult<Vec<BankTransfer>>;
    /// Pending items whose next attempt is due, oldest first.
    fn outbox_due(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>>;
    fn outbox_of_charge(&mut self, account: AccountId, charge: ChargeId) -> StoreResult<Vec<OutboxItem>>;
    fn outbox_items(&mut self, state: Option<OutboxState>, limit: u32) -> StoreResult<Vec<OutboxItem>>;

    // Operator adjustments awaiting a second operator.
    fn adjustment_request(&mut self, id: i64) -> StoreResult<Option<AdjustmentRequest>>;
    /// Newest first; `None` lists every state.
    fn adjustment_requests(
        &mut self,
        state: Option<AdjustmentState>,
        limit: u32,
    ) -> StoreResult<Vec<AdjustmentRequest>>;
}

/// One write transaction. Every method joins it; nothing is visible to others until
/// [`WriteTx::commit`] returns, and then it is durable.
pub trait WriteTx: Reads + events::EventWrites + arrears::ArrearsWrites {
    fn insert_account(&mut self, new: &NewAccount) -> StoreResult<AccountId>;
    /// Reads an account and, on engines that need it, locks it until commit.
    fn lock_account(&mut self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    fn set_arrears_limit(&mut self, id: AccountId, limit_minor: Option<i64>) -> StoreResult<()>;
    /// Inserts a workspace, or updates the settlement of one already bound to the
    /// same account. A workspace bound to another account is a Conflict: moving
    /// one takes an unbind first.
    fn upsert_workspace(&mut self, workspace: &Workspace, at: Timestamp) -> StoreResult<()>;
    fn delete_workspace(&mut self, id: &WorkspaceId) -> StoreResult<()>;
    fn insert_voucher(&mut self, new: &NewVoucher) -> StoreResult<VoucherId>;
    fn set_voucher_status(&mut self, account: AccountId, id: VoucherId, status: VoucherStatus) -> StoreResult<()>;
    fn insert_card(&mut self, new: &NewCard) -> StoreResult<CardId>;
    fn set_card_status(&mut self, account: AccountId, id: CardId, status: CardStatus) -> StoreResult<()>;
    /// Appends an entry: records the transaction, applies every posting to its book
    /// and records the balance after it, and moves the account's chain head.
    fn append_journal(&mut self, new: &NewJournalTx) -> StoreResult<JournalTxId>;
    fn insert_charge(&mut self, new: &NewCharge) -> StoreResult<ChargeId>;
    fn mark_charge_reversed(&mut self, account: AccountId, id: ChargeId, reversal: &ChargeReversal) -> StoreResult<()>;
    fn put_idempotency(&mut self, record: &IdempotencyRecord) -> StoreResult<()>;
    fn insert_code_batch(&mut self, new: &NewCodeBatch) -> StoreResult<CodeBatchId>;
    fn insert_code(&mut self, batch: CodeBatchId, code_hash: &str) -> StoreResult<()>;
    fn mark_code_redeemed(
        &mut self,
        code_id: i64,
        account: AccountId,
        voucher: VoucherId,
        at: Timestamp,
    ) -> StoreResult<()>;
    fn record_failed_attempt(&mut self, account: AccountId, at: Timestamp) -> StoreResult<()>;
    fn insert_cash_credit(&mut self, new: &NewCashCredit) -> StoreResult<()>;
    /// A unique `out_trade_no` is a Conflict.
    fn insert_recharge_order(&mut self, new: &NewRechargeOrder) -> StoreResult<i64>;
    fn update_recharge_order(&mut self, id: i64, update: &RechargeUpdate) -> StoreResult<()>;
    fn insert_notification(&mut self, new: &NewNotification) -> StoreResult<i64>;
    /// A known `bank_transaction_id` is a Conflict.
    fn insert_bank_transfer(&mut self, new: &NewBankTransfer) -> StoreResult<i64>;
    fn update_bank_transfer(&mut self, id: i64, update: &TransferUpdate) -> StoreResult<()>;
    /// A known `usage_record_id` is a Conflict.
    fn insert_outbox_item(&mut self, new: &NewOutboxItem) -> StoreResult<i64>;
    fn update_outbox_item(&mut self, id: i64, update: &OutboxUpdate) -> StoreResult<()>;

    fn insert_adjustment_request(&mut self, new: &NewAdjustmentRequest) -> StoreResult<i64>;
    /// Refused (an error) unless the request is still pending.
    fn decide_adjustment_request(&mut self, id: i64, decision: &AdjustmentDecision) -> StoreResult<()>;

    /// Marks the point [`WriteTx::rollback_to_savepoint`] returns to, so one unit of
    /// work among several in this transaction (a charge in a group commit) can be
    /// undone alone. Not nested: each savepoint is released or rolled back before the
    /// next is taken. While it is open a failed write may leave part of itself
    /// behind (engines skip their per-write atomicity there), so after any error the
    /// caller must call [`WriteTx::rollback_to_savepoint`] or drop the transaction.
    fn savepoint(&mut self) -> StoreResult<()>;
    /// Keeps everything written since [`WriteTx::savepoint`].
    fn release_savepoint(&mut self) -> StoreResult<()>;
    /// Undoes everything written since [`WriteTx::savepoint`] (locks taken since are
    /// released on PostgreSQL) and leaves the transaction usable, even after an error
    /// that would otherwise abort it.
    fn rollback_to_savepoint(&mut self) -> StoreResult<()>;

    /// Makes everything durable (SQLite: synchronous=FULL; PostgreSQL: synchronous_commit).
    fn commit(self: Box<Self>) -> StoreResult<()>;
}
