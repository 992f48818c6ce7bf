//! Two real `coffer serve` processes on one PostgreSQL database settle charges on
//! the same billing account at once: no lost update, no double spend, no deadlock or
//! serialization failure reaching a caller, and `coffer verify` clean afterwards.
//!
//! The database is a fresh one on the throwaway cluster of
//! `coffer_store_postgres::testing` (or on `COFFER_TEST_PG_URL`). Everything runs on
//! loopback, with a bounded number of requests.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const OPERATOR_TOKEN: &str = "two-servers-operator-token-0001";
const CODE_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const THREADS: usize = 8;
/// Bills of its own per client thread, spread over both servers.
const OWN_BILLS: usize = 40;
/// Bills every thread posts to both servers: each is settled once and replayed.
const SHARED_BILLS: usize = 8;
const CASH: i64 = 100_000;
const VOUCHER: i64 = 25_000;

/// A running `coffer serve`; killed (and reaped) on drop, so a failing test leaves
/// no server behind.
struct Server {
    child: Child,
    base: String,
    output: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_coffer"))
            .env_remove("COFFER_DB")
            .env("COFFER_DATABASE_URL", url)
            .env("COFFER_CODE_KEY", CODE_KEY)
            .env("COFFER_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
            .env("RUST_LOG", "warn")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting coffer serve: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        // Read the banner for the address, then keep draining so the server never
        // blocks on a full pipe; everything is kept for failure messages.
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = addr_tx.send(rest.trim().to_owned());
                }
                out.lock().unwrap_or_else(|p| p.into_inner()).push_str(&format!("{line}\n"));
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
                err.lock().unwrap_or_else(|p| p.into_inner()).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut server = Server { child, base: String::new(), output };
        match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => server.base = format!("http://{addr}"),
            Err(_) => {
                let status = server.child.try_wait();
                panic!("coffer serve printed no address ({status:?}):\n{}", server.output());
            }
        }
        server
    }

    fn output(&self) -> String {
        self.output.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

struct Reply {
    status: u16,
    body: Value,
    text: String,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build()
}

fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<&Value>) -> Reply {
    let req = agent.request(method, url).set("Authorization", &format!("Bearer {OPERATOR_TOKEN}"));
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: transport error: {e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}

fn created(agent: &ureq::Agent, url: &str, body: Value) -> Value {
    let r = call(agent, "POST", url, Some(&body));
    assert_eq!(r.status, 201, "POST {url}: {}", r.text);
    r.body
}

fn bill(bill_id: &str, amount_minor: i64) -> Value {
    json!({"workspace_id": "ws-hammer", "bill_id": bill_id, "category": "payg",
           "amount_minor": amount_minor, "currency": "CNY", "bill_date": "2026-11-25"})
}

/// What one settle request came back with.
struct Outcome {
    bill_id: String,
    amount_minor: i64,
    status: u16,
    text: String,
    charge_id: Option<i64>,
    replayed: bool,
    deducted_minor: i64,
}

/// Each thread's list of (bill id, amount, server index): its own bills alternate
/// between the servers; the shared bills go to both.
fn work(thread: usize) -> Vec<(String, i64, usize)> {
    let mut jobs = Vec::new();
    for i in 0..OWN_BILLS {
        let amount = 37 + ((thread * 131 + i * 977) % 900) as i64;
        jobs.push((format!("own-{thread}-{i}"), amount, (thread + i) % 2));
        if i % (OWN_BILLS / SHARED_BILLS) == 0 {
            let k = i / (OWN_BILLS / SHARED_BILLS);
            // Threads take the servers in opposite orders, so each shared bill
            // arrives at both servers at about the same time.
            let first = thread % 2;
            jobs.push((format!("shared-{k}"), 500 + k as i64, first));
            jobs.push((format!("shared-{k}"), 500 + k as i64, 1 - first));
        }
    }
    jobs
}

#[test]
fn two_servers_hammering_one_account_lose_nothing_spend_nothing_twice_and_verify_clean() {
    let db = coffer_store_postgres::testing::fresh_db();
    // Both start at once: each sees no operator and tries to bootstrap one.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(db.url()));
        let b = s.spawn(|| Server::start(db.url()));
        (a.join().unwrap_or_else(|_| panic!("server a")), b.join().unwrap_or_else(|_| panic!("server b")))
    });
    let servers = [&a, &b];
    let bootstrapped = servers.iter().filter(|s| s.output().contains("is now the first operator's API token")).count();
    assert_eq!(bootstrapped, 1, "exactly one server made the token an operator's; neither failed to start");
    let http = agent();
    let account = created(&http, &format!("{}/v1/accounts", a.base), json!({"name": "Hammer", "currency": "CNY"}));
    let id = account["account_id"].as_i64().unwrap_or_else(|| panic!("account id: {account}"));
    let accounts = format!("{}/v1/accounts/{id}", b.base);
    created(
        &http,
        &format!("{accounts}/workspaces"),
        json!({"workspace_id": "ws-hammer", "settlement": "billing_center"}),
    );
    created(
        &http,
        &format!("{}/v1/accounts/{id}/cash-credits", a.base),
        json!({"amount_minor": CASH, "currency": "CNY", "source": "bank_transfer", "external_id": "hammer-1"}),
    );
    created(
        &http,
        &format!("{accounts}/vouchers"),
        json!({"kind": "standard", "face_value_minor": VOUCHER, "currency": "CNY", "validity": {"valid_days": 30}}),
    );

    let go = Barrier::new(THREADS);
    let started = Instant::now();
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let go = &go;
                s.spawn(move || {
                    let http = agent();
                    go.wait();
                    work(t)
                        .into_iter()
                        .map(|(bill_id, amount_minor, server)| {
                            let url = format!("{}/v1/charges", servers[server].base);
                            let r = call(&http, "POST", &url, Some(&bill(&bill_id, amount_minor)));
                            let charge = &r.body["charge"];
                            Outcome {
                                bill_id,
                                amount_minor,
                                status: r.status,
                                charge_id: charge["charge_id"].as_i64(),
                                replayed: r.body["replayed"].as_bool().unwrap_or(false),
                                deducted_minor: charge["deductions"]
                                    .as_array()
                                    .map(|ds| ds.iter().filter_map(|d| d["amount_minor"].as_i64()).sum())
                                    .unwrap_or(0),
                                text: r.text,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| panic!("client thread panicked"))).collect()
    });
    let hammer_time = started.elapsed();

    // Every request succeeded: no 5xx (a deadlock, a serialization failure or a busy
    // store must never reach a caller), and no 4xx either (every bill is valid).
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !(200..300).contains(&o.status))
        .map(|o| format!("{} -> {} {}", o.bill_id, o.status, o.text))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests failed:\n{}\nserver a:\n{}\nserver b:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n"),
        a.output(),
        b.output()
    );

    // One charge per bill id, whichever server and however often it was posted:
    // exactly one response settled it, the others replayed that same charge.
    let mut by_bill: BTreeMap<&str, (i64, BTreeSet<i64>, usize)> = BTreeMap::new();
    for o in &outcomes {
        assert_eq!(o.deducted_minor, o.amount_minor, "{}: deductions cover the bill: {}", o.bill_id, o.text);
        let charge = o.charge_id.unwrap_or_else(|| panic!("{}: no charge id in {}", o.bill_id, o.text));
        let entry = by_bill.entry(&o.bill_id).or_insert((o.amount_minor, BTreeSet::new(), 0));
        entry.1.insert(charge);
        entry.2 += usize::from(!o.replayed);
    }
    for (bill_id, (_, charges, fresh)) in &by_bill {
        assert_eq!(charges.len(), 1, "{bill_id} settled as several charges: {charges:?}");
        assert_eq!(*fresh, 1, "{bill_id} settled fresh {fresh} times");
    }
    assert_eq!(by_bill.len(), THREADS * OWN_BILLS + SHARED_BILLS);
    let total: i64 = by_bill.values().map(|(amount, _, _)| amount).sum();

    // The ledger holds each of those charges exactly once, and nothing else.
    let mut listed: Vec<(i64, String, i64)> = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let url = format!("{accounts}/statements/consumption?limit=100{after}");
        let page = call(&http, "GET", &url, None);
        assert_eq!(page.status, 200, "{}", page.text);
        for row in page.body["rows"].as_array().into_iter().flatten() {
            let field = |k: &str| row[k].clone();
            listed.push((
                field("charge_id").as_i64().unwrap_or_default(),
                field("bill_id").as_str().unwrap_or_default().to_owned(),
                field("amount_minor").as_i64().unwrap_or_default(),
            ));
        }
        match page.body["next_cursor"].as_i64() {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    listed.sort();
    let mut expected: Vec<(i64, String, i64)> = by_bill
        .iter()
        .map(|(bill_id, (amount, charges, _))| (*charges.iter().next().unwrap_or(&0), bill_id.to_string(), *amount))
        .collect();
    expected.sort();
    assert_eq!(listed, expected, "the consumption statement lists each settled charge exactly once");

    // Balances: what the voucher, cash and arrears moved adds up to what was charged.
    let overview = call(&http, "GET", &accounts, None);
    assert_eq!(overview.status, 200, "{}", overview.text);
    let minor = |k: &str| overview.body[k].as_i64().unwrap_or_else(|| panic!("{k} in {}", overview.text));
    let (cash, voucher, arrears) = (minor("cash_minor"), minor("voucher_balance_minor"), minor("arrears_owed_minor"));
    assert!(total > CASH + VOUCHER, "the test must run the account into arrears (total {total})");
    assert_eq!((cash, voucher), (0, 0), "voucher and cash are spent before arrears");
    assert_eq!((VOUCHER - voucher) + (CASH - cash) + arrears, total, "no lost update, no double spend");

    drop(a);
    drop(b);
    let out = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .env_remove("COFFER_DB")
        .env("COFFER_CODE_KEY", CODE_KEY)
        .args(["--database-url", db.url(), "verify", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("running coffer verify: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "coffer verify: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("verify JSON: {e}: {stdout}"));
    assert_eq!(report["consistent"], json!(true), "{report}");
    assert_eq!(report["charges"].as_u64(), Some(by_bill.len() as u64), "{report}");
    eprintln!(
        "two servers: {} requests, {} charges, {total} minor units charged in {hammer_time:?}",
        outcomes.len(),
        by_bill.len()
    );
}
