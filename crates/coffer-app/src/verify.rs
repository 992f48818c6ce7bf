//! `coffer verify`: recomputes every balance from the journal and checks every
//! invariant of DOMAIN §11, reporting each problem found rather than stopping at
//! the first.
//!
//! It reads each table once, in one streaming pass (`Reads::scan_journal`,
//! `Reads::scan_charges`), keeping per account only the chain head and the running
//! balances, so its time grows with the journal's length and its memory with the
//! number of balances and charge transactions, not with the number of queries.

use std::collections::HashMap;

use coffer_core::card::PrepaidCard;
use coffer_core::ids::{AccountId, CardId, JournalTxId, VoucherId};
use coffer_core::journal::{sums_to_zero, Book, EntryKind, Posting};
use coffer_core::planner::Source;
use coffer_core::policy::{DeductionPolicy, InstrumentClass};
use coffer_core::time::{Timestamp, WindowPosition};
use coffer_core::voucher::{Voucher, VoucherKind};
use coffer_store::records::{AccountRecord, ChargeRecord, JournalTxRecord, GENESIS_HASH};
use coffer_store::Reads;
use sha2::{Digest, Sha256};

use crate::error::AppResult;
use crate::App;

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

type Balances = HashMap<(Book, i64), i64>;

/// One account's state while its journal streams past.
struct Chain {
    seq: i64,
    head: String,
    balances: Balances,
    /// The hash input of the current transaction, reused so hashing allocates nothing.
    scratch: Vec<u8>,
}

impl Chain {
    fn new() -> Chain {
        Chain { seq: 0, head: GENESIS_HASH.to_owned(), balances: Balances::new(), scratch: Vec::new() }
    }
}

/// Whether `tx.hash` is [`entry_hash`] of its content. The same canonical text is
/// written into a reused buffer and the digest compared in hex on the stack: at
/// millions of transactions the `format!` calls of `entry_hash` would dominate.
/// A test keeps the two in step.
fn hash_matches(tx: &JournalTxRecord, postings: &[Posting], buf: &mut Vec<u8>) -> bool {
    use std::io::Write as _;
    buf.clear();
    buf.extend_from_slice(b"coffer-journal-v1\n");
    buf.extend_from_slice(tx.prev_hash.as_bytes());
    let kind = tx.kind.as_str();
    // Writing into a Vec cannot fail.
    let _ = write!(buf, "\n{}\n{}\n{kind}\n{}\n{}:", tx.account_id.0, tx.seq, tx.at.0, tx.memo.len());
    buf.extend_from_slice(tx.memo.as_bytes());
    for p in postings {
        let _ = write!(buf, "\n{}:{}:{}", p.book.as_str(), p.instrument_id, p.amount_minor);
    }
    let digest = Sha256::digest(&buf[..]);
    let mut hex = [0_u8; 64];
    if hex::encode_to_slice(digest, &mut hex).is_err() {
        return false;
    }
    hex[..] == *tx.hash.as_bytes()
}

/// Every charge transaction's id and revenue. The journal scan yields transactions
/// in id order, so this is a sorted vector searched by bisection: 16 bytes per
/// charge, against a hash map's ~35 at its peak while it grows, which at 10 million
/// postings is the difference that keeps `verify` under 300 MB.
#[derive(Default)]
struct Settled {
    by_tx: Vec<(JournalTxId, i64)>,
}

impl Settled {
    fn push(&mut self, id: JournalTxId, revenue_minor: i64) {
        self.by_tx.push((id, revenue_minor));
    }

    /// Sorts only if the scan did not already come in id order (the per-account
    /// default scan does not); checking costs one pass.
    fn sort(&mut self) {
        if !self.by_tx.is_sorted_by_key(|(id, _)| id.0) {
            self.by_tx.sort_unstable_by_key(|(id, _)| id.0);
        }
    }

    fn revenue_of(&self, id: JournalTxId) -> Option<i64> {
        let at = self.by_tx.binary_search_by_key(&id.0, |(tx, _)| tx.0).ok()?;
        self.by_tx.get(at).map(|(_, revenue_minor)| *revenue_minor)
    }
}

