//! The job scheduler, black box: `coffer serve` runs the jobs (a webhook reaches a
//! receiver on loopback, signed; `/metrics` counts the runs; `coffer jobs list` shows
//! the server as the lease holder and a run by hand is refused meanwhile), and
//! `coffer jobs run` runs a job by hand as of `--now`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const OPERATOR_TOKEN: &str = "jobs-test-operator-token-0000001";

/// The binary, run in `dir` with none of the caller's Coffer settings leaking in.
fn coffer(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
    for (name, _) in std::env::vars() {
        if name.starts_with("COFFER_") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir).env("COFFER_CONFIG", dir.join("coffer.toml"));
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    coffer(dir).args(args).output().unwrap_or_else(|e| panic!("running coffer {args:?}: {e}"))
}

fn output_text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Jobs every second, so the test need not wait long; mail into `mail/`.
fn write_config(dir: &Path) {
    let mut config = format!("[database]\npath = {:?}\n[email]\ndir = {:?}\n", dir.join("jobs.db"), dir.join("mail"));
    for job in ["webhooks", "email", "notifications"] {
        config.push_str(&format!("[jobs.{job}]\nperiod_seconds = 1\n"));
    }
    std::fs::write(dir.join("coffer.toml"), config).unwrap_or_else(|e| panic!("{e}"));
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = coffer(dir)
            .env("COFFER_BOOTSTRAP_TOKEN", OPERATOR_TOKEN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting coffer serve: {e}"));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = tx.send(rest.trim().to_owned());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("coffer serve did not start"));
        Server { child, base: format!("http://{addr}") }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value, String) {
        let req = ureq::request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {OPERATOR_TOKEN}"))
            .timeout(Duration::from_secs(30));
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let text = response.into_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }
}

/// A receiver that answers 204 and hands every request (headers, body) to the test.
/// A request as received: lower-cased header names with values, and the raw body.
type Request = (Vec<(String, String)>, Vec<u8>);

fn receiver() -> (String, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{}/hook", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let (tx, rx) = mpsc::channel();
    let tx = Arc::new(Mutex::new(tx));
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(stream);
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let len = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok());
            let mut body = vec![0u8; len.unwrap_or(0)];
            let _ = reader.read_exact(&mut body);
            let _ = reader.get_mut().write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            let _ = tx.lock().unwrap_or_else(|p| p.into_inner()).send((headers, body));
        }
    });
    (url, rx)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

