//! Issue 7 part 1: 32 concurrent HTTP clients against the real `coffer serve`,
//! mixing charges, recharges, voucher activations, card purchases and reversals on
//! one billing account and on many. Afterwards every account's balances equal the
//! reference model's (computed from the acknowledged responses), every acknowledged
//! charge is there once, and `coffer verify` exits 0. On SQLite one server; on
//! PostgreSQL two server processes on one database, the clients spread over both.
//!
//! Knobs: `COFFER_HAMMER_CLIENTS` (default 32), `COFFER_HAMMER_OPS` (operations per
//! client, default 40), `COFFER_HAMMER_SEED`.

mod harness;

use std::sync::Barrier;
use std::time::Instant;

use harness::ops::{charge_id, Model, Op};
use harness::{account_with_workspace, code_batch, knob, seed, verify_clean, Client, Db, Reply, Rng, Server};
use serde_json::json;

const OPENING_CASH: i64 = 50_000;
const CODE_FACE: i64 = 2_000;
/// At most this many activations per client (its own codes).
const CODES_PER_CLIENT: usize = 6;

/// What one client thread did: its acknowledged operations in the order it sent
/// them, and how many it sent and saw refused as expected.
struct ClientLog {
    acked: Vec<(Op, Reply)>,
    sent: usize,
    refused: usize,
}

/// The next operation of a client, chosen at random among the five kinds; a
/// reversal needs one of the client's own unreversed charges, an activation one of
/// its unused codes, else a charge is sent instead.
fn next_op(
    rng: &mut Rng,
    who: &str,
    n: usize,
    account: i64,
    codes: &mut Vec<String>,
    charges: &mut Vec<(i64, i64)>,
) -> Op {
    let roll = rng.range(0, 100);
    if roll >= 88 && !charges.is_empty() {
        let (charge_id, amount) = charges.swap_remove(rng.range(0, charges.len() as u64) as usize);
        return Op::Reverse { account, charge_id, amount };
    }
    if (76..88).contains(&roll) {
        return Op::BuyCard { account };
    }
    if (64..76).contains(&roll) {
        if let Some(code) = codes.pop() {
            return Op::Activate { account, code, face: CODE_FACE };
        }
    }
    if (44..64).contains(&roll) {
        return Op::Recharge { account, external_id: format!("{who}-r{n}"), amount: rng.range(500, 6_000) as i64 };
    }
    Op::Charge { account, bill_id: format!("{who}-b{n}"), amount: rng.range(100, 3_000) as i64 }
}

fn run_client(
    servers: &[Server],
    index: usize,
    account: i64,
    mut codes: Vec<String>,
    mut rng: Rng,
    ops: usize,
) -> ClientLog {
    let client = Client::new();
    let who = format!("c{index}");
    let mut log = ClientLog { acked: Vec::new(), sent: 0, refused: 0 };
    let mut charges = Vec::new();
    for n in 0..ops {
        let op = next_op(&mut rng, &who, n, account, &mut codes, &mut charges);
        let req = op.request(&format!("{who}-k{n}"));
        let server = &servers[(index + n) % servers.len()];
        let reply = client.call("POST", &server.url(&req.path), Some(&req.body), Some(&req.key));
        log.sent += 1;
        if reply.ok() {
            if let Op::Charge { amount, .. } = &op {
                charges.push((charge_id(&reply), *amount));
            }
            log.acked.push((op, reply));
        } else if op.refusal_expected(&reply) {
            log.refused += 1;
        } else {
            panic!(
                "{} {} on {}: {} {}\n{}",
                op.kind(),
                req.body,
                server.base,
                reply.status,
                reply.text,
                server.output()
            );
        }
    }
    log
}

/// Sets up `accounts` accounts with opening cash, runs the clients, checks the
/// model and `coffer verify`.
fn hammer(db: &Db, servers: Vec<Server>, accounts: usize, label: &str) {
    let clients = knob("COFFER_HAMMER_CLIENTS", 32);
    let ops = knob("COFFER_HAMMER_OPS", 40);
    let mut rng = Rng::new(seed("COFFER_HAMMER_SEED"));
    let http = Client::new();
    let base = servers[0].base.clone();
    let mut model = Model::default();
    let ids: Vec<i64> = (0..accounts)
        .map(|a| {
            let id = account_with_workspace(&http, &base, &format!("Hammer {a}"));
            http.post_ok(
                &format!("{base}/v1/accounts/{id}/cash-credits"),
                json!({"amount_minor": OPENING_CASH, "currency": "CNY", "source": "bank_transfer",
                       "external_id": format!("opening-{id}")}),
            );
            model.open(id, OPENING_CASH);
            id
        })
        .collect();
    let mut codes = code_batch(&http, &base, CODE_FACE, (clients * CODES_PER_CLIENT) as u32);

    let go = Barrier::new(clients);
    let started = Instant::now();
    let logs: Vec<ClientLog> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let own = codes.split_off(codes.len() - CODES_PER_CLIENT);
                let (servers, go, rng, account) = (&servers, &go, rng.fork(), ids[i % ids.len()]);
                s.spawn(move || {
                    go.wait();
                    run_client(servers, i, account, own, rng, ops)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("a client thread panicked"))).collect()
    });
    let elapsed = started.elapsed();

    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for log in &logs {
        for (op, reply) in &log.acked {
            model.acknowledge(op, reply);
            *kinds.entry(op.kind()).or_default() += 1;
        }
    }
    let sent: usize = logs.iter().map(|l| l.sent).sum();
    let refused: usize = logs.iter().map(|l| l.refused).sum();
    let checked = model.check(&http, &base);
    let charges: usize = model.accounts.values().map(|e| e.charges.len()).sum();
    drop(servers);
    let report = verify_clean(db);
    assert_eq!(report["charges"].as_u64(), Some(charges as u64), "{report}");
    eprintln!(
        "{label}: {clients} clients, {accounts} accounts, {sent} requests in {elapsed:?} ({:.0}/s), acknowledged {kinds:?}, \
         {refused} cards refused for want of cash, {checked} facts checked, coffer verify clean",
        sent as f64 / elapsed.as_secs_f64()
    );
}

#[test]
fn thirty_two_clients_on_one_account_over_sqlite_match_the_model_and_verify_clean() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    hammer(&db, vec![Server::start(&db)], 1, "sqlite, one account");
}

#[test]
fn thirty_two_clients_over_eight_accounts_over_sqlite_match_the_model_and_verify_clean() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::sqlite(dir.path());
    hammer(&db, vec![Server::start(&db)], 8, "sqlite, eight accounts");
}

/// Both servers start at once on the fresh database, as in a rolling deploy.
fn two_postgres_servers(db: &Db) -> Vec<Server> {
    std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(db));
        let b = s.spawn(|| Server::start(db));
        vec![a.join().unwrap_or_else(|_| panic!("server a")), b.join().unwrap_or_else(|_| panic!("server b"))]
    })
}

#[test]
fn thirty_two_clients_on_one_account_over_two_postgres_servers_match_the_model_and_verify_clean() {
    let pg = coffer_store_postgres::testing::fresh_db();
    let db = Db::Postgres(pg.url().to_owned());
    hammer(&db, two_postgres_servers(&db), 1, "postgres x2, one account");
}

#[test]
fn thirty_two_clients_over_eight_accounts_over_two_postgres_servers_match_the_model_and_verify_clean() {
    let pg = coffer_store_postgres::testing::fresh_db();
    let db = Db::Postgres(pg.url().to_owned());
    hammer(&db, two_postgres_servers(&db), 8, "postgres x2, eight accounts");
}
