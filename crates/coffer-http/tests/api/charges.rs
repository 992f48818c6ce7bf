use coffer_store::auth::Role;
use serde_json::json;

use crate::helpers::*;

fn the_metering_service_settles_a_bill_and_a_replay_returns_the_same_settlement(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.credit(id, 10_000, "bank-1");
    let metering = t.token(Role::Metering, None);
    let first = post(&t, "/v1/charges", &metering, t.bill(id, "b1", 12_000));
    assert_eq!(first.status, 201, "{}", first.text);
    let classes: Vec<_> =
        first.body["charge"]["deductions"].as_array().into_iter().flatten().map(|d| d["class"].clone()).collect();
    assert_eq!(classes, vec![json!("cash"), json!("arrears")]);
    let again = post(&t, "/v1/charges", &metering, t.bill(id, "b1", 12_000));
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["charge"]["charge_id"], first.body["charge"]["charge_id"]);
    let conflict = post(&t, "/v1/charges", &metering, t.bill(id, "b1", 12_001));
    assert_eq!((conflict.status, conflict.code()), (409, "bill_conflict"));
    t.assert_ledger_clean();
}

fn a_preview_explains_the_plan_and_writes_nothing(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.credit(id, 10_000, "bank-1");
    let metering = t.token(Role::Metering, None);
    let p = post(&t, "/v1/charges/preview", &metering, t.bill(id, "b1", 3_000));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["plan"]["deductions"][0]["class"], "cash");
    let overview = get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN);
    assert_eq!(overview.body["cash_minor"], 10_000);
}

fn an_operator_reverses_a_charge_once(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.credit(id, 10_000, "bank-1");
    let settled = post(&t, "/v1/charges", OPERATOR_TOKEN, t.bill(id, "b1", 4_000));
    let charge = settled.body["charge"]["charge_id"].as_i64().unwrap_or_default();
    let path = format!("/v1/accounts/{id}/charges/{charge}/reverse");
    let r = post(&t, &path, OPERATOR_TOKEN, json!({"reason": "billing error"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["reversal"]["reason"], "billing error");
    let twice = post(&t, &path, OPERATOR_TOKEN, json!({"reason": "again"}));
    assert_eq!((twice.status, twice.code()), (409, "charge_already_reversed"));
    let overview = get(&t, &format!("/v1/accounts/{id}"), OPERATOR_TOKEN);
    assert_eq!(overview.body["cash_minor"], 10_000);
    t.assert_ledger_clean();
}

crate::engine_tests!(
    the_metering_service_settles_a_bill_and_a_replay_returns_the_same_settlement,
    a_preview_explains_the_plan_and_writes_nothing,
    an_operator_reverses_a_charge_once,
);
