//! The tenant Durable Object: one per tenant, SQLite-backed, the only writer of that tenant's
//! secrets. This crate holds its logic (the contract the Worker calls it by is `latchkey-contract`);
//! the deployable crate registers it as a class (`TenantObject`) and forwards to [`tenant::Tenant`].

/// Logs an internal error: the platform's console in a deployment, stderr on the host (the
/// native tests), where the platform's console does not exist.
macro_rules! log_error {
    ($($arg:tt)*) => {{
        #[cfg(target_arch = "wasm32")]
        worker::console_error!($($arg)*);
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!($($arg)*);
    }};
}

pub mod access;
pub mod access_requests;
pub mod agents;
pub mod approvals;
pub mod audit;
pub mod audit_copy;
pub mod broker;
pub mod fields;
pub mod gate;
pub mod listing;
pub mod maintenance;
pub mod notifications;
pub mod object;
pub mod people;
pub mod provenance;
pub mod schema;
pub mod secret_cache;
pub mod secrets;
pub mod sql;
pub mod store;
pub mod tenant;
pub mod token_cache;
pub mod vault;
pub mod wraps;
