//! Sessions: a fresh id at every login (no fixation), logout ends the session on the
//! server for the UI and the API alike, sessions expire, ids are stored only as
//! their SHA-256, and the cookies carry HttpOnly, SameSite=Strict, Path and (behind
//! TLS) Secure.

mod support;

use coffer_app::auth::{secret_hash, SESSION_TTL_MS};
use coffer_app::clock::Clock;
use coffer_http::routes::identity::CookiePolicy;
use support::{agent, cookie, post_login, reply, spawn, spawn_with, Client, Server, PASSWORD};

fn session_of(server: &Server, login: &str, held: Option<&str>) -> String {
    let done = post_login(server, login, PASSWORD, held);
    assert_eq!(done.status, 303, "{}", done.body);
    cookie(&done, "coffer_session").unwrap_or_else(|| panic!("no session cookie"))
}

fn is_login_redirect(client: &Client, path: &str) -> bool {
    client.get(path).location.as_deref() == Some("/login")
}

#[test]
fn a_session_id_planted_before_login_is_replaced_and_never_honoured() {
    let server = spawn();
    let planted = "cfs_0000000000000000000000000000000000000000000000000000000000000000";
    let fresh = session_of(&server, "owner", Some(planted));
    assert_ne!(fresh, planted, "the login sets a new id");
    assert!(is_login_redirect(&Client::with_session(&server, planted), "/accounts/1"));
    assert_eq!(Client::with_session(&server, &fresh).get("/accounts/1").status, 200);
}

#[test]
fn an_attackers_own_session_planted_in_a_victims_browser_stays_the_attackers() {
    let server = spawn();
    let attackers = session_of(&server, "globex", None);
    let victims = session_of(&server, "owner", Some(&attackers));
    assert_ne!(victims, attackers);
    let attacker = Client::with_session(&server, &attackers);
    assert_eq!(attacker.get("/accounts/1").status, 404, "the victim's login did not lift the attacker's session");
    assert_eq!(attacker.get("/accounts/2").status, 200);
}

#[test]
fn every_login_gets_a_new_session_id_and_the_old_one_stays_separate() {
    let server = spawn();
    let first = session_of(&server, "viewer", None);
    let second = session_of(&server, "viewer", Some(&first));
    assert_ne!(first, second);
    assert!(first.starts_with("cfs_") && first.len() == 4 + 64, "32 random bytes in hex: {first}");
}

#[test]
fn logging_out_ends_the_session_on_the_server_for_the_ui_and_the_api() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let old_cookie = owner.session.clone();
    let out = owner.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    let stale = Client::with_session(&server, &old_cookie);
    assert!(is_login_redirect(&stale, "/accounts/1"), "the UI no longer knows the old cookie");
    assert!(
        stale.post("/accounts/1/cards/buy", &[("face_value", "100"), ("csrf", &csrf)]).location.as_deref()
            == Some("/login")
    );
    let api = reply(
        agent()
            .get(&format!("{}/v1/accounts/1", server.base))
            .set("Cookie", &format!("coffer_session={old_cookie}"))
            .call(),
    );
    assert_eq!(api.status, 401, "the API no longer knows it either");
    let found = server.auth.session(&old_cookie).unwrap_or_else(|e| panic!("{e}"));
    assert!(found.is_none(), "the session row is gone");
}

#[test]
fn logging_out_through_the_api_ends_the_ui_session_too() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let out = reply(
        agent()
            .delete(&format!("{}/v1/session", server.base))
            .set("Cookie", &owner.cookie())
            .set("X-CSRF-Token", &csrf)
            .call(),
    );
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(is_login_redirect(&owner, "/accounts/1"));
}

#[test]
fn a_logout_without_the_csrf_token_is_refused_and_the_session_lives_on() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    assert_eq!(owner.post("/logout", &[("csrf", "forged")]).status, 403);
    assert_eq!(owner.get("/accounts/1").status, 200);
}

#[test]
fn a_session_expires_twelve_hours_after_login() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    server.clock.advance_ms(SESSION_TTL_MS - 1);
    assert_eq!(owner.get("/accounts/1").status, 200);
    server.clock.advance_ms(1);
    assert!(is_login_redirect(&owner, "/accounts/1"));
}

#[test]
fn a_session_id_is_stored_only_as_its_sha256() {
    let server = spawn();
    let session = session_of(&server, "owner", None);
    let store = &server.auth.store;
    let now = server.clock.now();
    assert!(store.session_by_hash(&secret_hash(&session), now).unwrap_or_else(|e| panic!("{e}")).is_some());
    assert!(store.session_by_hash(&session, now).unwrap_or_else(|e| panic!("{e}")).is_none());
}

#[test]
fn the_session_cookie_is_http_only_same_site_strict_for_the_whole_site() {
    let server = spawn();
    let done = post_login(&server, "viewer", PASSWORD, None);
    let set = done.cookies.iter().find(|c| c.starts_with("coffer_session=")).cloned().unwrap_or_default();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{flag} missing: {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP (the local demo) cannot keep a Secure cookie: {set}");
}

#[test]
fn behind_tls_every_cookie_the_ui_and_the_api_set_is_secure() {
    let server = spawn_with(CookiePolicy { secure: true });
    let page = reply(agent().get(&format!("{}/login", server.base)).call());
    let login_csrf = page.cookies.iter().find(|c| c.starts_with("coffer_login_csrf=")).cloned().unwrap_or_default();
    assert!(login_csrf.contains("Secure") && login_csrf.contains("HttpOnly") && login_csrf.contains("SameSite=Strict"));
    let done = post_login(&server, "viewer", PASSWORD, None);
    let ui = done.cookies.iter().find(|c| c.starts_with("coffer_session=")).cloned().unwrap_or_default();
    assert!(ui.contains("Secure") && ui.contains("HttpOnly") && ui.contains("SameSite=Strict"), "{ui}");
    let api = reply(
        agent()
            .post(&format!("{}/v1/session", server.base))
            .send_json(serde_json::json!({"login": "viewer", "password": PASSWORD})),
    );
    let api = api.cookies.iter().find(|c| c.starts_with("coffer_session=")).cloned().unwrap_or_default();
    assert!(api.contains("Secure") && api.contains("HttpOnly") && api.contains("SameSite=Strict"), "{api}");
}

#[test]
fn the_eleventh_sign_in_attempt_in_an_hour_is_refused_even_with_the_right_password() {
    let server = spawn();
    for n in 0..10 {
        let wrong = post_login(&server, "owner", &format!("wrong-password-{n:02}"), None);
        assert_eq!(wrong.status, 401, "attempt {n}");
    }
    let right = post_login(&server, "owner", PASSWORD, None);
    assert_eq!(right.status, 429, "{}", right.body);
    assert!(right.body.contains("Too many failed sign-ins"), "{}", right.body);
    assert!(cookie(&right, "coffer_session").is_none());
    let api = reply(
        agent()
            .post(&format!("{}/v1/session", server.base))
            .send_json(serde_json::json!({"login": "OWNER", "password": PASSWORD})),
    );
    assert_eq!(api.status, 429, "the API shares the limit, whatever the case of the login: {}", api.body);
    assert_eq!(post_login(&server, "viewer", PASSWORD, None).status, 303, "other logins are not affected");
    server.clock.advance_ms(3_600_001);
    assert_eq!(post_login(&server, "owner", PASSWORD, None).status, 303, "an hour later the right password works");
}
