//! A model-based test of the whole core. Random sequences of operations (cash
//! credits, vouchers of both kinds with validity windows, bought and allocated cards
//! with their bonus vouchers, charges of every category on both settlement methods,
//! time passing, expiry, revocation, reversal, adjustments, arrears limits) drive two
//! things side by side:
//!
//! - the real core: the planner, the lifecycle plans and the journal entries they
//!   build, applied to a ledger of books the way a store applies them;
//! - a reference model: plain maps of balances and statuses, with DOMAIN's rules
//!   written out again as simply as possible.
//!
//! After every operation their balances and statuses must be equal, and DOMAIN §11's
//! invariants must hold: every entry balances, customer books are never negative and
//! arrears never positive, every book equals the balance it backs, a charge's
//! deductions add up to it, and only allowed, active, valid instruments pay.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use coffer_core::card::{BonusTiers, CardOrigin, CardStatus, PrepaidCard};
use coffer_core::ids::{CardId, VoucherId};
use coffer_core::journal::{Book, EntryKind, JournalEntry};
use coffer_core::lifecycle::{
    adjustment_entry, card_entry, cash_credit_entry, charge_entry, plan_card_allocation, plan_card_purchase,
    plan_reversal, voucher_activation_entry, write_off_entry, AdjustmentDirection, CashSource, InstrumentNow,
};
use coffer_core::money::{Amount, Currency};
use coffer_core::planner::{plan_charge, ChargeInput, Deduction, Source, WalletSnapshot};
use coffer_core::policy::{Category, DeductionPolicy, InstrumentClass};
use coffer_core::time::{Timestamp, Window, WindowPosition, MS_PER_DAY};
use coffer_core::voucher::{Voucher, VoucherKind, VoucherStatus};
use coffer_core::workspace::SettlementKind;
use common::{Books, ACCOUNT};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const HOUR: i64 = MS_PER_DAY / 24;

/// Cases × operations per case: at least 100,000 operations in every run.
const CASES: u32 = 520;
const OPS_PER_CASE: usize = 200;

static OPERATIONS: AtomicU64 = AtomicU64::new(0);

// ================================================================ operations

#[derive(Clone, Copy, Debug)]
enum Op {
    Credit {
        minor: i64,
        online: bool,
    },
    /// A voucher whose window starts `from_hours` from now and lasts `hours`, or, with
    /// `hours = None`, one that never expires.
    Voucher {
        discount: bool,
        minor: i64,
        from_hours: i64,
        hours: Option<i64>,
    },
    /// A card of `hundreds` × 100 units (an invalid face value when `odd`), valid for `days`.
    Card {
        hundreds: i64,
        odd: bool,
        days: i64,
        allocate: bool,
    },
    Charge {
        cloud: bool,
        category: Category,
        minor: i64,
    },
    Wait {
        hours: i64,
    },
    Expire,
    Revoke {
        pick: usize,
    },
    Reverse {
        pick: usize,
    },
    Adjust {
        minor: i64,
        debit: bool,
    },
    Limit {
        limit: Option<i64>,
    },
}

fn amount_minor() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 1i64..5_000,
        4 => 1i64..500_000,
        1 => 1i64..=50_000_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (amount_minor(), any::<bool>()).prop_map(|(minor, online)| Op::Credit { minor, online }),
        3 => (any::<bool>(), amount_minor(), -48i64..72, prop::option::weighted(0.85, 1i64..400))
            .prop_map(|(discount, minor, from_hours, hours)| Op::Voucher { discount, minor, from_hours, hours }),
        2 => (prop_oneof![3 => 1i64..120, 1 => 100i64..1_500], prop::bool::weighted(0.1), 1i64..40, any::<bool>())
            .prop_map(|(hundreds, odd, days, allocate)| Op::Card { hundreds, odd, days, allocate }),
        8 => (any::<bool>(), prop::sample::select(Category::ALL.to_vec()), amount_minor())
            .prop_map(|(cloud, category, minor)| Op::Charge { cloud, category, minor }),
        3 => (1i64..60).prop_map(|hours| Op::Wait { hours }),
        1 => Just(Op::Expire),
        1 => (0usize..64).prop_map(|pick| Op::Revoke { pick }),
        2 => (0usize..64).prop_map(|pick| Op::Reverse { pick }),
        1 => (amount_minor(), any::<bool>()).prop_map(|(minor, debit)| Op::Adjust { minor, debit }),
        1 => prop::option::weighted(0.7, 0i64..2_000_000).prop_map(|limit| Op::Limit { limit }),
    ]
}

