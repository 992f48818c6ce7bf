//! Statements (DOMAIN §8): income & expenditure (every balance change of cash,
//! arrears, vouchers and cards), consumption details (per charge), monthly bills
//! (per workspace and category), each as data and as CSV.

use std::collections::BTreeMap;

use coffer_core::ids::AccountId;
use coffer_core::money::format_minor;
use coffer_core::policy::{Category, InstrumentClass};
use coffer_core::time::YearMonth;
use coffer_store::records::{ChargeRecord, PageQuery, StatementLine};
use coffer_store::Reads;

use crate::error::{AppError, AppResult};
use crate::{input, tz, App};

/// The most rows one page returns.
pub const PAGE_MAX: u32 = 1_000;

/// A time filter as entered: inclusive civil dates in the account's time zone.
#[derive(Clone, Copy, Debug, Default)]
pub struct Range<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// The cursor returned with the previous page.
    pub after: Option<i64>,
    pub limit: u32,
}

pub struct Page<T> {
    pub rows: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<i64>,
}

/// One row of a monthly bill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlyBillLine {
    pub workspace_id: String,
    pub category: Category,
    pub charges: u32,
    pub amount_minor: i64,
    /// How much each instrument class paid, in policy order.
    pub by_class_minor: BTreeMap<InstrumentClass, i64>,
}

fn page_query(reads: &mut dyn Reads, account: AccountId, range: &Range<'_>) -> AppResult<PageQuery> {
    let record = input::account(reads, account)?;
    let zone = tz::zone(&record.account.time_zone)?;
    let from = range.from.map(|d| input::date("from", d).and_then(|d| tz::start_of_day(d, &zone))).transpose()?;
    let until = range.to.map(|d| input::date("to", d).and_then(|d| tz::end_of_day(d, &zone))).transpose()?;
    if range.limit == 0 || range.limit > PAGE_MAX {
        return Err(AppError::invalid("limit", format!("must be 1 to {PAGE_MAX}")));
    }
    Ok(PageQuery { from, until, after: range.after, limit: range.limit })
}

impl App {
    pub fn income_expenditure(&self, account: AccountId, range: &Range<'_>) -> AppResult<Page<StatementLine>> {
        self.read(|r| {
            let q = page_query(r, account, range)?;
            let rows = r.statement_lines(account, &q)?;
            let next = (rows.len() == q.limit as usize).then(|| rows.last().map(|l| l.line_id)).flatten();
            Ok(Page { rows, next })
        })
    }

    pub fn consumption(&self, account: AccountId, range: &Range<'_>) -> AppResult<Page<ChargeRecord>> {
        self.read(|r| {
            let q = page_query(r, account, range)?;
            let rows = r.charges_of(account, &q)?;
            let next = (rows.len() == q.limit as usize).then(|| rows.last().map(|c| c.id.0)).flatten();
            Ok(Page { rows, next })
        })
    }

    /// The bill of one month: charges whose bill date falls in it, by workspace and
    /// category. Reversed charges are left out.
    pub fn monthly_bill(&self, account: AccountId, month: &str) -> AppResult<Vec<MonthlyBillLine>> {
        let month = YearMonth::parse(month).ok_or_else(|| AppError::invalid("month", "must be YYYY-MM"))?;
        self.read(|r| {
            input::account(r, account)?;
            let mut lines: BTreeMap<(String, &'static str), MonthlyBillLine> = BTreeMap::new();
            let mut q = PageQuery { limit: PAGE_MAX, ..PageQuery::default() };
            loop {
                let charges = r.charges_of(account, &q)?;
                for c in &charges {
                    add_to_bill(&mut lines, c, month);
                }
                match charges.last() {
                    Some(last) if charges.len() == PAGE_MAX as usize => q.after = Some(last.id.0),
                    _ => break,
                }
            }
            Ok(lines.into_values().collect())
        })
    }
}

fn add_to_bill(lines: &mut BTreeMap<(String, &'static str), MonthlyBillLine>, c: &ChargeRecord, month: YearMonth) {
    let ch = &c.charge;
    if c.reversal.is_some() || ch.bill_date.year_month() != month {
        return;
    }
    let key = (ch.workspace_id.to_string(), ch.category.as_str());
    let line = lines.entry(key).or_insert_with(|| MonthlyBillLine {
        workspace_id: ch.workspace_id.to_string(),
        category: ch.category,
        charges: 0,
        amount_minor: 0,
        by_class_minor: BTreeMap::new(),
    });
    line.charges += 1;
    line.amount_minor += ch.amount.minor();
    for d in &ch.deductions {
        *line.by_class_minor.entry(d.class).or_insert(0) += d.amount.minor();
    }
}

/// Quotes a CSV field when it needs it (RFC 4180), and defuses spreadsheet formulas.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv_row(fields: &[String]) -> String {
    let mut row = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
    row.push_str("\r\n");
    row
}

pub fn income_expenditure_csv(lines: &[StatementLine], currency: coffer_core::money::Currency) -> String {
    let mut out = csv_row(
        &[
            "time_ms",
            "journal_tx_id",
            "kind",
            "instrument",
            "instrument_id",
            "amount",
            "balance_after",
            "currency",
            "memo",
        ]
        .map(String::from),
    );
    for l in lines {
        out.push_str(&csv_row(&[
            l.at.0.to_string(),
            l.journal_tx_id.to_string(),
            l.kind.as_str().to_owned(),
            l.book.as_str().to_owned(),
            l.instrument_id.to_string(),
            format_minor(l.amount_minor, currency),
            format_minor(l.balance_after_minor, currency),
            currency.code().to_owned(),
            l.memo.clone(),
        ]));
    }
    out
}

pub fn consumption_csv(charges: &[ChargeRecord]) -> String {
    let mut out = csv_row(
        &[
            "charge_id",
            "bill_date",
            "workspace_id",
            "bill_id",
            "category",
            "settlement",
            "amount",
            "currency",
            "deductions",
            "reversed",
        ]
        .map(String::from),
    );
    for c in charges {
        let ch = &c.charge;
        let deductions: Vec<String> = ch
            .deductions
            .iter()
            .map(|d| format!("{}={}", d.class.as_str(), format_minor(d.amount.minor(), ch.currency)))
            .collect();
        out.push_str(&csv_row(&[
            c.id.to_string(),
            ch.bill_date.to_string(),
            ch.workspace_id.to_string(),
            ch.bill_id.to_string(),
            ch.category.as_str().to_owned(),
            ch.settlement.as_str().to_owned(),
            format_minor(ch.amount.minor(), ch.currency),
            ch.currency.code().to_owned(),
            deductions.join(";"),
            c.reversal.is_some().to_string(),
        ]));
    }
    out
}

pub fn monthly_bill_csv(month: &str, lines: &[MonthlyBillLine], currency: coffer_core::money::Currency) -> String {
    let mut header: Vec<String> = ["month", "workspace_id", "category", "charges", "amount"].map(String::from).to_vec();
    header.extend(InstrumentClass::ALL.iter().map(|c| c.as_str().to_owned()));
    let mut out = csv_row(&header);
    for l in lines {
        let mut row = vec![
            month.to_owned(),
            l.workspace_id.clone(),
            l.category.as_str().to_owned(),
            l.charges.to_string(),
            format_minor(l.amount_minor, currency),
        ];
        row.extend(InstrumentClass::ALL.iter().map(|c| format_minor(*l.by_class_minor.get(c).unwrap_or(&0), currency)));
        out.push_str(&csv_row(&row));
    }
    out
}
