//! The Billing Center over real HTTP: a server on a free port over a fresh SQLite
//! database filled with the demo data, and a small cookie-carrying client.

use std::sync::{mpsc, Arc};

use coffer_app::auth::Auth;
use coffer_app::clock::SystemClock;
use coffer_app::{App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store::auth::Role;
use coffer_store_sqlite::SqliteStore;

struct Server {
    base: String,
    app: App,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

const PASSWORD: &str = "web-test-password";

fn spawn() -> Server {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(SqliteStore::open(&dir.path().join("web.db")).unwrap_or_else(|e| panic!("{e}")));
    let clock = Arc::new(SystemClock);
    let auth = Auth::new(store.clone(), clock.clone());
    let app = App::new(store, AppConfig::with_code_key(vec![7; 32]), clock);
    coffer_app::demo::build(&app).unwrap_or_else(|e| panic!("{e}"));
    for (login, role, account) in [
        ("operator", Role::Operator, None),
        ("operator2", Role::Operator, None),
        ("owner", Role::Owner, Some(AccountId(1))),
        ("finance", Role::Finance, Some(AccountId(1))),
        ("viewer", Role::Viewer, Some(AccountId(1))),
        ("globex", Role::Owner, Some(AccountId(2))),
    ] {
        auth.create_user(login, PASSWORD, role, account).unwrap_or_else(|e| panic!("{e}"));
    }
    let state = AppState { app: app.clone(), auth, cookies: CookiePolicy::default() };
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = rt.unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
            let _ = addr_tx.send(listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
            let router = coffer_http::router(state.clone()).merge(coffer_web::router(state));
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    let addr = addr_rx.recv().unwrap_or_else(|e| panic!("{e}"));
    Server { base: format!("http://{addr}"), app, _dir: dir, _stop: stop_tx }
}

struct Reply {
    status: u16,
    body: String,
    location: Option<String>,
    cookies: Vec<String>,
}

fn reply(r: Result<ureq::Response, ureq::Error>) -> Reply {
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = r.status();
    let location = r.header("location").map(str::to_owned);
    let cookies = r.all("set-cookie").into_iter().map(str::to_owned).collect();
    Reply { status, body: r.into_string().unwrap_or_default(), location, cookies }
}

fn cookie(reply: &Reply, name: &str) -> Option<String> {
    reply.cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_owned))
}

/// A browser of one: the session cookie and the CSRF token of its pages.
struct Client {
    base: String,
    agent: ureq::Agent,
    session: String,
}

impl Client {
    fn login(server: &Server, login: &str) -> Client {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let page = reply(agent.get(&format!("{}/login", server.base)).call());
        let token = cookie(&page, "coffer_login_csrf").unwrap_or_else(|| panic!("no login token"));
        let done = reply(
            agent
                .post(&format!("{}/login", server.base))
                .set("Cookie", &format!("coffer_login_csrf={token}"))
                .send_form(&[("login", login), ("password", PASSWORD), ("login_csrf", &token)]),
        );
        assert_eq!(done.status, 303, "{}", done.body);
        let session = cookie(&done, "coffer_session").unwrap_or_else(|| panic!("no session cookie"));
        Client { base: server.base.clone(), agent, session }
    }

    fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(&format!("{}{path}", self.base)).set("Cookie", &self.cookie()).call())
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        reply(self.agent.post(&format!("{}{path}", self.base)).set("Cookie", &self.cookie()).send_form(form))
    }

    fn cookie(&self) -> String {
        format!("coffer_session={}", self.session)
    }

    /// The CSRF token the pages of this session carry.
    fn csrf(&self) -> String {
        let page = self.get("/accounts/1/vouchers");
        let at = page.body.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field"));
        page.body[at + 19..].split('"').next().unwrap_or_default().to_owned()
    }
}

const ACCOUNT_PAGES: &[&str] = &[
    "/accounts/1",
    "/accounts/1/recharge",
    "/accounts/1/vouchers",
    "/accounts/1/vouchers?status=active",
    "/accounts/1/cards",
    "/accounts/1/workspaces",
    "/accounts/1/statements",
    "/accounts/1/statements?tab=consumption",
    "/accounts/1/statements?tab=monthly",
    "/accounts/1/statements/export.csv?tab=consumption",
];
const PAY_PAGES: &[&str] = &["/accounts/1/vouchers/activate", "/accounts/1/cards/buy"];
const MANAGE_PAGES: &[&str] = &["/accounts/1/team"];
const CONSOLE_PAGES: &[&str] = &[
    "/console",
    "/console/accounts/1",
    "/console/code-batches",
    "/console/recharges",
    "/console/bank-transfers",
    "/console/bank-transfers?state=credited",
    "/console/adjustments",
    "/console/adjustments?state=applied",
    "/console/cloud-outbox",
    "/console/cloud-outbox?state=pending",
];

fn statuses(client: &Client, pages: &[&str]) -> Vec<(String, u16)> {
    pages.iter().map(|p| (p.to_string(), client.get(p).status)).collect()
}

