//! Queries. Each is a free function over a connection so that read views and write
//! transactions share one implementation. Parameters are `$n`; integers are BIGINT
//! (`i64`) throughout.

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
use postgres::Row;

use crate::rows::*;
use crate::Conn;

type R<T> = StoreResult<T>;

fn all<T>(rows: Vec<Row>, map: impl Fn(&Row) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(map).collect()
}

fn limit(n: u32) -> i64 {
    i64::from(n)
}

pub(crate) fn account(c: &mut Conn, id: AccountId) -> R<Option<AccountRecord>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM billing_account WHERE billing_account_id = $1");
    c.query_opt(&sql, &[&id.0])?.as_ref().map(account_row).transpose()
}

/// The account's row, locked until the transaction ends: the per-account write lock.
/// At READ COMMITTED a writer that waited here sees the row as its holder committed it.
pub(crate) fn lock_account(c: &mut Conn, id: AccountId) -> R<Option<AccountRecord>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM billing_account WHERE billing_account_id = $1 FOR UPDATE");
    c.query_opt(&sql, &[&id.0])?.as_ref().map(account_row).transpose()
}

pub(crate) fn accounts(c: &mut Conn) -> R<Vec<AccountRecord>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM billing_account ORDER BY billing_account_id");
    all(c.query(&sql, &[])?, account_row)
}

pub(crate) fn workspace(c: &mut Conn, id: &WorkspaceId) -> R<Option<Workspace>> {
    let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspace WHERE workspace_id = $1");
    c.query_opt(&sql, &[&id.as_str()])?.as_ref().map(workspace_row).transpose()
}

pub(crate) fn workspaces_of(c: &mut Conn, account: AccountId) -> R<Vec<Workspace>> {
    let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspace WHERE billing_account_id = $1 ORDER BY workspace_id");
    all(c.query(&sql, &[&account.0])?, workspace_row)
}

pub(crate) fn book_balance(c: &mut Conn, account: AccountId, book: Book, instrument_id: i64) -> R<i64> {
    let sql = "SELECT balance_minor FROM ledger_account \
               WHERE billing_account_id = $1 AND book = $2 AND instrument_id = $3";
    match c.query_opt(sql, &[&account.0, &book.as_str(), &instrument_id])? {
        Some(row) => get(&row, 0),
        None => Ok(0),
    }
}

fn book(text: &str) -> R<Book> {
    Book::parse(text).ok_or_else(|| corrupt("book", text))
}

pub(crate) fn ledger_balances(c: &mut Conn, account: AccountId) -> R<Vec<LedgerBalance>> {
    // COLLATE "C": order books bytewise, as SQLite's default BINARY collation does,
    // whatever the database's locale.
    let sql = "SELECT book, instrument_id, balance_minor FROM ledger_account WHERE billing_account_id = $1 \
               ORDER BY book COLLATE \"C\", instrument_id";
    all(c.query(sql, &[&account.0])?, |r| {
        Ok(LedgerBalance { book: book(get(r, 0)?)?, instrument_id: get(r, 1)?, balance_minor: get(r, 2)? })
    })
}

pub(crate) fn vouchers_of(c: &mut Conn, account: AccountId, status: Option<VoucherStatus>) -> R<Vec<VoucherRecord>> {
    let sql = format!(
        "SELECT {VOUCHER_COLUMNS} FROM voucher WHERE billing_account_id = $1 \
         AND ($2::text IS NULL OR status = $2) ORDER BY voucher_id"
    );
    let status = status.map(|s| s.as_str());
    all(c.query(&sql, &[&account.0, &status])?, voucher_row)
}

pub(crate) fn voucher(c: &mut Conn, account: AccountId, id: VoucherId) -> R<Option<VoucherRecord>> {
    let sql = format!("SELECT {VOUCHER_COLUMNS} FROM voucher WHERE billing_account_id = $1 AND voucher_id = $2");
    c.query_opt(&sql, &[&account.0, &id.0])?.as_ref().map(voucher_row).transpose()
}

