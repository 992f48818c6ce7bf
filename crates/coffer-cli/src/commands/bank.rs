//! `coffer bank`: offline bank transfers — record one, list the queue, assign,
//! approve (a second operator), import a statement, show the recharge instructions.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coffer_app::input;
use coffer_app::use_cases::bank_statements::ImportStatement;
use coffer_app::use_cases::bank_transfers::{RecordTransfer, TransferRecorded, TransferView};
use coffer_core::ids::AccountId;
use coffer_store::rails::BankTransfer;
use serde_json::{json, Value};

use crate::args::AmountArgs;
use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{money, Out};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Record a transfer that arrived; matched by reference, else queued.
    Record(RecordArgs),
    /// List transfers, newest first.
    List {
        /// unmatched, awaiting_approval or credited.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        who: Operator,
    },
    /// Assign an unmatched transfer to an account.
    Assign {
        #[arg(long)]
        transfer: i64,
        #[arg(long)]
        account: i64,
        #[command(flatten)]
        who: Operator,
    },
    /// Approve a credit above the threshold (not by the operator who recorded or assigned it).
    Approve {
        #[arg(long)]
        transfer: i64,
        #[command(flatten)]
        who: Operator,
    },
    /// Import a bank statement (CSV per docs/bank-statements.md, or camt.053 XML).
    Import {
        #[arg(long, value_name = "csv|camt053")]
        format: String,
        file: PathBuf,
        #[command(flatten)]
        who: Operator,
    },
    /// The payee bank details and the account's transfer reference.
    Instructions {
        #[arg(long)]
        account: i64,
    },
}

#[derive(Debug, Args)]
pub struct Operator {
    /// Who is acting, for the record and the four-eyes rule.
    #[arg(long, env = "COFFER_OPERATOR", default_value = "cli")]
    pub operator: String,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[arg(long)]
    pub bank_transaction_id: String,
    #[command(flatten)]
    pub amount: AmountArgs,
    #[arg(long)]
    pub currency: String,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub value_date: String,
    #[arg(long)]
    pub payer: String,
    /// The remittance text, which should carry the account's CF reference.
    #[arg(long)]
    pub reference: String,
    #[command(flatten)]
    pub who: Operator,
}

fn transfer_json(t: &BankTransfer) -> Value {
    let x = &t.transfer;
    json!({"transfer_id": t.id, "bank_transaction_id": x.bank_transaction_id, "amount_minor": x.amount.minor(),
        "currency": x.currency.code(), "value_date": x.value_date.to_string(), "payer": x.payer, "reference": x.reference,
        "account_id": x.account_id.map(|a| a.0), "state": x.state.as_str(), "source": x.source,
        "recorded_by": x.recorded_by, "approved_by": t.approved_by})
}

fn recorded(r: &TransferRecorded) -> Out {
    let mut j = transfer_json(&r.transfer);
    j["outcome"] = json!(r.outcome.as_str());
    let t = &r.transfer.transfer;
    let text = format!(
        "transfer {} ({} {}): {}\n",
        r.transfer.id,
        t.bank_transaction_id,
        money(t.amount.minor(), t.currency),
        r.outcome.as_str()
    );
    Out::new(j, text)
}

fn listing(list: &[TransferView]) -> Out {
    let mut text = String::new();
    for v in list {
        let t = &v.transfer.transfer;
        let account = t.account_id.map_or("-".to_owned(), |a| a.to_string());
        text.push_str(&format!(
            "{:>5}  {:<18} {:>14}  account {:<5} {:<17} {}\n",
            v.transfer.id,
            t.bank_transaction_id,
            money(t.amount.minor(), t.currency),
            account,
            t.state.as_str(),
            v.unmatched_reason.as_deref().unwrap_or(&t.reference)
        ));
    }
    Out::new(Value::Array(list.iter().map(|v| transfer_json(&v.transfer)).collect()), text)
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    let app = &ctx.app;
    match cmd {
        Cmd::Record(a) => {
            let currency = input::currency("currency", &a.currency)?;
            let amount_minor = a.amount.minor(currency)?;
            let req = RecordTransfer {
                bank_transaction_id: &a.bank_transaction_id,
                amount_minor,
                currency: &a.currency,
                value_date: &a.value_date,
                payer: &a.payer,
                reference: &a.reference,
                recorded_by: &a.who.operator,
            };
            Ok(recorded(&app.record_transfer(&req)?))
        }
        Cmd::List { state, limit, who: _ } => Ok(listing(&app.bank_transfers(state.as_deref(), limit)?)),
        Cmd::Assign { transfer, account, who } => {
            Ok(recorded(&app.assign_transfer(transfer, AccountId(account), &who.operator)?))
        }
        Cmd::Approve { transfer, who } => Ok(recorded(&app.approve_transfer(transfer, &who.operator)?)),
        Cmd::Import { format, file, who } => import(ctx, &format, &file, &who.operator),
        Cmd::Instructions { account } => {
            let i = app.recharge_instructions(AccountId(account))?;
            let text = format!(
                "Pay to {} at {}, account {}\nQuote the reference {} ({})\n",
                i.bank.payee_name, i.bank.bank_name, i.bank.account_number, i.reference, i.currency
            );
            let j = json!({"account_id": account, "currency": i.currency.code(), "reference": i.reference,
                "payee_name": i.bank.payee_name, "bank_name": i.bank.bank_name, "account_number": i.bank.account_number});
            Ok(Out::new(j, text))
        }
    }
}

fn import(ctx: &Ctx, format: &str, file: &PathBuf, operator: &str) -> CliResult<Out> {
    let text =
        std::fs::read_to_string(file).map_err(|e| CliError::invalid("file", format!("{}: {e}", file.display())))?;
    let r = ctx.app.import_statement(&ImportStatement { format, text: &text, imported_by: operator })?;
    let mut out = format!(
        "{} entries: {} credited, {} queued, {} duplicates, {} skipped, {} errors\n",
        r.entries,
        r.credited,
        r.queued_unmatched,
        r.duplicates,
        r.skipped,
        r.errors.len()
    );
    for e in &r.errors {
        out.push_str(&format!("  row {}: {}: {}\n", e.index, e.field, e.message));
    }
    let errors: Vec<Value> =
        r.errors.iter().map(|e| json!({"index": e.index, "field": e.field, "message": e.message})).collect();
    let j = json!({"entries": r.entries, "credited": r.credited, "queued_unmatched": r.queued_unmatched,
        "duplicates": r.duplicates, "skipped": r.skipped, "errors": errors});
    Ok(Out::new(j, out))
}
