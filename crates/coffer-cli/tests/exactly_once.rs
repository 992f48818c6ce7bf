//! Issue 7 part 3: exactly once at every boundary, end to end against the real
//! `coffer` binary.
//!
//! - Duplicate API requests with one idempotency key, sent at the same moment by
//!   many clients (over two servers on PostgreSQL) and again afterwards.
//! - Alipay notifications signed with the sandbox's keys, replayed concurrently,
//!   reordered, tampered and forged, and replayed again after a SIGKILL.
//! - One bank statement uploaded by several clients at once, again after a
//!   SIGKILL, and imported once more through the CLI.
//! - The cloud outbox: charges committed by a server that is then killed, delivery
//!   passes killed with SIGKILL at random moments while the provider loses answers,
//!   and the provider ends up holding every usage record once.
//!
//! Other boundaries are covered elsewhere (see docs/reliability-harness.md).

mod harness;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use coffer_alipay::{format_beijing, format_yuan, sign, sign_content, PrivateKey, NOTIFY_EXCLUDE};
use coffer_alipay_sandbox::demo;
use harness::ops::charge_id;
use harness::{
    account_with_workspace, balances, cli, code_batch, seed, statement_rows, verify_clean, workspace, Client, Db,
    Reply, Rng, Server,
};
use serde_json::{json, Value};

const DUPLICATES: usize = 16;

/// One keyed request and the net change it must make once.
struct Keyed {
    label: &'static str,
    path: String,
    body: Value,
    net_effect: i64,
}

fn keyed_requests(http: &Client, base: &str, account: i64) -> Vec<Keyed> {
    let code = code_batch(http, base, 900, 1).remove(0);
    let settled = http.post_ok(
        &format!("{base}/v1/charges"),
        json!({"workspace_id": workspace(account), "bill_id": "to-reverse", "category": "payg",
               "amount_minor": 4_321, "currency": "CNY", "bill_date": "2026-11-25"}),
    );
    let reversible = settled["charge"]["charge_id"].as_i64().unwrap_or_else(|| panic!("{settled}"));
    let at = |p: &str| format!("/v1/accounts/{account}{p}");
    vec![
        Keyed {
            label: "cash credit",
            path: at("/cash-credits"),
            body: json!({"amount_minor": 5_000, "currency": "CNY", "source": "bank_transfer", "external_id": "dup-1"}),
            net_effect: 5_000,
        },
        Keyed {
            label: "charge",
            path: "/v1/charges".into(),
            body: json!({"workspace_id": workspace(account), "bill_id": "dup-bill", "category": "payg",
                         "amount_minor": 1_234, "currency": "CNY", "bill_date": "2026-11-25"}),
            net_effect: -1_234,
        },
        Keyed {
            label: "card purchase",
            path: at("/prepaid-cards"),
            body: json!({"face_value_minor": 10_000, "currency": "CNY"}),
            net_effect: 0,
        },
        Keyed {
            label: "voucher activation",
            path: at("/vouchers/activate"),
            body: json!({"code": code}),
            net_effect: 900,
        },
        Keyed {
            label: "direct voucher",
            path: at("/vouchers"),
            body: json!({"kind": "standard", "face_value_minor": 800, "currency": "CNY", "validity": {"valid_days": 30}}),
            net_effect: 800,
        },
        Keyed {
            label: "adjustment",
            path: at("/adjustments"),
            body: json!({"amount_minor": 700, "currency": "CNY", "reason": "goodwill"}),
            net_effect: 700,
        },
        Keyed {
            label: "reversal",
            path: at(&format!("/charges/{reversible}/reverse")),
            body: json!({"reason": "billing error"}),
            net_effect: 4_321,
        },
    ]
}

/// A reply's body without `replayed` (whether this very call settled) and `plan`
/// (the planner's explanation, which only the call that settled has): the rest is
/// the outcome every duplicate must be told.
fn outcome(reply: &Reply) -> Value {
    let mut body = reply.body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("replayed");
        map.remove("plan");
    }
    body
}

