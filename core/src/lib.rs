//! Latchkey's domain, free of any platform: it compiles and is tested natively with
//! `cargo test`, and runs unchanged inside the Worker and the tenant Durable Object.
//!
//! The Worker and the Durable Object translate HTTP and storage into calls on this crate;
//! everything that decides something (parsing, validation, crypto, errors) lives here.

#[macro_use]
mod id;

pub mod access_request;
pub mod agent;
pub mod approval;
pub mod audit;
pub mod body;
pub mod broker;
pub mod carried;
pub mod console;
pub mod credential;
pub mod crypto;
pub mod delivery;
pub mod error;
pub mod faces;
pub mod field;
pub mod fuzzing;
pub mod gate;
pub mod generate;
pub mod gitops;
pub mod grant;
pub mod hex;
pub mod jwt;
pub mod listing;
pub mod mcp;
pub mod metrics;
pub mod netaddr;
pub mod notification;
pub mod oauth;
pub mod path;
pub mod people;
pub mod principal;
pub mod project;
pub mod provenance;
pub mod public_url;
pub mod ratelimit;
pub mod review;
pub mod role;
pub mod route;
pub mod scope;
pub mod secret;
pub mod stage;
pub mod tenant;
pub mod time;
pub mod token;
pub mod value;
pub mod vault;
pub mod workflow;
pub mod wrap;

pub use error::{ApiError, ErrorCode};
pub use path::SecretPath;
pub use tenant::{Plan, TenantId};
pub use time::Timestamp;
