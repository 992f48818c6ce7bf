//! Delivery end to end: the `webhooks` and `email` jobs over a real store (SQLite
//! and PostgreSQL) send through this crate's adapters to servers on loopback — a
//! tiny HTTP server that checks signatures the way docs/WEBHOOKS.md tells receivers
//! to, and a fake SMTP relay.

/// The receiver code docs/WEBHOOKS.md shows, compiled as it stands there.
#[path = "receiver/verify.rs"]
mod receiver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use coffer_app::clock::ManualClock;
use coffer_app::jobs::notify::{Mail, Mailer};
use coffer_app::jobs::{JobName, JobSettings, Jobs, RunResult};
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_app::use_cases::cash::CreditCash;
use coffer_app::use_cases::webhooks::CreateWebhook;
use coffer_app::{App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_notify::file_mailer::FileMailer;
use coffer_notify::http::HttpWebhookSender;
use coffer_notify::signature::{verify, VerifyError};
use coffer_notify::smtp::SmtpMailer;
use coffer_store::auth::{AuthStore, NewUser, Role};
use coffer_store::webhooks::{Channel, DeliveryState};
use coffer_store::Store;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;

/// 2026-11-26T02:00:00Z.
const T0: Timestamp = Timestamp(1_795_658_400_000);

#[derive(Clone, Copy)]
enum Engine {
    Sqlite,
    Postgres,
}

struct World {
    app: App,
    auth: Arc<dyn AuthStore>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    _pg: Option<coffer_store_postgres::testing::TestDb>,
}

fn world(engine: Engine) -> World {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(T0));
    let (store, auth, pg): (Arc<dyn Store>, Arc<dyn AuthStore>, _) = match engine {
        Engine::Sqlite => {
            let path = dir.path().join("coffer.db");
            let open = || SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
            (Arc::new(open()), Arc::new(open()), None)
        }
        Engine::Postgres => {
            let db = coffer_store_postgres::testing::fresh_db();
            let open = || PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("{e}"));
            (Arc::new(open()), Arc::new(open()), Some(db))
        }
    };
    let app = App::new(store, AppConfig::with_code_key(vec![7; 32]), clock.clone());
    World { app, auth, clock, _dir: dir, _pg: pg }
}

impl World {
    fn account(&self) -> AccountId {
        let req = CreateAccount {
            name: "Acme",
            currency: "CNY",
            time_zone: None,
            arrears_limit_minor: None,
            idempotency_key: None,
        };
        self.app.create_account(&req).unwrap_or_else(|e| panic!("{e}")).account.id
    }

    /// A cash credit, which appends a `recharge_succeeded` event.
    fn credit(&self, account: AccountId, external_id: &str) {
        let req = CreditCash {
            account_id: account,
            amount_minor: 10_000,
            currency: "CNY",
            source: "bank_transfer",
            external_id,
            memo: "",
        };
        self.app.credit_cash(&req).unwrap_or_else(|e| panic!("{e}"));
    }

    fn jobs(&self) -> Jobs {
        let settings =
            JobSettings { max_attempts: 3, backoff_base_ms: 1_000, backoff_cap_ms: 10_000, ..JobSettings::default() };
        Jobs::new(self.app.clone(), self.auth.clone(), settings)
    }

    fn run(&self, jobs: &Jobs, job: JobName) {
        match jobs.run(job, "test") {
            Ok(RunResult::Ran { error: None, .. }) => {}
            other => panic!("{}: {other:?}", job.as_str()),
        }
    }
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map_or("", |(_, v)| v.as_str())
    }
}

/// A webhook receiver on 127.0.0.1 answering each request with the next status of
/// `statuses` (the last one repeats), recording what it received.
fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{}/hook", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            let len = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length"));
            let len: usize = len.and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap_or_else(|p| p.into_inner()).push(Received { headers, body });
            let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(204);
            let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = reader.get_mut().write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

fn webhook(w: &World, account: AccountId, url: &str) -> String {
    let req = CreateWebhook { account_id: account, url, kinds: &[] };
    w.app.create_webhook(&req).unwrap_or_else(|e| panic!("{e}")).secret
}

