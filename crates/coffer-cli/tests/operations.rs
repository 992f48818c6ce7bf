//! Operations, black box (issue 8 parts 4–6): `/metrics` scraped after real charges,
//! request ids in responses and logs, JSON log lines with no secrets in them, the
//! metrics token, `coffer config check`, and a SQLite backup taken while a server is
//! writing, restored and verified. Everything runs on loopback against the built
//! binary; PostgreSQL backups use PostgreSQL's own tools (docs/OPERATIONS.md).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

const OPERATOR_TOKEN: &str = "operations-operator-token-000001";
const METRICS_TOKEN: &str = "operations-metrics-token-0000001";
const PASSWORD: &str = "Wr0ng-But-Secret-Passw0rd";
const CODE: &str = "2345-6789-2345-6789";

/// A running `coffer serve`, killed and reaped on drop.
struct Server {
    child: Child,
    base: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, config: &str) -> Server {
        Server::start_with(dir, config, &[])
    }

    fn start_with(dir: &Path, config: &str, env: &[(&str, &str)]) -> Server {
        let config_path = dir.join("coffer.toml");
        std::fs::write(&config_path, config).unwrap_or_else(|e| panic!("writing the config: {e}"));
        let mut child = coffer(dir)
            .env("COFFER_CONFIG", &config_path)
            .env("COFFER_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting coffer serve: {e}"));
        let (addr_tx, addr_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = addr_tx.send(rest.trim().to_owned());
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap_or_else(|p| p.into_inner()).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            panic!("coffer serve did not start: {}", stderr.lock().unwrap_or_else(|p| p.into_inner()))
        });
        Server { child, base: format!("http://{addr}"), stderr }
    }

    fn logs(&self) -> String {
        self.stderr.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
        let mut req = ureq::request(method, &format!("{}{path}", self.base)).timeout(Duration::from_secs(60));
        for (name, value) in headers {
            req = req.set(name, value);
        }
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let request_id = response.header("x-request-id").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        Reply { status, request_id, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
    }

    fn operator(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, &[("Authorization", &format!("Bearer {OPERATOR_TOKEN}"))], body)
    }

    /// A new account with workspace `ws-<id>` and `cash` minor units of cash.
    fn account(&self, cash: i64) -> i64 {
        let r = self.operator("POST", "/v1/accounts", Some(json!({"name": "Ops", "currency": "CNY"})));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["account_id"].as_i64().unwrap_or_else(|| panic!("account id in {}", r.text));
        let ws = json!({"workspace_id": format!("ws-{id}"), "settlement": "billing_center"});
        let r = self.operator("POST", &format!("/v1/accounts/{id}/workspaces"), Some(ws));
        assert_eq!(r.status, 201, "{}", r.text);
        let credit = json!({"amount_minor": cash, "currency": "CNY", "source": "bank_transfer", "external_id": format!("ops-{id}")});
        let r = self.operator("POST", &format!("/v1/accounts/{id}/cash-credits"), Some(credit));
        assert_eq!(r.status, 201, "{}", r.text);
        id
    }

    fn charge(&self, account: i64, bill_id: &str, amount_minor: i64) -> Reply {
        let bill = json!({"workspace_id": format!("ws-{account}"), "bill_id": bill_id, "category": "payg",
                          "amount_minor": amount_minor, "currency": "CNY", "bill_date": "2026-11-25"});
        self.operator("POST", "/v1/charges", Some(bill))
    }
}

struct Reply {
    status: u16,
    request_id: Option<String>,
    body: Value,
    text: String,
}

