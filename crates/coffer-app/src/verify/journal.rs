//! The journal half of `verify`: each piece of the journal (an id span) is checked
//! on its own, starting every account's chain from what its first transaction in
//! the piece claims, and the pieces are then spliced in id order, which checks
//! those claims against the chain so far. One piece covering everything is the
//! plain sequential check.

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::journal::{sums_to_zero, Book, EntryKind, Posting};
use coffer_store::records::{JournalTxRecord, GENESIS_HASH};
use coffer_store::{IdSpan, Reads};
use sha2::{Digest, Sha256};

use super::{HashMap, VerifyReport};
use crate::error::AppResult;

/// One book's postings so far: the sum of their amounts (the balance they make)
/// and the balance the last one says it left.
#[derive(Clone, Copy, Default)]
pub(super) struct Running {
    pub(super) sum_minor: i64,
    pub(super) after_minor: i64,
}

/// Per book and instrument.
pub(super) type Books = HashMap<(Book, i64), Running>;

/// One account's chain inside a piece.
struct Chain {
    /// The first transaction the piece saw: its seq and the hash it says came before.
    first_seq: i64,
    first_prev_hash: String,
    seq: i64,
    head: String,
    /// The piece's postings per book. Each posting's balance after is checked
    /// against the one before it plus its amount, so one wrong figure is reported
    /// where it is (and at the posting after it), not at every posting that follows.
    books: Books,
    /// Per book and instrument, that first posting: (seq, amount, balance after).
    first_postings: HashMap<(Book, i64), (i64, i64, i64)>,
}

impl Chain {
    fn starting_at(tx: &JournalTxRecord) -> Chain {
        Chain {
            first_seq: tx.seq,
            first_prev_hash: tx.prev_hash.clone(),
            seq: tx.seq - 1,
            head: tx.prev_hash.clone(),
            books: Books::default(),
            first_postings: HashMap::default(),
        }
    }
}

/// What one piece of the journal found.
#[derive(Default)]
pub(super) struct Segment {
    chains: HashMap<AccountId, Chain>,
    settled: Vec<(JournalTxId, i64)>,
    report: VerifyReport,
}

/// Checks the journal transactions in `span`.
pub(super) fn check_span(r: &mut dyn Reads, span: IdSpan) -> AppResult<Segment> {
    let mut segment = Segment::default();
    let mut postings = Vec::new();
    let mut scratch = Vec::new();
    r.scan_journal(span, &mut |tx| {
        let chain = segment.chains.entry(tx.account_id).or_insert_with(|| Chain::starting_at(tx));
        postings.clear();
        postings.extend(tx.postings.iter().map(|p| p.posting));
        check_tx(tx, chain, &postings, &mut scratch, &mut segment.report);
        if tx.kind == EntryKind::ChargeSettled {
            let revenue = postings.iter().filter(|p| p.book == Book::Revenue).map(|p| p.amount_minor).sum();
            segment.settled.push((tx.id, revenue));
        }
        Ok(())
    })?;
    Ok(segment)
}

/// Checks one journal transaction against its account's chain and advances it.
fn check_tx(
    tx: &JournalTxRecord,
    chain: &mut Chain,
    postings: &[Posting],
    buf: &mut Vec<u8>,
    report: &mut VerifyReport,
) {
    report.journal_txs += 1;
    report.postings += tx.postings.len() as u64;
    let problem = |what: String| format!("account {} journal seq {}: {what}", tx.account_id, tx.seq);
    if tx.seq != chain.seq + 1 {
        report.problems.push(problem(format!("sequence gap after {}", chain.seq)));
    }
    if tx.prev_hash != chain.head {
        report.problems.push(problem("previous hash does not match the chain".into()));
    }
    if !hash_matches(tx, postings, buf) {
        report.problems.push(problem("hash does not match its content (tampered?)".into()));
    }
    if !sums_to_zero(postings) {
        report.problems.push(problem("postings do not sum to zero".into()));
    }
    for p in &tx.postings {
        let (key, amount, after) =
            ((p.posting.book, p.posting.instrument_id), p.posting.amount_minor, p.balance_after_minor);
        match chain.books.entry(key) {
            Entry::Occupied(e) => {
                let running = e.into_mut();
                let expected = running.after_minor.saturating_add(amount);
                if expected != after {
                    report.problems.push(problem(wrong_balance_after(key, after, expected)));
                }
                running.sum_minor = running.sum_minor.saturating_add(amount);
                running.after_minor = after;
            }
            // The piece cannot know the balance before its first posting of a
            // book; the splice checks it against the chain so far.
            Entry::Vacant(e) => {
                chain.first_postings.insert(key, (tx.seq, amount, after));
                e.insert(Running { sum_minor: amount, after_minor: after });
            }
        }
        if !p.posting.book.allows_balance(after) {
            report.problems.push(problem(format!("{} balance {after} breaks its sign rule", key.0.as_str())));
        }
    }
    chain.seq = tx.seq;
    chain.head.clear();
    chain.head.push_str(&tx.hash);
}

