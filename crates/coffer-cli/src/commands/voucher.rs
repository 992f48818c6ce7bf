//! `coffer voucher ...`: issue directly, generate code batches, activate a code,
//! revoke, list.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use coffer_app::use_cases::voucher_codes::{GenerateCodes, GeneratedCodes};
use coffer_app::use_cases::vouchers::IssueVoucher;
use coffer_app::{input, tz};
use coffer_core::ids::{AccountId, VoucherId};
use coffer_core::money::Currency;
use coffer_store::records::VoucherRecord;
use serde_json::json;

use crate::args::{FaceValueArgs, ValidityArgs};
use crate::context::{zone_of, Ctx};
use crate::error::{CliError, CliResult};
use crate::output::{self, money, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Activate a voucher directly into an account (operator).
    Issue(IssueArgs),
    /// Generate a batch of activation codes; the codes are shown once.
    Codes(CodesArgs),
    /// Redeem an activation code into an account.
    Activate {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// The code, in any case, with or without dashes.
        #[arg(long)]
        code: String,
    },
    /// Revoke a voucher; its balance is written off.
    Revoke {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// The voucher id.
        #[arg(long)]
        voucher: i64,
        /// Why (required; recorded with the entry).
        #[arg(long)]
        reason: String,
    },
    /// An account's vouchers.
    List {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// issued, active, used_up, expired or revoked.
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// standard or discount.
    #[arg(long, value_name = "standard|discount")]
    pub kind: String,
    #[command(flatten)]
    pub face_value: FaceValueArgs,
    /// CNY or USD; must be the account's currency.
    #[arg(long)]
    pub currency: String,
    /// Dates are days in the account's time zone.
    #[command(flatten)]
    pub validity: ValidityArgs,
    /// Retrying with the same key and input returns the original result.
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct CodesArgs {
    /// standard or discount.
    #[arg(long, value_name = "standard|discount")]
    pub kind: String,
    #[command(flatten)]
    pub face_value: FaceValueArgs,
    /// CNY or USD: only accounts in this currency can redeem the codes.
    #[arg(long)]
    pub currency: String,
    #[command(flatten)]
    pub validity: ValidityArgs,
    /// The zone --valid-from/--valid-until days are in.
    #[arg(long, default_value = tz::DEFAULT_TIME_ZONE)]
    pub time_zone: String,
    /// How many codes (1 to 10000).
    #[arg(long)]
    pub count: u32,
    /// A note kept with the record.
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Write batch_id,code rows to this new CSV file (never overwritten) instead of stdout.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Issue(a) => issue(ctx, a),
        Cmd::Codes(a) => codes(ctx, a),
        Cmd::Activate { account, code } => {
            let currency = ctx.account(account)?.account.currency;
            let v = ctx.app.activate_code(AccountId(account), &code)?;
            one(ctx, &v, currency, "Activated")
        }
        Cmd::Revoke { account, voucher, reason } => {
            let currency = ctx.account(account)?.account.currency;
            let v = ctx.app.revoke_voucher(AccountId(account), VoucherId(voucher), &reason)?;
            one(ctx, &v, currency, "Revoked")
        }
        Cmd::List { account, status } => list(ctx, account, status.as_deref()),
    }
}

fn issue(ctx: &Ctx, a: IssueArgs) -> CliResult<Out> {
    let account = ctx.account(a.account)?;
    let currency = input::currency("currency", &a.currency)?;
    let v = ctx.app.issue_voucher(&IssueVoucher {
        account_id: AccountId(a.account),
        kind: &a.kind,
        face_value_minor: a.face_value.minor(currency)?,
        currency: &a.currency,
        validity: a.validity.resolve(&zone_of(&account)?)?,
        idempotency_key: a.idempotency_key.as_deref(),
    })?;
    one(ctx, &v, currency, "Issued")
}

fn one(ctx: &Ctx, v: &VoucherRecord, currency: Currency, verb: &str) -> CliResult<Out> {
    let zone = zone_of(&ctx.account(v.voucher.account_id.0)?)?;
    let vo = &v.voucher;
    let text = format!(
        "{verb} {} voucher {} of account {}: face value {}, balance {}, status {}\n  valid {}\n",
        vo.kind.as_str(),
        vo.id,
        vo.account_id,
        money(vo.face_value.minor(), currency),
        money(vo.balance_minor, currency),
        vo.status.as_str(),
        output::window_text(&vo.window, &zone),
    );
    Ok(Out::new(output::voucher_json(v, currency), text))
}

fn list(ctx: &Ctx, account: i64, status: Option<&str>) -> CliResult<Out> {
    let record = ctx.account(account)?;
    let (currency, zone) = (record.account.currency, zone_of(&record)?);
    let vouchers = ctx.app.vouchers(AccountId(account), status)?;
    let mut t = Table::new(&[">id", "kind", "status", ">face value", ">balance", "valid", "origin"]);
    for v in &vouchers {
        let vo = &v.voucher;
        let origin = match v.origin.reference() {
            Some(r) => format!("{} {r}", v.origin.kind_str()),
            None => v.origin.kind_str().to_owned(),
        };
        t.row(vec![
            vo.id.to_string(),
            vo.kind.as_str().to_owned(),
            vo.status.as_str().to_owned(),
            money(vo.face_value.minor(), currency),
            money(vo.balance_minor, currency),
            output::window_text(&vo.window, &zone),
            origin,
        ]);
    }
    let text = if t.is_empty() { format!("No vouchers in account {account}.\n") } else { t.render(0) };
    let json = json!({ "vouchers": vouchers.iter().map(|v| output::voucher_json(v, currency)).collect::<Vec<_>>() });
    Ok(Out::new(json, text))
}

fn codes(ctx: &Ctx, a: CodesArgs) -> CliResult<Out> {
    let currency = input::currency("currency", &a.currency)?;
    let zone = tz::zone(&a.time_zone)?;
    let req = GenerateCodes {
        kind: &a.kind,
        face_value_minor: a.face_value.minor(currency)?,
        currency: &a.currency,
        validity: a.validity.resolve(&zone)?,
        count: a.count,
        memo: &a.memo,
    };
    // The file is created before the codes exist, so a bad path costs no batch.
    let file = a.out.as_deref().map(create_new).transpose()?;
    let generated = match ctx.app.generate_codes(&req) {
        Ok(g) => g,
        Err(e) => {
            if let Some(path) = &a.out {
                let _ = std::fs::remove_file(path);
            }
            return Err(e.into());
        }
    };
    let batch = &generated.batch;
    let codes: Vec<String> = generated.codes.iter().map(|c| c.display_grouped()).collect();
    let summary = json!({
        "batch_id": batch.id.0,
        "kind": batch.batch.kind.as_str(),
        "face_value_minor": batch.batch.face_value.minor(),
        "currency": currency.code(),
        "count": codes.len(),
    });
    let headline = format!(
        "Batch {}: {} {} voucher codes of {}",
        batch.id,
        codes.len(),
        batch.batch.kind.as_str(),
        money(batch.batch.face_value.minor(), currency)
    );
    match (file, &a.out) {
        (Some(file), Some(path)) => {
            write_csv(file, &generated).map_err(|e| {
                // The codes exist only here now: print them rather than lose them.
                println!("{}", codes.join("\n"));
                CliError::internal(format!("writing {}: {e}; the codes were printed to stdout instead", path.display()))
            })?;
            let mut json = summary;
            json["out"] = json!(path.display().to_string());
            Ok(Out::new(json, format!("{headline} written to {}.\n", path.display())))
        }
        _ => {
            let mut json = summary;
            json["codes"] = json!(codes);
            let text = format!("{headline}. They are shown only this once:\n{}\n", codes.join("\n"));
            Ok(Out::new(json, text))
        }
    }
}

/// Creates a new file readable only by its owner; an existing file is never overwritten.
fn create_new(path: &Path) -> CliResult<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| CliError::invalid("out", format!("cannot create {}: {e}", path.display())))
}

fn write_csv(mut file: File, generated: &GeneratedCodes) -> std::io::Result<()> {
    let mut text = String::from("batch_id,code\r\n");
    for code in &generated.codes {
        text.push_str(&format!("{},{}\r\n", generated.batch.id, code.display_grouped()));
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
