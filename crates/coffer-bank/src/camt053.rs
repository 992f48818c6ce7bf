//! ISO 20022 camt.053 (BankToCustomerStatement), versions 001.02 to 001.13: every
//! `Document/BkToCstmrStmt/Stmt/Ntry` is one entry. Namespace prefixes and the
//! version are not checked; the element names are.
//!
//! | entry field | read from (relative to `Ntry`, first found wins) |
//! |---|---|
//! | amount, currency | `Amt` and its `Ccy` attribute |
//! | credit or debit | `CdtDbtInd`: `CRDT` or `DBIT` |
//! | booked | `Sts` (001.02–07) or `Sts/Cd` (001.08+): `BOOK`; `PDNG`, `INFO`, `FUTR` are not booked |
//! | value date | `ValDt/Dt`, `ValDt/DtTm`, else `BookgDt/Dt`, `BookgDt/DtTm` |
//! | bank transaction id | `NtryDtls/TxDtls/Refs/AcctSvcrRef`, `AcctSvcrRef`, `NtryRef` |
//! | reference | `NtryDtls/TxDtls/RmtInf/Strd/CdtrRefInf/Ref` and every `RmtInf/Ustrd`, joined; else `AddtlTxInf`, `AddtlNtryInf` |
//! | payer | `NtryDtls/TxDtls/RltdPties/Dbtr/Nm` or `.../Dbtr/Pty/Nm`; may be absent |
//!
//! An entry batching several transactions (more than one `TxDtls`) is refused: its
//! transactions would each need an id and an amount of their own.
//! Malformed XML makes the whole document unreadable; no entity is ever expanded.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::fields::{self, shown, Checks};
use crate::{CreditDebit, Entry, RowError, Statement};

/// Deeper nesting than any statement needs is refused rather than followed.
const MAX_DEPTH: usize = 64;
const ENTRY_PATH: [&str; 4] = ["Document", "BkToCstmrStmt", "Stmt", "Ntry"];
const ID_PATHS: [&str; 3] = ["NtryDtls/TxDtls/Refs/AcctSvcrRef", "AcctSvcrRef", "NtryRef"];
const DATE_PATHS: [&str; 4] = ["ValDt/Dt", "ValDt/DtTm", "BookgDt/Dt", "BookgDt/DtTm"];
const PAYER_PATHS: [&str; 2] = ["NtryDtls/TxDtls/RltdPties/Dbtr/Nm", "NtryDtls/TxDtls/RltdPties/Dbtr/Pty/Nm"];
const REMITTANCE_PATHS: [&str; 2] = ["NtryDtls/TxDtls/RmtInf/Strd/CdtrRefInf/Ref", "NtryDtls/TxDtls/RmtInf/Ustrd"];
const FALLBACK_REFERENCE_PATHS: [&str; 2] = ["NtryDtls/TxDtls/AddtlTxInf", "AddtlNtryInf"];
const ACCOUNT_PATHS: [&str; 2] = ["Acct/Id/IBAN", "Acct/Id/Othr/Id"];

/// Parses a camt.053 document.
pub fn parse(text: &str) -> Statement {
    match Walker::default().walk(text) {
        Ok(statement) => statement.bounded(),
        Err(message) => Statement::unreadable("document", message),
    }
}

/// The leaf values of one `Ntry`, by path relative to it (`Amt`, `Amt@Ccy`,
/// `NtryDtls/TxDtls/RmtInf/Ustrd`), in document order.
#[derive(Debug, Default)]
struct RawEntry {
    index: usize,
    values: Vec<(String, String)>,
    transactions: usize,
}

impl RawEntry {
    fn first(&self, paths: &[&str]) -> Option<&str> {
        paths.iter().find_map(|p| self.values.iter().find(|(k, _)| k == p).map(|(_, v)| v.as_str()))
    }

    fn all(&self, paths: &[&str]) -> Vec<&str> {
        self.values.iter().filter(|(k, _)| paths.contains(&k.as_str())).map(|(_, v)| v.as_str()).collect()
    }
}

/// Walks the document keeping the element path, collecting entries and the
/// statement's account numbers.
#[derive(Default)]
struct Walker {
    path: Vec<String>,
    /// The text of the element being read.
    text: String,
    entry: Option<RawEntry>,
    entries_seen: usize,
    is_statement: bool,
    statement: Statement,
}

