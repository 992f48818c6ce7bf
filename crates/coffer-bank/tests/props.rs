//! Properties: parsing never panics, whatever arrives; CSV written by the rules
//! reads back as written; a reference is found wherever it is quoted.

use coffer_bank::matching::account_references;
use coffer_bank::{parse, Format};
use coffer_core::account::transfer_reference;
use coffer_core::ids::AccountId;
use proptest::prelude::*;

/// Text made of the characters that matter to the parsers, so that odd
/// combinations (quotes, separators, tags, entities) come up often.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just(",".to_owned()),
        Just("\"".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("<Ntry>".to_owned()),
        Just("</Ntry>".to_owned()),
        Just("<Document><BkToCstmrStmt><Stmt>".to_owned()),
        Just("<Amt Ccy=\"CNY\">".to_owned()),
        Just("</Amt>".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x0;".to_owned()),
        Just("&bogus;".to_owned()),
        Just("<![CDATA[x]]>".to_owned()),
        Just("bank_transaction_id,value_date,amount,currency,direction,payer,reference\n".to_owned()),
        "[A-Za-z0-9 .:-]{0,8}",
        any::<String>(),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        for format in Format::ALL {
            let statement = parse(format, &text);
            prop_assert!(statement.entries.len() + statement.errors.len() <= coffer_bank::MAX_ENTRIES);
        }
    }

    #[test]
    fn parsing_near_miss_statements_never_panics(text in tricky_text()) {
        for format in Format::ALL {
            let _ = parse(format, &text);
        }
    }

    #[test]
    fn quoted_csv_fields_read_back_as_written(
        payer in "[ -~]{0,30}",
        reference in "[ -~]{0,30}",
        cents in 1i64..100_000_000,
    ) {
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let text = format!(
            "bank_transaction_id,value_date,amount,currency,direction,payer,reference\r\n\
             TX-1,2026-11-25,{amount},CNY,credit,{},{}\r\n",
            quote(&payer),
            quote(&reference),
        );
        let statement = parse(Format::Csv, &text);
        prop_assert_eq!(&statement.errors, &vec![]);
        let entry = &statement.entries[0];
        prop_assert_eq!(entry.amount_minor, cents);
        prop_assert_eq!(&entry.payer, &payer.split_whitespace().collect::<Vec<_>>().join(" "));
        prop_assert_eq!(&entry.reference, &reference.split_whitespace().collect::<Vec<_>>().join(" "));
    }

    #[test]
    fn a_reference_is_found_among_any_other_words(
        id in 1i64..1_000_000_000,
        before in "[a-z ]{0,20}",
        after in "[a-z ]{0,20}",
    ) {
        let text = format!("{before} {} {after}", transfer_reference(AccountId(id)));
        prop_assert_eq!(account_references(&text), vec![AccountId(id)]);
    }
}
