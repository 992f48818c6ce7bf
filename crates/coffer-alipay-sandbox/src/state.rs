//! The sandbox's configuration, clock and shared state.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use coffer_alipay::{PrivateKey, PublicKey};

use crate::faults::Faults;
use crate::notifier::Outbox;
use crate::trades::{TradeInfo, Trades};

/// The current instant in Unix milliseconds. Injected so tests can fast-forward the notifier's retries.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The real clock, for servers.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
    })
}

/// Who the sandbox plays Alipay for, and with which keys.
#[derive(Debug)]
pub struct SandboxConfig {
    /// The one merchant application the sandbox accepts.
    pub app_id: String,
    /// The merchant's PID, put in notifications and returns as `seller_id`.
    pub seller_id: String,
    /// The merchant's public key: verifies request signatures.
    pub app_public_key: PublicKey,
    /// The sandbox's "Alipay" private key: signs responses, notifications and returns.
    pub sandbox_private_key: PrivateKey,
    /// Where the sandbox is reachable from a browser (no trailing slash), e.g. `http://127.0.0.1:8080` or
    /// `http://host/alipay-sandbox` when nested; QR codes and the cashier's buttons point here.
    pub base_url: String,
}

/// A local Alipay: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: SandboxConfig,
    clock: Clock,
    pub(crate) agent: ureq::Agent,
    state: Mutex<State>,
}

/// Everything that changes, under one lock: requests are short and the sandbox serves one merchant.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) trades: Trades,
    pub(crate) outbox: Outbox,
    pub(crate) faults: Faults,
}

impl Sandbox {
    /// A sandbox with no trades, no faults, and the given clock.
    pub fn new(config: SandboxConfig, clock: Clock) -> Self {
        let agent =
            ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout(Duration::from_secs(10)).build();
        let state = Mutex::new(State::default());
        Sandbox { inner: Arc::new(Inner { config, clock, agent, state }) }
    }

    /// The configuration the sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Replaces the fault knobs; they apply to what happens from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// The fault knobs in force.
    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Every order the sandbox has seen, by `out_trade_no`.
    pub fn trades(&self) -> Vec<TradeInfo> {
        let now = self.now();
        let mut state = self.lock();
        state.trades.expire_due(now);
        state.trades.infos()
    }

    pub(crate) fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// Locks the state; a panic elsewhere must not take the sandbox down with it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `base_url` joined with an absolute path.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.base_url.trim_end_matches('/'))
    }
}
