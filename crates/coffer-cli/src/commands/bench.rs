//! `coffer bench`: a realistic workload, measured. Sets up `--accounts` billing
//! accounts (vouchers, discount voucher, prepaid cards, cash; a billing-center and a
//! cloud-settled workspace each), settles a stream of charges through the use-case
//! API, and reports throughput, latency percentiles, peak RSS, bytes on disk per
//! posting, `verify` speed, statement-page latency and, on SQLite, a raw-storage
//! baseline (the same rows by plain SQL at the same durability). It never touches
//! the `--db` file: SQLite runs use fresh files in `--dir`; PostgreSQL runs write
//! into `--database-url`, which should be a throwaway database.

mod big;
mod http;
mod measure;
mod run;
mod setup;
mod workload;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use coffer_app::auth::Auth;
use coffer_app::clock::ManualClock;
use coffer_app::group_commit::GroupConfig;
use coffer_app::{App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::auth::AuthStore;
use coffer_store::records::PageQuery;
use coffer_store::Store;
use coffer_store_sqlite::raw_bench::{self, RawLoad};
use serde_json::json;

use crate::args::Global;
use crate::error::{CliError, CliResult};
use crate::output::Out;
use measure::Latencies;

/// 2026-11-26T02:00:00Z: every run settles at the same instant, so a seed fixes the outcome.
const BENCH_NOW: Timestamp = Timestamp(1_795_658_400_000);

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Billing accounts to set up.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Charges to settle in the timed run.
    #[arg(long, default_value_t = 100_000)]
    pub charges: u64,
    /// Concurrent callers (in HTTP mode, clients with a keep-alive connection each).
    #[arg(long, visible_alias = "clients", default_value_t = 64)]
    pub concurrency: usize,
    /// Call the use-case API in process, or the real HTTP server over loopback.
    #[arg(long, value_enum, default_value_t = Mode::InProcess)]
    pub mode: Mode,
    /// Every charge on one account (the worst case for per-account serialization).
    #[arg(long)]
    pub hot_account: bool,
    /// Settle through the group committer (one durable transaction per batch).
    #[arg(long)]
    pub group_commit: bool,
    /// Largest group-commit batch.
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Longest a group-commit batch waits for more charges, in ms (0: flush when the queue is empty).
    #[arg(long, default_value_t = 0)]
    pub batch_wait_ms: u64,
    /// Open loop at this many charges/s (latency from each charge's due time).
    #[arg(long)]
    pub rate: Option<f64>,
    /// The workload's seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Run on a throwaway local PostgreSQL cluster (initdb + pg_ctl, fsync and
    /// synchronous_commit on) instead of SQLite; it is stopped when the bench ends.
    #[arg(long)]
    pub pg_temp: bool,
    /// Instead of a settlement run: write this many charges' rows (3 postings each)
    /// by the raw path into DIR/big.db and time statement pages on it.
    #[arg(long, value_name = "CHARGES")]
    pub fill_raw: Option<u64>,
    /// Skip the raw-storage baseline.
    #[arg(long)]
    pub no_raw: bool,
    /// Where SQLite runs put their files (replaced if present).
    #[arg(long, default_value = "/tmp/coffer-bench")]
    pub dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Callers are threads calling the use-case API.
    InProcess,
    /// Callers are HTTP clients of the server started in this process.
    Http,
}

