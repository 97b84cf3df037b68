//! The tenant Durable Object: one per tenant, SQLite-backed, the only writer of that tenant's
//! secrets. This crate holds its logic (the contract the Worker calls it by is `latchkey-contract`);
//! this crate is also the object's deployable script ([`script`], `wrangler.tenant.toml`), which
//! registers the class (`TenantObject`) and forwards to [`tenant::Tenant`].

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

mod access_requests;
mod agents;
mod approvals;
mod audit;
mod audit_copy;
mod audit_mapping;
mod authorization;
mod broker;
mod console;
mod faces;
mod fields;
mod gitops;
mod listing;
mod maestro;
mod maintenance;
mod oauth;
pub mod object;
mod outbox;
mod people;
mod policies;
mod projects;
mod rows;
pub mod schema;
pub mod script;
mod secret_cache;
mod secret_rows;
mod secrets;
pub mod sql;
mod store;
pub mod tenant;
mod vault;
mod vault002;
mod workflow_rules;
mod workflows;
mod wraps;