#[test]
fn coffer_serve_runs_the_jobs_delivers_a_signed_webhook_and_metrics_count_the_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_config(dir.path());
    let server = Server::start(dir.path());
    let (status, account, text) =
        server.call("POST", "/v1/accounts", Some(json!({"name": "Hooks", "currency": "CNY"})));
    assert_eq!(status, 201, "{text}");
    let id = account["account_id"].as_i64().unwrap_or_default();
    let (url, deliveries) = receiver();
    let (status, hook, text) = server.call(
        "POST",
        &format!("/v1/accounts/{id}/webhooks"),
        Some(json!({"url": url, "kinds": ["recharge_succeeded"]})),
    );
    assert_eq!(status, 201, "{text}");
    let secret = hook["secret"].as_str().unwrap_or_default().to_owned();
    let credit = json!({"amount_minor": 5_000, "currency": "CNY", "source": "bank_transfer", "external_id": "jobs-1"});
    let (status, _, text) = server.call("POST", &format!("/v1/accounts/{id}/cash-credits"), Some(credit));
    assert_eq!(status, 201, "{text}");

    let (headers, body) =
        deliveries.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no webhook came"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let (ts, sig) = (header(&headers, "coffer-timestamp"), header(&headers, "coffer-signature"));
    assert_eq!(coffer_notify::signature::verify(&secret, ts, sig, &body, now), Ok(()), "{headers:?}");
    let event: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((event["kind"].as_str(), event["account_id"].as_i64()), (Some("recharge_succeeded"), Some(id)));

    // The delivery is logged before the next run; wait for the log to say so.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, log, text) = server.call("GET", &format!("/v1/accounts/{id}/notification-deliveries"), None);
        if log[0]["state"].as_str() == Some("delivered") {
            break;
        }
        assert!(Instant::now() < deadline, "the delivery was not logged as delivered: {text}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A run is counted when it ends, a moment after its delivery is logged.
    loop {
        let metrics =
            ureq::get(&format!("{}/metrics", server.base)).call().map(|r| r.into_string().unwrap_or_default());
        let metrics = metrics.unwrap_or_else(|e| panic!("scraping /metrics: {e}"));
        let runs = metrics
            .lines()
            .find_map(|l| l.strip_prefix("coffer_job_runs_total{job=\"webhooks\",outcome=\"succeeded\"} "))
            .and_then(|v| v.parse::<f64>().ok());
        if runs.is_some_and(|n| n >= 1.0) {
            break;
        }
        assert!(Instant::now() < deadline, "no webhooks job run in /metrics:\n{metrics}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let list = run(dir.path(), &["jobs", "list", "--json"]);
    assert!(list.status.success(), "{}", output_text(&list));
    let jobs: Value = serde_json::from_slice(&list.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&list)));
    let webhooks = jobs.as_array().and_then(|a| a.iter().find(|j| j["job"] == "webhooks")).cloned();
    let webhooks = webhooks.unwrap_or_else(|| panic!("{jobs}"));
    assert!(webhooks["lease"]["holder"].as_str().is_some_and(|h| h.starts_with("serve@")), "{webhooks}");
    assert_eq!(webhooks["lease"]["held"].as_bool(), Some(true), "{webhooks}");
    // The last run may still be in progress; earlier ones succeeded.
    let outcome = webhooks["last_run"]["outcome"].as_str();
    assert!(matches!(outcome, Some("succeeded" | "running")), "{webhooks}");
    let runs = run(dir.path(), &["jobs", "runs", "--job", "webhooks", "--json"]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&runs)));
    assert!(runs.as_array().is_some_and(|r| r.iter().any(|r| r["outcome"] == "succeeded")), "{runs}");
    let by_hand = run(dir.path(), &["jobs", "run", "webhooks"]);
    assert_eq!(by_hand.status.code(), Some(5), "refused while the server holds the lease: {}", output_text(&by_hand));
    assert!(output_text(&by_hand).contains("job_lease_held"), "{}", output_text(&by_hand));
}

#[test]
fn coffer_jobs_run_runs_one_job_by_hand_as_of_now() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_config(dir.path());
    let now = ["--now", "2026-11-26T10:00:00+08:00"];
    let created = run(dir.path(), &[&now[..], &["account", "create", "--name", "Acme", "--currency", "CNY"]].concat());
    assert!(created.status.success(), "{}", output_text(&created));
    let early = run(dir.path(), &["--now", "2026-12-03T10:00:00+08:00", "--json", "jobs", "run", "monthly_bills"]);
    let early: Value = serde_json::from_slice(&early.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&early)));
    assert_eq!((early["outcome"].as_str(), early["items"].as_i64()), (Some("succeeded"), Some(0)), "{early}");
    let due = run(dir.path(), &["--now", "2026-12-04T10:00:00+08:00", "--json", "jobs", "run", "monthly_bills"]);
    let due: Value = serde_json::from_slice(&due.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&due)));
    assert_eq!((due["outcome"].as_str(), due["items"].as_i64()), (Some("succeeded"), Some(1)), "{due}");
    let unknown = run(dir.path(), &["jobs", "run", "nope"]);
    assert_eq!(unknown.status.code(), Some(3), "{}", output_text(&unknown));
    assert!(output_text(&unknown).contains("unknown job"), "{}", output_text(&unknown));
    let runs = run(dir.path(), &["jobs", "runs", "--job", "monthly_bills", "--json"]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(&runs)));
    assert_eq!(runs.as_array().map(Vec::len), Some(2), "{runs}");
}
