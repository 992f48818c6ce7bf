//! Process-wide operational metrics, rendered in the Prometheus text format by
//! [`render`] (served at `/metrics` by `coffer serve`; see docs/OPERATIONS.md).
//!
//! Recording is cheap enough for the charge hot path: every cell is an atomic, the
//! charge counters are arrays indexed by the core's enums, and labelled families are
//! lock-free tables (see [`family`]). Nothing here does IO or reads a clock: callers
//! pass durations they measured themselves, so jobs driven by an injected clock can
//! report what that clock says.
//!
//! The free functions record into one process-wide [`Metrics`]; tests that need
//! isolation build their own `Metrics` and call its methods.

pub mod family;
mod render;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use coffer_core::money::Currency;
use coffer_core::policy::{Category, InstrumentClass};

use crate::use_cases::charges::ChargeSettled;
use family::Family;

/// Upper bounds, in seconds, of the duration histogram's buckets.
pub const DURATION_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

const CATEGORIES: usize = Category::ALL.len();
const CLASSES: usize = InstrumentClass::ALL.len();
const CURRENCIES: usize = Currency::ALL.len();

/// How a background job's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// The run did its work (possibly none) without an error.
    Succeeded,
    /// The run stopped on an error.
    Failed,
    /// The run was not attempted (the job is disabled or another run holds it).
    Skipped,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
            JobOutcome::Skipped => "skipped",
        }
    }
}

/// Which queue of outgoing deliveries a backlog figure describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outbox {
    /// Cloud marketplace usage reports that are due.
    Cloud,
    /// Webhook deliveries that are due.
    Webhooks,
    /// E-mail notifications that are due.
    Email,
}

impl Outbox {
    pub fn as_str(self) -> &'static str {
        match self {
            Outbox::Cloud => "cloud",
            Outbox::Webhooks => "webhooks",
            Outbox::Email => "email",
        }
    }
}