/// Sends one keyed request from `DUPLICATES` clients at once (spread over the
/// servers), then once more; returns every reply, the late one last.
fn duplicate(servers: &[Server], k: &Keyed) -> Vec<Reply> {
    let go = Barrier::new(DUPLICATES);
    let key = format!("dup-{}", k.label.replace(' ', "-"));
    let mut replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..DUPLICATES)
            .map(|i| {
                let (go, url, key) = (&go, servers[i % servers.len()].url(&k.path), &key);
                s.spawn(move || {
                    let http = Client::new();
                    go.wait();
                    http.call("POST", &url, Some(&k.body), Some(key))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("client panicked"))).collect()
    });
    replies.push(Client::new().call("POST", &servers[0].url(&k.path), Some(&k.body), Some(&key)));
    replies
}

/// Each keyed request, duplicated concurrently and afterwards, moves money once;
/// every duplicate gets the original outcome.
fn concurrent_duplicates_move_money_once(db: &Db, servers: Vec<Server>) {
    let http = Client::new();
    let base = servers[0].base.clone();
    let account = account_with_workspace(&http, &base, "Duplicates");
    http.post_ok(
        &format!("{base}/v1/accounts/{account}/cash-credits"),
        json!({"amount_minor": 100_000, "currency": "CNY", "source": "bank_transfer", "external_id": "opening"}),
    );
    let requests = keyed_requests(&http, &base, account);
    let mut problems = Vec::new();
    for k in &requests {
        let before = balances(&http, &base, account).net();
        let replies = duplicate(&servers, k);
        let after = balances(&http, &base, account).net();
        assert_eq!(after - before, k.net_effect, "{}: applied once, whatever the duplicates", k.label);
        let first_ok =
            replies.iter().find(|r| r.ok()).unwrap_or_else(|| panic!("{}: no success: {replies:?}", k.label));
        let late = replies.last().unwrap_or_else(|| panic!("no replies"));
        assert_eq!(
            (late.status, outcome(late)),
            (first_ok.status, outcome(first_ok)),
            "{}: the late duplicate",
            k.label
        );
        for r in replies.iter().filter(|r| (r.status, outcome(r)) != (first_ok.status, outcome(first_ok))) {
            problems.push(format!("{}: {} {}", k.label, r.status, r.text));
        }
        let statuses: BTreeMap<u16, usize> = replies.iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.status).or_default() += 1;
            m
        });
        eprintln!("{}: {} concurrent + 1 late duplicates answered {statuses:?}", k.label, DUPLICATES);
    }
    let cards = http.get(&format!("{base}/v1/accounts/{account}/prepaid-cards"));
    assert_eq!(cards.as_array().map(Vec::len), Some(1), "{cards}");
    let bills = statement_rows(&http, &format!("{base}/v1/accounts/{account}/statements/consumption"));
    assert_eq!(bills.iter().filter(|b| b["bill_id"] == "dup-bill").count(), 1);
    drop(servers);
    verify_clean(db);
    assert!(problems.is_empty(), "duplicates answered unlike the original:\n{}", problems.join("\n"));
}

/// Regression: activation did not take the idempotency key, so concurrent
/// duplicates were told `code_already_used` and, counted as failed attempts, locked
/// the account out of activating codes for an hour (`too_many_attempts`).
#[test]
fn a_voucher_activation_duplicated_concurrently_with_one_key_gets_its_original_answer_and_no_lockout() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    let server = Server::start(&db);
    let http = Client::new();
    let account = account_with_workspace(&http, &server.base, "Activator");
    let mut codes = code_batch(&http, &server.base, 900, 2);
    let path = format!("/v1/accounts/{account}/vouchers/activate");
    let k = Keyed {
        label: "voucher activation",
        path: path.clone(),
        body: json!({"code": codes.remove(0)}),
        net_effect: 900,
    };
    let servers = [server];
    let replies = duplicate(&servers, &k);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(replies.iter().all(|r| r.status == 201 && r.body == replies[0].body), "{statuses:?}");
    let next = http.call("POST", &servers[0].url(&path), Some(&json!({"code": codes.remove(0)})), None);
    assert_eq!(next.status, 201, "the duplicates were no failed attempts: {}", next.text);
    assert_eq!(balances(&http, &servers[0].base, account).voucher, 1_800);
}

