//! Black-box tests of the `coffer` binary: each runs the built executable against a
//! fresh SQLite database in a temporary directory, at a fixed `--now`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};
use tempfile::TempDir;

const NOW: &str = "2026-03-15T10:00:00+08:00";
const BILL_DATE: &str = "2026-03-14";

struct Coffer {
    _dir: TempDir,
    db: PathBuf,
}

impl Coffer {
    fn new() -> Coffer {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("coffer.db");
        Coffer { _dir: dir, db }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run coffer")
    }

    /// The command line, with a clean environment, this database and the fixed `NOW`.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
        cmd.env_remove("COFFER_DB")
            .env_remove("COFFER_DATABASE_URL")
            .env_remove("COFFER_CODE_KEY")
            .arg("--db")
            .arg(&self.db)
            .args(["--now", NOW])
            .args(args);
        cmd
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "coffer {args:?}\nstdout: {stdout}\nstderr: {stderr}");
        stdout
    }

    /// Runs a command with `--json` that must succeed; returns the parsed output.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// Runs a command with `--json` that must fail; returns the exit code and the error object.
    fn fail(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code().expect("exit code");
        assert_ne!(code, 0, "coffer {args:?} should fail but printed {stdout}");
        let body: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("JSON error for {args:?}: {stdout}"));
        (code, body["error"].clone())
    }

    /// Journal, posting and charge counts, as `verify` reports them; asserts consistency.
    fn ledger_counts(&self) -> (u64, u64, u64) {
        let v = self.json(&["verify"]);
        assert_eq!(v["consistent"], json!(true), "{v}");
        let n = |k: &str| v[k].as_u64().expect("count");
        (n("journal_transactions"), n("postings"), n("charges"))
    }

    /// A CNY account with a billing-center workspace `ws-main` and 500 CNY of cash.
    fn funded_account(&self) -> String {
        let id = self.json(&["account", "create", "--name", "Acme", "--currency", "CNY"])["account_id"].to_string();
        self.ok(&["workspace", "bind", "--account", &id, "--workspace", "ws-main", "--settlement", "billing_center"]);
        self.ok(&["cash", "credit", "--account", &id, "--amount", "500", "--currency", "CNY"]
            .into_iter()
            .chain(["--source", "bank_transfer", "--external-id", "BANK-0"])
            .collect::<Vec<_>>());
        id
    }
}

fn settle_args<'a>(bill: &'a str, amount_flag: &'a str, amount: &'a str, currency: &'a str) -> Vec<&'a str> {
    vec![
        "charge",
        "settle",
        "--workspace",
        "ws-main",
        "--bill-id",
        bill,
        "--category",
        "payg",
        amount_flag,
        amount,
        "--currency",
        currency,
        "--bill-date",
        BILL_DATE,
    ]
}