pub(crate) fn cards_of(c: &mut Conn, account: AccountId, status: Option<CardStatus>) -> R<Vec<CardRecord>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM prepaid_card WHERE billing_account_id = $1 \
         AND ($2::text IS NULL OR status = $2) ORDER BY prepaid_card_id"
    );
    let status = status.map(|s| s.as_str());
    all(c.query(&sql, &[&account.0, &status])?, card_row)
}

pub(crate) fn card(c: &mut Conn, account: AccountId, id: CardId) -> R<Option<CardRecord>> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM prepaid_card WHERE billing_account_id = $1 AND prepaid_card_id = $2");
    c.query_opt(&sql, &[&account.0, &id.0])?.as_ref().map(card_row).transpose()
}

pub(crate) fn vouchers_due(c: &mut Conn, now: Timestamp, n: u32) -> R<Vec<(AccountId, VoucherId)>> {
    let sql = "SELECT billing_account_id, voucher_id FROM voucher \
               WHERE status IN ('active', 'used_up') AND valid_until_ms <= $1 ORDER BY voucher_id LIMIT $2";
    all(c.query(sql, &[&now.0, &limit(n)])?, |r| Ok((AccountId(get(r, 0)?), VoucherId(get(r, 1)?))))
}

pub(crate) fn cards_due(c: &mut Conn, now: Timestamp, n: u32) -> R<Vec<(AccountId, CardId)>> {
    let sql = "SELECT billing_account_id, prepaid_card_id FROM prepaid_card \
               WHERE status IN ('active', 'used_up') AND valid_until_ms <= $1 ORDER BY prepaid_card_id LIMIT $2";
    all(c.query(sql, &[&now.0, &limit(n)])?, |r| Ok((AccountId(get(r, 0)?), CardId(get(r, 1)?))))
}

pub(crate) const CHARGE_COLUMNS: &str = "charge_id, billing_account_id, workspace_id, bill_id, category, settlement, \
     cloud_provider, amount_minor, currency, bill_date, policy_version, settled_at_ms, fingerprint, journal_tx_id, \
     reversed_at_ms, reversal_journal_tx_id, reversal_reason";

