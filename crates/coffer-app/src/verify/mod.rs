//! `coffer verify`: recomputes every balance from the journal and checks every
//! invariant of DOMAIN §11, reporting each problem found rather than stopping at
//! the first.
//!
//! It reads each table once, streaming (`Reads::scan_journal`,
//! `Reads::scan_charges`), keeping per account only the chain head and the running
//! balances, so its time grows with the journal's length and its memory with the
//! number of balances and charges, not with the number of queries.
//!
//! The work is split over two threads, each with its own view of one snapshot
//! ([`coffer_store::Store::read_pair`]). The journal is cut into id spans that
//! both threads take in turn ([`journal`]: each span is checked alone and the spans
//! are spliced in order); one thread first checks every charge against its
//! instruments ([`charges`]) and keeps each charge's claim on its journal
//! transaction, matched against the journal once both are done: every settled
//! charge transaction must be claimed by exactly one charge, for its revenue.

mod charges;
mod journal;

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use coffer_core::ids::JournalTxId;
use coffer_core::journal::Book;
use coffer_core::policy::DeductionPolicy;
use coffer_store::records::AccountRecord;
use coffer_store::{IdSpan, Reads};

use crate::error::AppResult;
use crate::App;

/// The narrowest journal span, as a fraction of the journal: the last spans handed
/// out are this narrow, so the thread that finishes first waits for the other at
/// most about that long. Earlier spans are wider, so there are few of them and
/// splicing (one pass over the accounts per span) stays cheap.
const NARROWEST_SPAN_PER: i64 = 128;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub accounts: u64,
    pub journal_txs: u64,
    pub postings: u64,
    pub charges: u64,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A multiply-rotate hasher (FxHash's) for the maps keyed by ids: SipHash's
/// defence against chosen keys buys nothing for ids read from our own database, and
/// the per-posting balance lookups are `verify`'s innermost loop.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|b| self.write_u64(u64::from(*b)));
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, word: i64) {
        self.write_u64(word as u64);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_isize(&mut self, word: isize) {
        self.write_u64(word as u64);
    }
}

type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Balances per book and instrument.
type Balances = HashMap<(Book, i64), i64>;

impl App {
    pub fn verify(&self) -> AppResult<VerifyReport> {
        // A store that cannot pair two views (a read-only SQLite file cannot take
        // the write lock that pairs them) is verified on one thread, the same way.
        let (mut view, helper) = match self.store.read_pair() {
            Ok([first, second]) => (first as Box<dyn Reads>, Some(second)),
            Err(_) => (self.store.read()?, None),
        };
        let queue = &JournalQueue::new(view.scan_bounds()?.journal_tx_id_max);
        let charges = std::thread::scope(|s| {
            let helper = helper.map(|mut second| s.spawn(move || queue.work(second.as_mut())));
            let charges = check_charges(view.as_mut(), &self.config.policy);
            let worked = if charges.is_ok() { queue.work(view.as_mut()) } else { Ok(()) };
            let helped = helper.map_or(Ok(()), |h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            worked.and(helped).and(charges)
        })?;
        let splice = queue.splice.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
        finish(splice, charges, view.as_mut())
    }
}

/// The journal's spans, handed out in id order to whichever thread asks next.
struct JournalQueue {
    spans: Vec<IdSpan>,
    next: AtomicUsize,
    splice: Mutex<journal::Splice>,
}

impl JournalQueue {
    fn new(journal_tx_id_max: i64) -> JournalQueue {
        JournalQueue {
            spans: spans(journal_tx_id_max),
            next: AtomicUsize::new(0),
            splice: Mutex::new(journal::Splice::default()),
        }
    }