/// The instruments deductions may name, loaded once.
#[derive(Default)]
struct Instruments {
    vouchers: HashMap<(AccountId, VoucherId), Voucher>,
    cards: HashMap<(AccountId, CardId), PrepaidCard>,
}

impl App {
    pub fn verify(&self) -> AppResult<VerifyReport> {
        let policy = self.config.policy.clone();
        self.read(|r| {
            let mut report = VerifyReport::default();
            let accounts = r.accounts()?;
            report.accounts = accounts.len() as u64;
            let mut chains: HashMap<AccountId, Chain> = accounts.iter().map(|a| (a.account.id, Chain::new())).collect();
            // Charge transactions with their revenue, for the charges to be matched against.
            let mut settled = Settled::default();
            let mut postings = Vec::new();
            r.scan_journal(&mut |tx| {
                let chain = chains.entry(tx.account_id).or_insert_with(Chain::new);
                check_tx(tx, chain, &mut postings, &mut report);
                if tx.kind == EntryKind::ChargeSettled {
                    let revenue = postings.iter().filter(|p| p.book == Book::Revenue).map(|p| p.amount_minor).sum();
                    settled.push(tx.id, revenue);
                }
                Ok(())
            })?;
            settled.sort();
            let mut instruments = Instruments::default();
            for account in &accounts {
                let chain = chains.remove(&account.account.id).unwrap_or_else(Chain::new);
                check_head(account, &chain, &mut report);
                compare_stored_balances(r, account.account.id, &chain.balances, &mut report)?;
                load_instruments(r, account.account.id, &mut instruments)?;
            }
            r.scan_charges(&mut |c| {
                report.charges += 1;
                verify_charge(c, &policy, &settled, &instruments, &mut report);
                Ok(())
            })?;
            Ok(report)
        })
    }
}

/// Checks one journal transaction against its account's chain and advances it.
fn check_tx(tx: &JournalTxRecord, chain: &mut Chain, postings: &mut Vec<Posting>, report: &mut VerifyReport) {
    let id = tx.account_id;
    report.journal_txs += 1;
    report.postings += tx.postings.len() as u64;
    let problem = |what: String| format!("account {id} journal seq {}: {what}", tx.seq);
    if tx.seq != chain.seq + 1 {
        report.problems.push(problem(format!("sequence gap after {}", chain.seq)));
    }
    if tx.prev_hash != chain.head {
        report.problems.push(problem("previous hash does not match the chain".into()));
    }
    postings.clear();
    postings.extend(tx.postings.iter().map(|p| p.posting));
    if !hash_matches(tx, postings, &mut chain.scratch) {
        report.problems.push(problem("hash does not match its content (tampered?)".into()));
    }
    if !sums_to_zero(postings) {
        report.problems.push(problem("postings do not sum to zero".into()));
    }
    for p in &tx.postings {
        let balance = chain.balances.entry((p.posting.book, p.posting.instrument_id)).or_insert(0);
        *balance = balance.saturating_add(p.posting.amount_minor);
        if *balance != p.balance_after_minor {
            report.problems.push(problem(format!(
                "{} {} balance after is {} but the postings give {}",
                p.posting.book.as_str(),
                p.posting.instrument_id,
                p.balance_after_minor,
                balance
            )));
        }
    }
    for p in &tx.postings {
        let balance = chain.balances.get(&(p.posting.book, p.posting.instrument_id)).copied().unwrap_or(0);
        if !p.posting.book.allows_balance(balance) {
            report
                .problems
                .push(problem(format!("{} balance {balance} breaks its sign rule", p.posting.book.as_str())));
        }
    }
    chain.seq = tx.seq;
    chain.head.clear();
    chain.head.push_str(&tx.hash);
}

fn check_head(account: &AccountRecord, chain: &Chain, report: &mut VerifyReport) {
    if account.journal_seq != chain.seq || account.journal_head != chain.head {
        let id = account.account.id;
        report.problems.push(format!("account {id}: chain head does not match the last journal transaction"));
    }
}

fn compare_stored_balances(
    r: &mut dyn Reads,
    id: AccountId,
    computed: &Balances,
    report: &mut VerifyReport,
) -> AppResult<()> {
    let stored: Balances =
        r.ledger_balances(id)?.into_iter().map(|b| ((b.book, b.instrument_id), b.balance_minor)).collect();
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
    Ok(())
}

