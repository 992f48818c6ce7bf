//! The journal half of `verify`: each piece of the journal (an id span) is checked
//! on its own, starting every account's chain from what its first transaction in
//! the piece claims, and the pieces are then spliced in id order, which checks
//! those claims against the chain so far. One piece covering everything is the
//! plain sequential check.

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

/// A chain head: a hash's 64 hex digits held in place, or none for a stored hash
/// that is not 64 digits long (which matches nothing). Every transaction compares
/// and replaces its account's head; a heap string there cost a cache miss each time.
#[derive(Clone, Copy)]
pub(super) struct Head(Option<[u8; 64]>);

impl Head {
    pub(super) fn of(hash: &str) -> Head {
        Head(hash.as_bytes().try_into().ok())
    }

    /// Whether `hash` is this head.
    pub(super) fn is(&self, hash: &str) -> bool {
        self.0.is_some_and(|digits| digits[..] == *hash.as_bytes())
    }
}

/// One account's chain inside a piece, with its books held in place, so that the
/// state every transaction reads and writes is one run of memory. With thousands
/// of accounts in random order, each scattered piece of it was a cache miss, and
/// those misses were most of the journal check's own time. The first postings are
/// kept apart from the books on purpose: only the splice reads them.
struct Chain {
    seq: i64,
    head: Head,
    /// The piece's postings per book and instrument. Each posting's balance after
    /// is checked against the one before it plus its amount, so one wrong figure is
    /// reported where it is (and at the posting after it), not at every posting
    /// that follows.
    books: BookList,
    /// The first transaction the piece saw: its seq and the hash it says came before.
    first_seq: i64,
    first_prev_hash: String,
    first_postings: Vec<FirstPosting>,
}

/// A piece's first posting to a book and instrument: its seq, amount and balance
/// after, which the splice checks against the chain so far.
type FirstPosting = ((Book, i64), (i64, i64, i64));

impl Chain {
    fn starting_at(tx: &JournalTxRecord) -> Chain {
        Chain {
            seq: tx.seq - 1,
            head: Head::of(&tx.prev_hash),
            books: BookList::default(),
            first_seq: tx.seq,
            first_prev_hash: tx.prev_hash.clone(),
            first_postings: Vec::new(),
        }
    }
}

/// How many books a [`BookList`] holds in place; an account has about a dozen in
/// all, and a piece of the journal usually touches fewer.
const BOOKS_IN_PLACE: usize = 8;

type BookEntry = ((Book, i64), Running);

/// An account's books in one piece, searched in order: the first
/// [`BOOKS_IN_PLACE`] in place, any others in `more`.
struct BookList {
    in_place: [BookEntry; BOOKS_IN_PLACE],
    len: usize,
    more: Vec<BookEntry>,
}

impl Default for BookList {
    fn default() -> BookList {
        BookList { in_place: [((Book::Revenue, 0), Running::default()); BOOKS_IN_PLACE], len: 0, more: Vec::new() }
    }
}

impl BookList {
    fn get_mut(&mut self, key: (Book, i64)) -> Option<&mut Running> {
        let in_place = self.in_place[..self.len].iter_mut();
        in_place.chain(self.more.iter_mut()).find(|(book, _)| *book == key).map(|(_, running)| running)
    }

    fn push(&mut self, entry: BookEntry) {
        match self.in_place.get_mut(self.len) {
            Some(slot) => {
                *slot = entry;
                self.len += 1;
            }
            None => self.more.push(entry),
        }
    }

    fn into_entries(self) -> impl Iterator<Item = BookEntry> {
        self.in_place.into_iter().take(self.len).chain(self.more)
    }
}

/// Account ids below this index a piece's chains through a vector; larger ones go
/// to a map. A million ids make a 4 MB index at most.
const DENSE_ACCOUNT_IDS: i64 = 1 << 20;

/// A piece's chains by account. Account ids are small and dense in practice, so
/// a chain is found by reading one slot of a small vector (40 KB for 10,000
/// accounts, which stays in cache) where a hash map's probe missed the cache.
#[derive(Default)]
struct Chains {
    /// Per account id, the chain's position in `dense` plus one; 0 for none yet.
    slots: Vec<u32>,
    dense: Vec<(AccountId, Chain)>,
    sparse: HashMap<AccountId, Chain>,
}

impl Chains {
    /// The chain of `tx`'s account, started at `tx` if it is the piece's first.
    fn of(&mut self, tx: &JournalTxRecord) -> &mut Chain {
        let id = tx.account_id;
        let Some(slot) = usize::try_from(id.0).ok().filter(|_| id.0 < DENSE_ACCOUNT_IDS) else {
            return self.sparse.entry(id).or_insert_with(|| Chain::starting_at(tx));
        };
        if slot >= self.slots.len() {
            self.slots.resize(slot + 1, 0);
        }
        if self.slots[slot] == 0 {
            self.dense.push((id, Chain::starting_at(tx)));
            self.slots[slot] = self.dense.len() as u32;
        }
        &mut self.dense[self.slots[slot] as usize - 1].1
    }

