//! Discovered secrets (issue 23, seed 001): metadata an agent reports
//! (`POST /api/v1/agents/{id}/secrets/bulk`) and people list (`GET /api/v1/secrets`,
//! `GET /api/v1/secrets/{id}`). Never a value: they are not Latchkey's stored secrets.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovered::{
    DiscoveredPage, DiscoveredQuery, DiscoveredSecret, DiscoveredSecretId, DiscoveredSecretView,
};
use latchkey_core::agent::discovery::DiscoveryStored;
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/agents/{id}/secrets/bulk`: upserts by cluster, provider and reference.
#[derive(Debug, Serialize, Deserialize)]
pub struct UploadDiscovered {
    pub agent_id: AgentId,
    pub secrets: Vec<DiscoveredSecret>,
}

/// `GET /api/v1/secrets`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListDiscovered {
    pub query: DiscoveredQuery,
}

/// `GET /api/v1/secrets/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetDiscovered {
    pub id: DiscoveredSecretId,
}

area! {
    pub enum DiscoveredCommand in CallerCommand::Discovered {
        UploadDiscovered => DiscoveryStored,
        ListDiscovered => DiscoveredPage,
        GetDiscovered => DiscoveredSecretView,
    }
}

impl DiscoveredCommand {
    pub fn rules(&self) -> Rules {
        use DiscoveredCommand as C;
        use Effect::{Reads, Writes};
        let row = |access, event, effect| {
            Rules::of(
                access,
                Audit::Event(event),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                effect,
            )
        };
        // Reading the inventory is reading what the agents discovered: `agents:admin`
        // (seed 000's `agent:admin` for discovery results), as `GET /v1/agents/{id}/discovery`.
        let admin = || Access::Scope(Scope::AgentsAdmin);
        match self {
            C::UploadDiscovered(_) => row(Access::Agent, "agent.secrets_discovered", Writes),
            C::ListDiscovered(_) => row(admin(), "discovered_secret.listed", Reads),
            C::GetDiscovered(_) => row(admin(), "discovered_secret.read", Reads),
        }
    }
}
