//! What each command's audit event says: its type (from the command's rules), the path it
//! concerns, the details the command carries, and what its reply adds ([`Completes`]).
//! Values never appear: only names, ids, counts and versions.

mod gitops;
mod plane;
mod workflows;

use crate::audit::{Draft, VAULT_ACCESSED};
use latchkey_contract::caller::access_requests::{self as requests, AccessRequestCommand as Req};
use latchkey_contract::caller::agents::{self, AgentsCommand as Agt};
use latchkey_contract::caller::approvals::ApprovalCommand as Apr;
use latchkey_contract::caller::ass::AssCommand as Ass;
use latchkey_contract::caller::carried::CarriedCommand as Car;
use latchkey_contract::caller::discovered::DiscoveredCommand as Dsc;
use latchkey_contract::caller::envelopes::EnvelopeCommand as Env;
use latchkey_contract::caller::fields::FieldCommand as Fld;
use latchkey_contract::caller::maestro::{MaestroCommand as Mae, SecretSet};
use latchkey_contract::caller::passwords::PasswordCommand as Pwd;
use latchkey_contract::caller::people::PeopleCommand as Ppl;
use latchkey_contract::caller::projects::ProjectCommand as Prj;
use latchkey_contract::caller::secrets::{SecretCommand as Sec, SecretJson};
use latchkey_contract::caller::tokens::{TokenCommand as Tok, TokenMinted};
use latchkey_contract::caller::vault::{self, VaultCommand as Kv};
use latchkey_contract::caller::vault002::Vault002Command as V2;
use latchkey_contract::caller::wraps::WrapCommand;
use latchkey_contract::caller::{audit::StreamEvents, broker::BrokerCommand};
use latchkey_contract::link::{LinkCommand, LinkReview};
use latchkey_contract::operator::OperatorCommand;
use latchkey_contract::public::PublicCommand;
use latchkey_contract::{Audit, CallerCommand, Rules};
use latchkey_core::access_request::AccessRequestView;
use latchkey_core::agent::discovery::{DiscoveredCertificate, DiscoveryStored, Sighting};
use latchkey_core::agent::password::PasswordRequestView;
use latchkey_core::agent::{
    AgentCommand, AgentJwtIssued, AgentSettings, BootstrapCreated, Registered,
};
use latchkey_core::approval::{ApprovalView, Policies};
use latchkey_core::audit::{AuditPage, VerifyReport};
use latchkey_core::broker::Released;
use latchkey_core::faces::ass::wire::{Imported, NamespaceCount, SecretWritten};
use latchkey_core::field::{FieldRead, FieldStored, Fields, FieldsStored};
use latchkey_core::grant::Grant;
use latchkey_core::listing::SecretPage;
use latchkey_core::people::{KdfParams, LoginIssued, UserView};
use latchkey_core::role::{RoleView, UserRoleView};
use latchkey_core::secret::{
    SecretCreated, SecretRotated, SecretSummary, SecretUpdated, VersionInfo,
};
use latchkey_core::tenant::TenantInfo;
use latchkey_core::token::TokenSummary;
use latchkey_core::vault::{KvMetadata, KvRead, KvVersion};
use latchkey_core::wrap::{Unwrapped, WrapCreated, WrapSummary};
use latchkey_core::{ApiError, Timestamp};
use serde_json::{Value, json};

/// The event a caller's command will record, before its result is known. A command whose
/// rules record nothing gets a draft that is never written (the rate limiter reads its path).
pub fn draft_for(command: &CallerCommand, rules: &Rules) -> Draft {
    let event_type = rules.audit.event_type().unwrap_or("unrecorded");
    let mut draft = Draft::new(event_type, path_of(command));
    if let CallerCommand::Vault(_) = command {
        draft = draft.detail("api", "vault");
    }
    if let CallerCommand::Maestro(_) = command {
        draft = draft.detail("api", "maestro");
    }
    if let CallerCommand::Ass(_) = command {
        draft = draft.detail("api", "agentsecretstore");
    }
    details(command, draft)
}

/// An agent's direct read of a stored value is `vault.accessed` (`vault.denied` when refused).
pub fn as_agent_read(draft: Draft, rules: &Rules) -> Draft {
    match rules.audit {
        Audit::Read(_) => Draft {
            event_type: VAULT_ACCESSED.into(),
            ..draft
        },
        Audit::Event(_) | Audit::AfterReport(_) | Audit::RefusalsOnly(_) | Audit::NotRecorded => {
            draft
        }
    }
}

