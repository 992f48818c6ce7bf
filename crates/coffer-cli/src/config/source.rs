//! Where settings come from: the TOML file flattened to dotted keys, environment
//! overrides (`COFFER_` + the key in upper case with `.` as `_`), and defaults.
//! Every read records the effective value and its origin for `coffer config check`,
//! and every problem becomes an error naming the key.

use std::collections::BTreeMap;
use std::fmt;

/// One problem with one setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key, such as `server.listen`.
    pub key: String,
    /// Where the bad value came from: `file`, `env COFFER_...`, or empty.
    pub origin: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin.is_empty() {
            true => write!(f, "{}: {}", self.key, self.message),
            false => write!(f, "{} (from {}): {}", self.key, self.origin, self.message),
        }
    }
}

/// Where an effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File,
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File => f.write_str("file"),
            Origin::Env(name) => write!(f, "env {name}"),
        }
    }
}

/// An effective setting as `coffer config check` prints it (secrets already redacted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

enum Raw {
    Toml(toml::Value),
    Env(String, String),
}

/// The settings being read.
pub struct Source<'a> {
    file: BTreeMap<String, toml::Value>,
    env: &'a dyn Fn(&str) -> Option<String>,
    pub errors: Vec<ConfigError>,
    pub effective: Vec<Effective>,
}

/// The environment variable that overrides `key`.
pub fn env_name(key: &str) -> String {
    format!("COFFER_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// How a setting is shown: secrets are never printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Plain,
    Secret,
}

impl<'a> Source<'a> {
    pub fn new(table: Option<toml::Table>, env: &'a dyn Fn(&str) -> Option<String>) -> Source<'a> {
        let mut file = BTreeMap::new();
        if let Some(table) = table {
            flatten("", table, &mut file);
        }
        Source { file, env, errors: Vec::new(), effective: Vec::new() }
    }

    fn raw(&mut self, key: &str) -> Option<Raw> {
        let name = env_name(key);
        if let Some(value) = (self.env)(&name) {
            self.file.remove(key);
            return Some(Raw::Env(name, value));
        }
        self.file.remove(key).map(Raw::Toml)
    }

    pub fn error(&mut self, key: &str, origin: &Origin, message: impl Into<String>) {
        let origin = match origin {
            Origin::Default => String::new(),
            other => other.to_string(),
        };
        self.errors.push(ConfigError { key: key.to_owned(), origin, message: message.into() });
    }

    fn record(&mut self, key: &str, value: String, origin: Origin) {
        self.effective.push(Effective { key: key.to_owned(), value, origin });
    }

    /// A string setting, `None` when absent everywhere.
    pub fn opt_string(&mut self, key: &str, shown: Shown) -> Option<(String, Origin)> {
        let (value, origin) = match self.raw(key)? {
            Raw::Toml(toml::Value::String(s)) => (s, Origin::File),
            Raw::Env(name, s) => (s, Origin::Env(name)),
            Raw::Toml(other) => {
                self.error(key, &Origin::File, format!("must be a string, not {}", other.type_str()));
                return None;
            }
        };
        let display = match shown {
            Shown::Plain => format!("{value:?}"),
            Shown::Secret => "\"***\"".to_owned(),
        };
        self.record(key, display, origin.clone());
        Some((value, origin))
    }

    /// Lists an optional setting nobody set, so `coffer config check` shows every key.
    pub fn unset(&mut self, key: &str) {
        self.record(key, "(not set)".to_owned(), Origin::Default);
    }

    pub fn string(&mut self, key: &str, default: &str) -> (String, Origin) {
        self.opt_string(key, Shown::Plain).unwrap_or_else(|| {
            self.record(key, format!("{default:?}"), Origin::Default);
            (default.to_owned(), Origin::Default)
        })
    }

    /// One of `choices`.
    pub fn choice(&mut self, key: &str, choices: &[&'static str], default: &'static str) -> &'static str {
        let (value, origin) = self.string(key, default);
        match choices.iter().find(|c| **c == value) {
            Some(c) => c,
            None => {
                self.error(key, &origin, format!("must be one of {}, not {value:?}", quoted(choices)));
                default
            }
        }
    }

    pub fn bool(&mut self, key: &str, default: bool) -> bool {
        let (value, origin) = match self.raw(key) {
            None => {
                self.record(key, default.to_string(), Origin::Default);
                return default;
            }
            Some(Raw::Toml(toml::Value::Boolean(b))) => (Some(b), Origin::File),
            Some(Raw::Toml(other)) => {
                self.error(key, &Origin::File, format!("must be true or false, not {}", other.type_str()));
                return default;
            }
            Some(Raw::Env(name, text)) => (text.parse::<bool>().ok(), Origin::Env(name)),
        };
        match value {
            Some(b) => {
                self.record(key, b.to_string(), origin);
                b
            }
            None => {
                self.error(key, &origin, "must be true or false");
                default
            }
        }
    }

    /// A whole number within `min..=max`.
    pub fn uint(&mut self, key: &str, default: u64, min: u64, max: u64) -> u64 {
        let (value, origin) = match self.raw(key) {
            None => {
                self.record(key, default.to_string(), Origin::Default);
                return default;
            }
            Some(Raw::Toml(toml::Value::Integer(i))) => (u64::try_from(i).ok(), Origin::File),
            Some(Raw::Toml(other)) => {
                self.error(key, &Origin::File, format!("must be a whole number, not {}", other.type_str()));
                return default;
            }
            Some(Raw::Env(name, text)) => (text.trim().parse::<u64>().ok(), Origin::Env(name)),
        };
        match value {
            Some(n) if (min..=max).contains(&n) => {
                self.record(key, n.to_string(), origin);
                n
            }
            _ => {
                self.error(key, &origin, format!("must be a whole number from {min} to {max}"));
                default
            }
        }
    }

    /// Every file key nobody asked for is an error: a misspelt key must not be
    /// silently ignored.
    pub fn finish(mut self) -> (Vec<ConfigError>, Vec<Effective>) {
        let unknown: Vec<String> = self.file.keys().cloned().collect();
        for key in unknown {
            self.error(&key, &Origin::File, "unknown key");
        }
        (self.errors, self.effective)
    }
}

fn flatten(prefix: &str, table: toml::Table, out: &mut BTreeMap<String, toml::Value>) {
    for (key, value) in table {
        let path = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&path, inner, out),
            leaf => {
                out.insert(path, leaf);
            }
        }
    }
}

fn quoted(choices: &[&str]) -> String {
    choices.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
}
