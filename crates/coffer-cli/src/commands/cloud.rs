//! `coffer cloud`: the cloud marketplace outbox — deliver due usage records, list
//! them, see a charge's delivery, record a cancelled subscription.

use clap::Subcommand;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_store::rails::OutboxItem;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{money, Out};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Deliver due usage records once, to the marketplace endpoints at `--marketplace-url`
    /// (for example a running `coffer serve --demo`'s simulator at <url>/marketplace-sim).
    Deliver {
        #[arg(long, env = "COFFER_MARKETPLACE_URL")]
        marketplace_url: String,
    },
    /// List outbox items, newest first.
    Outbox {
        /// pending, delivered or rejected.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The delivery state of one charge's cloud part.
    Charge {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        charge: i64,
    },
    /// A provider reported a subscription cancelled: move its workspaces to billing-center settlement.
    CancelSubscription {
        #[arg(long, value_name = "aliyun|aws|huawei|azure")]
        provider: String,
        #[arg(long)]
        cloud_account_id: String,
    },
}

fn item_json(i: &OutboxItem) -> Value {
    let x = &i.item;
    json!({"outbox_id": i.id, "account_id": x.account_id.0, "charge_id": x.charge_id.0, "provider": x.provider.as_str(),
        "cloud_account_id": x.cloud_account_id, "usage_record_id": x.usage_record_id, "amount_minor": x.amount_minor,
        "currency": x.currency.code(), "state": i.state.as_str(), "attempts": i.attempts,
        "next_attempt_at_ms": i.next_attempt_at.0, "last_error": i.last_error})
}

fn items(list: &[OutboxItem]) -> Out {
    let mut text = String::new();
    for i in list {
        let x = &i.item;
        text.push_str(&format!(
            "{:>5}  {:<28} {:<7} {:>14}  {:<9} attempts {}{}\n",
            i.id,
            x.usage_record_id,
            x.provider.as_str(),
            money(x.amount_minor, x.currency),
            i.state.as_str(),
            i.attempts,
            i.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    }
    Out::new(Value::Array(list.iter().map(item_json).collect()), text)
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Deliver { marketplace_url } => {
            let mut config = (*ctx.app.config).clone();
            config.marketplaces = coffer_marketplace::demo::marketplaces(&marketplace_url);
            let app = coffer_app::App { config: std::sync::Arc::new(config), ..ctx.app.clone() };
            let r = app.deliver_outbox()?;
            let text = format!(
                "attempted {}, delivered {}, retried {}, rejected {}, deferred {}\n",
                r.attempted, r.delivered, r.retried, r.rejected, r.deferred
            );
            let j = json!({"attempted": r.attempted, "delivered": r.delivered, "retried": r.retried,
                "rejected": r.rejected, "deferred": r.deferred});
            Ok(Out::new(j, text))
        }
        Cmd::Outbox { state, limit } => Ok(items(&ctx.app.outbox(state.as_deref(), limit)?)),
        Cmd::Charge { account, charge } => Ok(items(&ctx.app.outbox_for_charge(AccountId(account), ChargeId(charge))?)),
        Cmd::CancelSubscription { provider, cloud_account_id } => {
            let moved = ctx.app.cancel_cloud_subscription(&provider, &cloud_account_id)?;
            let ids: Vec<String> = moved.iter().map(|w| w.id.to_string()).collect();
            let text = format!("{} workspaces moved to billing-center settlement: {}\n", ids.len(), ids.join(", "));
            Ok(Out::new(json!({"moved": ids}), text))
        }
    }
}
