//! CSV statements (RFC 4180) with a fixed column mapping, documented in this
//! crate's README and in docs/bank-statements.md:
//!
//! | column | required | content |
//! |---|---|---|
//! | `bank_transaction_id` | yes | the bank's id for the transaction (letters, digits, `-_.:`, ≤ 128) |
//! | `value_date` | yes | `YYYY-MM-DD` |
//! | `amount` | yes | positive decimal in major units, `1234.56` |
//! | `currency` | yes | `CNY` or `USD` |
//! | `direction` | yes | `credit` or `debit` (`CRDT`/`DBIT` too) |
//! | `payer` | yes | the payer's name; may be empty |
//! | `reference` | yes | the remittance text; may be empty |
//! | `status` | no | `booked` (default when empty or absent) or `pending` (`BOOK`/`PDNG` too) |
//!
//! The first non-blank line is the header; columns are found by name (any order,
//! case-insensitive), other columns are ignored. Errors name the line a row starts
//! on, the header being line 1.

use crate::fields::{self, shown, Checks};
use crate::{CreditDebit, Entry, RowError, Statement};

pub const REQUIRED_COLUMNS: [&str; 7] =
    ["bank_transaction_id", "value_date", "amount", "currency", "direction", "payer", "reference"];
pub const OPTIONAL_COLUMNS: [&str; 1] = ["status"];

/// Parses a CSV statement.
pub fn parse(text: &str) -> Statement {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Splitter::new(text).filter(|r| !r.is_blank());
    let Some(header) = records.next() else {
        return Statement::unreadable("header", format!("the file is empty; expected a header {}", expected()));
    };
    let columns = match header.fields.clone().and_then(|names| Columns::find(&names)) {
        Ok(columns) => columns,
        Err(message) => return Statement::unreadable("header", message),
    };
    let mut statement = Statement::default();
    for record in records {
        match columns.entry(&record) {
            Ok(entry) => statement.entries.push(entry),
            Err(errors) => statement.errors.extend(errors),
        }
    }
    statement.bounded()
}

fn expected() -> String {
    format!("row naming the columns {},[{}]", REQUIRED_COLUMNS.join(","), OPTIONAL_COLUMNS.join(","))
}

/// One record: the line it starts on and its fields, or why it could not be split.
#[derive(Debug)]
struct Record {
    line: usize,
    fields: Result<Vec<String>, String>,
}

impl Record {
    /// Empty lines and all-empty rows (spreadsheets export them) carry nothing.
    fn is_blank(&self) -> bool {
        self.fields.as_ref().is_ok_and(|f| f.iter().all(|x| x.trim().is_empty()))
    }
}

/// Where each column is.
struct Columns {
    width: usize,
    at: [usize; 7],
    status: Option<usize>,
}

impl Columns {
    fn find(names: &[String]) -> Result<Columns, String> {
        let names: Vec<String> = names.iter().map(|n| n.trim().to_ascii_lowercase()).collect();
        if let Some(dup) = names.iter().enumerate().find(|(i, n)| !n.is_empty() && names[..*i].contains(n)) {
            return Err(format!("the header names column {} twice", dup.1));
        }
        let position = |name: &str| names.iter().position(|n| n == name);
        let missing: Vec<&str> = REQUIRED_COLUMNS.into_iter().filter(|c| position(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(format!("the header lacks {}; expected a header {}", missing.join(", "), expected()));
        }
        let mut at = [0; 7];
        for (slot, name) in at.iter_mut().zip(REQUIRED_COLUMNS) {
            *slot = position(name).unwrap_or_default();
        }
        Ok(Columns { width: names.len(), at, status: position("status") })
    }

    fn entry(&self, record: &Record) -> Result<Entry, Vec<RowError>> {
        let line = record.line;
        let fields = record.fields.as_ref().map_err(|e| vec![RowError::new(line, "row", e.clone())])?;
        if fields.len() != self.width {
            let message = format!("expected {} fields as in the header, found {}", self.width, fields.len());
            return Err(vec![RowError::new(line, "row", message)]);
        }
        let cell = |i: usize| fields[self.at[i]].as_str();
        let mut c = Checks::new(line);
        let id = c.check("bank_transaction_id", fields::transaction_id(cell(0)));
        let value_date = c.check("value_date", fields::date(cell(1)));
        let amount = c.check("amount", fields::amount(cell(2)));
        let currency = c.check("currency", fields::currency(cell(3)));
        let direction = c.check("direction", direction(cell(4)));
        let payer = c.check("payer", fields::text(cell(5), fields::PAYER_MAX_CHARS));
        let reference = c.check("reference", fields::text(cell(6), fields::REFERENCE_MAX_CHARS));
        let booked = c.check("status", booked(self.status.map_or("", |i| fields[i].as_str())));
        let entry = (|| {
            Some(Entry {
                index: line,
                bank_transaction_id: id?,
                amount_minor: amount?,
                currency: currency?,
                value_date: value_date?,
                payer: payer?,
                reference: reference?,
                credit_or_debit: direction?,
                booked: booked?,
            })
        })();
        entry.ok_or(c.errors)
    }
}

fn direction(raw: &str) -> Result<CreditDebit, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "credit" | "crdt" => Ok(CreditDebit::Credit),
        "debit" | "dbit" => Ok(CreditDebit::Debit),
        _ => Err(format!("{} is not credit or debit", shown(raw.trim()))),
    }
}

