//! `recharge_sweeper`: open Alipay recharge orders are queried; paid ones are
//! credited once (by out_trade_no), stale ones closed and expired. Nothing to do
//! when the Alipay rail is not configured.

use super::{Fence, JobReport, Jobs};
use crate::error::AppResult;

pub fn run(jobs: &Jobs, fence: &Fence<'_>) -> AppResult<JobReport> {
    if jobs.app.config.alipay.is_none() {
        return Ok(JobReport { items: 0, detail: "the Alipay rail is not configured".into() });
    }
    fence.check()?;
    let r = jobs.app.sweep_recharges()?;
    let detail =
        format!("{} checked, {} credited, {} expired, {} deferred", r.checked, r.credited, r.expired, r.deferred);
    Ok(JobReport { items: i64::from(r.checked), detail })
}
