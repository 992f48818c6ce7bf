//! Bad requests are 4xx problem details with a stable code and the field, never 500s.

use serde_json::json;

use crate::helpers::*;

fn malformed_json_unknown_fields_wrong_types_and_bad_content_types_are_client_errors(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let path = format!("/v1/accounts/{id}/cash-credits");
    let cases = [
        ("application/json", "{not json", 400, "malformed_json"),
        (
            "application/json",
            r#"{"amount_minor": "ten", "currency": "CNY", "source": "bank_transfer", "external_id": "x"}"#,
            422,
            "invalid_body",
        ),
        (
            "application/json",
            r#"{"amount_minor": 1, "currency": "CNY", "source": "bank_transfer", "external_id": "x", "bonus": 1}"#,
            422,
            "invalid_body",
        ),
        (
            "application/json",
            r#"{"currency": "CNY", "source": "bank_transfer", "external_id": "x"}"#,
            422,
            "invalid_body",
        ),
        ("text/plain", "amount=1", 415, "unsupported_media_type"),
    ];
    for (content_type, body, status, code) in cases {
        let r = raw(&t, "POST", &path, OPERATOR_TOKEN, content_type, body);
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let unknown = raw(
        &t,
        "POST",
        &path,
        OPERATOR_TOKEN,
        "application/json",
        r#"{"amount_minor": 1, "currency": "CNY", "source": "bank_transfer", "external_id": "x", "bonus": 1}"#,
    );
    assert_eq!(unknown.body["field"], "bonus");
}

fn oversized_bodies_are_refused(engine: Engine) {
    let t = spawn_app(engine);
    let big = format!(r#"{{"name": "{}", "currency": "CNY"}}"#, "x".repeat(200_000));
    let r = raw(&t, "POST", "/v1/accounts", OPERATOR_TOKEN, "application/json", &big);
    assert_eq!(r.status, 413, "{}", r.text);
}

fn business_validation_names_the_field_and_changes_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    for (amount, status) in [(0, 422), (-5, 422), (10_000_000_000_001i64, 422)] {
        let body = json!({"amount_minor": amount, "currency": "CNY", "source": "bank_transfer", "external_id": format!("x{amount}")});
        let r = post(&t, &format!("/v1/accounts/{id}/cash-credits"), OPERATOR_TOKEN, body);
        assert_eq!(
            (r.status, r.code(), r.body["field"].as_str()),
            (status, "validation_failed", Some("amount_minor")),
            "{}",
            r.text
        );
    }
    let usd = json!({"amount_minor": 1, "currency": "USD", "source": "bank_transfer", "external_id": "usd"});
    let r = post(&t, &format!("/v1/accounts/{id}/cash-credits"), OPERATOR_TOKEN, usd);
    assert_eq!((r.status, r.code()), (422, "currency_mismatch"));
    let overview = get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN);
    assert_eq!(overview.body["cash_minor"], 0);
}

fn bad_paths_queries_and_routes_are_problems_too(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let r = get(&t, "/v1/accounts/not-a-number", OPERATOR_TOKEN);
    assert_eq!((r.status, r.code()), (400, "invalid_path"));
    let r = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?limit=abc"), OPERATOR_TOKEN);
    assert_eq!((r.status, r.code()), (400, "invalid_query"));
    let r = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?limit=0"), OPERATOR_TOKEN);
    assert_eq!((r.status, r.code(), r.body["field"].as_str()), (422, "validation_failed", Some("limit")));
    let r = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?colour=red"), OPERATOR_TOKEN);
    assert_eq!(r.status, 400);
    let r = get(&t, "/v1/nothing-here", OPERATOR_TOKEN);
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = call(&t, "PATCH", "/v1/accounts", Some(OPERATOR_TOKEN), None, &[]);
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));
    let r = get(&t, "/v1/accounts/999", OPERATOR_TOKEN);
    assert_eq!((r.status, r.code()), (404, "account_not_found"));
}

fn health_and_readiness_answer(engine: Engine) {
    let t = spawn_app(engine);
    assert_eq!(call(&t, "GET", "/healthz", None, None, &[]).status, 200);
    assert_eq!(call(&t, "GET", "/readyz", None, None, &[]).body["status"], "ready");
}

crate::engine_tests!(
    malformed_json_unknown_fields_wrong_types_and_bad_content_types_are_client_errors,
    oversized_bodies_are_refused,
    business_validation_names_the_field_and_changes_nothing,
    bad_paths_queries_and_routes_are_problems_too,
    health_and_readiness_answer,
);
