//! Queries. Each is a free function over a connection so that read views and write
//! transactions share one implementation.

use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, BillId, CardId, ChargeId, CodeBatchId, JournalTxId, VoucherId, WorkspaceId};
use coffer_core::journal::{Book, EntryKind, Posting};
use coffer_core::planner::{Deduction, Source};
use coffer_core::policy::{Category, InstrumentClass};
use coffer_core::time::{Date, Timestamp};
use coffer_core::voucher::{VoucherKind, VoucherStatus, VoucherValidity};
use coffer_core::workspace::{CloudProvider, SettlementKind, Workspace};
use coffer_store::records::*;
use coffer_store::{IdSpan, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::rows::*;

type R<T> = StoreResult<T>;

pub(crate) fn account(c: &Connection, id: AccountId) -> R<Option<AccountRecord>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM billing_account WHERE billing_account_id = ?1");
    crate::cached_row(c, &sql, [id.0], account_row).optional().map_err(from_sql_err)
}

pub(crate) fn accounts(c: &Connection) -> R<Vec<AccountRecord>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM billing_account ORDER BY billing_account_id");
    collect(c, &sql, [], account_row)
}

pub(crate) fn workspace(c: &Connection, id: &WorkspaceId) -> R<Option<Workspace>> {
    let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspace WHERE workspace_id = ?1");
    crate::cached_row(c, &sql, [id.as_str()], workspace_row).optional().map_err(from_sql_err)
}

pub(crate) fn workspaces_of(c: &Connection, account: AccountId) -> R<Vec<Workspace>> {
    let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspace WHERE billing_account_id = ?1 ORDER BY workspace_id");
    collect(c, &sql, [account.0], workspace_row)
}

pub(crate) fn book_balance(c: &Connection, account: AccountId, book: Book, instrument_id: i64) -> R<i64> {
    let sql = "SELECT balance_minor FROM ledger_account \
               WHERE billing_account_id = ?1 AND book = ?2 AND instrument_id = ?3";
    let found: Option<i64> = crate::cached_row(c, sql, params![account.0, book.as_str(), instrument_id], |r| r.get(0))
        .optional()
        .map_err(from_sql_err)?;
    Ok(found.unwrap_or(0))
}

pub(crate) fn ledger_balances(c: &Connection, account: AccountId) -> R<Vec<LedgerBalance>> {
    let sql = "SELECT book, instrument_id, balance_minor FROM ledger_account WHERE billing_account_id = ?1 \
               ORDER BY book, instrument_id";
    collect(c, sql, [account.0], |r| {
        let book: String = r.get(0)?;
        Ok(LedgerBalance {
            book: Book::parse(&book).ok_or_else(|| to_sql_err(corrupt("book", &book)))?,
            instrument_id: r.get(1)?,
            balance_minor: r.get(2)?,
        })
    })
}

pub(crate) fn vouchers_of(c: &Connection, account: AccountId, status: Option<VoucherStatus>) -> R<Vec<VoucherRecord>> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM voucher WHERE billing_account_id = ?1 AND (?2 IS NULL OR status = ?2) \
         ORDER BY voucher_id"
    );
    collect(c, &sql, params![account.0, status.map(|s| s.as_str())], voucher_row)
}

pub(crate) fn voucher(c: &Connection, account: AccountId, id: VoucherId) -> R<Option<VoucherRecord>> {
    let sql = format!("SELECT {VOUCHER_COLUMNS} FROM voucher WHERE billing_account_id = ?1 AND voucher_id = ?2");
    crate::cached_row(c, &sql, [account.0, id.0], voucher_row).optional().map_err(from_sql_err)
}

pub(crate) fn cards_of(c: &Connection, account: AccountId, status: Option<CardStatus>) -> R<Vec<CardRecord>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM prepaid_card WHERE billing_account_id = ?1 AND (?2 IS NULL OR status = ?2) \
         ORDER BY prepaid_card_id"
    );
    collect(c, &sql, params![account.0, status.map(|s| s.as_str())], card_row)
}

