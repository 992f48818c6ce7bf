//! `coffer bench --fill-raw CHARGES`: a big database in minutes instead of hours.
//! The rows of CHARGES charges (3 postings each, one on the customer's cash book)
//! are written by the raw-storage path (plain SQL, real schema, big transactions),
//! then statement pages are read through the store the way the API reads them. The
//! hash chains of raw rows are not real, so `verify` is not run on this database.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use coffer_app::clock::ManualClock;
use coffer_app::{App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_store::records::PageQuery;
use coffer_store_sqlite::raw_bench::{self, RawLoad};
use serde_json::json;

use super::measure::{self, Latencies};
use super::{remove_db, store_err, BENCH_NOW};
use crate::error::{CliError, CliResult};
use crate::output::Out;

/// Accounts the rows are spread over: about 10,000 postings each at 10 million.
const ACCOUNTS: u64 = 1_000;
/// Accounts whose statements are read, and pages read of each.
const SAMPLED_ACCOUNTS: u64 = 100;
const PAGES_EACH: usize = 10;

pub fn run(dir: &Path, charges: u64) -> CliResult<Out> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::internal(format!("{}: {e}", dir.display())))?;
    let file = dir.join("big.db");
    let t = Instant::now();
    // `--fill-raw 0` measures the database an earlier fill left, without refilling it.
    if charges > 0 {
        remove_db(&file);
        let load = RawLoad { accounts: ACCOUNTS, charges, postings_per_charge: 3, charges_per_commit: 10_000 };
        raw_bench::run(&file, load).map_err(store_err)?;
    }
    let fill_s = t.elapsed().as_secs_f64();
    raw_bench::checkpoint(&file).map_err(store_err)?;
    let postings = raw_bench::postings(&file).map_err(store_err)?;
    let bytes = measure::sqlite_bytes(&file);
    let store = coffer_store_sqlite::SqliteStore::open(&file)
        .map_err(|e| CliError::internal(format!("cannot open {}: {e}", file.display())))?;
    let app = App::new(Arc::new(store), AppConfig::with_code_key(vec![7; 32]), Arc::new(ManualClock::new(BENCH_NOW)));
    let lat = Latencies::new(page_samples(&app)?);
    let mut report = String::new();
    let _ = writeln!(
        report,
        "raw fill: {charges} charges (0: reused), {postings} postings over {ACCOUNTS} accounts in {fill_s:.1} s"
    );
    #[allow(clippy::cast_precision_loss)]
    let per = bytes as f64 / postings.max(1) as f64;
    let _ =
        writeln!(report, "disk: {bytes} bytes = {per:.0} bytes/posting (raw rows: no memo variety, no deductions mix)");
    let _ = writeln!(
        report,
        "statement pages of 100 ({SAMPLED_ACCOUNTS} accounts x {PAGES_EACH} consecutive pages): p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        lat.ms(0.5),
        lat.ms(0.99),
        lat.ms(1.0)
    );
    let rss = measure::peak_rss_mb().unwrap_or(0.0);
    let _ = writeln!(report, "peak RSS: {rss:.0} MB");
    let _ = writeln!(report, "reproduce: coffer bench --dir {} --fill-raw {charges}", dir.display());
    let json = json!({"postings": postings, "bytes_per_posting": per, "statement_page_p50_ms": lat.ms(0.5),
        "statement_page_p99_ms": lat.ms(0.99), "peak_rss_mb": rss});
    Ok(Out::new(json, report))
}

/// Reads consecutive statement pages (following the cursor) of spread-out accounts.
fn page_samples(app: &App) -> CliResult<Vec<u32>> {
    let mut samples = Vec::new();
    for k in 0..SAMPLED_ACCOUNTS {
        let account = AccountId(i64::try_from((k * 7919) % ACCOUNTS).unwrap_or(0) + 1);
        let mut page = PageQuery { from: None, until: None, after: None, limit: 100 };
        for _ in 0..PAGES_EACH {
            let t = Instant::now();
            let lines = app.read(|r| Ok(r.statement_lines(account, &page)?))?;
            samples.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            match lines.last() {
                Some(last) => page.after = Some(last.line_id),
                None => break,
            }
        }
    }
    Ok(samples)
}
