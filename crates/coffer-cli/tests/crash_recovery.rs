//! Issue 7 part 2: crash safety. The real `coffer serve` runs under load from
//! concurrent HTTP clients and is killed with SIGKILL at a random moment, again and
//! again. After every kill:
//!
//! - `coffer verify` is clean on the database exactly as the crash left it;
//! - the server restarts on it, and the balances differ from the reference model
//!   (the acknowledged operations) by the effects of a subset of the requests that
//!   were in flight: each of those was applied wholly or not at all;
//! - every in-flight request, retried with its idempotency key, is applied once
//!   (or answered with its original outcome), and a second retry answers the same;
//! - every request acknowledged in the cycle, retried with its key, gets its
//!   original response body back;
//! - at the end, every acknowledged charge is there (and reversed if that was
//!   acknowledged), the statements list each once, and the balances equal the
//!   model's.
//!
//! On SQLite one server (also with `--group-commit`); on PostgreSQL one server, and
//! two servers of which one is killed every cycle while the other keeps serving.
//!
//! Knobs: `COFFER_CRASH_CYCLES` (default 30), `COFFER_CRASH_SEED`.

mod harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use harness::ops::{charge_id, Model, Op, Request};
use harness::{account_with_workspace, balances, code_batch, knob, seed, verify_clean, Client, Db, Reply, Rng, Server};
use serde_json::json;

const CLIENTS: usize = 8;
const ACCOUNTS: usize = 4;
const OPENING_CASH: i64 = 80_000;
const CODE_FACE: i64 = 1_500;
const CODES_PER_CLIENT_AND_CYCLE: usize = 3;

/// A request sent but not answered when the server died.
#[derive(Clone, Debug)]
struct InFlight {
    op: Op,
    req: Request,
}

/// What one client did in one cycle.
#[derive(Default)]
struct CycleLog {
    acked: Vec<(Op, Request, Reply)>,
    in_flight: Option<InFlight>,
    refused: usize,
}

/// Figures over the whole run.
#[derive(Default, Debug)]
struct Figures {
    cycles: usize,
    sent: usize,
    acked: usize,
    in_flight: usize,
    accounts_moved_by_in_flight_before_retry: usize,
    replays_compared: usize,
}

fn next_op(rng: &mut Rng, tag: &str, account: i64, codes: &mut Vec<String>, charges: &mut Vec<(i64, i64)>) -> Op {
    let roll = rng.range(0, 100);
    if roll >= 90 && !charges.is_empty() {
        let (charge_id, amount) = charges.swap_remove(rng.range(0, charges.len() as u64) as usize);
        return Op::Reverse { account, charge_id, amount };
    }
    if (80..90).contains(&roll) {
        return Op::BuyCard { account };
    }
    if (68..80).contains(&roll) {
        if let Some(code) = codes.pop() {
            return Op::Activate { account, code, face: CODE_FACE };
        }
    }
    if (48..68).contains(&roll) {
        return Op::Recharge { account, external_id: format!("{tag}-r"), amount: rng.range(500, 5_000) as i64 };
    }
    Op::Charge { account, bill_id: format!("{tag}-b"), amount: rng.range(100, 2_500) as i64 }
}

/// Sends operations, alternating over the servers, until one goes away (a
/// transport error) or `stop`.
fn load(
    servers: &[&Server],
    cycle: usize,
    client: usize,
    account: i64,
    mut codes: Vec<String>,
    mut rng: Rng,
    stop: &AtomicBool,
) -> CycleLog {
    let http = Client::new();
    let mut log = CycleLog::default();
    let mut charges = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let tag = format!("y{cycle}-c{client}-n{n}");
        let op = next_op(&mut rng, &tag, account, &mut codes, &mut charges);
        let req = op.request(&format!("{tag}-k"));
        let server = servers[n % servers.len()];
        match http.send("POST", &server.url(&req.path), Some(&req.body), Some(&req.key)) {
            Err(_) => {
                log.in_flight = Some(InFlight { op, req });
                break;
            }
            Ok(reply) if reply.ok() => {
                if let Op::Charge { amount, .. } = &op {
                    charges.push((charge_id(&reply), *amount));
                }
                log.acked.push((op, req, reply));
            }
            Ok(reply) if op.refusal_expected(&reply) => log.refused += 1,
            // A 5xx from a server being killed cannot happen (the process dies at
            // once), so any other answer is a real failure.
            Ok(reply) => panic!("{} {}: {} {}\n{}", op.kind(), req.body, reply.status, reply.text, server.output()),
        }
    }
    log
}

