//! The shared harness of the reliability tests: real `coffer serve` processes on a
//! SQLite file or a PostgreSQL database, real HTTP clients (ureq, one agent per
//! thread), `coffer verify` run as a process, and a small seeded random source.
//!
//! Every server is killed and reaped when its guard drops, so a panicking test
//! leaves no process behind.

// Each test binary uses its own part of the harness.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub mod ops;

pub const OPERATOR_TOKEN: &str = "reliability-harness-operator-token-01";
pub const CODE_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Where the data lives: it outlives every server process started on it.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    pub fn sqlite(dir: &Path) -> Db {
        Db::Sqlite(dir.join("coffer.db"))
    }

    /// The global CLI arguments that select this database.
    fn args(&self) -> Vec<String> {
        match self {
            Db::Sqlite(path) => vec!["--db".into(), path.to_string_lossy().into_owned()],
            Db::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }
}

/// A `coffer` command on the database, with the harness's environment.
pub fn coffer(db: &Db) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
    cmd.env_remove("COFFER_DB")
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_ALIPAY_APP_ID")
        .env_remove("COFFER_OPERATOR")
        .env("COFFER_CODE_KEY", CODE_KEY)
        .env("COFFER_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
        .env("RUST_LOG", "warn")
        .args(db.args());
    cmd
}

