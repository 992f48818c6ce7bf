//! `coffer webhook`: an account's webhook endpoints (docs/WEBHOOKS.md) — add one (its
//! signing secret is printed once), list, delete, and the delivery log of webhooks
//! and e-mail.

use clap::Subcommand;
use coffer_core::ids::AccountId;
use coffer_store::webhooks::{Delivery, WebhookEndpoint};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{ts_json, Out};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Add an endpoint; prints its signing secret, which is not shown again.
    Create {
        #[arg(long)]
        account: i64,
        /// Where events are POSTed (http:// or https://).
        #[arg(long)]
        url: String,
        /// Deliver only this event kind (repeat for several; none: every kind).
        #[arg(long = "kind")]
        kinds: Vec<String>,
    },
    /// The account's endpoints (secrets are not shown).
    List {
        #[arg(long)]
        account: i64,
    },
    /// Delete an endpoint; its pending deliveries fail.
    Delete {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        id: i64,
    },
    /// Pause deliveries to an endpoint (events are not queued for it meanwhile).
    Disable {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        id: i64,
    },
    /// Resume deliveries to a paused endpoint.
    Enable {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        id: i64,
    },
    /// The delivery log, newest first.
    Deliveries {
        #[arg(long)]
        account: i64,
        /// webhook or email (default: both).
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

fn endpoint_json(e: &WebhookEndpoint) -> Value {
    json!({"id": e.id, "account_id": e.endpoint.account_id.0, "url": e.endpoint.url, "kinds": e.endpoint.kinds,
        "enabled": e.enabled, "created_at": ts_json(e.endpoint.created_at)})
}

fn endpoint_line(e: &WebhookEndpoint) -> String {
    let kinds = if e.endpoint.kinds.is_empty() { "every kind".to_owned() } else { e.endpoint.kinds.join(",") };
    let state = if e.enabled { "enabled" } else { "disabled" };
    format!("{:>5}  {}  {state}  {kinds}\n", e.id, e.endpoint.url)
}

fn delivery_json(d: &Delivery) -> Value {
    let n = &d.delivery;
    json!({"id": d.id, "event_id": n.event_id, "channel": n.channel.as_str(), "endpoint_id": n.endpoint_id,
        "target": n.target, "state": d.state.as_str(), "attempts": d.attempts, "last_status": d.last_status,
        "last_error": d.last_error, "next_attempt_at": ts_json(d.next_attempt_at),
        "delivered_at": d.delivered_at.map(ts_json)})
}

fn delivery_line(d: &Delivery) -> String {
    let n = &d.delivery;
    let status = d.last_status.map_or("-".to_owned(), |s| s.to_string());
    format!(
        "{:>6}  event {:<6} {:<7} {:<9} attempts {:<2} status {status:<4} {}  {}\n",
        d.id,
        n.event_id,
        n.channel.as_str(),
        d.state.as_str(),
        d.attempts,
        n.target,
        d.last_error.as_deref().unwrap_or("")
    )
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    let app = &ctx.app;
    match cmd {
        Cmd::Create { account, url, kinds } => {
            let req = coffer_app::use_cases::webhooks::CreateWebhook {
                account_id: AccountId(account),
                url: &url,
                kinds: &kinds,
            };
            let created = app.create_webhook(&req)?;
            let mut json = endpoint_json(&created.endpoint);
            json["secret"] = Value::String(created.secret.clone());
            let text = format!(
                "{}Signing secret (shown once; keep it to verify deliveries):\n  {}\n",
                endpoint_line(&created.endpoint),
                created.secret
            );
            Ok(Out::new(json, text))
        }
        Cmd::List { account } => {
            let list = app.webhooks(AccountId(account))?;
            let text: String = list.iter().map(endpoint_line).collect();
            Ok(Out::new(Value::Array(list.iter().map(endpoint_json).collect()), text))
        }
        Cmd::Delete { account, id } => {
            app.delete_webhook(AccountId(account), id)?;
            Ok(Out::new(json!({"deleted": id}), format!("Webhook endpoint {id} deleted.\n")))
        }
        Cmd::Disable { account, id } => {
            let e = app.set_webhook_enabled(AccountId(account), id, false)?;
            Ok(Out::new(endpoint_json(&e), endpoint_line(&e)))
        }
        Cmd::Enable { account, id } => {
            let e = app.set_webhook_enabled(AccountId(account), id, true)?;
            Ok(Out::new(endpoint_json(&e), endpoint_line(&e)))
        }
        Cmd::Deliveries { account, channel, limit } => {
            let list = app.notification_deliveries(AccountId(account), channel.as_deref(), limit)?;
            let text: String = list.iter().map(delivery_line).collect();
            Ok(Out::new(Value::Array(list.iter().map(delivery_json).collect()), text))
        }
    }
}
