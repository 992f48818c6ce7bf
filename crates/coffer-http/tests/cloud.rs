//! Cloud marketplace settlement over HTTP: the real server with the marketplace
//! simulator mounted beside it and the real adapters pointed at it.

use std::sync::Arc;

use coffer_app::auth::Auth;
use coffer_app::clock::ManualClock;
use coffer_app::{App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_marketplace::MarketplaceSim;
use coffer_store::auth::Role;
use coffer_store_sqlite::SqliteStore;
use serde_json::{json, Value};

const OPERATOR: &str = "cloud-test-operator-token-0001";

struct Env {
    base: String,
    sim: MarketplaceSim,
    auth: Auth,
    app: App,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Env {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(SqliteStore::open(&dir.path().join("c.db")).unwrap_or_else(|e| panic!("{e}")));
    let clock = Arc::new(ManualClock::new(Timestamp(1_795_658_400_000)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let (listener, addr) = runtime.block_on(coffer_http::server::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let sim = MarketplaceSim::new();
    let mut config = AppConfig::with_code_key(vec![1; 32]);
    config.marketplaces = coffer_marketplace::demo::marketplaces(&format!("{base}/marketplace-sim"));
    let auth = Auth::new(store.clone(), clock.clone());
    auth.bootstrap_operator(OPERATOR).unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(store, config, clock);
    let state = AppState { app: app.clone(), auth: auth.clone(), cookies: CookiePolicy::default() };
    let router = coffer_http::router(state).nest("/marketplace-sim", coffer_marketplace::router(sim.clone()));
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Env { base, sim, auth, app, _dir: dir, _runtime: runtime }
}

impl Env {
    fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let req =
            ureq::request(method, &format!("{}{path}", self.base)).set("Authorization", &format!("Bearer {token}"));
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_json().unwrap_or(Value::Null)),
            Err(e) => panic!("transport: {e}"),
        }
    }

    fn op(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(OPERATOR, method, path, body)
    }

    /// An account with one AWS workspace and an owner token for it.
    fn customer(&self, workspace: &str, cloud_account: &str) -> (i64, String) {
        let (status, account) = self.op("POST", "/v1/accounts", Some(json!({"name": "Cloud Co", "currency": "CNY"})));
        assert_eq!(status, 201, "{account}");
        let id = account["account_id"].as_i64().unwrap_or_default();
        let bind = json!({"workspace_id": workspace, "settlement": "cloud", "cloud_provider": "aws", "cloud_account_id": cloud_account});
        let (status, body) = self.op("POST", &format!("/v1/accounts/{id}/workspaces"), Some(bind));
        assert_eq!(status, 201, "{body}");
        let (token, _) =
            self.auth.create_token("owner", Role::Owner, Some(AccountId(id))).unwrap_or_else(|e| panic!("{e}"));
        (id, token)
    }

    fn settle(&self, workspace: &str, bill: &str, amount_minor: i64) -> i64 {
        let charge = json!({"workspace_id": workspace, "bill_id": bill, "category": "payg",
            "amount_minor": amount_minor, "currency": "CNY", "bill_date": "2026-11-25"});
        let (status, body) = self.op("POST", "/v1/charges", Some(charge));
        assert_eq!(status, 201, "{body}");
        body["charge"]["charge_id"].as_i64().unwrap_or_default()
    }
}

#[test]
fn a_cloud_charge_is_delivered_through_the_simulator_and_its_owner_sees_the_delivery_state() {
    let env = start();
    let (a, owner) = env.customer("wa", "cust-1");
    let charge = env.settle("wa", "b1", 4_200);
    let path = format!("/v1/accounts/{a}/charges/{charge}/cloud-delivery");
    let (status, before) = env.call(&owner, "GET", &path, None);
    assert_eq!(status, 200, "{before}");
    assert_eq!(before[0]["state"], "pending");
    assert_eq!(before[0]["usage_record_id"], format!("coffer-{charge}-usage"));
    assert_eq!((before[0]["amount_minor"].as_i64(), before[0]["provider"].as_str()), (Some(4_200), Some("aws")));
    let (status, report) = env.op("POST", "/v1/cloud-outbox/deliver", None);
    assert_eq!((status, report["delivered"].as_u64()), (200, Some(1)), "{report}");
    let (_, after) = env.call(&owner, "GET", &path, None);
    assert_eq!((after[0]["state"].as_str(), after[0]["attempts"].as_u64()), (Some("delivered"), Some(1)));
    let usage = env.sim.usage();
    assert_eq!(usage.len(), 1, "{usage:?}");
    let (status, listed) = env.op("GET", "/v1/cloud-outbox?state=delivered", None);
    assert_eq!((status, listed.as_array().map(Vec::len)), (200, Some(1)), "{listed}");
    let report = env.app.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn the_outbox_routes_are_for_operators_and_a_foreign_charge_is_not_found() {
    let env = start();
    let (a, owner) = env.customer("wa", "cust-1");
    let (_, stranger) = env.customer("wb", "cust-2");
    let charge = env.settle("wa", "b1", 100);
    assert_eq!(env.call(&owner, "GET", "/v1/cloud-outbox", None).0, 403);
    assert_eq!(env.call(&owner, "POST", "/v1/cloud-outbox/deliver", None).0, 403);
    let cancel = json!({"provider": "aws", "cloud_account_id": "cust-1"});
    assert_eq!(env.call(&owner, "POST", "/v1/cloud-subscriptions/cancel", Some(cancel)).0, 403);
    let path = format!("/v1/accounts/{a}/charges/{charge}/cloud-delivery");
    assert_eq!(env.call(&stranger, "GET", &path, None).0, 404);
    let (status, missing) = env.op("GET", &format!("/v1/accounts/{a}/charges/999/cloud-delivery"), None);
    assert_eq!((status, missing["code"].as_str()), (404, Some("charge_not_found")));
}

#[test]
fn a_relayed_cancellation_moves_the_workspace_once_and_bad_input_is_a_problem() {
    let env = start();
    let (a, _) = env.customer("wa", "cust-1");
    let cancel = json!({"provider": "aws", "cloud_account_id": "cust-1"});
    let (status, done) = env.op("POST", "/v1/cloud-subscriptions/cancel", Some(cancel.clone()));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["moved"][0]["workspace_id"], "wa");
    assert_eq!(
        (done["moved"][0]["settlement"].as_str(), done["moved"][0]["cloud_subscription_active"].as_bool()),
        (Some("billing_center"), Some(false))
    );
    let (_, again) = env.op("POST", "/v1/cloud-subscriptions/cancel", Some(cancel));
    assert_eq!(again["moved"].as_array().map(Vec::len), Some(0));
    let (status, bad) =
        env.op("POST", "/v1/cloud-subscriptions/cancel", Some(json!({"provider": "gcp", "cloud_account_id": "x"})));
    assert_eq!((status, bad["field"].as_str()), (422, Some("provider")), "{bad}");
    let (status, bad) = env.op("GET", "/v1/cloud-outbox?state=lost", None);
    assert_eq!((status, bad["field"].as_str()), (422, Some("state")), "{bad}");
    let (_, ws) = env.op("GET", &format!("/v1/accounts/{a}/workspaces"), None);
    assert_eq!(ws[0]["settlement"], "billing_center");
}

#[test]
fn a_subscription_the_provider_cancelled_is_rejected_and_billed_to_arrears_over_http() {
    let env = start();
    let (a, owner) = env.customer("wa", "cust-1");
    let charge = env.settle("wa", "b1", 900);
    env.sim.cancel_subscription(coffer_core::workspace::CloudProvider::Aws, "cust-1");
    let (_, report) = env.op("POST", "/v1/cloud-outbox/deliver", None);
    assert_eq!((report["rejected"].as_u64(), report["workspaces_moved"].as_u64()), (Some(1), Some(1)), "{report}");
    let (_, items) = env.call(&owner, "GET", &format!("/v1/accounts/{a}/charges/{charge}/cloud-delivery"), None);
    assert_eq!(
        (items[0]["state"].as_str(), items[0]["last_error"].as_str()),
        (Some("rejected"), Some("subscription cancelled"))
    );
    let (_, overview) = env.call(&owner, "GET", &format!("/v1/accounts/{a}"), None);
    assert_eq!(overview["arrears_owed_minor"].as_i64(), Some(900), "{overview}");
}