pub fn run(global: &Global, args: BenchArgs) -> CliResult<Out> {
    if let Some(charges) = args.fill_raw {
        return big::run(&args.dir, charges);
    }
    let (store, auth_store, target) = open_store(global, &args)?;
    let clock = Arc::new(ManualClock::new(BENCH_NOW));
    let auth = Auth::new(auth_store, clock.clone());
    let app = App::new(store, AppConfig::with_code_key(vec![7; 32]), clock);
    let mut report = String::new();
    let t = Instant::now();
    setup::build(&app, args.accounts, args.seed)?;
    let setup_s = t.elapsed().as_secs_f64();
    let before = app.verify()?;
    let _ = writeln!(report, "setup: {} accounts, {} postings in {setup_s:.1} s", args.accounts, before.postings);

    let runner = match args.group_commit {
        true => app.clone().with_group_commit(GroupConfig {
            max_batch: args.batch,
            max_wait: Duration::from_millis(args.batch_wait_ms),
        }),
        false => app.clone(),
    };
    let plan = run::Plan {
        charges: args.charges,
        accounts: args.accounts,
        concurrency: args.concurrency,
        hot: args.hot_account,
        seed: args.seed,
        rate: args.rate,
    };
    // CPU time next to wall time: on a shared disk the wall clock swings by a third
    // between identical runs, the work a charge costs does not.
    let charge_cpu_start = measure::cpu_seconds().unwrap_or(0.0);
    let outcome = match args.mode {
        Mode::InProcess => run::run(&plan, &|| run::in_process(&runner)),
        Mode::Http => {
            let server = http::Server::start(runner.clone(), auth)?;
            let outcome = run::run(&plan, &|| server.client());
            drop(server);
            outcome
        }
    };
    let batches = runner.group.as_ref().map(|g| g.batches());
    drop(runner);
    let charge_cpu_s = measure::cpu_seconds().unwrap_or(0.0) - charge_cpu_start;
    let lat = Latencies::new(outcome.latencies_us);
    let secs = outcome.elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = args.charges as f64 / secs;
    let _ = writeln!(
        report,
        "charges: {} in {secs:.2} s = {rate:.0} charges/s ({} settled, refused {:?}){}",
        args.charges,
        outcome.settled,
        outcome.refused,
        batches.map(|b| format!(", {b} batches")).unwrap_or_default()
    );
    #[allow(clippy::cast_precision_loss)]
    let cpu_us_per_charge = 1e6 * charge_cpu_s / (args.charges.max(1) as f64);
    let _ = writeln!(
        report,
        "charge phase CPU (whole process, callers included): {charge_cpu_s:.2} s = {cpu_us_per_charge:.0} us per charge"
    );
    let busy = outcome.refused.get("store_busy").copied().unwrap_or(0);
    let _ = writeln!(report, "store_busy (deadlock, serialization failure, lock timeout) reaching callers: {busy}");
    let _ = writeln!(
        report,
        "latency ms: p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        lat.ms(0.5),
        lat.ms(0.99),
        lat.ms(0.999),
        lat.ms(1.0)
    );

    let t = Instant::now();
    let cpu = measure::cpu_seconds().unwrap_or(0.0);
    let after = app.verify()?;
    let verify_s = t.elapsed().as_secs_f64();
    let verify_cpu = measure::cpu_seconds().unwrap_or(0.0) - cpu;
    #[allow(clippy::cast_precision_loss)]
    let verify_rate = after.postings as f64 / verify_s;
    let _ = writeln!(
        report,
        "verify: {} postings in {verify_s:.2} s ({verify_cpu:.2} s CPU) = {verify_rate:.0} postings/s, clean: {}",
        after.postings,
        after.is_clean()
    );
    let charge_postings = after.postings - before.postings;
    let page_p99 = statement_page_p99(&app, &args)?;
    let _ = writeln!(report, "statement page of 100: p99 {page_p99:.3} ms");
    let per_commit = batches.map(|b| args.charges / b.max(1)).unwrap_or(1).max(1);
    let shape = Shape {
        accounts: args.accounts as u64,
        charges: outcome.settled,
        postings_per_charge: (charge_postings + outcome.settled / 2) / outcome.settled.max(1),
        charges_per_commit: per_commit,
        connections: args.concurrency as u64,
    };
    let bytes_per_posting = disk_figures(&target, after.postings, &mut report)?;
    if !args.no_raw {
        let raw = raw_baseline(&target, &args, shape)?;
        #[allow(clippy::cast_precision_loss)]
        let raw_rate = outcome.settled as f64 / raw.as_secs_f64();
        let _ = writeln!(
            report,
            "raw baseline: {} charges x {} postings, {} per commit: {raw_rate:.0} charges/s; coffer/raw = {:.0}%",
            shape.charges,
            shape.postings_per_charge,
            shape.charges_per_commit,
            100.0 * rate / raw_rate
        );
    }
    let rss = measure::peak_rss_mb().unwrap_or(0.0);
    let _ = writeln!(report, "peak RSS: {rss:.0} MB");
    let _ = writeln!(report, "reproduce: {}", reproduce(global, &args));
    let json = json!({
        "charges_per_s": rate, "p50_ms": lat.ms(0.5), "p99_ms": lat.ms(0.99), "p999_ms": lat.ms(0.999),
        "verify_postings_per_s": verify_rate, "statement_page_p99_ms": page_p99,
        "bytes_per_posting": bytes_per_posting, "store_busy_to_callers": busy, "peak_rss_mb": rss, "clean": after.is_clean(),
    });
    Ok(Out::new(json, report))
}

/// Where a run's data lives.
enum Target {
    Sqlite(PathBuf),
    /// The URL, and the throwaway database that must outlive the run (`--pg-temp`).
    Postgres {
        url: String,
        _temp: Option<coffer_store_postgres::testing::TestDb>,
    },
}

type Opened = (Arc<dyn Store>, Arc<dyn AuthStore>, Target);