fn path_of(command: &CallerCommand) -> Option<String> {
    let path = match command {
        CallerCommand::Secrets(command) => match command {
            Sec::CreateSecret(c) => &c.secret.path,
            Sec::GetSecret(c) => &c.path,
            Sec::UpdateSecret(c) => &c.path,
            Sec::RotateSecret(c) => &c.path,
            Sec::ListVersions(c) => &c.path,
            Sec::DeleteSecret(c) => &c.path,
            Sec::RestoreSecret(c) => &c.path,
            Sec::ListSecrets(c) => return c.query.namespace.as_ref().map(ToString::to_string),
        },
        CallerCommand::Fields(command) => match command {
            Fld::SetField(c) => &c.path,
            Fld::SetFields(c) => &c.path,
            Fld::GetField(c) => &c.path,
            Fld::GetFields(c) => &c.path,
            Fld::DeleteField(c) => &c.path,
        },
        CallerCommand::Vault(command) => match command {
            Kv::ReadKv(c) => &c.path,
            Kv::WriteKv(c) => &c.path,
            Kv::ReadKvMetadata(c) => &c.path,
            Kv::DeleteKvVersions(c) => &c.path,
            Kv::UndeleteKvVersions(c) => &c.path,
            Kv::DestroyKvVersions(c) => &c.path,
            Kv::ListKv(c) => return c.prefix.as_ref().map(ToString::to_string),
        },
        CallerCommand::Broker(BrokerCommand::UseSecrets(c)) => {
            return c.secrets.first().map(|s| s.path.to_string());
        }
        CallerCommand::Ass(command) => match command {
            Ass::UpsertSecret(c) => &c.path,
            Ass::ImportSecrets(c) => &c.import.namespace,
            Ass::ListNamespaces(_) => return None,
        },
        CallerCommand::AccessRequests(Req::CreateAccessRequest(c)) => &c.request.path,
        CallerCommand::Maestro(Mae::SetSecret(c)) => &c.path,
        CallerCommand::Wraps(WrapCommand::CreateWrap(c)) => {
            return c.wrap.path().map(ToString::to_string);
        }
        CallerCommand::Tenant(_)
        | CallerCommand::Maestro(Mae::MintToken(_))
        | CallerCommand::Vault002(_)
        | CallerCommand::Tokens(_)
        | CallerCommand::Approvals(_)
        | CallerCommand::Notifications(_)
        | CallerCommand::Audit(_)
        | CallerCommand::Agents(_)
        | CallerCommand::AgentPlane(_)
        | CallerCommand::Passwords(_)
        | CallerCommand::People(_)
        | CallerCommand::Envelopes(_)
        | CallerCommand::Discovered(_)
        | CallerCommand::Projects(_)
        | CallerCommand::Workflows(_)
        | CallerCommand::Carried(_)
        | CallerCommand::Socket(_)
        | CallerCommand::Gitops(_)
        | CallerCommand::Metrics(_)
        | CallerCommand::Console(_)
        | CallerCommand::AccessRequests(_) => return None,
    };
    Some(path.to_string())
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(names.map(|name| json!(name)).collect())
}

