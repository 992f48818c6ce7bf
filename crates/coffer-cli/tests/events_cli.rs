//! Issue 8 from the command line: `coffer workspace state` and `coffer events`, on a
//! fresh SQLite file at a fixed `--now`.

use std::process::Command;

use serde_json::Value;

struct Coffer {
    dir: tempfile::TempDir,
}

impl Coffer {
    fn json(&self, now: &str, args: &[&str]) -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .env_remove("COFFER_DB")
            .env_remove("COFFER_DATABASE_URL")
            .env_remove("COFFER_CODE_KEY")
            .arg("--db")
            .arg(self.dir.path().join("coffer.db"))
            .args(["--now", now, "--json"])
            .args(args)
            .output()
            .expect("run coffer");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "coffer {args:?}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&stdout).expect("JSON output")
    }
}

const DAY1: &str = "2026-03-15T10:00:00+08:00";

#[test]
fn issue_8_the_cli_shows_a_workspace_in_grace_and_the_account_feed() {
    let c = Coffer { dir: tempfile::tempdir().expect("temp dir") };
    let account = c.json(DAY1, &["account", "create", "--name", "Acme", "--currency", "CNY"]);
    let id = account["account_id"].as_i64().map(|i| i.to_string()).expect("account id");
    let bind = ["workspace", "bind", "--account", &id, "--workspace", "ws1", "--settlement", "billing_center"];
    c.json(DAY1, &bind);
    let state = c.json(DAY1, &["workspace", "state", "ws1"]);
    assert_eq!(state["state"], "normal");
    let settle = [
        "charge",
        "settle",
        "--workspace",
        "ws1",
        "--bill-id",
        "b1",
        "--category",
        "payg",
        "--amount-minor",
        "500",
        "--currency",
        "CNY",
        "--bill-date",
        "2026-03-14",
    ];
    c.json(DAY1, &settle);
    let state = c.json(DAY1, &["workspace", "state", "ws1"]);
    assert_eq!((state["state"].as_str(), state["grace_until"].as_str()), (Some("grace"), Some("2026-03-29T02:00:00Z")));
    let feed = c.json(DAY1, &["events", "--account", &id]);
    let kinds: Vec<&str> =
        feed["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["arrears_started", "grace_started"]);
    assert_eq!(feed["next_after"], 2);
    let rest = c.json(DAY1, &["events", "--account", &id, "--after", "1"]);
    assert_eq!(rest["events"][0]["seq"], 2);
}
