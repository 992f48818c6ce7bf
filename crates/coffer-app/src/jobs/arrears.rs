//! `arrears`: the arrears lifecycle (DOMAIN §9) — the reminder three days before a
//! lock, locks at the end of the grace period — advanced to now by
//! [`App::advance_arrears`](crate::App::advance_arrears), which is idempotent: each
//! transition is an event with a dedup key, and a workspace already locked stays so.

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    fence.check()?;
    let r = jobs.app.advance_arrears(fence.now())?;
    let detail =
        format!("{} accounts in grace, {} warned, {} locked, {} unlocked", r.accounts, r.warned, r.locked, r.unlocked);
    Ok(JobReport { items: i64::from(r.warned + r.locked + r.unlocked), detail })
}
