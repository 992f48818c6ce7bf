//! The authorization matrix: every endpoint × every role × own or foreign account.
//! Unauthenticated → 401; not allowed on one's own account (or operator-only and
//! metering-only routes) → 403; anything of another account → 404, exactly as if
//! it did not exist.

use coffer_store::auth::Role;
use serde_json::{json, Value};

use crate::helpers::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    GlobalOperator,
    Metering,
    Read,
    Pay,
    Manage,
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Nobody,
    Operator,
    Owner,
    Finance,
    Viewer,
    Metering,
}

#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Status(u16),
}

fn expected(who: Who, need: Need, own: bool) -> Expect {
    use Expect::*;
    match (who, need) {
        (Who::Nobody, _) => Status(401),
        (Who::Operator, _) => Allowed,
        (_, Need::GlobalOperator) => Status(403),
        (Who::Metering, Need::Metering) => Allowed,
        (_, Need::Metering) => Status(403),
        (Who::Metering, _) => Status(403),
        (_, _) if !own => Status(404),
        (_, Need::Operator) => Status(403),
        (_, Need::Read) => Allowed,
        (Who::Owner | Who::Finance, Need::Pay) => Allowed,
        (Who::Owner, Need::Manage) => Allowed,
        _ => Status(403),
    }
}

struct Endpoint {
    method: &'static str,
    /// `{a}` is the target account, `{v}` a voucher and `{c}` a charge of it.
    path: &'static str,
    body: Value,
    need: Need,
}

fn endpoints() -> Vec<Endpoint> {
    let e = |method, path, body, need| Endpoint { method, path, body, need };
    let none = Value::Null;
    vec![
        e("GET", "/v1/accounts", none.clone(), Need::GlobalOperator),
        e("POST", "/v1/accounts", json!({"name": "X", "currency": "CNY"}), Need::GlobalOperator),
        e(
            "POST",
            "/v1/voucher-batches",
            json!({"kind": "standard", "face_value_minor": 100, "currency": "CNY", "validity": {"valid_days": 1}, "count": 1}),
            Need::GlobalOperator,
        ),
        e("GET", "/v1/adjustment-requests?state=pending", none.clone(), Need::GlobalOperator),
        // No such request: an operator gets past authorization to adjustment_request_not_found.
        e("POST", "/v1/adjustment-requests/999999/approve", none.clone(), Need::GlobalOperator),
        e("POST", "/v1/adjustment-requests/999999/reject", json!({"reason": "matrix"}), Need::GlobalOperator),
        e(
            "POST",
            "/v1/charges/preview",
            json!({"workspace_id": "ws-{a}", "bill_id": "p", "category": "payg", "amount_minor": 1, "currency": "CNY", "bill_date": "2026-11-25"}),
            Need::Metering,
        ),
        e(
            "POST",
            "/v1/charges",
            json!({"workspace_id": "ws-{a}", "bill_id": "m-{n}", "category": "payg", "amount_minor": 1, "currency": "CNY", "bill_date": "2026-11-25"}),
            Need::Metering,
        ),
        e("GET", "/v1/accounts/{a}", none.clone(), Need::Read),
        e("PUT", "/v1/accounts/{a}/arrears-limit", json!({"arrears_limit_minor": null}), Need::Operator),
        e("GET", "/v1/accounts/{a}/workspaces", none.clone(), Need::Read),
        e(
            "POST",
            "/v1/accounts/{a}/workspaces",
            json!({"workspace_id": "w-{n}", "settlement": "billing_center"}),
            Need::Manage,
        ),
        e(
            "PUT",
            "/v1/accounts/{a}/workspaces/ws-{a}/settlement",
            json!({"settlement": "billing_center"}),
            Need::Manage,
        ),
        e("DELETE", "/v1/accounts/{a}/workspaces/spare-{a}", none.clone(), Need::Manage),
        e(
            "POST",
            "/v1/accounts/{a}/cash-credits",
            json!({"amount_minor": 1, "currency": "CNY", "source": "bank_transfer", "external_id": "x-{n}"}),
            Need::Operator,
        ),
        e("GET", "/v1/accounts/{a}/vouchers", none.clone(), Need::Read),
        e(
            "POST",
            "/v1/accounts/{a}/vouchers",
            json!({"kind": "standard", "face_value_minor": 100, "currency": "CNY", "validity": {"valid_days": 1}}),
            Need::Operator,
        ),
        e("POST", "/v1/accounts/{a}/vouchers/activate", json!({"code": "2222-2222-2222-2222"}), Need::Pay),
        e("POST", "/v1/accounts/{a}/vouchers/{v}/revoke", json!({"reason": "matrix"}), Need::Operator),
        e("GET", "/v1/accounts/{a}/prepaid-cards", none.clone(), Need::Read),
        e("POST", "/v1/accounts/{a}/prepaid-cards", json!({"face_value_minor": 10_000, "currency": "CNY"}), Need::Pay),
        e(
            "POST",
            "/v1/accounts/{a}/prepaid-cards/allocate",
            json!({"face_value_minor": 10_000, "currency": "CNY"}),
            Need::Operator,
        ),
        e("GET", "/v1/accounts/{a}/charges/{c}", none.clone(), Need::Read),
        e("POST", "/v1/accounts/{a}/charges/{c}/reverse", json!({"reason": "matrix"}), Need::Operator),
        e(
            "POST",
            "/v1/accounts/{a}/adjustments",
            json!({"amount_minor": 1, "currency": "CNY", "reason": "matrix"}),
            Need::Operator,
        ),
        e("GET", "/v1/accounts/{a}/statements/income-expenditure", none.clone(), Need::Read),
        e("GET", "/v1/accounts/{a}/events", none.clone(), Need::Read),
        e("GET", "/v1/accounts/{a}/statements/consumption", none.clone(), Need::Read),
        e("GET", "/v1/accounts/{a}/statements/monthly?month=2026-11", none.clone(), Need::Read),
        e("GET", "/v1/accounts/{a}/tokens", none.clone(), Need::Manage),
        e("GET", "/v1/accounts/{a}/members", none.clone(), Need::Read.max_manage()),
        e(
            "POST",
            "/v1/accounts/{a}/members",
            json!({"login": "m{n}@x.example", "password": "a-long-password", "role": "viewer"}),
            Need::Manage,
        ),
        e("POST", "/v1/tokens", json!({"name": "t", "role": "viewer", "account_id": "{a}"}), Need::Manage),
    ]
}