pub(crate) fn card(c: &Connection, account: AccountId, id: CardId) -> R<Option<CardRecord>> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM prepaid_card WHERE billing_account_id = ?1 AND prepaid_card_id = ?2");
    crate::cached_row(c, &sql, [account.0, id.0], card_row).optional().map_err(from_sql_err)
}

pub(crate) fn vouchers_due(c: &Connection, now: Timestamp, limit: u32) -> R<Vec<(AccountId, VoucherId)>> {
    let sql = "SELECT billing_account_id, voucher_id FROM voucher \
               WHERE status IN ('active', 'used_up') AND valid_until_ms <= ?1 ORDER BY voucher_id LIMIT ?2";
    collect(c, sql, params![now.0, limit], |r| Ok((AccountId(r.get(0)?), VoucherId(r.get(1)?))))
}

pub(crate) fn cards_due(c: &Connection, now: Timestamp, limit: u32) -> R<Vec<(AccountId, CardId)>> {
    let sql = "SELECT billing_account_id, prepaid_card_id FROM prepaid_card \
               WHERE status IN ('active', 'used_up') AND valid_until_ms <= ?1 ORDER BY prepaid_card_id LIMIT ?2";
    collect(c, sql, params![now.0, limit], |r| Ok((AccountId(r.get(0)?), CardId(r.get(1)?))))
}

pub(crate) const CHARGE_COLUMNS: &str = "charge_id, billing_account_id, workspace_id, bill_id, category, settlement, \
     cloud_provider, amount_minor, currency, bill_date, policy_version, settled_at_ms, fingerprint, journal_tx_id, \
     reversed_at_ms, reversal_journal_tx_id, reversal_reason";

