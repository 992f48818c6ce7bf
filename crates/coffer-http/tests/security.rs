//! Security properties of the HTTP edge, end to end over real HTTP:
//!
//! - forged, tampered and unsigned Alipay notifications never credit, and the
//!   notification log records each refusal with its reason;
//! - oversized bodies get 413 problem details and write nothing, whether the body
//!   is JSON, Alipay's form or chunked without a length;
//! - SQL in the store crates is built only from bound parameters (a source check
//!   with a documented list of identifier-only exceptions);
//! - the secret comparison is correct for equal, different and differently long
//!   inputs.

use std::sync::Arc;

use coffer_alipay::{format_beijing, format_yuan, sign, sign_content, PrivateKey, NOTIFY_EXCLUDE};
use coffer_alipay_sandbox::demo;
use coffer_app::auth::Auth;
use coffer_app::clock::{Clock, ManualClock};
use coffer_app::use_cases::recharge::CreateRecharge;
use coffer_app::{AlipayRail, App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_http::routes::identity::CookiePolicy;
use coffer_http::AppState;
use coffer_store_sqlite::SqliteStore;

const TOKEN: &str = "security-test-operator-token-01";

struct Env {
    base: String,
    clock: Arc<ManualClock>,
    app: App,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Env {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(SqliteStore::open(&dir.path().join("s.db")).unwrap_or_else(|e| panic!("{e}")));
    let clock = Arc::new(ManualClock::new(Timestamp(1_795_658_400_000)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let (listener, addr) = runtime.block_on(coffer_http::server::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let sandbox_base = format!("{base}/alipay-sandbox");
    let merchant =
        demo::merchant_config(&sandbox_base, &format!("{base}/v1/alipay/notify"), &format!("{base}/v1/alipay/return"));
    let mut config = AppConfig::with_code_key(vec![1; 32]);
    config.alipay = Some(AlipayRail::new(coffer_alipay::Client::new(merchant)));
    let auth = Auth::new(store.clone(), clock.clone());
    auth.bootstrap_operator(TOKEN).unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(store, config, clock.clone());
    let state = AppState { app: app.clone(), auth, cookies: CookiePolicy::default() };
    let router = coffer_http::router(state);
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Env { base, clock, app, _dir: dir, _runtime: runtime }
}

struct Answer {
    status: u16,
    content_type: String,
    text: String,
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> Answer {
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => Answer {
            status: r.status(),
            content_type: r.content_type().to_owned(),
            text: r.into_string().unwrap_or_default(),
        },
        Err(e) => panic!("transport: {e}"),
    }
}

impl Env {
    fn account(&self) -> AccountId {
        let req = coffer_app::use_cases::accounts::CreateAccount {
            name: "Payer",
            currency: "CNY",
            time_zone: None,
            arrears_limit_minor: None,
            idempotency_key: None,
        };
        self.app.create_account(&req).unwrap_or_else(|e| panic!("{e}")).account.id
    }

    fn order(&self, account: AccountId, amount_minor: i64) -> String {
        let req = CreateRecharge {
            account_id: account,
            amount_minor,
            currency: "CNY",
            channel: "page_pay",
            idempotency_key: None,
        };
        self.app.create_recharge(&req).unwrap_or_else(|e| panic!("{e}")).order.order.out_trade_no
    }

    fn cash(&self, account: AccountId) -> i64 {
        self.app.account_overview(account).unwrap_or_else(|e| panic!("{e}")).cash_minor
    }

    fn notify(&self, body: &str) -> Answer {
        let url = format!("{}/v1/alipay/notify", self.base);
        answer(ureq::post(&url).set("Content-Type", "application/x-www-form-urlencoded").send_string(body))
    }

    /// The newest notification log entry: verdict and reason.
    fn last_logged(&self) -> (String, String) {
        let list = self.app.alipay_notifications(None, 1).unwrap_or_else(|e| panic!("{e}"));
        let n = &list.first().unwrap_or_else(|| panic!("nothing logged")).notification;
        (n.verdict.clone(), n.reason.clone())
    }

    fn logged(&self) -> usize {
        self.app.alipay_notifications(None, 1_000).unwrap_or_else(|e| panic!("{e}")).len()
    }
}

fn alipay_key() -> PrivateKey {
    PrivateKey::parse(demo::SANDBOX_PRIVATE_KEY_PEM).unwrap_or_else(|e| panic!("{e}"))
}

/// Someone else's key: the merchant's own, which Alipay's public key does not verify.
fn other_key() -> PrivateKey {
    PrivateKey::parse(demo::APP_PRIVATE_KEY_PEM).unwrap_or_else(|e| panic!("{e}"))
}

/// A notification's form fields, in order.
type Fields = Vec<(String, String)>;

/// The fields of a trade notification as Alipay sends them (PROTOCOL A.5).
fn fields(env: &Env, out_trade_no: &str, amount_minor: i64, status: &str) -> Vec<(String, String)> {
    let now = format_beijing(env.clock.now().0);
    let amount = format_yuan(amount_minor);
    [
        ("gmt_create", now.as_str()),
        ("charset", "utf-8"),
        ("gmt_payment", now.as_str()),
        ("notify_time", now.as_str()),
        ("subject", "Coffer wallet recharge"),
        ("buyer_id", "2088102177846880"),
        ("invoice_amount", amount.as_str()),
        ("version", "1.0"),
        ("notify_id", &format!("nid-{out_trade_no}-{status}")),
        ("notify_type", "trade_status_sync"),
        ("out_trade_no", out_trade_no),
        ("total_amount", amount.as_str()),
        ("trade_status", status),
        ("trade_no", &format!("2026112622001{out_trade_no}")),
        ("auth_app_id", demo::APP_ID),
        ("receipt_amount", amount.as_str()),
        ("buyer_pay_amount", amount.as_str()),
        ("app_id", demo::APP_ID),
        ("sign_type", "RSA2"),
        ("seller_id", demo::SELLER_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn signed(mut fields: Vec<(String, String)>, key: &PrivateKey) -> Vec<(String, String)> {
    let signature = sign(key, &sign_content(&fields, NOTIFY_EXCLUDE));
    fields.push(("sign".into(), signature));
    fields
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.to_owned());
}

fn form(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

#[test]
fn a_genuinely_signed_notification_credits_which_is_what_the_forgeries_below_imitate() {
    let env = start();
    let a = env.account();
    let no = env.order(a, 5_000);
    let r = env.notify(&form(&signed(fields(&env, &no, 5_000, "TRADE_SUCCESS"), &alipay_key())));
    assert_eq!((r.status, r.text.as_str()), (200, "success"));
    assert_eq!(env.cash(a), 5_000);
    assert_eq!(env.last_logged().0, "credited");
}

#[test]
fn forged_tampered_and_unsigned_notifications_never_credit_and_each_refusal_is_logged() {
    let env = start();
    let a = env.account();
    let no = env.order(a, 5_000);
    let other = env.order(a, 5_000);
    let genuine = |status: &str| fields(&env, &no, 5_000, status);
    let mut forgeries: Vec<(&str, Fields, &str)> = Vec::new();
    forgeries.push(("signed with another key", signed(genuine("TRADE_SUCCESS"), &other_key()), "signature"));
    let mut amount = signed(fields(&env, &no, 50, "TRADE_SUCCESS"), &alipay_key());
    set(&mut amount, "total_amount", "50.00");
    forgeries.push(("amount raised after signing", amount, "signature"));
    let mut status = signed(genuine("WAIT_BUYER_PAY"), &alipay_key());
    set(&mut status, "trade_status", "TRADE_SUCCESS");
    forgeries.push(("trade status changed after signing", status, "signature"));
    let mut order = signed(fields(&env, &other, 5_000, "TRADE_SUCCESS"), &alipay_key());
    set(&mut order, "out_trade_no", &no);
    forgeries.push(("order number changed after signing", order, "signature"));
    forgeries.push(("unsigned", genuine("TRADE_SUCCESS"), "sign is missing"));
    let mut empty = genuine("TRADE_SUCCESS");
    empty.push(("sign".into(), String::new()));
    forgeries.push(("empty signature", empty, "sign is missing"));
    let mut garbage = genuine("TRADE_SUCCESS");
    garbage.push(("sign".into(), "bm90IGEgc2lnbmF0dXJl".into()));
    forgeries.push(("garbage signature", garbage, "signature"));
    let mut sha1 = signed(genuine("TRADE_SUCCESS"), &alipay_key());
    set(&mut sha1, "sign_type", "RSA");
    forgeries.push(("downgraded to sign_type RSA", sha1, "RSA2"));
    forgeries.push((
        "correctly signed for another amount",
        signed(fields(&env, &no, 1, "TRADE_SUCCESS"), &alipay_key()),
        "differs",
    ));
    for (what, fields, reason) in forgeries {
        let before = env.logged();
        let r = env.notify(&form(&fields));
        assert_eq!((r.status, r.text.as_str()), (200, "fail"), "{what}");
        assert_eq!(env.cash(a), 0, "{what} credited");
        assert_eq!(env.logged(), before + 1, "{what} was not logged");
        let (verdict, logged_reason) = env.last_logged();
        assert_eq!(verdict, "rejected", "{what}");
        assert!(logged_reason.contains(reason), "{what}: logged reason {logged_reason:?} lacks {reason:?}");
    }
    let orders = env.app.recharge_orders(a, 10).unwrap_or_else(|e| panic!("{e}"));
    assert!(orders.iter().all(|o| o.paid_at.is_none()), "no order was marked paid");
}

#[test]
fn an_oversized_json_body_is_refused_with_413_problem_details_and_writes_nothing() {
    let env = start();
    let before = env.app.accounts().unwrap_or_else(|e| panic!("{e}")).len();
    let big = format!(r#"{{"name": "{}", "currency": "CNY"}}"#, "x".repeat(coffer_http::json::BODY_LIMIT_BYTES));
    let url = format!("{}/v1/accounts", env.base);
    let r = answer(
        ureq::post(&url)
            .set("Authorization", &format!("Bearer {TOKEN}"))
            .set("Content-Type", "application/json")
            .send_string(&big),
    );
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.content_type.starts_with("application/problem+json"), "{}", r.content_type);
    assert!(r.text.contains("\"code\":\"body_too_large\""), "{}", r.text);
    assert_eq!(env.app.accounts().unwrap_or_else(|e| panic!("{e}")).len(), before);
}

#[test]
fn an_oversized_chunked_body_without_a_length_is_refused_the_same_way() {
    let env = start();
    let before = env.app.accounts().unwrap_or_else(|e| panic!("{e}")).len();
    let big = format!(r#"{{"name": "{}", "currency": "CNY"}}"#, "x".repeat(coffer_http::json::BODY_LIMIT_BYTES));
    let url = format!("{}/v1/accounts", env.base);
    // A reader (not a string) makes ureq send the body chunked, with no Content-Length.
    let r = answer(
        ureq::post(&url)
            .set("Authorization", &format!("Bearer {TOKEN}"))
            .set("Content-Type", "application/json")
            .send(std::io::Cursor::new(big.into_bytes())),
    );
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.content_type.starts_with("application/problem+json"), "{}", r.content_type);
    assert_eq!(env.app.accounts().unwrap_or_else(|e| panic!("{e}")).len(), before);
}

#[test]
fn an_oversized_alipay_notification_is_refused_with_413_problem_details_and_logs_nothing() {
    let env = start();
    let a = env.account();
    let no = env.order(a, 5_000);
    let mut fields = signed(fields(&env, &no, 5_000, "TRADE_SUCCESS"), &alipay_key());
    fields.push(("padding".into(), "x".repeat(coffer_http::json::BODY_LIMIT_BYTES)));
    let r = env.notify(&form(&fields));
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.content_type.starts_with("application/problem+json"), "{}", r.content_type);
    assert_eq!(env.cash(a), 0);
    assert_eq!(env.logged(), 0);
}

#[test]
fn the_eleventh_activation_attempt_through_the_api_is_a_429_naming_the_code_field() {
    let env = start();
    let a = env.account();
    let url = format!("{}/v1/accounts/{}/vouchers/activate", env.base, a.0);
    let activate = |code: &str| {
        answer(
            ureq::post(&url)
                .set("Authorization", &format!("Bearer {TOKEN}"))
                .send_json(serde_json::json!({ "code": code })),
        )
    };
    for _ in 0..10 {
        let r = activate(&coffer_app::codes::random_code().display_grouped());
        assert!(r.text.contains("\"code\":\"code_unknown\""), "{}", r.text);
    }
    let r = activate(&coffer_app::codes::random_code().display_grouped());
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.content_type.starts_with("application/problem+json"));
    assert!(r.text.contains("\"code\":\"too_many_attempts\"") && r.text.contains("\"field\":\"code\""), "{}", r.text);
}

#[test]
fn the_secret_comparison_tells_equal_from_different_and_from_differently_long() {
    use coffer_http::caller::constant_time_eq;
    assert!(constant_time_eq(b"0123456789abcdef", b"0123456789abcdef"));
    assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcdeF"));
    assert!(!constant_time_eq(b"x123456789abcdef", b"0123456789abcdef"));
    assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcde"));
    assert!(!constant_time_eq(b"", b"0"));
    assert!(constant_time_eq(b"", b""));
}

/// `format!` calls in the store crates whose SQL interpolates something other than a
/// string constant, each with why no outside value can reach the SQL text. A call
/// matches an entry when its source contains the entry's first part.
const ALLOWED_SQL_FORMATS: &[(&str, &str)] = &[
    (r#"if lock { " FOR UPDATE OF a" } else { "" }"#, "a choice between two literals"),
    (r#"USER_COLUMNS.split(", ").map(|c| format!("u.{c}"))"#, "the USER_COLUMNS constant with a table alias"),
    ("{user_columns}", "the USER_COLUMNS constant with a table alias (auth.rs, the line above)"),
    (r#"CREATE DATABASE \"{name}\""#, "test harness only: database names it draws itself (testing.rs)"),
    ("were not found in PATH", "an error message that mentions SQL, not SQL"),
    ("PRAGMA user_version = {}", "a migration's position in the compiled-in list (SQLite takes no parameter here)"),
    ("CREATE TABLE {SCHEMA}.{table}", "the benchmark's fixed schema and its TABLES constant list (raw_bench.rs)"),
    (
        "SET TRANSACTION SNAPSHOT '{snapshot}'",
        "a snapshot id PostgreSQL itself returned, checked to be hex digits and dashes (lib.rs, read_pair)",
    ),
];

#[test]
fn store_sql_is_built_only_from_bound_parameters() {
    let mut unexplained = Vec::new();
    let mut sql_formats = 0;
    for krate in ["coffer-store-sqlite", "coffer-store-postgres"] {
        let dir = format!("{}/../{krate}/src", env!("CARGO_MANIFEST_DIR"));
        let files: Vec<_> = rust_files(std::path::Path::new(&dir))
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{e}"));
                (p, text)
            })
            .collect();
        let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
        for (path, text) in &files {
            for (n, call) in format_calls(text).into_iter().filter(|(_, c)| looks_like_sql(c)) {
                sql_formats += 1;
                let constants_only = interpolations(&call).iter().all(|name| is_string_constant(&all, name));
                let explained = ALLOWED_SQL_FORMATS.iter().any(|(needle, _)| call.contains(needle));
                if !constants_only && !explained {
                    unexplained.push(format!("{}:{n}: {call}", path.display()));
                }
            }
        }
    }
    assert!(sql_formats > 50, "only {sql_formats} SQL format! calls found: the scan is not reading the stores");
    assert!(
        unexplained.is_empty(),
        "SQL built with format! from something other than a string constant (bind the value as a parameter, or \
         document why it cannot come from outside in ALLOWED_SQL_FORMATS):\n{}",
        unexplained.join("\n")
    );
}

/// The names interpolated by a format string (`{NAME}`); a positional `{}` or a
/// format spec counts as the name `{}`, which no constant has.
fn interpolations(call: &str) -> Vec<String> {
    let literal = call.split('"').nth(1).unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = literal.replace("{{", "").replace("}}", "");
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        let name = &after[..close];
        out.push(if name.is_empty() || name.contains(':') { "{}".to_owned() } else { name.to_owned() });
        rest = after[close.min(after.len())..].to_owned();
    }
    out
}

/// Whether `name` is an upper-case `const NAME: &str = "...";` of the crate: a
/// literal, fixed at compile time.
fn is_string_constant(sources: &str, name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && (sources.contains(&format!("const {name}: &str ="))
            || sources.contains(&format!("const {name}: &'static str =")))
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every `format!(...)` (and `write!`/`push_str(&format!`) call with its line number
/// and its text up to the closing parenthesis.
fn format_calls(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for needle in ["format!(", "write!(", "writeln!(", "concat!("] {
        let mut from = 0;
        while let Some(at) = text[from..].find(needle) {
            let start = from + at;
            let body = &text[start + needle.len()..];
            let mut depth = 1;
            let end = body
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(body.len(), |(i, _)| i);
            let line = text[..start].lines().count().max(1);
            out.push((line, format!("{needle}{}", &body[..end])));
            from = start + needle.len();
        }
    }
    out
}

fn looks_like_sql(call: &str) -> bool {
    let upper = call.to_uppercase();
    [
        "SELECT ",
        "INSERT ",
        "UPDATE ",
        "DELETE ",
        " WHERE ",
        "CREATE ",
        "ALTER ",
        "DROP ",
        "PRAGMA ",
        "SAVEPOINT",
        "SET ",
    ]
    .iter()
    .any(|k| upper.contains(k))
}
