//! The job scheduler's half of the port: leases that give each background job one
//! active runner across server processes, the log of job runs, a cursor per job,
//! and the frozen monthly bills.
//!
//! Each method is its own short transaction: nothing here moves money, and the rows
//! are global (a job is not an account), so they never join an account's write.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;

use crate::StoreResult;

/// Who may run a job until when. The generation grows by one every time the lease
/// changes hands (or is taken again after it lapsed), so a runner that lost its
/// lease can be told apart from the current one: that is the fencing token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub job: String,
    pub holder: String,
    pub generation: i64,
    pub acquired_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How a job run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    /// Still running, or its runner died before reporting.
    Running,
    Succeeded,
    Failed,
    /// The runner had lost its lease by the time it finished; its result was refused.
    Fenced,
}

impl RunOutcome {
    pub const ALL: [RunOutcome; 4] =
        [RunOutcome::Running, RunOutcome::Succeeded, RunOutcome::Failed, RunOutcome::Fenced];

    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Fenced => "fenced",
        }
    }

    pub fn parse(text: &str) -> Option<RunOutcome> {
        RunOutcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJobRun {
    pub job: String,
    pub holder: String,
    pub generation: i64,
    pub started_at: Timestamp,
}

/// What a runner reports when a run ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFinish {
    /// `Succeeded` or `Failed`; the store records `Fenced` instead when the lease moved on.
    pub outcome: RunOutcome,
    /// How many items the run handled (instruments expired, messages sent, ...).
    pub items: i64,
    /// A one-line summary or the error.
    pub detail: String,
    pub finished_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRun {
    pub id: i64,
    pub run: NewJobRun,
    pub outcome: RunOutcome,
    pub items: i64,
    pub detail: String,
    pub finished_at: Option<Timestamp>,
}

/// A monthly bill frozen once its month is over (DOMAIN: bills for the previous
/// month after the 3rd). The lines are kept as the CSV the statement use case renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlyBill {
    pub account_id: AccountId,
    /// `YYYY-MM`.
    pub month: String,
    pub charges: i64,
    pub amount_minor: i64,
    pub csv: String,
    pub created_at: Timestamp,
}

pub trait JobStore: Send + Sync {
    /// Takes the job's lease for `holder` until `expires_at`, or renews it. Succeeds
    /// when nobody holds it, when it lapsed (at or before `now`), or when `holder`
    /// already holds it; `None` when someone else holds it. The generation grows
    /// unless `holder` renews a lease that has not lapsed.
    fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<Option<Lease>>;
    /// Gives the lease up at once (a manual run is over), if `holder` still has this generation.
    fn release_lease(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> StoreResult<()>;
    /// Whether `holder` still holds the job's lease in `generation` and it has not lapsed.
    fn lease_is_current(&self, job: &str, holder: &str, generation: i64, now: Timestamp) -> StoreResult<bool>;
    fn leases(&self) -> StoreResult<Vec<Lease>>;

    fn start_run(&self, run: &NewJobRun) -> StoreResult<i64>;
    /// Records how a run ended, in one transaction with a check of the lease: if the
    /// job's lease is no longer the run's holder and generation, the run is recorded
    /// as `Fenced` and `false` is returned.
    fn finish_run(&self, id: i64, finish: &RunFinish) -> StoreResult<bool>;
    /// Newest first; `job` filters.
    fn job_runs(&self, job: Option<&str>, limit: u32) -> StoreResult<Vec<JobRun>>;

    /// Where a job stopped reading a stream (the event feed's global id); 0 at first.
    fn cursor(&self, job: &str) -> StoreResult<i64>;
    /// Moves the cursor forward only, and only for the lease's current generation;
    /// `false` when fenced.
    fn advance_cursor(&self, job: &str, generation: i64, position: i64) -> StoreResult<bool>;

    /// Freezes a bill; `false` (and nothing changes) when that account-month is already frozen.
    fn insert_monthly_bill(&self, bill: &MonthlyBill) -> StoreResult<bool>;
    fn monthly_bill(&self, account: AccountId, month: &str) -> StoreResult<Option<MonthlyBill>>;
}
