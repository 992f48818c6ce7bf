//! The Billing Center over real HTTP for the security tests: the API and the UI
//! merged as `coffer serve` merges them, the local Alipay sandbox mounted beside
//! them, a fresh SQLite database with the demo data, one login per role and a
//! metering token, and a small cookie-carrying client.
#![allow(dead_code)]

use std::sync::{mpsc, Arc};

use coffer_alipay_sandbox::{demo as sandbox_demo, Sandbox};
use coffer_app::auth::Auth;
use coffer_app::clock::{Clock, ManualClock};
use coffer_app::use_cases::adjustments::{AdjustCash, AdjustmentOutcome};
use coffer_app::use_cases::bank_transfers::RecordTransfer;
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::ValidityInput;
use coffer_app::{AlipayRail, App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store::auth::Role;
use coffer_store_sqlite::SqliteStore;

pub const PASSWORD: &str = "web-security-password";

/// The logins every server has: `(login, role, account)`. `globex` owns account 2
/// and is the "foreign owner" of account 1.
pub const USERS: &[(&str, Role, Option<i64>)] = &[
    ("operator", Role::Operator, None),
    ("owner", Role::Owner, Some(1)),
    ("finance", Role::Finance, Some(1)),
    ("viewer", Role::Viewer, Some(1)),
    ("globex", Role::Owner, Some(2)),
];

/// 2026-11-26T02:00:00Z; the servers' clocks start here and move only when a test says.
pub const T0: Timestamp = Timestamp(1_795_658_400_000);

pub struct Server {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub app: App,
    pub auth: Auth,
    pub sandbox: Sandbox,
    /// A metering API token (no UI access).
    pub metering_token: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub fn spawn() -> Server {
    spawn_with(CookiePolicy::default())
}

/// A server whose cookies follow `cookies` (`secure` as behind TLS).
pub fn spawn_with(cookies: CookiePolicy) -> Server {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(SqliteStore::open(&dir.path().join("web.db")).unwrap_or_else(|e| panic!("{e}")));
    let manual = Arc::new(ManualClock::new(T0));
    let clock: Arc<dyn Clock> = manual.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let sandbox_base = format!("{base}/alipay-sandbox");
    let sandbox_clock = clock.clone();
    let sandbox = Sandbox::new(sandbox_demo::sandbox_config(&sandbox_base), Arc::new(move || sandbox_clock.now().0));
    let merchant = sandbox_demo::merchant_config(
        &sandbox_base,
        &format!("{base}/v1/alipay/notify"),
        &format!("{base}/recharge/return"),
    );
    let mut config = AppConfig::with_code_key(vec![7; 32]);
    config.alipay = Some(AlipayRail::new(coffer_alipay::Client::new(merchant)));
    let auth = Auth::new(store.clone(), clock.clone());
    let app = App::new(store, config, clock);
    coffer_app::demo::build(&app).unwrap_or_else(|e| panic!("{e}"));
    for (login, role, account) in USERS {
        auth.create_user(login, PASSWORD, *role, account.map(AccountId)).unwrap_or_else(|e| panic!("{e}"));
    }
    let (metering_token, _) = auth.create_token("metering", Role::Metering, None).unwrap_or_else(|e| panic!("{e}"));
    let state = AppState { app: app.clone(), auth: auth.clone(), cookies };
    // As `coffer serve` assembles it: the UI behind the same request log as the API.
    let router = coffer_http::router(state.clone())
        .merge(coffer_http::observe::layer(coffer_web::router(state)))
        .nest("/alipay-sandbox", coffer_alipay_sandbox::router(sandbox.clone()));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = rt.unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
            let listener = tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("{e}"));
            let _ = ready_tx.send(());
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    ready_rx.recv().unwrap_or_else(|e| panic!("{e}"));
    Server { base, clock: manual, app, auth, sandbox, metering_token, _dir: dir, _stop: stop_tx }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub content_type: String,
    /// Every response header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub fn reply(r: Result<ureq::Response, ureq::Error>) -> Reply {
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = r.status();
    let location = r.header("location").map(str::to_owned);
    let cookies = r.all("set-cookie").into_iter().map(str::to_owned).collect();
    let content_type = r.header("content-type").unwrap_or_default().to_owned();
    let headers = r
        .headers_names()
        .into_iter()
        .filter_map(|name| r.header(&name).map(|v| (name.to_lowercase(), v.to_owned())))
        .collect();
    Reply { status, body: r.into_string().unwrap_or_default(), location, cookies, content_type, headers }
}

/// The value a `Set-Cookie` of `reply` gives `name`.
pub fn cookie(reply: &Reply, name: &str) -> Option<String> {
    reply.cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_owned))
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// Opens the login page and returns its double-submit token (cookie and field).
pub fn login_token(server: &Server) -> String {
    let page = reply(agent().get(&format!("{}/login", server.base)).call());
    cookie(&page, "coffer_login_csrf").unwrap_or_else(|| panic!("no login token"))
}

