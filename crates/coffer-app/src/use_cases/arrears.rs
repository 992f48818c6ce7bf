//! The arrears lifecycle (DOMAIN §9; docs/decisions/006-arrears-lifecycle.md): a
//! billing-center workspace of an account that owes money is in grace, then locked
//! when the grace period passes unpaid; repaying, or moving the workspace to cloud
//! settlement, makes it normal again. The transitions are decided by
//! `coffer_core::arrears`; this module persists them and records each as an event in
//! the same transaction.
//!
//! Money-moving use cases call [`after_entry_in_tx`] only when their entry may have
//! changed the sign of the arrears (a charge drawing on arrears from zero, a credit
//! while something is owed): the charge hot path pays nothing otherwise. Settlement
//! changes and binds call [`after_workspaces_changed_in_tx`]. Time-driven transitions
//! (the warning 3 days before the lock, the lock) happen in [`App::advance_arrears`],
//! run by the scheduler's `arrears` job.
//!
//! Locking refuses nothing here: the platform stops ingesting a locked workspace's
//! usage, and any charge that still arrives is settled as usual.

use std::collections::HashMap;

use coffer_core::arrears::{on_balance, on_time, step, ArrearsState, Facts, GraceRules, Step, Transition};
use coffer_core::event::{EventKind, EventMoney, NewEvent};
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::journal::Book;
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;
use coffer_core::workspace::Workspace;
use coffer_store::records::AccountRecord;
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, App};

/// Accounts visited per read while advancing.
const PAGE: u32 = 200;

/// What a workspace's state looks like to the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceState {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub state: ArrearsState,
    /// When the grace period ends (in grace) or ended (locked).
    pub grace_until: Option<Timestamp>,
    pub locked_at: Option<Timestamp>,
}

/// What one run of [`App::advance_arrears`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArrearsAdvanced {
    pub accounts: u32,
    pub warned: u32,
    pub locked: u32,
    pub unlocked: u32,
}

impl App {
    fn grace_rules(&self) -> GraceRules {
        GraceRules::new(self.config.arrears_grace_days)
    }

    /// The workspace's arrears state, for the platform to enforce.
    pub fn workspace_state(&self, workspace_id: &str) -> AppResult<WorkspaceState> {
        let id = input::workspace_id(workspace_id)?;
        let rules = self.grace_rules();
        self.read(|r| {
            let ws = r.workspace(&id)?.ok_or_else(|| {
                AppError::new(
                    ErrorCode::WorkspaceNotFound,
                    format!("workspace {id} is not bound to any billing account"),
                )
                .with_field("workspace_id")
            })?;
            let state = r.workspace_arrears(&id)?;
            Ok(view(id, ws.account_id, state, rules))
        })
    }

    /// Every workspace bound to the account with its state, read in one view.
    pub fn workspaces_with_state(&self, account: AccountId) -> AppResult<Vec<(WorkspaceState, Workspace)>> {
        let rules = self.grace_rules();
        self.read(|r| {
            input::account(r, account)?;
            let stored: HashMap<WorkspaceId, ArrearsState> =
                r.workspace_arrears_of(account)?.into_iter().map(|w| (w.workspace_id, w.state)).collect();
            let views = r.workspaces_of(account)?.into_iter().map(|ws| {
                let state = stored.get(&ws.id).copied().unwrap_or(ArrearsState::Normal);
                (view(ws.id.clone(), account, state, rules), ws)
            });
            Ok(views.collect())
        })
    }

    /// Warns workspaces whose lock is 3 days away and locks those whose grace period
    /// is over, one transaction per billing account. Idempotent: the warning and the
    /// lock are stored with the state, so a rerun changes and appends nothing.
    pub fn advance_arrears(&self, now: Timestamp) -> AppResult<ArrearsAdvanced> {
        let rules = self.grace_rules();
        let mut report = ArrearsAdvanced::default();
        let mut after = AccountId(0);
        loop {
            let page = self.read(|r| Ok(r.accounts_in_grace(after, PAGE)?))?;
            let due = self.read(|r| time_has_come(r, &page, rules, now))?;
            report.accounts += u32::try_from(page.len()).unwrap_or(u32::MAX);
            for account in due {
                let transitions = self.write(|tx| advance_account_in_tx(tx, account, rules, now))?;
                for t in transitions {
                    match t {
                        Transition::LockWarned { .. } => report.warned += 1,
                        Transition::Locked { .. } => report.locked += 1,
                        Transition::Unlocked { .. } => report.unlocked += 1,
                        Transition::GraceStarted { .. } => {}
                    }
                }
            }
            match page.last() {
                Some(&last) if page.len() == PAGE as usize => after = last,
                _ => return Ok(report),
            }
        }
    }
}

/// The accounts of `page` with a workspace whose warning or lock is due: the others
/// need no write transaction, so a rerun of the job costs reads only.
fn time_has_come(
    r: &mut dyn coffer_store::Reads,
    page: &[AccountId],
    rules: GraceRules,
    now: Timestamp,
) -> AppResult<Vec<AccountId>> {
    let mut due = Vec::new();
    for &account in page {
        let states = r.workspace_arrears_of(account)?;
        if states.iter().any(|w| !on_time(w.state, now, rules).transitions.is_empty()) {
            due.push(account);
        }
    }
    Ok(due)
}

fn view(workspace_id: WorkspaceId, account_id: AccountId, state: ArrearsState, rules: GraceRules) -> WorkspaceState {
    let grace_until = state.since().map(|since| rules.until(since));
    let locked_at = match state {
        ArrearsState::Locked { at, .. } => Some(at),
        _ => None,
    };
    WorkspaceState { workspace_id, account_id, state, grace_until, locked_at }
}

