//! Offline bank transfers on both engines: matching by reference, the unmatched
//! queue, the second operator's approval, and statement imports that credit each
//! bank transaction once however often they are imported.

mod common;

use std::sync::{Arc, Barrier};

use coffer_app::use_cases::bank_statements::{ImportReport, ImportStatement};
use coffer_app::use_cases::bank_transfers::{RecordTransfer, TransferOutcome, TransferRecorded};
use coffer_app::{AppResult, ErrorCode};
use coffer_core::account::transfer_reference;
use coffer_core::ids::AccountId;
use coffer_store::rails::TransferState;
use common::*;

const STATEMENT_CSV: &str = include_str!("../../coffer-bank/tests/fixtures/statement.csv");
const BROKEN_CSV: &str = include_str!("../../coffer-bank/tests/fixtures/broken.csv");
const STATEMENT_CAMT: &str = include_str!("../../coffer-bank/tests/fixtures/statement.camt053.xml");
const BROKEN_CAMT: &str = include_str!("../../coffer-bank/tests/fixtures/broken.camt053.xml");
const MALFORMED_CAMT: &str = include_str!("../../coffer-bank/tests/fixtures/malformed.camt053.xml");

/// Above the default approval threshold of 10,000.00.
const LARGE: i64 = 2_000_000;

fn record(t: &TestApp, txid: &str, amount_minor: i64, reference: &str, by: &str) -> AppResult<TransferRecorded> {
    t.app.record_transfer(&RecordTransfer {
        bank_transaction_id: txid,
        amount_minor,
        currency: "CNY",
        value_date: "2026-11-25",
        payer: "ACME Trading",
        reference,
        recorded_by: by,
    })
}

fn recorded(t: &TestApp, txid: &str, amount_minor: i64, reference: &str, by: &str) -> TransferRecorded {
    record(t, txid, amount_minor, reference, by).unwrap_or_else(|e| panic!("record {txid}: {e}"))
}

fn import(t: &TestApp, format: &str, text: &str) -> ImportReport {
    let req = ImportStatement { format, text, imported_by: "importer" };
    t.app.import_statement(&req).unwrap_or_else(|e| panic!("import: {e}"))
}

fn cash(t: &TestApp, account: AccountId) -> i64 {
    t.app.account_overview(account).unwrap_or_else(|e| panic!("{e}")).cash_minor
}

fn transfers(t: &TestApp, state: Option<&str>) -> usize {
    t.app.bank_transfers(state, 100).unwrap_or_else(|e| panic!("{e}")).len()
}

/// Accounts 1 and 2, whose references (CF18, CF26) the sample statements quote.
fn two_accounts(t: &TestApp) -> (AccountId, AccountId) {
    let (a, b) = (t.account("CNY"), t.account("CNY"));
    assert_eq!((a, b), (AccountId(1), AccountId(2)), "the fixtures quote the first two accounts' references");
    (a, b)
}

fn code(e: &coffer_app::AppError) -> ErrorCode {
    e.code
}

fn a_transfer_quoting_the_account_reference_is_credited_at_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let reference = format!("wallet top-up {} thanks", transfer_reference(a));
    let done = recorded(&t, "BANK-1", 50_000, &reference, "alice");
    assert_eq!(done.outcome, TransferOutcome::Credited);
    assert_eq!(done.transfer.transfer.account_id, Some(a));
    assert_eq!(done.transfer.transfer.source, "manual");
    assert_eq!(cash(&t, a), 50_000);
    assert_eq!(transfers(&t, Some("credited")), 1);
    t.assert_clean();
}

fn a_transfer_repays_arrears_before_it_becomes_cash(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "ws1");
    t.settle("ws1", "b1", "payg", 3_000).unwrap_or_else(|e| panic!("{e}"));
    recorded(&t, "BANK-1", 10_000, &transfer_reference(a), "alice");
    let overview = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((overview.cash_minor, overview.arrears_owed_minor), (7_000, 0));
    t.assert_clean();
}

fn unknown_and_mistyped_references_are_queued_with_a_reason(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let before = t.journal_size();
    let good = transfer_reference(a);
    let typo = format!("{}{}", &good[..good.len() - 1], if good.ends_with('9') { '0' } else { '9' });
    let cases = [
        ("BANK-1", typo.as_str(), "no transfer reference"),
        ("BANK-2", "invoice 42", "no transfer reference"),
        ("BANK-3", &transfer_reference(AccountId(999)), "names no billing account"),
        ("BANK-4", &format!("{good} {}", transfer_reference(AccountId(999))), "several accounts"),
    ];
    for (txid, reference, why) in cases {
        let done = recorded(&t, txid, 10_000, reference, "alice");
        let TransferOutcome::Queued { reason } = &done.outcome else { panic!("{txid}: {:?}", done.outcome) };
        assert!(reason.contains(why), "{txid}: {reason}");
        assert_eq!(done.transfer.transfer.account_id, None);
    }
    assert_eq!(cash(&t, a), 0);
    assert_eq!(t.journal_size(), before, "nothing moved");
    let queue = t.app.bank_transfers(Some("unmatched"), 100).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(queue.len(), 4);
    assert!(queue.iter().all(|v| v.unmatched_reason.is_some()), "the queue says why each waits");
}

