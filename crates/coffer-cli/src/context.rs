//! Opening the store and building the App from the global options.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_app::auth::Auth;
use coffer_app::clock::{Clock, ManualClock, SystemClock};
use coffer_app::{codes, input, tz, App, AppConfig};
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::records::AccountRecord;
use coffer_store_sqlite::SqliteStore;
use jiff::tz::TimeZone;

use crate::args::Global;
use crate::error::{CliError, CliResult};

/// The environment variable holding the activation-code key (hex).
pub const CODE_KEY_ENV: &str = "COFFER_CODE_KEY";

pub struct Ctx {
    pub app: App,
    pub auth: Auth,
    pub db: PathBuf,
}

pub fn open(global: &Global) -> CliResult<Ctx> {
    let clock: Arc<dyn Clock> = match &global.now {
        Some(text) => Arc::new(ManualClock::new(parse_now(text)?)),
        None => Arc::new(SystemClock),
    };
    // A key given in the environment is checked before the database is touched.
    let env_key = env_code_key()?;
    let store = SqliteStore::open(&global.db)
        .map_err(|e| CliError::internal(format!("cannot open database {}: {e}", global.db.display())))?;
    let key = match env_key {
        Some(key) => key,
        None => file_code_key(&global.db)?,
    };
    let store = Arc::new(store);
    let auth = Auth::new(store.clone(), clock.clone());
    let app = App::new(store, AppConfig::with_code_key(key), clock);
    Ok(Ctx { app, auth, db: global.db.clone() })
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
