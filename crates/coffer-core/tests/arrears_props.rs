//! Property tests of the arrears lifecycle (DOMAIN §9) over random histories of
//! balances, settlement changes and elapsed time.

use coffer_core::arrears::{step, ArrearsState, Facts, GraceRules, Transition};
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_core::workspace::SettlementKind;
use proptest::collection::vec;
use proptest::prelude::*;

/// One moment of a workspace's history: what is owed, how it settles, and how much
/// time passed since the previous moment.
#[derive(Clone, Copy, Debug)]
struct Moment {
    owed_minor: i64,
    cloud: bool,
    elapsed_ms: i64,
}

fn moment() -> impl Strategy<Value = Moment> {
    (prop_oneof![Just(0i64), 1i64..1_000_000], prop::bool::weighted(0.15), 0i64..4 * MS_PER_DAY)
        .prop_map(|(owed_minor, cloud, elapsed_ms)| Moment { owed_minor, cloud, elapsed_ms })
}

fn facts(m: Moment, now: Timestamp) -> Facts {
    let settlement = if m.cloud { SettlementKind::Cloud } else { SettlementKind::BillingCenter };
    Facts { owed_minor: m.owed_minor, settlement, episode_since: None, now }
}

proptest! {
    #[test]
    fn every_history_keeps_the_lifecycle_rules(history in vec(moment(), 1..60), grace_days in 1u32..30) {
        let rules = GraceRules::new(grace_days);
        let mut state = ArrearsState::Normal;
        let mut now = Timestamp(1_700_000_000_000);
        let (mut warnings, mut locks) = (0u32, 0u32);
        for m in history {
            now = Timestamp(now.0 + m.elapsed_ms);
            let f = facts(m, now);
            let before = state;
            let s = step(state, f, rules);
            state = s.state;
            let exposed = m.owed_minor > 0 && !m.cloud;
            // Normal exactly when nothing is owed or the workspace settles in the cloud.
            prop_assert_eq!(state == ArrearsState::Normal, !exposed, "{:?} -> {:?} with {:?}", before, state, m);
            match state {
                ArrearsState::Locked { since, at } => {
                    prop_assert!(at >= rules.until(since), "locked only after the grace period");
                }
                ArrearsState::Grace { since, .. } => prop_assert!(now < rules.until(since), "grace never outlasts its end"),
                ArrearsState::Normal => {}
            }
            for t in &s.transitions {
                match t {
                    Transition::GraceStarted { since } => {
                        prop_assert_eq!(before, ArrearsState::Normal);
                        prop_assert_eq!(*since, now);
                        warnings = 0;
                        locks = 0;
                    }
                    Transition::LockWarned { .. } => warnings += 1,
                    Transition::Locked { .. } => locks += 1,
                    Transition::Unlocked { from } => prop_assert_eq!(*from, before),
                }
            }
            prop_assert!(warnings <= 1 && locks <= 1, "one warning and one lock per grace period");
            // Applying the same facts again changes nothing: reruns are idempotent.
            let again = step(state, f, rules);
            prop_assert_eq!(again.state, state);
            prop_assert!(again.transitions.is_empty());
        }
    }
}