fn an_unmatched_transfer_is_assigned_by_an_operator_and_credited(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let queued = recorded(&t, "BANK-1", 10_000, "no code", "alice");
    let done = t.app.assign_transfer(queued.transfer.id, a, "bob").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.outcome, TransferOutcome::Credited);
    assert_eq!(cash(&t, a), 10_000);
    let view = t.app.bank_transfer(queued.transfer.id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.assigned_by.as_deref(), Some("bob"));
    assert_eq!(view.transfer.transfer.state, TransferState::Credited);
    let again = t.app.assign_transfer(queued.transfer.id, a, "bob").map(|_| ());
    assert_eq!(again.map_err(|e| code(&e)), Err(ErrorCode::TransferNotUnmatched));
    let missing = t.app.assign_transfer(9_999, a, "bob").map(|_| ());
    assert_eq!(missing.map_err(|e| code(&e)), Err(ErrorCode::TransferNotFound));
    assert_eq!(cash(&t, a), 10_000, "credited once");
    t.assert_clean();
}

fn a_large_manual_credit_waits_for_a_second_operator_and_is_credited_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let at_threshold = recorded(&t, "BANK-0", t.app.config.approval_threshold_minor, &transfer_reference(a), "alice");
    assert_eq!(at_threshold.outcome, TransferOutcome::Credited, "only amounts above the threshold wait");
    let waiting = recorded(&t, "BANK-1", LARGE, &transfer_reference(a), "alice");
    assert_eq!(waiting.outcome, TransferOutcome::AwaitingApproval);
    let before = cash(&t, a);
    let id = waiting.transfer.id;
    let own = t.app.approve_transfer(id, "alice").map(|_| ());
    assert_eq!(own.map_err(|e| code(&e)), Err(ErrorCode::ApprovalBySameOperator));
    assert_eq!(cash(&t, a), before, "a refused approval moves nothing");
    let approved = t.app.approve_transfer(id, "bob").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(approved.outcome, TransferOutcome::Credited);
    assert_eq!(approved.transfer.approved_by.as_deref(), Some("bob"));
    assert_eq!(cash(&t, a), before + LARGE);
    let twice = t.app.approve_transfer(id, "carol").map(|_| ());
    assert_eq!(twice.map_err(|e| code(&e)), Err(ErrorCode::TransferNotAwaitingApproval));
    assert_eq!(cash(&t, a), before + LARGE, "credited once");
    t.assert_clean();
}

fn a_large_assignment_cannot_be_approved_by_its_assigner(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let csv = format!(
        "bank_transaction_id,value_date,amount,currency,direction,payer,reference\nBIG-1,2026-11-25,{},CNY,credit,Big Co,no code\n",
        LARGE / 100
    );
    let report = import(&t, "csv", &csv);
    assert_eq!((report.queued_unmatched, report.awaiting_approval), (1, 0));
    let id = report.lines[0].transfer_id.unwrap_or_else(|| panic!("recorded"));
    let assigned = t.app.assign_transfer(id, a, "alice").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(assigned.outcome, TransferOutcome::AwaitingApproval, "assigning is a manual credit");
    let own = t.app.approve_transfer(id, "alice").map(|_| ());
    assert_eq!(own.map_err(|e| code(&e)), Err(ErrorCode::ApprovalBySameOperator));
    assert_eq!(cash(&t, a), 0);
    let approved = t.app.approve_transfer(id, "importer").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(approved.outcome, TransferOutcome::Credited, "the importer made no decision about the account");
    assert_eq!(cash(&t, a), LARGE);
    t.assert_clean();
}

fn the_same_bank_transaction_recorded_twice_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    recorded(&t, "BANK-1", 10_000, &transfer_reference(a), "alice");
    let again = recorded(&t, "BANK-1", 10_000, &transfer_reference(a), "bob");
    assert_eq!(again.outcome, TransferOutcome::Duplicate);
    let other_amount = record(&t, "BANK-1", 20_000, &transfer_reference(a), "bob").map(|_| ());
    assert_eq!(other_amount.map_err(|e| code(&e)), Err(ErrorCode::ExternalIdConflict));
    assert_eq!(cash(&t, a), 10_000);
    assert_eq!(transfers(&t, None), 1);
    t.assert_clean();
}

