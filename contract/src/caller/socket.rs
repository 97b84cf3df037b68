//! The agent socket (issue 23, seed 000's `GET /api/v1/agents/me/connect`): the one command an
//! upgrade runs in the tenant object, which authenticates the agent once and hands it what it
//! missed. Frames afterwards are not commands: the object answers them on the socket it
//! accepted (`latchkey_core::agent::socket`).

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::AgentId;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/agents/me/connect` (`id: None`) or `GET /api/v1/agents/{id}/connect`: any id
/// but the caller's is 404.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConnectAgent {
    pub id: Option<AgentId>,
    /// `?since=<cursor>`: replay the `secret_changed` notices after it (the audit chain's
    /// `seq`), else `resync`.
    pub since: Option<u64>,
    /// The tenant's open sockets, counted by the object when the upgrade reaches it (never
    /// sent by the Worker): the limit is checked after authentication, so a caller without a
    /// credential learns nothing about the tenant's sockets.
    #[serde(skip)]
    pub sockets_open: usize,
}

/// What a new socket starts with: who it is, and its first frames, in order (`hello`,
/// `resync`, the agent's undelivered commands, now delivered, and its claimable jobs, oldest
/// first), built in the object so the host sends them without decoding jobs or commands.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentConnected {
    pub agent_id: AgentId,
    pub frames: Vec<String>,
    /// How many commands and jobs the frames carry (for the audit event).
    pub commands: usize,
    pub jobs: usize,
}

area! {
    pub enum SocketCommand in CallerCommand::Socket {
        ConnectAgent => AgentConnected,
    }
}

impl SocketCommand {
    pub fn rules(&self) -> Rules {
        match self {
            // Marks the commands it hands over as delivered.
            SocketCommand::ConnectAgent(_) => Rules::of(
                Access::Agent,
                Audit::Event("agent.connected"),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Writes,
            ),
        }
    }
}
