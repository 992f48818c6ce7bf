//! `coffer account ...`: create, show (overview), list, set-arrears-limit.

use clap::{Args, Subcommand};
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_core::ids::AccountId;
use coffer_store::records::AccountRecord;
use serde_json::json;

use crate::args::parse_minor;
use crate::context::{zone_of, Ctx};
use crate::error::CliResult;
use crate::output::{self, money, ts_text, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a billing account.
    Create(CreateArgs),
    /// An account's balances, workspaces and transfer reference.
    Show {
        /// The billing account id.
        id: i64,
    },
    /// Every billing account.
    List,
    /// Set the most an account may owe, or make it unlimited (operator).
    SetArrearsLimit(LimitArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// CNY or USD; fixed for the account's life.
    #[arg(long)]
    pub currency: String,
    /// IANA time zone defining the account's days and months [default: Asia/Shanghai].
    #[arg(long)]
    pub time_zone: Option<String>,
    /// The most the account may owe, in minor units [default: unlimited].
    #[arg(long, value_name = "INTEGER", allow_negative_numbers = true)]
    pub arrears_limit_minor: Option<String>,
    /// Retrying with the same key and input returns the original result.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// The billing account id.
    pub id: i64,
    #[command(flatten)]
    pub limit: LimitValue,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct LimitValue {
    /// The most the account may owe, in minor units.
    #[arg(long, value_name = "INTEGER", allow_negative_numbers = true)]
    pub limit_minor: Option<String>,
    /// No limit (the default for new accounts).
    #[arg(long)]
    pub unlimited: bool,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Create(a) => create(ctx, a),
        Cmd::Show { id } => show(ctx, id),
        Cmd::List => list(ctx),
        Cmd::SetArrearsLimit(a) => set_limit(ctx, a),
    }
}

fn create(ctx: &Ctx, a: CreateArgs) -> CliResult<Out> {
    let limit = a.arrears_limit_minor.as_deref().map(|t| parse_minor("arrears_limit_minor", t)).transpose()?;
    let record = ctx.app.create_account(&CreateAccount {
        name: &a.name,
        currency: &a.currency,
        time_zone: a.time_zone.as_deref(),
        arrears_limit_minor: limit,
        idempotency_key: a.idempotency_key.as_deref(),
    })?;
    let text = format!("Created billing account {}.\n{}", record.account.id, details(&record)?);
    Ok(Out::new(output::account_json(&record), text))
}

fn details(a: &AccountRecord) -> CliResult<String> {
    let acc = &a.account;
    let zone = zone_of(a)?;
    Ok(format!(
        "  name                {}\n  currency            {}\n  time zone           {}\n  transfer reference  {}\n  arrears limit       {}\n  created             {}\n",
        acc.name,
        acc.currency,
        acc.time_zone,
        acc.transfer_reference,
        output::arrears_limit_text(a),
        ts_text(a.created_at, &zone),
    ))
}

fn show(ctx: &Ctx, id: i64) -> CliResult<Out> {
    let o = ctx.app.account_overview(AccountId(id))?;
    let workspaces = ctx.app.workspaces_of(AccountId(id))?;
    let vouchers = ctx.app.vouchers(AccountId(id), Some("active"))?;
    let cards = ctx.app.cards(AccountId(id), Some("active"))?;
    let cur = o.account.account.currency;
    let json = json!({
        "account": output::account_json(&o.account),
        "currency": cur.code(),
        "cash_minor": o.cash_minor,
        "voucher_balance_minor": o.voucher_balance_minor,
        "card_balance_minor": o.card_balance_minor,
        "card_balance_shown_minor": o.card_balance_shown_minor(),
        "arrears_owed_minor": o.arrears_owed_minor,
        "active_vouchers": vouchers.len(),
        "active_cards": cards.len(),
        "workspaces": workspaces.iter().map(output::workspace_json).collect::<Vec<_>>(),
    });
    let mut text = format!("Billing account {}\n{}", id, details(&o.account)?);
    let card_note = if o.arrears_owed_minor > 0 { "  (in arrears: owed amount shown negative)" } else { "" };
    text.push_str(&format!(
        "Balances\n  cash                {}\n  vouchers            {}  ({} active)\n  prepaid cards       {}  ({} active){card_note}\n  arrears owed        {}\n",
        money(o.cash_minor, cur),
        money(o.voucher_balance_minor, cur),
        vouchers.len(),
        money(o.card_balance_shown_minor(), cur),
        cards.len(),
        money(o.arrears_owed_minor, cur),
    ));
    if workspaces.is_empty() {
        text.push_str("Workspaces: none bound\n");
    } else {
        let mut t = Table::new(&["workspace", "settlement"]);
        for w in &workspaces {
            t.row(vec![w.id.to_string(), output::settlement_text(w)]);
        }
        text.push_str("Workspaces\n");
        text.push_str(&t.render(2));
    }
    Ok(Out::new(json, text))
}

fn list(ctx: &Ctx) -> CliResult<Out> {
    let accounts = ctx.app.accounts()?;
    let mut t = Table::new(&[">id", "name", "currency", "time zone", "arrears limit", "transfer ref"]);
    for a in &accounts {
        let acc = &a.account;
        t.row(vec![
            acc.id.to_string(),
            acc.name.clone(),
            acc.currency.to_string(),
            acc.time_zone.clone(),
            output::arrears_limit_text(a),
            acc.transfer_reference.clone(),
        ]);
    }
    let text = if t.is_empty() { "No billing accounts.\n".to_owned() } else { t.render(0) };
    let json = json!({ "accounts": accounts.iter().map(output::account_json).collect::<Vec<_>>() });
    Ok(Out::new(json, text))
}

fn set_limit(ctx: &Ctx, a: LimitArgs) -> CliResult<Out> {
    let limit = match (&a.limit.limit_minor, a.limit.unlimited) {
        (Some(text), false) => Some(parse_minor("arrears_limit_minor", text)?),
        _ => None,
    };
    let record = ctx.app.set_arrears_limit(AccountId(a.id), limit)?;
    let text = format!("Arrears limit of account {} is now {}.\n", a.id, output::arrears_limit_text(&record));
    Ok(Out::new(output::account_json(&record), text))
}