fn load_instruments(r: &mut dyn Reads, id: AccountId, into: &mut Instruments) -> AppResult<()> {
    for v in r.vouchers_of(id, None)? {
        into.vouchers.insert((id, v.voucher.id), v.voucher);
    }
    for c in r.cards_of(id, None)? {
        into.cards.insert((id, c.card.id), c.card);
    }
    Ok(())
}

fn verify_charge(
    c: &ChargeRecord,
    policy: &DeductionPolicy,
    settled: &Settled,
    instruments: &Instruments,
    report: &mut VerifyReport,
) {
    let ch = &c.charge;
    let problem = |what: &str| format!("account {} charge {}: {what}", ch.account_id, c.id);
    let total: i64 = ch.deductions.iter().map(|d| d.amount.minor()).sum();
    if total != ch.amount.minor() {
        report.problems.push(problem("deductions do not add up to the amount"));
    }
    if settled.revenue_of(ch.journal_tx_id) != Some(ch.amount.minor()) {
        report.problems.push(problem("its journal transaction is missing or does not match"));
    }
    if ch.policy_version != policy.version() {
        report.problems.push(problem("settled under an unknown policy version"));
        return;
    }
    let allowed = policy.classes_for(ch.settlement, ch.category);
    for d in &ch.deductions {
        if !allowed.contains(&d.class) {
            report.problems.push(problem(&format!("{} may not pay this category", d.class.as_str())));
        }
        if !instrument_was_valid(instruments, ch.account_id, d.class, d.source, ch.settled_at) {
            report.problems.push(problem(&format!("{:?} paid outside its validity or class", d.source)));
        }
    }
}

fn instrument_was_valid(
    instruments: &Instruments,
    account: AccountId,
    class: InstrumentClass,
    source: Source,
    at: Timestamp,
) -> bool {
    match source {
        Source::Voucher(v) => instruments.vouchers.get(&(account, v)).is_some_and(|voucher| {
            let kind_ok = match class {
                InstrumentClass::StandardVoucher => voucher.kind == VoucherKind::Standard,
                InstrumentClass::DiscountVoucher => voucher.kind == VoucherKind::Discount,
                _ => false,
            };
            kind_ok && voucher.window.position(at) == WindowPosition::Inside
        }),
        Source::Card(card) => instruments.cards.get(&(account, card)).is_some_and(|card| {
            class == InstrumentClass::PrepaidCard && card.window.position(at) == WindowPosition::Inside
        }),
        Source::Cash => class == InstrumentClass::Cash,
        Source::Arrears => class == InstrumentClass::Arrears,
        Source::CloudAccount => class == InstrumentClass::CloudAccount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::entry_hash;

    #[test]
    fn settled_charges_are_found_whether_the_scan_came_in_id_order_or_per_account() {
        for ids in [[1, 2, 5, 9], [5, 9, 1, 2]] {
            let mut settled = Settled::default();
            ids.iter().for_each(|id| settled.push(JournalTxId(*id), id * 10));
            settled.sort();
            for id in ids {
                assert_eq!(settled.revenue_of(JournalTxId(id)), Some(id * 10));
            }
            assert_eq!(settled.revenue_of(JournalTxId(3)), None);
        }
    }

    #[test]
    fn the_streaming_hash_check_agrees_with_the_journal_hash() {
        let postings = vec![Posting::new(Book::FundingBank, 0, -1_234), Posting::new(Book::Voucher, 7, 1_234)];
        let mut tx = JournalTxRecord {
            id: JournalTxId(3),
            account_id: AccountId(42),
            seq: 9,
            kind: EntryKind::CashCredit,
            memo: "bank transfer ÄÖ 12".into(),
            at: Timestamp(1_795_658_400_000),
            prev_hash: GENESIS_HASH.to_owned(),
            hash: String::new(),
            postings: Vec::new(),
        };
        tx.hash = entry_hash(&tx.prev_hash, 42, 9, tx.kind.as_str(), tx.at, &tx.memo, &postings);
        let mut buf = Vec::new();
        assert!(hash_matches(&tx, &postings, &mut buf));
        tx.memo.push('!');
        assert!(!hash_matches(&tx, &postings, &mut buf));
    }
}
