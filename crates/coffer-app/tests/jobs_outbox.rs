//! The `cloud_outbox` job delivers due usage records through the marketplace
//! adapters, once: a rerun sends nothing. Both engines.

mod cloud_support;
mod common;

use std::sync::Arc;

use cloud_support::*;
use coffer_app::jobs::{JobName, JobSettings, Jobs, RunResult};
use coffer_core::workspace::CloudProvider;
use coffer_store::auth::AuthStore;
use coffer_store::jobs::RunOutcome;
use coffer_store::rails::OutboxState;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;
use common::*;

fn auth_of(t: &TestApp) -> Arc<dyn AuthStore> {
    match &t.db {
        Database::Sqlite(dir) => {
            Arc::new(SqliteStore::open(&dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}")))
        }
        Database::Postgres(db) => Arc::new(PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("{e}"))),
    }
}

fn items_of(jobs: &Jobs) -> i64 {
    match jobs.run(JobName::CloudOutbox, "test") {
        Ok(RunResult::Ran { outcome: RunOutcome::Succeeded, report, .. }) => report.items,
        other => panic!("cloud_outbox: {other:?}"),
    }
}

fn the_outbox_job_delivers_a_due_usage_record_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 10_000);
    let script = Scripted::new(vec![transient("throttled")]);
    let jobs = Jobs::new(scripted_app(&t, CloudProvider::Aliyun, &script), auth_of(&t), JobSettings::default());
    assert_eq!(items_of(&jobs), 1, "attempted, throttled");
    assert_eq!(items_of(&jobs), 0, "not due before its backoff ends");
    t.clock.advance_ms(30_000);
    assert_eq!(items_of(&jobs), 1, "delivered");
    assert_eq!(items_of(&jobs), 0, "a rerun sends nothing");
    assert_eq!(only_item(&jobs.app, a, id).state, OutboxState::Delivered);
    assert_eq!(script.calls().len(), 2);
}

engine_tests!(the_outbox_job_delivers_a_due_usage_record_once);
