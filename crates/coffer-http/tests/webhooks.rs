//! Webhook endpoints over HTTP, on both engines: owners and operators add one (its
//! secret shown once), list and delete them; other roles and accounts are refused;
//! bad input names its field. Reuses the black-box helpers of `tests/api`.

#[path = "api/helpers.rs"]
mod helpers;

use coffer_store::auth::Role;
use helpers::*;
use serde_json::json;

fn an_owner_adds_lists_and_deletes_webhook_endpoints(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let owner = t.token(Role::Owner, Some(a));
    let path = format!("/v1/accounts/{a}/webhooks");
    let body = json!({"url": "https://hooks.example.com/coffer", "kinds": ["recharge_succeeded"]});
    let created = post(&t, &path, &owner, body);
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap_or_default();
    assert!(secret.starts_with("whsec_") && secret.len() == 70, "{}", created.text);
    assert_eq!(created.body["kinds"], json!(["recharge_succeeded"]));
    let list = get(&t, &path, OPERATOR_TOKEN);
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.text);
    assert!(list.body[0].get("secret").is_none(), "listings never show the secret: {}", list.text);
    let id = created.body["id"].as_i64().unwrap_or_default();
    let paused = call(&t, "PUT", &format!("{path}/{id}/enabled"), Some(&owner), Some(&json!({"enabled": false})), &[]);
    assert_eq!((paused.status, paused.body["enabled"].as_bool()), (200, Some(false)), "{}", paused.text);
    let gone = call(&t, "DELETE", &format!("{path}/{id}"), Some(&owner), None, &[]);
    assert_eq!(gone.status, 204, "{}", gone.text);
    let again = call(&t, "DELETE", &format!("{path}/{id}"), Some(&owner), None, &[]);
    assert_eq!((again.status, again.code()), (404, "webhook_endpoint_not_found"), "{}", again.text);
    let log = get(&t, &format!("/v1/accounts/{a}/notification-deliveries?channel=webhook"), &owner);
    assert_eq!((log.status, log.body.as_array().map(Vec::len)), (200, Some(0)), "{}", log.text);
}

fn bad_webhook_input_names_its_field_and_other_roles_are_refused(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let path = format!("/v1/accounts/{a}/webhooks");
    let bad_url = post(&t, &path, OPERATOR_TOKEN, json!({"url": "ftp://x"}));
    assert_eq!((bad_url.status, bad_url.body["field"].as_str()), (422, Some("url")), "{}", bad_url.text);
    let bad_kind = post(&t, &path, OPERATOR_TOKEN, json!({"url": "https://x.example", "kinds": ["nope"]}));
    assert_eq!((bad_kind.status, bad_kind.body["field"].as_str()), (422, Some("kinds")), "{}", bad_kind.text);
    let finance = t.token(Role::Finance, Some(a));
    let refused = post(&t, &path, &finance, json!({"url": "https://x.example"}));
    assert_eq!(refused.status, 403, "{}", refused.text);
    let b = t.account();
    let other = t.token(Role::Owner, Some(b));
    let hidden = get(&t, &path, &other);
    assert_eq!(hidden.status, 404, "{}", hidden.text);
    assert_eq!(get(&t, &path, OPERATOR_TOKEN).body.as_array().map(Vec::len), Some(0));
}

engine_tests!(
    an_owner_adds_lists_and_deletes_webhook_endpoints,
    bad_webhook_input_names_its_field_and_other_roles_are_refused,
);
