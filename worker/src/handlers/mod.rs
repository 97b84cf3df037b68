//! One module per resource. A handler parses, calls the domain, and maps the result.

pub mod access_requests;
pub mod admin;
pub mod agents;
pub mod approvals;
pub mod audit;
pub mod fields;
pub mod generate;
pub mod info;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod people;
pub mod probes;
pub mod proxy;
pub mod review;
pub mod secrets;
pub mod tokens;
pub mod vault;

use latchkey_core::Timestamp;
use worker::Date;

pub fn now() -> Timestamp {
    Timestamp::from_unix_ms_f64(Date::now().as_millis() as f64)
}
