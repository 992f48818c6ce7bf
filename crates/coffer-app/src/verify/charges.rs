//! The charge half of `verify`: each charge against the policy and the instruments
//! it names, and its claim on its journal transaction kept for matching once the
//! journal has been read.

use coffer_core::card::PrepaidCard;
use coffer_core::ids::{AccountId, CardId, JournalTxId, VoucherId};
use coffer_core::planner::Source;
use coffer_core::policy::{DeductionPolicy, InstrumentClass};
use coffer_core::time::{Timestamp, WindowPosition};
use coffer_core::voucher::{Voucher, VoucherKind};
use coffer_store::records::{AccountRecord, ScannedCharge};
use coffer_store::{IdSpan, Reads};

use super::{Balances, HashMap, VerifyReport};
use crate::error::AppResult;

/// Every account with its stored balances, and the instruments deductions may
/// name, loaded once.
#[derive(Default)]
pub(super) struct Accounts {
    pub(super) stored: Vec<(AccountRecord, Balances)>,
    vouchers: HashMap<(AccountId, VoucherId), Voucher>,
    cards: HashMap<(AccountId, CardId), PrepaidCard>,
}

pub(super) fn load_accounts(r: &mut dyn Reads) -> AppResult<Accounts> {
    let mut loaded = Accounts::default();
    for account in r.accounts()? {
        let id = account.account.id;
        let stored = r.ledger_balances(id)?.into_iter().map(|b| ((b.book, b.instrument_id), b.balance_minor)).collect();
        for v in r.vouchers_of(id, None)? {
            loaded.vouchers.insert((id, v.voucher.id), v.voucher);
        }
        for c in r.cards_of(id, None)? {
            loaded.cards.insert((id, c.card.id), c.card);
        }
        loaded.stored.push((account, stored));
    }
    Ok(loaded)
}

/// What one span of charges found: each charge's claim (its journal transaction
/// and amount, 16 bytes) in id order, and the problems found without the journal.
pub(super) struct Claims {
    pub(super) span: IdSpan,
    pub(super) claims: Vec<(JournalTxId, i64)>,
    pub(super) report: VerifyReport,
}

pub(super) fn check_span(
    r: &mut dyn Reads,
    span: IdSpan,
    policy: &DeductionPolicy,
    accounts: &Accounts,
) -> AppResult<Claims> {
    let mut found = Claims { span, claims: Vec::new(), report: VerifyReport::default() };
    r.scan_charges(span, &mut |c| {
        found.report.charges += 1;
        found.claims.push((c.journal_tx_id, c.amount.minor()));
        check_charge(c, policy, accounts, &mut found.report);
        Ok(())
    })?;
    Ok(found)
}

/// Names the charges at `positions` of `span`'s scan order as not matching their
/// journal transactions. Mismatches mean a damaged ledger, so they are rare, and
/// the span is read a second time rather than every claim carrying its names.
pub(super) fn name_unmatched(
    r: &mut dyn Reads,
    span: IdSpan,
    positions: &[usize],
    report: &mut VerifyReport,
) -> AppResult<()> {
    let mut at = 0;
    let mut next = positions.iter().peekable();
    r.scan_charges(span, &mut |c| {
        if next.peek() == Some(&&at) {
            next.next();
            report.problems.push(format!(
                "account {} charge {}: its journal transaction is missing, does not match, or is claimed by another charge",
                c.account_id, c.id
            ));
        }
        at += 1;
        Ok(())
    })?;
    Ok(())
}

fn check_charge(ch: &ScannedCharge, policy: &DeductionPolicy, accounts: &Accounts, report: &mut VerifyReport) {
    let problem = |what: &str| format!("account {} charge {}: {what}", ch.account_id, ch.id);
    let total: i64 = ch.deductions.iter().map(|d| d.amount.minor()).sum();
    if total != ch.amount.minor() {
        report.problems.push(problem("deductions do not add up to the amount"));
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
        if !instrument_was_valid(accounts, ch.account_id, d.class, d.source, ch.settled_at) {
            report.problems.push(problem(&format!("{:?} paid outside its validity or class", d.source)));
        }
    }
}

fn instrument_was_valid(
    accounts: &Accounts,
    account: AccountId,
    class: InstrumentClass,
    source: Source,
    at: Timestamp,
) -> bool {
    match source {
        Source::Voucher(v) => accounts.vouchers.get(&(account, v)).is_some_and(|voucher| {
            let kind_ok = match class {
                InstrumentClass::StandardVoucher => voucher.kind == VoucherKind::Standard,
                InstrumentClass::DiscountVoucher => voucher.kind == VoucherKind::Discount,
                _ => false,
            };
            kind_ok && voucher.window.position(at) == WindowPosition::Inside
        }),
        Source::Card(card) => accounts.cards.get(&(account, card)).is_some_and(|card| {
            class == InstrumentClass::PrepaidCard && card.window.position(at) == WindowPosition::Inside
        }),
        Source::Cash => class == InstrumentClass::Cash,
        Source::Arrears => class == InstrumentClass::Arrears,
        Source::CloudAccount => class == InstrumentClass::CloudAccount,
    }
}