/// Runs `coffer verify --json` on the database and panics unless it exits 0 and
/// reports the ledger consistent. Returns the report.
pub fn verify_clean(db: &Db) -> Value {
    let out = coffer(db).args(["--json", "verify"]).output().unwrap_or_else(|e| panic!("running coffer verify: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "coffer verify: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("verify JSON: {e}: {stdout}"));
    assert_eq!(report["consistent"], json!(true), "{report}");
    report
}

/// Runs a `coffer --json` command and returns its output.
pub fn cli(db: &Db, args: &[&str]) -> Output {
    coffer(db).arg("--json").args(args).output().unwrap_or_else(|e| panic!("running coffer {args:?}: {e}"))
}

/// A running `coffer serve`; killed with SIGKILL and reaped on drop.
pub struct Server {
    // Behind a lock so a test can kill the server while client threads borrow it.
    child: Mutex<Child>,
    pub base: String,
    output: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// Starts `coffer serve` on a free port and returns once `/readyz` answers.
    pub fn start(db: &Db) -> Server {
        Server::start_with(db, &[])
    }

    pub fn start_with(db: &Db, extra: &[&str]) -> Server {
        let mut child = coffer(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting coffer serve: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        // Read the banner for the address, then keep draining both pipes so the
        // server never blocks on a full one; everything is kept for failure messages.
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = addr_tx.send(rest.trim().to_owned());
                }
                append(&out, &format!("{line}\n"));
            }
        });
        let mut stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let err = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                append(&err, &String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut server = Server { child: Mutex::new(child), base: String::new(), output };
        match addr_rx.recv_timeout(Duration::from_secs(90)) {
            Ok(addr) => server.base = format!("http://{addr}"),
            Err(_) => {
                let status = server.child().try_wait();
                panic!("coffer serve printed no address ({status:?}):\n{}", server.output());
            }
        }
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(5)).build();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = agent.get(&format!("{}/readyz", self.base)).call() {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "{} never became ready:\n{}", self.base, self.output());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// SIGKILL (no graceful shutdown, no flush), then reap. Killing twice is harmless.
    pub fn kill(&self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn append(buffer: &Mutex<String>, text: &str) {
    buffer.lock().unwrap_or_else(|p| p.into_inner()).push_str(text);
}

/// One HTTP answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The problem's stable error code, or "".
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// An operator's HTTP client; one per thread.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// Generous timeouts: a loaded CI machine must not turn slowness into failures.
    pub fn new() -> Client {
        Client { agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).redirects(0).build() }
    }

    /// Sends a request; a transport failure (connection refused or reset, which is
    /// what a killed server gives) is an `Err`.
    pub fn send(&self, method: &str, url: &str, body: Option<&Value>, key: Option<&str>) -> Result<Reply, String> {
        let mut req = self.agent.request(method, url).set("Authorization", &format!("Bearer {OPERATOR_TOKEN}"));
        if let Some(k) = key {
            req = req.set("Idempotency-Key", k);
        }
        let result = match body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(format!("{method} {url}: {e}")),
        };
        let status = response.status();
        let text = response.into_string().map_err(|e| format!("{method} {url}: reading the body: {e}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, body, text })
    }

    /// Sends a raw body of the given content type (bank statements).
    pub fn send_raw(&self, url: &str, content_type: &str, body: &str) -> Reply {
        self.try_send_raw(url, content_type, body).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `send_raw`; a transport failure is an `Err`.
    pub fn try_send_raw(&self, url: &str, content_type: &str, body: &str) -> Result<Reply, String> {
        let req = self
            .agent
            .post(url)
            .set("Authorization", &format!("Bearer {OPERATOR_TOKEN}"))
            .set("Content-Type", content_type);
        match req.send_string(body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => Ok(reply(url, Ok(r))),
            Err(e) => Err(format!("POST {url}: {e}")),
        }
    }

    /// POSTs an unauthenticated form (as Alipay's notifier does).
    pub fn send_form(&self, url: &str, fields: &[(String, String)]) -> Reply {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        reply(url, self.agent.post(url).send_form(&pairs))
    }

    /// An unauthenticated GET (the sandboxes' control pages).
    pub fn get_public(&self, url: &str) -> Reply {
        reply(url, self.agent.get(url).call())
    }

    /// Like `send`, but a transport failure panics.
    pub fn call(&self, method: &str, url: &str, body: Option<&Value>, key: Option<&str>) -> Reply {
        self.send(method, url, body, key).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn get(&self, url: &str) -> Value {
        let r = self.call("GET", url, None, None);
        assert_eq!(r.status, 200, "GET {url}: {}", r.text);
        r.body
    }

    /// POSTs and expects a 2xx.
    pub fn post_ok(&self, url: &str, body: Value) -> Value {
        let r = self.call("POST", url, Some(&body), None);
        assert!(r.ok(), "POST {url} {body}: {} {}", r.status, r.text);
        r.body
    }
}

fn reply(url: &str, result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: transport error: {e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_else(|e| panic!("{url}: reading the body: {e}"));
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}

/// One billing account's balances as the API shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balances {
    pub cash: i64,
    pub voucher: i64,
    pub card: i64,
    pub arrears_owed: i64,
}

impl Balances {
    /// What the customer holds net of what they owe.
    pub fn net(&self) -> i64 {
        self.cash + self.voucher + self.card - self.arrears_owed
    }
}

pub fn balances(client: &Client, base: &str, account: i64) -> Balances {
    let o = client.get(&format!("{base}/v1/accounts/{account}"));
    let minor = |k: &str| o[k].as_i64().unwrap_or_else(|| panic!("{k} in {o}"));
    Balances {
        cash: minor("cash_minor"),
        voucher: minor("voucher_balance_minor"),
        card: minor("card_balance_minor"),
        arrears_owed: minor("arrears_owed_minor"),
    }
}

/// Creates a billing account with one billing-center workspace `ws-<id>` and
/// returns its id.
pub fn account_with_workspace(client: &Client, base: &str, name: &str) -> i64 {
    let account = client.post_ok(&format!("{base}/v1/accounts"), json!({"name": name, "currency": "CNY"}));
    let id = account["account_id"].as_i64().unwrap_or_else(|| panic!("account id: {account}"));
    client.post_ok(
        &format!("{base}/v1/accounts/{id}/workspaces"),
        json!({"workspace_id": workspace(id), "settlement": "billing_center"}),
    );
    id
}

pub fn workspace(account: i64) -> String {
    format!("ws-{account}")
}

/// A batch of standard-voucher activation codes of one face value.
pub fn code_batch(client: &Client, base: &str, face_value_minor: i64, count: u32) -> Vec<String> {
    let batch = client.post_ok(
        &format!("{base}/v1/voucher-batches"),
        json!({"kind": "standard", "face_value_minor": face_value_minor, "currency": "CNY",
               "validity": {"valid_days": 365}, "count": count}),
    );
    let codes: Vec<String> =
        batch["codes"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_owned)).collect();
    assert_eq!(codes.len(), count as usize, "{batch}");
    codes
}

/// Every row of a paged statement (`rows` and `next_cursor`).
pub fn statement_rows(client: &Client, url: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = client.get(&format!("{url}?limit=100{after}"));
        rows.extend(page["rows"].as_array().into_iter().flatten().cloned());
        match page["next_cursor"].as_i64() {
            Some(next) => cursor = Some(next),
            None => return rows,
        }
    }
}

/// A seed from the environment variable, or from the clock; printed so a failing
/// run can be repeated.
pub fn seed(var: &str) -> u64 {
    let seed = std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        nanos.as_nanos() as u64
    });
    eprintln!("seed: {var}={seed}");
    seed
}

/// A number knob from the environment, or its default.
pub fn knob(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// SplitMix64: small, seeded, good enough to pick operations and moments.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (hi exclusive, hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }

    /// Independent streams for threads.
    pub fn fork(&mut self) -> Rng {
        Rng(self.next_u64())
    }
}