/// Whether `delta` is the sum of some subset of `effects` (at most `CLIENTS` items).
fn subset_sums_to(effects: &[i64], delta: i64) -> bool {
    (0u32..1 << effects.len()).any(|mask| {
        let sum: i64 = effects.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, e)| e).sum();
        sum == delta
    })
}

/// After a restart: the in-flight requests were applied wholly or not at all, and
/// retrying each with its key settles it once.
fn recover(server: &Server, http: &Client, model: &mut Model, in_flight: Vec<InFlight>, figures: &mut Figures) {
    for (account, expected) in &model.accounts {
        let effects: Vec<i64> =
            in_flight.iter().filter(|f| f.op.account() == *account).map(|f| f.op.net_effect()).collect();
        let delta = balances(http, &server.base, *account).net() - (expected.opening_net + expected.net_change);
        assert!(
            subset_sums_to(&effects, delta),
            "account {account}: the balances moved by {delta} since the last acknowledged state, which no subset of the \
             in-flight requests {effects:?} explains: something acknowledged was lost or something was half-applied"
        );
        figures.accounts_moved_by_in_flight_before_retry += usize::from(delta != 0);
    }
    for f in in_flight {
        let url = server.url(&f.req.path);
        let first = http.call("POST", &url, Some(&f.req.body), Some(&f.req.key));
        let again = http.call("POST", &url, Some(&f.req.body), Some(&f.req.key));
        assert_eq!((first.status, &first.body), (again.status, &again.body), "a second retry answers like the first");
        if first.ok() {
            model.acknowledge(&f.op, &first);
        } else if !f.op.refusal_expected(&first) {
            panic!("retrying {} {} gave {} {}\n{}", f.op.kind(), f.req.body, first.status, first.text, server.output());
        }
    }
}

/// Every request acknowledged in the cycle, sent again with its key, gets the same
/// status and body.
fn replay_acknowledged(server: &Server, http: &Client, acked: &[(Op, Request, Reply)]) -> usize {
    for (op, req, original) in acked {
        let again = http.call("POST", &server.url(&req.path), Some(&req.body), Some(&req.key));
        assert_eq!(
            (again.status, &again.body),
            (original.status, &original.body),
            "{} {} retried after the crash",
            op.kind(),
            req.body
        );
    }
    acked.len()
}

/// How many servers run: the one killed every cycle, and maybe a second one that
/// keeps serving through every crash of the first (several servers on PostgreSQL).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Servers {
    One,
    OneOfTwoKilled,
}

