//! An authenticated caller's commands, by area. Each area's file declares its commands, each
//! one's reply type, and each one's [`Rules`] in one exhaustive match.

use crate::rules::Rules;
use serde::{Deserialize, Serialize};

pub mod access_requests;
pub mod agent_plane;
pub mod agents;
pub mod approvals;
pub mod ass;
pub mod audit;
pub mod broker;
pub mod carried;
pub mod console;
pub mod discovered;
pub mod envelopes;
pub mod fields;
pub mod gitops;
pub mod maestro;
pub mod metrics;
pub mod notifications;
pub mod passwords;
pub mod people;
pub mod projects;
pub mod secrets;
pub mod socket;
pub mod tenant;
pub mod tokens;
pub mod vault;
pub mod vault002;
pub mod workflows;
pub mod wraps;

/// A command from an authenticated caller.
#[derive(Debug, Serialize, Deserialize)]
pub enum CallerCommand {
    Secrets(secrets::SecretCommand),
    Fields(fields::FieldCommand),
    Tenant(tenant::TenantCommand),
    Tokens(tokens::TokenCommand),
    Approvals(approvals::ApprovalCommand),
    Notifications(notifications::NotificationCommand),
    Audit(audit::AuditCommand),
    Agents(agents::AgentsCommand),
    Passwords(passwords::PasswordCommand),
    People(people::PeopleCommand),
    AccessRequests(access_requests::AccessRequestCommand),
    Wraps(wraps::WrapCommand),
    Vault(vault::VaultCommand),
    Vault002(vault002::Vault002Command),
    Broker(broker::BrokerCommand),
    Maestro(maestro::MaestroCommand),
    Ass(ass::AssCommand),
    AgentPlane(agent_plane::AgentPlaneCommand),
    Envelopes(envelopes::EnvelopeCommand),
    Discovered(discovered::DiscoveredCommand),
    Carried(carried::CarriedCommand),
    Socket(socket::SocketCommand),
    Gitops(gitops::GitopsCommand),
    Metrics(metrics::MetricsCommand),
    Projects(projects::ProjectCommand),
    Console(console::ConsoleCommand),
    Workflows(workflows::WorkflowCommand),
}

impl CallerCommand {
    /// Every caller command, by name.
    pub fn names() -> impl Iterator<Item = &'static str> {
        [
            secrets::SecretCommand::NAMES,
            fields::FieldCommand::NAMES,
            tenant::TenantCommand::NAMES,
            tokens::TokenCommand::NAMES,
            approvals::ApprovalCommand::NAMES,
            notifications::NotificationCommand::NAMES,
            audit::AuditCommand::NAMES,
            agents::AgentsCommand::NAMES,
            passwords::PasswordCommand::NAMES,
            people::PeopleCommand::NAMES,
            access_requests::AccessRequestCommand::NAMES,
            wraps::WrapCommand::NAMES,
            vault::VaultCommand::NAMES,
            vault002::Vault002Command::NAMES,
            broker::BrokerCommand::NAMES,
            maestro::MaestroCommand::NAMES,
            ass::AssCommand::NAMES,
            agent_plane::AgentPlaneCommand::NAMES,
            envelopes::EnvelopeCommand::NAMES,
            discovered::DiscoveredCommand::NAMES,
            carried::CarriedCommand::NAMES,
            socket::SocketCommand::NAMES,
            gitops::GitopsCommand::NAMES,
            metrics::MetricsCommand::NAMES,
            projects::ProjectCommand::NAMES,
            console::ConsoleCommand::NAMES,
            workflows::WorkflowCommand::NAMES,
        ]
        .into_iter()
        .flatten()
        .copied()
    }

    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            CallerCommand::Secrets(command) => command.name(),
            CallerCommand::Fields(command) => command.name(),
            CallerCommand::Tenant(command) => command.name(),
            CallerCommand::Tokens(command) => command.name(),
            CallerCommand::Approvals(command) => command.name(),
            CallerCommand::Notifications(command) => command.name(),
            CallerCommand::Audit(command) => command.name(),
            CallerCommand::Agents(command) => command.name(),
            CallerCommand::Passwords(command) => command.name(),
            CallerCommand::People(command) => command.name(),
            CallerCommand::AccessRequests(command) => command.name(),
            CallerCommand::Wraps(command) => command.name(),
            CallerCommand::Vault(command) => command.name(),
            CallerCommand::Vault002(command) => command.name(),
            CallerCommand::Broker(command) => command.name(),
            CallerCommand::Maestro(command) => command.name(),
            CallerCommand::Ass(command) => command.name(),
            CallerCommand::AgentPlane(command) => command.name(),
            CallerCommand::Envelopes(command) => command.name(),
            CallerCommand::Discovered(command) => command.name(),
            CallerCommand::Carried(command) => command.name(),
            CallerCommand::Socket(command) => command.name(),
            CallerCommand::Gitops(command) => command.name(),
            CallerCommand::Metrics(command) => command.name(),
            CallerCommand::Projects(command) => command.name(),
            CallerCommand::Console(command) => command.name(),
            CallerCommand::Workflows(command) => command.name(),
        }
    }

    /// The command's rules ([`crate::rules`]).
    pub fn rules(&self) -> Rules {
        match self {
            CallerCommand::Secrets(command) => command.rules(),
            CallerCommand::Fields(command) => command.rules(),
            CallerCommand::Tenant(command) => command.rules(),
            CallerCommand::Tokens(command) => command.rules(),
            CallerCommand::Approvals(command) => command.rules(),
            CallerCommand::Notifications(command) => command.rules(),
            CallerCommand::Audit(command) => command.rules(),
            CallerCommand::Agents(command) => command.rules(),
            CallerCommand::Passwords(command) => command.rules(),
            CallerCommand::People(command) => command.rules(),
            CallerCommand::AccessRequests(command) => command.rules(),
            CallerCommand::Wraps(command) => command.rules(),
            CallerCommand::Vault(command) => command.rules(),
            CallerCommand::Vault002(command) => command.rules(),
            CallerCommand::Broker(command) => command.rules(),
            CallerCommand::Maestro(command) => command.rules(),
            CallerCommand::Ass(command) => command.rules(),
            CallerCommand::AgentPlane(command) => command.rules(),
            CallerCommand::Envelopes(command) => command.rules(),
            CallerCommand::Discovered(command) => command.rules(),
            CallerCommand::Carried(command) => command.rules(),
            CallerCommand::Socket(command) => command.rules(),
            CallerCommand::Gitops(command) => command.rules(),
            CallerCommand::Metrics(command) => command.rules(),
            CallerCommand::Projects(command) => command.rules(),
            CallerCommand::Console(command) => command.rules(),
            CallerCommand::Workflows(command) => command.rules(),
        }
    }
}
