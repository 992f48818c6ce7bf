//! `coffer adjust`: an operator's cash adjustment, always with a reason. Above the
//! approval threshold it waits for another operator (`coffer adjustment approve`).

use clap::Args;
use coffer_app::input;
use coffer_app::use_cases::adjustments::{AdjustCash, AdjustmentOutcome};
use coffer_core::ids::AccountId;
use serde_json::json;

use crate::args::AmountArgs;
use crate::commands::bank::Operator;
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
    #[command(flatten)]
    pub who: Operator,
}

pub fn run(ctx: &Ctx, a: AdjustArgs) -> CliResult<Out> {
    let currency = input::currency("currency", &a.currency)?;
    let amount_minor = a.amount.minor(currency)?;
    let outcome = ctx.app.adjust_cash(&AdjustCash {
        account_id: AccountId(a.account),
        amount_minor,
        currency: &a.currency,
        reason: &a.reason,
        requested_by: &a.who.operator,
        idempotency_key: a.idempotency_key.as_deref(),
    })?;
    let o = ctx.app.account_overview(AccountId(a.account))?;
    let mut json = json!({
        "account_id": a.account,
        "amount_minor": amount_minor,
        "currency": currency.code(),
        "state": outcome.state(),
        "cash_minor": o.cash_minor,
        "arrears_owed_minor": o.arrears_owed_minor,
    });
    let head = match &outcome {
        AdjustmentOutcome::Applied { journal_tx_id } => {
            json["journal_tx_id"] = json!(journal_tx_id.0);
            format!(
                "Adjusted account {} by {} (journal tx {journal_tx_id}): applied.",
                a.account,
                money(amount_minor, currency)
            )
        }
        AdjustmentOutcome::Pending { request } => {
            json["request_id"] = json!(request.id);
            format!(
                "Adjustment of account {} by {} is pending: request {} awaits another operator's approval.",
                a.account,
                money(amount_minor, currency),
                request.id
            )
        }
    };
    let text = format!(
        "{head}\n  cash now          {}\n  arrears owed now  {}\n",
        money(o.cash_minor, currency),
        money(o.arrears_owed_minor, currency),
    );
    Ok(Out::new(json, text))
}
