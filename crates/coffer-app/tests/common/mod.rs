//! Test helpers: an app on a real database (a SQLite file in a temp dir, or a fresh
//! database on a throwaway PostgreSQL cluster), a manual clock, and shortcuts.
//!
//! Every test takes the [`Engine`] it runs on and is expanded once per engine by
//! [`engine_tests!`], so its name reads `sqlite::...` or `postgres::...`.
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
use coffer_store::Store;
use coffer_store_postgres::testing::TestDb;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;

/// 2026-11-26T02:00:00Z: 10:00 in Shanghai.
pub const T0: Timestamp = Timestamp(1_795_658_400_000);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Expands test functions taking an [`Engine`] into one `#[test]` per engine, in
/// modules `sqlite` and `postgres`: `engine_tests!(a_test, another_test);`.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::common::Engine::Sqlite)
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::common::Engine::Postgres)
                }
            )*
        }
    };
}

/// Where a test app's data lives; it lives as long as the app.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(TestDb),
}

/// Fields drop in order: the app (and its store's connections) before the database.
pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub db: Database,
}

pub fn spawn_app(engine: Engine) -> TestApp {
    let db = match engine {
        Engine::Sqlite => Database::Sqlite(tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))),
        Engine::Postgres => Database::Postgres(coffer_store_postgres::testing::fresh_db()),
    };
    let clock = Arc::new(ManualClock::new(T0));
    let app = app_on(open_store(&db), &clock);
    TestApp { app, clock, db }
}

/// An app on `store` with the test configuration.
pub fn app_on(store: Arc<dyn Store>, clock: &Arc<ManualClock>) -> App {
    App::new(store, AppConfig::with_code_key(vec![7; 32]), clock.clone())
}

fn open_store(db: &Database) -> Arc<dyn Store> {
    match db {
        Database::Sqlite(dir) => {
            Arc::new(SqliteStore::open(&dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("open: {e}")))
        }
        Database::Postgres(db) => Arc::new(PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("connect: {e}"))),
    }
}

impl TestApp {
    pub fn engine(&self) -> Engine {
        match self.db {
            Database::Sqlite(_) => Engine::Sqlite,
            Database::Postgres(_) => Engine::Postgres,
        }
    }

    /// A second store on the same data with its own connections, as another server
    /// process would have: another open of the SQLite file, or another PostgreSQL
    /// connection pool.
    pub fn another_store(&self) -> Arc<dyn Store> {
        open_store(&self.db)
    }

    /// Runs raw SQL behind the store's back, as someone editing the database by hand
    /// would: foreign keys are not enforced (SQLite: `PRAGMA foreign_keys = OFF`;
    /// PostgreSQL: `session_replication_role = replica`, which needs a superuser).
    pub fn tamper(&self, sql: &str) {
        match &self.db {
            Database::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}"));
                conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}")).unwrap_or_else(|e| panic!("{e}"));
            }
            Database::Postgres(db) => {
                let mut client = db.client();
                client
                    .batch_execute(&format!("SET session_replication_role = replica; {sql}"))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }

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
        self.app.create_account(&req).unwrap_or_else(|e| panic!("create account: {e}")).account.id
    }

    pub fn bind(&self, account_id: AccountId, workspace_id: &str) {
        let req = BindWorkspace {
            account_id,
            workspace_id,
            settlement: "billing_center",
            cloud_provider: None,
            cloud_account_id: None,
        };
        self.app.bind_workspace(&req).unwrap_or_else(|e| panic!("bind: {e}"));
    }

    pub fn bind_cloud(&self, account_id: AccountId, workspace_id: &str) {
        let req = BindWorkspace {
            account_id,
            workspace_id,
            settlement: "cloud",
            cloud_provider: Some("aliyun"),
            cloud_account_id: Some("1688"),
        };
        self.app.bind_workspace(&req).unwrap_or_else(|e| panic!("bind: {e}"));
    }

    pub fn credit(&self, account_id: AccountId, amount_minor: i64, external_id: &str) {
        let req =
            CreditCash { account_id, amount_minor, currency: "CNY", source: "bank_transfer", external_id, memo: "" };
        self.app.credit_cash(&req).unwrap_or_else(|e| panic!("credit: {e}"));
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
