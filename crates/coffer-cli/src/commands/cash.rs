//! `coffer cash credit`: record confirmed cash from a payment rail.

use clap::{Args, Subcommand};
use coffer_app::input;
use coffer_app::use_cases::cash::CreditCash;
use coffer_core::ids::AccountId;
use serde_json::json;

use crate::args::AmountArgs;
use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{money, ts_json, Out};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Credit confirmed cash; repays arrears first. Once per (source, external id).
    Credit(CreditArgs),
}

#[derive(Debug, Args)]
pub struct CreditArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    #[command(flatten)]
    pub amount: AmountArgs,
    /// Must be the account's currency.
    #[arg(long)]
    pub currency: String,
    /// online_payment or bank_transfer.
    #[arg(long, value_name = "online_payment|bank_transfer")]
    pub source: String,
    /// The rail's id (Alipay trade number, bank transaction id): credited at most once.
    #[arg(long)]
    pub external_id: String,
    /// A note kept with the record.
    #[arg(long, default_value = "")]
    pub memo: String,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    let Cmd::Credit(a) = cmd;
    let currency = input::currency("currency", &a.currency)?;
    let amount_minor = a.amount.minor(currency)?;
    let done = ctx.app.credit_cash(&CreditCash {
        account_id: AccountId(a.account),
        amount_minor,
        currency: &a.currency,
        source: &a.source,
        external_id: &a.external_id,
        memo: &a.memo,
    })?;
    let o = ctx.app.account_overview(AccountId(a.account))?;
    let c = &done.credit.credit;
    let json = json!({
        "account_id": c.account_id.0,
        "source": c.source,
        "external_id": c.external_id,
        "amount_minor": c.amount.minor(),
        "currency": currency.code(),
        "journal_tx_id": c.journal_tx_id.0,
        "at": ts_json(c.at),
        "replayed": done.replayed,
        "cash_minor": o.cash_minor,
        "arrears_owed_minor": o.arrears_owed_minor,
    });
    let headline = if done.replayed {
        format!("{} {} was already credited (journal tx {}); nothing moved.", c.source, c.external_id, c.journal_tx_id)
    } else {
        format!(
            "Credited {} to account {} from {} {} (journal tx {}).",
            money(c.amount.minor(), currency),
            c.account_id,
            c.source,
            c.external_id,
            c.journal_tx_id
        )
    };
    let text = format!(
        "{headline}\n  cash now          {}\n  arrears owed now  {}\n",
        money(o.cash_minor, currency),
        money(o.arrears_owed_minor, currency)
    );
    Ok(Out::new(json, text))
}
