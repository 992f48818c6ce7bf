//! The job scheduler (issue 8): background jobs run by `coffer serve`, or by hand with
//! `coffer jobs run NAME` (docs/JOBS.md).
//!
//! **One active runner per job.** A run first takes the job's lease in the store
//! ([`coffer_store::jobs::JobStore`]): a row per job naming its holder, an expiry and
//! a generation that grows whenever the lease changes hands. A server keeps renewing
//! the lease it holds, so with several servers on one database each job runs in one
//! of them; when that server dies, the lease lapses and another takes over. A run
//! whose lease changed hands while it worked is *fenced*: it stops at its next item
//! and its result is recorded as `fenced`, not `succeeded`.
//!
//! **Idempotent.** Every job is safe to rerun: expiry skips what is already expired,
//! events carry dedup keys, deliveries are unique per event and destination, bills
//! are frozen once per account and month.
//!
//! **The clock is an input.** Every job takes `now` from the app's clock.
//!
//! # Layout
//! - [`runner`]: one run of one job under its lease ([`Jobs::run`]), and the fence.
//! - [`scheduler`]: the loop `coffer serve` starts; [`log`]: leases and runs, for people.
//! - one module per job: [`expiry`], [`recharge_sweeper`], [`cloud_outbox`],
//!   [`monthly_bills`], [`arrears`], [`notifications`], [`webhooks`], [`email`].
//! - [`notify`]: the ports the delivery jobs send through (webhook sender, mailer)
//!   and the retry schedule.

pub mod arrears;
pub mod cloud_outbox;
pub mod email;
pub mod expiry;
pub mod log;
pub mod monthly_bills;
pub mod notifications;
pub mod notify;
pub mod recharge_sweeper;
pub mod runner;
pub mod scheduler;
pub mod webhooks;

use std::sync::Arc;

use coffer_store::auth::AuthStore;

use crate::error::{AppError, AppResult};
use crate::App;

pub use runner::{Fence, RunResult};

/// The jobs, by their stable names (used in `coffer jobs run NAME`, the lease table,
/// the run log and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobName {
    /// Vouchers and prepaid cards past their window are expired and written off.
    Expiry,
    /// Open Alipay recharge orders are queried, credited or expired.
    RechargeSweeper,
    /// Due cloud marketplace usage records are delivered.
    CloudOutbox,
    /// Last month's bill is frozen per account after the 3rd, and announced.
    MonthlyBills,
    /// The arrears lifecycle: grace periods, reminders, locks.
    Arrears,
    /// Time-based events: instruments expiring within 7 days, a short balance runway.
    Notifications,
    /// Webhook deliveries of new events, with retries.
    Webhooks,
    /// E-mail deliveries of new events, with retries.
    Email,
}

impl JobName {
    pub const ALL: [JobName; 8] = [
        JobName::Expiry,
        JobName::RechargeSweeper,
        JobName::CloudOutbox,
        JobName::MonthlyBills,
        JobName::Arrears,
        JobName::Notifications,
        JobName::Webhooks,
        JobName::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobName::Expiry => "expiry",
            JobName::RechargeSweeper => "recharge_sweeper",
            JobName::CloudOutbox => "cloud_outbox",
            JobName::MonthlyBills => "monthly_bills",
            JobName::Arrears => "arrears",
            JobName::Notifications => "notifications",
            JobName::Webhooks => "webhooks",
            JobName::Email => "email",
        }
    }

    pub fn parse(text: &str) -> AppResult<JobName> {
        JobName::ALL.into_iter().find(|j| j.as_str() == text).ok_or_else(|| {
            let names: Vec<&str> = JobName::ALL.iter().map(|j| j.as_str()).collect();
            AppError::invalid("job", format!("unknown job {text:?}; jobs are {}", names.join(", ")))
        })
    }

    /// How often `coffer serve` runs the job unless configured otherwise, in ms.
    pub fn default_period_ms(self) -> i64 {
        match self {
            JobName::Expiry => 5 * 60_000,
            JobName::RechargeSweeper => 30_000,
            JobName::CloudOutbox => 10_000,
            JobName::MonthlyBills => 60 * 60_000,
            JobName::Arrears => 5 * 60_000,
            JobName::Notifications => 60 * 60_000,
            JobName::Webhooks => 5_000,
            JobName::Email => 10_000,
        }
    }
}