fn all(pages: &[&str], status: u16) -> Vec<(String, u16)> {
    pages.iter().map(|p| (p.to_string(), status)).collect()
}

#[test]
fn every_page_renders_for_each_role_as_domain_section_10_allows() {
    let server = spawn();
    let operator = Client::login(&server, "operator");
    for pages in [ACCOUNT_PAGES, PAY_PAGES, MANAGE_PAGES, CONSOLE_PAGES] {
        assert_eq!(statuses(&operator, pages), all(pages, 200));
    }
    let owner = Client::login(&server, "owner");
    for pages in [ACCOUNT_PAGES, PAY_PAGES, MANAGE_PAGES] {
        assert_eq!(statuses(&owner, pages), all(pages, 200));
    }
    assert_eq!(statuses(&owner, CONSOLE_PAGES), all(CONSOLE_PAGES, 403));
    let finance = Client::login(&server, "finance");
    assert_eq!(statuses(&finance, PAY_PAGES), all(PAY_PAGES, 200));
    assert_eq!(statuses(&finance, MANAGE_PAGES), all(MANAGE_PAGES, 403));
    let viewer = Client::login(&server, "viewer");
    assert_eq!(statuses(&viewer, ACCOUNT_PAGES), all(ACCOUNT_PAGES, 200));
    assert_eq!(statuses(&viewer, PAY_PAGES), all(PAY_PAGES, 403));
}

#[test]
fn another_accounts_pages_are_answered_like_missing_ones() {
    let server = spawn();
    let globex = Client::login(&server, "globex");
    for pages in [ACCOUNT_PAGES, PAY_PAGES, MANAGE_PAGES] {
        assert_eq!(statuses(&globex, pages), all(pages, 404));
    }
    assert_eq!(globex.get("/accounts/999").status, 404);
    assert_eq!(globex.get("/accounts/2").status, 200);
}

#[test]
fn a_post_without_the_sessions_csrf_token_is_refused_and_writes_nothing() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let before = server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len();
    let form = [("face_value", "100"), ("confirm", "yes"), ("csrf", "forged")];
    assert_eq!(owner.post("/accounts/1/cards/buy", &form).status, 403);
    assert_eq!(owner.post("/accounts/1/cards/buy", &form[..2]).status, 403);
    assert_eq!(server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len(), before);
}

#[test]
fn a_confirmed_card_purchase_with_the_csrf_token_buys_the_card() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let before = server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len();
    let confirm = owner.post("/accounts/1/cards/buy", &[("face_value", "100"), ("csrf", &csrf)]);
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Buy this prepaid card?"), "a confirmation comes first");
    assert_eq!(server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len(), before);
    let done = owner.post("/accounts/1/cards/buy", &[("face_value", "100"), ("confirm", "yes"), ("csrf", &csrf)]);
    assert_eq!(done.status, 303);
    assert_eq!(server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len(), before + 1);
}

#[test]
fn an_invalid_face_value_is_shown_next_to_its_field_and_writes_nothing() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let before = server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len();
    let page = owner.post("/accounts/1/cards/buy", &[("face_value", "150"), ("confirm", "yes"), ("csrf", &csrf)]);
    assert_eq!(page.status, 422);
    assert!(page.body.contains("id=\"e-face_value\""), "{}", page.body);
    assert!(page.body.contains("multiple of 100"));
    assert_eq!(server.app.cards(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len(), before);
}

fn cash(server: &Server) -> i64 {
    server.app.account_overview(AccountId(1)).unwrap_or_else(|e| panic!("{e}")).cash_minor
}

#[test]
fn a_large_console_adjustment_waits_for_a_second_operator_to_approve_it() {
    let server = spawn();
    let first = Client::login(&server, "operator");
    let csrf = first.csrf();
    let before = cash(&server);
    let form = |amount: &'static str| [("amount", amount), ("reason", "goodwill"), ("csrf", csrf.as_str())];
    let bad = first.post("/console/accounts/1/adjustments", &form("-"));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"e-amount\""), "{}", bad.body);
    let confirm = first.post("/console/accounts/1/adjustments", &form("20000"));
    assert!(confirm.body.contains("Adjust this account&#x27;s cash?") || confirm.body.contains("Adjust this account"));
    let mut confirmed = form("20000").to_vec();
    confirmed.push(("confirm", "yes"));
    let done = first.post("/console/accounts/1/adjustments", &confirmed);
    assert_eq!(done.location.as_deref(), Some("/console/accounts/1?done=adjustment_pending"), "{}", done.body);
    assert_eq!(cash(&server), before, "nothing moves before approval");
    let id = server.app.adjustment_requests(Some("pending"), 10).unwrap_or_else(|e| panic!("{e}"))[0].id;
    let approve = format!("/console/adjustments/{id}/approve");
    let own = first.post(&approve, &[("confirm", "yes"), ("csrf", &csrf)]);
    assert_eq!(own.status, 422);
    assert!(own.body.contains("another operator must approve it"), "{}", own.body);
    let second = Client::login(&server, "operator2");
    let csrf2 = second.csrf();
    assert!(second.get("/console/adjustments").body.contains(&format!("Approve adjustment {id}")));
    assert!(second.post(&approve, &[("csrf", &csrf2)]).body.contains("Approve this adjustment?"));
    let ok = second.post(&approve, &[("confirm", "yes"), ("csrf", &csrf2)]);
    assert_eq!(ok.location.as_deref(), Some("/console/adjustments?done=applied"));
    assert_eq!(cash(&server), before + 2_000_000);
}

