//! DOMAIN §10 over every route of the Billing Center: each route the UI's router
//! declares has a row here saying what it needs, and every row is requested by every
//! kind of caller, with GET and POST as the route takes them:
//!
//! - anonymous (no session) and a metering API token (no UI): sent to the login page;
//! - an operator: allowed everywhere;
//! - the account's owner, finance and viewer: as their role allows, 403 otherwise;
//! - the owner of another account: 404, exactly as for a missing account.
//!
//! "Allowed" means answered by the page itself: not 401/403/404 and not a redirect
//! to the login page. POSTs carry the caller's own CSRF token, so what is tested is
//! authorization, not CSRF (`csrf_every_form.rs` tests that).

mod support;

use std::collections::BTreeSet;

use coffer_store::auth::Role;
use support::{agent, declared_routes, fixtures, path_of, reply, spawn, Client, Reply, Server};

/// What a route needs (DOMAIN §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Static assets: anyone.
    Asset,
    /// Answered with this status for every caller and never sent to the login page:
    /// the login form, refused here for lacking its double-submit token (403), and
    /// Alipay's signed return, refused here for lacking its signature (400).
    Public(u16),
    /// The login page: anyone; a session is sent on to its home.
    LoginPage,
    /// `/`: a session is sent on to its home, anyone else to the login page.
    Home,
    /// Any session; ends it.
    Logout,
    /// Any member of account 1.
    Read,
    /// Owner or finance of account 1.
    Pay,
    /// Owner of account 1.
    Manage,
    /// Operators only.
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Metering,
    Operator,
    Owner,
    Finance,
    Viewer,
    ForeignOwner,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Metering,
    Caller::Operator,
    Caller::Owner,
    Caller::Finance,
    Caller::Viewer,
    Caller::ForeignOwner,
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Login,
    LoggedOut,
    Status(u16),
    /// The same answer as the anonymous caller got.
    SameAsAnonymous,
}

fn expected(access: Access, caller: Caller) -> Expect {
    use Caller::*;
    let member_role = match caller {
        Owner => Some(Role::Owner),
        Finance => Some(Role::Finance),
        Viewer => Some(Role::Viewer),
        _ => None,
    };
    match (access, caller) {
        (Access::Asset, _) => Expect::Status(200),
        (Access::Public(status), Anonymous) => Expect::Status(status),
        (Access::Public(_), _) => Expect::SameAsAnonymous,
        (Access::LoginPage, _) => Expect::Allowed,
        (_, Anonymous | Metering) => Expect::Login,
        (Access::Home, _) => Expect::Allowed,
        (Access::Logout, _) => Expect::LoggedOut,
        (_, Operator) => Expect::Allowed,
        (Access::Operator, _) => Expect::Status(403),
        (_, ForeignOwner) => Expect::Status(404),
        (Access::Read, _) => Expect::Allowed,
        (Access::Pay, _) if matches!(member_role, Some(Role::Owner | Role::Finance)) => Expect::Allowed,
        (Access::Manage, _) if member_role == Some(Role::Owner) => Expect::Allowed,
        _ => Expect::Status(403),
    }
}

/// One route and method: what it needs and the form a POST sends (besides `csrf`).
struct Row {
    method: &'static str,
    route: &'static str,
    access: Access,
    form: &'static [(&'static str, &'static str)],
}

const fn get(route: &'static str, access: Access) -> Row {
    Row { method: "GET", route, access, form: &[] }
}

const fn post(route: &'static str, access: Access) -> Row {
    Row { method: "POST", route, access, form: &[] }
}

const fn post_with(route: &'static str, access: Access, form: &'static [(&'static str, &'static str)]) -> Row {
    Row { method: "POST", route, access, form }
}

/// Every route of the UI. The public login POST is refused for lacking its
/// double-submit token, which is what a request without the login page's cookie is.
const MATRIX: &[Row] = &[
    get("/assets/app.css", Access::Asset),
    get("/assets/htmx.min.js", Access::Asset),
    get("/", Access::Home),
    get("/login", Access::LoginPage),
    post("/login", Access::Public(403)),
    post("/logout", Access::Logout),
    get("/recharge/return", Access::Public(400)),
    get("/accounts/{account_id}", Access::Read),
    get("/accounts/{account_id}/recharge", Access::Read),
    post("/accounts/{account_id}/recharge", Access::Pay),
    get("/accounts/{account_id}/recharges/{out_trade_no}", Access::Read),
    post("/accounts/{account_id}/recharges/{out_trade_no}/check", Access::Read),
    get("/accounts/{account_id}/vouchers", Access::Read),
    get("/accounts/{account_id}/vouchers/activate", Access::Pay),
    post("/accounts/{account_id}/vouchers/activate", Access::Pay),
    get("/accounts/{account_id}/cards", Access::Read),
    get("/accounts/{account_id}/cards/buy", Access::Pay),
    post("/accounts/{account_id}/cards/buy", Access::Pay),
    get("/accounts/{account_id}/cards/bonus", Access::Read),
    get("/accounts/{account_id}/workspaces", Access::Read),
    post("/accounts/{account_id}/workspaces/{workspace_id}/settlement", Access::Manage),
    get("/accounts/{account_id}/statements", Access::Read),
    get("/accounts/{account_id}/statements/export.csv", Access::Read),
    get("/accounts/{account_id}/team", Access::Manage),
    post("/accounts/{account_id}/members", Access::Manage),
    post("/accounts/{account_id}/tokens", Access::Manage),
    post("/accounts/{account_id}/tokens/{token_id}/revoke", Access::Manage),
    get("/console", Access::Operator),
    get("/console/accounts/{account_id}", Access::Operator),
    post("/console/accounts/{account_id}/vouchers", Access::Operator),
    post("/console/accounts/{account_id}/cards", Access::Operator),
    post("/console/accounts/{account_id}/adjustments", Access::Operator),
    get("/console/accounts/{account_id}/charges/{charge_id}/reverse", Access::Operator),
    post("/console/accounts/{account_id}/charges/{charge_id}/reverse", Access::Operator),
    get("/console/code-batches", Access::Operator),
    post("/console/code-batches", Access::Operator),
    get("/console/code-batches/{batch_id}/codes.csv", Access::Operator),
    get("/console/recharges", Access::Operator),
    get("/console/bank-transfers", Access::Operator),
    post("/console/bank-transfers", Access::Operator),
    post_with("/console/bank-transfers/{transfer_id}/assign", Access::Operator, &[("account_id", "1")]),
    post("/console/bank-transfers/{transfer_id}/approve", Access::Operator),
    get("/console/adjustments", Access::Operator),
    post("/console/adjustments/{request_id}/approve", Access::Operator),
    post("/console/adjustments/{request_id}/reject", Access::Operator),
    get("/console/cloud-outbox", Access::Operator),
    post("/console/cloud-outbox/deliver", Access::Operator),
];