fn amount(minor: i64) -> Amount {
    Amount::from_minor(minor).unwrap_or_else(|e| panic!("bad amount {minor}: {e:?}"))
}

// ================================================================ the real core

/// One settled charge as a store keeps it.
struct Settled {
    deductions: Vec<Deduction>,
    settlement: SettlementKind,
    category: Category,
    reversed: bool,
}

/// The core's objects and a ledger, changed only through the core's plans and entries.
struct Core {
    wallet: WalletSnapshot,
    books: Books,
    charges: Vec<Settled>,
    policy: DeductionPolicy,
    tiers: BonusTiers,
    next_id: i64,
}

impl Core {
    fn new() -> Core {
        Core {
            wallet: WalletSnapshot {
                account_id: ACCOUNT,
                currency: Currency::Cny,
                cash_minor: 0,
                arrears_owed_minor: 0,
                arrears_limit_minor: None,
                vouchers: Vec::new(),
                cards: Vec::new(),
            },
            books: Books::new(),
            charges: Vec::new(),
            policy: DeductionPolicy::v1(),
            tiers: BonusTiers::published(),
            next_id: 1,
        }
    }

    fn fresh_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Posts an entry and reads every balance back from the books, as the store does.
    fn post(&mut self, entry: &JournalEntry) {
        self.books.apply(entry);
        self.wallet.cash_minor = self.books.get(Book::Cash, 0);
        self.wallet.arrears_owed_minor = -self.books.get(Book::Arrears, 0);
        for v in &mut self.wallet.vouchers {
            v.balance_minor = self.books.get(Book::Voucher, v.id.0);
        }
        for c in &mut self.wallet.cards {
            c.balance_minor = self.books.get(Book::Card, c.id.0);
        }
    }

    fn owed(&self) -> i64 {
        self.wallet.arrears_owed_minor
    }

    fn credit(&mut self, minor: i64, online: bool) {
        let source = if online { CashSource::OnlinePayment } else { CashSource::BankTransfer };
        let entry = cash_credit_entry(source, amount(minor), self.owed(), "credit");
        self.post(&entry);
    }

    fn add_voucher(&mut self, kind: VoucherKind, face: Amount, window: Window, now: Timestamp) -> VoucherId {
        let id = VoucherId(self.fresh_id());
        self.wallet.vouchers.push(Voucher {
            id,
            account_id: ACCOUNT,
            kind,
            face_value: face,
            balance_minor: 0,
            status: VoucherStatus::Active,
            window,
            activated_at: now,
        });
        id
    }

    fn voucher(&mut self, kind: VoucherKind, minor: i64, window: Window, now: Timestamp) {
        let id = self.add_voucher(kind, amount(minor), window, now);
        self.post(&voucher_activation_entry(id, amount(minor), "voucher"));
    }

    /// Returns whether the card was issued.
    fn card(&mut self, face_minor: i64, allocate: bool, window: Window, now: Timestamp) -> bool {
        let plan = if allocate {
            plan_card_allocation(amount(face_minor), Currency::Cny, self.owed())
        } else {
            plan_card_purchase(amount(face_minor), Currency::Cny, self.wallet.cash_minor, self.owed(), &self.tiers)
        };
        let Ok(plan) = plan else {
            return false;
        };
        let id = CardId(self.fresh_id());
        let status = if plan.split.rest_minor == 0 { CardStatus::UsedUp } else { CardStatus::Active };
        self.wallet.cards.push(PrepaidCard {
            id,
            account_id: ACCOUNT,
            number: format!("PC{:010}", id.0),
            face_value: plan.face_value,
            balance_minor: 0,
            status,
            window,
            purchased_at: now,
            origin: if allocate { CardOrigin::Allocated } else { CardOrigin::Purchased },
        });
        // The bonus voucher's validity equals the card's (DOMAIN §6).
        let bonus = plan.bonus.map(|bonus| self.add_voucher(VoucherKind::Discount, bonus, window, now));
        self.post(&card_entry(&plan, id, bonus, "card"));
        true
    }

