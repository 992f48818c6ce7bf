//! Log setup for `coffer serve`: human-readable text by default, one JSON object
//! per line with `[log] format = "json"`, filtered by `[log] level` (or `RUST_LOG`
//! when set, for a quick debugging session). Lines go to stderr; stdout carries only
//! the banner. Each line written while a request runs carries its `request_id`
//! (the `request` span, see `coffer_http::observe`).

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second initialisation (tests running several servers in one process) keeps the first.
    let _ = match config.format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
