//! The end-to-end harness: starts the real local runtime (`wrangler dev`, i.e. workerd with
//! real Durable Objects and D1) on a free loopback port with a throwaway state directory, and
//! an HTTP client with one method per endpoint.

pub mod argocd;
pub mod client;
pub mod echo;
pub mod runtime;
pub mod sink;

pub use client::{Api, Reply};
pub use echo::Echo;
pub use runtime::Runtime;
pub use sink::Sink;

/// A string no other test run produces, for values that must be findable (or not) on disk.
pub fn unique(label: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("randomness");
    format!("{label}-{}", latchkey_core::hex::encode(&bytes))
}

/// Every secret value the tests stored through [`secret_value`]: scanned for on disk after
/// the whole suite (none may be there in plain).
pub static SECRET_VALUES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// What every value from [`secret_value`] starts with, so the at-rest scan looks for one
/// marker instead of hundreds of needles.
pub const SECRET_MARKER: &str = "lkvsecret-";

/// `SECRET_MARKER` + 24 hex digits: the part of a value the scan compares.
pub const SECRET_KEY_LEN: usize = SECRET_MARKER.len() + 24;

/// A unique secret value, remembered for the final at-rest scan.
pub fn secret_value(label: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("randomness");
    let hex = latchkey_core::hex::encode(&bytes);
    let value = format!("{SECRET_MARKER}{hex}-{label}");
    if let Ok(mut values) = SECRET_VALUES.lock() {
        values.push(value.clone());
    }
    value
}