    fn into_entries(self) -> impl Iterator<Item = (AccountId, Chain)> {
        self.dense.into_iter().chain(self.sparse)
    }
}

/// What one piece of the journal found.
#[derive(Default)]
pub(super) struct Segment {
    chains: Chains,
    settled: Vec<(JournalTxId, i64)>,
    report: VerifyReport,
}

/// Checks the journal transactions in `span`.
pub(super) fn check_span(r: &mut dyn Reads, span: IdSpan) -> AppResult<Segment> {
    let mut segment = Segment::default();
    let mut postings = Vec::new();
    let mut scratch = Vec::new();
    r.scan_journal(span, &mut |tx| {
        let chain = segment.chains.of(tx);
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
    if !chain.head.is(&tx.prev_hash) {
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
        match chain.books.get_mut(key) {
            Some(running) => {
                let expected = running.after_minor.saturating_add(amount);
                if expected != after {
                    report.problems.push(problem(wrong_balance_after(key, after, expected)));
                }
                running.sum_minor = running.sum_minor.saturating_add(amount);
                running.after_minor = after;
            }
            // The piece cannot know the balance before its first posting of a
            // book; the splice checks it against the chain so far.
            None => {
                chain.first_postings.push((key, (tx.seq, amount, after)));
                chain.books.push((key, Running { sum_minor: amount, after_minor: after }));
            }
        }
        if !p.posting.book.allows_balance(after) {
            report.problems.push(problem(format!("{} balance {after} breaks its sign rule", key.0.as_str())));
        }
    }
    chain.seq = tx.seq;
    chain.head = Head::of(&tx.hash);
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
    pub(super) head: Head,
    pub(super) books: Books,
}

impl Tip {
    fn genesis() -> Tip {
        Tip { seq: 0, head: Head::of(GENESIS_HASH), books: Books::default() }
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
        for (id, chain) in chains.into_entries() {
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
    if !tip.head.is(&chain.first_prev_hash) {
        problems.push(problem(chain.first_seq, "previous hash does not match the chain".into()));
    }
    for (key, (seq, amount, after)) in &chain.first_postings {
        let before = tip.books.get(key).map_or(0, |running| running.after_minor);
        let expected = before.saturating_add(*amount);
        if expected != *after {
            problems.push(problem(*seq, wrong_balance_after(*key, *after, expected)));
        }
    }
    for (key, piece) in chain.books.into_entries() {
        let running = tip.books.entry(key).or_default();
        running.sum_minor = running.sum_minor.saturating_add(piece.sum_minor);
        running.after_minor = piece.after_minor;
    }
    tip.seq = chain.seq;
    tip.head = chain.head;
}

#[cfg(test)]
mod tests {
    use coffer_core::time::Timestamp;

    use super::*;

    fn tx_of(account: i64, seq: i64) -> JournalTxRecord {
        JournalTxRecord {
            id: JournalTxId(seq),
            account_id: AccountId(account),
            seq,
            kind: EntryKind::CashCredit,
            memo: String::new(),
            at: Timestamp(0),
            prev_hash: GENESIS_HASH.to_owned(),
            hash: GENESIS_HASH.to_owned(),
            postings: Vec::new(),
        }
    }

    #[test]
    fn chains_are_kept_apart_by_account_whether_their_ids_index_the_vector_or_the_map() {
        let accounts = [3, DENSE_ACCOUNT_IDS - 1, DENSE_ACCOUNT_IDS, 1 << 40, -7];
        let mut chains = Chains::default();
        for (n, account) in accounts.iter().enumerate() {
            chains.of(&tx_of(*account, 1)).seq = n as i64 + 100;
        }
        // A second transaction of an account finds its chain, not a new one.
        for (n, account) in accounts.iter().enumerate() {
            assert_eq!(chains.of(&tx_of(*account, 2)).seq, n as i64 + 100, "account {account}");
        }
        let mut found: Vec<(i64, i64)> = chains.into_entries().map(|(id, chain)| (id.0, chain.seq)).collect();
        found.sort_unstable();
        let mut expected: Vec<(i64, i64)> = (accounts.iter().enumerate()).map(|(n, a)| (*a, n as i64 + 100)).collect();
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn a_book_list_holds_more_books_than_it_keeps_in_place() {
        let mut books = BookList::default();
        let count = BOOKS_IN_PLACE as i64 + 4;
        for instrument in 0..count {
            books.push(((Book::Voucher, instrument), Running { sum_minor: instrument, after_minor: 0 }));
        }
        for instrument in 0..count {
            let running = books.get_mut((Book::Voucher, instrument)).map(|r| r.sum_minor);
            assert_eq!(running, Some(instrument));
        }
        assert!(books.get_mut((Book::Card, 0)).is_none());
        let order: Vec<i64> = books.into_entries().map(|((_, instrument), _)| instrument).collect();
        assert_eq!(order, (0..count).collect::<Vec<_>>());
    }
}
