//! The Alipay rail from the command line: verifying a notification by hand, running
//! the local sandbox on its own, and building the rail `coffer serve` uses.
//!
//! Configuration (all optional; without an app id online recharge is off):
//! `COFFER_ALIPAY_APP_ID`, `COFFER_ALIPAY_SELLER_ID`, `COFFER_ALIPAY_GATEWAY`
//! (default: Alipay's production gateway), `COFFER_ALIPAY_APP_PRIVATE_KEY` or
//! `COFFER_ALIPAY_APP_PRIVATE_KEY_FILE`, `COFFER_ALIPAY_PUBLIC_KEY` or
//! `COFFER_ALIPAY_PUBLIC_KEY_FILE`, and `COFFER_PUBLIC_URL` (where Alipay reaches
//! this server, for notify_url and return_url).

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use coffer_alipay::{Client, MerchantConfig, PrivateKey, PublicKey, PRODUCTION_GATEWAY};
use coffer_alipay_sandbox::{demo, Sandbox};
use coffer_app::AlipayRail;
use serde_json::json;

use crate::error::{exit, CliError, CliResult};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum AlipayCmd {
    /// Read a form-encoded notification on stdin; exit 0 if its RSA2 signature
    /// verifies under the trade-notification rule, 1 if not.
    VerifyNotify(VerifyNotifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyNotifyArgs {
    /// Alipay's public key: PEM or bare base64 (SubjectPublicKeyInfo).
    #[arg(long, value_name = "FILE")]
    pub alipay_public_key: PathBuf,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// The URL the sandbox is reachable at (for its QR codes and links); default
    /// http://<listen>.
    #[arg(long)]
    pub base_url: Option<String>,
}

fn read_file(path: &PathBuf) -> CliResult<String> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::invalid("alipay_public_key", format!("{}: {e}", path.display())))
}

pub fn run(cmd: AlipayCmd) -> CliResult<Out> {
    let AlipayCmd::VerifyNotify(args) = cmd;
    let key = PublicKey::parse(&read_file(&args.alipay_public_key)?)
        .map_err(|e| CliError::invalid("alipay_public_key", e.to_string()))?;
    let mut body = String::new();
    std::io::stdin().read_to_string(&mut body).map_err(|e| CliError::internal(format!("reading stdin: {e}")))?;
    match coffer_alipay::verify_notification_form(body.trim_end_matches(['\r', '\n']), &key) {
        Ok(n) => {
            let text = format!(
                "verified: {} {} {} ({} fen)\n",
                n.out_trade_no,
                n.trade_no,
                n.trade_status.as_str(),
                n.total_amount_minor
            );
            let out = json!({"verified": true, "out_trade_no": n.out_trade_no, "trade_no": n.trade_no,
                "trade_status": n.trade_status.as_str(), "total_amount_minor": n.total_amount_minor});
            Ok(Out::new(out, text))
        }
        Err(e) => {
            let mut out = Out::new(json!({"verified": false, "reason": e.to_string()}), format!("NOT verified: {e}\n"));
            out.status = exit::PROBLEMS;
            Ok(out)
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A key from `NAME` or from the file named by `NAME_FILE`.
fn key_text(name: &str) -> CliResult<String> {
    if let Some(text) = env(name) {
        return Ok(text);
    }
    let file_var = format!("{name}_FILE");
    let path = env(&file_var).ok_or_else(|| CliError::invalid("alipay", format!("set {name} or {file_var}")))?;
    std::fs::read_to_string(&path).map_err(|e| CliError::invalid("alipay", format!("{file_var} {path}: {e}")))
}

/// The production rail from the environment, or `None` when no app id is set.
pub fn rail_from_env() -> CliResult<Option<AlipayRail>> {
    let Some(app_id) = env("COFFER_ALIPAY_APP_ID") else { return Ok(None) };
    let bad = |what: &str, e: &dyn std::fmt::Display| CliError::invalid("alipay", format!("{what}: {e}"));
    let public_url = env("COFFER_PUBLIC_URL").ok_or_else(|| bad("COFFER_PUBLIC_URL", &"is required with Alipay"))?;
    let public_url = public_url.trim_end_matches('/');
    let config = MerchantConfig {
        app_id,
        seller_id: env("COFFER_ALIPAY_SELLER_ID").ok_or_else(|| bad("COFFER_ALIPAY_SELLER_ID", &"is required"))?,
        gateway_url: env("COFFER_ALIPAY_GATEWAY").unwrap_or_else(|| PRODUCTION_GATEWAY.to_owned()),
        notify_url: format!("{public_url}/v1/alipay/notify"),
        // The browser comes back to the Billing Center's result page.
        return_url: format!("{public_url}/recharge/return"),
        app_private_key: PrivateKey::parse(&key_text("COFFER_ALIPAY_APP_PRIVATE_KEY")?)
            .map_err(|e| bad("COFFER_ALIPAY_APP_PRIVATE_KEY", &e))?,
        alipay_public_key: PublicKey::parse(&key_text("COFFER_ALIPAY_PUBLIC_KEY")?)
            .map_err(|e| bad("COFFER_ALIPAY_PUBLIC_KEY", &e))?,
    };
    Ok(Some(AlipayRail::new(Client::new(config))))
}

/// The demo rail against a sandbox mounted at `<base>/alipay-sandbox` of this server.
pub fn demo_rail(base: &str) -> (AlipayRail, Sandbox) {
    let sandbox_base = format!("{base}/alipay-sandbox");
    let sandbox = Sandbox::new(demo::sandbox_config(&sandbox_base), coffer_alipay_sandbox::system_clock());
    let merchant =
        demo::merchant_config(&sandbox_base, &format!("{base}/v1/alipay/notify"), &format!("{base}/recharge/return"));
    (AlipayRail::new(Client::new(merchant)), sandbox)
}

/// `coffer alipay-sandbox`: the local Alipay on its own, with the demo keys.
pub fn run_sandbox(args: SandboxArgs) -> CliResult<Out> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let (listener, addr) = coffer_http::server::bind(&args.listen)
            .await
            .map_err(|e| CliError::internal(format!("cannot listen on {}: {e}", args.listen)))?;
        let base = args.base_url.unwrap_or_else(|| format!("http://{addr}"));
        let sandbox = Sandbox::new(demo::sandbox_config(&base), coffer_alipay_sandbox::system_clock());
        tokio::spawn(sandbox.clone().run_notifier(std::time::Duration::from_millis(500)));
        println!("Alipay sandbox on http://{addr} (gateway: {base}/gateway.do, app id {})", demo::APP_ID);
        let router = coffer_alipay_sandbox::router(sandbox);
        axum::serve(listener, router)
            .with_graceful_shutdown(coffer_http::server::shutdown_signal())
            .await
            .map_err(|e| CliError::internal(format!("server error: {e}")))
    })?;
    Ok(Out::new(json!({"stopped": true}), "Sandbox stopped.\n"))
}
