//! Online recharge end to end: the real HTTP server with the local Alipay sandbox
//! mounted beside it, every fault knob, and the sweeper.

use std::sync::Arc;

use coffer_alipay_sandbox::{demo, Faults, QueryFailure, Sandbox};
use coffer_app::auth::Auth;
use coffer_app::clock::{Clock, ManualClock};
use coffer_app::{AlipayRail, App, AppConfig};
use coffer_core::time::Timestamp;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store_sqlite::SqliteStore;
use serde_json::{json, Value};

const TOKEN: &str = "recharge-test-operator-token-01";
const MINUTE: i64 = 60_000;

struct Env {
    base: String,
    sandbox: Sandbox,
    clock: Arc<ManualClock>,
    app: App,
    http: ureq::Agent,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Env {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(SqliteStore::open(&dir.path().join("r.db")).unwrap_or_else(|e| panic!("{e}")));
    let clock = Arc::new(ManualClock::new(Timestamp(1_795_658_400_000)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let (listener, addr) = runtime.block_on(coffer_http::server::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let sandbox_base = format!("{base}/alipay-sandbox");
    let sandbox_clock = clock.clone();
    let sandbox = Sandbox::new(demo::sandbox_config(&sandbox_base), Arc::new(move || sandbox_clock.now().0));
    let merchant =
        demo::merchant_config(&sandbox_base, &format!("{base}/v1/alipay/notify"), &format!("{base}/v1/alipay/return"));
    let mut config = AppConfig::with_code_key(vec![1; 32]);
    config.alipay = Some(AlipayRail::new(coffer_alipay::Client::new(merchant)));
    let auth = Auth::new(store.clone(), clock.clone());
    auth.bootstrap_operator(TOKEN).unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(store, config, clock.clone());
    let state = AppState { app: app.clone(), auth, cookies: CookiePolicy::default() };
    let router = coffer_http::router(state).nest("/alipay-sandbox", coffer_alipay_sandbox::router(sandbox.clone()));
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let http = ureq::AgentBuilder::new().redirects(0).build();
    Env { base, sandbox, clock, app, http, _dir: dir, _runtime: runtime }
}

fn send(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap_or_default()),
        Err(e) => panic!("transport: {e}"),
    }
}

impl Env {
    fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let req =
            self.http.request(method, &format!("{}{path}", self.base)).set("Authorization", &format!("Bearer {TOKEN}"));
        let (status, text) = send(match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        });
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn account(&self) -> i64 {
        let (status, body) = self.api("POST", "/v1/accounts", Some(json!({"name": "Payer", "currency": "CNY"})));
        assert_eq!(status, 201, "{body}");
        body["account_id"].as_i64().unwrap_or_default()
    }

    /// Creates a page.pay order, opens the cashier and presses a button; returns
    /// the order number and the button's Location header.
    fn pay(&self, account: i64, amount_minor: i64, button: &str) -> (String, Option<String>) {
        let (status, order) = self.api(
            "POST",
            &format!("/v1/accounts/{account}/recharges"),
            Some(json!({"amount_minor": amount_minor, "currency": "CNY"})),
        );
        assert_eq!(status, 201, "{order}");
        let no = order["out_trade_no"].as_str().unwrap_or_default().to_owned();
        let (status, html) = send(self.http.get(order["pay_url"].as_str().unwrap_or_default()).call());
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("<svg"), "the cashier shows a QR code");
        let url = format!("{}/alipay-sandbox/sim/cashier/{button}", self.base);
        let response = match self.http.post(&url).send_form(&[("out_trade_no", &no)]) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        (no, response.header("location").map(str::to_owned))
    }

    fn cash(&self, account: i64) -> i64 {
        self.api("GET", &format!("/v1/accounts/{account}"), None).1["cash_minor"].as_i64().unwrap_or(-1)
    }

    fn order(&self, account: i64, no: &str) -> Value {
        self.api("GET", &format!("/v1/accounts/{account}/recharges/{no}"), None).1
    }

    fn verdicts(&self) -> Vec<String> {
        let (_, list) = self.api("GET", "/v1/alipay/notifications", None);
        list.as_array().into_iter().flatten().map(|n| n["verdict"].as_str().unwrap_or_default().to_owned()).collect()
    }

    fn assert_clean(&self) {
        let report = self.app.verify().unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_clean(), "{:?}", report.problems);
    }
}

