//! Helpers for the cloud outbox tests: a scripted in-process marketplace, the real
//! simulator served over HTTP with the real adapters, and shortcuts.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use coffer_app::marketplace::{DeliveryResult, Marketplace, Marketplaces, UsageRecord};
use coffer_app::use_cases::workspaces::BindWorkspace;
use coffer_app::{App, AppConfig};
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::journal::Book;
use coffer_core::workspace::CloudProvider;
use coffer_marketplace::MarketplaceSim;
use coffer_store::rails::OutboxItem;
use coffer_store::Store;

use crate::common::TestApp;

/// Answers from a script (then `Accepted`), remembering every record it was sent.
#[derive(Default)]
pub struct Scripted {
    answers: Mutex<VecDeque<DeliveryResult>>,
    pub calls: Mutex<Vec<UsageRecord>>,
}

impl Scripted {
    pub fn new(answers: Vec<DeliveryResult>) -> Arc<Scripted> {
        Arc::new(Scripted { answers: Mutex::new(answers.into()), calls: Mutex::default() })
    }

    pub fn calls(&self) -> Vec<UsageRecord> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Marketplace for Scripted {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record.clone());
        }
        self.answers.lock().ok().and_then(|mut a| a.pop_front()).unwrap_or(DeliveryResult::Accepted)
    }
}

pub fn transient(reason: &str) -> DeliveryResult {
    DeliveryResult::Transient { reason: reason.into() }
}

/// An app over `store` with these adapters and the test's clock.
pub fn app_with(t: &TestApp, store: Arc<dyn Store>, marketplaces: Marketplaces) -> App {
    let mut config = AppConfig::with_code_key(vec![7; 32]);
    config.marketplaces = marketplaces;
    App::new(store, config, t.clock.clone())
}

/// One provider answered by a script.
pub fn scripted_app(t: &TestApp, provider: CloudProvider, script: &Arc<Scripted>) -> App {
    let adapter: Arc<dyn Marketplace> = script.clone();
    app_with(t, t.app.store.clone(), Marketplaces::new().with(provider, adapter))
}

/// The simulator on a local port, and the real adapters pointed at it.
pub struct SimEnv {
    pub sim: MarketplaceSim,
    pub marketplaces: Marketplaces,
    _runtime: tokio::runtime::Runtime,
}

pub fn start_sim() -> SimEnv {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let sim = MarketplaceSim::new();
    let router = axum::Router::new().nest("/market", coffer_marketplace::router(sim.clone()));
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let marketplaces = coffer_marketplace::demo::marketplaces(&format!("http://{addr}/market"));
    SimEnv { sim, marketplaces, _runtime: runtime }
}

pub fn bind_on(t: &TestApp, account_id: AccountId, workspace_id: &str, provider: &str, cloud_account_id: &str) {
    let req = BindWorkspace {
        account_id,
        workspace_id,
        settlement: "cloud",
        cloud_provider: Some(provider),
        cloud_account_id: Some(cloud_account_id),
    };
    t.app.bind_workspace(&req).unwrap_or_else(|e| panic!("bind: {e}"));
}

/// Settles a payg bill and returns its charge id.
pub fn charge(t: &TestApp, workspace_id: &str, bill_id: &str, amount_minor: i64) -> ChargeId {
    t.settle(workspace_id, bill_id, "payg", amount_minor).unwrap_or_else(|e| panic!("settle: {e}")).charge.id
}

pub fn items(app: &App, account: AccountId, charge: ChargeId) -> Vec<OutboxItem> {
    app.outbox_for_charge(account, charge).unwrap_or_else(|e| panic!("outbox: {e}"))
}

pub fn only_item(app: &App, account: AccountId, charge: ChargeId) -> OutboxItem {
    let mut list = items(app, account, charge);
    assert_eq!(list.len(), 1, "{list:?}");
    list.remove(0)
}

pub fn book(app: &App, account: AccountId, book: Book) -> i64 {
    app.read(|r| Ok(r.book_balance(account, book, 0)?)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn owed(app: &App, account: AccountId) -> i64 {
    app.account_overview(account).map(|o| o.arrears_owed_minor).unwrap_or_else(|e| panic!("{e}"))
}

pub fn cash(app: &App, account: AccountId) -> i64 {
    app.account_overview(account).map(|o| o.cash_minor).unwrap_or_else(|e| panic!("{e}"))
}
