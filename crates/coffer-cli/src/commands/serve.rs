//! `coffer serve`: the HTTP API on the embedded SQLite store, or on PostgreSQL with
//! `--database-url` (several servers may share one database).
//!
//! With `--demo`, an empty database is first filled with the demo data and demo
//! logins, which are printed. With `COFFER_BOOTSTRAP_TOKEN` set and no operator yet,
//! that value becomes the first operator's API token.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use coffer_app::demo;
use coffer_core::ids::AccountId;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store::auth::Role;
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::Out;

pub const BOOTSTRAP_ENV: &str = "COFFER_BOOTSTRAP_TOKEN";

/// Starts the job scheduler (docs/JOBS.md) on its own thread: expiry, the recharge
/// sweeper, the cloud outbox, monthly bills, arrears, notifications, webhooks and
/// e-mail, each under a lease so that of several servers on one database one runs it.
/// Every run is in the run log (`coffer jobs list`); failures are logged here too.
fn start_jobs(ctx: &Ctx, app: coffer_app::App) -> CliResult<coffer_app::jobs::scheduler::Scheduler> {
    use coffer_app::jobs::{scheduler, RunResult};
    use coffer_store::jobs::RunOutcome;
    let jobs = super::jobs::jobs(ctx, app);
    let holder = scheduler::holder_name("serve");
    let on_run: scheduler::OnRun = Box::new(|job, result| match result {
        Ok(RunResult::Ran { outcome: RunOutcome::Succeeded, report, .. }) if report.items > 0 => {
            tracing::info!(job = job.as_str(), items = report.items, detail = %report.detail, "job ran");
        }
        Ok(RunResult::Ran { outcome, error, .. }) if *outcome != RunOutcome::Succeeded => {
            tracing::warn!(job = job.as_str(), outcome = outcome.as_str(), error = ?error, "job run failed");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(job = job.as_str(), error = %e, "job could not run"),
    });
    scheduler::Scheduler::start(jobs, holder, on_run)
        .map_err(|e| CliError::internal(format!("cannot start the job scheduler: {e}")))
}

/// Where notification e-mail goes, for the banner.
fn mail_text(config: &crate::config::Config) -> String {
    match &config.email.sender {
        crate::config::EmailSender::File { dir } => format!("e-mail written to {}/", dir.display()),
        crate::config::EmailSender::Smtp { host, port, .. } => format!("e-mail sent through {host}:{port}"),
    }
}

/// The app with its Alipay rail: the local sandbox under `--demo`, else the
/// environment's configuration (see `commands::alipay`), else none.
fn with_alipay(
    ctx: &Ctx,
    base: &str,
    demo: bool,
) -> CliResult<(coffer_app::App, Option<coffer_alipay_sandbox::Sandbox>)> {
    let (rail, sandbox) = match super::alipay::rail_from_env()? {
        Some(rail) => (Some(rail), None),
        None if demo => {
            let (rail, sandbox) = super::alipay::demo_rail(base);
            (Some(rail), Some(sandbox))
        }
        None => (None, None),
    };
    let mut config = (*ctx.app.config).clone();
    config.alipay = rail;
    if demo {
        // The demo's cloud workspaces report usage to the local marketplace simulator.
        config.marketplaces = coffer_marketplace::demo::marketplaces(&format!("{base}/marketplace-sim"));
    }
    let app = coffer_app::App { config: std::sync::Arc::new(config), ..ctx.app.clone() };
    Ok((app, sandbox))
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port) [default: the
    /// configuration's server.listen, else 127.0.0.1:8080].
    #[arg(long, env = "COFFER_LISTEN")]
    pub listen: Option<String>,
    /// Fill an empty database with demo data and demo logins first.
    #[arg(long)]
    pub demo: bool,
    /// Mark session cookies Secure (set when serving behind TLS; or server.secure_cookies).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Settle charges through the group committer: concurrent charges share one
    /// durable transaction (one fsync per batch instead of per charge).
    #[arg(long)]
    pub group_commit: bool,
}

/// The demo's logins: (login, password, role, account index).
const DEMO_LOGINS: [(&str, &str, Role, usize); 3] = [
    ("operator", "coffer-demo-operator", Role::Operator, 0),
    ("owner@acme.example", "coffer-demo-owner", Role::Owner, 0),
    ("finance@globex.example", "coffer-demo-finance", Role::Finance, 1),
];

fn demo_setup(ctx: &Ctx) -> CliResult<String> {
    if !ctx.app.accounts()?.is_empty() {
        return Ok("Database already has data; demo data not added.\n".to_owned());
    }
    let report = demo::build(&ctx.app)?;
    let mut text = format!(
        "Demo data: {} accounts, {} charges.\nDemo logins (demo only):\n",
        report.accounts.len(),
        report.charges
    );
    for (login, password, role, idx) in DEMO_LOGINS {
        let account = role.is_member().then(|| report.accounts.get(idx).map(|a| a.0)).flatten();
        ctx.auth.create_user(login, password, role, account)?;
        let whose = account.map(|a: AccountId| format!(" of account {a}")).unwrap_or_default();
        text.push_str(&format!("  {login} / {password}  ({}{whose})\n", role.as_str()));
    }
    let (token, _) = ctx.auth.create_token("demo metering", Role::Metering, None)?;
    text.push_str(&format!("  metering API token: {token}\n"));
    Ok(text)
}

/// `/metrics` with the configured token, else for loopback peers only.
fn metrics_access(config: &crate::config::MetricsConfig) -> coffer_http::observe::MetricsAccess {
    match &config.token {
        Some(token) => coffer_http::observe::MetricsAccess::token(token),
        None => coffer_http::observe::MetricsAccess::LoopbackOnly,
    }
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> CliResult<Out> {
    crate::logging::init(&ctx.config.log);
    // Flags win over the configuration file and its environment overrides.
    let listen = args.listen.clone().unwrap_or_else(|| ctx.config.server.listen.to_string());
    let secure_cookies = args.secure_cookies || ctx.config.server.secure_cookies;
    let group_commit = args.group_commit || ctx.config.server.group_commit;
    let mut banner = String::new();
    if let Ok(token) = std::env::var(BOOTSTRAP_ENV) {
        if ctx.auth.bootstrap_operator(token.trim())? {
            banner.push_str(&format!("{BOOTSTRAP_ENV} is now the first operator's API token.\n"));
        }
    }
    // The demo's logins come after the bootstrap token: an explicit token wins.
    if args.demo {
        banner.push_str(&demo_setup(ctx)?);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let (listener, addr) = coffer_http::server::bind(&listen)
            .await
            .map_err(|e| CliError::internal(format!("cannot listen on {listen}: {e}")))?;
        let base = format!("http://{addr}");
        let (app, sandbox) = with_alipay(ctx, &base, args.demo)?;
        let app = match group_commit {
            true => app.with_group_commit(coffer_app::group_commit::GroupConfig::default()),
            false => app,
        };
        let state =
            AppState { app: app.clone(), auth: ctx.auth.clone(), cookies: CookiePolicy { secure: secure_cookies } };
        // The Billing Center UI (`/`, `/login`, `/accounts/...`, `/console/...`) beside
        // the API, and `/metrics`; all three observed (request ids, access log, metrics).
        let store = app.store.clone();
        let sample = move || coffer_app::metrics::sample_store(&*store);
        let metrics = coffer_http::observe::metrics_router(metrics_access(&ctx.config.metrics), sample);
        let web = coffer_http::observe::layer(coffer_web::router(state.clone()));
        let mut router = coffer_http::router(state).merge(web).merge(coffer_http::observe::layer(metrics));
        if let Some(sandbox) = sandbox {
            tokio::spawn(sandbox.clone().run_notifier(Duration::from_millis(500)));
            router = router.nest("/alipay-sandbox", coffer_alipay_sandbox::router(sandbox));
            banner.push_str(&format!("  Alipay sandbox: {base}/alipay-sandbox (recharges pay there)\n"));
        }
        if args.demo {
            let sim = coffer_marketplace::MarketplaceSim::new();
            router = router.nest("/marketplace-sim", coffer_marketplace::router(sim));
            banner.push_str(&format!("  Cloud marketplace simulator: {base}/marketplace-sim\n"));
        }
        let scheduler = start_jobs(ctx, app)?;
        banner.push_str(&format!("  Background jobs: running (coffer jobs list); {}\n", mail_text(&ctx.config)));
        banner.push_str(&format!(
            "Coffer is serving {} on {base}\n  API docs: {base}/docs\n  OpenAPI:  {base}/openapi.json\n",
            ctx.db.describe()
        ));
        let scrapers = if ctx.config.metrics.token.is_some() { "with the metrics token" } else { "loopback only" };
        banner.push_str(&format!("  Metrics:  {base}/metrics ({scrapers})\n"));
        banner.insert_str(0, &format!("Billing Center: {base}/\n"));
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(banner.as_bytes());
        let _ = stdout.flush();
        drop(stdout);
        // The peer address lets /metrics tell loopback scrapers from others.
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(coffer_http::server::shutdown_signal())
            .await
            .map_err(|e| CliError::internal(format!("server error: {e}")));
        // The run in progress finishes (it is idempotent either way) before the process ends.
        scheduler.stop();
        served
    })?;
    Ok(Out::new(json!({"stopped": true}), "Coffer stopped.\n"))
}