/// Posts the login form, optionally with a session cookie the browser already holds.
pub fn post_login(server: &Server, login: &str, password: &str, held_session: Option<&str>) -> Reply {
    let token = login_token(server);
    let mut cookies = format!("coffer_login_csrf={token}");
    if let Some(s) = held_session {
        cookies.push_str(&format!("; coffer_session={s}"));
    }
    reply(agent().post(&format!("{}/login", server.base)).set("Cookie", &cookies).send_form(&[
        ("login", login),
        ("password", password),
        ("login_csrf", &token),
    ]))
}

/// A browser of one: the session cookie and the CSRF token of its pages.
pub struct Client {
    pub base: String,
    pub agent: ureq::Agent,
    pub session: String,
}

impl Client {
    pub fn login(server: &Server, login: &str) -> Client {
        let done = post_login(server, login, PASSWORD, None);
        assert_eq!(done.status, 303, "{}", done.body);
        let session = cookie(&done, "coffer_session").unwrap_or_else(|| panic!("no session cookie"));
        Client { base: server.base.clone(), agent: agent(), session }
    }

    /// A client holding `session` as its cookie, whatever it is worth.
    pub fn with_session(server: &Server, session: &str) -> Client {
        Client { base: server.base.clone(), agent: agent(), session: session.to_owned() }
    }

    pub fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(&format!("{}{path}", self.base)).set("Cookie", &self.cookie()).call())
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        reply(self.agent.post(&format!("{}{path}", self.base)).set("Cookie", &self.cookie()).send_form(form))
    }

    pub fn cookie(&self) -> String {
        format!("coffer_session={}", self.session)
    }

    /// The CSRF token the pages of this session carry.
    pub fn csrf(&self) -> String {
        let page = self.get("/");
        let page = match page.location {
            Some(to) => self.get(&to),
            None => page,
        };
        csrf_of(&page.body).unwrap_or_else(|| panic!("no csrf field in {}", page.body))
    }
}

/// The value of the first `csrf` hidden field of a page.
pub fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")?;
    body[at + 19..].split('"').next().map(str::to_owned)
}

/// The UI's routes as its router declares them: `(method, path template)` for every
/// `.route(...)` in the web crate's router sources, with the `{a}` prefix expanded.
/// Reading the sources keeps this list complete without the router exposing one:
/// a route added there appears here, and the matrix test fails until it has a row.
pub fn declared_routes() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut out = Vec::new();
    for (file, prefix) in [
        ("lib.rs", ""),
        ("pages/mod.rs", "/accounts/{account_id}"),
        ("console/mod.rs", "/console/accounts/{account_id}"),
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for call in flat.split(".route(").skip(1) {
            out.extend(route_of(call, prefix));
        }
    }
    out.sort();
    out
}

fn route_of(call: &str, prefix: &str) -> Vec<(String, String)> {
    let call = call.trim_start();
    let (path, handlers) = if let Some(rest) = call.strip_prefix('"') {
        let (p, h) = rest.split_once('"').unwrap_or_else(|| panic!("route path in {call}"));
        (p.to_owned(), h)
    } else if let Some(rest) = call.strip_prefix("&format!(\"") {
        let (p, h) = rest.split_once("\")").unwrap_or_else(|| panic!("route path in {call}"));
        (p.replace("{a}", prefix).replace("{{", "{").replace("}}", "}"), h)
    } else if let Some(h) = call.strip_prefix("a,") {
        (prefix.to_owned(), h)
    } else {
        panic!("a route this test cannot read: {call}")
    };
    // The handlers run up to the closing parenthesis of `.route(`; a nested closure
    // may contain more parentheses, so count them.
    let mut depth = 1;
    let end = handlers
        .char_indices()
        .find(|(_, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth == 0
        })
        .map_or(handlers.len(), |(i, _)| i);
    let handlers = &handlers[..end];
    let mut methods = Vec::new();
    for (needle, method) in [(" get(", "GET"), ("(get(", "GET"), (".post(", "POST"), (" post(", "POST")] {
        if handlers.contains(needle) && !methods.contains(&method) {
            methods.push(method);
        }
    }
    assert!(!methods.is_empty(), "no method found for {path}: {handlers}");
    methods.into_iter().map(|m| (m.to_owned(), path.clone())).collect()
}

