//! The agent socket (issue 23, seed 000's `GET /api/v1/agents/me/connect`): the one command an
//! upgrade runs in the tenant object, which authenticates the agent once and hands it what it
//! missed. Frames afterwards are not commands: the object answers them on the socket it
//! accepted (`latchkey_core::agent::socket`).

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::jobs::Job;
use latchkey_core::agent::{AgentCommand, AgentId};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/agents/me/connect` (`id: None`) or `GET /api/v1/agents/{id}/connect`: any id
/// but the caller's is 404.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConnectAgent {
    pub id: Option<AgentId>,
}

/// What a new socket starts with: who it is, and what the agent missed (its undelivered
/// commands, now delivered, and its claimable jobs), oldest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentConnected {
    pub agent_id: AgentId,
    pub heartbeat_interval_seconds: u64,
    pub commands: Vec<AgentCommand>,
    pub jobs: Vec<Job>,
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