/// What the command itself says about what it does.
fn details(command: &CallerCommand, draft: Draft) -> Draft {
    match command {
        CallerCommand::Secrets(Sec::GetSecret(c)) => match c.version {
            Some(v) => draft.detail("version", v),
            None => draft,
        },
        CallerCommand::Fields(command) => match command {
            Fld::SetField(c) => draft.detail("field", c.field.as_str()),
            Fld::GetField(c) => draft.detail("field", c.field.as_str()),
            Fld::DeleteField(c) => draft.detail("field", c.field.as_str()),
            Fld::SetFields(c) => {
                draft.detail("fields", names(c.fields.0.keys().map(|k| k.as_str())))
            }
            Fld::GetFields(_) => draft,
        },
        CallerCommand::Vault(command) => match command {
            Kv::ReadKv(vault::ReadKv {
                version: Some(v), ..
            }) => draft.detail("version", *v),
            Kv::WriteKv(c) => {
                draft.detail("fields", names(c.write.data.0.keys().map(|k| k.as_str())))
            }
            Kv::DeleteKvVersions(vault::DeleteKvVersions {
                versions: Some(versions),
                ..
            })
            | Kv::UndeleteKvVersions(vault::UndeleteKvVersions { versions, .. })
            | Kv::DestroyKvVersions(vault::DestroyKvVersions { versions, .. }) => {
                draft.detail("versions", json!(versions))
            }
            Kv::ReadKv(_) | Kv::ReadKvMetadata(_) | Kv::ListKv(_) | Kv::DeleteKvVersions(_) => {
                draft
            }
        },
        CallerCommand::Broker(BrokerCommand::UseSecrets(c)) => Draft {
            details: crate::broker::call_details(&c.target, &c.secrets),
            ..draft
        },
        CallerCommand::Maestro(command) => match command {
            Mae::SetSecret(c) => draft.detail("metadata_set", c.tags.is_some()),
            Mae::MintToken(c) => draft
                .detail("scope", c.request.scope.to_string())
                .detail("never_expires", c.request.never_expires),
        },
        CallerCommand::Ass(Ass::ImportSecrets(c)) => draft.detail(
            "keys",
            names(
                c.import
                    .entries
                    .iter()
                    .map(|e| latchkey_core::faces::ass::wire::split(&e.path).1),
            ),
        ),
        CallerCommand::Ass(Ass::UpsertSecret(_) | Ass::ListNamespaces(_)) => draft,
        CallerCommand::Tokens(command) => match command {
            Tok::CreateToken(c) => draft.detail("scope", c.request.scope.to_string()),
            Tok::RevokeToken(c) => draft.detail("token_id", c.id.as_str()),
            Tok::ListTokens(_) | Tok::OAuthConsentView(_) => draft,
            Tok::GrantOAuthCode(c) => draft
                .detail("client_id", c.client_id.as_str())
                .detail("client_name", c.client_name.as_str())
                .detail("scope", c.scope.to_string())
                .detail("tier", c.tier.as_str()),
        },
        CallerCommand::Approvals(command) => match command {
            Apr::GetApproval(c) => draft.detail("approval_id", c.id.as_str()),
            Apr::ApproveRequest(c) => draft.detail("approval_id", c.id.as_str()),
            Apr::DenyRequest(c) => draft.detail("approval_id", c.id.as_str()),
            Apr::CancelRequest(c) => draft.detail("approval_id", c.id.as_str()),
            Apr::ListApprovals(_) | Apr::GetPolicies(_) | Apr::SetPolicies(_) => draft,
        },
        CallerCommand::Agents(command) => agent_details(command, draft),
        CallerCommand::AgentPlane(command) => plane::details(command, draft),
        CallerCommand::Gitops(command) => gitops::details(command, draft),
        CallerCommand::Workflows(command) => workflows::details(command, draft),
        CallerCommand::Socket(latchkey_contract::caller::socket::SocketCommand::ConnectAgent(
            c,
        )) => match &c.id {
            Some(id) => draft.detail("agent_id", id.as_str()),
            None => draft,
        },
        CallerCommand::Passwords(command) => match command {
            Pwd::ApprovePasswordRequest(c) => draft.detail("password_request_id", c.id.as_str()),
            Pwd::RejectPasswordRequest(c) => draft.detail("password_request_id", c.id.as_str()),
            Pwd::CreatePasswordRequest(_)
            | Pwd::CollectPasswordRequests(_)
            | Pwd::ListPasswordRequests(_) => draft,
        },
        CallerCommand::People(command) => people_details(command, draft),
        CallerCommand::AccessRequests(command) => match command {
            Req::CreateAccessRequest(c) => draft.detail("kind", c.request.kind.as_str()),
            Req::GetAccessRequest(c) => draft.detail("request_id", c.id.as_str()),
            Req::ApproveAccess(c) => draft.detail("request_id", c.id.as_str()),
            Req::RejectAccess(c) => draft.detail("request_id", c.id.as_str()),
            Req::CancelAccess(c) => draft.detail("request_id", c.id.as_str()),
            Req::RequestWraps(c) => draft.detail("request_id", c.id.as_str()),
            Req::RequestWrap(requests::RequestWrap { id, wrap_id }) => draft
                .detail("request_id", id.as_str())
                .detail("wrap_id", wrap_id.as_str()),
            Req::ListAccessRequests(_) => draft,
        },
        CallerCommand::Wraps(WrapCommand::CreateWrap(c)) => {
            draft.detail("ttl_seconds", c.wrap.ttl_seconds)
        }
        CallerCommand::Vault002(command) => match command {
            V2::DestroySecretById(c) => draft.detail("secret_id", c.id.as_str()),
            V2::GrantSecretById(c) => draft.detail("secret_id", c.request.secret_id.as_str()),
            V2::ListAllSecrets(_) => draft,
        },
        // Issue 23: which agent, which key id, which row; never a key or a DEK.
        CallerCommand::Envelopes(command) => match command {
            Env::RegisterPublicKey(c) => draft.detail("agent_id", c.agent_id.as_str()),
            Env::IssueDek(c) => draft.detail("agent_id", c.agent_id.as_str()),
        },
        // Issue 23's carried requests: ids only, never data, a value or a ciphertext.
        CallerCommand::Carried(command) => match command {
            Car::CreateCarriedRequest(c) => draft
                .detail("kind", c.request.kind.as_str())
                .detail("secret_id", c.request.secret_id.as_str()),
            Car::PostAgentWrap(c) => draft
                .detail("agent_id", c.agent_id.as_str())
                .detail("job_id", c.post.job_id.as_str())
                .detail("key_id", c.post.key_id.as_str()),
            Car::GetAgentWrap(c) => draft
                .detail("agent_id", c.agent_id.as_str())
                .detail("agent_wrap_id", c.wrap_id.as_str()),
        },
        CallerCommand::Discovered(command) => match command {
            Dsc::UploadDiscovered(c) => draft.detail("agent_id", c.agent_id.as_str()),
            Dsc::GetDiscovered(c) => draft.detail("discovered_secret_id", c.id.as_str()),
            Dsc::ListDiscovered(_) => draft,
        },
        // Issue 24: ids, names and scopes; what a status change or deletion left in place is
        // in the reply's completion.
        CallerCommand::Projects(command) => match command {
            Prj::CreateProject(c) => draft.detail("name", c.project.name.as_str()),
            Prj::GetProject(c) => draft.detail("project_id", c.id.as_str()),
            Prj::ProjectEnvironments(c) => draft.detail("project_id", c.id.as_str()),
            Prj::SetProjectStatus(c) => draft
                .detail("project_id", c.id.as_str())
                .detail("status", c.status.as_str()),
            Prj::CreateEnvironment(c) => draft
                .detail("project_id", c.environment.project_id.as_str())
                .detail("name", c.environment.name.as_str())
                .detail("path_prefix", c.environment.path_prefix.as_str())
                .detail(
                    "clusters",
                    names(c.environment.clusters.iter().map(String::as_str)),
                )
                .detail(
                    "agents",
                    names(c.environment.agents.iter().map(|a| a.as_str())),
                ),
            Prj::DeleteEnvironment(c) => draft.detail("environment_id", c.id.as_str()),
            Prj::ListProjects(_) | Prj::ListEnvironments(_) => draft,
        },
        CallerCommand::Secrets(_)
        | CallerCommand::Tenant(_)
        | CallerCommand::Notifications(_)
        | CallerCommand::Metrics(_)
        | CallerCommand::Console(_)
        | CallerCommand::Audit(_) => draft,
    }
}