/// Real ids for the path parameters, so that an allowed caller reaches the page
/// itself rather than a "not found".
pub struct Fixtures {
    pub out_trade_no: String,
    pub transfer_id: i64,
    pub request_id: i64,
    pub batch_id: i64,
}

pub fn fixtures(server: &Server) -> Fixtures {
    let app = &server.app;
    let recharge = CreateRecharge {
        account_id: AccountId(1),
        amount_minor: 1_000,
        currency: "CNY",
        channel: "page_pay",
        idempotency_key: None,
    };
    let out_trade_no = app.create_recharge(&recharge).unwrap_or_else(|e| panic!("{e}")).order.order.out_trade_no;
    let transfer = app.record_transfer(&RecordTransfer {
        bank_transaction_id: "MATRIX-1",
        amount_minor: 5_000_000,
        currency: "CNY",
        value_date: "2026-11-20",
        payer: "Nobody",
        reference: "no reference",
        recorded_by: "user:1",
    });
    let transfer_id = transfer.unwrap_or_else(|e| panic!("{e}")).transfer.id;
    let adjust = AdjustCash {
        account_id: AccountId(1),
        amount_minor: 5_000_000,
        currency: "CNY",
        reason: "matrix",
        requested_by: "user:1",
        idempotency_key: None,
    };
    let request_id = match app.adjust_cash(&adjust).unwrap_or_else(|e| panic!("{e}")) {
        AdjustmentOutcome::Pending { request } => request.id,
        AdjustmentOutcome::Applied { .. } => panic!("an adjustment above the threshold waits"),
    };
    let codes = GenerateCodes {
        kind: "standard",
        face_value_minor: 100,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        count: 1,
        memo: "matrix",
    };
    let batch_id = app.generate_codes(&codes).unwrap_or_else(|e| panic!("{e}")).batch.id.0;
    Fixtures { out_trade_no, transfer_id, request_id, batch_id }
}

/// The concrete path of a route; a token to revoke is created for each request.
pub fn path_of(server: &Server, f: &Fixtures, route: &str) -> String {
    let mut path = route
        .replace("{account_id}", "1")
        .replace("{out_trade_no}", &f.out_trade_no)
        .replace("{workspace_id}", "acme-prod")
        .replace("{charge_id}", "1")
        .replace("{batch_id}", &f.batch_id.to_string())
        .replace("{transfer_id}", &f.transfer_id.to_string())
        .replace("{request_id}", &f.request_id.to_string());
    if path.contains("{token_id}") {
        let made = server.auth.create_token("to revoke", Role::Viewer, Some(AccountId(1)));
        path = path.replace("{token_id}", &made.unwrap_or_else(|e| panic!("{e}")).1.id.to_string());
    }
    assert!(!path.contains('{'), "no fixture for a parameter of {route}");
    path
}

/// Everything a UI form can change, summed up: comparing it before and after a
/// refused request shows that nothing was written.
pub fn fingerprint(server: &Server) -> String {
    let app = &server.app;
    let ok = |e: coffer_app::AppError| -> ! { panic!("{e}") };
    let report = app.verify().unwrap_or_else(|e| ok(e));
    assert!(report.is_clean(), "{:?}", report.problems);
    let mut parts = vec![format!("journal {} txs {} postings", report.journal_txs, report.postings)];
    for id in 1..=3 {
        let a = AccountId(id);
        let vouchers = app.vouchers(a, None).unwrap_or_else(|e| ok(e)).len();
        let cards = app.cards(a, None).unwrap_or_else(|e| ok(e)).len();
        let orders = app.recharge_orders(a, 1_000).unwrap_or_else(|e| ok(e)).len();
        let workspaces = app.workspaces_of(a).unwrap_or_else(|e| ok(e));
        let users = server.auth.store.users_of_account(a).unwrap_or_else(|e| panic!("{e}")).len();
        let tokens = server.auth.store.tokens_of_account(Some(a)).unwrap_or_else(|e| panic!("{e}"));
        let live_tokens = tokens.iter().filter(|t| t.revoked_at.is_none()).count();
        parts.push(format!(
            "account {id}: {vouchers} vouchers, {cards} cards, {orders} orders, {users} users, {} tokens ({live_tokens} live), workspaces {workspaces:?}",
            tokens.len()
        ));
    }
    let transfers = app.bank_transfers(None, 1_000).unwrap_or_else(|e| ok(e));
    let transfers: Vec<_> = transfers.iter().map(|t| format!("{:?}", t.transfer)).collect();
    let requests = app.adjustment_requests(None, 1_000).unwrap_or_else(|e| ok(e));
    let requests: Vec<_> = requests.iter().map(|r| format!("{:?}", r.state)).collect();
    parts.push(format!("transfers {transfers:?}; adjustment requests {requests:?}"));
    parts.join("\n")
}
