//! CSRF on every form: every page with a form (including the confirmation and
//! error pages only a POST renders) carries the session's token in each
//! `<form method="post">`, and every POST route refuses a missing, wrong or another
//! session's token with 403, writing nothing. The login form, which has no session
//! yet, carries a double-submit token instead.

mod support;

use support::{
    agent, cookie, csrf_of, declared_routes, fingerprint, fixtures, login_token, path_of, reply, spawn, Client,
};

/// The `<form ...>` elements of a page, each with its body.
fn forms(body: &str) -> Vec<String> {
    body.split("<form").skip(1).map(|rest| rest.split("</form>").next().unwrap_or_default().to_owned()).collect()
}

fn is_post(form: &str) -> bool {
    let tag = form.split('>').next().unwrap_or_default().to_lowercase();
    tag.contains("method=\"post\"") || tag.contains("method=post")
}

/// Pages only a POST renders: confirmations and forms shown again with errors.
fn posted_pages(f: &support::Fixtures) -> Vec<(String, Vec<(&'static str, String)>)> {
    let transfer = format!("/console/bank-transfers/{}/assign", f.transfer_id);
    let approve = format!("/console/adjustments/{}/approve", f.request_id);
    vec![
        ("/accounts/1/cards/buy".into(), vec![("face_value", "100".into())]),
        ("/accounts/1/cards/buy".into(), vec![("face_value", "150".into()), ("confirm", "yes".into())]),
        ("/accounts/1/recharge".into(), vec![("amount", "-1".into())]),
        ("/accounts/1/vouchers/activate".into(), vec![("code", "not a code".into())]),
        ("/accounts/1/members".into(), vec![("login", "x".into())]),
        ("/accounts/1/tokens".into(), vec![("name", "a token".into()), ("role", "viewer".into())]),
        ("/console/accounts/1/adjustments".into(), vec![("amount", "20000".into()), ("reason", "test".into())]),
        ("/console/accounts/1/charges/1/reverse".into(), vec![]),
        (transfer, vec![("account_id", "1".into())]),
        (approve, vec![]),
        ("/console/code-batches".into(), vec![("count", "none".into())]),
        ("/console/bank-transfers".into(), vec![("amount", "x".into())]),
    ]
}

#[test]
fn every_post_form_on_every_page_carries_the_sessions_csrf_token() {
    let server = spawn();
    let f = fixtures(&server);
    let mut checked = 0;
    let mut problems = Vec::new();
    for login in ["operator", "owner"] {
        let client = Client::login(&server, login);
        let token = client.csrf();
        let mut pages = Vec::new();
        for (method, route) in declared_routes() {
            if method == "GET" && !route.starts_with("/assets") && !route.ends_with(".csv") {
                let path = path_of(&server, &f, &route);
                pages.push((path.clone(), client.get(&path)));
            }
        }
        for (path, form) in posted_pages(&f) {
            let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            fields.push(("csrf", &token));
            pages.push((format!("POST {path}"), client.post(&path, &fields)));
        }
        for (path, page) in pages {
            for form in forms(&page.body).iter().filter(|f| is_post(f)) {
                checked += 1;
                if csrf_of(form).as_deref() != Some(token.as_str()) {
                    problems.push(format!("{login} {path}: a form without the session's token: <form{form}"));
                }
                let action = form.split("action=\"").nth(1).unwrap_or("/").split('"').next().unwrap_or_default();
                // minijinja escapes `/` in attributes as `&#x2f;`.
                if !action.replace("&#x2f;", "/").starts_with('/') {
                    problems.push(format!("{login} {path}: a form posting off the site: {action}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 40, "only {checked} post forms found: the pages did not render as expected");
}

#[test]
fn the_login_form_carries_a_double_submit_token_matching_its_cookie() {
    let server = spawn();
    let page = reply(agent().get(&format!("{}/login", server.base)).call());
    let from_cookie = cookie(&page, "coffer_login_csrf").unwrap_or_default();
    let form = forms(&page.body).into_iter().find(|f| is_post(f)).unwrap_or_default();
    assert!(form.contains(&format!("name=\"login_csrf\" value=\"{from_cookie}\"")), "{form}");
    assert_eq!(from_cookie.len(), 32);
}

#[test]
fn a_login_without_the_matching_double_submit_token_is_refused_and_opens_no_session() {
    let server = spawn();
    let token = login_token(&server);
    let url = format!("{}/login", server.base);
    let form = |sent: &str| {
        [("login", "owner".to_owned()), ("password", support::PASSWORD.to_owned()), ("login_csrf", sent.to_owned())]
    };
    let attempts = [
        (None, form(&token)),
        (Some(token.clone()), form("")),
        (Some(token.clone()), form(&"0".repeat(32))),
        (Some(String::new()), form("")),
    ];
    for (held, fields) in attempts {
        let mut req = agent().post(&url);
        if let Some(c) = &held {
            req = req.set("Cookie", &format!("coffer_login_csrf={c}"));
        }
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = reply(req.send_form(&pairs));
        assert_eq!(r.status, 403, "cookie {held:?}");
        assert!(cookie(&r, "coffer_session").is_none(), "no session for a refused login");
    }
}

/// A form that would succeed if its token were right: confirmed, with valid fields.
fn would_succeed(path: &str) -> Vec<(&'static str, &'static str)> {
    let mut form = vec![("confirm", "yes"), ("reason", "csrf test"), ("account_id", "1")];
    let extra: &[(&str, &str)] = match path.rsplit('/').next().unwrap_or_default() {
        "recharge" => &[("amount", "10.00"), ("channel", "page_pay")],
        "activate" => &[("code", "2222-2222-2222-2222")],
        "buy" | "cards" => &[("face_value", "100")],
        "settlement" => &[("settlement", "cloud"), ("cloud_provider", "aliyun"), ("cloud_account_id", "x-1")],
        "members" => &[("login", "csrf-member"), ("password", "a-long-password"), ("role", "viewer")],
        "tokens" => &[("name", "csrf token"), ("role", "viewer")],
        "vouchers" => &[("kind", "standard"), ("face_value", "10"), ("currency", "CNY"), ("valid_days", "30")],
        "adjustments" => &[("amount", "10")],
        "code-batches" => {
            &[("kind", "standard"), ("face_value", "10"), ("currency", "CNY"), ("valid_days", "30"), ("count", "1")]
        }
        "bank-transfers" => &[
            ("bank_transaction_id", "CSRF-1"),
            ("amount", "10"),
            ("currency", "CNY"),
            ("value_date", "2026-11-20"),
            ("payer", "x"),
            ("reference", "x"),
        ],
        _ => &[],
    };
    form.extend_from_slice(extra);
    form
}

#[test]
fn every_post_route_refuses_a_missing_wrong_or_foreign_token_and_writes_nothing() {
    let server = spawn();
    let f = fixtures(&server);
    let operator = Client::login(&server, "operator");
    let real = operator.csrf();
    let others = Client::login(&server, "owner").csrf();
    // Paths first: a token to revoke is created for its path.
    let posts: Vec<String> = declared_routes()
        .into_iter()
        .filter(|(method, route)| method == "POST" && route != "/login")
        .map(|(_, route)| path_of(&server, &f, &route))
        .collect();
    let before = fingerprint(&server);
    let mut checked = 0;
    for path in posts {
        let form = would_succeed(&path);
        for token in [None, Some("".to_owned()), Some("0".repeat(real.len())), Some(others.clone())] {
            let mut fields = form.clone();
            if let Some(t) = &token {
                fields.push(("csrf", t));
            }
            let r = operator.post(&path, &fields);
            assert_eq!(r.status, 403, "POST {path} with token {token:?}: {}", r.body);
            checked += 1;
        }
    }
    assert!(checked >= 4 * 20, "only {checked} requests");
    assert_eq!(fingerprint(&server), before, "a refused POST wrote something");
    assert_eq!(operator.get("/console").status, 200, "the refused logout left the session alive");
}