    /// Returns the deductions, or `None` when the planner refused the charge.
    fn charge(&mut self, input: ChargeInput, now: Timestamp) -> Option<Vec<Deduction>> {
        let plan = plan_charge(&self.wallet, &self.policy, input, now).ok()?;
        self.post(&charge_entry(&plan, "charge"));
        for source in plan.exhausted() {
            self.set_status(source, Status::UsedUp);
        }
        self.charges.push(Settled {
            deductions: plan.deductions.clone(),
            settlement: input.settlement,
            category: input.category,
            reversed: false,
        });
        Some(plan.deductions)
    }

    fn set_status(&mut self, source: Source, status: Status) {
        match source {
            Source::Voucher(id) => {
                if let Some(v) = self.wallet.vouchers.iter_mut().find(|v| v.id == id) {
                    v.status = status.voucher();
                }
            }
            Source::Card(id) => {
                if let Some(c) = self.wallet.cards.iter_mut().find(|c| c.id == id) {
                    c.status = status.card();
                }
            }
            _ => {}
        }
    }

    /// The expiry job: every voucher and card past its window, not yet terminal.
    fn expire(&mut self, now: Timestamp) {
        let due_vouchers: Vec<(VoucherId, i64)> = self
            .wallet
            .vouchers
            .iter()
            .filter(|v| !v.status.is_terminal() && v.window.position(now) == WindowPosition::Expired)
            .map(|v| (v.id, v.balance_minor))
            .collect();
        for (id, leftover) in due_vouchers {
            if leftover > 0 {
                self.post(&write_off_entry(EntryKind::VoucherExpired, Source::Voucher(id), leftover, "expired"));
            }
            self.set_status(Source::Voucher(id), Status::Expired);
        }
        let due_cards: Vec<(CardId, i64)> = self
            .wallet
            .cards
            .iter()
            .filter(|c| c.status != CardStatus::Expired && c.window.position(now) == WindowPosition::Expired)
            .map(|c| (c.id, c.balance_minor))
            .collect();
        for (id, leftover) in due_cards {
            if leftover > 0 {
                self.post(&write_off_entry(EntryKind::CardExpired, Source::Card(id), leftover, "expired"));
            }
            self.set_status(Source::Card(id), Status::Expired);
        }
    }

    fn revoke(&mut self, id: VoucherId) -> bool {
        let Some(v) = self.wallet.vouchers.iter().find(|v| v.id == id) else {
            return false;
        };
        if v.status.is_terminal() {
            return false;
        }
        let leftover = v.balance_minor;
        if leftover > 0 {
            self.post(&write_off_entry(EntryKind::VoucherRevoked, Source::Voucher(id), leftover, "revoked"));
        }
        self.set_status(Source::Voucher(id), Status::Revoked);
        true
    }

    fn reverse(&mut self, index: usize, now: Timestamp) -> bool {
        let Some(charge) = self.charges.get(index) else {
            return false;
        };
        if charge.reversed {
            return false;
        }
        let instruments: Vec<InstrumentNow> = self
            .wallet
            .vouchers
            .iter()
            .map(|v| InstrumentNow {
                source: Source::Voucher(v.id),
                window: v.window,
                terminal: v.status.is_terminal(),
            })
            .chain(self.wallet.cards.iter().map(|c| InstrumentNow {
                source: Source::Card(c.id),
                window: c.window,
                terminal: c.status == CardStatus::Expired,
            }))
            .collect();
        let plan = plan_reversal(&charge.deductions, &instruments, self.owed(), now, "reversal");
        self.post(&plan.entry);
        for source in plan.revived {
            self.set_status(source, Status::Active);
        }
        self.charges[index].reversed = true;
        true
    }