#[test]
fn concurrent_duplicate_requests_with_one_idempotency_key_move_money_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    concurrent_duplicates_move_money_once(&db, vec![Server::start(&db)]);
}

#[test]
fn concurrent_duplicate_requests_with_one_idempotency_key_over_two_postgres_servers_move_money_once() {
    let pg = coffer_store_postgres::testing::fresh_db();
    let db = Db::Postgres(pg.url().to_owned());
    let first = Server::start(&db);
    let second = Server::start(&db);
    concurrent_duplicates_move_money_once(&db, vec![first, second]);
}

// ---------------------------------------------------------------------------
// Alipay notifications

/// The fields of a trade notification as Alipay sends it (the sandbox's shape).
fn notification(
    out_trade_no: &str,
    trade_no: &str,
    amount_minor: i64,
    status: &str,
    notify_id: &str,
) -> Vec<(String, String)> {
    let amount = format_yuan(amount_minor);
    let now = format_beijing(now_ms());
    [
        ("gmt_create", now.as_str()),
        ("charset", "utf-8"),
        ("gmt_payment", now.as_str()),
        ("notify_time", now.as_str()),
        ("subject", "Coffer recharge"),
        ("buyer_id", "2088102177846880"),
        ("invoice_amount", amount.as_str()),
        ("version", "1.0"),
        ("notify_id", notify_id),
        ("notify_type", "trade_status_sync"),
        ("out_trade_no", out_trade_no),
        ("total_amount", amount.as_str()),
        ("trade_status", status),
        ("trade_no", trade_no),
        ("auth_app_id", demo::APP_ID),
        ("receipt_amount", amount.as_str()),
        ("point_amount", "0.00"),
        ("buyer_pay_amount", amount.as_str()),
        ("app_id", demo::APP_ID),
        ("sign_type", "RSA2"),
        ("seller_id", demo::SELLER_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn signed_with(key_pem: &str, mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let key = PrivateKey::parse(key_pem).unwrap_or_else(|e| panic!("{e:?}"));
    let signature = sign(&key, &sign_content(&fields, NOTIFY_EXCLUDE));
    fields.push(("sign".into(), signature));
    fields
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    since.as_millis() as i64
}

fn set_field(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.to_owned());
}

/// A paid page.pay recharge whose notifications the sandbox loses, so that every
/// notification the server sees is one the test sends. Returns (order, trade).
fn paid_order(http: &Client, server: &Server, account: i64, amount_minor: i64) -> (String, String) {
    let faults = http.call(
        "POST",
        &server.url("/alipay-sandbox/sim/control/faults"),
        Some(&json!({"lose_notifications": true})),
        None,
    );
    assert_eq!(faults.status, 200, "{}", faults.text);
    let order = http.post_ok(
        &server.url(&format!("/v1/accounts/{account}/recharges")),
        json!({"amount_minor": amount_minor, "currency": "CNY"}),
    );
    let no = order["out_trade_no"].as_str().unwrap_or_default().to_owned();
    let cashier = http.get_public(order["pay_url"].as_str().unwrap_or_default());
    assert_eq!(cashier.status, 200, "{}", cashier.text);
    let paid = http.send_form(&server.url("/alipay-sandbox/sim/cashier/pay"), &[("out_trade_no".into(), no.clone())]);
    assert!(paid.status < 400, "{} {}", paid.status, paid.text);
    let trades = http.get_public(&server.url("/alipay-sandbox/sim/trades")).body;
    let trade = trades.as_array().into_iter().flatten().find(|t| t["out_trade_no"] == no.as_str());
    let trade_no = trade.and_then(|t| t["trade_no"].as_str()).unwrap_or_else(|| panic!("no trade for {no}: {trades}"));
    (no, trade_no.to_owned())
}

fn verdicts(http: &Client, server: &Server) -> Vec<String> {
    let log = http.get(&server.url("/v1/alipay/notifications"));
    log.as_array().into_iter().flatten().filter_map(|n| n["verdict"].as_str().map(str::to_owned)).collect()
}

#[test]
fn alipay_notifications_replayed_reordered_tampered_and_forged_over_http_credit_a_paid_order_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    let server = Server::start_with(&db, &["--demo"]);
    let http = Client::new();
    let account = account_with_workspace(&http, &server.base, "Alipay payer");
    let (no, trade_no) = paid_order(&http, &server, account, 12_345);
    let notify = |server: &Server, fields: &[(String, String)]| {
        Client::new().send_form(&server.url("/v1/alipay/notify"), fields).text
    };
    let genuine = |status: &str, id: &str| {
        signed_with(demo::SANDBOX_PRIVATE_KEY_PEM, notification(&no, &trade_no, 12_345, status, id))
    };

    // Tampered after signing, signed with another key, or for another amount: refused.
    let mut tampered = genuine("TRADE_SUCCESS", "n-tampered");
    set_field(&mut tampered, "total_amount", &format_yuan(1_234_500));
    let forged =
        signed_with(demo::APP_PRIVATE_KEY_PEM, notification(&no, &trade_no, 12_345, "TRADE_SUCCESS", "n-forged"));
    let wrong_amount = genuine_for_amount(&no, &trade_no, 99_999);
    for (what, fields) in [("tampered", &tampered), ("forged", &forged), ("another amount", &wrong_amount)] {
        assert_eq!(notify(&server, fields), "fail", "{what}");
        assert_eq!(balances(&http, &server.base, account).cash, 0, "{what} credits nothing");
    }

    // Reordered: TRADE_FINISHED arrives first and credits; TRADE_SUCCESS, replayed
    // by eight clients at once, credits nothing more.
    assert_eq!(notify(&server, &genuine("TRADE_FINISHED", "n-finished")), "success");
    let success = genuine("TRADE_SUCCESS", "n-success");
    let go = Barrier::new(8);
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (go, server, success) = (&go, &server, &success);
            s.spawn(move || {
                go.wait();
                assert_eq!(notify(server, success), "success", "a duplicate is acknowledged so Alipay stops");
            });
        }
    });
    assert_eq!(balances(&http, &server.base, account).cash, 12_345);

    // A crash, then Alipay's retry of the same notification: still once.
    server.kill();
    verify_clean(&db);
    let server = Server::start_with(&db, &["--demo"]);
    assert_eq!(notify(&server, &success), "success");
    assert_eq!(balances(&http, &server.base, account).cash, 12_345, "credited once across the crash");
    let order = http.get(&server.url(&format!("/v1/accounts/{account}/recharges/{no}")));
    assert_eq!(order["state"], "paid", "{order}");
    let log = verdicts(&http, &server);
    assert_eq!(log.iter().filter(|v| *v == "credited").count(), 1, "{log:?}");
    assert_eq!(log.iter().filter(|v| *v == "rejected").count(), 3, "{log:?}");
    eprintln!("alipay: {} notifications logged: {log:?}", log.len());
    drop(server);
    verify_clean(&db);
}

