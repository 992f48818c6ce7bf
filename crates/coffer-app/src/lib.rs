//! Coffer's application layer: one use case per module, each a short imperative
//! shell around the pure core: parse → lock the account → plan (core) → persist →
//! commit. The CLI, the HTTP API and the web UI all call these and nothing else.
//!
//! **All-or-nothing.** Every use case runs in one store transaction.
//! **Idempotent.** Every mutating use case takes an optional idempotency key: the
//! same key and input return the original result; the same key with different
//! input is an `idempotency_conflict`.
//! **Every write has a form that joins the caller's transaction** (`*_in_tx`), so
//! several use cases, or many charges, can commit once.
//!
//! # Layout
//! - [`error`]: [`AppError`] and its stable codes.
//! - [`clock`], [`tz`]: time as an input; calendar questions in an account's zone.
//! - [`journal`]: appending entries with the per-account hash chain.
//! - [`idempotency`], [`input`]: keys, fingerprints, parsing raw input with field names.
//! - [`use_cases`]: the use cases.
//! - [`marketplace`]: the cloud marketplace port the outbox delivers through.
//! - [`verify`]: recomputes every balance and checks every invariant.
//! - [`group_commit`]: many concurrent charges in one durable transaction.
//! - [`demo`]: realistic demo data.
//! - [`metrics`]: operational counters and gauges, rendered for Prometheus.

pub mod auth;
pub mod clock;
pub mod codes;
pub mod demo;
pub mod error;
pub mod group_commit;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod journal;
pub mod marketplace;
pub mod metrics;
pub mod snapshot;
pub mod tz;
pub mod use_cases;
pub mod verify;

use std::sync::Arc;

use coffer_core::card::BonusTiers;
use coffer_core::policy::DeductionPolicy;
use coffer_core::time::Timestamp;
use coffer_store::Store;

pub use error::{AppError, AppResult, ErrorCode};

/// Settings the use cases need. Defaults follow DOMAIN.md's decisions.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub policy: DeductionPolicy,
    pub bonus_tiers: BonusTiers,
    /// Prepaid-card validity from purchase, in months (DOMAIN §6: 12).
    pub card_validity_months: i32,
    /// Failed activation-code attempts allowed per account per hour.
    pub code_failures_per_hour: u32,
    /// Failed activation-code attempts allowed across all accounts per hour: bounds
    /// an attacker who controls many accounts (docs/SECURITY.md).
    pub code_failures_per_hour_global: u32,
    /// The key activation codes are hashed under (HMAC-SHA256).
    pub code_key: Vec<u8>,
    /// Online recharge through Alipay; `None` when not configured.
    pub alipay: Option<AlipayRail>,
    /// Manual bank-transfer credits and operator cash adjustments (either sign) above
    /// this need a second operator (DOMAIN §4).
    pub approval_threshold_minor: i64,
    /// The payee account customers wire offline transfers to, shown with their
    /// reference code (DOMAIN §4); demo values by default.
    pub bank_details: use_cases::bank_transfers::BankDetails,
    /// Cloud marketplace adapters by provider (DOMAIN §7); none by default.
    pub marketplaces: marketplace::Marketplaces,
    /// Days an account may stay in arrears before the arrears lifecycle acts (DOMAIN §9); 14 by default.
    pub arrears_grace_days: u32,
}

/// The Alipay rail's settings.
#[derive(Clone, Debug)]
pub struct AlipayRail {
    pub client: Arc<coffer_alipay::Client>,
    /// How long a recharge order stays payable (PROTOCOL A.6: set time_expire a little before).
    pub order_ttl_ms: i64,
    /// The order title shown on Alipay's checkout.
    pub subject: String,
}

impl AlipayRail {
    pub fn new(client: coffer_alipay::Client) -> AlipayRail {
        AlipayRail { client: Arc::new(client), order_ttl_ms: 30 * 60_000, subject: "Coffer wallet recharge".into() }
    }
}

impl AppConfig {
    pub fn with_code_key(code_key: Vec<u8>) -> AppConfig {
        AppConfig {
            policy: DeductionPolicy::v1(),
            bonus_tiers: BonusTiers::published(),
            card_validity_months: 12,
            code_failures_per_hour: 10,
            code_failures_per_hour_global: 1_000,
            code_key,
            alipay: None,
            approval_threshold_minor: 1_000_000,
            bank_details: use_cases::bank_transfers::BankDetails::demo(),
            marketplaces: marketplace::Marketplaces::new(),
            arrears_grace_days: 14,
        }
    }
}

/// The application: a store, settings and a clock.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub config: Arc<AppConfig>,
    pub clock: Arc<dyn clock::Clock>,
    /// When set, [`App::settle_charge`] goes through this group committer.
    pub group: Option<Arc<group_commit::GroupCommitter>>,
}

/// How many times a write transaction the store found busy is run again.
const BUSY_RETRIES: u32 = 5;

impl App {
    pub fn new(store: Arc<dyn Store>, config: AppConfig, clock: Arc<dyn clock::Clock>) -> App {
        App { store, config: Arc::new(config), clock, group: None }
    }

    /// This app with charges settled through a group committer (see [`group_commit`]):
    /// concurrent charges share one durable transaction. Other use cases are unchanged.
    pub fn with_group_commit(self, config: group_commit::GroupConfig) -> App {
        let plain = App { group: None, ..self };
        let committer = group_commit::GroupCommitter::start(plain.clone(), config);
        App { group: Some(Arc::new(committer)), ..plain }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs `f` in one write transaction and commits it if `f` succeeds.
    ///
    /// A transaction the store gave up on as busy (PostgreSQL's deadlock or
    /// serialization failure, a lock wait that timed out) was rolled back whole, so
    /// `f` runs again in a fresh one, a few times with a growing pause, before
    /// `store_busy` reaches the caller. `f` reads everything it decides on inside the
    /// transaction, so a rerun decides afresh.
    pub fn write<T>(&self, mut f: impl FnMut(&mut dyn coffer_store::WriteTx) -> AppResult<T>) -> AppResult<T> {
        let mut attempt = 0u32;
        loop {
            match self.write_once(&mut f) {
                Err(e) if e.code == ErrorCode::StoreBusy && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(u64::from(attempt) * 5));
                }
                result => return result,
            }
        }
    }

    fn write_once<T>(&self, f: &mut impl FnMut(&mut dyn coffer_store::WriteTx) -> AppResult<T>) -> AppResult<T> {
        let mut tx = self.store.begin_write()?;
        let value = f(tx.as_mut())?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` against a read view.
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn coffer_store::Reads) -> AppResult<T>) -> AppResult<T> {
        let mut view = self.store.read()?;
        f(view.as_mut())
    }
}