fn open_store(global: &Global, args: &BenchArgs) -> CliResult<Opened> {
    if args.pg_temp && global.database_url.is_some() {
        return Err(CliError::invalid("pg_temp", "--pg-temp starts its own database; leave out --database-url"));
    }
    let temp = match args.pg_temp {
        // The testing module reports a cluster it cannot start (missing binaries) by panicking.
        true => Some(std::panic::catch_unwind(coffer_store_postgres::testing::empty_db).map_err(|_| {
            CliError::internal("--pg-temp could not start a PostgreSQL cluster (is PostgreSQL installed?)")
        })?),
        false => None,
    };
    if let Some(url) = temp.as_ref().map(|db| db.url().to_owned()).or_else(|| global.database_url.clone()) {
        let store = coffer_store_postgres::PostgresStore::connect(&url)
            .map_err(|e| CliError::internal(format!("cannot open database: {e}")))?;
        let store = Arc::new(store);
        return Ok((store.clone(), store, Target::Postgres { url, _temp: temp }));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| CliError::internal(format!("{}: {e}", args.dir.display())))?;
    let file = args.dir.join("bench.db");
    remove_db(&file);
    let store = coffer_store_sqlite::SqliteStore::open(&file)
        .map_err(|e| CliError::internal(format!("cannot open {}: {e}", file.display())))?;
    let store = Arc::new(store);
    Ok((store.clone(), store, Target::Sqlite(file)))
}

/// The shape of the rows a run wrote, for the raw baseline to write again.
#[derive(Clone, Copy)]
struct Shape {
    accounts: u64,
    charges: u64,
    postings_per_charge: u64,
    charges_per_commit: u64,
    connections: u64,
}

/// Bytes on disk per posting (SQLite, after folding the WAL in; PostgreSQL, the
/// database's size after a checkpoint-independent `pg_database_size`).
fn disk_figures(target: &Target, postings: u64, report: &mut String) -> CliResult<Option<f64>> {
    let bytes = match target {
        Target::Sqlite(file) => {
            raw_bench::checkpoint(file).map_err(store_err)?;
            measure::sqlite_bytes(file)
        }
        Target::Postgres { url, .. } => coffer_store_postgres::raw_bench::database_bytes(url).map_err(store_err)?,
    };
    #[allow(clippy::cast_precision_loss)]
    let per = bytes as f64 / postings.max(1) as f64;
    let _ = writeln!(report, "disk: {bytes} bytes = {per:.0} bytes/posting");
    Ok(Some(per))
}

/// Writes the run's rows again by plain SQL at the same durability; returns the time taken.
fn raw_baseline(target: &Target, args: &BenchArgs, shape: Shape) -> CliResult<Duration> {
    match target {
        Target::Sqlite(_) => {
            let raw_path = args.dir.join("raw.db");
            remove_db(&raw_path);
            let load = RawLoad {
                accounts: shape.accounts,
                charges: shape.charges,
                postings_per_charge: shape.postings_per_charge,
                charges_per_commit: shape.charges_per_commit,
            };
            raw_bench::run(&raw_path, load).map_err(store_err)
        }
        Target::Postgres { url, .. } => {
            let load = coffer_store_postgres::raw_bench::RawLoad {
                accounts: shape.accounts,
                charges: shape.charges,
                postings_per_charge: shape.postings_per_charge,
                charges_per_commit: shape.charges_per_commit,
                connections: shape.connections,
            };
            coffer_store_postgres::raw_bench::run(url, load).map_err(store_err)
        }
    }
}

fn store_err(e: coffer_store::StoreError) -> CliError {
    CliError::internal(format!("raw baseline: {e}"))
}

/// Removes a database and its WAL files left by an earlier run.
fn remove_db(file: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = file.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// p99 of reading the first statement page (100 lines) of 200 accounts of the run.
fn statement_page_p99(app: &App, args: &BenchArgs) -> CliResult<f64> {
    let mut samples = Vec::new();
    for k in 0..200_u64 {
        let idx = if args.hot_account { 0 } else { (k * 7919) % args.accounts.max(1) as u64 };
        let account = AccountId(i64::try_from(idx).unwrap_or(0) + 1);
        let page = PageQuery { from: None, until: None, after: None, limit: 100 };
        let t = Instant::now();
        app.read(|r| Ok(r.statement_lines(account, &page)?))?;
        samples.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    Ok(Latencies::new(samples).ms(0.99))
}

/// The command line that repeats this run.
fn reproduce(global: &Global, a: &BenchArgs) -> String {
    let mut cmd = String::from("coffer bench");
    if a.pg_temp {
        cmd.push_str(" --pg-temp");
    } else if global.database_url.is_some() {
        cmd.push_str(" --database-url \"$COFFER_DATABASE_URL\"");
    } else {
        let _ = write!(cmd, " --dir {}", a.dir.display());
    }
    let _ = write!(
        cmd,
        " --accounts {} --charges {} --concurrency {} --seed {}",
        a.accounts, a.charges, a.concurrency, a.seed
    );
    if a.mode == Mode::Http {
        cmd.push_str(" --mode http");
    }
    if a.group_commit {
        let _ = write!(cmd, " --group-commit --batch {} --batch-wait-ms {}", a.batch, a.batch_wait_ms);
    }
    if a.hot_account {
        cmd.push_str(" --hot-account");
    }
    if let Some(rate) = a.rate {
        let _ = write!(cmd, " --rate {rate}");
    }
    if a.no_raw {
        cmd.push_str(" --no-raw");
    }
    cmd
}