/// The binary, run in `dir` with none of the caller's Coffer settings leaking in.
fn coffer(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
    for (name, _) in std::env::vars() {
        if name.starts_with("COFFER_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir);
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    coffer(dir).args(args).output().unwrap_or_else(|e| panic!("running coffer {args:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

fn sqlite_config(dir: &Path, extra: &str) -> String {
    format!("[database]\npath = {:?}\n[log]\nformat = \"json\"\nlevel = \"debug\"\n{extra}", dir.join("live.db"))
}

#[test]
fn metrics_scraped_after_charges_count_exactly_those_charges() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &sqlite_config(dir.path(), ""));
    let account = server.account(1_000_000);
    let amounts = [120, 250, 1_000, 7, 99];
    for (i, amount) in amounts.iter().enumerate() {
        let r = server.charge(account, &format!("bill-{i}"), *amount);
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // A replay is answered as the original was but not counted again; a refused
    // charge counts as a failure by its code.
    let replay = server.charge(account, "bill-0", 120);
    assert_eq!((replay.status, &replay.body["replayed"]), (201, &json!(true)), "{}", replay.text);
    let missing = json!({"workspace_id": "ws-none", "bill_id": "x", "category": "payg", "amount_minor": 1,
                         "currency": "CNY", "bill_date": "2026-11-25"});
    assert_eq!(server.operator("POST", "/v1/charges", Some(missing)).status, 404);

    let scrape = server.call("GET", "/metrics", &[], None);
    assert_eq!(scrape.status, 200, "{}", scrape.text);
    let m = &scrape.text;
    let settled = r#"coffer_charges_settled_total{category="payg",instrument_class="cash"}"#;
    assert_eq!(sample(m, settled), Some(amounts.len() as f64), "{m}");
    let amount = r#"coffer_charge_amount_minor_total{category="payg",currency="CNY"}"#;
    assert_eq!(sample(m, amount), Some(amounts.iter().sum::<i64>() as f64), "{m}");
    let created = r#"coffer_http_requests_total{route="/v1/charges",method="POST",status="201"}"#;
    assert_eq!(sample(m, created), Some(amounts.len() as f64 + 1.0), "{m}");
    let refused = r#"coffer_http_requests_total{route="/v1/charges",method="POST",status="404"}"#;
    assert_eq!(sample(m, refused), Some(1.0), "{m}");
    assert_eq!(sample(m, r#"coffer_failures_total{code="workspace_not_found"}"#), Some(1.0), "{m}");
    let histogram_count = r#"coffer_http_request_duration_seconds_count{route="/v1/charges"}"#;
    assert_eq!(sample(m, histogram_count), Some(amounts.len() as f64 + 2.0), "{m}");
    assert!(m.contains("# TYPE coffer_outbox_backlog gauge"), "{m}");
}

#[test]
fn request_ids_are_echoed_and_logged_as_json_without_secrets() {
    let dir = temp_dir();
    let server = Server::start(dir.path(), &sqlite_config(dir.path(), ""));
    let account = server.account(10_000);
    let r = server.call("GET", "/healthz", &[("x-request-id", "trace-me-42")], None);
    assert_eq!((r.status, r.request_id.as_deref()), (200, Some("trace-me-42")));
    let drawn = server.call("GET", "/healthz", &[], None).request_id.unwrap_or_default();
    assert_eq!(drawn.len(), 24, "a fresh id is drawn when none is given");
    // Requests carrying every kind of secret: a password, a bearer token, an activation code.
    let login = json!({"login": "nobody@example.com", "password": PASSWORD});
    assert_eq!(server.call("POST", "/v1/session", &[("x-request-id", "login-1")], Some(login)).status, 401);
    let activate = format!("/v1/accounts/{account}/vouchers/activate");
    let r = server.operator("POST", &activate, Some(json!({"code": CODE})));
    assert!(r.status >= 400, "{}", r.text);
    let query = format!("/v1/alipay/return?sign=secret-signature&code={CODE}");
    server.call("GET", &query, &[], None);
    std::thread::sleep(Duration::from_millis(300));

    let logs = server.logs();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&Value> = lines.iter().filter(|l| l["target"] == "coffer::access").collect();
    assert!(access.len() >= 6, "{logs}");
    let traced = access.iter().find(|l| l["span"]["request_id"] == "trace-me-42").unwrap_or_else(|| panic!("{logs}"));
    assert_eq!(traced["span"]["route"], "/healthz");
    assert_eq!(traced["fields"]["status"], 200);
    assert!(access.iter().any(|l| l["span"]["request_id"] == drawn), "{logs}");
    for secret in [PASSWORD, OPERATOR_TOKEN, CODE, "secret-signature"] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs:\n{logs}");
    }
}

#[test]
fn metrics_need_the_token_when_one_is_configured() {
    let dir = temp_dir();
    let config = sqlite_config(dir.path(), &format!("[metrics]\ntoken = {METRICS_TOKEN:?}\n"));
    let server = Server::start(dir.path(), &config);
    let r = server.call("GET", "/metrics", &[], None);
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("forbidden")), "{}", r.text);
    let wrong = server.call("GET", "/metrics", &[("Authorization", "Bearer not-the-metrics-token")], None);
    assert_eq!(wrong.status, 403);
    let auth = format!("Bearer {METRICS_TOKEN}");
    let r = server.call("GET", "/metrics", &[("Authorization", &auth)], None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains("coffer_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"403\"} 2"),
        "{}",
        r.text
    );
    assert!(!server.logs().contains(METRICS_TOKEN));
}

#[test]
fn config_check_prints_effective_settings_with_origins_and_redacted_secrets() {
    let dir = temp_dir();
    let file = dir.path().join("coffer.toml");
    let toml =
        "[database]\nurl = \"postgres://coffer:db-pass-123@localhost/coffer\"\n[server]\nlisten = \"127.0.0.1:7000\"\n\
                [email]\nsender = \"smtp\"\nsmtp_host = \"smtp.example.com\"\n[metrics]\ntoken = \"metrics-token-456-0000\"\n";
    std::fs::write(&file, toml).unwrap_or_else(|e| panic!("{e}"));
    let out = coffer(dir.path())
        .env("COFFER_SERVER_LISTEN", "127.0.0.1:7001")
        .args(["config", "check", "--config"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert!(printed.contains("Configuration valid."), "{printed}");
    assert!(printed.contains("\"127.0.0.1:7001\"  # env COFFER_SERVER_LISTEN"), "{printed}");
    assert!(printed.contains("email.smtp_host"), "{printed}");
    assert!(printed.contains("jobs.expiry.period_seconds"), "{printed}");
    for secret in ["db-pass-123", "metrics-token-456-0000"] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
}

#[test]
fn config_check_exits_2_listing_every_problem() {
    let dir = temp_dir();
    let file = dir.path().join("coffer.toml");
    std::fs::write(&file, "[server]\nlistne = \"x\"\n[log]\nformat = \"xml\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = run(dir.path(), &["config", "check", "--config", &file.display().to_string()]);
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(2), "{printed}");
    assert!(printed.contains("server.listne (from file): unknown key"), "{printed}");
    assert!(printed.contains("log.format (from file): must be one of \"text\", \"json\", not \"xml\""), "{printed}");

    let missing = run(dir.path(), &["config", "check", "--config", "/nonexistent/coffer.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).contains("cannot read /nonexistent/coffer.toml"), "{}", text(&missing));

    // Every command validates the configuration before touching a database.
    let bad_env = coffer(dir.path()).env("COFFER_ARREARS_GRACE_DAYS", "soon").args(["verify"]).output();
    let bad_env = bad_env.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad_env.status.code(), Some(2), "{}", text(&bad_env));
    assert!(text(&bad_env).contains("arrears.grace_days (from env COFFER_ARREARS_GRACE_DAYS)"));
    assert!(!dir.path().join("coffer.db").exists(), "no database was created");
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file() {
    let dir = temp_dir();
    let file = dir.path().join("coffer.toml");
    std::fs::write(&file, format!("[database]\npath = {:?}\n", dir.path().join("from-file.db")))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = file.display().to_string();
    assert_eq!(run(dir.path(), &["--config", &config, "verify"]).status.code(), Some(0));
    assert!(dir.path().join("from-file.db").exists());
    let env = dir.path().join("from-env.db");
    let out = coffer(dir.path()).env("COFFER_DATABASE_PATH", &env).args(["--config", &config, "verify"]).output();
    assert_eq!(out.unwrap_or_else(|e| panic!("{e}")).status.code(), Some(0));
    assert!(env.exists());
    let flag = dir.path().join("from-flag.db");
    let out = coffer(dir.path())
        .env("COFFER_DATABASE_PATH", &env)
        .args(["--config", &config, "--db", &flag.display().to_string(), "verify"])
        .output();
    assert_eq!(out.unwrap_or_else(|e| panic!("{e}")).status.code(), Some(0));
    assert!(flag.exists());
}

#[test]
fn a_backup_taken_while_a_server_writes_restores_and_verifies_clean() {
    let dir = temp_dir();
    let server = Arc::new(Server::start(dir.path(), &sqlite_config(dir.path(), "")));
    let account = server.account(100_000_000);
    let stop = Arc::new(AtomicBool::new(false));
    let settled = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (server, stop, settled) = (server.clone(), stop.clone(), settled.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = server.charge(account, &format!("load-{i}"), 10);
                assert_eq!(r.status, 201, "{}", r.text);
                settled.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };
    while settled.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let db = dir.path().join("live.db").display().to_string();
    let backup = dir.path().join("backup.db").display().to_string();
    let out = run(dir.path(), &["--db", &db, "backup", "--to", &backup]);
    let during = settled.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap_or_else(|_| panic!("the writer failed"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("ledger consistent"), "{}", text(&out));
    assert!(settled.load(Ordering::Relaxed) > during, "the server kept settling after the backup");
    assert!(Path::new(&format!("{backup}.code-key")).exists(), "the activation-code key travels with the backup");

    let restored: PathBuf = dir.path().join("restored.db");
    let target = restored.display().to_string();
    let out = run(dir.path(), &["--db", &target, "--json", "restore", "--from", &backup]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(report["verify"]["consistent"], true, "{report}");
    let charges = report["verify"]["charges"].as_u64().unwrap_or(0) as usize;
    assert!(charges >= 20 && charges <= settled.load(Ordering::Relaxed), "{charges} charges restored");

    let again = run(dir.path(), &["--db", &target, "restore", "--from", &backup]);
    assert_eq!(again.status.code(), Some(5), "{}", text(&again));
    assert!(text(&again).contains("already holds data"), "{}", text(&again));
    assert_eq!(run(dir.path(), &["--db", &target, "restore", "--from", &backup, "--force"]).status.code(), Some(0));

    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "not a database").unwrap_or_else(|e| panic!("{e}"));
    let fresh = dir.path().join("fresh.db").display().to_string();
    let out = run(dir.path(), &["--db", &fresh, "restore", "--from", &foreign.display().to_string()]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(text(&out).contains("is not a Coffer database"), "{}", text(&out));
}

#[test]
fn metrics_on_postgresql_report_the_connection_pool() {
    let db = coffer_store_postgres::testing::fresh_db();
    let dir = temp_dir();
    let config = format!("[database]\nurl = {:?}\n", db.url());
    let code_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let server = Server::start_with(dir.path(), &config, &[("COFFER_CODE_KEY", code_key)]);
    let account = server.account(10_000);
    assert_eq!(server.charge(account, "pg-1", 100).status, 201);
    let m = server.call("GET", "/metrics", &[], None).text;
    let idle = sample(&m, "coffer_db_pool_connections_idle").unwrap_or(0.0);
    let in_use = sample(&m, "coffer_db_pool_connections_in_use").unwrap_or(-1.0);
    assert!(idle >= 1.0, "a pooled connection waits idle after the requests: {m}");
    assert!(in_use >= 0.0, "{m}");
    assert_eq!(sample(&m, r#"coffer_charges_settled_total{category="payg",instrument_class="cash"}"#), Some(1.0));
}