    fn adjust(&mut self, minor: i64, debit: bool) -> bool {
        let direction = if debit { AdjustmentDirection::Debit } else { AdjustmentDirection::Credit };
        match adjustment_entry(direction, amount(minor), self.wallet.cash_minor, self.owed(), "adjust") {
            Ok(entry) => {
                self.post(&entry);
                true
            }
            Err(_) => false,
        }
    }
}

// ================================================================ the reference model

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Active,
    UsedUp,
    Expired,
    Revoked,
}

impl Status {
    fn voucher(self) -> VoucherStatus {
        match self {
            Status::Active => VoucherStatus::Active,
            Status::UsedUp => VoucherStatus::UsedUp,
            Status::Expired => VoucherStatus::Expired,
            Status::Revoked => VoucherStatus::Revoked,
        }
    }

    fn card(self) -> CardStatus {
        match self {
            Status::Active => CardStatus::Active,
            Status::UsedUp => CardStatus::UsedUp,
            Status::Expired | Status::Revoked => CardStatus::Expired,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Standard,
    Discount,
    Card,
}

/// A voucher or card in the model: a balance, a status and a window in plain numbers.
#[derive(Clone, Copy, Debug)]
struct Inst {
    kind: Kind,
    balance: i64,
    status: Status,
    from: i64,
    until: Option<i64>,
    since: i64,
}

impl Inst {
    fn expired_at(&self, now: i64) -> bool {
        self.until.is_some_and(|until| now >= until)
    }

    fn usable_at(&self, now: i64) -> bool {
        self.status == Status::Active && self.from <= now && !self.expired_at(now) && self.balance > 0
    }
}

/// Where the model took money from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payer {
    Inst(i64),
    Cash,
    Arrears,
    Cloud,
}

#[derive(Default)]
struct Model {
    now: i64,
    cash: i64,
    owed: i64,
    limit: Option<i64>,
    /// Vouchers and cards by id; ids are shared, as in the core.
    insts: BTreeMap<i64, Inst>,
    charges: Vec<(Vec<(Payer, i64)>, bool)>,
    revenue: i64,
    cloud: i64,
    breakage: i64,
    next_id: i64,
}

/// Which kinds may pay, in order, and what pays the rest (DOMAIN §2, written out again).
fn allowed(cloud: bool, category: Category) -> (&'static [Kind], Payer) {
    let kinds: &'static [Kind] = match category {
        Category::Payg => &[Kind::Standard, Kind::Discount, Kind::Card],
        Category::Sms | Category::Testing => &[Kind::Card],
    };
    (kinds, if cloud { Payer::Cloud } else { Payer::Arrears })
}

impl Model {
    fn new() -> Model {
        Model { next_id: 1, ..Model::default() }
    }

    fn fresh_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Incoming value repays what is owed first; the rest is cash.
    fn receive(&mut self, minor: i64) {
        let repaid = minor.min(self.owed);
        self.owed -= repaid;
        self.cash += minor - repaid;
    }

    fn voucher(&mut self, kind: Kind, minor: i64, from: i64, until: Option<i64>) -> i64 {
        let id = self.fresh_id();
        let inst = Inst { kind, balance: minor, status: Status::Active, from, until, since: self.now };
        self.insts.insert(id, inst);
        id
    }

    fn card(&mut self, face: i64, valid_face: bool, allocate: bool, until: i64) -> bool {
        if !valid_face || (!allocate && self.cash < face) {
            return false;
        }
        if !allocate {
            self.cash -= face;
        }
        let repaid = face.min(self.owed);
        self.owed -= repaid;
        let id = self.fresh_id();
        let balance = face - repaid;
        let status = if balance == 0 { Status::UsedUp } else { Status::Active };
        let inst = Inst { kind: Kind::Card, balance, status, from: self.now, until: Some(until), since: self.now };
        self.insts.insert(id, inst);
        let bonus = match face {
            f if allocate || f < 1_000_000 => 0,
            f if f < 3_000_000 => 100_000,
            f if f < 10_000_000 => 500_000,
            _ => 2_000_000,
        };
        if bonus > 0 {
            self.voucher(Kind::Discount, bonus, self.now, Some(until));
        }
        true
    }

