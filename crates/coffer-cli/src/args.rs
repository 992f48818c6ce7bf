//! The command line: global options, the command tree, and argument groups shared by
//! several commands (amounts, face values, validity). Each area's own subcommands
//! live next to their handlers in `commands/<area>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use coffer_core::money::{parse_major_to_minor, Currency, MoneyError};

use crate::commands::{account, adjust, card, cash, charge, statement, voucher, workspace};
use crate::error::{CliError, CliResult};

const LONG_ABOUT: &str = "\
coffer: the Billing Center account wallet, on an embedded SQLite database (default)
or on PostgreSQL.

Amounts: --amount / --face-value take an exact decimal in major units (\"123.45\");
--amount-minor / --face-value-minor take integer minor units (fen, cent). Output
shows \"1234.56 CNY\" for people; --json always gives integer *_minor fields plus
`currency`, and times as RFC 3339 UTC strings.

With --database-url (or COFFER_DATABASE_URL) every command uses that PostgreSQL
database instead of the SQLite file; migrations run when it is opened.

The activation-code key is read from COFFER_CODE_KEY (hex, at least 16 bytes), else
from <db>.code-key, which is created on first use. With PostgreSQL there is no file
to keep a key next to: COFFER_CODE_KEY is required.";

const EXIT_CODES: &str = "\
Exit codes:
   0  success
   1  `verify` found problems (each is listed)
   2  usage error (unknown command, missing or malformed option)
   3  validation_failed: an input value was refused; nothing was written
   4  a *_not_found error (account, workspace, voucher, card, charge)
   5  any other business rejection or conflict (currency_mismatch, insufficient_cash,
      arrears_limit_exceeded, bill_conflict, idempotency_conflict, code_*,
      too_many_attempts, settlement_*, cloud_subscription_active, ...)
  10  internal or store error (store_busy, internal)

Errors are printed to stderr as `error[<code>]: <message>`; with --json the same error
is also printed to stdout as {\"error\":{\"code\":..,\"field\":..,\"message\":..}}.
A closed stdout (broken pipe) is not an error.";

#[derive(Debug, Parser)]
#[command(name = "coffer", version, about = "The Coffer billing-center account wallet", long_about = LONG_ABOUT)]
#[command(after_long_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The SQLite database file (created if missing) [default: the configuration's
    /// database.path, else coffer.db].
    #[arg(long, env = "COFFER_DB", value_name = "PATH", global = true, help_heading = "Global options")]
    pub db: Option<PathBuf>,
    /// The configuration file (TOML; see coffer.example.toml and docs/OPERATIONS.md).
    /// COFFER_* environment variables override it; flags override both.
    #[arg(long, env = "COFFER_CONFIG", value_name = "PATH", global = true, help_heading = "Global options")]
    pub config: Option<PathBuf>,
    /// A PostgreSQL database instead of the SQLite file, for every command
    /// (`postgres://user:password@host:port/dbname`, or a `key=value` connection
    /// string). Several `coffer serve` processes may share one. Needs COFFER_CODE_KEY.
    #[arg(
        long,
        env = "COFFER_DATABASE_URL",
        value_name = "URL",
        global = true,
        conflicts_with = "db",
        hide_env_values = true,
        help_heading = "Global options"
    )]
    pub database_url: Option<String>,
    /// Machine output: JSON on stdout, errors as {"error":{..}}.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Run as if it were this instant (RFC 3339 with offset, or epoch milliseconds).
    /// For tests and scripts; the default is the system clock.
    #[arg(
        long,
        value_name = "RFC3339|EPOCH_MS",
        global = true,
        hide_short_help = true,
        help_heading = "Global options"
    )]
    pub now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Billing accounts: create, show, list, arrears limit.
    #[command(subcommand)]
    Account(account::Cmd),
    /// Bind workspaces and change their settlement method.
    #[command(subcommand)]
    Workspace(workspace::Cmd),
    /// Credit confirmed cash (online payment or bank transfer).
    #[command(subcommand)]
    Cash(cash::Cmd),
    /// Vouchers: issue, activation-code batches, activate, revoke, list.
    #[command(subcommand)]
    Voucher(voucher::Cmd),
    /// Prepaid cards: buy with cash, allocate, list.
    #[command(subcommand)]
    Card(card::Cmd),
    /// Settle, preview, show and reverse charges.
    #[command(subcommand)]
    Charge(charge::Cmd),
    /// Operator cash adjustment, always with a reason; above the threshold it waits for approval.
    Adjust(adjust::AdjustArgs),
    /// Adjustments awaiting a second operator: list, approve, reject.
    #[command(subcommand)]
    Adjustment(crate::commands::adjustment::Cmd),
    /// Statements: income & expenditure, consumption, monthly bill.
    #[command(subcommand)]
    Statement(statement::Cmd),
    /// An account's event feed (recharges, vouchers, arrears, locks), by sequence number.
    Events(crate::commands::events::EventsArgs),
    /// Offline bank transfers: record, queue, assign, approve, import statements.
    #[command(subcommand)]
    Bank(crate::commands::bank::Cmd),
    /// The cloud marketplace outbox: deliver, list, cancelled subscriptions.
    #[command(subcommand)]
    Cloud(crate::commands::cloud::Cmd),
    /// Expire vouchers and cards past their validity; write off their leftovers.
    Expire,
    /// Background jobs (docs/JOBS.md): list them with their lease and last run, run one by hand.
    #[command(subcommand)]
    Jobs(crate::commands::jobs::Cmd),
    /// Webhook endpoints of an account and the notification delivery log (docs/WEBHOOKS.md).
    #[command(subcommand)]
    Webhook(crate::commands::webhook::Cmd),
    /// Recompute every balance from the journal and check every invariant.
    Verify,
    /// Fill an empty database with realistic demo data.
    Demo,
    /// Alipay tools: verify a notification by hand.
    #[command(subcommand)]
    Alipay(crate::commands::alipay::AlipayCmd),
    /// Run the local Alipay sandbox on its own (demo keys).
    AlipaySandbox(crate::commands::alipay::SandboxArgs),
    /// Run the HTTP API (and, with --demo, fill an empty database first).
    Serve(crate::commands::serve::ServeArgs),
    /// The configuration: check it and print the effective settings.
    #[command(subcommand)]
    Config(crate::commands::config::ConfigCmd),
    /// Copy the SQLite database to FILE while it is in use, then verify the copy.
    Backup(crate::commands::backup::BackupArgs),
    /// Replace the SQLite database with a backup, then verify it.
    Restore(crate::commands::backup::RestoreArgs),
    /// Benchmark: a realistic workload on fresh data, with latency, memory and disk figures.
    Bench(crate::commands::bench::BenchArgs),
    /// Operators (Billing Center staff) who log in with a password.
    #[command(subcommand)]
    Operator(crate::commands::identity::OperatorCmd),
    /// API tokens: shown once, stored hashed.
    #[command(subcommand)]
    Token(crate::commands::identity::TokenCmd),
}