impl Completes for latchkey_core::wrap::WrapId {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("wrap_id", self.as_str())
    }
}

impl Completes for latchkey_core::carried::SealedAgentWrap {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("agent_wrap_id", self.wrap_id.as_str())
    }
}

impl Completes for latchkey_core::agent::envelope::SealedDek {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("key_id", self.key_id.as_str())
    }
}

impl Completes for latchkey_core::project::ProjectView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("project_id", self.id.as_str())
    }
}

impl Completes for latchkey_core::project::EnvironmentView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("environment_id", self.id.as_str())
    }
}

impl Completes for latchkey_core::project::ProjectStatusChanged {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("forced", self.forced)
            .detail("stored_secrets", self.holdings.stored_secrets)
            .detail("discovered_secrets", self.holdings.discovered_secrets)
    }
}

impl Completes for latchkey_core::project::EnvironmentDeleted {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("forced", self.forced)
            .detail("stored_secrets", self.holdings.stored_secrets)
            .detail("discovered_secrets", self.holdings.discovered_secrets)
    }
}

impl Completes for latchkey_core::agent::discovery::SshKeyPage {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.ssh_keys.len())
    }
}

impl Completes for latchkey_core::agent::discovered::DiscoveredPage {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.secrets.len())
    }
}

fn agent_details(command: &Agt, draft: Draft) -> Draft {
    match command {
        Agt::RegisterAgent(c) => draft.detail("name", c.registration.name.as_str()),
        Agt::RevokeAgent(c) => draft.detail("agent_id", c.id.as_str()),
        Agt::ReinstateAgent(c) => draft.detail("agent_id", c.id.as_str()),
        Agt::QueueAgentCommand(agents::QueueAgentCommand { id, command }) => draft
            .detail("agent_id", id.as_str())
            .detail("command", command.kind.as_str()),
        Agt::SetAgentSettings(c) => draft.detail(
            "heartbeat_interval_seconds",
            c.settings.heartbeat_interval_seconds,
        ),
        Agt::CreateGrant(c) => draft
            .detail("agent_id", c.request.agent_id.as_str())
            .detail("grant_path", c.request.path.to_string())
            .detail(
                "actions",
                names(c.request.actions.iter().map(|a| a.as_str())),
            ),
        Agt::DeleteGrant(c) => draft.detail("grant_id", c.id.as_str()),
        Agt::ReportCertificates(c) => draft.detail("count", c.certificates.len()),
        Agt::ReportSshKeys(c) => draft.detail("count", c.keys.len()),
        Agt::AgentDiscovery(c) => draft.detail("agent_id", c.id.as_str()),
        Agt::ImportDiscovered(c) => draft
            .detail("agent_id", c.id.as_str())
            .detail("kind", c.import.kind.as_str())
            .detail("fingerprint", c.import.fingerprint.as_str()),
        Agt::ListAgentCommands(c) => draft.detail("agent_id", c.id.as_str()),
        Agt::ListSshKeys(c) => match &c.query.agent_id {
            Some(agent) => draft.detail("agent_id", agent.as_str()),
            None => draft,
        },
        Agt::CreateBootstrap(_)
        | Agt::RefreshAgentToken(_)
        | Agt::ReportHealth(_)
        | Agt::AgentSecrets(_)
        | Agt::ListAgents(_)
        | Agt::GetAgentSettings(_)
        | Agt::ListGrants(_)
        | Agt::AgentCertificates(_) => draft,
    }
}

