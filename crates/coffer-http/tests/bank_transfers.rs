//! Offline bank transfers over HTTP, on both engines: recording, the unmatched
//! queue, the second operator's approval, statement uploads (each bank
//! transaction credited once however often uploaded), bad files, and who may do
//! what. Reuses the black-box helpers of `tests/api`.

#[path = "api/helpers.rs"]
mod helpers;

use coffer_store::auth::Role;
use helpers::*;
use serde_json::{json, Value};

const STATEMENT_CSV: &str = include_str!("../../coffer-bank/tests/fixtures/statement.csv");
const BROKEN_CSV: &str = include_str!("../../coffer-bank/tests/fixtures/broken.csv");
const STATEMENT_CAMT: &str = include_str!("../../coffer-bank/tests/fixtures/statement.camt053.xml");
const MALFORMED_CAMT: &str = include_str!("../../coffer-bank/tests/fixtures/malformed.camt053.xml");

/// Above the default approval threshold of 10,000.00.
const LARGE: i64 = 2_000_000;

fn transfer(txid: &str, amount_minor: i64, reference: &str) -> Value {
    json!({"bank_transaction_id": txid, "amount_minor": amount_minor, "currency": "CNY",
           "value_date": "2026-11-25", "payer": "ACME", "reference": reference})
}

fn cash(t: &TestApp, account: i64) -> i64 {
    get(t, &format!("/v1/accounts/{account}"), OPERATOR_TOKEN).body["cash_minor"].as_i64().unwrap_or(-1)
}

fn reference_of(t: &TestApp, account: i64) -> String {
    let r = get(t, &format!("/v1/accounts/{account}/recharge-instructions"), OPERATOR_TOKEN);
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["reference"].as_str().unwrap_or_default().to_owned()
}

fn upload(t: &TestApp, format: &str, content_type: &str, body: &str) -> Reply {
    raw(t, "POST", &format!("/v1/bank-statements?format={format}"), OPERATOR_TOKEN, content_type, body)
}

fn counts(report: &Value) -> [i64; 4] {
    ["credited", "queued_unmatched", "duplicates", "skipped"].map(|k| report[k].as_i64().unwrap_or(-1))
}

fn a_matched_transfer_is_credited_and_a_large_one_waits_for_another_operator(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let code = reference_of(&t, a);
    let r = post(&t, "/v1/bank-transfers", OPERATOR_TOKEN, transfer("BANK-1", 50_000, &format!("topup {code}")));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.body["outcome"].as_str(), r.body["transfer"]["account_id"].as_i64()), (Some("credited"), Some(a)));
    let r = post(&t, "/v1/bank-transfers", OPERATOR_TOKEN, transfer("BANK-2", LARGE, &code));
    assert_eq!((r.status, r.body["outcome"].as_str()), (201, Some("awaiting_approval")), "{}", r.text);
    let id = r.body["transfer"]["id"].as_i64().unwrap_or_default();
    let recorder = r.body["transfer"]["recorded_by"].as_str().unwrap_or_default().to_owned();
    assert!(recorder.starts_with("token:"), "{recorder}");
    let own = call(&t, "POST", &format!("/v1/bank-transfers/{id}/approve"), Some(OPERATOR_TOKEN), None, &[]);
    assert_eq!((own.status, own.code()), (403, "approval_by_same_operator"), "{}", own.text);
    assert_eq!(cash(&t, a), 50_000);
    let second = t.token(Role::Operator, None);
    let ok = call(&t, "POST", &format!("/v1/bank-transfers/{id}/approve"), Some(&second), None, &[]);
    assert_eq!((ok.status, ok.body["outcome"].as_str()), (200, Some("credited")), "{}", ok.text);
    assert!(ok.body["transfer"]["approved_by"].as_str().is_some_and(|w| w.starts_with("token:") && w != recorder));
    let again = call(&t, "POST", &format!("/v1/bank-transfers/{id}/approve"), Some(&second), None, &[]);
    assert_eq!((again.status, again.code()), (409, "transfer_not_awaiting_approval"));
    assert_eq!(cash(&t, a), 50_000 + LARGE);
    t.assert_ledger_clean();
}

