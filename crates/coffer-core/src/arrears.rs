//! The arrears lifecycle of a workspace (DOMAIN §9): `normal` → `grace` when its
//! billing account first owes money → `locked` when the grace period ends unpaid;
//! back to `normal` as soon as the arrears are repaid or the workspace leaves
//! billing-center settlement.
//!
//! Two kinds of cause move a workspace, and each has its own function so callers
//! pay only for what they need:
//! - [`on_balance`]: the account's arrears or the workspace's settlement changed
//!   (enter grace, or return to normal). It needs no settings.
//! - [`on_time`]: time passed (warn 3 days before the lock, then lock). It needs
//!   the grace length.
//!
//! [`step`] applies both. Every change of state comes with a [`Transition`], which
//! the application records as an event.

use crate::time::{Timestamp, MS_PER_DAY};
use crate::workspace::SettlementKind;

/// Where a workspace stands. The grace period's end is not stored: it is
/// `since + grace days` ([`GraceRules::until`]), so the setting applies to every
/// running grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrearsState {
    Normal,
    /// In grace since `since`; `warned` once the 3-day warning was given.
    Grace {
        since: Timestamp,
        warned: bool,
    },
    /// Locked at `at`, after a grace period that began at `since`.
    Locked {
        since: Timestamp,
        at: Timestamp,
    },
}

impl ArrearsState {
    /// `normal`, `grace` or `locked`: the state's stable name.
    pub fn name(self) -> &'static str {
        match self {
            ArrearsState::Normal => "normal",
            ArrearsState::Grace { .. } => "grace",
            ArrearsState::Locked { .. } => "locked",
        }
    }

    /// When the current arrears episode began, unless the workspace is normal.
    pub fn since(self) -> Option<Timestamp> {
        match self {
            ArrearsState::Normal => None,
            ArrearsState::Grace { since, .. } | ArrearsState::Locked { since, .. } => Some(since),
        }
    }
}

/// The grace period's length and the warning before the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraceRules {
    /// DOMAIN §9: 14 by default.
    pub grace_days: u32,
    /// How long before the lock the warning is given: 3.
    pub warn_days: u32,
}

impl GraceRules {
    pub fn new(grace_days: u32) -> GraceRules {
        GraceRules { grace_days, warn_days: 3 }
    }

    /// When a grace period that began at `since` ends.
    pub fn until(self, since: Timestamp) -> Timestamp {
        since.plus_days(self.grace_days)
    }

    /// From when the lock warning is due.
    fn warn_from(self, since: Timestamp) -> Timestamp {
        let until = self.until(since);
        Timestamp(until.0.saturating_sub(i64::from(self.warn_days).saturating_mul(MS_PER_DAY)))
    }
}

/// A change of state, to be recorded as an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// normal → grace.
    GraceStarted { since: Timestamp },
    /// Still in grace; the lock comes at `locks_at`.
    LockWarned { locks_at: Timestamp },
    /// grace → locked.
    Locked { at: Timestamp },
    /// grace or locked → normal; `from` is the state left.
    Unlocked { from: ArrearsState },
}

/// A new state and how it was reached (possibly no transition at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub state: ArrearsState,
    pub transitions: Vec<Transition>,
}

impl Step {
    fn stay(state: ArrearsState) -> Step {
        Step { state, transitions: Vec::new() }
    }
}

/// What the workspace's account and settlement look like now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// What the account owes, as a non-negative number.
    pub owed_minor: i64,
    pub settlement: SettlementKind,
    /// When the account's current episode began, if another of its workspaces is
    /// already in grace or locked: a workspace joining an episode shares its clock,
    /// so binding a new workspace does not restart the grace period.
    pub episode_since: Option<Timestamp>,
    pub now: Timestamp,
}

/// Enters grace when the account owes money and the workspace settles through the
/// billing center; returns to normal when either stops being true.
pub fn on_balance(current: ArrearsState, facts: Facts) -> Step {
    let exposed = facts.owed_minor > 0 && facts.settlement == SettlementKind::BillingCenter;
    match (current, exposed) {
        (ArrearsState::Normal, true) => {
            let since = facts.episode_since.map_or(facts.now, |s| s.min(facts.now));
            Step {
                state: ArrearsState::Grace { since, warned: false },
                transitions: vec![Transition::GraceStarted { since }],
            }
        }
        (ArrearsState::Normal, false) | (_, true) => Step::stay(current),
        (from, false) => Step { state: ArrearsState::Normal, transitions: vec![Transition::Unlocked { from }] },
    }
}

