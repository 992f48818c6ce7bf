//! `coffer statement ...`: income & expenditure, consumption, monthly bill; each as
//! a table, JSON, or CSV (`--csv`, which wins over `--json`).

use clap::{Args, Subcommand};
use coffer_app::use_cases::statements::{self, Range};
use coffer_core::ids::AccountId;
use coffer_core::journal::Book;
use coffer_core::policy::InstrumentClass;
use serde_json::{json, Value};

use crate::context::{zone_of, Ctx};
use crate::error::CliResult;
use crate::output::{self, money, ts_json, ts_text, Out};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Every balance change of cash, arrears, vouchers and prepaid cards.
    Income(RangeArgs),
    /// Settled charges, one per line, with their deductions.
    Consumption(RangeArgs),
    /// One month's bill per workspace and category (bill dates in that month).
    Monthly {
        /// The billing account id.
        #[arg(long)]
        account: i64,
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// The billing account id.
    #[arg(long)]
    pub account: i64,
    /// First day, YYYY-MM-DD in the account's time zone (inclusive).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD in the account's time zone (inclusive).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// The cursor printed with the previous page.
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<i64>,
    /// Rows per page (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    #[arg(long)]
    pub csv: bool,
}

impl RangeArgs {
    fn range(&self) -> Range<'_> {
        Range { from: self.from.as_deref(), to: self.to.as_deref(), after: self.after, limit: self.limit }
    }
}

pub fn run(ctx: &Ctx, cmd: Cmd) -> CliResult<Out> {
    match cmd {
        Cmd::Income(a) => income(ctx, &a),
        Cmd::Consumption(a) => consumption(ctx, &a),
        Cmd::Monthly { account, month, csv } => monthly(ctx, account, &month, csv),
    }
}

fn next_note(next: Option<i64>) -> String {
    next.map_or(String::new(), |n| format!("More rows: --after {n}\n"))
}

fn income(ctx: &Ctx, a: &RangeArgs) -> CliResult<Out> {
    let record = ctx.account(a.account)?;
    let (cur, zone) = (record.account.currency, zone_of(&record)?);
    let page = ctx.app.income_expenditure(AccountId(a.account), &a.range())?;
    if a.csv {
        if let Some(n) = page.next {
            eprintln!("more rows: --after {n}");
        }
        return Ok(Out::raw(statements::income_expenditure_csv(&page.rows, cur)));
    }
    let mut t = Table::new(&["time", ">tx", "kind", "instrument", ">amount", ">balance after", "memo"]);
    let mut rows = Vec::new();
    for l in &page.rows {
        let instrument = match l.book {
            Book::Voucher | Book::Card => format!("{} {}", l.book.as_str(), l.instrument_id),
            other => other.as_str().to_owned(),
        };
        t.row(vec![
            ts_text(l.at, &zone),
            l.journal_tx_id.to_string(),
            l.kind.as_str().to_owned(),
            instrument,
            money(l.amount_minor, cur),
            money(l.balance_after_minor, cur),
            l.memo.clone(),
        ]);
        rows.push(json!({
            "line_id": l.line_id,
            "journal_tx_id": l.journal_tx_id.0,
            "at": ts_json(l.at),
            "kind": l.kind.as_str(),
            "instrument": l.book.as_str(),
            "instrument_id": l.instrument_id,
            "amount_minor": l.amount_minor,
            "balance_after_minor": l.balance_after_minor,
            "memo": l.memo,
        }));
    }
    let json = json!({ "account_id": a.account, "currency": cur.code(), "rows": rows, "next_cursor": page.next });
    let body = if t.is_empty() { "No statement lines.\n".to_owned() } else { t.render(0) };
    Ok(Out::new(json, body + &next_note(page.next)))
}

fn consumption(ctx: &Ctx, a: &RangeArgs) -> CliResult<Out> {
    let record = ctx.account(a.account)?;
    let cur = record.account.currency;
    let page = ctx.app.consumption(AccountId(a.account), &a.range())?;
    if a.csv {
        if let Some(n) = page.next {
            eprintln!("more rows: --after {n}");
        }
        return Ok(Out::raw(statements::consumption_csv(&page.rows)));
    }
    let mut t =
        Table::new(&[">charge", "bill date", "workspace", "bill", "category", ">amount", "paid by", "reversed"]);
    for c in &page.rows {
        let ch = &c.charge;
        let paid_by: Vec<String> = ch
            .deductions
            .iter()
            .map(|d| format!("{} {}", d.class.as_str(), coffer_core::money::format_minor(d.amount.minor(), cur)))
            .collect();
        t.row(vec![
            c.id.to_string(),
            ch.bill_date.to_string(),
            ch.workspace_id.to_string(),
            ch.bill_id.to_string(),
            ch.category.as_str().to_owned(),
            money(ch.amount.minor(), cur),
            paid_by.join(", "),
            if c.reversal.is_some() { "yes" } else { "" }.to_owned(),
        ]);
    }
    let rows: Vec<Value> = page.rows.iter().map(|c| output::charge_json(c, false)).collect();
    let json = json!({ "account_id": a.account, "currency": cur.code(), "rows": rows, "next_cursor": page.next });
    let body = if t.is_empty() { "No charges.\n".to_owned() } else { t.render(0) };
    Ok(Out::new(json, body + &next_note(page.next)))
}

fn monthly(ctx: &Ctx, account: i64, month: &str, csv: bool) -> CliResult<Out> {
    let cur = ctx.account(account)?.account.currency;
    let lines = ctx.app.monthly_bill(AccountId(account), month)?;
    if csv {
        return Ok(Out::raw(statements::monthly_bill_csv(month, &lines, cur)));
    }
    let mut headers = vec!["workspace", "category", ">charges", ">amount"];
    let classes: Vec<String> = InstrumentClass::ALL.iter().map(|c| format!(">{}", c.as_str())).collect();
    headers.extend(classes.iter().map(String::as_str));
    let mut t = Table::new(&headers);
    let mut rows = Vec::new();
    let mut total = 0i64;
    for l in &lines {
        total += l.amount_minor;
        let mut row = vec![
            l.workspace_id.clone(),
            l.category.as_str().to_owned(),
            l.charges.to_string(),
            coffer_core::money::format_minor(l.amount_minor, cur),
        ];
        let mut by_class = serde_json::Map::new();
        for class in InstrumentClass::ALL {
            let minor = l.by_class_minor.get(&class).copied().unwrap_or(0);
            row.push(coffer_core::money::format_minor(minor, cur));
            by_class.insert(class.as_str().to_owned(), json!(minor));
        }
        t.row(row);
        rows.push(json!({
            "workspace_id": l.workspace_id,
            "category": l.category.as_str(),
            "charges": l.charges,
            "amount_minor": l.amount_minor,
            "by_class_minor": by_class,
        }));
    }
    let json =
        json!({ "account_id": account, "month": month, "currency": cur.code(), "total_minor": total, "lines": rows });
    let text = if t.is_empty() {
        format!("No charges with bill dates in {month}.\n")
    } else {
        format!(
            "Monthly bill {month} of account {account} (amounts in {cur}):\n{}  total {}\n",
            t.render(2),
            money(total, cur)
        )
    };
    Ok(Out::new(json, text))
}