#[test]
fn a_customer_recharges_through_the_sandbox_and_cash_rises_once() {
    let env = start();
    let a = env.account();
    let (no, location) = env.pay(a, 8_888, "pay");
    let location = location.unwrap_or_else(|| panic!("the cashier redirects back"));
    assert!(location.starts_with(&format!("{}/v1/alipay/return?", env.base)), "{location}");
    let (status, text) = send(env.http.get(&location).call());
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"state\":\"paid\""), "the return page queries Alipay: {text}");
    assert_eq!(env.cash(a), 8_888);
    assert_eq!(env.sandbox.deliver_due(), 1);
    assert_eq!(env.cash(a), 8_888, "the notification after the query credits nothing more");
    assert_eq!(env.verdicts(), vec!["duplicate"]);
    assert_eq!(env.order(a, &no)["state"], "paid");
    env.assert_clean();
}

#[test]
fn duplicate_and_reordered_notifications_credit_once() {
    let env = start();
    let a = env.account();
    env.sandbox.set_faults(Faults { duplicate_delivery: true, reorder_finished_first: true, ..Faults::default() });
    let (_, _) = env.pay(a, 10_000, "pay");
    for _ in 0..4 {
        env.sandbox.deliver_due();
        env.clock.advance_ms(30 * MINUTE);
    }
    assert_eq!(env.cash(a), 10_000);
    let verdicts = env.verdicts();
    assert_eq!(verdicts.iter().filter(|v| *v == "credited").count(), 1, "{verdicts:?}");
    assert!(verdicts.len() >= 3, "{verdicts:?}");
    env.assert_clean();
}

#[test]
fn forged_notifications_never_credit_and_are_logged_with_the_reason() {
    let forgeries = [
        Faults { tamper_amount: true, ..Faults::default() },
        Faults { bad_signature: true, ..Faults::default() },
        Faults { sign_type_rsa: true, ..Faults::default() },
        Faults { wrong_app_id: true, ..Faults::default() },
        Faults { wrong_seller_id: true, ..Faults::default() },
    ];
    for faults in forgeries {
        let env = start();
        let a = env.account();
        env.sandbox.set_faults(faults.clone());
        env.pay(a, 5_000, "pay");
        assert_eq!(env.sandbox.deliver_due(), 1);
        assert_eq!(env.cash(a), 0, "{faults:?}");
        assert_eq!(env.verdicts(), vec!["rejected"], "{faults:?}");
    }
}

#[test]
fn a_lost_notification_is_caught_by_the_sweeper() {
    let env = start();
    let a = env.account();
    env.sandbox.set_faults(Faults { lose_notifications: true, ..Faults::default() });
    env.pay(a, 7_000, "pay");
    assert_eq!(env.sandbox.deliver_due(), 0);
    env.clock.advance_ms(2 * MINUTE);
    let (status, report) = env.api("POST", "/v1/recharges/sweep", None);
    assert_eq!((status, report["credited"].as_u64()), (200, Some(1)), "{report}");
    assert_eq!(env.cash(a), 7_000);
    env.assert_clean();
}

/// The scheduler's `recharge_sweeper` job (docs/JOBS.md) catches a lost
/// notification like the endpoint does, and a rerun credits nothing more.
#[test]
fn the_recharge_sweeper_job_credits_a_lost_payment_once() {
    use coffer_app::jobs::{JobName, JobSettings, Jobs, RunResult};
    let env = start();
    let a = env.account();
    env.sandbox.set_faults(Faults { lose_notifications: true, ..Faults::default() });
    env.pay(a, 7_000, "pay");
    env.clock.advance_ms(2 * MINUTE);
    let auth = Arc::new(SqliteStore::open(&env._dir.path().join("r.db")).unwrap_or_else(|e| panic!("{e}")));
    let jobs = Jobs::new(env.app.clone(), auth, JobSettings::default());
    for _ in 0..2 {
        let ran = jobs.run(JobName::RechargeSweeper, "test");
        assert!(matches!(ran, Ok(RunResult::Ran { error: None, .. })), "{ran:?}");
        env.clock.advance_ms(2 * MINUTE);
    }
    assert_eq!(env.cash(a), 7_000, "credited once");
    env.assert_clean();
}

