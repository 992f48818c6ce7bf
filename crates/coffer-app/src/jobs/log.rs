//! Reading the scheduler's state for people: who holds each job's lease, and the run log.

use coffer_store::jobs::{JobRun, Lease};

use super::JobName;
use crate::error::{AppError, AppResult};
use crate::App;

impl App {
    /// Every job lease ever taken (a job never run has none).
    pub fn job_leases(&self) -> AppResult<Vec<Lease>> {
        Ok(self.store.jobs().leases()?)
    }

    /// The run log, newest first; `job` filters by name.
    pub fn job_runs(&self, job: Option<&str>, limit: u32) -> AppResult<Vec<JobRun>> {
        if let Some(job) = job {
            JobName::parse(job)?;
        }
        if limit == 0 || limit > 1_000 {
            return Err(AppError::invalid("limit", "must be 1 to 1000"));
        }
        Ok(self.store.jobs().job_runs(job, limit)?)
    }
}