    fn work(&self, r: &mut dyn Reads) -> AppResult<()> {
        loop {
            let at = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(span) = self.spans.get(at) else { return Ok(()) };
            let segment = journal::check_span(r, *span)?;
            // A poisoned lock means the other thread panicked; its panic is resumed
            // when it is joined.
            if let Ok(mut splice) = self.splice.lock() {
                splice.add(at, segment);
            }
        }
    }
}

/// Spans covering every id, the first and last open-ended: each a quarter of the
/// ids up to `max` still left, but none narrower than `max / NARROWEST_SPAN_PER`
/// (about 17 spans in all).
fn spans(max: i64) -> Vec<IdSpan> {
    let narrowest = max / NARROWEST_SPAN_PER + 1;
    let mut spans = Vec::new();
    let mut start = 0;
    while start < max {
        let up_to = start.saturating_add(((max - start) / 4).max(narrowest)).min(max);
        spans.push(IdSpan { after: start, up_to });
        start = up_to;
    }
    let Some(first) = spans.first_mut() else { return vec![IdSpan::ALL] };
    first.after = i64::MIN;
    if let Some(last) = spans.last_mut() {
        last.up_to = i64::MAX;
    }
    spans
}

fn check_charges(r: &mut dyn Reads, policy: &DeductionPolicy) -> AppResult<(charges::Accounts, charges::Claims)> {
    let accounts = charges::load_accounts(r)?;
    let claims = charges::check_span(r, IdSpan::ALL, policy, &accounts)?;
    Ok((accounts, claims))
}

/// Each account's spliced chain against its stored head and balances, then each
/// charge's claim against the journal's settled charges.
fn finish(
    splice: journal::Splice,
    (accounts, claims): (charges::Accounts, charges::Claims),
    r: &mut dyn Reads,
) -> AppResult<VerifyReport> {
    debug_assert!(splice.is_complete(), "every journal span was spliced");
    let journal::Splice { mut tips, mut settled, mut report, .. } = splice;
    report.accounts = accounts.stored.len() as u64;
    for (account, stored) in &accounts.stored {
        let id = account.account.id;
        match tips.remove(&id) {
            Some(tip) => {
                check_head(account, tip.seq, tip.head, &mut report);
                let computed = tip.books.iter().map(|(key, running)| (*key, running.sum_minor)).collect();
                compare_balances(account, &computed, stored, &mut report);
            }
            None => {
                check_head(account, 0, journal::Head::of(coffer_store::records::GENESIS_HASH), &mut report);
                compare_balances(account, &Balances::default(), stored, &mut report);
            }
        }
    }
    report.charges = claims.report.charges;
    report.problems.extend(claims.report.problems);
    // Spans are spliced in id order and each is scanned in id order.
    if !settled.is_sorted_by_key(|(id, _)| id.0) {
        settled.sort_unstable_by_key(|(id, _)| id.0);
    }
    let matching = match_claims(&claims.claims, &settled);
    if !matching.unmatched.is_empty() {
        charges::name_unmatched(r, claims.span, &matching.unmatched, &mut report)?;
    }
    for id in matching.unclaimed {
        report.problems.push(format!("journal transaction {id}: settles a charge that does not exist"));
    }
    Ok(report)
}

/// How the charges' claims (journal transaction, amount) meet the settled charge
/// transactions (id, revenue).
#[derive(Debug, Default, PartialEq, Eq)]
struct Matching {
    /// Positions of claims that no transaction matches, or whose transaction an
    /// earlier claim already took.
    unmatched: Vec<usize>,
    /// Settled charge transactions no charge claims.
    unclaimed: Vec<JournalTxId>,
}

/// Matches each claim to a settled charge transaction (sorted by id), each
/// transaction to one claim at most. A charge is written right after its journal
/// transaction, so claims in charge order are almost always in journal order too:
/// each is first tried at the place after the last match, which makes the whole
/// match one forward walk, and any other is found by bisection. Sorted vectors
/// hold 16 bytes per charge, against a hash map's ~35 at its peak while it grows,
/// which at 10 million postings is the difference that keeps `verify` under 300 MB.
fn match_claims(claims: &[(JournalTxId, i64)], settled: &[(JournalTxId, i64)]) -> Matching {
    let mut taken = vec![false; settled.len()];
    let mut next = 0;
    let mut matching = Matching::default();
    for (at, (tx, amount_minor)) in claims.iter().enumerate() {
        let found = match settled.get(next) {
            Some((id, _)) if id == tx => Some(next),
            _ => settled.binary_search_by_key(&tx.0, |(id, _)| id.0).ok(),
        };
        let fresh = found.filter(|place| taken.get(*place) == Some(&false));
        if let Some(place) = fresh {
            next = place + 1;
            taken[place] = true;
        }
        if fresh.and_then(|place| settled.get(place)).map(|(_, revenue_minor)| *revenue_minor) != Some(*amount_minor) {
            matching.unmatched.push(at);
        }
    }
    let unclaimed = taken.iter().zip(settled).filter(|(taken, _)| !**taken).map(|(_, (id, _))| *id);
    matching.unclaimed = unclaimed.collect();
    matching
}

fn check_head(account: &AccountRecord, seq: i64, head: journal::Head, report: &mut VerifyReport) {
    if account.journal_seq != seq || !head.is(&account.journal_head) {
        let id = account.account.id;
        report.problems.push(format!("account {id}: chain head does not match the last journal transaction"));
    }
}

fn compare_balances(account: &AccountRecord, computed: &Balances, stored: &Balances, report: &mut VerifyReport) {
    let id = account.account.id;
    let mut keys: Vec<_> = computed.keys().chain(stored.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        match (computed.get(&key), stored.get(&key)) {
            (Some(value), found) if found.copied().unwrap_or(0) != *value => {
                report.problems.push(format!(
                    "account {id}: stored {} {} balance {found:?} differs from the journal's {value}",
                    key.0.as_str(),
                    key.1,
                ));
            }
            (None, Some(value)) if *value != 0 => report.problems.push(format!(
                "account {id}: stored {} {} balance {value} has no postings",
                key.0.as_str(),
                key.1
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
