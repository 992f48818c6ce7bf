//! Test helpers: a real SQLite file in a temp dir, a manual clock, and shortcuts.
#![allow(dead_code)]

use std::sync::Arc;

use coffer_app::clock::ManualClock;
use coffer_app::use_cases::accounts::CreateAccount;
use coffer_app::use_cases::cash::CreditCash;
use coffer_app::use_cases::charges::{ChargeSettled, SettleCharge};
use coffer_app::use_cases::workspaces::BindWorkspace;
use coffer_app::{App, AppConfig, AppResult};
use coffer_core::ids::AccountId;
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_store_sqlite::SqliteStore;

/// 2026-11-26T02:00:00Z: 10:00 in Shanghai.
pub const T0: Timestamp = Timestamp(1_795_658_400_000);

pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let store =
        SqliteStore::open(&dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("open: {e}"));
    let clock = Arc::new(ManualClock::new(T0));
    let app = App::new(
        Arc::new(store),
        AppConfig::with_code_key(vec![7; 32]),
        clock.clone(),
    );
    TestApp { app, clock, dir }
}

impl TestApp {
    pub fn days(&self, days: i64) {
        self.clock.advance_ms(days * MS_PER_DAY);
    }

    pub fn account(&self, currency: &str) -> AccountId {
        let req = CreateAccount {
            name: "Test Co",
            currency,
            time_zone: None,
            arrears_limit_minor: None,
            idempotency_key: None,
        };
        self.app
            .create_account(&req)
            .unwrap_or_else(|e| panic!("create account: {e}"))
            .account
            .id
    }

    pub fn bind(&self, account_id: AccountId, workspace_id: &str) {
        let req = BindWorkspace {
            account_id,
            workspace_id,
            settlement: "billing_center",
            cloud_provider: None,
            cloud_account_id: None,
        };
        self.app
            .bind_workspace(&req)
            .unwrap_or_else(|e| panic!("bind: {e}"));
    }

    pub fn bind_cloud(&self, account_id: AccountId, workspace_id: &str) {
        let req = BindWorkspace {
            account_id,
            workspace_id,
            settlement: "cloud",
            cloud_provider: Some("aliyun"),
            cloud_account_id: Some("1688"),
        };
        self.app
            .bind_workspace(&req)
            .unwrap_or_else(|e| panic!("bind: {e}"));
    }

    pub fn credit(&self, account_id: AccountId, amount_minor: i64, external_id: &str) {
        let req = CreditCash {
            account_id,
            amount_minor,
            currency: "CNY",
            source: "bank_transfer",
            external_id,
            memo: "",
        };
        self.app
            .credit_cash(&req)
            .unwrap_or_else(|e| panic!("credit: {e}"));
    }

    pub fn settle(
        &self,
        workspace_id: &str,
        bill_id: &str,
        category: &str,
        amount_minor: i64,
    ) -> AppResult<ChargeSettled> {
        self.app.settle_charge(&SettleCharge {
            workspace_id,
            bill_id,
            category,
            amount_minor,
            currency: "CNY",
            bill_date: "2026-11-25",
        })
    }

    /// The number of journal transactions and postings: a change detector.
    pub fn journal_size(&self) -> (u64, u64) {
        let report = self.app.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(report.is_clean(), "{:?}", report.problems);
        (report.journal_txs, report.postings)
    }

    pub fn assert_clean(&self) {
        let report = self.app.verify().unwrap_or_else(|e| panic!("verify: {e}"));
        assert!(report.is_clean(), "{:?}", report.problems);
    }
}
