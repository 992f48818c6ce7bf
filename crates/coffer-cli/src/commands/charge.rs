//! `coffer charge ...`: settle a bill line, preview its split, show, reverse.

use clap::{Args, Subcommand};
use coffer_app::input;
use coffer_app::use_cases::charges::SettleCharge;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::money::Currency;
use coffer_core::planner::{Deduction, Outcome};
use coffer_store::records::ChargeRecord;
use serde_json::{json, Value};

use crate::args::AmountArgs;
use crate::context::{zone_of, Ctx};
use crate::error::CliResult;
use crate::output::{self, instrument_id, instrument_text, money, ts_text, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Settle one bill line; the same bill again returns the original settlement.
    Settle(BillArgs),
    /// Show how a bill line would be paid now, instrument by instrument. Writes nothing.
    Preview(BillArgs),
    /// One settled charge.
    Show {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// The charge id.
        #[arg(long)]
        charge: i64,
    },
    /// Reverse a charge: each deduction goes back to its instrument (operator).
    Reverse {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// The charge id.
        #[arg(long)]
        charge: i64,
        /// Why (required; recorded with the entry).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct BillArgs {
    /// The workspace id.
    #[arg(long)]
    pub workspace: String,
    /// The platform's bill id, unique per workspace forever.
    #[arg(long)]
    pub bill_id: String,
    /// payg, sms or testing.
    #[arg(long, value_name = "payg|sms|testing")]
    pub category: String,
    #[command(flatten)]
    pub amount: AmountArgs,
    /// CNY or USD; must be the account's currency.
    #[arg(long)]
    pub currency: String,
    /// The usage day, YYYY-MM-DD in the account's time zone.
    #[arg(long, value_name = "DATE")]
    pub bill_date: String,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Settle(a) => settle(ctx, &a),
        Cmd::Preview(a) => preview(ctx, &a),
        Cmd::Show { account, charge } => {
            let c = ctx.app.charge(AccountId(account), ChargeId(charge))?;
            let state = if c.reversal.is_some() { "settled, later reversed" } else { "settled" };
            render(ctx, &c, format!("Charge {} ({state}).", c.id), false)
        }
        Cmd::Reverse { account, charge, reason } => {
            let c = ctx.app.reverse_charge(AccountId(account), ChargeId(charge), &reason)?;
            render(ctx, &c, format!("Charge {} reversed; each deduction went back to its instrument.", c.id), false)
        }
    }
}

fn request<'a>(a: &'a BillArgs, amount_minor: i64) -> SettleCharge<'a> {
    SettleCharge {
        workspace_id: &a.workspace,
        bill_id: &a.bill_id,
        category: &a.category,
        amount_minor,
        currency: &a.currency,
        bill_date: &a.bill_date,
    }
}

fn settle(ctx: &Ctx, a: &BillArgs) -> CliResult<Out> {
    let currency = input::currency("currency", &a.currency)?;
    let settled = ctx.app.settle_charge(&request(a, a.amount.minor(currency)?))?;
    let id = settled.charge.id;
    let headline = if settled.replayed {
        format!("Charge {id} was already settled for this bill; nothing moved now.")
    } else {
        format!("Charge {id} settled.")
    };
    render(ctx, &settled.charge, headline, settled.replayed)
}

fn deductions_table(deductions: &[Deduction], currency: Currency) -> String {
    let mut t = Table::new(&[">#", "class", "instrument", ">amount"]);
    for (i, d) in deductions.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            d.class.as_str().to_owned(),
            instrument_text(d.source),
            money(d.amount.minor(), currency),
        ]);
    }
    t.render(2)
}

fn render(ctx: &Ctx, c: &ChargeRecord, headline: String, replayed: bool) -> CliResult<Out> {
    let ch = &c.charge;
    let zone = zone_of(&ctx.account(ch.account_id.0)?)?;
    let mut text = format!(
        "{headline}\n  {} {} bill {} of workspace {} ({}), account {}, bill date {}\n  settled {} under deduction policy v{}\n",
        money(ch.amount.minor(), ch.currency),
        ch.category.as_str(),
        ch.bill_id,
        ch.workspace_id,
        ch.settlement.as_str(),
        ch.account_id,
        ch.bill_date,
        ts_text(ch.settled_at, &zone),
        ch.policy_version,
    );
    text.push_str("Deductions, in order:\n");
    text.push_str(&deductions_table(&ch.deductions, ch.currency));
    if let Some(r) = &c.reversal {
        text.push_str(&format!("Reversed {} (journal tx {}): {}\n", ts_text(r.at, &zone), r.journal_tx_id, r.reason));
    }
    Ok(Out::new(output::charge_json(c, replayed), text))
}

fn preview(ctx: &Ctx, a: &BillArgs) -> CliResult<Out> {
    let currency = input::currency("currency", &a.currency)?;
    let p = ctx.app.preview_charge(&request(a, a.amount.minor(currency)?))?;
    let plan = &p.plan;
    let mut t = Table::new(&["class", "instrument", ">balance before", "outcome"]);
    let mut considered = Vec::new();
    for c in &plan.considered {
        let (used, skipped) = match c.outcome {
            Outcome::Used(amount) => (Some(amount.minor()), None),
            Outcome::Skipped(reason) => (None, Some(reason.as_str())),
        };
        let outcome = match (used, skipped) {
            (Some(m), _) => format!("use {}", money(m, currency)),
            (None, Some(reason)) => format!("skip: {reason}"),
            (None, None) => String::new(),
        };
        t.row(vec![
            c.class.as_str().to_owned(),
            instrument_text(c.source),
            money(c.balance_before_minor, currency),
            outcome,
        ]);
        considered.push(json!({
            "class": c.class.as_str(),
            "instrument_id": instrument_id(c.source),
            "balance_before_minor": c.balance_before_minor,
            "used_minor": used,
            "skip_reason": skipped,
        }));
    }
    let json = json!({
        "account_id": p.account_id.0,
        "workspace_id": a.workspace,
        "settlement": p.settlement.kind().as_str(),
        "category": a.category,
        "amount_minor": plan.amount.minor(),
        "currency": currency.code(),
        "policy_version": plan.policy_version,
        "deductions": plan.deductions.iter().map(output::deduction_json).collect::<Vec<Value>>(),
        "considered": considered,
    });
    let text = format!(
        "Preview only, nothing was written: {} {} for workspace {} ({}), account {}, policy v{}\nInstruments considered:\n{}Would deduct, in order:\n{}",
        money(plan.amount.minor(), currency),
        a.category,
        a.workspace,
        p.settlement.kind().as_str(),
        p.account_id,
        plan.policy_version,
        t.render(2),
        deductions_table(&plan.deductions, currency),
    );
    Ok(Out::new(json, text))
}
