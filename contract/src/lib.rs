//! The typed contract between the Worker (caller) and the tenant Durable Object (callee): the
//! binding's name, how an instance is named, and every command that crosses, each tied to
//! its reply type and to the channel it arrives on.
//!
//! A command is a struct implementing [`Command`]: its `Reply` is what the object answers and
//! its `Channel` is the only way it can be sent. The Worker asks for a command and gets that
//! command's reply type, or an error; there is no reply enum to match and no "cannot happen"
//! arm. Channels:
//!
//! - [`CallerCommand`]: an authenticated caller's, grouped by area ([`caller`]); each carries
//!   its [`Rules`] (scope, audit event, cache effect, use, mutation), stated once per command;
//! - [`OperatorCommand`]: the operator routes' (creating a tenant, setting its plan);
//! - [`PublicCommand`]: no bearer credential (login, unwrap, the broker's report);
//! - [`LinkCommand`]: an approval link's, whose signed token is the credential;
//! - [`ProbeCommand`]: readiness and the benchmark's baseline.
//!
//! Changing [`tenant_instance_name`] strands every tenant's data: a test pins it.

use latchkey_core::credential::PresentedCredential;
use latchkey_core::ratelimit::RateState;
use latchkey_core::{ApiError, TenantId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

#[macro_use]
mod declare;
pub mod caller;
pub mod link;
pub mod operator;
pub mod probe;
pub mod public;
pub mod rules;

pub use caller::CallerCommand;
pub use link::LinkCommand;
pub use operator::OperatorCommand;
pub use probe::ProbeCommand;
pub use public::PublicCommand;
pub use rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};

/// The `[[durable_objects.bindings]]` name in `wrangler.toml`.
pub const TENANT_BINDING: &str = "TENANT";

/// The name a tenant's object is derived from (`idFromName`).
pub fn tenant_instance_name(tenant: &TenantId) -> String {
    format!("tenant:{tenant}")
}

/// The instance the readiness probe pings; it never holds data.
pub const PROBE_INSTANCE_NAME: &str = "probe:readyz";

/// The URL the Worker sends commands to; the object ignores the host.
pub const COMMAND_URL: &str = "https://tenant.latchkey.internal/command";

/// The URL the Worker sends an agent's WebSocket upgrade to (issue 23): the request carries
/// `Upgrade: websocket` and its [`TenantRequest`] (a `ConnectAgent` command with the agent's
/// credential) as JSON in [`SOCKET_REQUEST_HEADER`], as a GET has no body.
pub const SOCKET_URL: &str = "https://tenant.latchkey.internal/socket";

/// The header holding the upgrade's [`TenantRequest`].
pub const SOCKET_REQUEST_HEADER: &str = "X-Latchkey-Request";

/// A command: what it answers, and the channel that carries it.
pub trait Command: Into<Self::Channel> {
    type Reply: Serialize + DeserializeOwned;
    type Channel;
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestOrigin {
    /// `CF-Connecting-IP`, checked against a token's `allowed_ips`.
    pub client_ip: Option<String>,
    /// The request's `X-Request-Id`: the audit events' correlation id.
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
    /// The API the request came through when it is not the REST one's own framing (MCP):
    /// its commands' audit events say so in `details.api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

/// An API that reaches the same commands as REST, named in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Mcp,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Mcp => "mcp",
        }
    }
}

/// One request to a tenant object: its origin and its command, on its channel.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantRequest {
    pub origin: RequestOrigin,
    pub channel: Channel,
}

// One per request, built once and moved once: boxing the large variant would cost an
// allocation for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize, Deserialize)]
pub enum Channel {
    /// An authenticated caller's command, with the caller's credential (its hash: the
    /// plaintext never reaches the object).
    Caller {
        credential: PresentedCredential,
        /// `X-Latchkey-Purpose`, validated by the Worker: recorded with every release.
        purpose: Option<String>,
        /// `None` when the Worker already refused the request (bad input): the object
        /// still authenticates and counts it, so the caller gets the rate-limit state and
        /// an unauthenticated caller learns nothing about validation.
        command: Option<CallerCommand>,
    },
    Operator(OperatorCommand),
    Public(PublicCommand),
    Link(LinkCommand),
    Probe(ProbeCommand),
}

/// The body of every object response: the command's reply (as the JSON of the command's
/// `Reply` type) or its error, and the tenant's rate-limit state when the request was
/// attributed to the tenant.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantResponse {
    pub rate: Option<RateState>,
    pub result: Result<Box<RawValue>, ApiError>,
}

/// Encodes a command's reply for [`TenantResponse::result`].
pub fn encode_reply<R: Serialize>(reply: &R) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::value::to_raw_value(reply)
}

/// Decodes the reply of command `C`.
pub fn decode_reply<C: Command>(raw: &RawValue) -> Result<C::Reply, serde_json::Error> {
    serde_json::from_str(raw.get())
}

impl From<OperatorCommand> for Channel {
    fn from(command: OperatorCommand) -> Self {
        Channel::Operator(command)
    }
}

impl From<PublicCommand> for Channel {
    fn from(command: PublicCommand) -> Self {
        Channel::Public(command)
    }
}

impl From<LinkCommand> for Channel {
    fn from(command: LinkCommand) -> Self {
        Channel::Link(command)
    }
}

impl From<ProbeCommand> for Channel {
    fn from(command: ProbeCommand) -> Self {
        Channel::Probe(command)
    }
}