pub(crate) fn charge_row(r: &Row) -> R<ChargeRecord> {
    let (ws, bill, cat, set, date): (&str, &str, &str, &str, &str) =
        (get(r, 2)?, get(r, 3)?, get(r, 4)?, get(r, 5)?, get(r, 9)?);
    let provider: Option<&str> = get(r, 6)?;
    let reversed_at: Option<i64> = get(r, 14)?;
    let reversal = match reversed_at {
        Some(at) => Some(ChargeReversal {
            at: Timestamp(at),
            journal_tx_id: JournalTxId(get(r, 15)?),
            reason: get::<Option<String>>(r, 16)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(ChargeRecord {
        id: ChargeId(get(r, 0)?),
        charge: NewCharge {
            account_id: AccountId(get(r, 1)?),
            workspace_id: WorkspaceId::parse(ws).map_err(|_| corrupt("workspace id", ws))?,
            bill_id: BillId::parse(bill).map_err(|_| corrupt("bill id", bill))?,
            category: Category::parse(cat).ok_or_else(|| corrupt("category", cat))?,
            settlement: SettlementKind::parse(set).ok_or_else(|| corrupt("settlement", set))?,
            cloud_provider: provider.and_then(CloudProvider::parse),
            amount: amount(get(r, 7)?)?,
            currency: currency(get(r, 8)?)?,
            bill_date: Date::parse(date).ok_or_else(|| corrupt("bill date", date))?,
            policy_version: get_u32(r, 10)?,
            settled_at: Timestamp(get(r, 11)?),
            fingerprint: get(r, 12)?,
            journal_tx_id: JournalTxId(get(r, 13)?),
            deductions: Vec::new(),
        },
        reversal,
    })
}

fn with_deductions(c: &mut Conn, mut charge: ChargeRecord) -> R<ChargeRecord> {
    let sql = "SELECT class, instrument_id, amount_minor FROM charge_deduction WHERE charge_id = $1 \
               ORDER BY deduction_idx";
    charge.charge.deductions = all(c.query(sql, &[&charge.id.0])?, |r| deduction_row(r, 0))?;
    Ok(charge)
}

/// A deduction from the columns class, instrument_id, amount_minor starting at `at`.
pub(crate) fn deduction_row(r: &Row, at: usize) -> R<Deduction> {
    let class_text: &str = get(r, at)?;
    let class = InstrumentClass::parse(class_text).ok_or_else(|| corrupt("class", class_text))?;
    let id: i64 = get(r, at + 1)?;
    let source = match class {
        InstrumentClass::StandardVoucher | InstrumentClass::DiscountVoucher => Source::Voucher(VoucherId(id)),
        InstrumentClass::PrepaidCard => Source::Card(CardId(id)),
        InstrumentClass::Cash => Source::Cash,
        InstrumentClass::Arrears => Source::Arrears,
        InstrumentClass::CloudAccount => Source::CloudAccount,
    };
    Ok(Deduction { class, source, amount: amount(get(r, at + 2)?)? })
}

pub(crate) fn charge(c: &mut Conn, account: AccountId, id: ChargeId) -> R<Option<ChargeRecord>> {
    let sql = format!("SELECT {CHARGE_COLUMNS} FROM charge WHERE billing_account_id = $1 AND charge_id = $2");
    let found = c.query_opt(&sql, &[&account.0, &id.0])?;
    match found.as_ref().map(charge_row).transpose()? {
        Some(ch) => with_deductions(c, ch).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn charge_by_bill(c: &mut Conn, ws: &WorkspaceId, bill: &BillId) -> R<Option<ChargeRecord>> {
    let sql = format!("SELECT {CHARGE_COLUMNS} FROM charge WHERE workspace_id = $1 AND bill_id = $2");
    let found = c.query_opt(&sql, &[&ws.as_str(), &bill.as_str()])?;
    match found.as_ref().map(charge_row).transpose()? {
        Some(ch) => with_deductions(c, ch).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn charges_of(c: &mut Conn, account: AccountId, page: &PageQuery) -> R<Vec<ChargeRecord>> {
    let sql = format!(
        "SELECT {CHARGE_COLUMNS} FROM charge WHERE billing_account_id = $1 AND charge_id > $2 \
         AND settled_at_ms >= $3 AND settled_at_ms < $4 ORDER BY charge_id LIMIT $5"
    );
    let (after, from, until) = page_bounds(page);
    let rows = c.query(&sql, &[&account.0, &after, &from, &until, &limit(page.limit)])?;
    let found = all(rows, charge_row)?;
    found.into_iter().map(|ch| with_deductions(c, ch)).collect()
}

fn page_bounds(page: &PageQuery) -> (i64, i64, i64) {
    (page.after.unwrap_or(0), page.from.map_or(i64::MIN, |t| t.0), page.until.map_or(i64::MAX, |t| t.0))
}

pub(crate) fn idempotency(c: &mut Conn, scope: &str, key: &str) -> R<Option<IdempotencyRecord>> {
    let sql = "SELECT scope, idem_key, fingerprint, result_ref, created_at_ms FROM idempotency \
               WHERE scope = $1 AND idem_key = $2";
    let found = c.query_opt(sql, &[&scope, &key])?;
    found
        .map(|r| {
            Ok(IdempotencyRecord {
                scope: get(&r, 0)?,
                key: get(&r, 1)?,
                fingerprint: get(&r, 2)?,
                result_ref: get(&r, 3)?,
                created_at: Timestamp(get(&r, 4)?),
            })
        })
        .transpose()
}

const BATCH_COLUMNS: &str = "b.code_batch_id, b.kind, b.face_value_minor, b.currency, b.valid_from_ms, \
     b.valid_until_ms, b.valid_days, b.code_count, b.memo, b.created_at_ms";

pub(crate) fn code_batch(c: &mut Conn, id: CodeBatchId) -> R<Option<CodeBatchRecord>> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM code_batch b WHERE b.code_batch_id = $1");
    c.query_opt(&sql, &[&id.0])?.map(|r| batch_row(&r, 0)).transpose()
}

/// Looks a code up by its hash. Inside a write transaction (`lock`) the code's row
/// is locked until the end of the transaction (`FOR UPDATE OF a`: the code, not its
/// batch), so two accounts redeeming one code at once serialize and the second
/// sees it redeemed. Each locks its own account first, so the two never deadlock.
pub(crate) fn code_by_hash(c: &mut Conn, code_hash: &str, lock: bool) -> R<Option<CodeRecord>> {
    let sql = format!(
        "SELECT a.activation_code_id, a.status, a.redeemed_by_account_id, {BATCH_COLUMNS} \
         FROM activation_code a JOIN code_batch b ON b.code_batch_id = a.code_batch_id WHERE a.code_hash = $1{}",
        if lock { " FOR UPDATE OF a" } else { "" }
    );
    let found = c.query_opt(&sql, &[&code_hash])?;
    found
        .map(|r| {
            let status: &str = get(&r, 1)?;
            let redeemed_by: Option<i64> = get(&r, 2)?;
            Ok(CodeRecord {
                id: get(&r, 0)?,
                batch: batch_row(&r, 3)?,
                status: if status == "redeemed" { CodeStatus::Redeemed } else { CodeStatus::Issued },
                redeemed_by: redeemed_by.map(AccountId),
            })
        })
        .transpose()
}

/// A code batch from a row whose batch columns start at `offset`.
fn batch_row(r: &Row, offset: usize) -> R<CodeBatchRecord> {
    let kind: &str = get(r, offset + 1)?;
    let from: Option<i64> = get(r, offset + 4)?;
    let days: Option<i64> = get(r, offset + 6)?;
    let validity = match (from, days) {
        (Some(from), None) => VoucherValidity::Fixed(window(from, get(r, offset + 5)?)),
        (None, Some(days)) => VoucherValidity::DaysFromActivation(
            u32::try_from(days).map_err(|_| corrupt("code batch valid days", days))?,
        ),
        _ => return Err(corrupt("code batch validity", (from, days))),
    };
    Ok(CodeBatchRecord {
        id: CodeBatchId(get(r, offset)?),
        batch: NewCodeBatch {
            kind: VoucherKind::parse(kind).ok_or_else(|| corrupt("voucher kind", kind))?,
            face_value: amount(get(r, offset + 2)?)?,
            currency: currency(get(r, offset + 3)?)?,
            validity,
            count: get_u32(r, offset + 7)?,
            memo: get(r, offset + 8)?,
            created_at: Timestamp(get(r, offset + 9)?),
        },
    })
}

pub(crate) fn failed_attempts_since(c: &mut Conn, account: AccountId, since: Timestamp) -> R<u32> {
    let sql = "SELECT COUNT(*) FROM activation_attempt WHERE billing_account_id = $1 AND at_ms >= $2";
    get_u32(&c.query_one(sql, &[&account.0, &since.0])?, 0)
}

pub(crate) fn failed_attempts_total_since(c: &mut Conn, since: Timestamp) -> R<u32> {
    let sql = "SELECT COUNT(*) FROM activation_attempt WHERE at_ms >= $1";
    get_u32(&c.query_one(sql, &[&since.0])?, 0)
}

pub(crate) fn cash_credit_by_external(c: &mut Conn, source: &str, external_id: &str) -> R<Option<CashCreditRecord>> {
    let sql = "SELECT billing_account_id, source, external_id, amount_minor, journal_tx_id, at_ms \
               FROM cash_credit WHERE source = $1 AND external_id = $2";
    let found = c.query_opt(sql, &[&source, &external_id])?;
    found
        .map(|r| {
            Ok(CashCreditRecord {
                credit: NewCashCredit {
                    account_id: AccountId(get(&r, 0)?),
                    source: get(&r, 1)?,
                    external_id: get(&r, 2)?,
                    amount: amount(get(&r, 3)?)?,
                    journal_tx_id: JournalTxId(get(&r, 4)?),
                    at: Timestamp(get(&r, 5)?),
                },
            })
        })
        .transpose()
}

/// The statement's lines after the cursor `line_id = journal_tx_id * LINE_ID_STRIDE
/// + posting_idx` (as on SQLite). The cursor is compared as the pair it encodes, which
/// orders the same and lets `posting_by_account` serve it.
pub(crate) fn statement_lines(c: &mut Conn, account: AccountId, page: &PageQuery) -> R<Vec<StatementLine>> {
    let sql = "SELECT p.journal_tx_id, p.posting_idx, p.at_ms, t.kind, t.memo, p.book, p.instrument_id, \
               p.amount_minor, p.balance_after_minor \
               FROM posting p JOIN journal_tx t ON t.journal_tx_id = p.journal_tx_id \
               WHERE p.billing_account_id = $1 AND p.book IN ('cash', 'arrears', 'voucher', 'card') \
               AND p.journal_tx_id >= $2 AND (p.journal_tx_id, p.posting_idx) > ($2, $3) \
               AND p.at_ms >= $4 AND p.at_ms < $5 \
               ORDER BY p.journal_tx_id, p.posting_idx LIMIT $6";
    let (after, from, until) = page_bounds(page);
    let (after_tx, after_idx) = (after.div_euclid(LINE_ID_STRIDE), after.rem_euclid(LINE_ID_STRIDE));
    let rows = c.query(sql, &[&account.0, &after_tx, &after_idx, &from, &until, &limit(page.limit)])?;
    all(rows, |r| {
        let tx: i64 = get(r, 0)?;
        let idx: i64 = get(r, 1)?;
        let kind: &str = get(r, 3)?;
        Ok(StatementLine {
            line_id: tx * LINE_ID_STRIDE + idx,
            journal_tx_id: JournalTxId(tx),
            at: Timestamp(get(r, 2)?),
            kind: EntryKind::parse(kind).ok_or_else(|| corrupt("entry kind", kind))?,
            memo: get(r, 4)?,
            book: book(get(r, 5)?)?,
            instrument_id: get(r, 6)?,
            amount_minor: get(r, 7)?,
            balance_after_minor: get(r, 8)?,
        })
    })
}

pub(crate) const TX_COLUMNS: &str = "journal_tx_id, billing_account_id, seq, kind, memo, at_ms, prev_hash, hash";

pub(crate) fn tx_row(r: &Row) -> R<JournalTxRecord> {
    let kind: &str = get(r, 3)?;
    Ok(JournalTxRecord {
        id: JournalTxId(get(r, 0)?),
        account_id: AccountId(get(r, 1)?),
        seq: get(r, 2)?,
        kind: EntryKind::parse(kind).ok_or_else(|| corrupt("entry kind", kind))?,
        memo: get(r, 4)?,
        at: Timestamp(get(r, 5)?),
        prev_hash: get(r, 6)?,
        hash: get(r, 7)?,
        postings: Vec::new(),
    })
}

fn with_postings(c: &mut Conn, mut tx: JournalTxRecord) -> R<JournalTxRecord> {
    let sql = "SELECT book, instrument_id, amount_minor, balance_after_minor FROM posting \
               WHERE journal_tx_id = $1 ORDER BY posting_idx";
    tx.postings = all(c.query(sql, &[&tx.id.0])?, |r| posting_row(r, 0))?;
    Ok(tx)
}

/// A posting from the columns book, instrument_id, amount_minor, balance_after_minor
/// starting at `at`.
pub(crate) fn posting_row(r: &Row, at: usize) -> R<PostingRecord> {
    Ok(PostingRecord {
        posting: Posting { book: book(get(r, at)?)?, instrument_id: get(r, at + 1)?, amount_minor: get(r, at + 2)? },
        balance_after_minor: get(r, at + 3)?,
    })
}

pub(crate) fn journal_of(c: &mut Conn, account: AccountId, after_seq: i64, n: u32) -> R<Vec<JournalTxRecord>> {
    let sql =
        format!("SELECT {TX_COLUMNS} FROM journal_tx WHERE billing_account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
    let txs = all(c.query(&sql, &[&account.0, &after_seq, &limit(n)])?, tx_row)?;
    txs.into_iter().map(|tx| with_postings(c, tx)).collect()
}

pub(crate) fn journal_tx(c: &mut Conn, account: AccountId, id: JournalTxId) -> R<Option<JournalTxRecord>> {
    let sql = format!("SELECT {TX_COLUMNS} FROM journal_tx WHERE billing_account_id = $1 AND journal_tx_id = $2");
    let found = c.query_opt(&sql, &[&account.0, &id.0])?;
    match found.as_ref().map(tx_row).transpose()? {
        Some(tx) => with_postings(c, tx).map(Some),
        None => Ok(None),
    }
}

/// Implements [`coffer_store::Reads`] for a type with a `read(|conn| ...)` method;
/// `$lock` says whether code lookups lock the code's row (write transactions).
macro_rules! impl_reads {
    ($ty:ty, $lock:expr) => {
        impl coffer_store::Reads for $ty {
            fn account(&mut self, id: AccountId) -> R<Option<AccountRecord>> {
                self.read(|c| crate::reads::account(c, id))
            }
            fn accounts(&mut self) -> R<Vec<AccountRecord>> {
                self.read(crate::reads::accounts)
            }
            fn workspace(&mut self, id: &WorkspaceId) -> R<Option<Workspace>> {
                self.read(|c| crate::reads::workspace(c, id))
            }
            fn workspaces_of(&mut self, a: AccountId) -> R<Vec<Workspace>> {
                self.read(|c| crate::reads::workspaces_of(c, a))
            }
            fn book_balance(&mut self, a: AccountId, b: Book, i: i64) -> R<i64> {
                self.read(|c| crate::reads::book_balance(c, a, b, i))
            }
            fn ledger_balances(&mut self, a: AccountId) -> R<Vec<LedgerBalance>> {
                self.read(|c| crate::reads::ledger_balances(c, a))
            }
            fn vouchers_of(&mut self, a: AccountId, s: Option<VoucherStatus>) -> R<Vec<VoucherRecord>> {
                self.read(|c| crate::reads::vouchers_of(c, a, s))
            }
            fn voucher(&mut self, a: AccountId, id: VoucherId) -> R<Option<VoucherRecord>> {
                self.read(|c| crate::reads::voucher(c, a, id))
            }
            fn cards_of(&mut self, a: AccountId, s: Option<CardStatus>) -> R<Vec<CardRecord>> {
                self.read(|c| crate::reads::cards_of(c, a, s))
            }
            fn card(&mut self, a: AccountId, id: CardId) -> R<Option<CardRecord>> {
                self.read(|c| crate::reads::card(c, a, id))
            }
            fn vouchers_due_for_expiry(&mut self, now: Timestamp, n: u32) -> R<Vec<(AccountId, VoucherId)>> {
                self.read(|c| crate::reads::vouchers_due(c, now, n))
            }
            fn cards_due_for_expiry(&mut self, now: Timestamp, n: u32) -> R<Vec<(AccountId, CardId)>> {
                self.read(|c| crate::reads::cards_due(c, now, n))
            }
            fn charge(&mut self, a: AccountId, id: ChargeId) -> R<Option<ChargeRecord>> {
                self.read(|c| crate::reads::charge(c, a, id))
            }
            fn charge_by_bill(&mut self, w: &WorkspaceId, b: &BillId) -> R<Option<ChargeRecord>> {
                self.read(|c| crate::reads::charge_by_bill(c, w, b))
            }
            fn charges_of(&mut self, a: AccountId, p: &PageQuery) -> R<Vec<ChargeRecord>> {
                self.read(|c| crate::reads::charges_of(c, a, p))
            }
            fn idempotency(&mut self, s: &str, k: &str) -> R<Option<IdempotencyRecord>> {
                self.read(|c| crate::reads::idempotency(c, s, k))
            }
            fn code_by_hash(&mut self, h: &str) -> R<Option<CodeRecord>> {
                self.read(|c| crate::reads::code_by_hash(c, h, $lock))
            }
            fn code_batch(&mut self, id: CodeBatchId) -> R<Option<CodeBatchRecord>> {
                self.read(|c| crate::reads::code_batch(c, id))
            }
            fn failed_attempts_since(&mut self, a: AccountId, since: Timestamp) -> R<u32> {
                self.read(|c| crate::reads::failed_attempts_since(c, a, since))
            }
            fn failed_attempts_total_since(&mut self, since: Timestamp) -> R<u32> {
                self.read(|c| crate::reads::failed_attempts_total_since(c, since))
            }
            fn cash_credit_by_external(&mut self, s: &str, e: &str) -> R<Option<CashCreditRecord>> {
                self.read(|c| crate::reads::cash_credit_by_external(c, s, e))
            }
            fn statement_lines(&mut self, a: AccountId, p: &PageQuery) -> R<Vec<StatementLine>> {
                self.read(|c| crate::reads::statement_lines(c, a, p))
            }
            fn scan_journal(&mut self, span: IdSpan, visit: &mut dyn FnMut(&JournalTxRecord) -> R<()>) -> R<()> {
                self.read(|c| crate::scan::journal(c, span, visit))
            }
            fn scan_charges(&mut self, span: IdSpan, visit: &mut dyn FnMut(&ScannedCharge) -> R<()>) -> R<()> {
                self.read(|c| crate::scan::charges(c, span, visit))
            }
            fn scan_bounds(&mut self) -> R<coffer_store::ScanBounds> {
                self.read(crate::scan::bounds)
            }
            fn journal_of(&mut self, a: AccountId, after: i64, n: u32) -> R<Vec<JournalTxRecord>> {
                self.read(|c| crate::reads::journal_of(c, a, after, n))
            }
            fn journal_tx(&mut self, a: AccountId, id: JournalTxId) -> R<Option<JournalTxRecord>> {
                self.read(|c| crate::reads::journal_tx(c, a, id))
            }
            fn recharge_order(&mut self, o: &str) -> R<Option<coffer_store::rails::RechargeOrder>> {
                self.read(|c| crate::rails::recharge_order(c, o))
            }
            fn recharge_orders_of(&mut self, a: AccountId, l: u32) -> R<Vec<coffer_store::rails::RechargeOrder>> {
                self.read(|c| crate::rails::recharge_orders_of(c, a, l))
            }
            fn open_recharge_orders(&mut self, t: Timestamp, l: u32) -> R<Vec<coffer_store::rails::RechargeOrder>> {
                self.read(|c| crate::rails::open_recharge_orders(c, t, l))
            }
            fn notifications(
                &mut self,
                a: Option<AccountId>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::NotificationRecord>> {
                self.read(|c| crate::rails::notifications(c, a, l))
            }
            fn bank_transfer(&mut self, t: &str) -> R<Option<coffer_store::rails::BankTransfer>> {
                self.read(|c| crate::rails::bank_transfer(c, t))
            }
            fn bank_transfer_by_id(&mut self, id: i64) -> R<Option<coffer_store::rails::BankTransfer>> {
                self.read(|c| crate::rails::bank_transfer_by_id(c, id))
            }
            fn bank_transfers(
                &mut self,
                s: Option<coffer_store::rails::TransferState>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::BankTransfer>> {
                self.read(|c| crate::rails::bank_transfers(c, s, l))
            }
            fn outbox_due(&mut self, t: Timestamp, l: u32) -> R<Vec<coffer_store::rails::OutboxItem>> {
                self.read(|c| crate::rails::outbox_due(c, t, l))
            }
            fn outbox_of_charge(&mut self, a: AccountId, ch: ChargeId) -> R<Vec<coffer_store::rails::OutboxItem>> {
                self.read(|c| crate::rails::outbox_of_charge(c, a, ch))
            }
            fn outbox_items(
                &mut self,
                s: Option<coffer_store::rails::OutboxState>,
                l: u32,
            ) -> R<Vec<coffer_store::rails::OutboxItem>> {
                self.read(|c| crate::rails::outbox_items(c, s, l))
            }
            fn adjustment_request(&mut self, id: i64) -> R<Option<coffer_store::adjustments::AdjustmentRequest>> {
                self.read(|c| crate::adjustments::adjustment_request(c, id))
            }
            fn adjustment_requests(
                &mut self,
                s: Option<coffer_store::adjustments::AdjustmentState>,
                l: u32,
            ) -> R<Vec<coffer_store::adjustments::AdjustmentRequest>> {
                self.read(|c| crate::adjustments::adjustment_requests(c, s, l))
            }
        }
    };
}
impl_reads!(crate::ReadView<'_>, false);
impl_reads!(crate::PostgresWriteTx<'_>, true);
