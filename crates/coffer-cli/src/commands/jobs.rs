//! `coffer jobs`: the background jobs `coffer serve` runs (docs/JOBS.md) — list them
//! with their lease and last run, or run one by hand. A run by hand takes the job's
//! lease like a server would, so it never overlaps a server's run; with `--now` it
//! runs as of that instant.

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use coffer_app::jobs::notify::Mailer;
use coffer_app::jobs::{scheduler, JobName, JobSchedule, JobSettings, Jobs, RunResult};
use coffer_notify::file_mailer::FileMailer;
use coffer_notify::http::HttpWebhookSender;
use coffer_notify::smtp::SmtpMailer;
use coffer_store::jobs::{JobRun, Lease, RunOutcome};
use serde_json::{json, Value};

use crate::config::{Config, EmailSender};
use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{ts_json, Out};

/// How long one webhook attempt may take, connecting included.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Every job with its schedule, lease holder and last run.
    List,
    /// Run one job now, under its lease (refused while a server holds it).
    Run {
        /// expiry, recharge_sweeper, cloud_outbox, monthly_bills, arrears,
        /// notifications, webhooks or email.
        name: String,
    },
    /// The run log, newest first.
    Runs {
        #[arg(long)]
        job: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

/// The scheduler's settings from the configuration's `[jobs.*]`, `[webhooks]` and `[email]`.
pub fn settings(config: &Config) -> JobSettings {
    let mut settings = JobSettings::default();
    for job in JobName::ALL {
        if let Some(c) = config.jobs.get(job.as_str()) {
            let period_ms = i64::try_from(c.period_seconds.saturating_mul(1_000)).unwrap_or(i64::MAX);
            settings.set_schedule(job, JobSchedule { enabled: c.enabled, period_ms });
        }
    }
    settings.max_attempts = i32::try_from(config.webhooks.max_attempts).unwrap_or(i32::MAX);
    settings.mail_from = config.email.from.clone();
    settings
}

/// The mailer the configuration names: `.eml` files in a directory, or an SMTP relay.
pub fn mailer(config: &Config) -> Arc<dyn Mailer> {
    match &config.email.sender {
        EmailSender::File { dir } => Arc::new(FileMailer::new(dir.clone())),
        EmailSender::Smtp { host, port, .. } => Arc::new(SmtpMailer::new(format!("{host}:{port}"), "coffer")),
    }
}

/// The jobs over this context's app, with the configured senders.
pub fn jobs(ctx: &Ctx, app: coffer_app::App) -> Jobs {
    Jobs::new(app, ctx.auth.store.clone(), settings(&ctx.config))
        .with_webhook_sender(Arc::new(HttpWebhookSender::with_timeout(WEBHOOK_TIMEOUT)))
        .with_mailer(mailer(&ctx.config))
}

/// The job's lease; `held` is false once it lapsed or was given back.
fn lease_json(l: Option<&Lease>, now: coffer_core::time::Timestamp) -> Value {
    l.map_or(Value::Null, |l| {
        json!({"holder": l.holder, "generation": l.generation, "expires_at": ts_json(l.expires_at),
            "held": l.expires_at > now})
    })
}

fn run_json(r: &JobRun) -> Value {
    json!({"run_id": r.id, "job": r.run.job, "holder": r.run.holder, "generation": r.run.generation,
        "started_at": ts_json(r.run.started_at), "finished_at": r.finished_at.map(ts_json),
        "outcome": r.outcome.as_str(), "items": r.items, "detail": r.detail})
}

fn list(ctx: &Ctx) -> CliResult<Out> {
    let leases = ctx.app.job_leases()?;
    let now = ctx.app.now();
    let settings = settings(&ctx.config);
    let mut rows = Vec::new();
    let mut text =
        format!("{:<17} {:<8} {:>8}  {:<10} {:<6} {}\n", "JOB", "ENABLED", "PERIOD", "LAST RUN", "ITEMS", "LEASE");
    for job in JobName::ALL {
        let schedule = settings.schedule(job);
        let lease = leases.iter().find(|l| l.job == job.as_str());
        let last = ctx.app.job_runs(Some(job.as_str()), 1)?.into_iter().next();
        let outcome = last.as_ref().map_or("never", |r| r.outcome.as_str());
        let items = last.as_ref().map_or(String::new(), |r| r.items.to_string());
        let holder = match lease {
            Some(l) if l.expires_at > now => format!("{} (gen {})", l.holder, l.generation),
            Some(l) => format!("free (last {})", l.holder),
            None => "free".to_owned(),
        };
        text.push_str(&format!(
            "{:<17} {:<8} {:>7}s  {:<10} {:<6} {holder}\n",
            job.as_str(),
            if schedule.enabled { "yes" } else { "no" },
            schedule.period_ms / 1_000,
            outcome,
            items
        ));
        rows.push(
            json!({"job": job.as_str(), "enabled": schedule.enabled, "period_seconds": schedule.period_ms / 1_000,
            "lease": lease_json(lease, now), "last_run": last.as_ref().map(run_json)}),
        );
    }
    Ok(Out::new(Value::Array(rows), text))
}

fn run_one(ctx: &Ctx, name: &str) -> CliResult<Out> {
    let job = JobName::parse(name)?;
    let mut config = (*ctx.app.config).clone();
    if job == JobName::RechargeSweeper {
        config.alipay = super::alipay::rail_from_env()?;
    }
    let app = coffer_app::App { config: Arc::new(config), ..ctx.app.clone() };
    let holder = scheduler::holder_name("cli");
    match jobs(ctx, app).run_by_hand(job, &holder)? {
        RunResult::Skipped { holder, until } => Err(CliError::new(
            "job_lease_held",
            format!("{name} is being run by {holder} (lease until {}); try again later", ts_json(until)),
        )),
        RunResult::Ran { run_id, outcome, report, error } => {
            let json = json!({"run_id": run_id, "job": name, "outcome": outcome.as_str(), "items": report.items,
                "detail": report.detail, "error": error});
            let text = format!("{name}: {} ({})\n", outcome.as_str(), error.as_deref().unwrap_or(&report.detail));
            let status = if outcome == RunOutcome::Succeeded { 0 } else { crate::error::exit_code_for("job_failed") };
            Ok(Out::new(json, text).with_status(status))
        }
    }
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::List => list(ctx),
        Cmd::Run { name } => run_one(ctx, &name),
        Cmd::Runs { job, limit } => {
            let runs = ctx.app.job_runs(job.as_deref(), limit)?;
            let text: String = runs
                .iter()
                .map(|r| {
                    let started = ts_json(r.run.started_at);
                    let started = started.as_str().unwrap_or("");
                    format!(
                        "{:>6}  {:<17} {started}  {:<9} {:>5}  {}\n",
                        r.id,
                        r.run.job,
                        r.outcome.as_str(),
                        r.items,
                        r.detail
                    )
                })
                .collect();
            Ok(Out::new(Value::Array(runs.iter().map(run_json).collect()), text))
        }
    }
}
