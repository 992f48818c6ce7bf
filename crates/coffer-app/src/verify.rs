//! `coffer verify`: recomputes every balance from the journal and checks every
//! invariant of DOMAIN §11, reporting each problem found rather than stopping at
//! the first.

use std::collections::{BTreeMap, HashMap};

use coffer_core::ids::{AccountId, JournalTxId};
use coffer_core::journal::{sums_to_zero, Book, EntryKind};
use coffer_core::planner::Source;
use coffer_core::policy::{DeductionPolicy, InstrumentClass};
use coffer_core::time::{Timestamp, WindowPosition};
use coffer_core::voucher::VoucherKind;
use coffer_store::records::{AccountRecord, ChargeRecord, PageQuery, GENESIS_HASH};
use coffer_store::Reads;

use crate::error::AppResult;
use crate::journal::entry_hash;
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

const PAGE: u32 = 1_000;

type Balances = BTreeMap<(Book, i64), i64>;

impl App {
    pub fn verify(&self) -> AppResult<VerifyReport> {
        let policy = self.config.policy.clone();
        self.read(|r| {
            let mut report = VerifyReport::default();
            for account in r.accounts()? {
                report.accounts += 1;
                verify_account(r, &account, &policy, &mut report)?;
            }
            Ok(report)
        })
    }
}

fn verify_account(
    r: &mut dyn Reads,
    account: &AccountRecord,
    policy: &DeductionPolicy,
    report: &mut VerifyReport,
) -> AppResult<()> {
    let id = account.account.id;
    let mut balances = Balances::new();
    let mut settled: HashMap<JournalTxId, (EntryKind, i64)> = HashMap::new();
    let (mut seq, mut head) = (0i64, GENESIS_HASH.to_owned());
    loop {
        let txs = r.journal_of(id, seq, PAGE)?;
        for tx in &txs {
            report.journal_txs += 1;
            report.postings += tx.postings.len() as u64;
            let problem = |what: String| format!("account {id} journal seq {}: {what}", tx.seq);
            if tx.seq != seq + 1 {
                report.problems.push(problem(format!("sequence gap after {seq}")));
            }
            if tx.prev_hash != head {
                report.problems.push(problem("previous hash does not match the chain".into()));
            }
            let postings: Vec<_> = tx.postings.iter().map(|p| p.posting).collect();
            let expected = entry_hash(&tx.prev_hash, id.0, tx.seq, tx.kind.as_str(), tx.at, &tx.memo, &postings);
            if expected != tx.hash {
                report.problems.push(problem("hash does not match its content (tampered?)".into()));
            }
            if !sums_to_zero(&postings) {
                report.problems.push(problem("postings do not sum to zero".into()));
            }
            for p in &tx.postings {
                let balance = balances.entry((p.posting.book, p.posting.instrument_id)).or_insert(0);
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
                let balance = balances.get(&(p.posting.book, p.posting.instrument_id)).copied().unwrap_or(0);
                if !p.posting.book.allows_balance(balance) {
                    report
                        .problems
                        .push(problem(format!("{} balance {balance} breaks its sign rule", p.posting.book.as_str())));
                }
            }
            let revenue = postings.iter().filter(|p| p.book == Book::Revenue).map(|p| p.amount_minor).sum();
            settled.insert(tx.id, (tx.kind, revenue));
            seq = tx.seq;
            head = tx.hash.clone();
        }
        if txs.len() < PAGE as usize {
            break;
        }
    }
    if account.journal_seq != seq || account.journal_head != head {
        report.problems.push(format!("account {id}: chain head does not match the last journal transaction"));
    }
    compare_stored_balances(r, id, &balances, report)?;
    verify_charges(r, id, policy, &settled, report)
}

fn compare_stored_balances(
    r: &mut dyn Reads,
    id: AccountId,
    computed: &Balances,
    report: &mut VerifyReport,
) -> AppResult<()> {
    let stored: Balances =
        r.ledger_balances(id)?.into_iter().map(|b| ((b.book, b.instrument_id), b.balance_minor)).collect();
    for (key, value) in computed {
        if stored.get(key).copied().unwrap_or(0) != *value {
            report.problems.push(format!(
                "account {id}: stored {} {} balance {:?} differs from the journal's {value}",
                key.0.as_str(),
                key.1,
                stored.get(key)
            ));
        }
    }
    for (key, value) in &stored {
        if !computed.contains_key(key) && *value != 0 {
            report.problems.push(format!(
                "account {id}: stored {} {} balance {value} has no postings",
                key.0.as_str(),
                key.1
            ));
        }
    }
    Ok(())
}

fn verify_charges(
    r: &mut dyn Reads,
    id: AccountId,
    policy: &DeductionPolicy,
    settled: &HashMap<JournalTxId, (EntryKind, i64)>,
    report: &mut VerifyReport,
) -> AppResult<()> {
    let mut q = PageQuery { limit: PAGE, ..PageQuery::default() };
    loop {
        let charges = r.charges_of(id, &q)?;
        for c in &charges {
            report.charges += 1;
            verify_charge(r, c, policy, settled, report)?;
        }
        match charges.last() {
            Some(last) if charges.len() == PAGE as usize => q.after = Some(last.id.0),
            _ => return Ok(()),
        }
    }
}

fn verify_charge(
    r: &mut dyn Reads,
    c: &ChargeRecord,
    policy: &DeductionPolicy,
    settled: &HashMap<JournalTxId, (EntryKind, i64)>,
    report: &mut VerifyReport,
) -> AppResult<()> {
    let ch = &c.charge;
    let problem = |what: &str| format!("account {} charge {}: {what}", ch.account_id, c.id);
    let total: i64 = ch.deductions.iter().map(|d| d.amount.minor()).sum();
    if total != ch.amount.minor() {
        report.problems.push(problem("deductions do not add up to the amount"));
    }
    if settled.get(&ch.journal_tx_id) != Some(&(EntryKind::ChargeSettled, ch.amount.minor())) {
        report.problems.push(problem("its journal transaction is missing or does not match"));
    }
    if ch.policy_version != policy.version() {
        report.problems.push(problem("settled under an unknown policy version"));
        return Ok(());
    }
    let allowed = policy.classes_for(ch.settlement, ch.category);
    for d in &ch.deductions {
        if !allowed.contains(&d.class) {
            report.problems.push(problem(&format!("{} may not pay this category", d.class.as_str())));
        }
        if !instrument_was_valid(r, ch.account_id, d.class, d.source, ch.settled_at)? {
            report.problems.push(problem(&format!("{:?} paid outside its validity or class", d.source)));
        }
    }
    Ok(())
}

fn instrument_was_valid(
    r: &mut dyn Reads,
    account: AccountId,
    class: InstrumentClass,
    source: Source,
    at: Timestamp,
) -> AppResult<bool> {
    Ok(match source {
        Source::Voucher(v) => r.voucher(account, v)?.is_some_and(|rec| {
            let kind_ok = match class {
                InstrumentClass::StandardVoucher => rec.voucher.kind == VoucherKind::Standard,
                InstrumentClass::DiscountVoucher => rec.voucher.kind == VoucherKind::Discount,
                _ => false,
            };
            kind_ok && rec.voucher.window.position(at) == WindowPosition::Inside
        }),
        Source::Card(card) => r.card(account, card)?.is_some_and(|rec| {
            class == InstrumentClass::PrepaidCard && rec.card.window.position(at) == WindowPosition::Inside
        }),
        Source::Cash => class == InstrumentClass::Cash,
        Source::Arrears => class == InstrumentClass::Arrears,
        Source::CloudAccount => class == InstrumentClass::CloudAccount,
    })
}