/// Whether `tx.hash` is [`crate::journal::entry_hash`] of its content. The same
/// canonical text is written into a reused buffer and the digest compared in hex on
/// the stack: at millions of transactions the `format!` calls of `entry_hash` would
/// dominate, and even `write!` into the buffer cost 8% of `verify`, so numbers go
/// through `itoa`. A test keeps the two in step.
pub(super) fn hash_matches(tx: &JournalTxRecord, postings: &[Posting], buf: &mut Vec<u8>) -> bool {
    let mut digits = itoa::Buffer::new();
    let mut number = |buf: &mut Vec<u8>, before: &[u8], n: i64| {
        buf.extend_from_slice(before);
        buf.extend_from_slice(digits.format(n).as_bytes());
    };
    buf.clear();
    buf.extend_from_slice(b"coffer-journal-v1\n");
    buf.extend_from_slice(tx.prev_hash.as_bytes());
    number(buf, b"\n", tx.account_id.0);
    number(buf, b"\n", tx.seq);
    buf.push(b'\n');
    buf.extend_from_slice(tx.kind.as_str().as_bytes());
    number(buf, b"\n", tx.at.0);
    number(buf, b"\n", tx.memo.len() as i64);
    buf.push(b':');
    buf.extend_from_slice(tx.memo.as_bytes());
    for p in postings {
        buf.push(b'\n');
        buf.extend_from_slice(p.book.as_str().as_bytes());
        number(buf, b":", p.instrument_id);
        number(buf, b":", p.amount_minor);
    }
    let digest = Sha256::digest(&buf[..]);
    let mut hex = [0_u8; 64];
    if hex::encode_to_slice(digest, &mut hex).is_err() {
        return false;
    }
    hex[..] == *tx.hash.as_bytes()
}

/// An account's chain as far as the spliced pieces reach.
pub(super) struct Tip {
    pub(super) seq: i64,
    pub(super) head: String,
    pub(super) books: Books,
}

impl Tip {
    fn genesis() -> Tip {
        Tip { seq: 0, head: GENESIS_HASH.to_owned(), books: Books::default() }
    }
}

fn wrong_balance_after(key: (Book, i64), after: i64, expected: i64) -> String {
    format!(
        "{} {} balance after is {after} but the balance before and the posting give {expected}",
        key.0.as_str(),
        key.1
    )
}

/// The pieces spliced so far, and those finished ahead of their turn. Pieces are
/// handed out in id order, so only a few wait here at any time.
#[derive(Default)]
pub(super) struct Splice {
    pub(super) tips: HashMap<AccountId, Tip>,
    /// Every charge transaction's id and revenue, in id order.
    pub(super) settled: Vec<(JournalTxId, i64)>,
    pub(super) report: VerifyReport,
    waiting: BTreeMap<usize, Segment>,
    next: usize,
}

impl Splice {
    /// Takes piece number `at` and splices every piece whose turn has come.
    pub(super) fn add(&mut self, at: usize, segment: Segment) {
        self.waiting.insert(at, segment);
        while let Some(segment) = self.waiting.remove(&self.next) {
            self.splice(segment);
            self.next += 1;
        }
    }

    /// Whether every piece handed in has been spliced.
    pub(super) fn is_complete(&self) -> bool {
        self.waiting.is_empty()
    }

    fn splice(&mut self, segment: Segment) {
        let Segment { chains, settled, report } = segment;
        self.report.journal_txs += report.journal_txs;
        self.report.postings += report.postings;
        self.report.problems.extend(report.problems);
        self.settled.extend(settled);
        for (id, chain) in chains {
            let tip = self.tips.entry(id).or_insert_with(Tip::genesis);
            splice_chain(id, tip, chain, &mut self.report.problems);
        }
    }
}

/// Checks what a piece's first transactions of an account claim against the chain
/// so far, then advances the chain to the piece's end.
fn splice_chain(id: AccountId, tip: &mut Tip, chain: Chain, problems: &mut Vec<String>) {
    let problem = |seq: i64, what: String| format!("account {id} journal seq {seq}: {what}");
    if chain.first_seq != tip.seq + 1 {
        problems.push(problem(chain.first_seq, format!("sequence gap after {}", tip.seq)));
    }
    if chain.first_prev_hash != tip.head {
        problems.push(problem(chain.first_seq, "previous hash does not match the chain".into()));
    }
    for (key, (seq, amount, after)) in &chain.first_postings {
        let before = tip.books.get(key).map_or(0, |running| running.after_minor);
        let expected = before.saturating_add(*amount);
        if expected != *after {
            problems.push(problem(*seq, wrong_balance_after(*key, *after, expected)));
        }
    }
    for (key, piece) in chain.books {
        let running = tip.books.entry(key).or_default();
        running.sum_minor = running.sum_minor.saturating_add(piece.sum_minor);
        running.after_minor = piece.after_minor;
    }
    tip.seq = chain.seq;
    tip.head = chain.head;
}
