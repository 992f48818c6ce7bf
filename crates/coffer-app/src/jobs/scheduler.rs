//! The loop `coffer serve` starts: every enabled job runs once per its period, each
//! under its lease, on one background thread (jobs block on the store and on
//! network calls; they never run on the server's async workers).
//!
//! Periods are measured on the process's monotonic clock; what a run considers
//! "now" comes from the app's clock like everything else.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{JobName, Jobs, RunResult};
use crate::error::AppResult;

/// Told about every run (to log it); runs are also in the store's run log.
pub type OnRun = Box<dyn Fn(JobName, &AppResult<RunResult>) + Send>;

/// How often the loop looks for due jobs.
const TICK: Duration = Duration::from_millis(250);

/// A running scheduler; [`Scheduler::stop`] ends it after the run in progress.
pub struct Scheduler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts the loop on its own thread as lease holder `holder` (unique per process).
    pub fn start(jobs: Jobs, holder: String, on_run: OnRun) -> std::io::Result<Scheduler> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("coffer-jobs".into())
            .spawn(move || run_forever(&jobs, &holder, &flag, &on_run))?;
        Ok(Scheduler { stop, thread: Some(thread) })
    }

    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_forever(jobs: &Jobs, holder: &str, stop: &AtomicBool, on_run: &OnRun) {
    let start = Instant::now();
    // Every job is due at once on start: a restarted server catches up immediately.
    let mut next_due = [start; JobName::ALL.len()];
    while !stop.load(Ordering::SeqCst) {
        for job in JobName::ALL {
            let schedule = jobs.settings.schedule(job);
            let due = &mut next_due[job as usize];
            if !schedule.enabled || Instant::now() < *due || stop.load(Ordering::SeqCst) {
                continue;
            }
            let result = jobs.run(job, holder);
            on_run(job, &result);
            *due = Instant::now() + Duration::from_millis(u64::try_from(schedule.period_ms).unwrap_or(60_000));
        }
        std::thread::sleep(TICK);
    }
}

/// A lease holder name unique to this process: host, process id and a random suffix
/// (two processes in containers may share a host name and a pid).
pub fn holder_name(prefix: &str) -> String {
    use rand::RngCore;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let mut bytes = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}@{host}:{}:{}", std::process::id(), hex::encode(bytes))
}
