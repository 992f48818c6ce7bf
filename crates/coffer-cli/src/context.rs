//! Opening the store and building the App from the global options. The store is
//! chosen here and only here: the SQLite file (`--db`), or PostgreSQL when a
//! database URL is given (`--database-url` / `COFFER_DATABASE_URL`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_app::auth::Auth;
use coffer_app::clock::{Clock, ManualClock, SystemClock};
use coffer_app::{codes, input, tz, App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::auth::AuthStore;
use coffer_store::records::AccountRecord;
use coffer_store::Store;
use coffer_store_postgres::PostgresStore;
use coffer_store_sqlite::SqliteStore;
use jiff::tz::TimeZone;

use crate::args::Global;
use crate::config::{self, Config, DatabaseConfig};
use crate::error::{CliError, CliResult};

/// The environment variable holding the activation-code key (hex).
pub const CODE_KEY_ENV: &str = "COFFER_CODE_KEY";

pub struct Ctx {
    pub app: App,
    pub auth: Auth,
    pub db: Database,
    /// The validated configuration (file, environment, defaults).
    pub config: Config,
}

/// Where the data lives: the one place the store is chosen.
pub enum Database {
    /// The embedded default: a SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`--database-url` / `COFFER_DATABASE_URL`).
    Postgres(String),
}

impl Database {
    /// The flags (`--database-url`, `--db`) when given, else the configuration.
    pub fn from_global(global: &Global, config: &Config) -> Database {
        match (&global.database_url, &global.db, &config.database) {
            (Some(url), _, _) => Database::Postgres(url.clone()),
            (None, Some(path), _) => Database::Sqlite(path.clone()),
            (None, None, DatabaseConfig::Postgres { url }) => Database::Postgres(url.clone()),
            (None, None, DatabaseConfig::Sqlite { path }) => Database::Sqlite(path.clone()),
        }
    }

    /// For messages: the file's path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => format!("PostgreSQL {}", redact(url)),
        }
    }

    /// The global option that selects this database, for commands to suggest
    /// (empty for the default file).
    pub fn option(&self) -> String {
        match self {
            Database::Sqlite(path) if path == Path::new("coffer.db") => String::new(),
            Database::Sqlite(path) => format!(" --db {}", path.display()),
            Database::Postgres(url) => format!(" --database-url '{}'", redact(url)),
        }
    }
}

/// The configuration named by `--config`/`COFFER_CONFIG` with the environment's
/// overrides, or a `config_invalid` error listing every problem (exit code 2).
pub fn load_config(global: &Global) -> CliResult<Config> {
    config::load_from_env(global.config.as_deref()).map_err(|errors| config_error(&errors))
}

pub fn config_error(errors: &[config::ConfigError]) -> CliError {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let field = errors.first().map(|e| e.key.clone());
    CliError {
        code: "config_invalid".into(),
        field,
        message: format!("invalid configuration:\n  {}", lines.join("\n  ")),
    }
}

/// A relative e-mail directory is read from the SQLite file's folder, so the demo's
/// messages land next to its database, and tests on temporary files write nothing into
/// the directory they happen to run in. With PostgreSQL it stays relative to the
/// working directory.
fn mail_beside_database(mut config: Config, db: &Database) -> Config {
    if let (config::EmailSender::File { dir }, Database::Sqlite(path)) = (&mut config.email.sender, db) {
        if dir.is_relative() {
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                *dir = folder.join(&*dir);
            }
        }
    }
    config
}