/// A correctly signed notification that reports another amount than the order's.
fn genuine_for_amount(no: &str, trade_no: &str, amount_minor: i64) -> Vec<(String, String)> {
    signed_with(demo::SANDBOX_PRIVATE_KEY_PEM, notification(no, trade_no, amount_minor, "TRADE_SUCCESS", "n-amount"))
}

// ---------------------------------------------------------------------------
// Bank statements

fn statement_csv(reference: &str, rows: usize) -> String {
    statement_csv_with(reference, "ST", rows)
}

/// A CSV statement of `rows` credits quoting the reference, row i for 10 + i yuan.
fn statement_csv_with(reference: &str, prefix: &str, rows: usize) -> String {
    let mut csv = String::from("bank_transaction_id,value_date,amount,currency,payer,reference,direction\n");
    for i in 0..rows {
        csv.push_str(&format!("{prefix}-{i},2026-11-24,{}.00,CNY,ACME LTD,{reference},credit\n", 10 + i));
    }
    csv
}

#[test]
fn a_bank_statement_uploaded_concurrently_again_after_a_crash_and_through_the_cli_credits_once() {
    const ROWS: usize = 40;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    let server = Server::start(&db);
    let http = Client::new();
    let account = account_with_workspace(&http, &server.base, "Payer");
    let reference = http.get(&server.url(&format!("/v1/accounts/{account}/recharge-instructions")))["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let csv = statement_csv(&reference, ROWS);
    let total: i64 = (0..ROWS as i64).map(|i| (10 + i) * 100).sum();
    let url = server.url("/v1/bank-statements?format=csv");
    let go = Barrier::new(8);
    let credited: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (go, url, csv) = (&go, &url, &csv);
                s.spawn(move || {
                    let http = Client::new();
                    go.wait();
                    let r = http.send_raw(url, "text/csv", csv);
                    assert_eq!(r.status, 200, "{}", r.text);
                    r.body["credited"].as_i64().unwrap_or(-1)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("upload panicked"))).collect()
    });
    assert_eq!(credited.iter().sum::<i64>(), ROWS as i64, "each row credited by exactly one upload: {credited:?}");
    assert_eq!(balances(&http, &server.base, account).cash, total);

    // A second, larger statement is uploaded and the server killed at a random
    // moment of it: whatever rows it committed, uploading it again after the restart
    // credits exactly the rest, and a CLI import of both credits nothing more.
    let mut rng = Rng::new(seed("COFFER_STATEMENT_SEED"));
    let second = statement_csv_with(&reference, "SK", ROWS * 8);
    let second_total: i64 = (0..ROWS as i64 * 8).map(|i| (10 + i) * 100).sum();
    let interrupted = std::thread::scope(|s| {
        let upload = s.spawn(|| Client::new().try_send_raw(&url, "text/csv", &second).map(|r| r.status));
        std::thread::sleep(Duration::from_millis(rng.range(5, 80)));
        server.kill();
        upload.join().unwrap_or_else(|_| panic!("upload panicked"))
    });
    verify_clean(&db);
    let server = Server::start(&db);
    let before_retry = balances(&http, &server.base, account).cash - total;
    let again = http.send_raw(&server.url("/v1/bank-statements?format=csv"), "text/csv", &second);
    assert_eq!(again.status, 200, "{}", again.text);
    let counts = (again.body["credited"].as_i64().unwrap_or(-1), again.body["duplicates"].as_i64().unwrap_or(-1));
    assert_eq!(counts.0 + counts.1, ROWS as i64 * 8, "{}", again.text);
    assert_eq!(balances(&http, &server.base, account).cash, total + second_total, "each row credited once");
    eprintln!(
        "bank statement: the upload killed mid-way ended with {interrupted:?} after crediting {before_retry} minor units; \
         the retry credited {} rows and found {} duplicates",
        counts.0, counts.1
    );
    let first = dir.path().join("first.csv");
    let other = dir.path().join("second.csv");
    std::fs::write(&first, &csv).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&other, &second).unwrap_or_else(|e| panic!("{e}"));
    for file in [first, other] {
        let out = cli(&db, &["bank", "import", "--format", "csv", &file.to_string_lossy()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert_eq!(report["credited"].as_i64(), Some(0), "{report}");
    }
    assert_eq!(balances(&http, &server.base, account).cash, total + second_total, "credited once in all");
    drop(server);
    verify_clean(&db);
}

// ---------------------------------------------------------------------------
// The cloud outbox

/// `coffer cloud deliver` against the simulator, killed after `after` (or left to
/// finish when `None`); returns whether it finished by itself.
fn deliver(db: &Db, sim: &str, after: Option<Duration>, now_ms: Option<i64>) -> bool {
    let mut cmd = harness::coffer(db);
    if let Some(now) = now_ms {
        cmd.args(["--now", &now.to_string()]);
    }
    let mut child = cmd
        .args(["--json", "cloud", "deliver", "--marketplace-url", sim])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + after.unwrap_or(Duration::from_secs(120));
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_cloud_outbox_redelivers_after_sigkills_and_the_provider_holds_each_usage_record_once() {
    const CHARGES: usize = 60;
    let mut rng = Rng::new(seed("COFFER_OUTBOX_SEED"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The provider: a demo server on a database of its own hosts the simulator,
    // which lives through every crash of the billing side.
    let provider = Server::start_with(&Db::Sqlite(dir.path().join("provider.db")), &["--demo"]);
    let sim = provider.url("/marketplace-sim");
    let db = Db::sqlite(dir.path());
    let mut server = Server::start(&db);
    let http = Client::new();
    let account = http.post_ok(&server.url("/v1/accounts"), json!({"name": "Cloudy", "currency": "CNY"}))["account_id"]
        .as_i64()
        .unwrap_or_default();
    http.post_ok(
        &server.url(&format!("/v1/accounts/{account}/workspaces")),
        json!({"workspace_id": "wc", "settlement": "cloud", "cloud_provider": "aws", "cloud_account_id": "123456789012"}),
    );
    // Charges arrive while the server is killed half-way; the unanswered one is retried.
    let mut charges = BTreeMap::new();
    for i in 0..CHARGES {
        if i == CHARGES / 2 {
            server.kill();
            server = Server::start(&db);
        }
        let body = json!({"workspace_id": "wc", "bill_id": format!("cloud-{i}"), "category": "payg",
                          "amount_minor": 1_000 + i as i64, "currency": "CNY", "bill_date": "2026-11-25"});
        let reply = http.call("POST", &server.url("/v1/charges"), Some(&body), None);
        assert!(reply.ok(), "{}", reply.text);
        charges.insert(charge_id(&reply), 1_000 + i as i64);
    }
    server.kill();
    // The provider accepts some records but loses its answers, then delivery passes
    // are killed at random moments.
    let faults = json!({"provider": "aws", "lost_answers": 5, "transient_failures": 3});
    assert_eq!(http.call("POST", &format!("{sim}/sim/control/faults"), Some(&faults), None).status, 200);
    let mut killed = 0;
    for _ in 0..12 {
        if !deliver(&db, &sim, Some(Duration::from_millis(rng.range(10, 150))), None) {
            killed += 1;
        }
        verify_clean(&db);
    }
    // Retries back off (30 s, doubling, at most an hour): finish the job with whole
    // passes run as if two hours, four hours, ... had passed.
    let pending = || {
        let out = cli(&db, &["cloud", "outbox", "--state", "pending", "--limit", "1000"]);
        serde_json::from_slice::<Value>(&out.stdout).ok().and_then(|v| v.as_array().map(Vec::len)).unwrap_or(usize::MAX)
    };
    let mut later = now_ms();
    for _ in 0..10 {
        if pending() == 0 {
            break;
        }
        later += 2 * 3_600_000;
        assert!(deliver(&db, &sim, None, Some(later)), "a whole delivery pass finishes");
    }
    let usage = http.get_public(&format!("{sim}/sim/usage")).body;
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    for u in usage.as_array().into_iter().flatten() {
        let id = u["usage_record_id"].as_str().unwrap_or_default().to_owned();
        assert!(held.insert(id.clone(), u["quantity"].as_i64().unwrap_or_default()).is_none(), "{id} held twice");
    }
    let out = cli(&db, &["cloud", "outbox", "--limit", "1000"]);
    let items: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let items = items.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), CHARGES, "one usage record per charge");
    for item in &items {
        let id = item["usage_record_id"].as_str().unwrap_or_default();
        assert_eq!(item["state"], "delivered", "{item}");
        assert_eq!(held.get(id), item["amount_minor"].as_i64().as_ref(), "the provider holds {id} once, in full");
        let charge = item["charge_id"].as_i64().unwrap_or_default();
        assert_eq!(charges.get(&charge).copied(), item["amount_minor"].as_i64(), "{item}");
    }
    assert_eq!(held.len(), CHARGES, "the provider holds nothing else");
    verify_clean(&db);
    eprintln!(
        "cloud outbox: {CHARGES} charges, {killed} of 12 delivery passes killed, {} records held once",
        held.len()
    );
}