fn an_unmatched_transfer_waits_in_the_queue_until_an_operator_assigns_it(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let r = post(&t, "/v1/bank-transfers", OPERATOR_TOKEN, transfer("BANK-1", 10_000, "CF19 typo"));
    assert_eq!((r.status, r.body["outcome"].as_str()), (201, Some("queued")), "{}", r.text);
    assert!(r.body["transfer"]["unmatched_reason"].as_str().is_some_and(|w| w.contains("no transfer reference")));
    let queue = get(&t, "/v1/bank-transfers?state=unmatched", OPERATOR_TOKEN);
    assert_eq!(queue.body.as_array().map(Vec::len), Some(1), "{}", queue.text);
    let id = queue.body[0]["id"].as_i64().unwrap_or_default();
    let assigned = post(&t, &format!("/v1/bank-transfers/{id}/assign"), OPERATOR_TOKEN, json!({"account_id": a}));
    assert_eq!((assigned.status, assigned.body["outcome"].as_str()), (200, Some("credited")), "{}", assigned.text);
    assert!(assigned.body["transfer"]["assigned_by"].as_str().is_some_and(|w| w.starts_with("token:")));
    assert_eq!(cash(&t, a), 10_000);
    assert_eq!(get(&t, "/v1/bank-transfers?state=unmatched", OPERATOR_TOKEN).body.as_array().map(Vec::len), Some(0));
    let twice = post(&t, &format!("/v1/bank-transfers/{id}/assign"), OPERATOR_TOKEN, json!({"account_id": a}));
    assert_eq!((twice.status, twice.code()), (409, "transfer_not_unmatched"));
    let missing = get(&t, "/v1/bank-transfers/999", OPERATOR_TOKEN);
    assert_eq!((missing.status, missing.code()), (404, "transfer_not_found"));
    let bad_state = get(&t, "/v1/bank-transfers?state=paid", OPERATOR_TOKEN);
    assert_eq!((bad_state.status, bad_state.code()), (422, "validation_failed"));
    t.assert_ledger_clean();
}

fn each_statement_format_uploaded_twice_credits_once(engine: Engine) {
    let t = spawn_app(engine);
    let (a, b) = (t.account(), t.account());
    assert_eq!((a, b), (1, 2), "the fixtures quote the first two accounts' references");
    let first = upload(&t, "csv", "text/csv", STATEMENT_CSV);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(counts(&first.body), [2, 1, 0, 2]);
    let second = upload(&t, "csv", "text/csv; charset=utf-8", STATEMENT_CSV);
    assert_eq!(counts(&second.body), [0, 0, 3, 2]);
    assert_eq!((cash(&t, a), cash(&t, b)), (150_000, 30_050));
    let camt = upload(&t, "camt053", "application/xml", STATEMENT_CAMT);
    assert_eq!(camt.status, 200, "{}", camt.text);
    assert_eq!(counts(&camt.body), [2, 1, 0, 2]);
    assert_eq!(camt.body["lines"][0]["outcome"], "credited");
    let camt_again = upload(&t, "camt053", "text/xml", STATEMENT_CAMT);
    assert_eq!(counts(&camt_again.body), [0, 0, 3, 2]);
    assert_eq!((cash(&t, a), cash(&t, b)), (150_000 + 200_000, 30_050 + 45_025));
    t.assert_ledger_clean();
}

