//! `/v1/agents`: bootstrap tokens, registration, the agents' own routes (`/v1/agents/me/…`),
//! the fleet, grants and discovery.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::discovery::import::{DiscoveryImport, DiscoveryImported};
use latchkey_core::agent::discovery::{
    DiscoveredCertificate, DiscoveredSshKey, DiscoveryStored, Sighting, SshKeyPage, SshKeyQuery,
};
use latchkey_core::agent::{
    AgentActivity, AgentCommand, AgentId, AgentJwtIssued, AgentQuery, AgentSettings, AgentSummary,
    BootstrapCreated, BootstrapRequest, CommandRequest, GrantId, HealthReport, Pagination,
    Registered, Registration,
};
use latchkey_core::grant::{Grant, GrantRequest};
use latchkey_core::scope::Scope;
use latchkey_core::secret::SecretSummary;
use serde::{Deserialize, Serialize};

/// `POST /v1/agents/bootstrap`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateBootstrap {
    pub request: BootstrapRequest,
}

/// `POST /v1/agents/register`: the caller's credential is the bootstrap token.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisterAgent {
    pub registration: Registration,
}

/// `POST /v1/agents/me/refresh-token`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshAgentToken;

/// `POST /v1/agents/me/health`: answered with the commands queued for the agent.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportHealth {
    pub report: HealthReport,
}

/// `GET /v1/agents/me/secrets`: the agent's grants and the secrets they reach.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentSecrets;

#[derive(Debug, Serialize, Deserialize)]
pub struct ListAgents {
    pub query: AgentQuery,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeAgent {
    pub id: AgentId,
}

/// `POST /v1/agents/{id}/reinstate` (admin): undoes a cascade's suspension.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReinstateAgent {
    pub id: AgentId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct QueueAgentCommand {
    pub id: AgentId,
    pub command: CommandRequest,
}

/// `GET /v1/agents/{id}/commands`: its newest commands and jobs (`limit` of each).
#[derive(Debug, Serialize, Deserialize)]
pub struct ListAgentCommands {
    pub id: AgentId,
    pub limit: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetAgentSettings;

#[derive(Debug, Serialize, Deserialize)]
pub struct SetAgentSettings {
    pub settings: AgentSettings,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateGrant {
    pub request: GrantRequest,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListGrants {
    pub agent_id: Option<AgentId>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteGrant {
    pub id: GrantId,
}

/// `POST /v1/agents/me/discovery/certificates`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportCertificates {
    pub certificates: Vec<DiscoveredCertificate>,
}

/// `POST /v1/agents/me/ssh-discovery`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportSshKeys {
    pub keys: Vec<DiscoveredSshKey>,
}

/// `GET /v1/agents/{id}/discovery`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentDiscovery {
    pub id: AgentId,
}

/// `GET /v1/agents/me/certificates`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentCertificates;

/// `POST /v1/agents/{id}/discovery/import`: a reported certificate or SSH key taken under
/// management.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportDiscovered {
    pub id: AgentId,
    pub import: DiscoveryImport,
}

/// `GET /api/v1/ssh/discovery` (and `/v1/ssh/discovery`): every agent's SSH keys.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListSshKeys {
    pub query: SshKeyQuery,
}

/// An agent's grants and the secrets they reach (metadata only).
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentReach {
    pub grants: Vec<Grant>,
    pub secrets: Vec<SecretSummary>,
}

/// One page of the fleet.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentPage {
    pub data: Vec<AgentSummary>,
    pub pagination: Pagination,
}

/// What an agent reported having found.
#[derive(Debug, Serialize, Deserialize)]
pub struct Discovery {
    pub agent_id: AgentId,
    pub certificates: Vec<Sighting<DiscoveredCertificate>>,
    pub ssh_keys: Vec<Sighting<DiscoveredSshKey>>,
}

area! {
    pub enum AgentsCommand in CallerCommand::Agents {
        CreateBootstrap => BootstrapCreated,
        RegisterAgent => Registered,
        RefreshAgentToken => AgentJwtIssued,
        ReportHealth => Vec<AgentCommand>,
        AgentSecrets => AgentReach,
        ListAgents => AgentPage,
        RevokeAgent => (),
        ReinstateAgent => (),
        QueueAgentCommand => AgentCommand,
        ListAgentCommands => AgentActivity,
        GetAgentSettings => AgentSettings,
        SetAgentSettings => AgentSettings,
        CreateGrant => Grant,
        ListGrants => Vec<Grant>,
        DeleteGrant => (),
        ReportCertificates => DiscoveryStored,
        ReportSshKeys => DiscoveryStored,
        AgentDiscovery => Discovery,
        AgentCertificates => Vec<Sighting<DiscoveredCertificate>>,
        ImportDiscovered => DiscoveryImported,
        ListSshKeys => SshKeyPage,
    }
}

impl AgentsCommand {
    pub fn rules(&self) -> Rules {
        use AgentsCommand as C;
        use Audit::Event;
        use Cache::Empties;
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::Nothing;
        let admin = || Access::Scope(Scope::AgentsAdmin);
        let agent = || Access::Agent;
        let row = |access, event, effect| Rules::of(access, event, Nothing, Empties, Use, effect);
        match self {
            C::CreateBootstrap(_) => row(admin(), Event("agent.bootstrap_created"), Writes),
            C::RegisterAgent(_) => row(Access::Bootstrap, Event("agent.registered"), Writes),
            C::RefreshAgentToken(_) => row(agent(), Event("agent.token_refreshed"), Writes),
            // Every agent reports every interval: its last report is on its row, and the
            // trail would otherwise be mostly heartbeats.
            C::ReportHealth(_) => row(agent(), Audit::RefusalsOnly("agent.heartbeat"), Writes),
            C::AgentSecrets(_) => row(agent(), Event("agent.secrets_listed"), Reads),
            C::ListAgents(_) => row(admin(), Event("agent.listed"), Reads),
            C::RevokeAgent(_) => row(admin(), Event("agent.revoked"), Writes),
            // Undoing a cascade's suspension is the tenant's admin's call alone.
            C::ReinstateAgent(_) => row(
                Access::Scope(Scope::Admin),
                Event("agent.reinstated"),
                Writes,
            ),
            C::QueueAgentCommand(_) => row(admin(), Event("agent.command_queued"), Writes),
            C::ListAgentCommands(_) => row(admin(), Event("agent.commands_listed"), Reads),
            C::GetAgentSettings(_) => row(admin(), Event("agent.settings_read"), Reads),
            C::SetAgentSettings(_) => row(admin(), Event("agent.settings_updated"), Writes),
            C::CreateGrant(_) => row(admin(), Event("grant.created"), Writes),
            C::ListGrants(_) => row(admin(), Event("grant.listed"), Reads),
            C::DeleteGrant(_) => row(admin(), Event("grant.deleted"), Writes),
            C::ReportCertificates(_) => {
                row(agent(), Event("agent.certificates_discovered"), Writes)
            }
            C::ReportSshKeys(_) => row(agent(), Event("agent.ssh_keys_discovered"), Writes),
            C::AgentDiscovery(_) => row(admin(), Event("agent.discovery_read"), Reads),
            C::AgentCertificates(_) => row(agent(), Event("agent.certificates_listed"), Reads),
            C::ImportDiscovered(_) => row(admin(), Event("agent.discovery_imported"), Writes),
            // Seed 000's `ssh:discover`; `agents:admin` covers it.
            C::ListSshKeys(_) => row(
                Access::Scope(Scope::SshDiscover),
                Event("agent.ssh_keys_listed"),
                Reads,
            ),
        }
    }
}
