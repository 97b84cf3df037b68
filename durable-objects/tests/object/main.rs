#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The tenant object's logic, natively: the real [`latchkey_durable_objects::tenant::Tenant`]
//! over SQLite on the host, every command sent through the contract as the Worker sends it.
//! The end-to-end tests keep the wire, the runtime and concurrency.

mod store;
mod support;

mod access_requests;
mod agent_plane;
mod agent_socket;
mod agents;
mod approvals;
mod ass;
mod audit;
mod authorization;
mod broker;
mod carried;
mod console;
mod discovery_import;
mod envelopes;
mod faces_vault002;
mod fields;
mod gitops;
mod maestro;
mod metrics;
mod migrations;
mod notifications;
mod oauth;
mod operator;
mod passwords;
mod people;
mod projects;
mod rate_limit;
mod samples;
mod secrets;
mod ssh_discovery;
mod stage_messages;
mod tenant_info;
mod tokens;
mod vault;
mod workflow_requests;
mod workflows;
mod wraps;
