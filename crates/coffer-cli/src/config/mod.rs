//! The configuration: one TOML file (`--config PATH` or `COFFER_CONFIG`), overridden
//! by environment variables (`COFFER_` + the key in upper case, `.` as `_`, e.g.
//! `COFFER_SERVER_LISTEN`), over defaults. Command-line flags win over both. Every
//! setting is validated when a command starts; each problem names its key, and a
//! misspelt key is an error rather than silently ignored. See docs/OPERATIONS.md.
//!
//! The result is plain structs that `coffer serve` hands on: the server, the log, the
//! jobs (periods and switches), the e-mail sender and the webhooks.

mod source;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use source::{ConfigError, Effective, Origin};
use source::{Shown, Source};

/// The jobs a `[jobs.NAME]` table may configure, with their default periods in
/// seconds (docs/JOBS.md).
pub const JOBS: [(&str, u64); 8] = [
    ("expiry", 300),
    ("recharge_sweeper", 30),
    ("cloud_outbox", 10),
    ("monthly_bills", 3600),
    ("arrears", 300),
    ("notifications", 3600),
    ("webhooks", 5),
    ("email", 10),
];

/// The longest job period accepted: a month.
const MAX_PERIOD_SECONDS: u64 = 31 * 24 * 3600;

#[derive(Clone, Debug)]
pub struct Config {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    pub database: DatabaseConfig,
    pub server: ServerConfig,
    pub log: LogConfig,
    pub metrics: MetricsConfig,
    pub arrears: ArrearsConfig,
    // Handed to the scheduler, the webhook sender and the mailer by `coffer serve`;
    // until those are wired in, only `coffer config check` reads them.
    #[allow(dead_code)]
    pub jobs: JobsConfig,
    #[allow(dead_code)]
    pub webhooks: WebhooksConfig,
    #[allow(dead_code)]
    pub email: EmailConfig,
    /// Every effective setting with its origin, secrets redacted (`coffer config check`).
    pub effective: Vec<Effective>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseConfig {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub secure_cookies: bool,
    pub group_commit: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `info,coffer::access=warn`.
    pub level: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    /// When set, `/metrics` needs `Authorization: Bearer <token>`; when not, only
    /// loopback peers may scrape.
    pub token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrearsConfig {
    pub grace_days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobConfig {
    pub enabled: bool,
    pub period_seconds: u64,
}

/// Per job, in [`JOBS`] order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobsConfig {
    pub jobs: Vec<(&'static str, JobConfig)>,
}

impl JobsConfig {
    /// The settings of the job named `name` (one of [`JOBS`]).
    #[allow(dead_code)]
    pub fn get(&self, name: &str) -> Option<JobConfig> {
        self.jobs.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhooksConfig {
    /// How long one delivery attempt may take.
    pub timeout_seconds: u64,
    /// Attempts per notification (webhook or e-mail) before it is marked failed.
    pub max_attempts: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailSender {
    /// Each message written as a file in `dir` (development, tests, a mail pickup directory).
    File { dir: PathBuf },
    /// Sent through an SMTP relay on a trusted network (no authentication; see
    /// `coffer_notify::smtp`).
    Smtp { host: String, port: u16 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailConfig {
    pub sender: EmailSender,
    /// The From header, such as `Coffer Billing Center <billing@example.com>`.
    pub from: String,
}

/// Reads the configuration: `file` if given, the environment through `env`.
pub fn load(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<ConfigError>> {
    let table = match file {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    let mut src = Source::new(table, env);
    let database = database(&mut src);
    let server = server(&mut src);
    let log = log(&mut src);
    let metrics = metrics(&mut src);
    let grace_days = src.uint("arrears.grace_days", 14, 1, 365) as u32;
    let jobs = jobs(&mut src);
    let webhooks = WebhooksConfig {
        timeout_seconds: src.uint("webhooks.timeout_seconds", 10, 1, 300),
        max_attempts: src.uint("webhooks.max_attempts", 8, 1, 100) as u32,
    };
    let email = email(&mut src);
    let (errors, effective) = src.finish();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Config {
        file: file.map(Path::to_path_buf),
        database,
        server,
        log,
        metrics,
        arrears: ArrearsConfig { grace_days },
        jobs,
        webhooks,
        email,
        effective,
    })
}

/// The configuration of this process: `--config`/`COFFER_CONFIG` and the real environment.
pub fn load_from_env(flag: Option<&Path>) -> Result<Config, Vec<ConfigError>> {
    let env = |name: &str| std::env::var(name).ok();
    load(flag, &env)
}

fn read_file(path: &Path) -> Result<toml::Table, Vec<ConfigError>> {
    let fail = |message: String| vec![ConfigError { key: "config".into(), origin: String::new(), message }];
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    text.parse::<toml::Table>().map_err(|e| fail(format!("{} is not valid TOML: {e}", path.display())))
}

fn database(src: &mut Source<'_>) -> DatabaseConfig {
    let path = src.opt_string("database.path", Shown::Plain);
    let url = src.opt_string("database.url", Shown::Secret);
    // The environment overrides the file across the two keys too: a file naming a
    // SQLite path with COFFER_DATABASE_URL in the environment means PostgreSQL.
    let (path, url) = match (path, url) {
        (Some(p), Some(u)) if p.1 == Origin::File && matches!(u.1, Origin::Env(_)) => (None, Some(u)),
        (Some(p), Some(u)) if matches!(p.1, Origin::Env(_)) && u.1 == Origin::File => (Some(p), None),
        other => other,
    };
    match (path, url) {
        (Some(_), Some((_, origin))) => {
            src.error(
                "database.url",
                &origin,
                "set either database.path (SQLite) or database.url (PostgreSQL), not both",
            );
            DatabaseConfig::Sqlite { path: PathBuf::from("coffer.db") }
        }
        (None, Some((url, origin))) => {
            src.unset("database.path");
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.contains('=')) {
                src.error("database.url", &origin, "must be postgres://user:password@host/db or a key=value string");
            }
            DatabaseConfig::Postgres { url }
        }
        (Some((path, origin)), None) => {
            src.unset("database.url");
            if path.trim().is_empty() {
                src.error("database.path", &origin, "must not be empty");
            }
            DatabaseConfig::Sqlite { path: PathBuf::from(path) }
        }
        (None, None) => {
            let (path, _) = src.string("database.path", "coffer.db");
            src.unset("database.url");
            DatabaseConfig::Sqlite { path: PathBuf::from(path) }
        }
    }
}

fn server(src: &mut Source<'_>) -> ServerConfig {
    let (listen, origin) = src.string("server.listen", "127.0.0.1:8080");
    let fallback = SocketAddr::from(([127, 0, 0, 1], 8080));
    let listen = listen.parse::<SocketAddr>().unwrap_or_else(|_| {
        src.error("server.listen", &origin, format!("{listen:?} is not an IP address and port such as 127.0.0.1:8080"));
        fallback
    });
    ServerConfig {
        listen,
        secure_cookies: src.bool("server.secure_cookies", false),
        group_commit: src.bool("server.group_commit", false),
    }
}

fn log(src: &mut Source<'_>) -> LogConfig {
    let format = match src.choice("log.format", &["text", "json"], "text") {
        "json" => LogFormat::Json,
        _ => LogFormat::Text,
    };
    let (level, origin) = src.string("log.level", "info");
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&level) {
        src.error("log.level", &origin, format!("{level:?} is not a log filter such as \"info\": {e}"));
    }
    LogConfig { format, level }
}

fn metrics(src: &mut Source<'_>) -> MetricsConfig {
    let token = src.opt_string("metrics.token", Shown::Secret);
    if token.is_none() {
        src.unset("metrics.token");
    }
    if let Some((token, origin)) = &token {
        if token.len() < 16 {
            src.error("metrics.token", origin, "must be at least 16 characters");
        }
    }
    MetricsConfig { token: token.map(|(t, _)| t) }
}

fn jobs(src: &mut Source<'_>) -> JobsConfig {
    let jobs = JOBS
        .iter()
        .map(|(name, period)| {
            let enabled = src.bool(&format!("jobs.{name}.enabled"), true);
            let period_seconds = src.uint(&format!("jobs.{name}.period_seconds"), *period, 1, MAX_PERIOD_SECONDS);
            (*name, JobConfig { enabled, period_seconds })
        })
        .collect();
    JobsConfig { jobs }
}

fn email(src: &mut Source<'_>) -> EmailConfig {
    let kind = src.choice("email.sender", &["file", "smtp"], "file");
    let (from, from_origin) = src.string("email.from", "Coffer Billing Center <billing@coffer.invalid>");
    if !from.contains('@') {
        src.error("email.from", &from_origin, format!("{from:?} is not an e-mail address"));
    }
    let (dir, _) = src.string("email.dir", "mail");
    let host = src.opt_string("email.smtp_host", Shown::Plain);
    if host.is_none() {
        src.unset("email.smtp_host");
    }
    let port = src.uint("email.smtp_port", 587, 1, 65_535) as u16;
    let sender = match kind {
        "smtp" => {
            let host = host.map(|(h, _)| h).unwrap_or_default();
            if host.trim().is_empty() {
                src.error("email.smtp_host", &Origin::Default, "is required when email.sender is \"smtp\"");
            }
            EmailSender::Smtp { host, port }
        }
        _ => EmailSender::File { dir: PathBuf::from(dir) },
    };
    EmailConfig { sender, from }
}

#[cfg(test)]
mod tests;