fn login_of(caller: Caller) -> Option<&'static str> {
    match caller {
        Caller::Operator => Some("operator"),
        Caller::Owner => Some("owner"),
        Caller::Finance => Some("finance"),
        Caller::Viewer => Some("viewer"),
        Caller::ForeignOwner => Some("globex"),
        Caller::Anonymous | Caller::Metering => None,
    }
}

fn request(server: &Server, caller: Caller, row: &Row, path: &str) -> Reply {
    let url = format!("{}{path}", server.base);
    let (session, csrf) = match login_of(caller) {
        Some(login) => {
            // A fresh session per request: a logout row ends only its own.
            let client = Client::login(server, login);
            let csrf = client.csrf();
            (Some(client.session), csrf)
        }
        None => (None, String::new()),
    };
    let mut req = agent().request(row.method, &url);
    if let Some(s) = &session {
        req = req.set("Cookie", &format!("coffer_session={s}"));
    }
    if caller == Caller::Metering {
        req = req.set("Authorization", &format!("Bearer {}", server.metering_token));
    }
    if row.method == "GET" {
        return reply(req.call());
    }
    let mut form: Vec<(&str, &str)> = row.form.to_vec();
    if session.is_some() {
        form.push(("csrf", &csrf));
    }
    reply(req.send_form(&form))
}

fn meets(got: &Reply, expect: &Expect, anonymous: &Reply) -> bool {
    let to_login = got.status == 303 && got.location.as_deref() == Some("/login");
    match expect {
        Expect::Allowed => !matches!(got.status, 401 | 403 | 404) && !to_login && got.status < 500,
        Expect::Login => to_login,
        Expect::LoggedOut => {
            to_login && got.cookies.iter().any(|c| c.starts_with("coffer_session=;") && c.contains("Max-Age=0"))
        }
        Expect::Status(s) => got.status == *s,
        Expect::SameAsAnonymous => got.status == anonymous.status && !to_login,
    }
}

#[test]
fn the_matrix_has_exactly_one_row_for_every_route_the_ui_declares() {
    let declared: BTreeSet<(String, String)> = declared_routes().into_iter().collect();
    let rows: BTreeSet<(String, String)> = MATRIX.iter().map(|r| (r.method.to_owned(), r.route.to_owned())).collect();
    assert_eq!(rows.len(), MATRIX.len(), "a route appears twice in the matrix");
    let missing: Vec<_> = declared.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without a matrix row: {missing:?}; rows without a route: {stale:?}"
    );
}

#[test]
fn every_route_answers_every_kind_of_caller_as_domain_section_10_says() {
    let server = spawn();
    let f = fixtures(&server);
    let mut failures = Vec::new();
    for row in MATRIX {
        let anonymous = request(&server, Caller::Anonymous, row, &path_of(&server, &f, row.route));
        for caller in CALLERS {
            let path = path_of(&server, &f, row.route);
            let got = if caller == Caller::Anonymous { None } else { Some(request(&server, caller, row, &path)) };
            let got = got.as_ref().unwrap_or(&anonymous);
            let expect = expected(row.access, caller);
            if !meets(got, &expect, &anonymous) {
                failures.push(format!(
                    "{} {path} as {caller:?}: expected {expect:?}, got {} {:?}",
                    row.method, got.status, got.location
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        MATRIX.len() * CALLERS.len(),
        failures.join("\n")
    );
}

#[test]
fn another_accounts_missing_and_existing_resources_are_the_same_404() {
    let server = spawn();
    let globex = Client::login(&server, "globex");
    let existing = globex.get("/accounts/1/vouchers");
    let missing = globex.get("/accounts/999/vouchers");
    assert_eq!((existing.status, missing.status), (404, 404));
    assert_eq!(existing.body, missing.body, "nothing tells a foreign account from a missing one");
}
