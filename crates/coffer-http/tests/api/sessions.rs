//! Password login for the web UI: cookie flags, CSRF, logout.

use coffer_store::auth::Role;
use serde_json::json;

use crate::helpers::*;

fn login(t: &TestApp, login: &str, password: &str) -> Reply {
    call(t, "POST", "/v1/session", None, Some(&json!({"login": login, "password": password})), &[])
}

fn a_member_logs_in_uses_the_session_with_csrf_and_logs_out(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    t.auth
        .create_user("owner@acme.example", "correct horse battery", Role::Owner, Some(coffer_core::ids::AccountId(id)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login(&t, "owner@acme.example", "wrong password!").status, 401);
    let r = login(&t, "owner@acme.example", "correct horse battery");
    assert_eq!(r.status, 200, "{}", r.text);
    let cookie_header = r.header("set-cookie").unwrap_or_default().to_owned();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Strict"));
    let cookie = cookie_header.split(';').next().unwrap_or_default().to_owned();
    let csrf = r.body["csrf_token"].as_str().unwrap_or_default().to_owned();
    let read = call(&t, "GET", &format!("/v1/accounts/{id}"), None, None, &[("Cookie", &cookie)]);
    assert_eq!(read.status, 200);
    let ws = json!({"workspace_id": "w2", "settlement": "billing_center"});
    let path = format!("/v1/accounts/{id}/workspaces");
    let no_csrf = call(&t, "POST", &path, None, Some(&ws), &[("Cookie", &cookie)]);
    assert_eq!((no_csrf.status, no_csrf.code()), (403, "csrf_failed"));
    let with_csrf = call(&t, "POST", &path, None, Some(&ws), &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)]);
    assert_eq!(with_csrf.status, 201, "{}", with_csrf.text);
    let out = call(&t, "DELETE", "/v1/session", None, None, &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)]);
    assert_eq!(out.status, 204);
    let after = call(&t, "GET", &format!("/v1/accounts/{id}"), None, None, &[("Cookie", &cookie)]);
    assert_eq!(after.status, 401, "logout invalidates the session");
}

fn each_login_gets_a_fresh_session_id(engine: Engine) {
    let t = spawn_app(engine);
    t.auth
        .create_user("op@coffer.example", "operator password", Role::Operator, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let a = login(&t, "op@coffer.example", "operator password");
    let b = login(&t, "op@coffer.example", "operator password");
    assert_ne!(a.header("set-cookie"), b.header("set-cookie"));
}

fn tokens_are_shown_once_and_revocable(engine: Engine) {
    let t = spawn_app(engine);
    let id = t.account();
    let r = post(&t, "/v1/tokens", OPERATOR_TOKEN, json!({"name": "ci", "role": "viewer", "account_id": id}));
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.body["token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(get(&t, &format!("/v1/accounts/{id}"), &token).status, 200);
    let list = get(&t, &format!("/v1/accounts/{id}/tokens"), OPERATOR_TOKEN);
    assert!(list.body[0]["token"].is_null(), "listed tokens never include the secret");
    let token_id = r.body["token_id"].as_i64().unwrap_or_default();
    t.auth.revoke_token(token_id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&t, &format!("/v1/accounts/{id}"), &token).status, 401);
}

crate::engine_tests!(
    a_member_logs_in_uses_the_session_with_csrf_and_logs_out,
    each_login_gets_a_fresh_session_id,
    tokens_are_shown_once_and_revocable,
);
