//! Appending journal entries. Each billing account has its own hash chain: an
//! entry's hash covers the previous entry's hash and the entry's canonical text, so
//! an edited, removed or reordered entry breaks every hash after it. The chain is
//! per account so that writes to different accounts never contend for one head.

use coffer_core::ids::JournalTxId;
use coffer_core::journal::{JournalEntry, Posting};
use coffer_core::time::Timestamp;
use coffer_store::records::{AccountRecord, NewJournalTx};
use coffer_store::WriteTx;
use sha2::{Digest, Sha256};

use crate::error::AppResult;

/// The hash of an entry given the previous hash, as lowercase hex.
pub fn entry_hash(
    prev_hash: &str,
    account_id: i64,
    seq: i64,
    kind: &str,
    at: Timestamp,
    memo: &str,
    postings: &[Posting],
) -> String {
    let mut h = Sha256::new();
    h.update(b"coffer-journal-v1\n");
    h.update(prev_hash.as_bytes());
    h.update(format!("\n{account_id}\n{seq}\n{kind}\n{}\n{}:", at.0, memo.len()).as_bytes());
    h.update(memo.as_bytes());
    for p in postings {
        h.update(format!("\n{}:{}:{}", p.book.as_str(), p.instrument_id, p.amount_minor).as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends `entry` to `account`'s journal at `at` and advances the in-memory chain
/// head, so several entries can follow each other in one transaction.
pub fn post(
    tx: &mut dyn WriteTx,
    account: &mut AccountRecord,
    entry: &JournalEntry,
    at: Timestamp,
) -> AppResult<JournalTxId> {
    let seq = account.journal_seq + 1;
    let hash = entry_hash(
        &account.journal_head,
        account.account.id.0,
        seq,
        entry.kind.as_str(),
        at,
        &entry.memo,
        &entry.postings,
    );
    let new = NewJournalTx {
        account_id: account.account.id,
        seq,
        kind: entry.kind,
        memo: entry.memo.clone(),
        at,
        postings: entry.postings.clone(),
        prev_hash: account.journal_head.clone(),
        hash: hash.clone(),
    };
    let id = tx.append_journal(&new)?;
    account.journal_seq = seq;
    account.journal_head = hash;
    Ok(id)
}