    fn charge(&mut self, cloud: bool, category: Category, minor: i64) -> Option<Vec<(Payer, i64)>> {
        let (kinds, terminal) = allowed(cloud, category);
        let now = self.now;
        let mut left = minor;
        let mut taken = Vec::new();
        for &kind in kinds {
            let mut ids: Vec<i64> =
                self.insts.iter().filter(|(_, i)| i.kind == kind && i.usable_at(now)).map(|(id, _)| *id).collect();
            // Earliest expiry first, never-expiring last, then the oldest, then the lowest id.
            ids.sort_by_key(|id| {
                let i = &self.insts[id];
                (i.until.is_none(), i.until, i.since, *id)
            });
            for id in ids {
                let take = left.min(self.insts[&id].balance);
                if take > 0 {
                    taken.push((Payer::Inst(id), take));
                    left -= take;
                }
            }
        }
        if !cloud && left > 0 && self.cash > 0 {
            let take = left.min(self.cash);
            taken.push((Payer::Cash, take));
            left -= take;
        }
        if left > 0 {
            if terminal == Payer::Arrears && self.limit.is_some_and(|limit| self.owed + left > limit) {
                return None;
            }
            taken.push((terminal, left));
        }
        for &(from, amount) in &taken {
            match from {
                Payer::Inst(id) => {
                    let inst = self.insts.get_mut(&id).unwrap_or_else(|| panic!("model lost {id}"));
                    inst.balance -= amount;
                    if inst.balance == 0 {
                        inst.status = Status::UsedUp;
                    }
                }
                Payer::Cash => self.cash -= amount,
                Payer::Arrears => self.owed += amount,
                Payer::Cloud => self.cloud += amount,
            }
        }
        self.revenue += minor;
        self.charges.push((taken.clone(), false));
        Some(taken)
    }

    fn expire(&mut self) {
        let now = self.now;
        for inst in self.insts.values_mut() {
            let live = match inst.kind {
                Kind::Card => inst.status != Status::Expired,
                Kind::Standard | Kind::Discount => !matches!(inst.status, Status::Expired | Status::Revoked),
            };
            if live && inst.expired_at(now) {
                self.breakage += inst.balance;
                inst.balance = 0;
                inst.status = Status::Expired;
            }
        }
    }

    fn revoke(&mut self, id: i64) -> bool {
        match self.insts.get_mut(&id) {
            Some(inst) if inst.kind != Kind::Card && !matches!(inst.status, Status::Expired | Status::Revoked) => {
                inst.balance = 0;
                inst.status = Status::Revoked;
                true
            }
            _ => false,
        }
    }

    /// Every part goes back where it came from; a dead instrument's part is written
    /// off at once; cash and arrears parts together repay what is owed first.
    fn reverse(&mut self, index: usize) -> bool {
        let now = self.now;
        let Some((taken, reversed)) = self.charges.get(index).cloned() else {
            return false;
        };
        if reversed {
            return false;
        }
        let mut back = 0;
        for (from, amount) in taken {
            self.revenue -= amount;
            match from {
                Payer::Inst(id) => {
                    let inst = self.insts.get_mut(&id).unwrap_or_else(|| panic!("model lost {id}"));
                    let dead = matches!(inst.status, Status::Expired | Status::Revoked) || inst.expired_at(now);
                    if dead {
                        self.breakage += amount;
                    } else {
                        inst.balance += amount;
                        inst.status = Status::Active;
                    }
                }
                Payer::Cash | Payer::Arrears => back += amount,
                Payer::Cloud => self.cloud -= amount,
            }
        }
        self.receive(back);
        self.charges[index].1 = true;
        true
    }

    fn adjust(&mut self, minor: i64, debit: bool) -> bool {
        if !debit {
            self.receive(minor);
            return true;
        }
        if self.cash < minor {
            return false;
        }
        self.cash -= minor;
        true
    }
}

// ================================================================ the comparison

fn source_of(from: Payer) -> Source {
    match from {
        Payer::Inst(id) => Source::Voucher(VoucherId(id)),
        Payer::Cash => Source::Cash,
        Payer::Arrears => Source::Arrears,
        Payer::Cloud => Source::CloudAccount,
    }
}

