//! `arrears`: the arrears lifecycle (DOMAIN §9) — grace periods, the reminder three
//! days before a lock, locks — advanced to now by the arrears use case, which is
//! idempotent (each transition is an event with a dedup key).

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;

pub fn run(_jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    fence.check()?;
    // Hook: `App::advance_arrears(now)` (the arrears use case) is called here once it lands.
    Ok(JobReport { items: 0, detail: "the arrears lifecycle use case is not available yet".into() })
}