/// When a job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobSchedule {
    pub enabled: bool,
    pub period_ms: i64,
}

/// The scheduler's settings. [`JobSettings::default`] follows docs/JOBS.md.
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// Per job, in [`JobName::ALL`] order.
    pub schedules: [JobSchedule; 8],
    /// How long a lease lasts without renewal: a dead server's jobs move to another
    /// server after this long. At least a job's period (see [`JobSettings::lease_ms_for`]).
    pub min_lease_ms: i64,
    /// Warn when an active voucher or card ends within this many days (the issue: 7).
    pub expiring_within_days: i64,
    /// Warn when the spendable balance lasts fewer days than this at the recent daily spend.
    pub runway_days: i64,
    /// The consumption window the runway averages over, in days (as the Billing Center overview).
    pub runway_window_days: i64,
    /// Delivery attempts per notification before it is marked `failed`.
    pub max_attempts: i32,
    /// The first retry waits this long; each further one twice as long, up to `backoff_cap_ms`.
    pub backoff_base_ms: i64,
    pub backoff_cap_ms: i64,
    /// The sender address of notification e-mail.
    pub mail_from: String,
}

impl Default for JobSettings {
    fn default() -> JobSettings {
        JobSettings {
            schedules: JobName::ALL.map(|j| JobSchedule { enabled: true, period_ms: j.default_period_ms() }),
            min_lease_ms: 60_000,
            expiring_within_days: 7,
            runway_days: 7,
            runway_window_days: 30,
            max_attempts: 8,
            backoff_base_ms: 30_000,
            backoff_cap_ms: 6 * 60 * 60_000,
            mail_from: "Coffer Billing Center <billing@coffer.invalid>".into(),
        }
    }
}

impl JobSettings {
    pub fn schedule(&self, job: JobName) -> JobSchedule {
        self.schedules[job as usize]
    }

    pub fn set_schedule(&mut self, job: JobName, schedule: JobSchedule) {
        self.schedules[job as usize] = schedule;
    }

    /// A lease outlives two periods, so a holder that renews every period never
    /// loses it between runs.
    pub fn lease_ms_for(&self, job: JobName) -> i64 {
        self.min_lease_ms.max(self.schedule(job).period_ms.saturating_mul(2))
    }
}

/// What a job's run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Items handled: instruments expired, orders checked, messages sent, ...
    pub items: i64,
    /// A one-line summary for the run log.
    pub detail: String,
}

/// Everything the jobs need: the app, the identity store (owners' e-mail
/// addresses), the settings and the delivery adapters.
#[derive(Clone)]
pub struct Jobs {
    pub app: App,
    pub auth: Arc<dyn AuthStore>,
    pub settings: JobSettings,
    /// `None`: the `webhooks` job queues deliveries but sends nothing.
    pub webhook_sender: Option<Arc<dyn notify::WebhookSender>>,
    /// `None`: the `email` job queues messages but sends nothing.
    pub mailer: Option<Arc<dyn notify::Mailer>>,
}

impl Jobs {
    pub fn new(app: App, auth: Arc<dyn AuthStore>, settings: JobSettings) -> Jobs {
        Jobs { app, auth, settings, webhook_sender: None, mailer: None }
    }

    pub fn with_webhook_sender(self, sender: Arc<dyn notify::WebhookSender>) -> Jobs {
        Jobs { webhook_sender: Some(sender), ..self }
    }

    pub fn with_mailer(self, mailer: Arc<dyn notify::Mailer>) -> Jobs {
        Jobs { mailer: Some(mailer), ..self }
    }

    /// Runs the job's body once (the runner has taken the lease).
    fn body(&self, job: JobName, fence: &Fence<'_>) -> AppResult<JobReport> {
        match job {
            JobName::Expiry => expiry::run(self, fence),
            JobName::RechargeSweeper => recharge_sweeper::run(self, fence),
            JobName::CloudOutbox => cloud_outbox::run(self, fence),
            JobName::MonthlyBills => monthly_bills::run(self, fence),
            JobName::Arrears => arrears::run(self, fence),
            JobName::Notifications => notifications::run(self, fence),
            JobName::Webhooks => webhooks::run(self, fence),
            JobName::Email => email::run(self, fence),
        }
    }
}