fn received(seen: &Arc<Mutex<Vec<Received>>>) -> Vec<Received> {
    seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// A 500 is retried after the backoff; the retry's signature verifies with the
/// documented receiver code, and a replayed or altered delivery does not.
fn a_webhook_is_retried_after_a_500_and_its_signature_verifies(engine: Engine) {
    let w = world(engine);
    let jobs = w.jobs().with_webhook_sender(Arc::new(HttpWebhookSender::new()));
    let a = w.account();
    let (url, seen) = receiver(vec![500, 204]);
    let secret = webhook(&w, a, &url);
    w.credit(a, "bank-1");
    w.run(&jobs, JobName::Webhooks);
    let log = w.app.notification_deliveries(a, Some("webhook"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (log.len(), log[0].state, log[0].attempts, log[0].last_status),
        (1, DeliveryState::Pending, 1, Some(500))
    );
    assert_eq!(log[0].next_attempt_at, Timestamp(T0.0 + 1_000), "the first retry waits the base delay");
    w.run(&jobs, JobName::Webhooks);
    assert_eq!(received(&seen).len(), 1, "not due yet: nothing sent");
    w.clock.advance_ms(1_000);
    w.run(&jobs, JobName::Webhooks);
    let log = w.app.notification_deliveries(a, Some("webhook"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((log[0].state, log[0].attempts, log[0].last_status), (DeliveryState::Delivered, 2, Some(204)));
    let got = received(&seen);
    assert_eq!(got.len(), 2);
    let r = &got[1];
    // The receiver's check, exactly as docs/WEBHOOKS.md shows it.
    let now_secs = (T0.0 + 1_000) / 1_000;
    let (ts, sig) = (r.header("Coffer-Timestamp"), r.header("Coffer-Signature"));
    assert!(receiver::verify_webhook(&secret, ts, sig, &r.body, now_secs), "the documented Rust check accepts it");
    assert!(!receiver::verify_webhook(&secret, ts, sig, &r.body, now_secs + 301), "and refuses a replay");
    assert!(!receiver::verify_webhook("whsec_other", ts, sig, &r.body, now_secs));
    assert_eq!(verify(&secret, ts, sig, &r.body, now_secs), Ok(()));
    assert_eq!(verify(&secret, ts, sig, &r.body, now_secs + 301), Err(VerifyError::StaleTimestamp));
    assert_eq!(verify(&secret, ts, sig, b"{}", now_secs), Err(VerifyError::BadSignature));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (body["kind"].as_str(), body["account_id"].as_i64(), body["seq"].as_i64()),
        (Some("recharge_succeeded"), Some(a.0), Some(1))
    );
    assert_eq!(r.header("Coffer-Event-Id"), body["id"].to_string());
    assert_eq!(r.header("Content-Type"), "application/json");
    w.run(&jobs, JobName::Webhooks);
    assert_eq!(received(&seen).len(), 2, "a delivered event is not sent again");
}

/// An endpoint that keeps failing is given up after the last attempt, visibly.
fn a_webhook_that_keeps_failing_is_marked_failed_after_the_last_attempt(engine: Engine) {
    let w = world(engine);
    let jobs = w.jobs().with_webhook_sender(Arc::new(HttpWebhookSender::new()));
    let a = w.account();
    let (url, seen) = receiver(vec![503]);
    webhook(&w, a, &url);
    w.credit(a, "bank-1");
    for _ in 0..5 {
        w.run(&jobs, JobName::Webhooks);
        w.clock.advance_ms(10_000);
    }
    let log = w.app.notification_deliveries(a, Some("webhook"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((log[0].state, log[0].attempts, log[0].last_status), (DeliveryState::Failed, 3, Some(503)));
    assert_eq!(log[0].last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(received(&seen).len(), 3, "no attempt after giving up");
}

/// A delivery to a deleted endpoint is given up at once, not retried.
fn a_delivery_to_a_deleted_endpoint_is_given_up_at_once(engine: Engine) {
    let w = world(engine);
    let jobs = w.jobs().with_webhook_sender(Arc::new(HttpWebhookSender::new()));
    let a = w.account();
    let (url, seen) = receiver(vec![500]);
    webhook(&w, a, &url);
    w.credit(a, "bank-1");
    w.run(&jobs, JobName::Webhooks);
    let id = w.app.webhooks(a).unwrap_or_else(|e| panic!("{e}"))[0].id;
    w.app.delete_webhook(a, id).unwrap_or_else(|e| panic!("{e}"));
    w.clock.advance_ms(1_000);
    w.run(&jobs, JobName::Webhooks);
    let log = w.app.notification_deliveries(a, Some("webhook"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((log[0].state, log[0].attempts), (DeliveryState::Failed, 2));
    assert_eq!(log[0].last_error.as_deref(), Some("the endpoint was deleted"));
    assert_eq!(received(&seen).len(), 1);
}

/// Owners whose login is an e-mail address get one message per event, once.
fn the_file_mailer_writes_one_message_per_event_to_each_owner_address(engine: Engine) {
    let w = world(engine);
    let outbox = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jobs = w.jobs().with_mailer(Arc::new(FileMailer::new(outbox.path())));
    let a = w.account();
    for (login, role) in
        [("owner@acme.example", Role::Owner), ("bob", Role::Owner), ("fin@acme.example", Role::Finance)]
    {
        let user =
            NewUser { login: login.into(), password_hash: "x".into(), role, account_id: Some(a), created_at: T0 };
        w.auth.insert_user(&user).unwrap_or_else(|e| panic!("{e}"));
    }
    w.credit(a, "bank-1");
    w.run(&jobs, JobName::Email);
    w.run(&jobs, JobName::Email);
    let files: Vec<_> =
        std::fs::read_dir(outbox.path()).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok).collect();
    assert_eq!(files.len(), 1, "one owner has an address; a rerun sends nothing");
    let text = std::fs::read_to_string(files[0].path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("To: owner@acme.example\r\n"), "{text}");
    assert!(text.contains(&format!("Subject: [Coffer] account {a}: Your recharge succeeded\r\n")), "{text}");
    assert!(text.contains("Amount: 100.00 CNY"), "{text}");
    let log = w.app.notification_deliveries(a, Some("email"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((log.len(), log[0].state, log[0].delivery.channel), (1, DeliveryState::Delivered, Channel::Email));
}

/// An event more than a day old when the job first reads it is not mailed.
fn an_event_read_more_than_a_day_late_is_not_mailed(engine: Engine) {
    let w = world(engine);
    let outbox = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jobs = w.jobs().with_mailer(Arc::new(FileMailer::new(outbox.path())));
    let a = w.account();
    let user = NewUser {
        login: "owner@acme.example".into(),
        password_hash: "x".into(),
        role: Role::Owner,
        account_id: Some(a),
        created_at: T0,
    };
    w.auth.insert_user(&user).unwrap_or_else(|e| panic!("{e}"));
    w.credit(a, "bank-1");
    w.clock.advance_ms(2 * 86_400_000);
    w.credit(a, "bank-2");
    w.run(&jobs, JobName::Email);
    let log = w.app.notification_deliveries(a, Some("email"), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log.len(), 1, "only the fresh event is mailed");
}

macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(super::Engine::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(super::Engine::Postgres) } )* }
    };
}

engine_tests!(
    a_webhook_is_retried_after_a_500_and_its_signature_verifies,
    a_webhook_that_keeps_failing_is_marked_failed_after_the_last_attempt,
    a_delivery_to_a_deleted_endpoint_is_given_up_at_once,
    the_file_mailer_writes_one_message_per_event_to_each_owner_address,
    an_event_read_more_than_a_day_late_is_not_mailed,
);

/// A fake relay: answers each command with the scripted reply and records the DATA.
fn fake_smtp(rcpt_reply: &'static str) -> (String, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}")).to_string();
    let data = Arc::new(Mutex::new(String::new()));
    let out = data.clone();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        let mut reader = BufReader::new(stream.try_clone().unwrap_or_else(|e| panic!("{e}")));
        let mut writer = stream;
        let _ = writer.write_all(b"220 fake.relay ESMTP\r\n");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    let _ = writer.write_all(b"250 queued\r\n");
                } else {
                    out.lock().unwrap_or_else(|p| p.into_inner()).push_str(&line);
                }
                continue;
            }
            let reply = match line.get(..4).unwrap_or("") {
                "EHLO" => "250-fake.relay\r\n250 8BITMIME\r\n",
                "MAIL" => "250 ok\r\n",
                "RCPT" => rcpt_reply,
                "DATA" => {
                    in_data = true;
                    "354 go ahead\r\n"
                }
                "QUIT" => "221 bye\r\n",
                _ => "500 what\r\n",
            };
            let _ = writer.write_all(reply.as_bytes());
        }
    });
    (addr, data)
}

