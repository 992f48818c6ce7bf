//! The money rails from the command line: bank transfers (record, queue, assign,
//! four-eyes approval, statement import credited once) and the cloud outbox.

use std::process::{Command, Output};

use serde_json::Value;

struct Coffer {
    dir: tempfile::TempDir,
}

impl Coffer {
    fn new() -> Coffer {
        Coffer { dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")) }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_coffer"))
            .env_remove("COFFER_DATABASE_URL")
            .env_remove("COFFER_CODE_KEY")
            .env_remove("COFFER_OPERATOR")
            .arg("--db")
            .arg(self.dir.path().join("rails.db"))
            .arg("--json")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn fail(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let body: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), body["error"]["code"].as_str().unwrap_or_default().to_owned())
    }

    fn cash(&self) -> i64 {
        self.ok(&["account", "show", "1"])["cash_minor"].as_i64().unwrap_or(-1)
    }
}

fn record<'a>(txid: &'a str, amount: &'a str, reference: &'a str, operator: &'a str) -> Vec<&'a str> {
    vec![
        "bank",
        "record",
        "--bank-transaction-id",
        txid,
        "--amount",
        amount,
        "--currency",
        "CNY",
        "--value-date",
        "2026-11-25",
        "--payer",
        "ACME LTD",
        "--reference",
        reference,
        "--operator",
        operator,
    ]
}

#[test]
fn bank_transfers_match_queue_assign_and_need_a_second_operator_above_the_threshold() {
    let c = Coffer::new();
    c.ok(&["account", "create", "--name", "Payer", "--currency", "CNY"]);
    let reference =
        c.ok(&["bank", "instructions", "--account", "1"])["reference"].as_str().unwrap_or_default().to_owned();
    assert!(reference.starts_with("CF1"), "{reference}");
    let matched = c.ok(&record("TX-1", "100.00", &format!("payment {reference}"), "alice"));
    assert_eq!(matched["outcome"], "credited");
    assert_eq!(c.cash(), 10_000);
    let queued = c.ok(&record("TX-2", "50.00", "no reference", "alice"));
    assert_eq!(queued["outcome"], "queued");
    let id = queued["transfer_id"].as_i64().unwrap_or_default().to_string();
    assert_eq!(c.ok(&["bank", "list", "--state", "unmatched"]).as_array().map(Vec::len), Some(1));
    c.ok(&["bank", "assign", "--transfer", &id, "--account", "1", "--operator", "alice"]);
    assert_eq!(c.cash(), 15_000);
    let big = c.ok(&record("TX-3", "20000.00", &reference, "alice"));
    assert_eq!(big["outcome"], "awaiting_approval");
    let big_id = big["transfer_id"].as_i64().unwrap_or_default().to_string();
    assert_eq!(
        c.fail(&["bank", "approve", "--transfer", &big_id, "--operator", "alice"]),
        (5, "approval_by_same_operator".into())
    );
    assert_eq!(c.cash(), 15_000);
    c.ok(&["bank", "approve", "--transfer", &big_id, "--operator", "bob"]);
    assert_eq!(c.cash(), 2_015_000);
    assert_eq!(c.ok(&record("TX-1", "100.00", &reference, "alice"))["outcome"], "duplicate");
    assert_eq!(c.cash(), 2_015_000);
    c.ok(&["verify"]);
}

fn adjust<'a>(amount: &'a str, operator: &'a str) -> Vec<&'a str> {
    let base = ["adjust", "--account", "1", "--amount", amount, "--currency", "CNY", "--reason", "goodwill"];
    let mut args = base.to_vec();
    args.extend(["--operator", operator]);
    args
}

