//! Secrets never reach the log and are never shown twice. Every log line the server
//! writes, at TRACE and from every target, goes to a buffer (the server runs with the
//! same request log as `coffer serve`); the tests then log in with passwords, create
//! API tokens, generate and redeem activation codes, pay through the Alipay sandbox
//! (signed return and notification), and look for each secret in the buffer.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use coffer_alipay_sandbox::demo as sandbox_demo;
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_core::ids::AccountId;
use support::{agent, post_login, reply, spawn, Client, Server, PASSWORD};

/// Everything logged by this test binary so far.
fn log() -> String {
    String::from_utf8_lossy(&capture().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

fn capture() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap_or_else(|e| panic!("{e}"));
        buffer
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn started() -> Server {
    capture();
    spawn()
}

/// Asserts that no secret appears in the log, and that the log is not empty.
fn assert_not_logged(secrets: &[(&str, &str)]) {
    let log = log();
    assert!(log.contains("request answered"), "the capture sees the request log:\n{log}");
    for (what, secret) in secrets {
        assert!(secret.len() >= 8, "{what} is too short to look for");
        assert!(!log.contains(secret), "{what} was logged");
    }
}

/// The first `cft_` token shown on a page.
fn token_on(body: &str) -> Option<String> {
    let at = body.find("cft_")?;
    Some(body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
}

#[test]
fn passwords_session_ids_and_csrf_tokens_never_reach_the_log() {
    let server = started();
    let web = post_login(&server, "owner", PASSWORD, None);
    let session = support::cookie(&web, "coffer_session").unwrap_or_default();
    let owner = Client::with_session(&server, &session);
    let csrf = owner.csrf();
    let wrong = post_login(&server, "owner", "a-wrong-password-42", None);
    assert_eq!(wrong.status, 401);
    let api = reply(
        agent()
            .post(&format!("{}/v1/session", server.base))
            .send_json(serde_json::json!({"login": "viewer", "password": PASSWORD})),
    );
    let api_session = support::cookie(&api, "coffer_session").unwrap_or_default();
    assert_eq!(owner.get("/accounts/1").status, 200);
    assert_not_logged(&[
        ("the password", PASSWORD),
        ("a wrong password", "a-wrong-password-42"),
        ("the UI session id", &session),
        ("the API session id", &api_session),
        ("the CSRF token", &csrf),
    ]);
}

#[test]
fn an_api_token_is_shown_once_on_the_page_that_created_it_and_never_logged() {
    let server = started();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let created = owner.post("/accounts/1/tokens", &[("name", "ci deploy"), ("role", "viewer"), ("csrf", &csrf)]);
    assert_eq!(created.status, 200, "{}", created.body);
    let token = token_on(&created.body).unwrap_or_else(|| panic!("the new token is shown: {}", created.body));
    assert_eq!(token.len(), 4 + 64);
    assert!(token_on(&owner.get("/accounts/1/team").body).is_none(), "the team page never shows it again");
    let used = reply(
        agent().get(&format!("{}/v1/accounts/1", server.base)).set("Authorization", &format!("Bearer {token}")).call(),
    );
    assert_eq!(used.status, 200, "the token works");
    let listed = reply(
        agent()
            .get(&format!("{}/v1/accounts/1/tokens", server.base))
            .set("Authorization", &format!("Bearer {}", operator_token(&server)))
            .call(),
    );
    assert!(
        !listed.body.contains(&token) && !listed.body.contains("cft_"),
        "listing tokens shows none: {}",
        listed.body
    );
    assert_not_logged(&[("the API token", &token)]);
}

fn operator_token(server: &Server) -> String {
    let made = server.auth.create_token("ops", coffer_store::auth::Role::Operator, None);
    made.unwrap_or_else(|e| panic!("{e}")).0
}

#[test]
fn an_api_token_created_through_the_api_is_in_that_answer_only() {
    let server = started();
    let ops = operator_token(&server);
    let url = format!("{}/v1/tokens", server.base);
    let created = reply(
        agent()
            .post(&url)
            .set("Authorization", &format!("Bearer {ops}"))
            .send_json(serde_json::json!({"name": "meter", "role": "metering"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let body: serde_json::Value = serde_json::from_str(&created.body).unwrap_or_default();
    let token = body["token"].as_str().unwrap_or_default().to_owned();
    assert!(token.starts_with("cft_"), "{body}");
    assert_not_logged(&[("the operator token", &ops), ("the created token", &token)]);
}

#[test]
fn activation_codes_download_once_and_are_never_logged() {
    let server = started();
    let operator = Client::login(&server, "operator");
    let csrf = operator.csrf();
    let form = [
        ("kind", "standard"),
        ("currency", "CNY"),
        ("face_value", "10"),
        ("valid_days", "30"),
        ("count", "3"),
        ("memo", "secrets test"),
        ("csrf", csrf.as_str()),
    ];
    let page = operator.post("/console/code-batches", &form);
    assert_eq!(page.status, 200, "{}", page.body);
    let link = page.body.split("href=\"").filter_map(|s| s.split('"').next()).find(|h| h.ends_with("codes.csv"));
    let link = link.unwrap_or_else(|| panic!("a download link: {}", page.body)).replace("&#x2f;", "/");
    let csv = operator.get(&link);
    assert_eq!(csv.status, 200, "{}", csv.body);
    let codes: Vec<String> = csv.body.lines().skip(1).filter_map(|l| l.split(',').nth(1)).map(str::to_owned).collect();
    assert_eq!(codes.len(), 3, "{}", csv.body);
    assert_eq!(operator.get(&link).status, 410, "the second download is refused");
    assert!(!operator.get("/console/code-batches").body.contains(&codes[0]), "the batch page does not show codes");
    let owner = Client::login(&server, "owner");
    let owner_csrf = owner.csrf();
    let activated = owner.post("/accounts/1/vouchers/activate", &[("code", &codes[0]), ("csrf", &owner_csrf)]);
    assert!(activated.status < 400, "{}", activated.body);
    let ops = operator_token(&server);
    let api = reply(
        agent()
            .post(&format!("{}/v1/accounts/1/vouchers/activate", server.base))
            .set("Authorization", &format!("Bearer {ops}"))
            .send_json(serde_json::json!({"code": codes[1]})),
    );
    assert!(api.status < 400, "{}", api.body);
    let canonical: Vec<String> = codes.iter().map(|c| c.replace('-', "")).collect();
    let mut secrets: Vec<(&str, &str)> = codes.iter().map(|c| ("an activation code", c.as_str())).collect();
    secrets.extend(canonical.iter().map(|c| ("an activation code without dashes", c.as_str())));
    secrets.push(("the code key", "0707070707070707"));
    assert_not_logged(&secrets);
}

#[test]
fn alipay_signatures_and_keys_never_reach_the_log() {
    let server = started();
    let req = CreateRecharge {
        account_id: AccountId(1),
        amount_minor: 4_200,
        currency: "CNY",
        channel: "page_pay",
        idempotency_key: None,
    };
    let started = server.app.create_recharge(&req).unwrap_or_else(|e| panic!("{e}"));
    let pay_url = started.pay_url.unwrap_or_default();
    let no = started.order.order.out_trade_no;
    assert_eq!(reply(agent().get(&pay_url).call()).status, 200);
    let paid = reply(
        agent().post(&format!("{}/alipay-sandbox/sim/cashier/pay", server.base)).send_form(&[("out_trade_no", &no)]),
    );
    let back = paid.location.unwrap_or_else(|| panic!("the cashier sends the browser back"));
    let owner = Client::login(&server, "owner");
    let returned = reply(owner.agent.get(&back).set("Cookie", &owner.cookie()).call());
    assert_eq!(returned.status, 200, "{}", returned.body);
    let before = server.app.account_overview(AccountId(1)).unwrap_or_else(|e| panic!("{e}")).cash_minor;
    assert_eq!(server.sandbox.deliver_due(), 1, "the notification is posted");
    let notes = server.app.alipay_notifications(None, 10).unwrap_or_else(|e| panic!("{e}"));
    let body = &notes.first().unwrap_or_else(|| panic!("logged in the notification log")).notification.body;
    let sign = form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "sign").map(|(_, v)| v.into_owned());
    let sign = sign.unwrap_or_else(|| panic!("a signed notification: {body}"));
    let return_sign = back.split("sign=").nth(1).unwrap_or_default().split('&').next().unwrap_or_default().to_owned();
    assert!(server.app.account_overview(AccountId(1)).unwrap_or_else(|e| panic!("{e}")).cash_minor >= before);
    let key_line = |pem: &'static str| pem.lines().nth(1).unwrap_or_default();
    assert_not_logged(&[
        ("the notification's signature", &sign[..40]),
        ("the return's signature", &return_sign[..40.min(return_sign.len())]),
        ("the merchant's private key", key_line(sandbox_demo::APP_PRIVATE_KEY_PEM)),
        ("Alipay's private key", key_line(sandbox_demo::SANDBOX_PRIVATE_KEY_PEM)),
    ]);
}