#[test]
fn the_sweeper_expires_unpaid_orders_and_a_late_payment_is_still_credited_and_flagged() {
    let env = start();
    let a = env.account();
    let (status, order) = env.api(
        "POST",
        &format!("/v1/accounts/{a}/recharges"),
        Some(json!({"amount_minor": 3_000, "currency": "CNY"})),
    );
    assert_eq!(status, 201);
    let no = order["out_trade_no"].as_str().unwrap_or_default().to_owned();
    let (_, html) = send(env.http.get(order["pay_url"].as_str().unwrap_or_default()).call());
    assert!(html.contains("<svg"));
    env.clock.advance_ms(31 * MINUTE);
    let (_, report) = env.api("POST", "/v1/recharges/sweep", None);
    assert_eq!(report["expired"].as_u64(), Some(1), "{report}");
    assert_eq!(env.order(a, &no)["state"], "expired");
    env.sandbox.set_faults(Faults { late_payment: true, ..Faults::default() });
    let url = format!("{}/alipay-sandbox/sim/cashier/pay", env.base);
    let _ = env.http.post(&url).send_form(&[("out_trade_no", &no)]);
    env.sandbox.deliver_due();
    let order = env.order(a, &no);
    assert_eq!((order["state"].as_str(), order["late"].as_bool()), (Some("paid"), Some(true)), "{order}");
    assert_eq!(env.cash(a), 3_000);
    env.assert_clean();
}

#[test]
fn the_sweeper_never_expires_an_order_on_an_unknown_result() {
    let env = start();
    let a = env.account();
    env.sandbox.set_faults(Faults {
        query_failure: Some(QueryFailure::SystemError),
        lose_notifications: true,
        ..Faults::default()
    });
    let (no, _) = env.pay(a, 2_000, "scan");
    env.clock.advance_ms(45 * MINUTE);
    let (_, report) = env.api("POST", "/v1/recharges/sweep", None);
    assert_eq!((report["expired"].as_u64(), report["deferred"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(env.order(a, &no)["state"], "pending");
}

#[test]
fn recharges_refuse_bad_input_and_replay_an_idempotency_key() {
    let env = start();
    let a = env.account();
    let path = format!("/v1/accounts/{a}/recharges");
    for (body, field) in [
        (json!({"amount_minor": 0, "currency": "CNY"}), "amount_minor"),
        (json!({"amount_minor": 100, "currency": "USD"}), "currency"),
        (json!({"amount_minor": 100, "currency": "CNY", "channel": "wire"}), "channel"),
        (json!({"amount_minor": 10_000_000_001i64, "currency": "CNY"}), "amount_minor"),
    ] {
        let (status, problem) = env.api("POST", &path, Some(body));
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{problem}");
    }
    let send_keyed = || {
        let req = env.http.post(&format!("{}{path}", env.base)).set("Authorization", &format!("Bearer {TOKEN}"));
        send(req.set("Idempotency-Key", "r-1").send_json(json!({"amount_minor": 500, "currency": "CNY"})))
    };
    let (first, second) = (send_keyed(), send_keyed());
    assert_eq!(first, second);
    let (_, list) = env.api("GET", &path, None);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[test]
fn a_malformed_notification_is_refused_and_logged() {
    let env = start();
    let (status, text) = send(env.http.post(&format!("{}/v1/alipay/notify", env.base)).send_string("garbage=%%&&="));
    assert_eq!((status, text.as_str()), (200, "fail"));
    assert_eq!(env.verdicts(), vec!["rejected"]);
}

#[test]
fn a_precreate_recharge_returns_a_qr_code_whose_scan_and_payment_credit_cash() {
    let env = start();
    let a = env.account();
    let (status, order) = env.api(
        "POST",
        &format!("/v1/accounts/{a}/recharges"),
        Some(json!({"amount_minor": 6_600, "currency": "CNY", "channel": "precreate"})),
    );
    assert_eq!(status, 201, "{order}");
    assert_eq!((order["state"].as_str(), order["pay_url"].is_null()), (Some("pending"), true), "{order}");
    let qr = order["qr_code"].as_str().unwrap_or_default().to_owned();
    assert!(qr.contains("/alipay-sandbox/sim/qr/"), "{qr}");
    let (status, wallet) = send(env.http.get(&qr).call());
    assert_eq!(status, 200, "scanning the code opens the wallet page: {wallet}");
    let no = order["out_trade_no"].as_str().unwrap_or_default().to_owned();
    let url = format!("{}/alipay-sandbox/sim/cashier/pay", env.base);
    let (status, _) = send(env.http.post(&url).send_form(&[("out_trade_no", &no)]));
    assert_eq!(status, 200);
    assert_eq!(env.sandbox.deliver_due(), 1);
    assert_eq!(env.cash(a), 6_600);
    env.assert_clean();
}