#[test]
fn the_cloud_outbox_page_runs_a_delivery_pass_for_operators_only() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    assert_eq!(owner.post("/console/cloud-outbox/deliver", &[("csrf", &owner.csrf())]).status, 403);
    let operator = Client::login(&server, "operator");
    let done = operator.post("/console/cloud-outbox/deliver", &[("csrf", &operator.csrf())]);
    let location = done.location.unwrap_or_default();
    assert!(location.starts_with("/console/cloud-outbox?attempted="), "{location}");
    assert!(operator.get(&location).body.contains("Delivery pass done"));
}

#[test]
fn without_a_session_pages_go_to_the_login_page() {
    let server = spawn();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    for path in ["/", "/accounts/1", "/console"] {
        let r = reply(agent.get(&format!("{}{path}", server.base)).call());
        assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")), "{path}");
    }
}

#[test]
fn a_wrong_password_is_refused_on_the_form_and_logout_ends_the_session() {
    let server = spawn();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = reply(agent.get(&format!("{}/login", server.base)).call());
    let token = cookie(&page, "coffer_login_csrf").unwrap_or_default();
    let wrong = reply(
        agent
            .post(&format!("{}/login", server.base))
            .set("Cookie", &format!("coffer_login_csrf={token}"))
            .send_form(&[("login", "owner"), ("password", "nope-nope-nope"), ("login_csrf", &token)]),
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Invalid login or password."));

    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let out = owner.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(out.cookies.iter().any(|c| c.starts_with("coffer_session=;") && c.contains("Max-Age=0")));
    assert_eq!(owner.get("/accounts/1").location.as_deref(), Some("/login"));
}

#[test]
fn the_session_cookie_is_http_only_and_same_site_strict() {
    let server = spawn();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = reply(agent.get(&format!("{}/login", server.base)).call());
    let token = cookie(&page, "coffer_login_csrf").unwrap_or_default();
    let done = reply(
        agent
            .post(&format!("{}/login", server.base))
            .set("Cookie", &format!("coffer_login_csrf={token}"))
            .send_form(&[("login", "viewer"), ("password", PASSWORD), ("login_csrf", &token)]),
    );
    let set = done.cookies.iter().find(|c| c.starts_with("coffer_session=")).cloned().unwrap_or_default();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
}

#[test]
fn assets_are_served_from_the_binary() {
    let server = spawn();
    let agent = ureq::AgentBuilder::new().build();
    for (path, kind) in [("/assets/app.css", "text/css"), ("/assets/htmx.min.js", "text/javascript")] {
        let r = agent.get(&format!("{}{path}", server.base)).call().unwrap_or_else(|e| panic!("{e}"));
        assert!(r.content_type().starts_with(kind), "{path}");
    }
}

/// Issue 8: the workspaces page shows each workspace's arrears state as the
/// platform reads it: grace with the day it locks, then locked.
#[test]
fn the_workspaces_page_shows_the_arrears_state_of_each_workspace() {
    use coffer_app::use_cases::charges::SettleCharge;
    use coffer_app::use_cases::workspaces::BindWorkspace;
    let server = spawn();
    let bind = BindWorkspace {
        account_id: AccountId(1),
        workspace_id: "ws-owing",
        settlement: "billing_center",
        cloud_provider: None,
        cloud_account_id: None,
    };
    server.app.bind_workspace(&bind).unwrap_or_else(|e| panic!("{e}"));
    let charge = SettleCharge {
        workspace_id: "ws-owing",
        bill_id: "huge",
        category: "payg",
        amount_minor: 9_000_000_000_000,
        currency: "CNY",
        bill_date: "2026-11-25",
    };
    server.app.settle_charge(&charge).unwrap_or_else(|e| panic!("{e}"));
    let owner = Client::login(&server, "owner");
    let page = owner.get("/accounts/1/workspaces");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("s-grace") && page.body.contains("unless repaid"), "{}", page.body);
    let later = coffer_core::time::Timestamp(server.app.now().0 + 30 * coffer_core::time::MS_PER_DAY);
    server.app.advance_arrears(later).unwrap_or_else(|e| panic!("{e}"));
    let page = owner.get("/accounts/1/workspaces");
    assert!(page.body.contains("s-locked") && page.body.contains("locked since"), "{}", page.body);
}
