//! Templates, compiled into the binary (nothing is read from disk at run time), and
//! the context every page shares.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use coffer_core::ids::AccountId;
use coffer_http::caller::Need;
use coffer_store::records::AccountRecord;
use minijinja::{context, Environment, Value};

use crate::viewer::Viewer;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name))),)*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "macros.html",
    "status.html",
    "login.html",
    "confirm.html",
    "overview.html",
    "recharge.html",
    "recharge_result.html",
    "vouchers.html",
    "activate.html",
    "cards.html",
    "buy_card.html",
    "bonus.html",
    "workspaces.html",
    "statements.html",
    "team.html",
    "console_accounts.html",
    "console_account.html",
    "console_batches.html",
    "console_recharges.html",
    "console_transfers.html",
    "console_adjustments.html",
    "console_outbox.html",
);

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // A broken template is a programming error; the render tests catch it.
            env.add_template(name, source).unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env
    })
}

/// Renders `name` with `ctx` as a 200 page.
pub fn render(name: &str, ctx: Value) -> Response {
    render_status(StatusCode::OK, name, ctx)
}

/// Renders `name` with `ctx` under `status` (422 for a form shown again with errors).
pub fn render_status(status: StatusCode, name: &str, ctx: Value) -> Response {
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

/// A bare status page (404, 403, 503) that needs no session.
pub fn status_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    render_status(status, "status.html", context! { title, message, code => status.as_u16() })
}

/// What every signed-in page knows: who is looking, the CSRF token, the account
/// being looked at (if any) and which tab is current.
pub fn base(v: &Viewer, acct: Option<&AccountRecord>, nav: &str) -> Value {
    let me = context! {
        role => v.p.role.as_str(),
        is_operator => v.is_operator(),
        account_id => v.p.account_id.map(|a| a.0),
    };
    let may = |need| acct.is_some_and(|a| v.may(a.account.id, need));
    let acct = acct.map(|a| {
        context! {
            id => a.account.id.0,
            name => a.account.name.clone(),
            currency => a.account.currency.code(),
            symbol => crate::fmt::symbol(a.account.currency),
            reference => a.account.transfer_reference.clone(),
            time_zone => a.account.time_zone.clone(),
        }
    });
    context! {
        me, acct, nav,
        csrf => v.csrf.clone(),
        can_pay => may(Need::Pay),
        can_manage => may(Need::Manage),
    }
}

/// Merges page-specific values over the shared ones.
pub fn with(base: Value, page: Value) -> Value {
    context! { ..page, ..base }
}

/// The account a path names, as a link prefix.
pub fn account_path(id: AccountId) -> String {
    format!("/accounts/{}", id.0)
}
