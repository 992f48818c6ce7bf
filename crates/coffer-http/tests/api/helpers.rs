//! `spawn_app(engine)`: a real server on a free port over a fresh database (a SQLite
//! file in a temp dir, or a database of its own on the throwaway PostgreSQL cluster
//! of `coffer_store_postgres::testing`), plus a tiny typed client.
//!
//! Every test takes the [`Engine`] it runs on and is expanded once per engine by
//! [`engine_tests!`], so its name reads `<module>::sqlite::...` or
//! `<module>::postgres::...`.
#![allow(dead_code)]

use std::sync::mpsc;
use std::sync::Arc;

use coffer_app::auth::Auth;
use coffer_app::clock::SystemClock;
use coffer_app::{App, AppConfig};
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store::auth::{AuthStore, Role};
use coffer_store::Store;
use coffer_store_postgres::testing::TestDb;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;
use serde_json::{json, Value};

pub const OPERATOR_TOKEN: &str = "test-operator-token-0000000001";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Expands test functions taking an [`Engine`] into one `#[test]` per engine, in
/// modules `sqlite` and `postgres`: `crate::engine_tests!(a_test, another_test);`.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::helpers::Engine::Sqlite)
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::helpers::Engine::Postgres)
                }
            )*
        }
    };
}

/// Where a test server's data lives; it lives as long as the server's handle.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(TestDb),
}

/// Fields drop in order: the server is told to stop before its database goes.
pub struct TestApp {
    pub base: String,
    pub auth: Auth,
    pub app: App,
    pub engine: Engine,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: Database,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The two halves of the port on one store: money (`Store`) and identity (`AuthStore`).
fn open_store(db: &Database) -> (Arc<dyn Store>, Arc<dyn AuthStore>) {
    match db {
        Database::Sqlite(dir) => {
            let store = Arc::new(SqliteStore::open(&dir.path().join("api.db")).unwrap_or_else(|e| panic!("{e}")));
            (store.clone(), store)
        }
        Database::Postgres(db) => {
            let store = Arc::new(PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("{e}")));
            (store.clone(), store)
        }
    }
}

pub fn spawn_app(engine: Engine) -> TestApp {
    let db = match engine {
        Engine::Sqlite => Database::Sqlite(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))),
        Engine::Postgres => Database::Postgres(coffer_store_postgres::testing::fresh_db()),
    };
    let (store, auth_store) = open_store(&db);
    let want = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(store.engine(), want);
    let clock = Arc::new(SystemClock);
    let auth = Auth::new(auth_store, clock.clone());
    auth.bootstrap_operator(OPERATOR_TOKEN).unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(store, AppConfig::with_code_key(vec![9; 32]), clock);
    let state = AppState { app: app.clone(), auth: auth.clone(), cookies: CookiePolicy::default() };
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // The synchronous `postgres` client may not be dropped inside a tokio runtime
    // (its drop blocks on a runtime of its own, and tokio panics). This clone keeps
    // the store alive until the server's runtime is gone, so that the last handle
    // on the store, whichever it is, drops outside any runtime.
    let keep_alive = state.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = rt.unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async move {
            let (listener, addr) = coffer_http::server::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
            let _ = addr_tx.send(addr);
            let _ = coffer_http::server::serve(listener, state, async move {
                let _ = stop_rx.await;
            })
            .await;
        });
        drop(rt);
        drop(keep_alive);
    });
    let addr = addr_rx.recv().unwrap_or_else(|e| panic!("{e}"));
    TestApp { base: format!("http://{addr}"), auth, app, engine, shutdown: Some(stop_tx), _db: db }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .iter()
        .flat_map(|n| response.all(n).into_iter().map(move |v| (n.clone(), v.to_owned())))
        .collect();
    let text = response.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text, headers }
}

/// One request: method, path, bearer token, optional JSON body, extra headers.
pub fn call(
    t: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = agent().request(method, &format!("{}{path}", t.base));
    if let Some(token) = token {
        req = req.set("Authorization", &format!("Bearer {token}"));
    }
    for (k, v) in headers {
        req = req.set(k, v);
    }
    reply(match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    })
}

/// Sends a raw body with a content type.
pub fn raw(t: &TestApp, method: &str, path: &str, token: &str, content_type: &str, body: &str) -> Reply {
    let req = agent()
        .request(method, &format!("{}{path}", t.base))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", content_type);
    reply(req.send_string(body))
}

pub fn get(t: &TestApp, path: &str, token: &str) -> Reply {
    call(t, "GET", path, Some(token), None, &[])
}

pub fn post(t: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    call(t, "POST", path, Some(token), Some(&body), &[])
}

impl TestApp {
    /// Creates a CNY account with a bound billing-center workspace `ws-<id>`.
    pub fn account(&self) -> i64 {
        let r = post(self, "/v1/accounts", OPERATOR_TOKEN, json!({"name": "Acme", "currency": "CNY"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["account_id"].as_i64().unwrap_or_else(|| panic!("account id"));
        let ws = json!({"workspace_id": format!("ws-{id}"), "settlement": "billing_center"});
        let r = post(self, &format!("/v1/accounts/{id}/workspaces"), OPERATOR_TOKEN, ws);
        assert_eq!(r.status, 201, "{}", r.text);
        id
    }

    pub fn credit(&self, account: i64, amount_minor: i64, external_id: &str) {
        let body = json!({"amount_minor": amount_minor, "currency": "CNY", "source": "bank_transfer", "external_id": external_id});
        let r = post(self, &format!("/v1/accounts/{account}/cash-credits"), OPERATOR_TOKEN, body);
        assert_eq!(r.status, 201, "{}", r.text);
    }

    pub fn token(&self, role: Role, account: Option<i64>) -> String {
        let account = account.map(coffer_core::ids::AccountId);
        self.auth.create_token("test", role, account).map(|(t, _)| t).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn bill(&self, account: i64, bill_id: &str, amount_minor: i64) -> Value {
        json!({"workspace_id": format!("ws-{account}"), "bill_id": bill_id, "category": "payg",
               "amount_minor": amount_minor, "currency": "CNY", "bill_date": "2026-11-25"})
    }

    pub fn assert_ledger_clean(&self) {
        let report = self.app.verify().unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_clean(), "{:?}", report.problems);
    }
}