/// A histogram of durations: per-bucket counts (made cumulative when rendered), the
/// sum in nanoseconds and the count.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; DURATION_BUCKETS.len()],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        if let Some(i) = DURATION_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every metric the server exposes. Counters only grow (they wrap after 2^64, which a
/// scraper reads as a counter reset); gauges are set by whoever knows the figure.
pub struct Metrics {
    http_requests: Family<AtomicU64>,
    http_duration: Family<Histogram>,
    charges_settled: [[AtomicU64; CLASSES]; CATEGORIES],
    charge_amount_minor: [[AtomicU64; CURRENCIES]; CATEGORIES],
    failures: Family<AtomicU64>,
    job_runs: Family<AtomicU64>,
    job_last_duration_nanos: Family<AtomicU64>,
    outbox_backlog: [AtomicU64; 3],
    db_pool_in_use: AtomicU64,
    db_pool_idle: AtomicU64,
    db_writer_queue: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            http_requests: Family::with_capacity(1024),
            http_duration: Family::with_capacity(256),
            charges_settled: Default::default(),
            charge_amount_minor: Default::default(),
            failures: Family::with_capacity(256),
            job_runs: Family::with_capacity(128),
            job_last_duration_nanos: Family::with_capacity(64),
            outbox_backlog: Default::default(),
            db_pool_in_use: AtomicU64::new(0),
            db_pool_idle: AtomicU64::new(0),
            db_writer_queue: AtomicI64::new(0),
        }
    }

    /// One answered HTTP request. `route` is the matched route template (such as
    /// `/v1/accounts/{account_id}`), never the raw path, so ids do not become labels.
    pub fn record_http_request(&self, route: &str, method: &str, status: u16, duration: Duration) {
        let status = status_label(status);
        if let Some(counter) = self.http_requests.get(&[route, method, status]) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(histogram) = self.http_duration.get(&[route]) {
            histogram.observe(duration);
        }
    }

    /// One settled charge: counted once for every instrument class that paid part of it.
    pub fn record_charge_settled(&self, category: Category, instrument_class: InstrumentClass) {
        self.charges_settled[category_index(category)][class_index(instrument_class)].fetch_add(1, Ordering::Relaxed);
    }

    /// The amount of one settled charge, in minor units of its currency.
    pub fn record_charge_amount(&self, category: Category, currency: Currency, amount_minor: i64) {
        let amount = u64::try_from(amount_minor).unwrap_or(0);
        self.charge_amount_minor[category_index(category)][currency_index(currency)]
            .fetch_add(amount, Ordering::Relaxed);
    }

    /// A charge as the settle use case returns it; replays of a settled bill are not
    /// counted again.
    pub fn record_settlement(&self, settled: &ChargeSettled) {
        if settled.replayed {
            return;
        }
        let charge = &settled.charge.charge;
        let mut seen = [false; CLASSES];
        for deduction in &charge.deductions {
            let i = class_index(deduction.class);
            if !seen[i] {
                seen[i] = true;
                self.record_charge_settled(charge.category, deduction.class);
            }
        }
        self.record_charge_amount(charge.category, charge.currency, charge.amount.minor());
    }

    /// One failed request or command, by its stable error code.
    pub fn record_failure(&self, code: &str) {
        if let Some(counter) = self.failures.get(&[code]) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One run of a background job and how long it took.
    pub fn record_job_run(&self, job: &str, outcome: JobOutcome, duration: Duration) {
        if let Some(counter) = self.job_runs.get(&[job, outcome.as_str()]) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(last) = self.job_last_duration_nanos.get(&[job]) {
            last.store(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
    }

    /// How many deliveries of `outbox` are due now.
    pub fn set_outbox_backlog(&self, outbox: Outbox, due: u64) {
        self.outbox_backlog[outbox_index(outbox)].store(due, Ordering::Relaxed);
    }

    /// The database connection pool: connections lent out and connections idle.
    pub fn set_db_pool(&self, in_use: u64, idle: u64) {
        self.db_pool_in_use.store(in_use, Ordering::Relaxed);
        self.db_pool_idle.store(idle, Ordering::Relaxed);
    }

    /// Charges waiting for the group-commit writer: `+1` when queued, `-1` when taken.
    pub fn add_writer_queue(&self, delta: i64) {
        self.db_writer_queue.fetch_add(delta, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    pub fn render(&self) -> String {
        render::render(self)
    }
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process-wide metrics.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

/// See [`Metrics::record_http_request`].
pub fn record_http_request(route: &str, method: &str, status: u16, duration: Duration) {
    GLOBAL.record_http_request(route, method, status, duration);
}

/// See [`Metrics::record_charge_settled`].
pub fn record_charge_settled(category: Category, instrument_class: InstrumentClass) {
    GLOBAL.record_charge_settled(category, instrument_class);
}

/// See [`Metrics::record_settlement`].
pub fn record_settlement(settled: &ChargeSettled) {
    GLOBAL.record_settlement(settled);
}

/// See [`Metrics::record_failure`].
pub fn record_failure(code: &str) {
    GLOBAL.record_failure(code);
}

/// See [`Metrics::record_job_run`].
pub fn record_job_run(job: &str, outcome: JobOutcome, duration: Duration) {
    GLOBAL.record_job_run(job, outcome, duration);
}

/// See [`Metrics::set_outbox_backlog`].
pub fn set_outbox_backlog(outbox: Outbox, due: u64) {
    GLOBAL.set_outbox_backlog(outbox, due);
}

/// See [`Metrics::set_db_pool`].
pub fn set_db_pool(in_use: u64, idle: u64) {
    GLOBAL.set_db_pool(in_use, idle);
}

/// See [`Metrics::add_writer_queue`].
pub fn add_writer_queue(delta: i64) {
    GLOBAL.add_writer_queue(delta);
}

/// Samples the figures only the store knows (its connection pool) into the
/// process-wide gauges; `/metrics` calls this before rendering.
pub fn sample_store(store: &dyn coffer_store::Store) {
    if let Some(pool) = store.pool_status() {
        GLOBAL.set_db_pool(pool.in_use, pool.idle);
    }
}

/// See [`Metrics::render`].
pub fn render() -> String {
    GLOBAL.render()
}

fn category_index(category: Category) -> usize {
    Category::ALL.iter().position(|c| *c == category).unwrap_or(0)
}

fn class_index(class: InstrumentClass) -> usize {
    InstrumentClass::ALL.iter().position(|c| *c == class).unwrap_or(0)
}

fn currency_index(currency: Currency) -> usize {
    Currency::ALL.iter().position(|c| *c == currency).unwrap_or(0)
}

fn outbox_index(outbox: Outbox) -> usize {
    match outbox {
        Outbox::Cloud => 0,
        Outbox::Webhooks => 1,
        Outbox::Email => 2,
    }
}

const OUTBOXES: [Outbox; 3] = [Outbox::Cloud, Outbox::Webhooks, Outbox::Email];

/// Status codes as static labels, so that recording a request allocates nothing.
fn status_label(status: u16) -> &'static str {
    const KNOWN: [(u16, &str); 20] = [
        (200, "200"),
        (201, "201"),
        (202, "202"),
        (204, "204"),
        (301, "301"),
        (302, "302"),
        (303, "303"),
        (304, "304"),
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (405, "405"),
        (409, "409"),
        (413, "413"),
        (415, "415"),
        (422, "422"),
        (429, "429"),
        (500, "500"),
        (503, "503"),
    ];
    match KNOWN.iter().find(|(code, _)| *code == status) {
        Some((_, label)) => label,
        None if status < 300 => "2xx",
        None if status < 400 => "3xx",
        None if status < 500 => "4xx",
        None => "5xx",
    }
}

#[cfg(test)]
mod tests;
