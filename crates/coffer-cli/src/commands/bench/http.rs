//! HTTP mode: the real server (the router `coffer serve` mounts, API and UI) runs in
//! this process on 127.0.0.1 with a free port, and each caller is a blocking HTTP
//! client with a keep-alive connection of its own, so the figures include JSON,
//! authentication, the async-to-blocking hop and loopback TCP.

use std::time::Duration;

use coffer_app::auth::Auth;
use coffer_app::App;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store::auth::Role;
use serde_json::json;

use super::run::Settle;
use crate::error::{CliError, CliResult};

/// A server running on its own runtime until dropped.
pub struct Server {
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A metering API token, the role that posts charges.
    pub token: String,
}

impl Server {
    pub fn start(app: App, auth: Auth) -> CliResult<Server> {
        let (token, _) = auth.create_token("bench metering", Role::Metering, None)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::internal(format!("cannot start the runtime: {e}")))?;
        let (listener, addr) = runtime
            .block_on(coffer_http::server::bind("127.0.0.1:0"))
            .map_err(|e| CliError::internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let state = AppState { app, auth, cookies: CookiePolicy { secure: false } };
        let router = coffer_http::router(state.clone()).merge(coffer_web::router(state));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
                eprintln!("bench server error: {e}");
            }
        });
        Ok(Server { runtime: Some(runtime), stop: Some(stop), base: format!("http://{addr}"), token })
    }

    /// A [`Settle`] posting to `/v1/charges` over a keep-alive connection of its own.
    pub fn client(&self) -> Settle<'static> {
        let agent = ureq::AgentBuilder::new().max_idle_connections_per_host(1).build();
        let url = format!("{}/v1/charges", self.base);
        let bearer = format!("Bearer {}", self.token);
        Box::new(move |req| {
            let body = json!({
                "workspace_id": req.workspace_id, "bill_id": req.bill_id, "category": req.category,
                "amount_minor": req.amount_minor, "currency": req.currency, "bill_date": req.bill_date,
            });
            match agent.post(&url).set("Authorization", &bearer).send_json(body) {
                // Reading the body to its end hands the connection back for the next request.
                Ok(resp) => resp.into_string().map(drop).map_err(|_| "transport".to_owned()),
                Err(ureq::Error::Status(_, resp)) => Err(problem_code(resp)),
                Err(ureq::Error::Transport(_)) => Err("transport".to_owned()),
            }
        })
    }
}

/// The stable `code` of a problem+json answer.
fn problem_code(resp: ureq::Response) -> String {
    let body: serde_json::Value = resp.into_json().unwrap_or_default();
    body["code"].as_str().unwrap_or("http_error").to_owned()
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}
