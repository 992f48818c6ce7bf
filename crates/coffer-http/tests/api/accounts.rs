use serde_json::json;

use crate::helpers::*;

fn an_operator_creates_an_account_and_reads_its_overview(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.credit(id, 50_000, "bank-1");
    let r = get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["cash_minor"], 50_000);
    assert_eq!(r.body["account"]["currency"], "CNY");
    assert!(r.body["account"]["transfer_reference"].as_str().is_some_and(|s| s.starts_with("CF")));
    let list = get(&t, "/v1/accounts", OPERATOR_TOKEN);
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
}

fn vouchers_cards_and_statements_work_through_the_api(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.credit(id, 2_000_000, "bank-1");
    let v = post(
        &t,
        &format!("/v1/accounts/{id}/vouchers"),
        OPERATOR_TOKEN,
        json!({"kind": "standard", "face_value_minor": 10_000, "currency": "CNY", "validity": {"valid_days": 30}}),
    );
    assert_eq!(v.status, 201, "{}", v.text);
    let card = post(
        &t,
        &format!("/v1/accounts/{id}/prepaid-cards"),
        OPERATOR_TOKEN,
        json!({"face_value_minor": 1_000_000, "currency": "CNY"}),
    );
    assert_eq!(card.status, 201, "{}", card.text);
    assert_eq!(card.body["bonus_voucher"]["face_value_minor"], 100_000);
    let batch = post(
        &t,
        "/v1/voucher-batches",
        OPERATOR_TOKEN,
        json!({"kind": "standard", "face_value_minor": 5_000, "currency": "CNY", "validity": {"valid_days": 10}, "count": 2}),
    );
    assert_eq!(batch.status, 201, "{}", batch.text);
    let code = batch.body["codes"][0].as_str().unwrap_or_default().to_owned();
    let owner = t.token(coffer_store::auth::Role::Owner, Some(id));
    let act = post(&t, &format!("/v1/accounts/{id}/vouchers/activate"), &owner, json!({"code": code}));
    assert_eq!(act.status, 201, "{}", act.text);
    let again = post(&t, &format!("/v1/accounts/{id}/vouchers/activate"), &owner, json!({"code": code}));
    assert_eq!((again.status, again.code()), (422, "code_already_used"));
    let vouchers = get(&t, &format!("/v1/accounts/{id}/vouchers?status=active"), &owner);
    assert_eq!(vouchers.body.as_array().map(Vec::len), Some(3));
    let lines = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?limit=2"), &owner);
    assert_eq!(lines.status, 200, "{}", lines.text);
    assert_eq!(lines.body["rows"].as_array().map(Vec::len), Some(2));
    let next = lines.body["next_cursor"].as_i64().unwrap_or_default();
    let more = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?limit=100&cursor={next}"), &owner);
    assert!(more.body["rows"].as_array().is_some_and(|r| !r.is_empty()));
    let csv = get(&t, &format!("/v1/accounts/{id}/statements/income-expenditure?format=csv"), &owner);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.text.starts_with("time_ms,"));
    t.assert_ledger_clean();
}

fn workspaces_bind_change_settlement_and_unbind(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let owner = t.token(coffer_store::auth::Role::Owner, Some(id));
    let path = format!("/v1/accounts/{id}/workspaces/ws-{id}/settlement");
    let body = json!({"settlement": "cloud", "cloud_provider": "aws", "cloud_account_id": "123"});
    let r = call(&t, "PUT", &path, Some(&owner), Some(&body), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let back = json!({"settlement": "billing_center"});
    let r = call(&t, "PUT", &path, Some(&owner), Some(&back), &[]);
    assert_eq!((r.status, r.code()), (422, "cloud_subscription_active"));
    let overriding = json!({"settlement": "billing_center", "operator_override": true});
    let r = call(&t, "PUT", &path, Some(&owner), Some(&overriding), &[]);
    assert_eq!(r.status, 403, "only operators override");
    let r = call(&t, "PUT", &path, Some(OPERATOR_TOKEN), Some(&overriding), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(&t, "DELETE", &format!("/v1/accounts/{id}/workspaces/ws-{id}"), Some(&owner), None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(&t, &format!("/v1/accounts/{id}/workspaces"), &owner);
    assert_eq!(r.body.as_array().map(Vec::len), Some(0));
}

crate::engine_tests!(
    an_operator_creates_an_account_and_reads_its_overview,
    vouchers_cards_and_statements_work_through_the_api,
    workspaces_bind_change_settlement_and_unbind,
);