fn people_details(command: &Ppl, draft: Draft) -> Draft {
    let permissions = |scopes: &[latchkey_core::scope::Scope]| -> Value {
        Value::Array(scopes.iter().map(|p| json!(p.to_string())).collect())
    };
    match command {
        Ppl::ReinstateUser(c) => draft.detail("user_id", c.id.as_str()),
        Ppl::CreateUser(c) => draft.detail("email", c.user.email.as_str()),
        Ppl::DeleteUser(c) => draft.detail("user_id", c.id.as_str()),
        Ppl::UserRoles(c) => draft.detail("user_id", c.id.as_str()),
        Ppl::GetRole(c) => draft.detail("role_id", c.id.as_str()),
        Ppl::DeleteRole(c) => draft.detail("role_id", c.id.as_str()),
        Ppl::SetRolePermissions(c) => draft
            .detail("role_id", c.id.as_str())
            .detail("permissions", permissions(&c.permissions)),
        Ppl::CreateRole(c) => draft
            .detail("name", c.role.name.as_str())
            .detail("permissions", permissions(&c.role.permissions)),
        Ppl::CreateUserRole(c) => draft
            .detail("user_id", c.request.user_id.as_str())
            .detail("role_id", c.request.role_id.as_str()),
        Ppl::DeleteUserRole(c) => draft.detail("user_role_id", c.id.as_str()),
        Ppl::ListUsers(_) | Ppl::Permissions(_) | Ppl::ListRoles(_) | Ppl::ListUserRoles(_) => {
            draft
        }
    }
}

