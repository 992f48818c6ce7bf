//! The `coffer` binary on PostgreSQL: with `--database-url` (or
//! `COFFER_DATABASE_URL`) every command uses that database and no SQLite file, the
//! activation-code key must come from `COFFER_CODE_KEY`, and connection strings never
//! leak their password. Each test gets a fresh database on the throwaway cluster of
//! `coffer_store_postgres::testing`.

use std::path::Path;
use std::process::{Command, Output};

use coffer_store_postgres::testing::{fresh_db, TestDb};
use serde_json::{json, Value};
use tempfile::TempDir;

const CODE_KEY: &str = "00112233445566778899aabbccddeeff";
const NOW: &str = "2026-03-15T10:00:00+08:00";

/// `coffer` in an empty working directory (so a stray default `coffer.db` would
/// show), with a clean environment and the fixed `NOW`.
fn coffer(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
    cmd.current_dir(cwd)
        .env_remove("COFFER_DB")
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_CODE_KEY")
        .args(["--now", NOW])
        .args(args);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("running coffer: {e}"))
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn json_ok(cwd: &Path, db: &TestDb, args: &[&str]) -> Value {
    let out = run(coffer(cwd, args).args(["--database-url", db.url(), "--json"]).env("COFFER_CODE_KEY", CODE_KEY));
    assert_eq!(out.status.code(), Some(0), "coffer {args:?}\n{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON from {args:?}: {e}\n{}", text(&out)))
}

fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .get::<_, i64>(0)
}

#[test]
fn every_command_uses_the_postgres_database_and_no_sqlite_file() {
    let db = fresh_db();
    let cwd = TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    let demo = json_ok(cwd.path(), &db, &["demo"]);
    let accounts = demo["accounts"].as_array().map(Vec::len).unwrap_or(0);
    assert!(accounts > 0, "{demo}");
    assert_eq!(count(&db, "billing_account"), accounts as i64, "the demo went to PostgreSQL");
    let first = demo["accounts"][0]["account_id"].to_string();
    let shown = json_ok(cwd.path(), &db, &["account", "show", &first]);
    assert_eq!(shown["account"]["account_id"].to_string(), first, "{shown}");
    let verify = json_ok(cwd.path(), &db, &["verify"]);
    assert_eq!(verify["consistent"], json!(true), "{verify}");
    assert_eq!(verify["accounts"].as_u64(), Some(accounts as u64));
    assert_eq!(verify["charges"].as_i64(), Some(count(&db, "charge")));

    // The environment variable works as the option does, for identities too.
    let out = run(coffer(cwd.path(), &["token", "create", "--name", "meter", "--role", "metering", "--json"])
        .env("COFFER_DATABASE_URL", db.url())
        .env("COFFER_CODE_KEY", CODE_KEY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(count(&db, "api_token"), 1);
    let out = run(coffer(cwd.path(), &["demo", "--json"])
        .env("COFFER_DATABASE_URL", db.url())
        .env("COFFER_CODE_KEY", CODE_KEY));
    assert_eq!(out.status.code(), Some(5), "a second demo is refused: {}", text(&out));

    let files: Vec<_> = std::fs::read_dir(cwd.path()).map(|d| d.filter_map(Result::ok).collect()).unwrap_or_default();
    assert!(files.is_empty(), "no SQLite file or key file was created: {files:?}");
}

#[test]
fn postgres_needs_the_code_key_from_the_environment_before_connecting() {
    let cwd = TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    // Nothing listens on port 1: the refusal comes before any connection attempt.
    let out =
        run(&mut coffer(cwd.path(), &["--database-url", "postgres://coffer@127.0.0.1:1/coffer", "verify", "--json"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(body["error"]["code"], json!("validation_failed"));
    assert_eq!(body["error"]["field"], json!("code_key"));
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("COFFER_CODE_KEY"), "the error names the variable: {message}");
}

#[test]
fn an_unreachable_database_is_an_internal_error_that_hides_the_password() {
    let cwd = TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    let url = "postgres://coffer:hunter2-secret@127.0.0.1:1/coffer";
    let out = run(coffer(cwd.path(), &["--database-url", url, "account", "list"]).env("COFFER_CODE_KEY", CODE_KEY));
    assert_eq!(out.status.code(), Some(10), "{}", text(&out));
    assert!(!text(&out).contains("hunter2-secret"), "the password leaked: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1"), "{}", text(&out));
}

#[test]
fn a_database_url_and_a_db_file_together_are_a_usage_error() {
    let cwd = TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    let out = run(coffer(cwd.path(), &["--db", "x.db", "--database-url", "postgres://127.0.0.1:1/x", "verify"])
        .env("COFFER_CODE_KEY", CODE_KEY));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!cwd.path().join("x.db").exists());
}
