//! `coffer card ...`: buy with cash, allocate (operator/partner), list.

use clap::{Args, Subcommand};
use coffer_app::input;
use coffer_app::use_cases::cards::{BuyCard, CardIssued};
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use serde_json::{json, Value};

use crate::args::FaceValueArgs;
use crate::context::{zone_of, Ctx};
use crate::error::CliResult;
use crate::output::{self, money, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Buy a prepaid card with the account's cash (bonus discount voucher from 10,000).
    Buy(CardArgs),
    /// Allocate a prepaid card without cash (operator or partner; no bonus).
    Allocate(CardArgs),
    /// An account's prepaid cards.
    List {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// active, used_up or expired.
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct CardArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// A multiple of 100 currency units, at least 100.
    #[command(flatten)]
    pub face_value: FaceValueArgs,
    /// [default: the account's currency]
    #[arg(long)]
    pub currency: Option<String>,
    /// Retrying with the same key and input returns the original result.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Buy(a) => issue(ctx, a, true),
        Cmd::Allocate(a) => issue(ctx, a, false),
        Cmd::List { account, status } => list(ctx, account, status.as_deref()),
    }
}

fn issue(ctx: &Ctx, a: CardArgs, buy: bool) -> CliResult<Out> {
    let account = ctx.account(a.account)?;
    let currency = match &a.currency {
        Some(code) => input::currency("currency", code)?,
        None => account.account.currency,
    };
    let req = BuyCard {
        account_id: AccountId(a.account),
        face_value_minor: a.face_value.minor(currency)?,
        currency: currency.code(),
        idempotency_key: a.idempotency_key.as_deref(),
    };
    let issued = if buy { ctx.app.buy_card(&req)? } else { ctx.app.allocate_card(&req)? };
    let zone = zone_of(&account)?;
    let card = &issued.card.card;
    let mut text = format!(
        "{} prepaid card {} (id {}) for account {}: face value {}, balance {}, status {}\n  valid {}\n",
        if buy { "Bought" } else { "Allocated" },
        card.number,
        card.id,
        card.account_id,
        money(card.face_value.minor(), currency),
        money(card.balance_minor, currency),
        card.status.as_str(),
        output::window_text(&card.window, &zone),
    );
    if let Some(v) = &issued.bonus_voucher {
        text.push_str(&format!(
            "  bonus: discount voucher {} of {}\n",
            v.voucher.id,
            money(v.voucher.face_value.minor(), currency)
        ));
    }
    Ok(Out::new(issued_json(&issued, currency), text))
}

fn issued_json(issued: &CardIssued, currency: Currency) -> Value {
    json!({
        "card": output::card_json(&issued.card, currency),
        "bonus_voucher": issued.bonus_voucher.as_ref().map(|v| output::voucher_json(v, currency)),
    })
}

fn list(ctx: &Ctx, account: i64, status: Option<&str>) -> CliResult<Out> {
    let record = ctx.account(account)?;
    let (currency, zone) = (record.account.currency, zone_of(&record)?);
    let cards = ctx.app.cards(AccountId(account), status)?;
    let mut t = Table::new(&[">id", "number", "origin", "status", ">face value", ">balance", "valid"]);
    for c in &cards {
        let card = &c.card;
        t.row(vec![
            card.id.to_string(),
            card.number.clone(),
            card.origin.as_str().to_owned(),
            card.status.as_str().to_owned(),
            money(card.face_value.minor(), currency),
            money(card.balance_minor, currency),
            output::window_text(&card.window, &zone),
        ]);
    }
    let text = if t.is_empty() { format!("No prepaid cards in account {account}.\n") } else { t.render(0) };
    let json = json!({ "cards": cards.iter().map(|c| output::card_json(c, currency)).collect::<Vec<_>>() });
    Ok(Out::new(json, text))
}
