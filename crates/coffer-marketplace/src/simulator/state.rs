//! The simulator's memory and the contract every provider shares: a request may be
//! throttled or fail (fault knobs); a usage record id already accepted is answered
//! "duplicate"; a cancelled subscription refuses everything new; a rejection knob
//! refuses the next records; otherwise the record is accepted, exactly once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use coffer_core::workspace::CloudProvider;
use serde::{Deserialize, Serialize};

/// A usage record the simulated provider accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUsage {
    pub provider: String,
    pub usage_record_id: String,
    pub cloud_account_id: String,
    pub dimension: String,
    /// Minor units; negative for a credit.
    pub quantity: i64,
    pub accepted_at_ms: i64,
}

/// Fault knobs of one provider, each a count of requests (or records) it affects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next N requests fail transiently, alternating throttling and a 5xx.
    pub transient_failures: u32,
    /// The next N new records are refused for good.
    pub rejections: u32,
    /// The next N new records are accepted, but the answer is lost (a 5xx is sent):
    /// the caller must send them again and be told "duplicate".
    pub lost_answers: u32,
}

/// Whether a request gets through at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Open,
    Throttled,
    Unavailable,
}

/// What happens to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Duplicate,
    Cancelled,
    Rejected,
    /// Accepted, but the caller must be answered with a failure.
    AnswerLost,
}

/// A local marketplace for all four providers: cheap to clone, clones share state.
#[derive(Clone, Default)]
pub struct MarketplaceSim {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    usage: Vec<SimUsage>,
    seen: HashSet<(CloudProvider, String)>,
    faults: HashMap<CloudProvider, Faults>,
    cancelled: HashSet<(CloudProvider, String)>,
    requests: HashMap<CloudProvider, u32>,
}

impl MarketplaceSim {
    pub fn new() -> MarketplaceSim {
        MarketplaceSim::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking handler leaves consistent data behind: every change is one statement.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces a provider's fault knobs.
    pub fn set_faults(&self, provider: CloudProvider, faults: Faults) {
        self.state().faults.insert(provider, faults);
    }

    pub fn faults(&self, provider: CloudProvider) -> Faults {
        self.state().faults.get(&provider).copied().unwrap_or_default()
    }

    /// From now on the provider refuses new usage of this customer as unsubscribed.
    pub fn cancel_subscription(&self, provider: CloudProvider, cloud_account_id: &str) {
        self.state().cancelled.insert((provider, cloud_account_id.to_owned()));
    }

    /// Every accepted record, in order of acceptance.
    pub fn usage(&self) -> Vec<SimUsage> {
        self.state().usage.clone()
    }

    /// Requests received by a provider's endpoint, whatever became of them.
    pub fn requests(&self, provider: CloudProvider) -> u32 {
        self.state().requests.get(&provider).copied().unwrap_or(0)
    }

    /// Counts a request and applies the transient-failure knob.
    pub fn gate(&self, provider: CloudProvider) -> Gate {
        let mut state = self.state();
        *state.requests.entry(provider).or_insert(0) += 1;
        let faults = state.faults.entry(provider).or_default();
        if faults.transient_failures == 0 {
            return Gate::Open;
        }
        faults.transient_failures -= 1;
        if faults.transient_failures % 2 == 1 {
            Gate::Throttled
        } else {
            Gate::Unavailable
        }
    }

    /// Decides one record and, when accepted, keeps it exactly once.
    pub fn judge(&self, provider: CloudProvider, usage: SimUsage) -> Verdict {
        let mut state = self.state();
        let key = (provider, usage.usage_record_id.clone());
        if state.seen.contains(&key) {
            return Verdict::Duplicate;
        }
        if state.cancelled.contains(&(provider, usage.cloud_account_id.clone())) {
            return Verdict::Cancelled;
        }
        let faults = state.faults.entry(provider).or_default();
        if faults.rejections > 0 {
            faults.rejections -= 1;
            return Verdict::Rejected;
        }
        let lost = faults.lost_answers > 0;
        faults.lost_answers = faults.lost_answers.saturating_sub(1);
        state.seen.insert(key);
        state.usage.push(SimUsage { accepted_at_ms: now_ms(), ..usage });
        if lost {
            Verdict::AnswerLost
        } else {
            Verdict::Accepted
        }
    }
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// The worst of several records' verdicts decides a multi-record answer.
pub fn worst(verdicts: &[Verdict]) -> Verdict {
    let rank = |v: &Verdict| match v {
        Verdict::Accepted => 0,
        Verdict::Duplicate => 1,
        Verdict::Rejected => 2,
        Verdict::Cancelled => 3,
        Verdict::AnswerLost => 4,
    };
    verdicts.iter().copied().max_by_key(rank).unwrap_or(Verdict::Accepted)
}