fn broken_statements_are_reported_by_row_and_field_and_credit_nothing_they_cannot_read(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let broken = upload(&t, "csv", "text/csv", BROKEN_CSV);
    assert_eq!(broken.status, 200, "{}", broken.text);
    let errors: Vec<(i64, String)> = broken.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["index"].as_i64().unwrap_or(-1), e["field"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(errors[0], (3, "amount".to_owned()));
    assert_eq!(errors.len(), 6);
    assert_eq!(cash(&t, a), 10_000, "only the one good row");
    let malformed = upload(&t, "camt053", "application/xml", MALFORMED_CAMT);
    assert_eq!((malformed.status, malformed.body["errors"][0]["field"].as_str()), (200, Some("document")));
    assert_eq!(malformed.body["entries"], 0);
    assert_eq!(cash(&t, a), 10_000);
    t.assert_ledger_clean();
}

fn uploads_in_the_wrong_shape_are_refused_with_clear_problems(engine: Engine) {
    let t = spawn_app(engine);
    let wrong_type = upload(&t, "camt053", "text/csv", STATEMENT_CAMT);
    assert_eq!((wrong_type.status, wrong_type.code()), (415, "unsupported_media_type"));
    let unknown = upload(&t, "mt940", "text/plain", "x");
    assert_eq!(
        (unknown.status, unknown.code(), unknown.body["field"].as_str()),
        (422, "validation_failed", Some("format"))
    );
    let missing = raw(&t, "POST", "/v1/bank-statements", OPERATOR_TOKEN, "text/csv", STATEMENT_CSV);
    assert_eq!((missing.status, missing.code()), (400, "invalid_query"));
    let url = format!("{}/v1/bank-statements?format=csv", t.base);
    let request =
        ureq::post(&url).set("Authorization", &format!("Bearer {OPERATOR_TOKEN}")).set("Content-Type", "text/csv");
    let status = match request.send_bytes(&[0xff, 0xfe, 0x41]) {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 422, "a statement that is not UTF-8");
}

fn statements_may_be_larger_than_json_bodies_but_not_unbounded(engine: Engine) {
    let t = spawn_app(engine);
    let mut csv = String::from("bank_transaction_id,value_date,amount,currency,direction,payer,reference\n");
    for i in 0..2_000 {
        csv.push_str(&format!(
            "FEE-{i},2026-11-25,1.00,CNY,debit,Demo Bank of Shanghai,monthly account maintenance fee\n"
        ));
    }
    assert!(csv.len() > 64 * 1024);
    let big = upload(&t, "csv", "text/csv", &csv);
    assert_eq!((big.status, big.body["skipped"].as_i64()), (200, Some(2_000)), "{}", big.code());
    let huge = "x".repeat(5 * 1024 * 1024 + 1);
    let refused = upload(&t, "csv", "text/csv", &huge);
    assert_eq!((refused.status, refused.code()), (413, "body_too_large"));
}

fn only_operators_handle_transfers_and_members_read_their_own_instructions(engine: Engine) {
    let t = spawn_app(engine);
    let (a, b) = (t.account(), t.account());
    let finance = t.token(Role::Finance, Some(a));
    let record = post(&t, "/v1/bank-transfers", &finance, transfer("BANK-1", 100, "x"));
    assert_eq!(record.status, 403);
    assert_eq!(get(&t, "/v1/bank-transfers", &finance).status, 403);
    let upload = raw(&t, "POST", "/v1/bank-statements?format=csv", &finance, "text/csv", STATEMENT_CSV);
    assert_eq!(upload.status, 403);
    let mine = get(&t, &format!("/v1/accounts/{a}/recharge-instructions"), &finance);
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(
        mine.body["reference"],
        get(&t, &format!("/v1/accounts/{a}"), &finance).body["account"]["transfer_reference"]
    );
    assert!(mine.body["account_number"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(mine.body["payee_name"].as_str().is_some_and(|n| !n.is_empty()));
    let theirs = get(&t, &format!("/v1/accounts/{b}/recharge-instructions"), &finance);
    assert_eq!(theirs.status, 404, "another account's instructions are answered like a missing one");
}

engine_tests!(
    a_matched_transfer_is_credited_and_a_large_one_waits_for_another_operator,
    an_unmatched_transfer_waits_in_the_queue_until_an_operator_assigns_it,
    each_statement_format_uploaded_twice_credits_once,
    broken_statements_are_reported_by_row_and_field_and_credit_nothing_they_cannot_read,
    uploads_in_the_wrong_shape_are_refused_with_clear_problems,
    statements_may_be_larger_than_json_bodies_but_not_unbounded,
    only_operators_handle_transfers_and_members_read_their_own_instructions,
);