impl Walker {
    fn walk(mut self, text: &str) -> Result<Statement, String> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().expand_empty_elements = true;
        loop {
            let event = reader.read_event().map_err(|e| malformed(text, reader.error_position(), &e))?;
            match event {
                Event::Start(e) => self.start(&e)?,
                Event::End(_) => self.end(),
                Event::Text(t) => {
                    self.text.push_str(&t.unescape().map_err(|e| malformed(text, reader.buffer_position(), &e))?)
                }
                Event::CData(c) => self.text.push_str(&String::from_utf8_lossy(&c)),
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some(open) = self.path.last() {
            return Err(format!("the document ends inside <{open}>"));
        }
        if !self.is_statement {
            return Err("not a camt.053 statement: no <Document><BkToCstmrStmt>".to_owned());
        }
        Ok(self.statement)
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), String> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        if self.path.len() >= MAX_DEPTH {
            return Err(format!("elements are nested deeper than {MAX_DEPTH} levels"));
        }
        if self.path.is_empty() && name != "Document" {
            return Err(format!("the root element is <{name}>, not <Document>"));
        }
        self.path.push(name);
        self.text.clear();
        if self.at(&ENTRY_PATH[..2]) {
            self.is_statement = true;
        }
        if self.at(&ENTRY_PATH) {
            self.entries_seen += 1;
            self.entry = Some(RawEntry { index: self.entries_seen, ..RawEntry::default() });
        }
        let relative = self.entry_relative();
        if let (Some(entry), Some(relative)) = (self.entry.as_mut(), relative) {
            if relative == "NtryDtls/TxDtls" {
                entry.transactions += 1;
            }
            if let Ok(Some(ccy)) = e.try_get_attribute("Ccy") {
                let value = ccy.unescape_value().map_err(|e| format!("malformed Ccy attribute: {e}"))?;
                entry.values.push((format!("{relative}@Ccy"), value.into_owned()));
            }
        }
        Ok(())
    }

    fn end(&mut self) {
        let text = std::mem::take(&mut self.text);
        let relative = self.entry_relative();
        if let (Some(entry), Some(relative)) = (self.entry.as_mut(), relative) {
            if !relative.is_empty() && !text.trim().is_empty() {
                entry.values.push((relative, text.clone()));
            }
        }
        if let Some(relative) = self.statement_relative() {
            if ACCOUNT_PATHS.contains(&relative.as_str()) {
                let account = text.trim().to_owned();
                if !account.is_empty() && !self.statement.accounts.contains(&account) {
                    self.statement.accounts.push(account);
                }
            }
        }
        if self.at(&ENTRY_PATH) {
            if let Some(raw) = self.entry.take() {
                match entry(&raw) {
                    Ok(entry) => self.statement.entries.push(entry),
                    Err(errors) => self.statement.errors.extend(errors),
                }
            }
        }
        self.path.pop();
    }

    fn at(&self, path: &[&str]) -> bool {
        self.path.len() == path.len() && self.path.iter().zip(path).all(|(a, b)| a == b)
    }

    /// The current path below `Ntry` ("" at the `Ntry` itself), if inside one.
    fn entry_relative(&self) -> Option<String> {
        self.relative(&ENTRY_PATH)
    }

    /// The current path below `Stmt`, if inside one.
    fn statement_relative(&self) -> Option<String> {
        self.relative(&ENTRY_PATH[..3])
    }

    fn relative(&self, prefix: &[&str]) -> Option<String> {
        let inside = self.path.len() >= prefix.len() && self.path.iter().zip(prefix).all(|(a, b)| a == b);
        inside.then(|| self.path[prefix.len()..].join("/"))
    }
}

fn malformed(text: &str, position: u64, error: &dyn std::fmt::Display) -> String {
    let at = usize::try_from(position).unwrap_or(usize::MAX).min(text.len());
    let line = text.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
    format!("malformed XML at line {line}: {error}")
}

