//! Guessing is bounded (docs/SECURITY.md). Activation codes: at most 10 failed
//! attempts per account per hour and 1,000 across all accounts per hour. Passwords:
//! at most 10 failed sign-ins per login per hour. While a limit is reached every
//! attempt is refused, even one with the right code or password; the window slides
//! with the injected clock. Run on both engines.

mod common;

use std::sync::{Arc, Barrier};

use coffer_app::auth::{Auth, LOGIN_FAILURES_PER_HOUR};
use coffer_app::codes::random_code;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::ValidityInput;
use coffer_app::{App, AppConfig, ErrorCode};
use coffer_core::ids::AccountId;
use coffer_store::auth::{AuthStore, Role};
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;
use common::{app_on, spawn_app, Database, Engine, TestApp};

const HOUR_MS: i64 = 3_600_000;

/// A well-formed code that no batch holds: what a guesser would type.
fn guess() -> String {
    random_code().display_grouped()
}

fn one_code(t: &TestApp) -> String {
    let generated = t.app.generate_codes(&GenerateCodes {
        kind: "standard",
        face_value_minor: 5_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        count: 1,
        memo: "throttle",
    });
    generated.unwrap_or_else(|e| panic!("{e}")).codes[0].display_grouped()
}

fn attempt(app: &App, account: AccountId, code: &str) -> Result<(), (ErrorCode, Option<&'static str>)> {
    app.activate_code(account, code).map(drop).map_err(|e| (e.code, e.field))
}

fn fail_times(app: &App, account: AccountId, times: usize) {
    for n in 0..times {
        assert_eq!(attempt(app, account, &guess()).map_err(|e| e.0), Err(ErrorCode::CodeUnknown), "guess {n}");
    }
}

fn the_eleventh_attempt_within_the_hour_is_refused_even_with_a_correct_code(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let code = one_code(&t);
    fail_times(&t.app, a, 10);
    let journal = t.journal_size();
    assert_eq!(attempt(&t.app, a, &code), Err((ErrorCode::TooManyAttempts, Some("code"))));
    assert_eq!(t.journal_size(), journal, "a throttled attempt writes nothing");
    let vouchers = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}")).voucher_balance_minor;
    assert_eq!(vouchers, 0);
}

fn attempts_are_allowed_again_once_the_failures_are_an_hour_old(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let code = one_code(&t);
    fail_times(&t.app, a, 10);
    t.clock.advance_ms(HOUR_MS - 1);
    assert_eq!(attempt(&t.app, a, &code).map_err(|e| e.0), Err(ErrorCode::TooManyAttempts), "still inside the hour");
    t.clock.advance_ms(2);
    assert_eq!(attempt(&t.app, a, &code), Ok(()), "past an hour after the failures the correct code works");
    t.assert_clean();
}

fn throttled_refusals_do_not_extend_the_throttle(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    fail_times(&t.app, a, 10);
    for _ in 0..5 {
        t.clock.advance_ms(HOUR_MS / 10);
        assert_eq!(attempt(&t.app, a, &guess()).map_err(|e| e.0), Err(ErrorCode::TooManyAttempts));
    }
    t.clock.advance_ms(HOUR_MS / 2 + 1);
    assert_eq!(attempt(&t.app, a, &guess()).map_err(|e| e.0), Err(ErrorCode::CodeUnknown));
}

fn an_attacker_with_many_accounts_is_bounded_by_the_global_limit(engine: Engine) {
    let t = spawn_app(engine);
    let mut config = AppConfig::with_code_key(vec![7; 32]);
    config.code_failures_per_hour_global = 25;
    let app = App::new(t.app.store.clone(), config, t.clock.clone());
    let attackers: Vec<AccountId> = (0..3).map(|_| t.account("CNY")).collect();
    fail_times(&app, attackers[0], 10);
    fail_times(&app, attackers[1], 10);
    fail_times(&app, attackers[2], 5);
    let customer = t.account("CNY");
    let code = one_code(&t);
    let refused = attempt(&app, customer, &code);
    assert_eq!(refused.map_err(|e| e.0), Err(ErrorCode::TooManyAttempts), "the 26th attempt anywhere is refused");
    t.clock.advance_ms(HOUR_MS + 1);
    assert_eq!(attempt(&app, customer, &code), Ok(()));
}

#[test]
fn the_default_limits_are_ten_per_account_and_a_thousand_overall() {
    let config = AppConfig::with_code_key(vec![7; 32]);
    assert_eq!((config.code_failures_per_hour, config.code_failures_per_hour_global), (10, 1_000));
}

/// Concurrent guesses on one account, from separate stores as separate server
/// processes would make them, still get exactly ten failures counted: the check and
/// the record are one transaction under the account's lock.
fn concurrent_guesses_cannot_exceed_the_per_account_limit(engine: Engine) {
    const THREADS: usize = 4;
    const EACH: usize = 8;
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let app = app_on(t.another_store(), &t.clock);
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                (0..EACH).map(|_| attempt(&app, a, &guess()).map_err(|e| e.0)).collect::<Vec<_>>()
            })
        })
        .collect();
    let outcomes: Vec<_> =
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| panic!("guesser panicked"))).collect();
    let counted = outcomes.iter().filter(|o| **o == Err(ErrorCode::CodeUnknown)).count();
    let throttled = outcomes.iter().filter(|o| **o == Err(ErrorCode::TooManyAttempts)).count();
    assert_eq!((counted, throttled), (10, THREADS * EACH - 10), "{outcomes:?}");
}

