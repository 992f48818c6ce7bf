//! The sharding invariant (ARCHITECTURE.md): every table holding account data
//! carries `billing_account_id`, so the schema can be distributed by account.

use coffer_store_sqlite::SqliteStore;
use rusqlite::Connection;

/// Tables that hold no single account's data, and why.
const NOT_ACCOUNT_DATA: &[(&str, &str)] = &[
    ("code_batch", "an operator catalogue of activation-code batches"),
    ("activation_code", "unredeemed codes belong to no account; redemption records the account"),
    ("idempotency", "keyed by a scope string that embeds the account (account:<id>) or 'global'"),
    ("app_user", "operators belong to no account; members carry billing_account_id"),
    ("api_token", "operator and metering tokens belong to no account; member tokens carry it"),
    ("web_session", "follows its user"),
    ("login_attempt", "sign-in attempts per typed login, which need not exist, so no account"),
    ("saved_response", "keyed by a principal scope that embeds the account"),
    ("job_lease", "one row per background job, not per account"),
    ("job_run", "the log of background job runs"),
    ("job_cursor", "a job's position in the global event feed"),
    ("sqlite_sequence", "SQLite's own"),
];

#[test]
fn every_table_of_account_data_carries_the_billing_account_id() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("schema.db");
    drop(SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}")));
    let conn = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap_or_else(|e| panic!("{e}"));
    let tables: Vec<String> =
        stmt.query_map([], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok).collect();
    assert!(tables.len() > 10, "{tables:?}");
    let mut missing = Vec::new();
    for table in &tables {
        if NOT_ACCOUNT_DATA.iter().any(|(t, _)| t == table) {
            continue;
        }
        let sql = format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = 'billing_account_id'");
        let n: i64 = conn.query_row(&sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}"));
        if n != 1 {
            missing.push(table.clone());
        }
    }
    assert!(missing.is_empty(), "tables without billing_account_id: {missing:?}");
}