/// The operator's commands' events.
pub fn operator_draft(command: &OperatorCommand) -> Draft {
    match command {
        OperatorCommand::InitTenant(c) => Draft::new("tenant.created", None)
            .detail("name", c.name.as_str())
            .detail("plan", c.plan.as_str()),
        OperatorCommand::SetPlan(c) => {
            let draft = Draft::new("tenant.plan_changed", None)
                .detail("plan", c.plan.as_str())
                .detail("rate_limit_per_minute", c.rate_limit_per_minute);
            let draft = match c.non_expiring_tokens {
                Some(allowed) => draft.detail("non_expiring_tokens", allowed),
                None => draft,
            };
            let draft = match c.mcp_value_tools {
                Some(setting) => draft.detail("mcp_value_tools", setting.as_str()),
                None => draft,
            };
            match c.gitops_enabled {
                Some(on) => draft.detail("gitops_enabled", on),
                None => draft,
            }
        }
    }
}

/// The events of commands without a bearer credential.
pub fn public_draft(command: &PublicCommand) -> Draft {
    match command {
        PublicCommand::LoginChallenge(_) => Draft::new("user.login", None),
        PublicCommand::Login(c) => Draft::new("user.login", None).detail("email", c.email.as_str()),
        PublicCommand::Unwrap(_) => Draft::new("wrap.unwrapped", None),
        PublicCommand::FinishUse(_) => Draft::new("secret.used", None),
        PublicCommand::RedeemOAuthCode(c) => {
            Draft::new("oauth.token_issued", None).detail("client_id", c.client_id.as_str())
        }
        PublicCommand::RefreshOAuthGrant(_) => Draft::new("oauth.refreshed", None),
        PublicCommand::RevokeOAuthGrant(_) => Draft::new("oauth.revoked", None),
    }
}

/// The events of an approval link's commands.
pub fn link_draft(command: &LinkCommand) -> Draft {
    match command {
        LinkCommand::ReviewLink(c) => {
            Draft::new("approval.link_opened", None).detail("approval_id", c.id.as_str())
        }
        LinkCommand::DecideByLink(c) => Draft::new(
            if c.approve {
                "approval.approved"
            } else {
                "approval.denied"
            },
            None,
        )
        .detail("approval_id", c.id.as_str()),
    }
}

/// Completes a draft with what the command's result says.
pub fn complete<R: Completes>(draft: Draft, result: &Result<R, ApiError>) -> Draft {
    match result {
        Err(error) => draft.refused(error),
        Ok(reply) => reply.complete(draft),
    }
}

/// What a reply adds to its command's event. Every reply type answers, so a new one does
/// not compile until it says (most add nothing).
pub trait Completes {
    fn complete(&self, draft: Draft) -> Draft;
}

/// Replies that add nothing to their event.
macro_rules! adds_nothing {
    ($($reply:ty),* $(,)?) => {
        $(impl Completes for $reply {
            fn complete(&self, draft: Draft) -> Draft {
                draft
            }
        })*
    };
}

adds_nothing!(
    (),
    latchkey_contract::caller::metrics::Exposition,
    latchkey_contract::caller::console::ConsoleIdentity,
    latchkey_contract::caller::console::ConsoleSessionOpened,
    Vec<latchkey_core::project::ProjectView>,
    Vec<latchkey_core::project::EnvironmentView>,
    latchkey_core::agent::discovered::DiscoveredSecretView,
    latchkey_contract::caller::tokens::ConsentView,
    latchkey_contract::caller::tokens::OAuthCode,
    latchkey_core::oauth::TokenResponse,
    Timestamp,
    Vec<VersionInfo>,
    SecretSummary,
    FieldStored,
    FieldsStored,
    FieldRead,
    Fields,
    TenantInfo,
    Vec<TokenSummary>,
    Vec<ApprovalView>,
    Value,
    AuditPage,
    VerifyReport,
    StreamEvents,
    AgentJwtIssued,
    Vec<AgentCommand>,
    agents::AgentReach,
    latchkey_contract::caller::tenant::Reach,
    agents::AgentPage,
    AgentCommand,
    latchkey_core::agent::AgentActivity,
    AgentSettings,
    Vec<Grant>,
    DiscoveryStored,
    latchkey_core::agent::discovery::import::DiscoveryImported,
    agents::Discovery,
    Vec<Sighting<DiscoveredCertificate>>,
    Vec<UserView>,
    Vec<RoleView>,
    Vec<UserRoleView>,
    Vec<WrapSummary>,
    KvRead,
    KvVersion,
    KvMetadata,
    Vec<String>,
    Released,
    KdfParams,
    LoginIssued,
);