pub fn open(global: &Global) -> CliResult<Ctx> {
    let config = load_config(global)?;
    let clock: Arc<dyn Clock> = match &global.now {
        Some(text) => Arc::new(ManualClock::new(parse_now(text)?)),
        None => Arc::new(SystemClock),
    };
    let db = Database::from_global(global, &config);
    let config = mail_beside_database(config, &db);
    // A key given in the environment is checked before the database is touched.
    let env_key = env_code_key()?;
    let (store, auth_store, key): (Arc<dyn Store>, Arc<dyn AuthStore>, Vec<u8>) = match &db {
        Database::Sqlite(path) => {
            let store = SqliteStore::open(path)
                .map_err(|e| CliError::internal(format!("cannot open database {}: {e}", path.display())))?;
            let key = match env_key {
                Some(key) => key,
                None => file_code_key(path)?,
            };
            let store = Arc::new(store);
            (store.clone(), store, key)
        }
        Database::Postgres(url) => {
            // No file to keep a key next to, and every server sharing the database
            // must hash codes with the same key: it has to come from the environment.
            let key = env_key.ok_or_else(|| {
                CliError::invalid(
                    "code_key",
                    format!(
                        "{CODE_KEY_ENV} must be set with --database-url (hex, at least 16 bytes, the same for \
                         every process on the database): activation codes are stored as keyed hashes, and \
                         PostgreSQL has no database file to keep a key file next to"
                    ),
                )
            })?;
            let store = PostgresStore::connect(url)
                .map_err(|e| CliError::internal(format!("cannot open database {}: {e}", db.describe())))?;
            let store = Arc::new(store);
            (store.clone(), store, key)
        }
    };
    let auth = Auth::new(auth_store, clock.clone());
    let mut app_config = AppConfig::with_code_key(key);
    app_config.arrears_grace_days = config.arrears.grace_days;
    let app = App::new(store, app_config, clock);
    Ok(Ctx { app, auth, db, config })
}

/// A connection string without its password: `postgres://user:***@host/db`, or
/// `password=***` in a `key=value` string.
pub(crate) fn redact(url: &str) -> String {
    for scheme in ["postgresql://", "postgres://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let Some((userinfo, host)) = authority.rsplit_once('@') else {
                return url.to_owned();
            };
            let user = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                None => userinfo.to_owned(),
            };
            return format!("{scheme}{user}@{host}{tail}");
        }
    }
    url.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k.trim() == "password" => "password=***".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key in `COFFER_CODE_KEY`, if set.
fn env_code_key() -> CliResult<Option<Vec<u8>>> {
    let Ok(hex) = std::env::var(CODE_KEY_ENV) else {
        return Ok(None);
    };
    codes::parse_key_hex(hex.trim()).map(Some).map_err(|e| {
        let why = e.message.trim_start_matches("code_key: ");
        CliError::invalid("code_key", format!("{CODE_KEY_ENV} {why}"))
    })
}

/// The key in `<db>.code-key`, created on first use.
fn file_code_key(db: &Path) -> CliResult<Vec<u8>> {
    let mut path = OsString::from(db.as_os_str());
    path.push(".code-key");
    Ok(codes::load_or_create_key(Path::new(&path))?)
}

/// An RFC 3339 instant with an offset, or integer epoch milliseconds.
pub fn parse_now(text: &str) -> CliResult<Timestamp> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(Timestamp(ms));
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| CliError::invalid("now", "must be an RFC 3339 instant with offset or epoch milliseconds"))
}

impl Ctx {
    pub fn account(&self, id: i64) -> CliResult<AccountRecord> {
        Ok(self.app.read(|r| input::account(r, AccountId(id)))?)
    }
}

/// The time zone of an account (validated when the account was created).
pub fn zone_of(account: &AccountRecord) -> CliResult<TimeZone> {
    Ok(tz::zone(&account.account.time_zone)?)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_left_out_of_connection_strings() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/coffer?x=1"), "postgres://app:***@db:5432/coffer?x=1");
        assert_eq!(redact("postgresql://app@db/coffer"), "postgresql://app@db/coffer");
        assert_eq!(redact("postgres://db/coffer"), "postgres://db/coffer");
        assert_eq!(redact("host=db user=app password=s3cret dbname=c"), "host=db user=app password=*** dbname=c");
    }
}