pub(crate) fn charge_row(r: &Row<'_>) -> rusqlite::Result<ChargeRecord> {
    // Text columns are read in place rather than copied into a String each; the
    // parsed ids own their text anyway.
    let text = |idx: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(idx)?.as_str()?) };
    let bad = |what: &str, v: &str| to_sql_err(corrupt(what, v));
    let (ws, bill, cat, set, date) = (text(2)?, text(3)?, text(4)?, text(5)?, text(9)?);
    let provider = r.get_ref(6)?.as_str_or_null()?;
    let reversed_at: Option<i64> = r.get(14)?;
    let reversal = match reversed_at {
        Some(at) => Some(ChargeReversal {
            at: Timestamp(at),
            journal_tx_id: JournalTxId(r.get(15)?),
            reason: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(ChargeRecord {
        id: ChargeId(r.get(0)?),
        charge: NewCharge {
            account_id: AccountId(r.get(1)?),
            workspace_id: WorkspaceId::parse(ws).map_err(|_| bad("workspace id", ws))?,
            bill_id: BillId::parse(bill).map_err(|_| bad("bill id", bill))?,
            category: Category::parse(cat).ok_or_else(|| bad("category", cat))?,
            settlement: SettlementKind::parse(set).ok_or_else(|| bad("settlement", set))?,
            cloud_provider: provider.and_then(CloudProvider::parse),
            amount: amount(r.get(7)?).map_err(to_sql_err)?,
            currency: currency(text(8)?).map_err(to_sql_err)?,
            bill_date: Date::parse(date).ok_or_else(|| bad("bill date", date))?,
            policy_version: r.get(10)?,
            settled_at: Timestamp(r.get(11)?),
            fingerprint: crate::rows::hash(r, 12)?,
            journal_tx_id: JournalTxId(r.get(13)?),
            deductions: Vec::new(),
        },
        reversal,
    })
}

fn with_deductions(c: &Connection, mut charge: ChargeRecord) -> R<ChargeRecord> {
    let sql =
        "SELECT class, instrument_id, amount_minor FROM charge_deduction WHERE charge_id = ?1 ORDER BY deduction_idx";
    charge.charge.deductions = collect(c, sql, [charge.id.0], |r| deduction_row(r, 0))?;
    Ok(charge)
}

/// A deduction from `class, instrument_id, amount_minor` starting at column `at`.
pub(crate) fn deduction_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Deduction> {
    let class_text = r.get_ref(at)?.as_str()?;
    let class = InstrumentClass::parse(class_text).ok_or_else(|| to_sql_err(corrupt("class", class_text)))?;
    let id: i64 = r.get(at + 1)?;
    let source = match class {
        InstrumentClass::StandardVoucher | InstrumentClass::DiscountVoucher => Source::Voucher(VoucherId(id)),
        InstrumentClass::PrepaidCard => Source::Card(CardId(id)),
        InstrumentClass::Cash => Source::Cash,
        InstrumentClass::Arrears => Source::Arrears,
        InstrumentClass::CloudAccount => Source::CloudAccount,
    };
    Ok(Deduction { class, source, amount: amount(r.get(at + 2)?).map_err(to_sql_err)? })
}

pub(crate) fn charge(c: &Connection, account: AccountId, id: ChargeId) -> R<Option<ChargeRecord>> {
    let sql = format!("SELECT {CHARGE_COLUMNS} FROM charge WHERE billing_account_id = ?1 AND charge_id = ?2");
    let found = crate::cached_row(c, &sql, [account.0, id.0], charge_row).optional().map_err(from_sql_err)?;
    found.map(|ch| with_deductions(c, ch)).transpose()
}

pub(crate) fn charge_by_bill(c: &Connection, ws: &WorkspaceId, bill: &BillId) -> R<Option<ChargeRecord>> {
    let sql = format!("SELECT {CHARGE_COLUMNS} FROM charge WHERE workspace_id = ?1 AND bill_id = ?2");
    let found =
        crate::cached_row(c, &sql, [ws.as_str(), bill.as_str()], charge_row).optional().map_err(from_sql_err)?;
    found.map(|ch| with_deductions(c, ch)).transpose()
}

pub(crate) fn charges_of(c: &Connection, account: AccountId, page: &PageQuery) -> R<Vec<ChargeRecord>> {
    let sql = format!(
        "SELECT {CHARGE_COLUMNS} FROM charge WHERE billing_account_id = ?1 AND charge_id > ?2 \
         AND settled_at_ms >= ?3 AND settled_at_ms < ?4 ORDER BY charge_id LIMIT ?5"
    );
    let (after, from, until) = page_bounds(page);
    let found = collect(c, &sql, params![account.0, after, from, until, page.limit], charge_row)?;
    found.into_iter().map(|ch| with_deductions(c, ch)).collect()
}

fn page_bounds(page: &PageQuery) -> (i64, i64, i64) {
    (page.after.unwrap_or(0), page.from.map_or(i64::MIN, |t| t.0), page.until.map_or(i64::MAX, |t| t.0))
}

pub(crate) fn idempotency(c: &Connection, scope: &str, key: &str) -> R<Option<IdempotencyRecord>> {
    let sql = "SELECT scope, idem_key, fingerprint, result_ref, created_at_ms FROM idempotency \
               WHERE scope = ?1 AND idem_key = ?2";
    crate::cached_row(c, sql, [scope, key], |r| {
        Ok(IdempotencyRecord {
            scope: r.get(0)?,
            key: r.get(1)?,
            fingerprint: r.get(2)?,
            result_ref: r.get(3)?,
            created_at: Timestamp(r.get(4)?),
        })
    })
    .optional()
    .map_err(from_sql_err)
}

const BATCH_COLUMNS: &str = "b.code_batch_id, b.kind, b.face_value_minor, b.currency, b.valid_from_ms, \
     b.valid_until_ms, b.valid_days, b.code_count, b.memo, b.created_at_ms";

fn batch_row(r: &Row<'_>) -> rusqlite::Result<CodeBatchRecord> {
    batch_row_offset(r, 0)
}

pub(crate) fn code_batch(c: &Connection, id: CodeBatchId) -> R<Option<CodeBatchRecord>> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM code_batch b WHERE b.code_batch_id = ?1");
    crate::cached_row(c, &sql, [id.0], batch_row).optional().map_err(from_sql_err)
}

pub(crate) fn code_by_hash(c: &Connection, code_hash: &str) -> R<Option<CodeRecord>> {
    let sql = format!(
        "SELECT a.activation_code_id, a.status, a.redeemed_by_account_id, {BATCH_COLUMNS} \
         FROM activation_code a JOIN code_batch b ON b.code_batch_id = a.code_batch_id WHERE a.code_hash = ?1"
    );
    crate::cached_row(c, &sql, [code_hash], |r| {
        let status: String = r.get(1)?;
        let redeemed_by: Option<i64> = r.get(2)?;
        let batch = batch_row_offset(r, 3)?;
        Ok(CodeRecord {
            id: r.get(0)?,
            batch,
            status: if status == "redeemed" { CodeStatus::Redeemed } else { CodeStatus::Issued },
            redeemed_by: redeemed_by.map(AccountId),
        })
    })
    .optional()
    .map_err(from_sql_err)
}

/// `batch_row` for a row whose batch columns start at `offset`.
fn batch_row_offset(r: &Row<'_>, offset: usize) -> rusqlite::Result<CodeBatchRecord> {
    let kind: String = r.get(offset + 1)?;
    let from: Option<i64> = r.get(offset + 4)?;
    let days: Option<u32> = r.get(offset + 6)?;
    let validity = match (from, days) {
        (Some(from), None) => VoucherValidity::Fixed(window(from, r.get(offset + 5)?)),
        (None, Some(days)) => VoucherValidity::DaysFromActivation(days),
        _ => return Err(to_sql_err(corrupt("code batch validity", (from, days)))),
    };
    Ok(CodeBatchRecord {
        id: CodeBatchId(r.get(offset)?),
        batch: NewCodeBatch {
            kind: VoucherKind::parse(&kind).ok_or_else(|| to_sql_err(corrupt("voucher kind", &kind)))?,
            face_value: amount(r.get(offset + 2)?).map_err(to_sql_err)?,
            currency: currency(&r.get::<_, String>(offset + 3)?).map_err(to_sql_err)?,
            validity,
            count: r.get(offset + 7)?,
            memo: r.get(offset + 8)?,
            created_at: Timestamp(r.get(offset + 9)?),
        },
    })
}

pub(crate) fn failed_attempts_since(c: &Connection, account: AccountId, since: Timestamp) -> R<u32> {
    let sql = "SELECT COUNT(*) FROM activation_attempt WHERE billing_account_id = ?1 AND at_ms >= ?2";
    crate::cached_row(c, sql, [account.0, since.0], |r| r.get(0)).map_err(from_sql_err)
}

pub(crate) fn failed_attempts_total_since(c: &Connection, since: Timestamp) -> R<u32> {
    let sql = "SELECT COUNT(*) FROM activation_attempt WHERE at_ms >= ?1";
    crate::cached_row(c, sql, [since.0], |r| r.get(0)).map_err(from_sql_err)
}

pub(crate) fn cash_credit_by_external(c: &Connection, source: &str, external_id: &str) -> R<Option<CashCreditRecord>> {
    let sql = "SELECT billing_account_id, source, external_id, amount_minor, journal_tx_id, at_ms FROM cash_credit \
               WHERE source = ?1 AND external_id = ?2";
    crate::cached_row(c, sql, [source, external_id], |r| {
        Ok(CashCreditRecord {
            credit: NewCashCredit {
                account_id: AccountId(r.get(0)?),
                source: r.get(1)?,
                external_id: r.get(2)?,
                amount: amount(r.get(3)?).map_err(to_sql_err)?,
                journal_tx_id: JournalTxId(r.get(4)?),
                at: Timestamp(r.get(5)?),
            },
        })
    })
    .optional()
    .map_err(from_sql_err)
}

pub(crate) fn statement_lines(c: &Connection, account: AccountId, page: &PageQuery) -> R<Vec<StatementLine>> {
    let sql = "SELECT p.journal_tx_id, p.posting_idx, p.at_ms, t.kind, t.memo, p.book, p.instrument_id, \
               p.amount_minor, p.balance_after_minor \
               FROM posting p JOIN journal_tx t ON t.journal_tx_id = p.journal_tx_id \
               WHERE p.billing_account_id = ?1 AND p.book IN ('cash', 'arrears', 'voucher', 'card') \
               AND p.journal_tx_id >= ?2 / ?6 AND (p.journal_tx_id * ?6 + p.posting_idx) > ?2 AND p.at_ms >= ?3 AND p.at_ms < ?4 \
               ORDER BY p.journal_tx_id, p.posting_idx LIMIT ?5";
    let (after, from, until) = page_bounds(page);
    collect(c, sql, params![account.0, after, from, until, page.limit, LINE_ID_STRIDE], |r| {
        let tx: i64 = r.get(0)?;
        let idx: i64 = r.get(1)?;
        let kind: String = r.get(3)?;
        let book: String = r.get(5)?;
        Ok(StatementLine {
            line_id: tx * LINE_ID_STRIDE + idx,
            journal_tx_id: JournalTxId(tx),
            at: Timestamp(r.get(2)?),
            kind: EntryKind::parse(&kind).ok_or_else(|| to_sql_err(corrupt("entry kind", &kind)))?,
            memo: r.get(4)?,
            book: Book::parse(&book).ok_or_else(|| to_sql_err(corrupt("book", &book)))?,
            instrument_id: r.get(6)?,
            amount_minor: r.get(7)?,
            balance_after_minor: r.get(8)?,
        })
    })
}

pub(crate) const TX_COLUMNS: &str = "journal_tx_id, billing_account_id, seq, kind, memo, at_ms, prev_hash, hash";

fn tx_row(r: &Row<'_>) -> rusqlite::Result<JournalTxRecord> {
    let kind: String = r.get(3)?;
    Ok(JournalTxRecord {
        id: JournalTxId(r.get(0)?),
        account_id: AccountId(r.get(1)?),
        seq: r.get(2)?,
        kind: EntryKind::parse(&kind).ok_or_else(|| to_sql_err(corrupt("entry kind", &kind)))?,
        memo: r.get(4)?,
        at: Timestamp(r.get(5)?),
        prev_hash: crate::rows::hash(r, 6)?,
        hash: crate::rows::hash(r, 7)?,
        postings: Vec::new(),
    })
}

fn with_postings(c: &Connection, mut tx: JournalTxRecord) -> R<JournalTxRecord> {
    let sql = "SELECT book, instrument_id, amount_minor, balance_after_minor FROM posting \
               WHERE journal_tx_id = ?1 ORDER BY posting_idx";
    tx.postings = collect(c, sql, [tx.id.0], |r| {
        let book: String = r.get(0)?;
        Ok(PostingRecord {
            posting: Posting {
                book: Book::parse(&book).ok_or_else(|| to_sql_err(corrupt("book", &book)))?,
                instrument_id: r.get(1)?,
                amount_minor: r.get(2)?,
            },
            balance_after_minor: r.get(3)?,
        })
    })?;
    Ok(tx)
}

pub(crate) fn journal_of(c: &Connection, account: AccountId, after_seq: i64, limit: u32) -> R<Vec<JournalTxRecord>> {
    let sql =
        format!("SELECT {TX_COLUMNS} FROM journal_tx WHERE billing_account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
    let txs = collect(c, &sql, params![account.0, after_seq, limit], tx_row)?;
    txs.into_iter().map(|tx| with_postings(c, tx)).collect()
}

pub(crate) fn journal_tx(c: &Connection, account: AccountId, id: JournalTxId) -> R<Option<JournalTxRecord>> {
    let sql = format!("SELECT {TX_COLUMNS} FROM journal_tx WHERE billing_account_id = ?1 AND journal_tx_id = ?2");
    let found = crate::cached_row(c, &sql, [account.0, id.0], tx_row).optional().map_err(from_sql_err)?;
    found.map(|tx| with_postings(c, tx)).transpose()
}

fn collect<T, P: rusqlite::Params>(
    c: &Connection,
    sql: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> R<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(crate::map_err)?;
    let rows = stmt.query_map(params, map).map_err(from_sql_err)?;
    rows.collect::<Result<Vec<T>, _>>().map_err(from_sql_err)
}

/// Implements [`coffer_store::Reads`] for a type with a `conn()` method.
macro_rules! impl_reads {
    ($ty:ty) => {
        impl coffer_store::Reads for $ty {
            fn account(&mut self, id: AccountId) -> R<Option<AccountRecord>> {
                crate::reads::account(self.conn(), id)
            }
            fn accounts(&mut self) -> R<Vec<AccountRecord>> {
                crate::reads::accounts(self.conn())
            }
            fn workspace(&mut self, id: &WorkspaceId) -> R<Option<Workspace>> {
                crate::reads::workspace(self.conn(), id)
            }
            fn workspaces_of(&mut self, a: AccountId) -> R<Vec<Workspace>> {
                crate::reads::workspaces_of(self.conn(), a)
            }
            fn book_balance(&mut self, a: AccountId, b: Book, i: i64) -> R<i64> {
                crate::reads::book_balance(self.conn(), a, b, i)
            }
            fn ledger_balances(&mut self, a: AccountId) -> R<Vec<LedgerBalance>> {
                crate::reads::ledger_balances(self.conn(), a)
            }
            fn vouchers_of(&mut self, a: AccountId, s: Option<VoucherStatus>) -> R<Vec<VoucherRecord>> {
                crate::reads::vouchers_of(self.conn(), a, s)
            }
            fn voucher(&mut self, a: AccountId, id: VoucherId) -> R<Option<VoucherRecord>> {
                crate::reads::voucher(self.conn(), a, id)
            }
            fn cards_of(&mut self, a: AccountId, s: Option<CardStatus>) -> R<Vec<CardRecord>> {
                crate::reads::cards_of(self.conn(), a, s)
            }
            fn card(&mut self, a: AccountId, id: CardId) -> R<Option<CardRecord>> {
                crate::reads::card(self.conn(), a, id)
            }
            fn vouchers_due_for_expiry(&mut self, now: Timestamp, limit: u32) -> R<Vec<(AccountId, VoucherId)>> {
                crate::reads::vouchers_due(self.conn(), now, limit)
            }
            fn cards_due_for_expiry(&mut self, now: Timestamp, limit: u32) -> R<Vec<(AccountId, CardId)>> {
                crate::reads::cards_due(self.conn(), now, limit)
            }
            fn charge(&mut self, a: AccountId, id: ChargeId) -> R<Option<ChargeRecord>> {
                crate::reads::charge(self.conn(), a, id)
            }
            fn charge_by_bill(&mut self, w: &WorkspaceId, b: &BillId) -> R<Option<ChargeRecord>> {
                crate::reads::charge_by_bill(self.conn(), w, b)
            }
            fn charges_of(&mut self, a: AccountId, p: &PageQuery) -> R<Vec<ChargeRecord>> {
                crate::reads::charges_of(self.conn(), a, p)
            }
            fn idempotency(&mut self, s: &str, k: &str) -> R<Option<IdempotencyRecord>> {
                crate::reads::idempotency(self.conn(), s, k)
            }
            fn code_by_hash(&mut self, h: &str) -> R<Option<CodeRecord>> {
                crate::reads::code_by_hash(self.conn(), h)
            }
            fn code_batch(&mut self, id: CodeBatchId) -> R<Option<CodeBatchRecord>> {
                crate::reads::code_batch(self.conn(), id)
            }
            fn failed_attempts_since(&mut self, a: AccountId, since: Timestamp) -> R<u32> {
                crate::reads::failed_attempts_since(self.conn(), a, since)
            }
            fn failed_attempts_total_since(&mut self, since: Timestamp) -> R<u32> {
                crate::reads::failed_attempts_total_since(self.conn(), since)
            }
            fn cash_credit_by_external(&mut self, s: &str, e: &str) -> R<Option<CashCreditRecord>> {
                crate::reads::cash_credit_by_external(self.conn(), s, e)
            }
            fn statement_lines(&mut self, a: AccountId, p: &PageQuery) -> R<Vec<StatementLine>> {
                crate::reads::statement_lines(self.conn(), a, p)
            }
            fn journal_of(&mut self, a: AccountId, after: i64, limit: u32) -> R<Vec<JournalTxRecord>> {
                crate::reads::journal_of(self.conn(), a, after, limit)
            }
            fn journal_tx(&mut self, a: AccountId, id: JournalTxId) -> R<Option<JournalTxRecord>> {
                crate::reads::journal_tx(self.conn(), a, id)
            }
            fn scan_journal(&mut self, span: IdSpan, visit: &mut dyn FnMut(&JournalTxRecord) -> R<()>) -> R<()> {
                crate::scan::journal(self.conn(), span, visit)
            }
            fn scan_charges(&mut self, span: IdSpan, visit: &mut dyn FnMut(&ScannedCharge) -> R<()>) -> R<()> {
                crate::scan::charges(self.conn(), span, visit)
            }
            fn scan_bounds(&mut self) -> R<coffer_store::ScanBounds> {
                crate::scan::bounds(self.conn())
            }
            fn recharge_order(&mut self, o: &str) -> R<Option<coffer_store::rails::RechargeOrder>> {
                crate::rails::recharge_order(self.conn(), o)
            }
            fn recharge_orders_of(&mut self, a: AccountId, l: u32) -> R<Vec<coffer_store::rails::RechargeOrder>> {
                crate::rails::recharge_orders_of(self.conn(), a, l)
            }
            fn open_recharge_orders(&mut self, t: Timestamp, l: u32) -> R<Vec<coffer_store::rails::RechargeOrder>> {
                crate::rails::open_recharge_orders(self.conn(), t, l)
            }
            fn notifications(
                &mut self,
                a: Option<AccountId>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::NotificationRecord>> {
                crate::rails::notifications(self.conn(), a, l)
            }
            fn bank_transfer(&mut self, t: &str) -> R<Option<coffer_store::rails::BankTransfer>> {
                crate::rails::bank_transfer(self.conn(), t)
            }
            fn bank_transfer_by_id(&mut self, id: i64) -> R<Option<coffer_store::rails::BankTransfer>> {
                crate::rails::bank_transfer_by_id(self.conn(), id)
            }
            fn bank_transfers(
                &mut self,
                s: Option<coffer_store::rails::TransferState>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::BankTransfer>> {
                crate::rails::bank_transfers(self.conn(), s, l)
            }
            fn outbox_due(&mut self, t: Timestamp, l: u32) -> R<Vec<coffer_store::rails::OutboxItem>> {
                crate::rails::outbox_due(self.conn(), t, l)
            }
            fn outbox_of_charge(&mut self, a: AccountId, c: ChargeId) -> R<Vec<coffer_store::rails::OutboxItem>> {
                crate::rails::outbox_of_charge(self.conn(), a, c)
            }
            fn outbox_items(
                &mut self,
                s: Option<coffer_store::rails::OutboxState>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::OutboxItem>> {
                crate::rails::outbox_items(self.conn(), s, l)
            }
            fn adjustment_request(&mut self, id: i64) -> R<Option<coffer_store::adjustments::AdjustmentRequest>> {
                crate::adjustments::adjustment_request(self.conn(), id)
            }
            fn adjustment_requests(
                &mut self,
                s: Option<coffer_store::adjustments::AdjustmentState>,
                l: u32,
            ) -> R<Vec<coffer_store::adjustments::AdjustmentRequest>> {
                crate::adjustments::adjustment_requests(self.conn(), s, l)
            }
        }
    };
}
impl_reads!(crate::ReadView<'_>);
impl_reads!(crate::SqliteWriteTx<'_>);
