//! The tenant Durable Object: one per tenant, SQLite-backed, the only writer of that tenant's
//! secrets. This crate holds its logic (the contract the Worker calls it by is `latchkey-contract`);
//! the deployable crate registers it as a class (`TenantObject`) and forwards to [`tenant::Tenant`].

pub mod access;
pub mod agents;
pub mod approvals;
pub mod audit;
pub mod audit_copy;
pub mod broker;
pub mod fields;
pub mod gate;
pub mod kv;
pub mod listing;
pub mod maintenance;
pub mod notifications;
pub mod people;
pub mod provenance;
pub mod requests;
pub mod schema;
pub mod secret_cache;
pub mod secrets;
pub mod sql;
pub mod store;
pub mod tenant;
pub mod token_cache;
pub mod wraps;
