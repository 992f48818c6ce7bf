//! Request size limits on the UI: a form body over the limit (64 KiB, the API's) is
//! refused with 413 before any handler runs, shown as a status page, and writes
//! nothing; an ordinary form still works.

mod support;

use support::{fingerprint, spawn, Client};

#[test]
fn an_oversized_form_is_refused_with_413_and_writes_nothing() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let before = fingerprint(&server);
    let padding = "x".repeat(coffer_http::json::BODY_LIMIT_BYTES);
    let form = [("face_value", "100"), ("confirm", "yes"), ("csrf", csrf.as_str()), ("padding", padding.as_str())];
    let r = owner.post("/accounts/1/cards/buy", &form);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.content_type.starts_with("text/html"), "{}", r.content_type);
    assert!(r.body.contains("nothing was saved"), "{}", r.body);
    assert_eq!(fingerprint(&server), before);
    let ok = owner.post("/accounts/1/cards/buy", &form[..3]);
    assert_eq!(ok.status, 303, "the same form without the padding goes through");
}

#[test]
fn an_oversized_login_form_is_refused_with_413() {
    let server = spawn();
    let token = support::login_token(&server);
    let padding = "x".repeat(coffer_http::json::BODY_LIMIT_BYTES);
    let r = support::reply(
        support::agent()
            .post(&format!("{}/login", server.base))
            .set("Cookie", &format!("coffer_login_csrf={token}"))
            .send_form(&[("login", "owner"), ("password", &padding), ("login_csrf", &token)]),
    );
    assert_eq!(r.status, 413);
    assert!(support::cookie(&r, "coffer_session").is_none());
}
