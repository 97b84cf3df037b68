//! The end-to-end harness: starts the real local runtime (`wrangler dev`, i.e. workerd with
//! real Durable Objects and D1) on a free loopback port with a throwaway state directory, and
//! an HTTP client with one method per endpoint.

pub mod client;
pub mod runtime;
pub mod sink;

pub use client::{Api, Reply};
pub use runtime::Runtime;
pub use sink::Sink;

/// A string no other test run produces, for values that must be findable (or not) on disk.
pub fn unique(label: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("randomness");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{label}-{hex}")
}