fn a_csv_statement_imported_twice_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let (a, b) = two_accounts(&t);
    let first = import(&t, "csv", STATEMENT_CSV);
    assert_eq!(first.errors, vec![]);
    let counts = (first.entries, first.credited, first.queued_unmatched, first.duplicates, first.skipped);
    assert_eq!(counts, (5, 2, 1, 0, 2));
    assert_eq!((cash(&t, a), cash(&t, b)), (150_000, 30_050));
    let size = t.journal_size();
    let second = import(&t, "csv", STATEMENT_CSV);
    let counts = (second.credited, second.queued_unmatched, second.duplicates, second.skipped);
    assert_eq!(counts, (0, 0, 3, 2));
    assert_eq!((cash(&t, a), cash(&t, b)), (150_000, 30_050));
    assert_eq!(t.journal_size(), size, "the second import moved nothing");
    assert_eq!(transfers(&t, None), 3, "each bank transaction recorded once");
    t.assert_clean();
}

fn a_camt053_statement_imported_twice_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let (a, b) = two_accounts(&t);
    let first = import(&t, "camt053", STATEMENT_CAMT);
    assert_eq!(first.errors, vec![]);
    let counts = (first.entries, first.credited, first.queued_unmatched, first.duplicates, first.skipped);
    assert_eq!(counts, (5, 2, 1, 0, 2));
    let outcomes: Vec<&str> = first.lines.iter().map(|l| l.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["credited", "credited", "skipped", "skipped", "queued"]);
    assert_eq!((cash(&t, a), cash(&t, b)), (200_000, 45_025));
    let size = t.journal_size();
    let second = import(&t, "camt053", STATEMENT_CAMT);
    assert_eq!((second.credited, second.duplicates, second.skipped), (0, 3, 2));
    assert_eq!((cash(&t, a), cash(&t, b)), (200_000, 45_025));
    assert_eq!(t.journal_size(), size);
    t.assert_clean();
}

fn the_same_transaction_in_a_statement_and_by_hand_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let (a, _) = two_accounts(&t);
    recorded(&t, "TX-1001", 150_000, "CF18", "alice");
    let report = import(&t, "csv", STATEMENT_CSV);
    assert_eq!((report.credited, report.duplicates), (1, 1), "only TX-1002 is new money");
    assert_eq!(cash(&t, a), 150_000);
    t.assert_clean();
}

fn broken_csv_rows_are_reported_by_line_and_field_and_credit_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let (a, _) = two_accounts(&t);
    let report = import(&t, "csv", BROKEN_CSV);
    let errors: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.index, e.field.as_str())).collect();
    let expected = vec![
        (3, "amount"),
        (4, "value_date"),
        (5, "bank_transaction_id"),
        (6, "row"),
        (7, "direction"),
        (8, "currency"),
    ];
    assert_eq!(errors, expected);
    assert_eq!((report.credited, report.queued_unmatched), (1, 1), "the good row and the typo row still count");
    assert_eq!(cash(&t, a), 10_000, "only TX-2001");
    assert_eq!(transfers(&t, None), 2);
    t.assert_clean();
}

fn broken_and_malformed_camt053_credit_nothing_they_cannot_read(engine: Engine) {
    let t = spawn_app(engine);
    let (a, _) = two_accounts(&t);
    let report = import(&t, "camt053", BROKEN_CAMT);
    let fields: Vec<(usize, &str)> = report.errors.iter().map(|e| (e.index, e.field.as_str())).collect();
    assert!(fields.contains(&(2, "amount")) && fields.contains(&(5, "transactions")), "{fields:?}");
    assert_eq!(report.credited, 1);
    assert_eq!(cash(&t, a), 10_000, "only CAMT-5001");
    let size = t.journal_size();
    let malformed = import(&t, "camt053", MALFORMED_CAMT);
    assert_eq!((malformed.entries, malformed.errors.len()), (0, 1));
    assert_eq!(malformed.errors[0].field, "document");
    assert_eq!(t.journal_size(), size);
    assert_eq!(transfers(&t, None), 1);
    t.assert_clean();
}

fn a_transfer_in_another_currency_than_its_account_is_queued_not_credited(engine: Engine) {
    let t = spawn_app(engine);
    let usd = t.account("USD");
    let done = recorded(&t, "BANK-1", 10_000, &transfer_reference(usd), "alice");
    let TransferOutcome::Queued { reason } = &done.outcome else { panic!("{:?}", done.outcome) };
    assert!(reason.contains("is in USD"), "{reason}");
    let assign = t.app.assign_transfer(done.transfer.id, usd, "bob").map(|_| ());
    assert_eq!(assign.map_err(|e| code(&e)), Err(ErrorCode::CurrencyMismatch));
    assert_eq!(cash(&t, usd), 0);
    t.assert_clean();
}