/// Brings one account's workspaces up to date with its arrears and with `now`.
pub fn advance_account_in_tx(
    tx: &mut dyn WriteTx,
    account: AccountId,
    rules: GraceRules,
    now: Timestamp,
) -> AppResult<Vec<Transition>> {
    let record = input::lock_account(tx, account)?;
    let owed = owed(tx, account)?;
    reconcile_in_tx(tx, &record, owed, Some(rules), now)
}

/// Call after posting an entry that may have moved the account's arrears across
/// zero; `owed_before` is what was owed before it. Records `arrears_started` or
/// `arrears_repaid` and moves the workspaces when the sign changed; does nothing
/// (one read) otherwise. `account` is the record after the entry.
pub fn after_entry_in_tx(
    tx: &mut dyn WriteTx,
    account: &AccountRecord,
    owed_before: i64,
    now: Timestamp,
) -> AppResult<()> {
    let owed_after = owed(tx, account.account.id)?;
    let kind = match (owed_before > 0, owed_after > 0) {
        (false, true) => EventKind::ArrearsStarted,
        (true, false) => EventKind::ArrearsRepaid,
        _ => return Ok(()),
    };
    let key = format!("{}:{}", kind.as_str(), account.journal_seq);
    let mut event = NewEvent::new(account.account.id, kind, now, key);
    if owed_after > 0 {
        event.amount = Some(EventMoney { minor: owed_after, currency: account.account.currency });
    }
    tx.append_event(&event)?;
    reconcile_in_tx(tx, account, owed_after, None, now)?;
    Ok(())
}

/// Call after binding a workspace or changing its settlement (the account locked):
/// a workspace that moved to cloud leaves grace or its lock, and a billing-center
/// workspace of an account that owes joins the account's grace period.
pub fn after_workspaces_changed_in_tx(tx: &mut dyn WriteTx, account: &AccountRecord, now: Timestamp) -> AppResult<()> {
    let owed = owed(tx, account.account.id)?;
    reconcile_in_tx(tx, account, owed, None, now)?;
    Ok(())
}

fn owed(tx: &mut dyn WriteTx, account: AccountId) -> AppResult<i64> {
    Ok(-tx.book_balance(account, Book::Arrears, 0)?)
}

/// Applies the state machine to every workspace of the account: the balance-driven
/// part always, the time-driven part when `rules` are given. Persists each changed
/// state and appends one event per transition.
fn reconcile_in_tx(
    tx: &mut dyn WriteTx,
    account: &AccountRecord,
    owed_minor: i64,
    rules: Option<GraceRules>,
    now: Timestamp,
) -> AppResult<Vec<Transition>> {
    let id = account.account.id;
    let mut states: HashMap<WorkspaceId, ArrearsState> =
        tx.workspace_arrears_of(id)?.into_iter().map(|w| (w.workspace_id, w.state)).collect();
    let episode_since = states.values().filter_map(|s| s.since()).min();
    let mut all = Vec::new();
    for ws in tx.workspaces_of(id)? {
        let current = states.remove(&ws.id).unwrap_or(ArrearsState::Normal);
        let facts = Facts { owed_minor, settlement: ws.settlement.kind(), episode_since, now };
        let Step { state, transitions } = match rules {
            Some(rules) => step(current, facts, rules),
            None => on_balance(current, facts),
        };
        if state != current {
            tx.put_workspace_arrears(&ws.id, id, state)?;
        }
        let context = EventContext { account: id, currency: account.account.currency, owed_minor, rules, now };
        for t in &transitions {
            tx.append_event(&transition_event(&context, &ws.id, state, *t))?;
        }
        all.extend(transitions);
    }
    Ok(all)
}

struct EventContext {
    account: AccountId,
    currency: Currency,
    owed_minor: i64,
    rules: Option<GraceRules>,
    now: Timestamp,
}

/// The event recording one transition into `to`. Dedup keys name the workspace, the grace
/// period (its start) and, for the balance-driven transitions that may recur within
/// one period, the instant.
fn transition_event(c: &EventContext, ws: &WorkspaceId, to: ArrearsState, t: Transition) -> NewEvent {
    let now = c.now.0;
    let (kind, key) = match t {
        Transition::GraceStarted { since } => (EventKind::GraceStarted, format!("{ws}:{}:{now}", since.0)),
        Transition::LockWarned { .. } => (EventKind::LockIn3Days, format!("{ws}:{}", since_ms(to))),
        Transition::Locked { .. } => (EventKind::WorkspaceLocked, format!("{ws}:{}", since_ms(to))),
        Transition::Unlocked { from } => (EventKind::WorkspaceUnlocked, format!("{ws}:{}:{now}", since_ms(from))),
    };
    let mut event = NewEvent::new(c.account, kind, c.now, format!("{}:{key}", kind.as_str()));
    event.workspace_id = Some(ws.clone());
    match t {
        Transition::GraceStarted { since } => {
            event.amount = Some(EventMoney { minor: c.owed_minor, currency: c.currency });
            event.until = c.rules.map(|r| r.until(since));
        }
        Transition::LockWarned { locks_at } => event.until = Some(locks_at),
        Transition::Locked { .. } => {}
        Transition::Unlocked { from } => event.subject_id = Some(from.name().to_owned()),
    }
    event
}

fn since_ms(state: ArrearsState) -> i64 {
    state.since().map_or(0, |s| s.0)
}