fn crash_cycles(db: &Db, serve_args: &[&str], servers: Servers, label: &str) {
    let cycles = knob("COFFER_CRASH_CYCLES", 30);
    let mut rng = Rng::new(seed("COFFER_CRASH_SEED"));
    let http = Client::new();
    let mut model = Model::default();
    let mut figures = Figures::default();
    let started = Instant::now();
    let (accounts, mut codes) = {
        let server = Server::start_with(db, serve_args);
        let accounts: Vec<i64> = (0..ACCOUNTS)
            .map(|a| {
                let id = account_with_workspace(&http, &server.base, &format!("Crash {a}"));
                http.post_ok(
                    &server.url(&format!("/v1/accounts/{id}/cash-credits")),
                    json!({"amount_minor": OPENING_CASH, "currency": "CNY", "source": "bank_transfer",
                           "external_id": format!("opening-{id}")}),
                );
                model.open(id, OPENING_CASH);
                id
            })
            .collect();
        let count = cycles * CLIENTS * CODES_PER_CLIENT_AND_CYCLE;
        (accounts, code_batch(&http, &server.base, CODE_FACE, count as u32))
    };
    let survivor = (servers == Servers::OneOfTwoKilled).then(|| Server::start_with(db, serve_args));
    let mut in_flight: Vec<InFlight> = Vec::new();
    let mut acked: Vec<(Op, Request, Reply)> = Vec::new();
    for cycle in 0..cycles {
        let server = Server::start_with(db, serve_args);
        recover(&server, &http, &mut model, std::mem::take(&mut in_flight), &mut figures);
        figures.replays_compared += replay_acknowledged(&server, &http, &std::mem::take(&mut acked));
        let stop = AtomicBool::new(false);
        let kill_after = Duration::from_millis(rng.range(150, 900));
        let targets: Vec<&Server> = std::iter::once(&server).chain(survivor.iter()).collect();
        let logs: Vec<CycleLog> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let own = codes.split_off(codes.len() - CODES_PER_CLIENT_AND_CYCLE);
                    let (targets, stop, rng, account) = (&targets, &stop, rng.fork(), accounts[c % ACCOUNTS]);
                    s.spawn(move || load(targets, cycle, c, account, own, rng, stop))
                })
                .collect();
            std::thread::sleep(kill_after);
            // SIGKILL while requests are in flight; clients see their connections die.
            server.kill();
            stop.store(true, Ordering::Relaxed);
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("a client thread panicked"))).collect()
        });
        drop(targets);
        drop(server);
        verify_clean(db);
        for log in logs {
            figures.sent += log.acked.len() + log.refused + usize::from(log.in_flight.is_some());
            figures.acked += log.acked.len();
            for (op, _, reply) in &log.acked {
                model.acknowledge(op, reply);
            }
            acked.extend(log.acked);
            in_flight.extend(log.in_flight);
        }
        figures.in_flight += in_flight.len();
        figures.cycles += 1;
    }
    let server = Server::start_with(db, serve_args);
    recover(&server, &http, &mut model, in_flight, &mut figures);
    figures.replays_compared += replay_acknowledged(&server, &http, &acked);
    let checked = model.check(&http, &server.base);
    drop(server);
    let report = verify_clean(db);
    let charges: usize = model.accounts.values().map(|e| e.charges.len()).sum();
    assert_eq!(report["charges"].as_u64(), Some(charges as u64), "{report}");
    eprintln!("{label}: {figures:?}, {checked} facts checked at the end, {:?} in all", started.elapsed());
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_request_half_applies_nothing_and_retries_apply_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crash_cycles(&Db::sqlite(dir.path()), &[], Servers::One, "sqlite crash cycles");
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_request_half_applies_nothing_and_retries_apply_once_on_postgres() {
    let pg = coffer_store_postgres::testing::fresh_db();
    crash_cycles(&Db::Postgres(pg.url().to_owned()), &[], Servers::One, "postgres crash cycles");
}

/// Group commit answers a batch of charges only after its one durable commit, so a
/// kill between the commit and the answers loses no acknowledged charge either.
#[test]
fn sigkill_under_load_with_group_commit_loses_no_acknowledged_request_and_retries_apply_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crash_cycles(&Db::sqlite(dir.path()), &["--group-commit"], Servers::One, "sqlite group-commit crash cycles");
}

/// Two servers on one PostgreSQL database, the clients alternating between them;
/// one is killed every cycle while the other keeps serving, and the retries go to
/// the restarted one.
#[test]
fn one_of_two_postgres_servers_killed_under_load_loses_no_acknowledged_request_and_retries_apply_once() {
    let pg = coffer_store_postgres::testing::fresh_db();
    let db = Db::Postgres(pg.url().to_owned());
    crash_cycles(&db, &[], Servers::OneOfTwoKilled, "postgres, one of two servers killed");
}
