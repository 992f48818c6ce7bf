//! `coffer events --account ID [--after N] [--limit N]`: an account's event feed
//! (docs/EVENTS.md), oldest first, from the sequence number after `--after`.

use clap::Args;
use coffer_core::event::Event;
use coffer_core::ids::AccountId;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{self, Out};
use crate::table::Table;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// Show events with a sequence number above this (0: from the start).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub after: i64,
    /// At most this many events (1..=1000).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

pub fn event_json(e: &Event) -> Value {
    let n = &e.event;
    json!({
        "id": e.id,
        "seq": e.seq,
        "account_id": n.account_id.0,
        "kind": n.kind.as_str(),
        "workspace_id": n.workspace_id.as_ref().map(|w| w.to_string()),
        "subject_id": n.subject_id,
        "amount_minor": n.amount.map(|a| a.minor),
        "currency": n.amount.map(|a| a.currency.code()),
        "until": n.until.map(output::ts_json),
        "occurred_at": output::ts_json(n.occurred_at),
    })
}

fn about(e: &Event) -> String {
    let n = &e.event;
    let mut parts = Vec::new();
    if let Some(ws) = &n.workspace_id {
        parts.push(format!("workspace {ws}"));
    }
    if let Some(subject) = &n.subject_id {
        parts.push(subject.clone());
    }
    if let Some(amount) = n.amount {
        parts.push(output::money(amount.minor, amount.currency));
    }
    if let Some(until) = n.until {
        parts.push(format!("until {}", output::ts_json(until).as_str().unwrap_or("-")));
    }
    parts.join(", ")
}

pub fn run(ctx: &Ctx, args: EventsArgs) -> CliResult<Out> {
    let page = ctx.app.account_events(AccountId(args.account), args.after, args.limit)?;
    let mut t = Table::new(&["seq", "occurred at (UTC)", "kind", "about"]);
    for e in &page.events {
        let at = output::ts_json(e.event.occurred_at).as_str().unwrap_or("-").to_owned();
        t.row(vec![e.seq.to_string(), at, e.event.kind.as_str().to_owned(), about(e)]);
    }
    let text = if t.is_empty() {
        format!("No events of account {} after {}.\n", args.account, args.after)
    } else {
        format!("{}Next: --after {}\n", t.render(0), page.next_after)
    };
    let json = json!({
        "events": page.events.iter().map(event_json).collect::<Vec<_>>(),
        "next_after": page.next_after,
    });
    Ok(Out::new(json, text))
}
