//! Records exchanged with the store: core types plus what only persistence needs
//! (creation times, journal chain heads, fingerprints).

use coffer_core::account::BillingAccount;
use coffer_core::card::PrepaidCard;
use coffer_core::ids::{AccountId, BillId, ChargeId, CodeBatchId, JournalTxId, WorkspaceId};
use coffer_core::journal::{Book, EntryKind, Posting};
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::Deduction;
use coffer_core::policy::Category;
use coffer_core::time::{Date, Timestamp, Window};
use coffer_core::voucher::{Voucher, VoucherKind, VoucherValidity};
use coffer_core::workspace::{CloudProvider, SettlementKind};

/// The chain head of an account with no journal yet: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub name: String,
    pub currency: Currency,
    pub time_zone: String,
    pub arrears_limit_minor: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub account: BillingAccount,
    pub created_at: Timestamp,
    /// The sequence number of the account's last journal transaction (0: none).
    pub journal_seq: i64,
    /// The hash of the account's last journal transaction, hex.
    pub journal_head: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerBalance {
    pub book: Book,
    pub instrument_id: i64,
    pub balance_minor: i64,
}

/// Where a voucher came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoucherOrigin {
    /// Activated directly by an operator.
    Direct,
    /// Redeemed from an activation code of this batch.
    Code(CodeBatchId),
    /// The bonus for buying this card.
    Bonus(i64),
}

impl VoucherOrigin {
    pub fn kind_str(&self) -> &'static str {
        match self {
            VoucherOrigin::Direct => "direct",
            VoucherOrigin::Code(_) => "code",
            VoucherOrigin::Bonus(_) => "bonus",
        }
    }

    pub fn reference(&self) -> Option<i64> {
        match self {
            VoucherOrigin::Direct => None,
            VoucherOrigin::Code(batch) => Some(batch.0),
            VoucherOrigin::Bonus(card) => Some(*card),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVoucher {
    pub account_id: AccountId,
    pub kind: VoucherKind,
    pub face_value: Amount,
    pub window: Window,
    pub activated_at: Timestamp,
    pub origin: VoucherOrigin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoucherRecord {
    pub voucher: Voucher,
    pub origin: VoucherOrigin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    pub account_id: AccountId,
    pub face_value: Amount,
    pub window: Window,
    pub purchased_at: Timestamp,
    pub origin: coffer_core::card::CardOrigin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    pub card: PrepaidCard,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJournalTx {
    pub account_id: AccountId,
    pub seq: i64,
    pub kind: EntryKind,
    pub memo: String,
    pub at: Timestamp,
    pub postings: Vec<Posting>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRecord {
    pub posting: Posting,
    pub balance_after_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalTxRecord {
    pub id: JournalTxId,
    pub account_id: AccountId,
    pub seq: i64,
    pub kind: EntryKind,
    pub memo: String,
    pub at: Timestamp,
    pub prev_hash: String,
    pub hash: String,
    pub postings: Vec<PostingRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCharge {
    pub account_id: AccountId,
    pub workspace_id: WorkspaceId,
    pub bill_id: BillId,
    pub category: Category,
    pub settlement: SettlementKind,
    pub cloud_provider: Option<CloudProvider>,
    pub amount: Amount,
    pub currency: Currency,
    pub bill_date: Date,
    pub policy_version: u32,
    pub settled_at: Timestamp,
    /// A digest of the charge's content, to tell a replay from a conflicting bill.
    pub fingerprint: String,
    pub journal_tx_id: JournalTxId,
    pub deductions: Vec<Deduction>,
}

/// What [`crate::Reads::scan_charges`] reads of each charge: the fields `verify`
/// checks (the policy it was settled under, the instruments it names, and its claim
/// on its journal transaction) and nothing else. A scan of millions of charges that
/// decoded the whole record spent half its time on columns nobody looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannedCharge {
    pub id: ChargeId,
    pub account_id: AccountId,
    pub category: Category,
    pub settlement: SettlementKind,
    pub amount: Amount,
    pub policy_version: u32,
    pub settled_at: Timestamp,
    pub journal_tx_id: JournalTxId,
    pub deductions: Vec<Deduction>,
}

impl From<&ChargeRecord> for ScannedCharge {
    fn from(record: &ChargeRecord) -> ScannedCharge {
        let c = &record.charge;
        ScannedCharge {
            id: record.id,
            account_id: c.account_id,
            category: c.category,
            settlement: c.settlement,
            amount: c.amount,
            policy_version: c.policy_version,
            settled_at: c.settled_at,
            journal_tx_id: c.journal_tx_id,
            deductions: c.deductions.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeReversal {
    pub at: Timestamp,
    pub journal_tx_id: JournalTxId,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRecord {
    pub id: ChargeId,
    pub charge: NewCharge,
    pub reversal: Option<ChargeReversal>,
}

/// Time-filtered, cursor-paginated listing. `after` is the last id of the previous page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageQuery {
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub after: Option<i64>,
    pub limit: u32,
}

/// Statement line ids are `journal_tx_id * LINE_ID_STRIDE + posting index`: a
/// stable cursor, ordered like the postings, as long as no entry has a million
/// postings (a charge has one per instrument it drew on).
pub const LINE_ID_STRIDE: i64 = 1_000_000;

/// One line of the income & expenditure statement: one posting on a customer book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// `journal_tx_id * LINE_ID_STRIDE + posting index`: a stable cursor.
    pub line_id: i64,
    pub journal_tx_id: JournalTxId,
    pub at: Timestamp,
    pub kind: EntryKind,
    pub memo: String,
    pub book: Book,
    pub instrument_id: i64,
    pub amount_minor: i64,
    pub balance_after_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    /// What the original request produced, e.g. "charge:42" or "voucher:7".
    pub result_ref: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCodeBatch {
    pub kind: VoucherKind,
    pub face_value: Amount,
    pub currency: Currency,
    pub validity: VoucherValidity,
    pub count: u32,
    pub memo: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBatchRecord {
    pub id: CodeBatchId,
    pub batch: NewCodeBatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeStatus {
    Issued,
    Redeemed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    pub id: i64,
    pub batch: CodeBatchRecord,
    pub status: CodeStatus,
    pub redeemed_by: Option<AccountId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCashCredit {
    pub account_id: AccountId,
    pub source: String,
    pub external_id: String,
    pub amount: Amount,
    pub journal_tx_id: JournalTxId,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashCreditRecord {
    pub credit: NewCashCredit,
}