/// `--amount DECIMAL | --amount-minor INTEGER`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct AmountArgs {
    /// The amount in major units, exact decimal ("123.45").
    #[arg(long, value_name = "DECIMAL", allow_negative_numbers = true)]
    pub amount: Option<String>,
    /// The amount in minor units (fen, cent).
    #[arg(long, value_name = "INTEGER", allow_negative_numbers = true)]
    pub amount_minor: Option<String>,
}

impl AmountArgs {
    pub fn minor(&self, currency: Currency) -> CliResult<i64> {
        to_minor("amount_minor", "--amount", self.amount.as_deref(), self.amount_minor.as_deref(), currency)
    }
}

/// `--face-value DECIMAL | --face-value-minor INTEGER`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct FaceValueArgs {
    /// The face value in major units, exact decimal ("10000").
    #[arg(long, value_name = "DECIMAL", allow_negative_numbers = true)]
    pub face_value: Option<String>,
    /// The face value in minor units (fen, cent).
    #[arg(long, value_name = "INTEGER", allow_negative_numbers = true)]
    pub face_value_minor: Option<String>,
}

impl FaceValueArgs {
    pub fn minor(&self, currency: Currency) -> CliResult<i64> {
        let (major, minor) = (self.face_value.as_deref(), self.face_value_minor.as_deref());
        to_minor("face_value_minor", "--face-value", major, minor, currency)
    }
}

/// Either a decimal in major units or an integer of minor units, to minor units.
/// Range checks (1 ..= 10^13) are the app's; this only parses.
fn to_minor(field: &str, flag: &str, major: Option<&str>, minor: Option<&str>, currency: Currency) -> CliResult<i64> {
    let money_error = |e: MoneyError| CliError::invalid(field, e);
    match (major, minor) {
        (Some(text), _) => parse_major_to_minor(text, currency).map_err(|e| match e {
            MoneyError::Malformed => {
                CliError::invalid(field, format!("{flag} must be a decimal with at most two decimals"))
            }
            other => money_error(other),
        }),
        (None, Some(text)) => parse_minor(field, text),
        (None, None) => Err(CliError::invalid(field, format!("{flag} or {flag}-minor is required"))),
    }
}

/// Parses an integer of minor units, telling "too large" apart from "not a number".
pub fn parse_minor(field: &str, text: &str) -> CliResult<i64> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::invalid(field, "must be an integer number of minor units"));
    }
    text.parse().map_err(|_| CliError::invalid(field, MoneyError::TooLarge))
}

/// `--valid-days N | --valid-from DATE --valid-until DATE`.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub struct ValidityArgs {
    /// Valid for N days from activation.
    #[arg(long, value_name = "N", conflicts_with_all = ["valid_from", "valid_until"])]
    pub valid_days: Option<u32>,
    /// First valid day, YYYY-MM-DD (from its start, in the time zone that applies).
    #[arg(long, value_name = "DATE", requires = "valid_until")]
    pub valid_from: Option<String>,
    /// Last valid day, YYYY-MM-DD, inclusive (valid until the end of that day).
    #[arg(long, value_name = "DATE", requires = "valid_from")]
    pub valid_until: Option<String>,
}

impl ValidityArgs {
    /// The validity as the app takes it; dates are civil days in `zone`.
    pub fn resolve(&self, zone: &jiff::tz::TimeZone) -> CliResult<coffer_app::use_cases::vouchers::ValidityInput> {
        use coffer_app::use_cases::vouchers::ValidityInput;
        use coffer_app::{input, tz};
        if let Some(days) = self.valid_days {
            return Ok(ValidityInput::Days(days));
        }
        match (self.valid_from.as_deref(), self.valid_until.as_deref()) {
            (Some(from), Some(until)) => {
                let from = tz::start_of_day(input::date("valid_from", from)?, zone)?;
                let until = tz::end_of_day(input::date("valid_until", until)?, zone)?;
                Ok(ValidityInput::Window { from, until: Some(until) })
            }
            _ => Err(CliError::invalid("validity", "give --valid-days, or --valid-from and --valid-until")),
        }
    }
}
