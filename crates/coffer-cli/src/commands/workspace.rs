//! `coffer workspace ...`: bind, unbind, change settlement, list.

use clap::{Args, Subcommand};
use coffer_app::use_cases::workspaces::{BindWorkspace, ChangeSettlement};
use coffer_core::ids::AccountId;
use coffer_core::workspace::{ChangeAuthority, Workspace};
use serde_json::json;

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{self, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Bind a workspace to a billing account.
    Bind(BindArgs),
    /// Unbind a workspace (refused while a cloud subscription is active).
    Unbind {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// Change a workspace's settlement method (once per calendar month for customers).
    Settlement(SettlementArgs),
    /// A workspace's arrears state (normal, grace or locked), as the platform reads it.
    State {
        /// The workspace id.
        workspace: String,
    },
    /// The workspaces bound to an account.
    List {
        /// The billing account id.
        #[arg(long)]
        account: i64,
    },
}

#[derive(Debug, Args)]
pub struct SettlementMethod {
    /// billing_center or cloud.
    #[arg(long, value_name = "billing_center|cloud")]
    pub settlement: String,
    /// For cloud: aliyun, aws, huawei or azure.
    #[arg(long)]
    pub cloud_provider: Option<String>,
    /// For cloud: the marketplace account id.
    #[arg(long)]
    pub cloud_account_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct BindArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// The workspace id.
    #[arg(long)]
    pub workspace: String,
    #[command(flatten)]
    pub method: SettlementMethod,
}

#[derive(Debug, Args)]
pub struct SettlementArgs {
    /// The workspace id.
    #[arg(long)]
    pub workspace: String,
    #[command(flatten)]
    pub method: SettlementMethod,
    /// Operator override: ignores the monthly limit and the cloud lock-in.
    #[arg(long)]
    pub operator_override: bool,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Bind(a) => {
            let ws = ctx.app.bind_workspace(&BindWorkspace {
                account_id: AccountId(a.account),
                workspace_id: &a.workspace,
                settlement: &a.method.settlement,
                cloud_provider: a.method.cloud_provider.as_deref(),
                cloud_account_id: a.method.cloud_account_id.as_deref(),
            })?;
            Ok(one(&ws, format!("Workspace {} is bound to account {}", ws.id, ws.account_id)))
        }
        Cmd::Unbind { workspace } => {
            let ws = ctx.app.unbind_workspace(&workspace)?;
            Ok(one(&ws, format!("Workspace {} is no longer bound to account {}", ws.id, ws.account_id)))
        }
        Cmd::Settlement(a) => {
            let authority = if a.operator_override { ChangeAuthority::Operator } else { ChangeAuthority::Customer };
            let ws = ctx.app.change_settlement(&ChangeSettlement {
                workspace_id: &a.workspace,
                settlement: &a.method.settlement,
                cloud_provider: a.method.cloud_provider.as_deref(),
                cloud_account_id: a.method.cloud_account_id.as_deref(),
                authority,
            })?;
            Ok(one(&ws, format!("Workspace {} changed settlement", ws.id)))
        }
        Cmd::State { workspace } => Ok(state(ctx, &workspace)?),
        Cmd::List { account } => {
            let list = ctx.app.workspaces_of(AccountId(account))?;
            let mut t = Table::new(&["workspace", "settlement", "last customer change"]);
            for w in &list {
                let changed = w.settlement_changed_in.map_or("-".to_owned(), |m| m.to_string());
                t.row(vec![w.id.to_string(), output::settlement_text(w), changed]);
            }
            let text = if t.is_empty() { format!("No workspaces bound to account {account}.\n") } else { t.render(0) };
            let json = json!({ "workspaces": list.iter().map(output::workspace_json).collect::<Vec<_>>() });
            Ok(Out::new(json, text))
        }
    }
}

fn one(ws: &Workspace, headline: String) -> Out {
    let text = format!("{headline}: settlement {}.\n", output::settlement_text(ws));
    Out::new(output::workspace_json(ws), text)
}

fn state(ctx: &Ctx, workspace: &str) -> CliResult<Out> {
    let view = ctx.app.workspace_state(workspace)?;
    let mut text = format!("Workspace {} (account {}): {}", view.workspace_id, view.account_id, view.state.name());
    if let Some(at) = view.locked_at {
        text.push_str(&format!(", locked at {}", output::ts_json(at).as_str().unwrap_or("-")));
    } else if let Some(until) = view.grace_until {
        text.push_str(&format!(", locks at {} unless repaid", output::ts_json(until).as_str().unwrap_or("-")));
    }
    let json = json!({
        "workspace_id": view.workspace_id.to_string(),
        "account_id": view.account_id.0,
        "state": view.state.name(),
        "grace_until": view.grace_until.map(output::ts_json),
        "locked_at": view.locked_at.map(output::ts_json),
    });
    Ok(Out::new(json, text + ".\n"))
}