/// The core names a card's id as a card; the model keeps one id space.
fn same_source(core: Source, model: Payer) -> bool {
    match (core, model) {
        (Source::Card(id), Payer::Inst(m)) => id.0 == m,
        (core, model) => core == source_of(model),
    }
}

fn class_allowed(class: InstrumentClass, settlement: SettlementKind, category: Category) -> bool {
    let (kinds, terminal) = allowed(settlement == SettlementKind::Cloud, category);
    match class {
        InstrumentClass::StandardVoucher => kinds.contains(&Kind::Standard),
        InstrumentClass::DiscountVoucher => kinds.contains(&Kind::Discount),
        InstrumentClass::PrepaidCard => kinds.contains(&Kind::Card),
        InstrumentClass::Cash => settlement == SettlementKind::BillingCenter,
        InstrumentClass::Arrears => terminal == Payer::Arrears,
        InstrumentClass::CloudAccount => terminal == Payer::Cloud,
    }
}

/// The checks of one settled charge: it adds up, and only allowed, active and valid
/// instruments paid, none beyond its balance.
fn check_deductions(core: &Core, deductions: &[Deduction], input: ChargeInput, now: Timestamp) {
    let total: i64 = deductions.iter().map(|d| d.amount.minor()).sum();
    assert_eq!(total, input.amount.minor(), "deductions add up to the charge");
    for d in deductions {
        assert!(class_allowed(d.class, input.settlement, input.category), "{d:?} paid {input:?}");
        let window = match d.source {
            Source::Voucher(id) => core.wallet.vouchers.iter().find(|v| v.id == id).map(|v| v.window),
            Source::Card(id) => core.wallet.cards.iter().find(|c| c.id == id).map(|c| c.window),
            _ => None,
        };
        if let Some(window) = window {
            assert_eq!(window.position(now), WindowPosition::Inside, "{d:?} paid outside its window");
        }
    }
}

/// Balances and statuses agree, and DOMAIN §11 holds.
fn check_state(core: &Core, model: &Model) {
    let w = &core.wallet;
    assert_eq!(w.cash_minor, model.cash, "cash");
    assert_eq!(w.arrears_owed_minor, model.owed, "arrears");
    assert_eq!(w.arrears_limit_minor, model.limit, "arrears limit");
    assert_eq!(w.vouchers.len() + w.cards.len(), model.insts.len(), "instrument count");
    for v in &w.vouchers {
        let m = model.insts.get(&v.id.0).unwrap_or_else(|| panic!("voucher {} unknown to the model", v.id));
        let kind = if v.kind == VoucherKind::Standard { Kind::Standard } else { Kind::Discount };
        assert_eq!((kind, v.balance_minor, v.status), (m.kind, m.balance, m.status.voucher()), "voucher {}", v.id);
        assert_eq!((v.window.from.0, v.window.until.map(|t| t.0)), (m.from, m.until), "voucher {} window", v.id);
    }
    for c in &w.cards {
        let m = model.insts.get(&c.id.0).unwrap_or_else(|| panic!("card {} unknown to the model", c.id));
        assert_eq!((Kind::Card, c.balance_minor, c.status), (m.kind, m.balance, m.status.card()), "card {}", c.id);
    }
    // The ledger: balanced overall, sign rules, and the counterpart books agree with the model.
    assert_eq!(core.books.total(), 0, "every entry balances, so all books sum to zero");
    core.books.assert_customer_books_valid();
    assert_eq!(core.books.get(Book::Revenue, 0), model.revenue, "revenue");
    assert_eq!(core.books.get(Book::CloudBilled, 0), -model.cloud, "cloud billed");
    assert_eq!(core.books.get(Book::Breakage, 0), model.breakage, "breakage");
    assert!(w.cash_minor == 0 || w.arrears_owed_minor == 0, "cash and arrears never coexist");
}

