//! The write half of the port. Each method persists what the application decided;
//! none of them chooses an amount.

use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, CardId, ChargeId, CodeBatchId, JournalTxId, VoucherId, WorkspaceId};
use coffer_core::time::Timestamp;
use coffer_core::voucher::{VoucherStatus, VoucherValidity};
use coffer_core::workspace::{Settlement, Workspace};
use coffer_store::records::*;
use coffer_store::{StoreError, StoreResult, WriteTx};
use rusqlite::{params, Connection, OptionalExtension};

use crate::rows::StoredHash;
use crate::{map_err, reads, SqliteWriteTx};

type R<T> = StoreResult<T>;

fn exec(c: &Connection, sql: &str, p: impl rusqlite::Params) -> R<usize> {
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)
}

/// An update that must hit exactly one row; zero rows means the caller named
/// something that does not exist in this account.
fn exec_one(c: &Connection, sql: &str, p: impl rusqlite::Params, what: &str) -> R<()> {
    match exec(c, sql, p)? {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!("{what}: expected one row, updated {n}"))),
    }
}

impl WriteTx for SqliteWriteTx<'_> {
    fn insert_account(&mut self, new: &NewAccount) -> R<AccountId> {
        let c = self.conn();
        exec(
            c,
            "INSERT INTO billing_account (name, currency, time_zone, arrears_limit_minor, journal_head, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                new.name,
                new.currency.code(),
                new.time_zone,
                new.arrears_limit_minor,
                StoredHash::of(GENESIS_HASH),
                new.created_at.0
            ],
        )?;
        Ok(AccountId(c.last_insert_rowid()))
    }

    fn lock_account(&mut self, id: AccountId) -> R<Option<AccountRecord>> {
        // BEGIN IMMEDIATE already holds the database's write lock.
        reads::account(self.conn(), id)
    }

    fn set_arrears_limit(&mut self, id: AccountId, limit_minor: Option<i64>) -> R<()> {
        let sql = "UPDATE billing_account SET arrears_limit_minor = ?2 WHERE billing_account_id = ?1";
        exec_one(self.conn(), sql, params![id.0, limit_minor], "billing account")
    }

    fn upsert_workspace(&mut self, w: &Workspace, at: Timestamp) -> R<()> {
        let (settlement, provider, cloud_id) = match &w.settlement {
            Settlement::BillingCenter => ("billing_center", None, None),
            Settlement::Cloud { provider, cloud_account_id } => {
                ("cloud", Some(provider.as_str()), Some(cloud_account_id.as_str()))
            }
        };
        let sql = "INSERT INTO workspace (workspace_id, billing_account_id, settlement, cloud_provider, cloud_account_id, \
                   settlement_changed_in, cloud_subscription_active, bound_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                   ON CONFLICT (workspace_id) DO UPDATE SET \
                   settlement = excluded.settlement, cloud_provider = excluded.cloud_provider, \
                   cloud_account_id = excluded.cloud_account_id, settlement_changed_in = excluded.settlement_changed_in, \
                   cloud_subscription_active = excluded.cloud_subscription_active \
                   WHERE workspace.billing_account_id = excluded.billing_account_id";
        let changed = w.settlement_changed_in.map(|m| m.to_string());
        let p = params![
            w.id.as_str(),
            w.account_id.0,
            settlement,
            provider,
            cloud_id,
            changed,
            w.cloud_subscription_active,
            at.0
        ];
        match exec(self.conn(), sql, p)? {
            1 => Ok(()),
            _ => Err(StoreError::Conflict { constraint: "workspace_bound_to_other_account".into() }),
        }
    }

    fn delete_workspace(&mut self, id: &WorkspaceId) -> R<()> {
        exec_one(self.conn(), "DELETE FROM workspace WHERE workspace_id = ?1", [id.as_str()], "workspace")
    }

    fn insert_voucher(&mut self, new: &NewVoucher) -> R<VoucherId> {
        let c = self.conn();
        let sql =
            "INSERT INTO voucher (billing_account_id, kind, face_value_minor, status, valid_from_ms, valid_until_ms, \
                   activated_at_ms, origin, origin_ref) VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7, ?8)";
        let p = params![
            new.account_id.0,
            new.kind.as_str(),
            new.face_value.minor(),
            new.window.from.0,
            new.window.until.map(|t| t.0),
            new.activated_at.0,
            new.origin.kind_str(),
            new.origin.reference()
        ];
        exec(c, sql, p)?;
        Ok(VoucherId(c.last_insert_rowid()))
    }

    fn set_voucher_status(&mut self, account: AccountId, id: VoucherId, status: VoucherStatus) -> R<()> {
        let sql = "UPDATE voucher SET status = ?3 WHERE billing_account_id = ?1 AND voucher_id = ?2";
        exec_one(self.conn(), sql, params![account.0, id.0, status.as_str()], "voucher")
    }

    fn insert_card(&mut self, new: &NewCard) -> R<CardId> {
        let c = self.conn();
        let sql =
            "INSERT INTO prepaid_card (billing_account_id, face_value_minor, status, valid_from_ms, valid_until_ms, \
                   purchased_at_ms, origin) VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6)";
        let p = params![
            new.account_id.0,
            new.face_value.minor(),
            new.window.from.0,
            new.window.until.map(|t| t.0),
            new.purchased_at.0,
            new.origin.as_str()
        ];
        exec(c, sql, p)?;
        Ok(CardId(c.last_insert_rowid()))
    }

    fn set_card_status(&mut self, account: AccountId, id: CardId, status: CardStatus) -> R<()> {
        let sql = "UPDATE prepaid_card SET status = ?3 WHERE billing_account_id = ?1 AND prepaid_card_id = ?2";
        exec_one(self.conn(), sql, params![account.0, id.0, status.as_str()], "prepaid card")
    }

    fn append_journal(&mut self, new: &NewJournalTx) -> R<JournalTxId> {
        self.atomically(|c| append_journal(c, new))
    }

    fn insert_charge(&mut self, new: &NewCharge) -> R<ChargeId> {
        self.atomically(|c| insert_charge(c, new))
    }

    fn mark_charge_reversed(&mut self, account: AccountId, id: ChargeId, rev: &ChargeReversal) -> R<()> {
        let sql = "UPDATE charge SET reversed_at_ms = ?3, reversal_journal_tx_id = ?4, reversal_reason = ?5 \
                   WHERE billing_account_id = ?1 AND charge_id = ?2 AND reversed_at_ms IS NULL";
        exec_one(self.conn(), sql, params![account.0, id.0, rev.at.0, rev.journal_tx_id.0, rev.reason], "charge")
    }

    fn put_idempotency(&mut self, r: &IdempotencyRecord) -> R<()> {
        let sql = "INSERT INTO idempotency (scope, idem_key, fingerprint, result_ref, created_at_ms) \
                   VALUES (?1, ?2, ?3, ?4, ?5)";
        exec(self.conn(), sql, params![r.scope, r.key, r.fingerprint, r.result_ref, r.created_at.0]).map(drop)
    }

    fn insert_code_batch(&mut self, new: &NewCodeBatch) -> R<CodeBatchId> {
        let c = self.conn();
        let (from, until, days) = match new.validity {
            VoucherValidity::Fixed(w) => (Some(w.from.0), w.until.map(|t| t.0), None),
            VoucherValidity::DaysFromActivation(days) => (None, None, Some(days)),
        };
        let sql =
            "INSERT INTO code_batch (kind, face_value_minor, currency, valid_from_ms, valid_until_ms, valid_days, \
                   code_count, memo, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
        let p = params![
            new.kind.as_str(),
            new.face_value.minor(),
            new.currency.code(),
            from,
            until,
            days,
            new.count,
            new.memo,
            new.created_at.0
        ];
        exec(c, sql, p)?;
        Ok(CodeBatchId(c.last_insert_rowid()))
    }

    fn insert_code(&mut self, batch: CodeBatchId, code_hash: &str) -> R<()> {
        let sql = "INSERT INTO activation_code (code_batch_id, code_hash, status) VALUES (?1, ?2, 'issued')";
        exec(self.conn(), sql, params![batch.0, code_hash]).map(drop)
    }

    fn mark_code_redeemed(&mut self, code_id: i64, account: AccountId, voucher: VoucherId, at: Timestamp) -> R<()> {
        let sql = "UPDATE activation_code SET status = 'redeemed', redeemed_by_account_id = ?2, voucher_id = ?3, \
                   redeemed_at_ms = ?4 WHERE activation_code_id = ?1 AND status = 'issued'";
        exec_one(self.conn(), sql, params![code_id, account.0, voucher.0, at.0], "activation code")
    }

    fn record_failed_attempt(&mut self, account: AccountId, at: Timestamp) -> R<()> {
        let sql = "INSERT INTO activation_attempt (billing_account_id, at_ms) VALUES (?1, ?2)";
        exec(self.conn(), sql, params![account.0, at.0]).map(drop)
    }

    fn insert_cash_credit(&mut self, new: &NewCashCredit) -> R<()> {
        let sql =
            "INSERT INTO cash_credit (billing_account_id, source, external_id, amount_minor, journal_tx_id, at_ms) \
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        let p =
            params![new.account_id.0, new.source, new.external_id, new.amount.minor(), new.journal_tx_id.0, new.at.0];
        exec(self.conn(), sql, p).map(drop)
    }

    fn insert_recharge_order(&mut self, new: &coffer_store::rails::NewRechargeOrder) -> R<i64> {
        crate::rails::insert_recharge_order(self.conn(), new)
    }

    fn update_recharge_order(&mut self, id: i64, update: &coffer_store::rails::RechargeUpdate) -> R<()> {
        crate::rails::update_recharge_order(self.conn(), id, update)
    }

    fn insert_notification(&mut self, new: &coffer_store::rails::NewNotification) -> R<i64> {
        crate::rails::insert_notification(self.conn(), new)
    }

    fn insert_bank_transfer(&mut self, new: &coffer_store::rails::NewBankTransfer) -> R<i64> {
        crate::rails::insert_bank_transfer(self.conn(), new)
    }

    fn update_bank_transfer(&mut self, id: i64, update: &coffer_store::rails::TransferUpdate) -> R<()> {
        crate::rails::update_bank_transfer(self.conn(), id, update)
    }

    fn insert_outbox_item(&mut self, new: &coffer_store::rails::NewOutboxItem) -> R<i64> {
        crate::rails::insert_outbox_item(self.conn(), new)
    }

    fn update_outbox_item(&mut self, id: i64, update: &coffer_store::rails::OutboxUpdate) -> R<()> {
        crate::rails::update_outbox_item(self.conn(), id, update)
    }

    fn insert_adjustment_request(&mut self, new: &coffer_store::adjustments::NewAdjustmentRequest) -> R<i64> {
        crate::adjustments::insert_adjustment_request(self.conn(), new)
    }

    fn decide_adjustment_request(&mut self, id: i64, d: &coffer_store::adjustments::AdjustmentDecision) -> R<()> {
        crate::adjustments::decide_adjustment_request(self.conn(), id, d)
    }

    fn savepoint(&mut self) -> R<()> {
        self.begin_unit()
    }

    fn release_savepoint(&mut self) -> R<()> {
        self.keep_unit()
    }

    fn rollback_to_savepoint(&mut self) -> R<()> {
        self.undo_unit()
    }

    fn commit(mut self: Box<Self>) -> R<()> {
        crate::run_cached(self.conn(), "COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl SqliteWriteTx<'_> {
    /// Runs a multi-statement write so that a refused write leaves nothing behind in
    /// the caller's transaction (SQLite keeps the earlier statements of a failed
    /// sequence otherwise): in a savepoint of its own, or, inside an open unit of
    /// work, relying on the caller to undo the unit.
    fn atomically<T>(&mut self, f: impl FnOnce(&Connection) -> R<T>) -> R<T> {
        match self.unit_open {
            true => f(self.conn()),
            false => savepoint(self.conn(), f),
        }
    }
}

/// Runs `f` inside the per-write savepoint.
fn savepoint<T>(c: &Connection, f: impl FnOnce(&Connection) -> R<T>) -> R<T> {
    crate::run_cached(c, "SAVEPOINT coffer_write")?;
    match f(c) {
        Ok(value) => {
            crate::run_cached(c, "RELEASE coffer_write")?;
            Ok(value)
        }
        Err(e) => {
            if crate::run_cached(c, "ROLLBACK TO coffer_write").is_ok() {
                let _ = crate::run_cached(c, "RELEASE coffer_write");
            }
            Err(e)
        }
    }
}

/// Records the transaction, applies each posting and moves the chain head.
fn append_journal(c: &Connection, new: &NewJournalTx) -> R<JournalTxId> {
    let sql = "INSERT INTO journal_tx (billing_account_id, seq, kind, memo, at_ms, prev_hash, hash) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let (prev_hash, hash) = (StoredHash::of(&new.prev_hash), StoredHash::of(&new.hash));
    let p = params![new.account_id.0, new.seq, new.kind.as_str(), new.memo, new.at.0, prev_hash, hash];
    exec(c, sql, p)?;
    let tx_id = c.last_insert_rowid();
    for (idx, posting) in new.postings.iter().enumerate() {
        let balance_after = apply_posting(c, new.account_id, posting)?;
        let sql = "INSERT INTO posting (journal_tx_id, posting_idx, billing_account_id, book, instrument_id, \
                   amount_minor, balance_after_minor, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
        let p = params![
            tx_id,
            idx,
            new.account_id.0,
            posting.book.as_str(),
            posting.instrument_id,
            posting.amount_minor,
            balance_after,
            new.at.0
        ];
        exec(c, sql, p)?;
    }
    let sql = "UPDATE billing_account SET journal_seq = ?2, journal_head = ?3 \
               WHERE billing_account_id = ?1 AND journal_seq = ?2 - 1";
    exec_one(c, sql, params![new.account_id.0, new.seq, hash], "journal chain head")?;
    Ok(JournalTxId(tx_id))
}

/// Records a charge and its deductions.
fn insert_charge(c: &Connection, new: &NewCharge) -> R<ChargeId> {
    let sql = "INSERT INTO charge (billing_account_id, workspace_id, bill_id, category, settlement, cloud_provider, \
               amount_minor, currency, bill_date, policy_version, settled_at_ms, fingerprint, journal_tx_id) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    let p = params![
        new.account_id.0,
        new.workspace_id.as_str(),
        new.bill_id.as_str(),
        new.category.as_str(),
        new.settlement.as_str(),
        new.cloud_provider.map(|p| p.as_str()),
        new.amount.minor(),
        new.currency.code(),
        new.bill_date.to_string(),
        new.policy_version,
        new.settled_at.0,
        StoredHash::of(&new.fingerprint),
        new.journal_tx_id.0
    ];
    exec(c, sql, p)?;
    let charge_id = c.last_insert_rowid();
    for (idx, d) in new.deductions.iter().enumerate() {
        let (_, instrument_id) = coffer_core::journal::Book::of_source(d.source);
        let sql = "INSERT INTO charge_deduction (charge_id, deduction_idx, billing_account_id, class, instrument_id, \
                   amount_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
        let p = params![charge_id, idx, new.account_id.0, d.class.as_str(), instrument_id, d.amount.minor()];
        exec(c, sql, p)?;
    }
    Ok(ChargeId(charge_id))
}

/// Adds a posting to its book and returns the balance after it. The CHECK
/// constraints on `ledger_account` refuse a negative customer balance. An UPDATE
/// comes first and an INSERT only for a new book, because SQLite checks CHECK
/// constraints on an upsert's candidate row before it resolves the conflict.
fn apply_posting(c: &Connection, account: AccountId, p: &coffer_core::journal::Posting) -> R<i64> {
    let params = params![account.0, p.book.as_str(), p.instrument_id, p.amount_minor];
    let update = "UPDATE ledger_account SET balance_minor = balance_minor + ?4 \
                  WHERE billing_account_id = ?1 AND book = ?2 AND instrument_id = ?3 RETURNING balance_minor";
    let updated: Option<i64> =
        c.prepare_cached(update).and_then(|mut s| s.query_row(params, |r| r.get(0)).optional()).map_err(map_err)?;
    if let Some(balance) = updated {
        return Ok(balance);
    }
    let insert = "INSERT INTO ledger_account (billing_account_id, book, instrument_id, balance_minor) \
                  VALUES (?1, ?2, ?3, ?4)";
    exec(c, insert, params)?;
    Ok(p.amount_minor)
}
