//! `coffer adjustment`: large cash adjustments awaiting a second operator — list
//! them, approve one (not by its requester), reject one with a reason.

use clap::Subcommand;
use coffer_store::adjustments::AdjustmentRequest;
use serde_json::{json, Value};

use crate::commands::bank::Operator;
use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{money, Out};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List requests, newest first.
    List {
        /// pending, applied or rejected.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Apply a pending request (not by the operator who requested it).
    Approve {
        #[arg(long)]
        request: i64,
        #[command(flatten)]
        who: Operator,
    },
    /// Reject a pending request; nothing moves.
    Reject {
        #[arg(long)]
        request: i64,
        /// Why (required; recorded with the request).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Operator,
    },
}

fn request_json(r: &AdjustmentRequest) -> Value {
    let n = &r.request;
    json!({"request_id": r.id, "account_id": n.account_id.0, "amount_minor": n.amount_minor,
        "currency": n.currency.code(), "reason": n.reason, "requested_by": n.requested_by, "state": r.state.as_str(),
        "decided_by": r.decided_by, "rejection_reason": r.rejection_reason,
        "journal_tx_id": r.journal_tx_id.map(|j| j.0)})
}

fn line(r: &AdjustmentRequest) -> String {
    let n = &r.request;
    format!(
        "{:>5}  account {:<5} {:>14}  {:<8} by {:<12} {}\n",
        r.id,
        n.account_id,
        money(n.amount_minor, n.currency),
        r.state.as_str(),
        n.requested_by,
        n.reason
    )
}

fn one(r: &AdjustmentRequest) -> Out {
    Out::new(request_json(r), line(r))
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    let app = &ctx.app;
    match cmd {
        Cmd::List { state, limit } => {
            let list = app.adjustment_requests(state.as_deref(), limit)?;
            let text: String = list.iter().map(line).collect();
            Ok(Out::new(Value::Array(list.iter().map(request_json).collect()), text))
        }
        Cmd::Approve { request, who } => Ok(one(&app.approve_adjustment(request, &who.operator)?)),
        Cmd::Reject { request, reason, who } => Ok(one(&app.reject_adjustment(request, &who.operator, &reason)?)),
    }
}