/// Warns once when the lock is 3 days away or less, and locks when the grace
/// period is over. A workspace whose lock is already due is locked without a
/// warning: a warning about the past helps no one.
pub fn on_time(current: ArrearsState, now: Timestamp, rules: GraceRules) -> Step {
    let ArrearsState::Grace { since, warned } = current else {
        return Step::stay(current);
    };
    let until = rules.until(since);
    if now >= until {
        return Step {
            state: ArrearsState::Locked { since, at: now },
            transitions: vec![Transition::Locked { at: now }],
        };
    }
    if !warned && now >= rules.warn_from(since) {
        return Step {
            state: ArrearsState::Grace { since, warned: true },
            transitions: vec![Transition::LockWarned { locks_at: until }],
        };
    }
    Step::stay(current)
}

/// [`on_balance`], then [`on_time`].
pub fn step(current: ArrearsState, facts: Facts, rules: GraceRules) -> Step {
    let first = on_balance(current, facts);
    let second = on_time(first.state, facts.now, rules);
    let mut transitions = first.transitions;
    transitions.extend(second.transitions);
    Step { state: second.state, transitions }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MS_PER_DAY;

    fn facts(owed_minor: i64, now: i64) -> Facts {
        Facts { owed_minor, settlement: SettlementKind::BillingCenter, episode_since: None, now: Timestamp(now) }
    }

    #[test]
    fn a_normal_workspace_enters_grace_when_the_account_first_owes() {
        let s = on_balance(ArrearsState::Normal, facts(1, 5));
        assert_eq!(s.state, ArrearsState::Grace { since: Timestamp(5), warned: false });
        assert_eq!(s.transitions, vec![Transition::GraceStarted { since: Timestamp(5) }]);
    }

    #[test]
    fn a_cloud_workspace_never_enters_grace() {
        let f = Facts { settlement: SettlementKind::Cloud, ..facts(100, 5) };
        assert_eq!(on_balance(ArrearsState::Normal, f), Step::stay(ArrearsState::Normal));
    }

    #[test]
    fn a_workspace_in_grace_does_not_restart_its_grace_when_more_is_owed() {
        let grace = ArrearsState::Grace { since: Timestamp(5), warned: false };
        assert_eq!(on_balance(grace, facts(999, 50)), Step::stay(grace));
    }

    #[test]
    fn a_workspace_joining_an_episode_shares_its_start() {
        let f = Facts { episode_since: Some(Timestamp(2)), ..facts(1, 9) };
        assert_eq!(
            on_balance(ArrearsState::Normal, f).state,
            ArrearsState::Grace { since: Timestamp(2), warned: false }
        );
    }

    #[test]
    fn repaying_unlocks_a_locked_workspace() {
        let locked = ArrearsState::Locked { since: Timestamp(1), at: Timestamp(2) };
        let s = on_balance(locked, facts(0, 3));
        assert_eq!(s.state, ArrearsState::Normal);
        assert_eq!(s.transitions, vec![Transition::Unlocked { from: locked }]);
    }

    #[test]
    fn moving_to_cloud_settlement_ends_grace() {
        let grace = ArrearsState::Grace { since: Timestamp(1), warned: true };
        let f = Facts { settlement: SettlementKind::Cloud, ..facts(50, 3) };
        assert_eq!(on_balance(grace, f).transitions, vec![Transition::Unlocked { from: grace }]);
    }

    #[test]
    fn the_lock_warning_comes_three_days_before_the_lock_and_once() {
        let rules = GraceRules::new(14);
        let grace = ArrearsState::Grace { since: Timestamp(0), warned: false };
        assert_eq!(on_time(grace, Timestamp(11 * DAY - 1), rules), Step::stay(grace));
        let warned = on_time(grace, Timestamp(11 * DAY), rules);
        assert_eq!(warned.transitions, vec![Transition::LockWarned { locks_at: Timestamp(14 * DAY) }]);
        assert_eq!(on_time(warned.state, Timestamp(12 * DAY), rules), Step::stay(warned.state));
    }

    #[test]
    fn grace_ends_in_a_lock_after_the_grace_days() {
        let rules = GraceRules::new(14);
        let grace = ArrearsState::Grace { since: Timestamp(0), warned: true };
        assert_eq!(on_time(grace, Timestamp(14 * DAY - 1), rules), Step::stay(grace));
        let locked = on_time(grace, Timestamp(14 * DAY), rules);
        assert_eq!(locked.state, ArrearsState::Locked { since: Timestamp(0), at: Timestamp(14 * DAY) });
        assert_eq!(on_time(locked.state, Timestamp(20 * DAY), rules), Step::stay(locked.state));
    }

    #[test]
    fn an_overdue_grace_locks_without_a_late_warning() {
        let grace = ArrearsState::Grace { since: Timestamp(0), warned: false };
        let s = on_time(grace, Timestamp(30 * DAY), GraceRules::new(14));
        assert_eq!(s.transitions, vec![Transition::Locked { at: Timestamp(30 * DAY) }]);
    }
}
