//! `cloud_outbox`: due cloud marketplace usage records are delivered, each item with
//! its own backoff; an item is delivered once (the marketplace's record id dedups).

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;
use crate::metrics::{self, Outbox};

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    fence.check()?;
    let r = jobs.app.deliver_outbox()?;
    let now = fence.now();
    let due = jobs.app.read(|reads| Ok(reads.outbox_due(now, 10_000)?.len()))?;
    metrics::set_outbox_backlog(Outbox::Cloud, u64::try_from(due).unwrap_or(0));
    let detail = format!(
        "{} attempted, {} delivered, {} retried, {} rejected, {} deferred",
        r.attempted, r.delivered, r.retried, r.rejected, r.deferred
    );
    Ok(JobReport { items: i64::from(r.attempted), detail })
}
