use serde_json::json;

use crate::helpers::*;

fn the_same_key_and_body_get_the_saved_response_and_move_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let body = json!({"amount_minor": 500, "currency": "CNY", "reason": "goodwill"});
    let path = format!("/v1/accounts/{id}/adjustments");
    let key = [("Idempotency-Key", "adj-1")];
    let first = call(&t, "POST", &path, Some(OPERATOR_TOKEN), Some(&body), &key);
    assert_eq!(first.status, 201, "{}", first.text);
    let again = call(&t, "POST", &path, Some(OPERATOR_TOKEN), Some(&body), &key);
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN).body["cash_minor"], 500);
    let other = json!({"amount_minor": 501, "currency": "CNY", "reason": "goodwill"});
    let conflict = call(&t, "POST", &path, Some(OPERATOR_TOKEN), Some(&other), &key);
    assert_eq!((conflict.status, conflict.code()), (409, "idempotency_conflict"));
    assert_eq!(get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN).body["cash_minor"], 500);
}

fn concurrent_requests_with_one_key_credit_once(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let path = format!("/v1/accounts/{id}/vouchers");
    let body = json!({"kind": "standard", "face_value_minor": 700, "currency": "CNY", "validity": {"valid_days": 5}});
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                let r = call(&t, "POST", &path, Some(OPERATOR_TOKEN), Some(&body), &[("Idempotency-Key", "v-1")]);
                assert_eq!(r.status, 201, "{}", r.text);
            });
        }
    });
    let vouchers = get(&t, &path, OPERATOR_TOKEN);
    assert_eq!(vouchers.body.as_array().map(Vec::len), Some(1));
    t.assert_ledger_clean();
}

fn activation_codes_are_not_saved_for_replays(engine: Engine) {
    let t = spawn_app(engine);
    let body = json!({"kind": "standard", "face_value_minor": 100, "currency": "CNY", "validity": {"valid_days": 5}, "count": 1});
    let key = [("Idempotency-Key", "batch-1")];
    let first = call(&t, "POST", "/v1/voucher-batches", Some(OPERATOR_TOKEN), Some(&body), &key);
    assert_eq!(first.body["codes"].as_array().map(Vec::len), Some(1));
    let again = call(&t, "POST", "/v1/voucher-batches", Some(OPERATOR_TOKEN), Some(&body), &key);
    assert_eq!(again.body["batch_id"], first.body["batch_id"]);
    assert!(again.body["codes"].is_null(), "codes are shown once");
}

fn a_malformed_key_is_refused(engine: Engine) {
    let t = spawn_app(engine);
    let body = json!({"name": "X", "currency": "CNY"});
    let r = call(&t, "POST", "/v1/accounts", Some(OPERATOR_TOKEN), Some(&body), &[("Idempotency-Key", "has spaces")]);
    assert_eq!((r.status, r.code()), (400, "invalid_idempotency_key"));
}

crate::engine_tests!(
    the_same_key_and_body_get_the_saved_response_and_move_nothing,
    concurrent_requests_with_one_key_credit_once,
    activation_codes_are_not_saved_for_replays,
    a_malformed_key_is_refused,
);