fn a_statement_for_another_bank_account_is_refused_whole(engine: Engine) {
    let t = spawn_app(engine);
    two_accounts(&t);
    let foreign = STATEMENT_CAMT.replace("1001234567890001", "9999888877776666");
    let report = import(&t, "camt053", &foreign);
    assert_eq!(report.errors.len(), 1);
    assert_eq!((report.errors[0].index, report.errors[0].field.as_str()), (0, "account"));
    assert_eq!((report.credited, report.queued_unmatched), (0, 0));
    assert_eq!(transfers(&t, None), 0);
}

fn bad_manual_input_is_refused_with_its_field_and_writes_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let size = t.journal_size();
    let r = transfer_reference(a);
    let base = RecordTransfer {
        bank_transaction_id: "BANK-1",
        amount_minor: 10_000,
        currency: "CNY",
        value_date: "2026-11-25",
        payer: "P",
        reference: &r,
        recorded_by: "alice",
    };
    let cases = [
        (RecordTransfer { bank_transaction_id: "BANK 1", ..base }, "bank_transaction_id"),
        (RecordTransfer { amount_minor: 0, ..base }, "amount_minor"),
        (RecordTransfer { currency: "EUR", ..base }, "currency"),
        (RecordTransfer { value_date: "2026-02-30", ..base }, "value_date"),
        (RecordTransfer { recorded_by: " ", ..base }, "recorded_by"),
    ];
    for (req, field) in cases {
        let e = t.app.record_transfer(&req).map(|_| ()).err().unwrap_or_else(|| panic!("{field} accepted"));
        assert_eq!((e.code, e.field), (ErrorCode::Validation, Some(field)));
    }
    let bad_format = t.app.import_statement(&ImportStatement { format: "mt940", text: "", imported_by: "x" });
    assert_eq!(bad_format.map(|_| ()).map_err(|e| e.field), Err(Some("format")));
    let bad_state = t.app.bank_transfers(Some("paid"), 10).map(|_| ());
    assert_eq!(bad_state.map_err(|e| e.field), Err(Some("state")));
    assert_eq!(t.journal_size(), size);
    assert_eq!(transfers(&t, None), 0);
}

fn the_recharge_instructions_give_the_payee_account_and_the_account_reference(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("USD");
    let instructions = t.app.recharge_instructions(a).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(instructions.reference, transfer_reference(a));
    assert_eq!(instructions.currency.code(), "USD");
    assert_eq!(instructions.bank, t.app.config.bank_details);
    let missing = t.app.recharge_instructions(AccountId(999)).map(|_| ());
    assert_eq!(missing.map_err(|e| code(&e)), Err(ErrorCode::AccountNotFound));
}

fn two_servers_importing_one_statement_at_once_credit_it_once(engine: Engine) {
    let t = spawn_app(engine);
    let (a, b) = two_accounts(&t);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let app = app_on(t.another_store(), &t.clock);
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let req = ImportStatement { format: "csv", text: STATEMENT_CSV, imported_by: "importer" };
                app.import_statement(&req)
            })
        })
        .collect();
    let reports: Vec<ImportReport> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| panic!("panicked")).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(reports.iter().map(|r| r.credited).sum::<u32>(), 2);
    assert_eq!(reports.iter().map(|r| r.duplicates + r.queued_unmatched + r.credited).sum::<u32>(), 6);
    assert_eq!((cash(&t, a), cash(&t, b)), (150_000, 30_050));
    t.assert_clean();
}

engine_tests!(
    a_transfer_quoting_the_account_reference_is_credited_at_once,
    a_transfer_repays_arrears_before_it_becomes_cash,
    unknown_and_mistyped_references_are_queued_with_a_reason,
    an_unmatched_transfer_is_assigned_by_an_operator_and_credited,
    a_large_manual_credit_waits_for_a_second_operator_and_is_credited_once,
    a_large_assignment_cannot_be_approved_by_its_assigner,
    the_same_bank_transaction_recorded_twice_credits_once,
    a_csv_statement_imported_twice_credits_once,
    a_camt053_statement_imported_twice_credits_once,
    the_same_transaction_in_a_statement_and_by_hand_credits_once,
    broken_csv_rows_are_reported_by_line_and_field_and_credit_nothing,
    broken_and_malformed_camt053_credit_nothing_they_cannot_read,
    a_transfer_in_another_currency_than_its_account_is_queued_not_credited,
    a_statement_for_another_bank_account_is_refused_whole,
    bad_manual_input_is_refused_with_its_field_and_writes_nothing,
    the_recharge_instructions_give_the_payee_account_and_the_account_reference,
    two_servers_importing_one_statement_at_once_credit_it_once,
);
