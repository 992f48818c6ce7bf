//! `coffer adjust`: an operator's cash adjustment, always with a reason.

use clap::Args;
use coffer_app::input;
use coffer_app::use_cases::adjustments::AdjustCash;
use coffer_core::ids::AccountId;
use serde_json::json;

use crate::args::AmountArgs;
use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::{money, Out};

#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// Signed: positive gives the customer value (repaying arrears first), negative takes cash.
    #[command(flatten)]
    pub amount: AmountArgs,
    /// CNY or USD; must be the account's currency.
    #[arg(long)]
    pub currency: String,
    /// Why (required; recorded with the entry).
    #[arg(long)]
    pub reason: String,
    /// Retrying with the same key and input returns the original result.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

pub fn run(ctx: &Ctx, a: AdjustArgs) -> CliResult<Out> {
    let currency = input::currency("currency", &a.currency)?;
    let amount_minor = a.amount.minor(currency)?;
    let journal_tx = ctx.app.adjust_cash(&AdjustCash {
        account_id: AccountId(a.account),
        amount_minor,
        currency: &a.currency,
        reason: &a.reason,
        idempotency_key: a.idempotency_key.as_deref(),
    })?;
    let o = ctx.app.account_overview(AccountId(a.account))?;
    let json = json!({
        "account_id": a.account,
        "amount_minor": amount_minor,
        "currency": currency.code(),
        "journal_tx_id": journal_tx.0,
        "cash_minor": o.cash_minor,
        "arrears_owed_minor": o.arrears_owed_minor,
    });
    let text = format!(
        "Adjusted account {} by {} (journal tx {journal_tx}).\n  cash now          {}\n  arrears owed now  {}\n",
        a.account,
        money(amount_minor, currency),
        money(o.cash_minor, currency),
        money(o.arrears_owed_minor, currency),
    );
    Ok(Out::new(json, text))
}
