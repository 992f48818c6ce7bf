//! The timed part: `concurrency` callers settle the charge stream, each through a
//! [`Settle`] of its own (the use-case API in process, or an HTTP client with its own
//! keep-alive connection). Closed loop by default (each caller sends its next charge
//! when the previous one is answered); with a rate, open loop: charge n is due at
//! `start + n / rate` and its latency counts from then, so a stall delays the
//! schedule's charges into the measurement instead of hiding them (coordinated
//! omission).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use coffer_app::use_cases::charges::SettleCharge;
use coffer_app::App;

use super::workload::{charge, workspace};

pub struct Plan {
    pub charges: u64,
    pub accounts: usize,
    pub concurrency: usize,
    pub hot: bool,
    pub seed: u64,
    /// Charges per second for an open-loop run.
    pub rate: Option<f64>,
}

pub struct Outcome {
    pub elapsed: Duration,
    pub latencies_us: Vec<u32>,
    pub settled: u64,
    /// Refusals by error code (an arrears limit, for instance).
    pub refused: BTreeMap<String, u64>,
}

/// One caller's way to settle a charge; the error is the stable error code.
pub type Settle<'a> = Box<dyn FnMut(&SettleCharge<'_>) -> Result<(), String> + 'a>;

/// A [`Settle`] through the use-case API.
pub fn in_process(app: &App) -> Settle<'_> {
    Box::new(move |req| app.settle_charge(req).map(drop).map_err(|e| e.code.as_str().to_owned()))
}

/// Runs `plan`, each caller settling through a fresh `make()`.
pub fn run<'a>(plan: &Plan, make: &(dyn Fn() -> Settle<'a> + Sync)) -> Outcome {
    let next = AtomicU64::new(0);
    let refused = Mutex::new(BTreeMap::new());
    let started = Instant::now();
    let latencies: Vec<u32> = std::thread::scope(|s| {
        let workers: Vec<_> =
            (0..plan.concurrency.max(1)).map(|_| s.spawn(|| caller(make(), plan, &next, &refused, started))).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
    });
    let elapsed = started.elapsed();
    let refused = refused.into_inner().unwrap_or_default();
    let settled = plan.charges - refused.values().sum::<u64>();
    Outcome { elapsed, latencies_us: latencies, settled, refused }
}

fn caller(
    mut settle: Settle<'_>,
    plan: &Plan,
    next: &AtomicU64,
    refused: &Mutex<BTreeMap<String, u64>>,
    started: Instant,
) -> Vec<u32> {
    let mut latencies = Vec::new();
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= plan.charges {
            return latencies;
        }
        let spec = charge(plan.seed, n, plan.accounts, plan.hot);
        let ws = workspace(spec.account, spec.billing_center);
        let bill = format!("bench-{n}");
        let due = match plan.rate {
            #[allow(clippy::cast_precision_loss)]
            Some(rate) => started + Duration::from_secs_f64(n as f64 / rate),
            None => Instant::now(),
        };
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let req = SettleCharge {
            workspace_id: &ws,
            bill_id: &bill,
            category: spec.category,
            amount_minor: spec.amount_minor,
            currency: "CNY",
            bill_date: "2026-11-25",
        };
        if let Err(code) = settle(&req) {
            *refused.lock().unwrap_or_else(|p| p.into_inner()).entry(code).or_insert(0) += 1;
        }
        latencies.push(u32::try_from(due.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
}