/// Turns one entry's values into an [`Entry`], or says every field that is wrong.
fn entry(raw: &RawEntry) -> Result<Entry, Vec<RowError>> {
    let index = raw.index;
    if raw.transactions > 1 {
        let message = format!(
            "a batched entry of {} transactions; Coffer credits one transaction per entry: record them one by one",
            raw.transactions
        );
        return Err(vec![RowError::new(index, "transactions", message)]);
    }
    let mut c = Checks::new(index);
    let id = c.check("bank_transaction_id", required(raw, &ID_PATHS).and_then(fields::transaction_id));
    let amount = c.check("amount", required(raw, &["Amt"]).and_then(fields::amount));
    let currency = c.check("currency", required(raw, &["Amt@Ccy"]).and_then(fields::currency));
    let direction = c.check("credit_or_debit", required(raw, &["CdtDbtInd"]).and_then(direction));
    let booked = c.check("booked", required(raw, &["Sts", "Sts/Cd"]).and_then(booked));
    let value_date = c.check("value_date", required(raw, &DATE_PATHS).and_then(fields::date));
    let payer = c.check("payer", fields::text(raw.first(&PAYER_PATHS).unwrap_or(""), fields::PAYER_MAX_CHARS));
    let reference = c.check("reference", fields::text(&reference(raw), fields::REFERENCE_MAX_CHARS));
    let entry = (|| {
        Some(Entry {
            index,
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

fn required<'a>(raw: &'a RawEntry, paths: &[&str]) -> Result<&'a str, String> {
    raw.first(paths).ok_or_else(|| format!("<{}> is missing", paths.join("> or <")))
}

fn direction(raw: &str) -> Result<CreditDebit, String> {
    match raw.trim() {
        "CRDT" => Ok(CreditDebit::Credit),
        "DBIT" => Ok(CreditDebit::Debit),
        other => Err(format!("CdtDbtInd {} is not CRDT or DBIT", shown(other))),
    }
}

fn booked(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "BOOK" => Ok(true),
        "PDNG" | "INFO" | "FUTR" => Ok(false),
        other => Err(format!("status {} is not BOOK, PDNG, INFO or FUTR", shown(other))),
    }
}

/// The remittance lines joined, where payers quote their reference; the
/// additional information where a bank puts it instead.
fn reference(raw: &RawEntry) -> String {
    let lines = raw.all(&REMITTANCE_PATHS);
    let lines = if lines.is_empty() { raw.all(&FALLBACK_REFERENCE_PATHS) } else { lines };
    lines.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Acct><Id><Othr><Id>6222 0001</Id></Othr></Id></Acct>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="CNY">1234.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-24</Dt></BookgDt><ValDt><DtTm>2026-11-25T09:00:00+08:00</DtTm></ValDt>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>BANK-77</AcctSvcrRef></Refs>
<RltdPties><Dbtr><Pty><Nm>ACME &amp; Sons</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>Invoice 7</Ustrd><Ustrd>CF18</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;

    #[test]
    fn an_entry_is_read_from_the_documented_elements() {
        let statement = parse(ONE);
        assert_eq!(statement.errors, vec![]);
        let e = &statement.entries[0];
        assert_eq!(e.bank_transaction_id, "BANK-77", "the transaction's AcctSvcrRef wins over NtryRef");
        assert_eq!(e.amount_minor, 123_450);
        assert_eq!(e.value_date.to_string(), "2026-11-25");
        assert_eq!(e.payer, "ACME & Sons");
        assert_eq!(e.reference, "Invoice 7 CF18");
        assert!(e.is_booked_credit());
        assert_eq!(statement.accounts, vec!["6222 0001".to_owned()]);
    }

    #[test]
    fn namespace_prefixes_are_ignored() {
        let prefixed = ONE.replace("<", "<c:").replace("<c:/", "</c:").replace("<c:?xml", "<?xml");
        let prefixed = prefixed.replace("xmlns=", "xmlns:c=");
        let statement = parse(&prefixed);
        assert_eq!(statement.errors, vec![]);
        assert_eq!(statement.entries.len(), 1);
    }

    #[test]
    fn malformed_xml_makes_the_whole_document_unreadable() {
        let statement = parse(&ONE.replace("</Amt>", "</Amount>"));
        assert!(statement.entries.is_empty());
        assert_eq!(statement.errors[0].field, "document");
        assert!(statement.errors[0].message.contains("line 4"), "{}", statement.errors[0].message);
        assert_eq!(parse(&ONE[..ONE.len() - 20]).errors[0].field, "document");
    }

    #[test]
    fn other_documents_are_not_statements() {
        assert!(parse("<Document><BkToCstmrDbtCdtNtfctn/></Document>").errors[0].message.contains("not a camt.053"));
        assert!(parse("<html/>").errors[0].message.contains("<html>"));
        assert!(parse("").errors[0].message.contains("not a camt.053"));
    }

    #[test]
    fn a_batched_entry_is_refused_with_its_index() {
        let batched = ONE.replace("</TxDtls></NtryDtls>", "</TxDtls><TxDtls/></NtryDtls>");
        let statement = parse(&batched);
        assert_eq!(statement.errors[0].index, 1);
        assert_eq!(statement.errors[0].field, "transactions");
    }
}