/// A store for identities on the test's database, with connections of its own, as
/// another server process would have.
fn auth_store(t: &TestApp) -> Arc<dyn AuthStore> {
    match &t.db {
        Database::Sqlite(dir) => {
            Arc::new(SqliteStore::open(&dir.path().join("coffer.db")).unwrap_or_else(|e| panic!("{e}")))
        }
        Database::Postgres(db) => Arc::new(PostgresStore::connect(db.url()).unwrap_or_else(|e| panic!("{e}"))),
    }
}

const PASSWORD: &str = "the-right-password";

fn auth_with_user(t: &TestApp) -> Auth {
    let auth = Auth::new(auth_store(t), t.clock.clone());
    auth.create_user("someone@example.com", PASSWORD, Role::Operator, None).unwrap_or_else(|e| panic!("{e}"));
    auth
}

fn sign_in(auth: &Auth, login: &str, password: &str) -> Result<(), ErrorCode> {
    auth.login(login, password).map(drop).map_err(|e| e.code)
}

fn the_eleventh_sign_in_within_the_hour_is_refused_even_with_the_right_password(engine: Engine) {
    let t = spawn_app(engine);
    let auth = auth_with_user(&t);
    for n in 0..LOGIN_FAILURES_PER_HOUR {
        assert_eq!(sign_in(&auth, "someone@example.com", "wrong-password"), Err(ErrorCode::InvalidCredentials), "{n}");
    }
    assert_eq!(sign_in(&auth, "Someone@Example.com", PASSWORD), Err(ErrorCode::TooManyAttempts));
    t.clock.advance_ms(HOUR_MS - 1);
    assert_eq!(sign_in(&auth, "someone@example.com", PASSWORD), Err(ErrorCode::TooManyAttempts), "inside the hour");
    t.clock.advance_ms(2);
    assert_eq!(sign_in(&auth, "someone@example.com", PASSWORD), Ok(()));
}

fn a_successful_sign_in_clears_the_failures_before_it(engine: Engine) {
    let t = spawn_app(engine);
    let auth = auth_with_user(&t);
    for _ in 0..9 {
        assert_eq!(sign_in(&auth, "someone@example.com", "wrong-password"), Err(ErrorCode::InvalidCredentials));
    }
    assert_eq!(sign_in(&auth, "someone@example.com", PASSWORD), Ok(()));
    for _ in 0..9 {
        assert_eq!(sign_in(&auth, "someone@example.com", "wrong-password"), Err(ErrorCode::InvalidCredentials));
    }
    assert_eq!(sign_in(&auth, "someone@example.com", PASSWORD), Ok(()));
}

fn unknown_logins_are_limited_like_known_ones(engine: Engine) {
    let t = spawn_app(engine);
    let auth = auth_with_user(&t);
    for _ in 0..LOGIN_FAILURES_PER_HOUR {
        assert_eq!(sign_in(&auth, "nobody@example.com", "wrong-password"), Err(ErrorCode::InvalidCredentials));
    }
    assert_eq!(sign_in(&auth, "nobody@example.com", "wrong-password"), Err(ErrorCode::TooManyAttempts));
    assert_eq!(sign_in(&auth, "someone@example.com", PASSWORD), Ok(()), "other logins are not affected");
}

/// Guesses at one login from separate stores at once: exactly ten passwords are
/// checked, because each attempt reserves its place in the count first.
fn concurrent_sign_in_guesses_check_at_most_ten_passwords(engine: Engine) {
    const THREADS: usize = 4;
    const EACH: usize = 6;
    let t = spawn_app(engine);
    auth_with_user(&t);
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let auth = Auth::new(auth_store(&t), t.clock.clone());
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                (0..EACH).map(|_| sign_in(&auth, "someone@example.com", "wrong-password")).collect::<Vec<_>>()
            })
        })
        .collect();
    let outcomes: Vec<_> =
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| panic!("guesser panicked"))).collect();
    let checked = outcomes.iter().filter(|o| **o == Err(ErrorCode::InvalidCredentials)).count();
    assert_eq!(checked, LOGIN_FAILURES_PER_HOUR as usize, "{outcomes:?}");
}

engine_tests!(
    the_eleventh_sign_in_within_the_hour_is_refused_even_with_the_right_password,
    a_successful_sign_in_clears_the_failures_before_it,
    unknown_logins_are_limited_like_known_ones,
    concurrent_sign_in_guesses_check_at_most_ten_passwords,
    the_eleventh_attempt_within_the_hour_is_refused_even_with_a_correct_code,
    attempts_are_allowed_again_once_the_failures_are_an_hour_old,
    throttled_refusals_do_not_extend_the_throttle,
    an_attacker_with_many_accounts_is_bounded_by_the_global_limit,
    concurrent_guesses_cannot_exceed_the_per_account_limit,
);