/// Runs one operation on both sides and compares what they did.
fn step(core: &mut Core, model: &mut Model, op: Op) {
    let now = Timestamp(model.now);
    match op {
        Op::Credit { minor, online } => {
            core.credit(minor, online);
            model.receive(minor);
        }
        Op::Voucher { discount, minor, from_hours, hours } => {
            let from = model.now + from_hours * HOUR;
            let until = hours.map(|h| from + h * HOUR);
            let kind = if discount { VoucherKind::Discount } else { VoucherKind::Standard };
            let window = Window { from: Timestamp(from), until: until.map(Timestamp) };
            core.voucher(kind, minor, window, now);
            model.voucher(if discount { Kind::Discount } else { Kind::Standard }, minor, from, until);
        }
        Op::Card { hundreds, odd, days, allocate } => {
            // An odd face value (not a whole hundred units) must be refused by both.
            let face = hundreds * 10_000 + if odd { 5_000 } else { 0 };
            let until = model.now + days * MS_PER_DAY;
            let window = Window { from: now, until: Some(Timestamp(until)) };
            let issued = core.card(face, allocate, window, now);
            assert_eq!(issued, model.card(face, !odd, allocate, until), "card {op:?}");
        }
        Op::Charge { cloud, category, minor } => {
            let settlement = if cloud { SettlementKind::Cloud } else { SettlementKind::BillingCenter };
            let input = ChargeInput { settlement, category, amount: amount(minor), currency: Currency::Cny };
            // Check against the wallet as it was when the charge was planned.
            let before = Core { wallet: core.wallet.clone(), ..Core::new() };
            let got = core.charge(input, now);
            let expected = model.charge(cloud, category, minor);
            match (&got, &expected) {
                (Some(deductions), Some(taken)) => {
                    check_deductions(&before, deductions, input, now);
                    let pairs: Vec<(Source, i64)> = deductions.iter().map(|d| (d.source, d.amount.minor())).collect();
                    assert_eq!(pairs.len(), taken.len(), "{pairs:?} vs {taken:?}");
                    for ((source, a), (from, b)) in pairs.iter().zip(taken) {
                        assert!(same_source(*source, *from) && a == b, "{pairs:?} vs {taken:?}");
                    }
                }
                (None, None) => {}
                _ => panic!("core {got:?} vs model {expected:?} for {op:?}"),
            }
        }
        Op::Wait { hours } => model.now += hours * HOUR,
        Op::Expire => {
            core.expire(now);
            model.expire();
        }
        Op::Revoke { pick } => {
            let ids: Vec<VoucherId> = core.wallet.vouchers.iter().map(|v| v.id).collect();
            if let Some(&id) = ids.get(pick % ids.len().max(1)) {
                assert_eq!(core.revoke(id), model.revoke(id.0), "revoke {id}");
            }
        }
        Op::Reverse { pick } => {
            let n = core.charges.len().max(1);
            assert_eq!(core.reverse(pick % n, now), model.reverse(pick % n), "reverse {op:?}");
        }
        Op::Adjust { minor, debit } => assert_eq!(core.adjust(minor, debit), model.adjust(minor, debit), "{op:?}"),
        Op::Limit { limit } => {
            core.wallet.arrears_limit_minor = limit;
            model.limit = limit;
        }
    }
    OPERATIONS.fetch_add(1, Ordering::Relaxed);
    check_state(core, model);
}

fn run_sequence(ops: &[Op]) {
    let mut core = Core::new();
    let mut model = Model::new();
    // Time starts at day 1000, so windows that began before "now" are representable.
    model.now = 1_000 * MS_PER_DAY;
    for &op in ops {
        step(&mut core, &mut model, op);
    }
    // Each settled charge that is still standing remembers which category paid it.
    for charge in core.charges.iter().filter(|c| !c.reversed) {
        for d in &charge.deductions {
            assert!(class_allowed(d.class, charge.settlement, charge.category));
        }
    }
}

#[test]
fn the_core_agrees_with_a_reference_model_over_random_operation_sequences() {
    let started = Instant::now();
    let before = OPERATIONS.load(Ordering::Relaxed);
    let config = Config { cases: CASES, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let ops = prop::collection::vec(op(), OPS_PER_CASE);
    let result = runner.run(&ops, |ops| {
        run_sequence(&ops);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let count = OPERATIONS.load(Ordering::Relaxed) - before;
    eprintln!("model test: {count} operations in {CASES} sequences, {:.2?}", started.elapsed());
    assert!(count >= 100_000, "only {count} operations ran");
}