fn mail(body: &str) -> Mail {
    Mail {
        from: "Coffer <billing@coffer.invalid>".into(),
        to: "owner@acme.example".into(),
        subject: "Your monthly bill is ready".into(),
        body: body.into(),
        at: T0,
        message_id: "event-1@coffer".into(),
    }
}

#[test]
fn the_smtp_mailer_hands_the_message_to_the_relay_with_dots_stuffed() {
    let (relay, data) = fake_smtp("250 ok\r\n");
    SmtpMailer::new(relay, "coffer.test")
        .send(&mail("Total: 12.34 CNY\n.hidden line"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = data.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(text.contains("To: owner@acme.example\r\n"), "{text}");
    assert!(text.contains("Subject: Your monthly bill is ready\r\n"), "{text}");
    assert!(text.contains("\r\n..hidden line\r\n"), "a leading dot is doubled on the wire: {text}");
}

#[test]
fn the_smtp_mailer_reports_a_refused_recipient() {
    let (relay, _) = fake_smtp("550 no such user\r\n");
    let err = SmtpMailer::new(relay, "coffer.test").send(&mail("x")).err().unwrap_or_default();
    assert!(err.contains("550 no such user"), "{err}");
}

/// docs/WEBHOOKS.md shows the receiver code that the delivery test runs, verbatim.
#[test]
fn the_documented_rust_verification_is_the_tested_one() {
    let docs = include_str!("../../../docs/WEBHOOKS.md");
    let code = include_str!("receiver/verify.rs");
    assert!(docs.contains(&format!("```rust\n{code}```")), "docs/WEBHOOKS.md must show tests/receiver/verify.rs");
}
