//! Operator cash adjustments over HTTP, on both engines: small ones answer
//! `applied`, large ones `pending` until another operator approves or rejects them.
//! Reuses the black-box helpers of `tests/api`.

#[path = "api/helpers.rs"]
mod helpers;

use coffer_store::auth::Role;
use helpers::*;
use serde_json::json;

/// Above the default approval threshold of 10,000.00.
const LARGE: i64 = 2_000_000;

fn cash(t: &TestApp, account: i64) -> i64 {
    get(t, &format!("/v1/accounts/{account}"), OPERATOR_TOKEN).body["cash_minor"].as_i64().unwrap_or(-1)
}

fn adjust(t: &TestApp, account: i64, amount_minor: i64) -> Reply {
    let body = json!({"amount_minor": amount_minor, "currency": "CNY", "reason": "goodwill"});
    post(t, &format!("/v1/accounts/{account}/adjustments"), OPERATOR_TOKEN, body)
}

fn a_large_adjustment_is_pending_until_a_second_operator_approves_it(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let small = adjust(&t, a, 5_000);
    assert_eq!((small.status, small.body["state"].as_str()), (201, Some("applied")), "{}", small.text);
    assert!(small.body["journal_tx_id"].is_i64() && small.body.get("request_id").is_none(), "{}", small.text);
    let large = adjust(&t, a, LARGE);
    assert_eq!((large.status, large.body["state"].as_str()), (201, Some("pending")), "{}", large.text);
    let id = large.body["request_id"].as_i64().unwrap_or_default();
    let queue = get(&t, "/v1/adjustment-requests?state=pending", OPERATOR_TOKEN);
    assert_eq!(queue.body.as_array().map(Vec::len), Some(1), "{}", queue.text);
    assert!(queue.body[0]["requested_by"].as_str().is_some_and(|w| w.starts_with("token:")), "{}", queue.text);
    let approve = format!("/v1/adjustment-requests/{id}/approve");
    let own = call(&t, "POST", &approve, Some(OPERATOR_TOKEN), None, &[]);
    assert_eq!((own.status, own.code()), (403, "approval_by_same_operator"), "{}", own.text);
    assert_eq!(cash(&t, a), 5_000);
    let second = t.token(Role::Operator, None);
    let ok = call(&t, "POST", &approve, Some(&second), None, &[]);
    assert_eq!((ok.status, ok.body["state"].as_str()), (200, Some("applied")), "{}", ok.text);
    assert_eq!(cash(&t, a), 5_000 + LARGE);
    let again = call(&t, "POST", &approve, Some(&second), None, &[]);
    assert_eq!((again.status, again.code()), (409, "adjustment_request_not_pending"), "{}", again.text);
    t.assert_ledger_clean();
}

fn a_rejected_adjustment_keeps_its_reason_and_moves_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let id = adjust(&t, a, LARGE).body["request_id"].as_i64().unwrap_or_default();
    let path = format!("/v1/adjustment-requests/{id}/reject");
    let blank = post(&t, &path, OPERATOR_TOKEN, json!({"reason": " "}));
    assert_eq!((blank.status, blank.body["field"].as_str()), (422, Some("reason")), "{}", blank.text);
    let r = post(&t, &path, OPERATOR_TOKEN, json!({"reason": "no ticket"}));
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("rejected")), "{}", r.text);
    assert_eq!(r.body["rejection_reason"].as_str(), Some("no ticket"));
    let missing = post(&t, "/v1/adjustment-requests/999/reject", OPERATOR_TOKEN, json!({"reason": "x"}));
    assert_eq!((missing.status, missing.code()), (404, "adjustment_request_not_found"));
    let bad = get(&t, "/v1/adjustment-requests?state=done", OPERATOR_TOKEN);
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(cash(&t, a), 0);
}

engine_tests!(
    a_large_adjustment_is_pending_until_a_second_operator_approves_it,
    a_rejected_adjustment_keeps_its_reason_and_moves_nothing,
);