fn booked(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "booked" | "book" => Ok(true),
        "pending" | "pdng" => Ok(false),
        _ => Err(format!("{} is not booked or pending", shown(raw.trim()))),
    }
}

/// Splits text into RFC 4180 records: fields separated by commas, records by CRLF
/// or LF, fields optionally quoted with `"`, a quote inside a quoted field written
/// twice, line breaks allowed inside quotes. A malformed record is reported and
/// skipped to the end of its line; the rest of the file is still read.
struct Splitter<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

/// What follows a field.
enum After {
    Comma,
    EndOfRecord,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str) -> Splitter<'a> {
        Splitter { chars: text.chars().peekable(), line: 1 }
    }

    fn field(&mut self) -> Result<(String, After), String> {
        if self.chars.peek() == Some(&'"') {
            self.chars.next();
            return self.quoted();
        }
        let mut field = String::new();
        loop {
            match self.chars.peek().copied() {
                Some(',') => {
                    self.chars.next();
                    return Ok((field, After::Comma));
                }
                None | Some('\n' | '\r') => return Ok((field, After::EndOfRecord)),
                Some('"') => {
                    return Err("a quote inside an unquoted field: quote the whole field and double the quote".into())
                }
                Some(c) => {
                    self.chars.next();
                    field.push(c);
                }
            }
        }
    }

    fn quoted(&mut self) -> Result<(String, After), String> {
        let mut field = String::new();
        loop {
            match self.chars.next() {
                None => return Err("a quoted field is not closed before the end of the file".into()),
                Some('"') if self.chars.peek() == Some(&'"') => {
                    self.chars.next();
                    field.push('"');
                }
                Some('"') => break,
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
        match self.chars.peek().copied() {
            Some(',') => {
                self.chars.next();
                Ok((field, After::Comma))
            }
            None | Some('\n' | '\r') => Ok((field, After::EndOfRecord)),
            Some(c) => Err(format!("unexpected {c:?} after a closing quote")),
        }
    }

    /// Consumes CRLF, LF or CR.
    fn end_line(&mut self) {
        self.chars.next_if_eq(&'\r');
        self.chars.next_if_eq(&'\n');
        self.line += 1;
    }

    fn skip_rest_of_line(&mut self) {
        while self.chars.next_if(|c| *c != '\n' && *c != '\r').is_some() {}
        self.end_line();
    }

    fn record(&mut self) -> Record {
        let line = self.line;
        let mut fields = Vec::new();
        loop {
            match self.field() {
                Ok((field, After::Comma)) => fields.push(field),
                Ok((field, After::EndOfRecord)) => {
                    fields.push(field);
                    self.end_line();
                    return Record { line, fields: Ok(fields) };
                }
                Err(message) => {
                    self.skip_rest_of_line();
                    return Record { line, fields: Err(message) };
                }
            }
        }
    }
}

impl Iterator for Splitter<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        self.chars.peek()?;
        Some(self.record())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(usize, Result<Vec<String>, String>)> {
        Splitter::new(text).map(|r| (r.line, r.fields)).collect()
    }

    fn ok(fields: &[&str]) -> Result<Vec<String>, String> {
        Ok(fields.iter().map(|f| (*f).to_owned()).collect())
    }

    #[test]
    fn quoted_fields_may_hold_commas_quotes_and_line_breaks() {
        let records = split("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",x,\n3,4,5");
        assert_eq!(records[0], (1, ok(&["a", "b,c", "say \"hi\""])));
        assert_eq!(records[1], (2, ok(&["two\nlines", "x", ""])));
        assert_eq!(records[2], (4, ok(&["3", "4", "5"])), "the third record starts on line 4");
    }

    #[test]
    fn a_malformed_record_is_reported_and_the_next_line_still_read() {
        let records = split("a,b\"c,d\n\"x\"y,z\nok,fine\n");
        assert!(records[0].1.is_err());
        assert!(records[1].1.is_err());
        assert_eq!(records[2], (3, ok(&["ok", "fine"])));
    }

    #[test]
    fn an_unclosed_quote_swallows_the_rest_of_the_file_and_says_so() {
        let records = split("a,b\n\"open,c\nd,e\n");
        assert_eq!(records.len(), 2);
        assert!(records[1].1.as_ref().is_err_and(|e| e.contains("not closed")));
    }

    #[test]
    fn the_header_may_list_columns_in_any_order_with_extra_ones() {
        let text = "Reference,Amount,extra,Currency,VALUE_DATE,direction,payer,bank_transaction_id\n\
                    CF18,10.00,x,CNY,2026-11-25,credit,ACME,TX1\n";
        let statement = parse(text);
        assert_eq!(statement.errors, vec![]);
        assert_eq!(statement.entries[0].amount_minor, 1_000);
        assert_eq!(statement.entries[0].reference, "CF18");
        assert!(statement.entries[0].booked, "no status column means booked");
    }

    #[test]
    fn a_header_lacking_columns_makes_the_file_unreadable() {
        let statement = parse("bank_transaction_id,amount\nTX1,10\n");
        assert!(statement.entries.is_empty());
        assert_eq!(statement.errors.len(), 1);
        assert_eq!((statement.errors[0].index, statement.errors[0].field), (0, "header"));
        assert!(statement.errors[0].message.contains("value_date"), "{}", statement.errors[0].message);
    }

    #[test]
    fn an_empty_file_is_unreadable() {
        assert_eq!(parse("").errors[0].field, "header");
        assert_eq!(parse("\u{feff}\r\n\n").errors[0].field, "header");
    }
}
