//! One run of one job under its lease: take (or renew) the lease, log the run,
//! run the body with a [`Fence`], and record the outcome — as `fenced` when the
//! lease changed hands meanwhile.

use std::cell::Cell;
use std::time::Duration;

use coffer_core::time::Timestamp;
use coffer_store::jobs::{NewJobRun, RunFinish, RunOutcome};

use super::{JobName, JobReport, Jobs};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::metrics::{self, JobOutcome};

/// What became of a request to run a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunResult {
    /// The run happened; `outcome` is `Succeeded`, `Failed` or `Fenced`.
    Ran { run_id: i64, outcome: RunOutcome, report: JobReport, error: Option<String> },
    /// Another runner holds the job's lease until `until`.
    Skipped { holder: String, until: Timestamp },
}

/// A run in progress: it holds the lease in `generation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunGuard {
    pub job: JobName,
    pub holder: String,
    pub generation: i64,
    pub run_id: i64,
    pub started_at: Timestamp,
    /// When the lease taken for this run lapses unless renewed.
    pub lease_until: Timestamp,
}

/// Lets a job body ask, between items, whether its run still holds the lease. A run
/// that lost it stops with `job_fenced` before touching the next item; whatever it
/// already did is safe because every job is idempotent.
///
/// A long run keeps its lease: once half of it is used up, a check renews it (the
/// same holder renewing a live lease keeps the generation), so only a run that
/// really lost its lease — it lapsed, or another runner took it — is fenced.
pub struct Fence<'a> {
    jobs: &'a Jobs,
    guard: &'a RunGuard,
    lease_until: Cell<Timestamp>,
}

impl Fence<'_> {
    /// The instant the run works at, from the app's (injected) clock.
    pub fn now(&self) -> Timestamp {
        self.jobs.app.now()
    }

    pub fn generation(&self) -> i64 {
        self.guard.generation
    }

    pub fn job(&self) -> JobName {
        self.guard.job
    }

    /// `Ok` while the run holds its lease (renewing it past half-time).
    pub fn check(&self) -> AppResult<()> {
        let g = self.guard;
        let store = self.jobs.app.store.jobs();
        let now = self.now();
        let lease_ms = self.jobs.settings.lease_ms_for(g.job);
        if now.0 < self.lease_until.get().0.saturating_sub(lease_ms / 2) {
            return match store.lease_is_current(g.job.as_str(), &g.holder, g.generation, now)? {
                true => Ok(()),
                false => Err(fenced(g)),
            };
        }
        let until = Timestamp(now.0.saturating_add(lease_ms));
        match store.acquire_lease(g.job.as_str(), &g.holder, now, until)? {
            Some(lease) if lease.generation == g.generation => {
                self.lease_until.set(lease.expires_at);
                Ok(())
            }
            // Taken again after it lapsed, or held by another runner: either way this
            // run's generation is over.
            _ => Err(fenced(g)),
        }
    }
}

fn fenced(g: &RunGuard) -> AppError {
    AppError::new(
        ErrorCode::JobFenced,
        format!("job {} lost its lease (generation {}) during the run", g.job.as_str(), g.generation),
    )
}

impl Jobs {
    /// Takes or renews the job's lease for `holder` and logs a run; `Err(Skipped)` when
    /// another runner holds the lease.
    pub fn begin(&self, job: JobName, holder: &str) -> AppResult<Result<RunGuard, RunResult>> {
        let store = self.app.store.jobs();
        let now = self.app.now();
        let until = Timestamp(now.0.saturating_add(self.settings.lease_ms_for(job)));
        let Some(lease) = store.acquire_lease(job.as_str(), holder, now, until)? else {
            let current = store.leases()?.into_iter().find(|l| l.job == job.as_str());
            let (holder, until) = current.map_or((String::new(), now), |l| (l.holder, l.expires_at));
            return Ok(Err(RunResult::Skipped { holder, until }));
        };
        let run = NewJobRun {
            job: job.as_str().into(),
            holder: holder.into(),
            generation: lease.generation,
            started_at: now,
        };
        let run_id = store.start_run(&run)?;
        Ok(Ok(RunGuard {
            job,
            holder: holder.into(),
            generation: lease.generation,
            run_id,
            started_at: now,
            lease_until: lease.expires_at,
        }))
    }

    /// Runs the body of a begun run.
    pub fn work(&self, guard: &RunGuard) -> AppResult<JobReport> {
        let fence = Fence { jobs: self, guard, lease_until: Cell::new(guard.lease_until) };
        fence.check()?;
        self.body(guard.job, &fence)
    }

    /// Records how the run ended; the store refuses the result (`Fenced`) when the
    /// lease has changed hands since [`Jobs::begin`].
    pub fn finish(&self, guard: &RunGuard, result: AppResult<JobReport>) -> AppResult<RunResult> {
        let now = self.app.now();
        let (outcome, report, error) = match result {
            Ok(report) => (RunOutcome::Succeeded, report, None),
            Err(e) if e.code == ErrorCode::JobFenced => (RunOutcome::Fenced, JobReport::default(), Some(e.message)),
            Err(e) => (RunOutcome::Failed, JobReport::default(), Some(e.to_string())),
        };
        let detail = error.clone().unwrap_or_else(|| report.detail.clone());
        let finish = RunFinish { outcome, items: report.items, detail, finished_at: now };
        let kept = self.app.store.jobs().finish_run(guard.run_id, &finish)?;
        let outcome = if kept { outcome } else { RunOutcome::Fenced };
        let took = Duration::from_millis(u64::try_from(now.0 - guard.started_at.0).unwrap_or(0));
        let measured = if outcome == RunOutcome::Succeeded { JobOutcome::Succeeded } else { JobOutcome::Failed };
        metrics::record_job_run(guard.job.as_str(), measured, took);
        Ok(RunResult::Ran { run_id: guard.run_id, outcome, report, error })
    }

    /// One run of `job` as `holder`, keeping the lease afterwards so that no other
    /// server runs the job before this one's next period (the scheduler's way).
    pub fn run(&self, job: JobName, holder: &str) -> AppResult<RunResult> {
        let guard = match self.begin(job, holder)? {
            Ok(guard) => guard,
            Err(skipped) => {
                metrics::record_job_run(job.as_str(), JobOutcome::Skipped, Duration::ZERO);
                return Ok(skipped);
            }
        };
        let result = self.work(&guard);
        self.finish(&guard, result)
    }

    /// One run by hand (`coffer jobs run`): like [`Jobs::run`], but the lease is given
    /// back afterwards so the servers carry on at once.
    pub fn run_by_hand(&self, job: JobName, holder: &str) -> AppResult<RunResult> {
        let guard = match self.begin(job, holder)? {
            Ok(guard) => guard,
            Err(skipped) => return Ok(skipped),
        };
        let result = self.work(&guard);
        let ran = self.finish(&guard, result);
        self.app.store.jobs().release_lease(job.as_str(), holder, guard.generation, self.app.now())?;
        ran
    }
}