#[test]
fn a_large_adjustment_is_pending_until_another_operator_approves_it() {
    let c = Coffer::new();
    c.ok(&["account", "create", "--name", "Payer", "--currency", "CNY"]);
    assert_eq!(c.ok(&adjust("50.00", "alice"))["state"], "applied");
    assert_eq!(c.cash(), 5_000);
    let big = c.ok(&adjust("20000.00", "alice"));
    assert_eq!(big["state"], "pending");
    let id = big["request_id"].as_i64().unwrap_or_default().to_string();
    assert_eq!(c.ok(&["adjustment", "list", "--state", "pending"]).as_array().map(Vec::len), Some(1));
    assert_eq!(
        c.fail(&["adjustment", "approve", "--request", &id, "--operator", "alice"]),
        (5, "approval_by_same_operator".into())
    );
    assert_eq!(c.cash(), 5_000);
    let approved = c.ok(&["adjustment", "approve", "--request", &id, "--operator", "bob"]);
    assert_eq!((approved["state"].as_str(), approved["decided_by"].as_str()), (Some("applied"), Some("bob")));
    assert_eq!(c.cash(), 2_005_000);
    let other = c.ok(&adjust("-20000.00", "alice"))["request_id"].as_i64().unwrap_or_default().to_string();
    let rejected = c.ok(&["adjustment", "reject", "--request", &other, "--reason", "no ticket", "--operator", "bob"]);
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(c.cash(), 2_005_000);
    c.ok(&["verify"]);
}

#[test]
fn a_csv_statement_imported_twice_credits_once() {
    let c = Coffer::new();
    c.ok(&["account", "create", "--name", "Payer", "--currency", "CNY"]);
    let reference =
        c.ok(&["bank", "instructions", "--account", "1"])["reference"].as_str().unwrap_or_default().to_owned();
    let csv = format!(
        "bank_transaction_id,value_date,amount,currency,payer,reference,direction\n\
         S-1,2026-11-24,300.00,CNY,ACME LTD,{reference},credit\n\
         S-2,2026-11-24,12.00,CNY,ACME LTD,{reference},debit\n\
         S-3,not-a-date,1.00,CNY,ACME LTD,{reference},credit\n"
    );
    let path = c.dir.path().join("statement.csv");
    std::fs::write(&path, csv).unwrap_or_else(|e| panic!("{e}"));
    let file = path.to_string_lossy().into_owned();
    let first = c.ok(&["bank", "import", "--format", "csv", &file]);
    assert_eq!((first["credited"].as_u64(), first["skipped"].as_u64()), (Some(1), Some(1)), "{first}");
    assert_eq!(first["errors"][0]["field"], "value_date", "{first}");
    let second = c.ok(&["bank", "import", "--format", "csv", &file]);
    assert_eq!((second["credited"].as_u64(), second["duplicates"].as_u64()), (Some(0), Some(1)), "{second}");
    assert_eq!(c.cash(), 30_000);
    c.ok(&["verify"]);
}

#[test]
fn a_cloud_charge_waits_in_the_outbox_and_a_cancelled_subscription_moves_its_workspace() {
    let c = Coffer::new();
    c.ok(&["account", "create", "--name", "Cloudy", "--currency", "CNY"]);
    c.ok(&[
        "workspace",
        "bind",
        "--account",
        "1",
        "--workspace",
        "wc",
        "--settlement",
        "cloud",
        "--cloud-provider",
        "aws",
        "--cloud-account-id",
        "123",
    ]);
    let settled = c.ok(&[
        "charge",
        "settle",
        "--workspace",
        "wc",
        "--bill-id",
        "b1",
        "--category",
        "payg",
        "--amount",
        "42.00",
        "--currency",
        "CNY",
        "--bill-date",
        "2026-11-25",
    ]);
    let charge = settled["charge_id"].as_i64().unwrap_or_default().to_string();
    let items = c.ok(&["cloud", "charge", "--account", "1", "--charge", &charge]);
    assert_eq!(
        (items[0]["state"].as_str(), items[0]["amount_minor"].as_i64()),
        (Some("pending"), Some(4_200)),
        "{items}"
    );
    let moved = c.ok(&["cloud", "cancel-subscription", "--provider", "aws", "--cloud-account-id", "123"]);
    assert_eq!(moved["moved"], serde_json::json!(["wc"]));
    let ws = c.ok(&["workspace", "list", "--account", "1"]);
    assert_eq!(ws["workspaces"][0]["settlement"], "billing_center", "{ws}");
    c.ok(&["verify"]);
}