#[test]
fn demo_then_verify_exits_zero_and_reports_a_consistent_ledger() {
    let c = Coffer::new();
    let demo = c.ok(&["demo"]);
    assert!(demo.contains("account 1:"), "{demo}");
    let verify = c.run(&["verify"]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{text}");
    assert!(text.contains("Ledger consistent."), "{text}");
    let v = c.json(&["verify"]);
    assert_eq!(v["accounts"], json!(3));
    assert!(v["charges"].as_u64().unwrap_or(0) > 100, "{v}");
    assert_eq!(v["problems"], json!([]));
}

#[test]
fn demo_refuses_a_database_that_already_has_accounts() {
    let c = Coffer::new();
    c.ok(&["account", "create", "--name", "Existing", "--currency", "USD"]);
    let (code, err) = c.fail(&["demo"]);
    assert_eq!(code, 5);
    assert_eq!(err["code"], json!("database_not_empty"));
    assert_eq!(c.json(&["account", "list"])["accounts"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_payg_bill_larger_than_everything_is_paid_in_policy_order_and_a_replay_gives_the_same_deductions() {
    let c = Coffer::new();
    let account = c.json(&["account", "create", "--name", "Acme Observability", "--currency", "CNY"]);
    let id = account["account_id"].to_string();
    c.ok(&["workspace", "bind", "--account", &id, "--workspace", "ws-main", "--settlement", "billing_center"]);
    let standard = c.json(&[
        "voucher",
        "issue",
        "--account",
        &id,
        "--kind",
        "standard",
        "--face-value",
        "100",
        "--currency",
        "CNY",
        "--valid-days",
        "30",
    ]);
    c.ok(&[
        "cash",
        "credit",
        "--account",
        &id,
        "--amount",
        "20000",
        "--currency",
        "CNY",
        "--source",
        "bank_transfer",
        "--external-id",
        "BANK-1",
    ]);
    let card = c.json(&["card", "buy", "--account", &id, "--face-value", "10000"]);
    let bonus = &card["bonus_voucher"];
    assert_eq!(bonus["kind"], json!("discount"), "{card}");
    assert_eq!(bonus["face_value_minor"], json!(100_000));
    c.ok(&[
        "cash",
        "credit",
        "--account",
        &id,
        "--amount-minor",
        "50000",
        "--currency",
        "CNY",
        "--source",
        "online_payment",
        "--external-id",
        "ALIPAY-1",
    ]);

    let text = c.ok(&settle_args("BILL-1", "--amount", "30000", "CNY"));
    let order = ["standard_voucher", "discount_voucher", "prepaid_card", "cash", "arrears"];
    let positions: Vec<usize> = order.iter().map(|w| text.find(w).unwrap_or_else(|| panic!("{w} in {text}"))).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "deductions out of order:\n{text}");
    for amount in ["100.00 CNY", "1000.00 CNY", "10000.00 CNY", "10500.00 CNY", "8400.00 CNY"] {
        assert!(text.contains(amount), "{amount} in {text}");
    }
    assert!(text.contains("policy v1"), "{text}");

    let replay = c.json(&settle_args("BILL-1", "--amount", "30000", "CNY"));
    assert_eq!(replay["replayed"], json!(true));
    assert_eq!(replay["amount_minor"], json!(3_000_000));
    assert_eq!(replay["currency"], json!("CNY"));
    assert_eq!(replay["policy_version"], json!(1));
    let expected = json!([
        {"class": "standard_voucher", "instrument_id": standard["voucher_id"], "amount_minor": 10_000},
        {"class": "discount_voucher", "instrument_id": bonus["voucher_id"], "amount_minor": 100_000},
        {"class": "prepaid_card", "instrument_id": card["card"]["card_id"], "amount_minor": 1_000_000},
        {"class": "cash", "instrument_id": null, "amount_minor": 1_050_000},
        {"class": "arrears", "instrument_id": null, "amount_minor": 840_000},
    ]);
    assert_eq!(replay["deductions"], expected);
    let charge_id = replay["charge_id"].to_string();
    let shown = c.json(&["charge", "show", "--account", &id, "--charge", &charge_id]);
    assert_eq!(shown["deductions"], expected);

    let overview = c.json(&["account", "show", &id]);
    assert_eq!(overview["arrears_owed_minor"], json!(840_000));
    assert_eq!(overview["card_balance_shown_minor"], json!(-840_000));
    c.ledger_counts();
}

#[test]
fn bad_input_gives_specific_errors_and_nonzero_exits_and_leaves_the_journal_unchanged() {
    let c = Coffer::new();
    let id = c.funded_account();
    // A well-formed code from another database (another key) is unknown here.
    let other = Coffer::new();
    let batch = other.json(&[
        "voucher",
        "codes",
        "--kind",
        "standard",
        "--face-value",
        "10",
        "--currency",
        "CNY",
        "--valid-days",
        "5",
        "--count",
        "1",
    ]);
    let foreign_code = batch["codes"][0].as_str().expect("code").to_owned();
    let before = c.ledger_counts();
    let income_before = c.json(&["statement", "income", "--account", &id]);

    let cases: Vec<(Vec<&str>, i32, &str, Option<&str>)> = vec![
        (settle_args("B-zero", "--amount-minor", "0", "CNY"), 3, "validation_failed", Some("amount_minor")),
        (settle_args("B-neg", "--amount", "-5", "CNY"), 3, "validation_failed", Some("amount_minor")),
        (settle_args("B-neg2", "--amount-minor", "-500", "CNY"), 3, "validation_failed", Some("amount_minor")),
        (
            settle_args("B-big", "--amount-minor", "99999999999999999999", "CNY"),
            3,
            "validation_failed",
            Some("amount_minor"),
        ),
        (settle_args("B-big2", "--amount", "100000000000.01", "CNY"), 3, "validation_failed", Some("amount_minor")),
        (settle_args("B-frac", "--amount", "1.234", "CNY"), 3, "validation_failed", Some("amount_minor")),
        (settle_args("B-usd", "--amount", "1", "USD"), 5, "currency_mismatch", Some("currency")),
        (settle_args("B-eur", "--amount", "1", "EUR"), 3, "validation_failed", Some("currency")),
        (
            vec![
                "charge",
                "settle",
                "--workspace",
                "ws-nope",
                "--bill-id",
                "B",
                "--category",
                "payg",
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--bill-date",
                BILL_DATE,
            ],
            4,
            "workspace_not_found",
            Some("workspace_id"),
        ),
        (
            vec![
                "charge",
                "settle",
                "--workspace",
                "ws-main",
                "--bill-id",
                "B",
                "--category",
                "payg",
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--bill-date",
                "2026-02-30",
            ],
            3,
            "validation_failed",
            Some("bill_date"),
        ),
        (
            vec![
                "cash",
                "credit",
                "--account",
                &id,
                "--amount",
                "1",
                "--currency",
                "USD",
                "--source",
                "bank_transfer",
                "--external-id",
                "X-1",
            ],
            5,
            "currency_mismatch",
            Some("currency"),
        ),
        (vec!["voucher", "activate", "--account", &id, "--code", "NOT-A-CODE"], 5, "code_malformed", Some("code")),
        (vec!["voucher", "activate", "--account", &id, "--code", &foreign_code], 5, "code_unknown", Some("code")),
        (
            vec!["card", "buy", "--account", &id, "--face-value", "150"],
            3,
            "validation_failed",
            Some("face_value_minor"),
        ),
        (
            vec!["card", "allocate", "--account", &id, "--face-value-minor", "10001"],
            3,
            "validation_failed",
            Some("face_value_minor"),
        ),
        (vec!["card", "buy", "--account", &id, "--face-value", "50"], 3, "validation_failed", Some("face_value_minor")),
        (vec!["card", "buy", "--account", &id, "--face-value", "1000"], 5, "insufficient_cash", None),
        (vec!["card", "buy", "--account", "999", "--face-value", "100"], 4, "account_not_found", Some("account_id")),
    ];
    for (args, exit, code, field) in &cases {
        let (got_exit, err) = c.fail(args);
        assert_eq!((got_exit, err["code"].as_str()), (*exit, Some(*code)), "coffer {args:?}: {err}");
        assert_eq!(err["field"].as_str(), *field, "coffer {args:?}: {err}");
        assert!(!err["message"].as_str().unwrap_or("").is_empty(), "{err}");
    }

    assert_eq!(c.ledger_counts(), before);
    assert_eq!(c.json(&["statement", "income", "--account", &id]), income_before);
}

#[test]
fn json_errors_carry_the_stable_code_and_field_and_stderr_names_the_code() {
    let c = Coffer::new();
    let out = c.run(&["account", "show", "42", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let body: Value = serde_json::from_slice(&out.stdout).expect("JSON error on stdout");
    assert_eq!(body["error"]["code"], json!("account_not_found"));
    assert_eq!(body["error"]["field"], json!("account_id"));
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("42")), "{body}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error[account_not_found]: "), "{stderr}");

    let out = c.run(&["account", "create", "--name", "X", "--currency", "GBP"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty(), "no JSON without --json");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error[validation_failed]: currency"));
}

#[test]
fn usage_errors_exit_two_before_touching_the_database() {
    let c = Coffer::new();
    let both =
        settle_args("B", "--amount", "1", "CNY").into_iter().chain(["--amount-minor", "100"]).collect::<Vec<_>>();
    assert_eq!(c.run(&both).status.code(), Some(2));
    assert_eq!(c.run(&["charge", "settle", "--workspace", "ws"]).status.code(), Some(2));
    assert_eq!(c.run(&["no-such-command"]).status.code(), Some(2));
    assert!(!c.db.exists(), "a usage error must not create the database");
    let help = c.run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes:"));
}

#[test]
fn a_code_batch_written_to_a_file_is_redeemable_exactly_once_and_the_file_is_never_overwritten() {
    let c = Coffer::new();
    let id = c.funded_account();
    let csv = c.db.with_file_name("codes.csv");
    let csv_arg = csv.to_str().expect("utf-8 path");
    let codes = [
        "voucher",
        "codes",
        "--kind",
        "standard",
        "--face-value",
        "20",
        "--currency",
        "CNY",
        "--valid-from",
        "2026-03-01",
        "--valid-until",
        "2026-03-31",
        "--count",
        "3",
        "--out",
        csv_arg,
    ];
    let text = c.ok(&codes);
    assert!(text.contains("3 standard voucher codes"), "{text}");
    let file = std::fs::read_to_string(&csv).expect("codes file");
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.first(), Some(&"batch_id,code"));
    assert_eq!(lines.len(), 4, "{file}");
    let code = lines[1].split(',').nth(1).expect("code column").to_lowercase().replace('-', "");

    let (exit, err) = c.fail(&codes);
    assert_eq!((exit, err["code"].as_str(), err["field"].as_str()), (3, Some("validation_failed"), Some("out")));
    assert_eq!(std::fs::read_to_string(&csv).expect("codes file"), file);

    let voucher = c.json(&["voucher", "activate", "--account", &id, "--code", &code]);
    assert_eq!(voucher["face_value_minor"], json!(2_000));
    assert_eq!(voucher["valid_until"], json!("2026-03-31T16:00:00Z"), "valid through the end of March 31 in Shanghai");
    let (exit, err) = c.fail(&["voucher", "activate", "--account", &id, "--code", &code]);
    assert_eq!((exit, err["code"].as_str()), (5, Some("code_already_used")));
}

#[test]
fn a_preview_explains_every_instrument_and_writes_nothing() {
    let c = Coffer::new();
    let id = c.funded_account();
    c.ok(&[
        "voucher",
        "issue",
        "--account",
        &id,
        "--kind",
        "standard",
        "--face-value",
        "10",
        "--currency",
        "CNY",
        "--valid-days",
        "7",
    ]);
    let before = c.ledger_counts();
    let mut args = settle_args("P-1", "--amount", "5", "CNY");
    args[1] = "preview";
    let p = c.json(&args);
    assert_eq!(p["deductions"], json!([{"class": "standard_voucher", "instrument_id": 1, "amount_minor": 500}]));
    let skipped: Vec<&str> =
        p["considered"].as_array().expect("considered").iter().filter_map(|x| x["skip_reason"].as_str()).collect();
    assert!(skipped.contains(&"already_covered"), "{p}");
    let text = c.ok(&args);
    assert!(text.contains("nothing was written"), "{text}");
    assert_eq!(c.ledger_counts(), before);
}

#[test]
fn idempotency_keys_replay_the_same_request_and_refuse_a_different_one() {
    let c = Coffer::new();
    let create = ["account", "create", "--name", "Acme", "--currency", "CNY", "--idempotency-key", "k-1"];
    let first = c.json(&create);
    assert_eq!(c.json(&create)["account_id"], first["account_id"]);
    let (exit, err) =
        c.fail(&["account", "create", "--name", "Other", "--currency", "CNY", "--idempotency-key", "k-1"]);
    assert_eq!(
        (exit, err["code"].as_str(), err["field"].as_str()),
        (5, Some("idempotency_conflict"), Some("idempotency_key"))
    );
    assert_eq!(c.json(&["account", "list"])["accounts"].as_array().map(Vec::len), Some(1));
}

#[test]
fn statements_export_csv_and_reversal_and_adjustment_keep_the_ledger_consistent() {
    let c = Coffer::new();
    let id = c.funded_account();
    let settled = c.json(&settle_args("S-1", "--amount", "120.50", "CNY"));
    let charge = settled["charge_id"].to_string();
    let reversed = c.json(&["charge", "reverse", "--account", &id, "--charge", &charge, "--reason", "billing error"]);
    assert_eq!(reversed["reversal"]["reason"], json!("billing error"));
    c.ok(&[
        "adjust",
        "--account",
        &id,
        "--amount-minor",
        "-100",
        "--currency",
        "CNY",
        "--reason",
        "goodwill correction",
    ]);
    let overview = c.json(&["account", "show", &id]);
    assert_eq!(overview["cash_minor"], json!(49_900));

    let csv = c.ok(&["statement", "income", "--account", &id, "--csv"]);
    assert!(csv.starts_with("time_ms,journal_tx_id,kind,"), "{csv}");
    assert_eq!(csv.lines().count(), 5, "credit, charge, reversal, adjustment:\n{csv}");
    let consumption = c.ok(&["statement", "consumption", "--account", &id, "--csv"]);
    assert!(consumption.contains("S-1") && consumption.contains("true"), "{consumption}");
    let monthly = c.json(&["statement", "monthly", "--account", &id, "--month", "2026-03"]);
    assert_eq!(monthly["lines"], json!([]), "a reversed charge leaves the monthly bill");
    c.ledger_counts();
}

#[test]
fn a_malformed_code_key_in_the_environment_is_refused_before_the_database_is_created() {
    let c = Coffer::new();
    let out = c.command(&["account", "list", "--json"]).env("COFFER_CODE_KEY", "not-hex").output().expect("run coffer");
    assert_eq!(out.status.code(), Some(3));
    let body: Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(body["error"]["field"], json!("code_key"));
    assert!(!c.db.exists());
    let key = "00112233445566778899aabbccddeeff";
    let out = c.command(&["account", "list"]).env("COFFER_CODE_KEY", key).output().expect("run coffer");
    assert_eq!(out.status.code(), Some(0));
    assert!(!c.db.with_file_name("coffer.db.code-key").exists(), "no key file when the key comes from the environment");
}
