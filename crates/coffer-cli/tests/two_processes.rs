//! Two `coffer` processes settling charges on one SQLite file at the same time: the
//! file's write lock serializes them, and not a fen is lost or spent twice.

use std::process::Command;

fn coffer(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_coffer"))
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_CODE_KEY")
        .args(["--db", db])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = coffer(db, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const PER_PROCESS: usize = 15;

#[test]
fn two_processes_on_one_sqlite_file_settle_every_charge_exactly_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("shared.db").to_string_lossy().into_owned();
    ok(&db, &["account", "create", "--name", "Shared", "--currency", "CNY"]);
    ok(&db, &["workspace", "bind", "--account", "1", "--workspace", "ws", "--settlement", "billing_center"]);
    ok(
        &db,
        &[
            "cash",
            "credit",
            "--account",
            "1",
            "--amount-minor",
            "10000",
            "--currency",
            "CNY",
            "--source",
            "bank_transfer",
            "--external-id",
            "seed",
        ],
    );
    std::thread::scope(|s| {
        for process in 0..2 {
            let db = db.clone();
            s.spawn(move || {
                for n in 0..PER_PROCESS {
                    let bill = format!("p{process}-{n}");
                    ok(
                        &db,
                        &[
                            "charge",
                            "settle",
                            "--workspace",
                            "ws",
                            "--bill-id",
                            &bill,
                            "--category",
                            "payg",
                            "--amount-minor",
                            "1000",
                            "--currency",
                            "CNY",
                            "--bill-date",
                            "2026-11-25",
                        ],
                    );
                }
            });
        }
    });
    let account: serde_json::Value =
        serde_json::from_str(&ok(&db, &["--json", "account", "show", "1"])).unwrap_or_default();
    let spent = 2 * PER_PROCESS as i64 * 1_000;
    assert_eq!(account["cash_minor"], serde_json::json!((10_000 - spent).max(0)), "{account}");
    assert_eq!(account["arrears_owed_minor"], serde_json::json!((spent - 10_000).max(0)), "{account}");
    let verify: serde_json::Value = serde_json::from_str(&ok(&db, &["--json", "verify"])).unwrap_or_default();
    assert_eq!(verify["charges"], serde_json::json!(2 * PER_PROCESS), "{verify}");
}
