//! Logging: human-readable lines by default, JSON lines for log collectors.

use std::sync::atomic::{AtomicBool, Ordering};
use tracing_subscriber::{EnvFilter, fmt};

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether [`init`] installed JSON logging (so a last error must be JSON too).
pub fn writes_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over the configured filter.
pub fn init(json: bool, filter: &str) -> anyhow::Result<()> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => EnvFilter::try_new(filter)
            .map_err(|error| anyhow::anyhow!("invalid log_filter {filter:?}: {error}"))?,
    };
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        JSON.store(true, Ordering::Relaxed);
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests building several apps) keeps the first subscriber; that is fine.
    let _ = result;
    Ok(())
}