/// A secret the MaestroVault face set: `secret.created` when the write created it.
impl Completes for SecretSet {
    fn complete(&self, draft: Draft) -> Draft {
        let draft = if self.created {
            Draft {
                event_type: "secret.created".into(),
                ..draft
            }
        } else {
            draft
        };
        draft.detail("version", self.version)
    }
}

impl Completes for SecretCreated {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("version", self.version)
    }
}

impl Completes for SecretJson {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("version", self.version)
    }
}

impl Completes for SecretUpdated {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("version", self.version)
    }
}

impl Completes for SecretWritten {
    fn complete(&self, draft: Draft) -> Draft {
        let draft = if self.created {
            Draft {
                event_type: "secret.created".into(),
                ..draft
            }
        } else {
            draft
        };
        draft.detail("version", self.version)
    }
}

impl Completes for Imported {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("count", self.keys.len())
            .detail("created", self.created)
    }
}

impl Completes for Vec<NamespaceCount> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.len())
    }
}

impl Completes for SecretRotated {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("old_version", self.old_version)
            .detail("new_version", self.new_version)
    }
}

impl Completes for SecretPage {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.items.len())
    }
}

impl Completes for Vec<SecretSummary> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.len())
    }
}

impl Completes for TokenMinted {
    fn complete(&self, draft: Draft) -> Draft {
        match self {
            TokenMinted::Created(created) => draft.detail("token_id", created.id.as_str()),
            TokenMinted::Pending(view) => Draft {
                event_type: "approval.requested".into(),
                ..draft
            }
            .detail("approval_id", view.id.as_str())
            .detail("required_approvals", view.required_approvals)
            .detail("tier", view.tier.as_str()),
        }
    }
}

impl Completes for BootstrapCreated {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("bootstrap_id", self.id.as_str())
            .detail("max_registrations", self.max_registrations)
    }
}

impl Completes for Registered {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("agent_id", self.id.as_str())
    }
}

impl Completes for Grant {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("grant_id", self.grant_id.as_str())
    }
}

impl Completes for PasswordRequestView {
    fn complete(&self, draft: Draft) -> Draft {
        Draft {
            path: Some(self.path.to_string()),
            ..draft
        }
        .detail("password_request_id", self.id.as_str())
        .detail("version", self.version)
    }
}

impl Completes for Vec<PasswordRequestView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail(
            "delivered",
            self.iter().filter(|v| v.password.is_some()).count(),
        )
    }
}

impl Completes for ApprovalView {
    fn complete(&self, draft: Draft) -> Draft {
        match &self.token {
            Some(token) if token.value.is_some() => Draft {
                event_type: "approval.released".into(),
                ..draft
            }
            .detail("token_id", token.id.to_string()),
            _ => draft.detail("status", self.status.as_str()),
        }
    }
}

impl Completes for LinkReview {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("status", self.view.status.as_str())
    }
}

impl Completes for Policies {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("rules", self.rules.len())
    }
}

impl Completes for UserView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("user_id", self.id.as_str())
    }
}

impl Completes for RoleView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("role_id", self.id.as_str())
    }
}

impl Completes for UserRoleView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("user_role_id", self.id.as_str())
    }
}

impl Completes for AccessRequestView {
    fn complete(&self, draft: Draft) -> Draft {
        Draft {
            path: self.path.as_ref().map(ToString::to_string),
            ..draft
        }
        .detail("request_id", self.id.as_str())
        .detail("secret_id", self.secret_id.as_ref().map(|s| s.to_string()))
        .detail("execution", self.execution.clone())
        .detail("status", self.status.as_str())
        .detail("required_approvals", self.required_approvals)
        .detail("wrap_id", self.wrap_id.as_ref().map(|w| w.to_string()))
        .detail("applied_version", self.applied_version)
    }
}

impl Completes for Vec<AccessRequestView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.len())
    }
}

impl Completes for WrapCreated {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("wrap_id", self.id.as_str())
            .detail("version", self.version)
    }
}

impl Completes for Unwrapped {
    fn complete(&self, draft: Draft) -> Draft {
        Draft {
            path: self.path.as_ref().map(ToString::to_string),
            ..draft
        }
        .detail("wrap_id", self.id.as_str())
        .detail("version", self.version)
    }
}
