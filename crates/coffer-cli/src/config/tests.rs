use std::collections::HashMap;
use std::io::Write;

use super::*;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write");
    f
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name: &str| map.get(name).cloned()
}

fn errors(text: &str, vars: &[(&str, &str)]) -> Vec<String> {
    let f = file(text);
    match load(Some(f.path()), &env(vars)) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn no_file_and_no_environment_gives_the_documented_defaults() {
    let config = load(None, &env(&[])).expect("defaults are valid");
    assert_eq!(config.database, DatabaseConfig::Sqlite { path: "coffer.db".into() });
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.log.format, LogFormat::Text);
    assert_eq!(config.arrears.grace_days, 14);
    assert_eq!(config.jobs.get("expiry"), Some(JobConfig { enabled: true, period_seconds: 300 }));
    assert_eq!(config.email.sender, EmailSender::File { dir: "mail".into() });
    assert!(config.effective.iter().all(|e| e.origin == Origin::Default));
}

#[test]
fn a_file_sets_every_section() {
    let f = file(
        r#"
        [database]
        url = "postgres://coffer:hunter2@db/coffer"
        [server]
        listen = "0.0.0.0:9000"
        group_commit = true
        [log]
        format = "json"
        level = "debug,coffer::access=info"
        [arrears]
        grace_days = 21
        [jobs.webhooks]
        enabled = false
        period_seconds = 2
        [email]
        sender = "smtp"
        smtp_host = "smtp.example.com"
        [metrics]
        token = "s3cret-pass-0123456789"
        "#,
    );
    let config = load(Some(f.path()), &env(&[])).expect("valid");
    assert_eq!(config.database, DatabaseConfig::Postgres { url: "postgres://coffer:hunter2@db/coffer".into() });
    assert_eq!(config.server.listen.port(), 9000);
    assert!(config.server.group_commit);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.arrears.grace_days, 21);
    assert_eq!(config.jobs.get("webhooks"), Some(JobConfig { enabled: false, period_seconds: 2 }));
    assert!(matches!(config.email.sender, EmailSender::Smtp { ref host, port: 587, .. } if host == "smtp.example.com"));
    let shown: Vec<String> = config.effective.iter().map(|e| e.value.clone()).collect();
    assert!(!shown.iter().any(|v| v.contains("hunter2") || v.contains("s3cret-pass")), "{shown:?}");
}

#[test]
fn an_unknown_key_is_an_error_naming_it() {
    let errors = errors("[server]\nlisten = \"127.0.0.1:1\"\nlistne = \"x\"\n[nonsense]\na = 1\n", &[]);
    assert_eq!(errors, vec!["nonsense.a (from file): unknown key", "server.listne (from file): unknown key"]);
}

#[test]
fn bad_values_are_errors_naming_the_key_and_the_problem() {
    let errors = errors(
        "[server]\nlisten = \"localhost\"\nsecure_cookies = \"yes\"\n[log]\nformat = \"xml\"\n\
         [arrears]\ngrace_days = 0\n[jobs.expiry]\nperiod_seconds = -5\n",
        &[],
    );
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors[0].starts_with("server.listen (from file): \"localhost\" is not an IP address"), "{errors:?}");
    assert_eq!(errors[1], "server.secure_cookies (from file): must be true or false, not string");
    assert_eq!(errors[2], "log.format (from file): must be one of \"text\", \"json\", not \"xml\"");
    assert_eq!(errors[3], "arrears.grace_days (from file): must be a whole number from 1 to 365");
    assert_eq!(errors[4], "jobs.expiry.period_seconds (from file): must be a whole number from 1 to 2678400");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err = load(Some(Path::new("/nonexistent/coffer.toml")), &env(&[])).expect_err("missing");
    assert_eq!(err.len(), 1);
    assert!(err[0].to_string().starts_with("config: cannot read /nonexistent/coffer.toml"), "{}", err[0]);
}

#[test]
fn malformed_toml_is_an_error() {
    let errors = errors("[server\nlisten = ", &[]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("is not valid TOML"), "{errors:?}");
}

#[test]
fn the_environment_overrides_the_file() {
    let f = file("[server]\nlisten = \"127.0.0.1:7000\"\n[jobs.expiry]\nperiod_seconds = 60\n");
    let vars = env(&[("COFFER_SERVER_LISTEN", "127.0.0.1:7001"), ("COFFER_JOBS_EXPIRY_ENABLED", "false")]);
    let config = load(Some(f.path()), &vars).expect("valid");
    assert_eq!(config.server.listen.port(), 7001);
    assert_eq!(config.jobs.get("expiry"), Some(JobConfig { enabled: false, period_seconds: 60 }));
    let listen = config.effective.iter().find(|e| e.key == "server.listen").expect("listed");
    assert_eq!(listen.origin, Origin::Env("COFFER_SERVER_LISTEN".into()));
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let errors = errors("", &[("COFFER_ARREARS_GRACE_DAYS", "two weeks")]);
    assert_eq!(
        errors,
        vec!["arrears.grace_days (from env COFFER_ARREARS_GRACE_DAYS): must be a whole number from 1 to 365"]
    );
}

#[test]
fn a_database_path_and_url_together_are_refused() {
    let errors = errors("[database]\npath = \"a.db\"\nurl = \"postgres://x@y/z\"\n", &[]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("database.url (from file): set either"), "{errors:?}");
}

#[test]
fn smtp_without_a_host_is_refused() {
    let errors = errors("[email]\nsender = \"smtp\"\n", &[]);
    assert_eq!(errors, vec!["email.smtp_host: is required when email.sender is \"smtp\""]);
}

#[test]
fn a_short_metrics_token_is_refused() {
    let errors = errors("[metrics]\ntoken = \"short\"\n", &[]);
    assert_eq!(errors, vec!["metrics.token (from file): must be at least 16 characters"]);
}

#[test]
fn every_job_of_the_scheduler_is_configurable_with_its_default_period() {
    use coffer_app::jobs::JobName;
    assert_eq!(JOBS.len(), JobName::ALL.len());
    for job in JobName::ALL {
        let period = JOBS.iter().find(|(n, _)| *n == job.as_str()).map(|(_, p)| *p as i64 * 1000);
        assert_eq!(period, Some(job.default_period_ms()), "{}", job.as_str());
    }
}

#[test]
fn the_example_configuration_is_valid() {
    let example = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../coffer.example.toml"));
    let config = load(Some(example), &env(&[])).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(config.arrears.grace_days, 14);
}

#[test]
fn a_database_in_the_environment_replaces_the_other_kind_in_the_file() {
    let f = file("[database]\npath = \"file.db\"\n");
    let config = load(Some(f.path()), &env(&[("COFFER_DATABASE_URL", "postgres://u@h/d")])).expect("valid");
    assert_eq!(config.database, DatabaseConfig::Postgres { url: "postgres://u@h/d".into() });
    let f = file("[database]\nurl = \"postgres://u@h/d\"\n");
    let config = load(Some(f.path()), &env(&[("COFFER_DATABASE_PATH", "env.db")])).expect("valid");
    assert_eq!(config.database, DatabaseConfig::Sqlite { path: "env.db".into() });
}
