//! The sample statements in `tests/fixtures/` parse as documented.

use coffer_bank::{parse, CreditDebit, Entry, Format, RowError};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ids(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.bank_transaction_id.as_str()).collect()
}

fn where_(errors: &[RowError]) -> Vec<(usize, &str)> {
    errors.iter().map(|e| (e.index, e.field)).collect()
}

#[test]
fn the_sample_csv_gives_every_row_with_its_direction_and_status() {
    let statement = parse(Format::Csv, &fixture("statement.csv"));
    assert_eq!(statement.errors, vec![]);
    assert_eq!(ids(&statement.entries), vec!["TX-1001", "TX-1002", "TX-1003", "TX-1004", "TX-1005"]);
    let first = &statement.entries[0];
    assert_eq!((first.index, first.amount_minor, first.payer.as_str()), (2, 150_000, "ACME Trading Co., Ltd."));
    assert_eq!(statement.entries[1].amount_minor, 30_050);
    assert_eq!(statement.entries[3].credit_or_debit, CreditDebit::Debit);
    assert!(!statement.entries[4].booked);
    let credits = statement.entries.iter().filter(|e| e.is_booked_credit()).count();
    assert_eq!(credits, 3);
}

#[test]
fn broken_csv_rows_are_reported_by_line_and_field_and_good_rows_kept() {
    let statement = parse(Format::Csv, &fixture("broken.csv"));
    assert_eq!(ids(&statement.entries), vec!["TX-2001", "TX-2008"]);
    assert_eq!(
        where_(&statement.errors),
        vec![
            (3, "amount"),
            (4, "value_date"),
            (5, "bank_transaction_id"),
            (6, "row"),
            (7, "direction"),
            (8, "currency")
        ]
    );
    assert!(statement.errors[0].message.contains("\"12,50\""), "{}", statement.errors[0].message);
    assert!(statement.errors[3].message.contains("expected 8 fields"), "{}", statement.errors[3].message);
}

#[test]
fn the_sample_camt053_gives_every_entry_and_the_statement_account() {
    let statement = parse(Format::Camt053, &fixture("statement.camt053.xml"));
    assert_eq!(statement.errors, vec![]);
    assert_eq!(ids(&statement.entries), vec!["CAMT-3001", "CAMT-3002", "CAMT-3003", "CAMT-3004", "CAMT-3005"]);
    assert_eq!(statement.accounts, vec!["1001234567890001".to_owned()]);
    let first = &statement.entries[0];
    assert_eq!((first.amount_minor, first.reference.as_str()), (200_000, "Wallet recharge ref CF18"));
    assert_eq!(statement.entries[1].reference, "CF26", "AddtlNtryInf stands in for missing remittance info");
    assert_eq!(statement.entries[1].value_date.to_string(), "2026-11-25", "the booking date stands in");
    assert_eq!(statement.entries[2].credit_or_debit, CreditDebit::Debit);
    assert!(!statement.entries[3].booked);
    assert_eq!(statement.entries.iter().map(|e| e.index).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
}

#[test]
fn the_version_two_layout_is_read_too() {
    let statement = parse(Format::Camt053, &fixture("statement-v02.camt053.xml"));
    assert_eq!(statement.errors, vec![]);
    let e = &statement.entries[0];
    assert_eq!(e.bank_transaction_id, "V02-4001", "the entry's AcctSvcrRef");
    assert_eq!((e.amount_minor, e.currency.code()), (7_500, "USD"));
    assert_eq!((e.payer.as_str(), e.reference.as_str()), ("Delta Inc.", "CF34"));
    assert!(e.is_booked_credit());
    assert_eq!(e.value_date.to_string(), "2026-11-25");
}

#[test]
fn broken_camt053_entries_are_reported_by_position_and_field_and_good_ones_kept() {
    let statement = parse(Format::Camt053, &fixture("broken.camt053.xml"));
    assert_eq!(ids(&statement.entries), vec!["CAMT-5001"]);
    assert_eq!(
        where_(&statement.errors),
        vec![
            (2, "amount"),
            (2, "currency"),
            (3, "currency"),
            (4, "credit_or_debit"),
            (4, "value_date"),
            (5, "transactions"),
            (6, "bank_transaction_id"),
            (6, "amount")
        ]
    );
    assert!(statement.errors[0].message.contains("<Amt> is missing"), "{}", statement.errors[0].message);
}

#[test]
fn a_malformed_camt053_document_gives_no_entries_and_one_error_with_its_line() {
    let statement = parse(Format::Camt053, &fixture("malformed.camt053.xml"));
    assert!(statement.entries.is_empty());
    assert_eq!(where_(&statement.errors), vec![(0, "document")]);
    assert!(statement.errors[0].message.contains("line 7"), "{}", statement.errors[0].message);
}

#[test]
fn a_file_in_the_other_format_is_unreadable_not_half_read() {
    let csv_as_xml = parse(Format::Camt053, &fixture("statement.csv"));
    assert!(csv_as_xml.entries.is_empty());
    assert_eq!(csv_as_xml.errors.len(), 1);
    let xml_as_csv = parse(Format::Csv, &fixture("statement.camt053.xml"));
    assert!(xml_as_csv.entries.is_empty());
    assert_eq!(where_(&xml_as_csv.errors), vec![(0, "header")]);
}

#[test]
fn a_statement_over_the_entry_limit_is_refused_whole() {
    let mut text = String::from("bank_transaction_id,value_date,amount,currency,direction,payer,reference\n");
    for i in 0..=coffer_bank::MAX_ENTRIES {
        text.push_str(&format!("T{i},2026-11-25,1.00,CNY,credit,P,R\n"));
    }
    let statement = parse(Format::Csv, &text);
    assert!(statement.entries.is_empty());
    assert!(statement.errors[0].message.contains("split it"), "{}", statement.errors[0].message);
}