impl Need {
    /// Listing members is an owner's business.
    fn max_manage(self) -> Need {
        Need::Manage
    }
}

/// A target account with a spare workspace, a voucher and a charge to point at.
fn target(t: &TestApp) -> (i64, i64, i64) {
    let a = t.account();
    t.credit(a, 10_000_000, &format!("seed-{a}"));
    let spare = json!({"workspace_id": format!("spare-{a}"), "settlement": "billing_center"});
    assert_eq!(post(t, &format!("/v1/accounts/{a}/workspaces"), OPERATOR_TOKEN, spare).status, 201);
    let v = post(
        t,
        &format!("/v1/accounts/{a}/vouchers"),
        OPERATOR_TOKEN,
        json!({"kind": "standard", "face_value_minor": 100, "currency": "CNY", "validity": {"valid_days": 1}}),
    );
    let c = post(t, "/v1/charges", OPERATOR_TOKEN, t.bill(a, &format!("seed-{a}"), 50));
    (a, v.body["voucher_id"].as_i64().unwrap_or_default(), c.body["charge"]["charge_id"].as_i64().unwrap_or_default())
}

fn fill(text: &str, a: i64, v: i64, c: i64, n: usize) -> String {
    text.replace("{a}", &a.to_string())
        .replace("{v}", &v.to_string())
        .replace("{c}", &c.to_string())
        .replace("{n}", &n.to_string())
}

fn fill_body(body: &Value, a: i64, v: i64, c: i64, n: usize) -> Option<Value> {
    if body.is_null() {
        return None;
    }
    let text = fill(&body.to_string(), a, v, c, n).replace(&format!("\"{a}\""), &a.to_string());
    serde_json::from_str(&text).ok()
}

fn every_endpoint_answers_every_role_as_domain_section_10_says(engine: Engine) {
    let t = spawn_app(engine);
    let own = target(&t);
    let foreign = target(&t);
    let tokens = [
        (Who::Nobody, None),
        (Who::Operator, Some(OPERATOR_TOKEN.to_owned())),
        (Who::Owner, Some(t.token(Role::Owner, Some(own.0)))),
        (Who::Finance, Some(t.token(Role::Finance, Some(own.0)))),
        (Who::Viewer, Some(t.token(Role::Viewer, Some(own.0)))),
        (Who::Metering, Some(t.token(Role::Metering, None))),
    ];
    let mut n = 0;
    let mut wrong = Vec::new();
    for endpoint in endpoints() {
        for (is_own, (a, v, c)) in [(true, own), (false, foreign)] {
            for (who, token) in &tokens {
                n += 1;
                let path = fill(endpoint.path, a, v, c, n);
                let body = fill_body(&endpoint.body, a, v, c, n);
                let r = call(&t, endpoint.method, &path, token.as_deref(), body.as_ref(), &[]);
                let got = if matches!(r.status, 401 | 403) || (r.status == 404 && r.code() == "not_found") {
                    Expect::Status(r.status)
                } else {
                    Expect::Allowed
                };
                let want = expected(*who, endpoint.need, is_own);
                if got != want {
                    wrong.push(format!(
                        "{} {path} as {who:?} (own: {is_own}): want {want:?}, got {} {}",
                        endpoint.method, r.status, r.text
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {n} cases wrong:\n{}", wrong.len(), wrong.join("\n"));
}

crate::engine_tests!(every_endpoint_answers_every_role_as_domain_section_10_says,);
