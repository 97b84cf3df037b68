//! The typed contract between the Worker (caller) and the tenant Durable Object (callee):
//! the binding's name, how an instance is named, and the commands and replies that cross.
//!
//! Changing [`tenant_instance_name`] strands every tenant's data: a test pins it.

use crate::broker::{Released, UseReport};
use latchkey_core::agent::PasswordRequestId;
use latchkey_core::agent::discovery::{
    DiscoveredCertificate, DiscoveredSshKey, DiscoveryStored, Sighting,
};
use latchkey_core::agent::password::{
    NewPasswordRequest, PasswordRequestStatus, PasswordRequestView,
};
use latchkey_core::agent::{
    AgentCommand, AgentId, AgentJwtIssued, AgentQuery, AgentSettings, AgentSummary,
    BootstrapCreated, BootstrapRequest, CommandRequest, GrantId, HealthReport, Pagination,
    Registered, Registration,
};
use latchkey_core::approval::{ApprovalId, ApprovalStatus, ApprovalView, Policies};
use latchkey_core::audit::{AuditEvent, AuditPage, AuditQuery, VerifyReport};
use latchkey_core::broker::{SecretRef, Target};
use latchkey_core::credential::{CredentialHash, PresentedCredential};
use latchkey_core::field::{FieldName, FieldRead, FieldStored, FieldValue, Fields, FieldsStored};
use latchkey_core::grant::{Grant, GrantRequest};
use latchkey_core::listing::{ListQuery, SecretPage};
use latchkey_core::notify::NotificationConfig;
use latchkey_core::people::{
    DerivedPassword, Email, KdfParams, LoginIssued, NewUser, UserId, UserView,
};
use latchkey_core::ratelimit::RateState;
use latchkey_core::request::{AccessRequestId, AccessRequestView, NewAccessRequest, RequestQuery};
use latchkey_core::role::{NewRole, RoleId, RoleView, UserRoleId, UserRoleRequest, UserRoleView};
use latchkey_core::scope::Scope;
use latchkey_core::secret::{
    NewSecret, Rotation, SecretCreated, SecretRead, SecretRotated, SecretSummary, SecretUpdate,
    SecretUpdated, VersionInfo,
};
use latchkey_core::tenant::{TenantInfo, TenantName};
use latchkey_core::token::{TokenCreated, TokenId, TokenRequest, TokenSummary};
use latchkey_core::vault::{KvMetadata, KvRead, KvVersion, KvWrite};
use latchkey_core::wrap::{NewWrap, Unwrapped, WrapCreated, WrapId, WrapSummary};
use latchkey_core::{ApiError, Plan, SecretPath, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

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

/// One command, with the caller's credential (its hash: the plaintext never reaches the
/// object) and address.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantRequest {
    pub credential: Option<PresentedCredential>,
    /// `CF-Connecting-IP`, checked against a token's `allowed_ips`.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// The request's `X-Request-Id`: the audit events' correlation id.
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    /// `X-Latchkey-Purpose`, validated by the Worker: recorded with reads and broker uses.
    #[serde(default)]
    pub purpose: Option<String>,
    /// `None` when the Worker already refused the request (bad input): the object still
    /// authenticates and counts it, so the caller gets the rate-limit state and an
    /// unauthenticated caller learns nothing about validation.
    pub command: Option<TenantCommand>,
}

/// The body of every object response: the command's result, and the tenant's rate-limit
/// state when the request was attributed to the tenant.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantResponse {
    pub rate: Option<RateState>,
    pub result: TenantResult,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TenantCommand {
    /// Sent once by the operator route; creates the tenant's key and master key hash.
    Init {
        tenant_id: TenantId,
        #[serde(with = "tenant_name")]
        name: TenantName,
        plan: Plan,
        master_key_hash: CredentialHash,
    },
    CreateSecret {
        secret: NewSecret,
    },
    GetSecret {
        path: SecretPath,
        version: Option<u64>,
    },
    /// A new version; with `if_match`, only when the current version is that one.
    UpdateSecret {
        path: SecretPath,
        update: SecretUpdate,
        if_match: Option<u64>,
    },
    RotateSecret {
        path: SecretPath,
        rotation: Rotation,
    },
    ListVersions {
        path: SecretPath,
    },
    DeleteSecret {
        path: SecretPath,
        permanent: bool,
    },
    RestoreSecret {
        path: SecretPath,
    },
    ListSecrets {
        query: ListQuery,
    },
    /// Creates the secret (fields only) when there is none.
    SetField {
        path: SecretPath,
        field: FieldName,
        value: FieldValue,
    },
    SetFields {
        path: SecretPath,
        fields: Fields,
    },
    GetField {
        path: SecretPath,
        field: FieldName,
    },
    GetFields {
        path: SecretPath,
    },
    DeleteField {
        path: SecretPath,
        field: FieldName,
    },
    Info,
    /// Authenticates and counts the request, nothing more (password generation).
    Touch,
    /// Approval links are not part of it: they point at `PUBLIC_URL` only, never at a host
    /// the request named (`latchkey_core::public_url`).
    CreateToken {
        request: TokenRequest,
    },
    ListTokens,
    RevokeToken {
        id: TokenId,
    },
    GetApproval {
        id: ApprovalId,
    },
    ListApprovals {
        status: Option<ApprovalStatus>,
    },
    ApproveRequest {
        id: ApprovalId,
        comment: Option<String>,
    },
    DenyRequest {
        id: ApprovalId,
        reason: Option<String>,
    },
    CancelRequest {
        id: ApprovalId,
    },
    GetPolicies,
    SetPolicies {
        policies: Policies,
    },
    ReadAudit {
        query: AuditQuery,
    },
    VerifyAudit,
    /// Opens the live stream: events after `after` (`Last-Event-ID`), else from now on.
    OpenStream {
        after: Option<u64>,
    },
    /// The stream's next events after `after`; not counted, not rate-limited, not recorded.
    PollStream {
        after: u64,
    },
    GetNotifications,
    SetNotifications {
        config: NotificationConfig,
    },
    /// The review page's `GET`: no credential, the link's token is the credential.
    ReviewLink {
        id: ApprovalId,
        token: String,
    },
    /// The review page's `POST`: decides as the link's approver and uses the link up.
    DecideByLink {
        id: ApprovalId,
        token: String,
        approve: bool,
        note: Option<String>,
    },
    /// Sent by the operator route: a new plan and/or a custom rate limit.
    SetPlan {
        plan: Plan,
        rate_limit_per_minute: Option<u64>,
    },
    /// `POST /v1/agents/bootstrap`.
    CreateBootstrap {
        request: BootstrapRequest,
    },
    /// `POST /v1/agents/register`: the caller's credential is the bootstrap token.
    RegisterAgent {
        registration: Registration,
    },
    /// `POST /v1/agents/me/refresh-token`.
    RefreshAgentToken,
    /// `POST /v1/agents/me/health`.
    ReportHealth {
        report: HealthReport,
    },
    /// `GET /v1/agents/me/secrets`: the agent's grants and the secrets they reach.
    AgentSecrets,
    ListAgents {
        query: AgentQuery,
    },
    RevokeAgent {
        id: AgentId,
    },
    /// `POST /v1/agents/{id}/reinstate` (admin): undoes a cascade's suspension.
    ReinstateAgent {
        id: AgentId,
    },
    QueueAgentCommand {
        id: AgentId,
        command: CommandRequest,
    },
    GetAgentSettings,
    SetAgentSettings {
        settings: AgentSettings,
    },
    CreateGrant {
        request: GrantRequest,
    },
    ListGrants {
        agent_id: Option<AgentId>,
    },
    DeleteGrant {
        id: GrantId,
    },
    /// `POST /v1/agents/me/discovery/certificates`.
    ReportCertificates {
        certificates: Vec<DiscoveredCertificate>,
    },
    /// `POST /v1/agents/me/ssh-discovery`.
    ReportSshKeys {
        keys: Vec<DiscoveredSshKey>,
    },
    /// `GET /v1/agents/{id}/discovery`.
    AgentDiscovery {
        id: AgentId,
    },
    /// `GET /v1/agents/me/certificates`.
    AgentCertificates,
    /// `POST /v1/agents/me/password-requests`.
    CreatePasswordRequest {
        request: NewPasswordRequest,
    },
    /// `GET /v1/agents/me/password-requests`: approved passwords are handed over once.
    CollectPasswordRequests,
    ListPasswordRequests {
        status: Option<PasswordRequestStatus>,
    },
    ApprovePasswordRequest {
        id: PasswordRequestId,
    },
    RejectPasswordRequest {
        id: PasswordRequestId,
        reason: Option<String>,
    },
    /// Login, step 1 (no credential): the salt to derive the password under; 429 while the
    /// account or the address is locked out.
    LoginChallenge {
        email: Email,
    },
    /// Login, step 2 (no credential): the derived password, compared in the object.
    Login {
        email: Email,
        password: DerivedPassword,
    },
    CreateUser {
        user: NewUser,
    },
    ListUsers,
    DeleteUser {
        id: UserId,
    },
    /// `POST /v1/users/{id}/reinstate` (admin): undoes a cascade's suspension.
    ReinstateUser {
        id: UserId,
    },
    UserRoles {
        id: UserId,
    },
    /// `GET /v1/permissions`: the catalog is static; the command authenticates and records.
    Permissions,
    CreateRole {
        role: NewRole,
    },
    ListRoles,
    GetRole {
        id: RoleId,
    },
    SetRolePermissions {
        id: RoleId,
        permissions: Vec<Scope>,
    },
    DeleteRole {
        id: RoleId,
    },
    CreateUserRole {
        request: UserRoleRequest,
    },
    ListUserRoles {
        user_id: Option<UserId>,
        role_id: Option<RoleId>,
    },
    DeleteUserRole {
        id: UserRoleId,
    },
    CreateAccessRequest {
        request: NewAccessRequest,
    },
    ListAccessRequests {
        query: RequestQuery,
    },
    GetAccessRequest {
        id: AccessRequestId,
    },
    ApproveAccess {
        id: AccessRequestId,
        comment: Option<String>,
    },
    RejectAccess {
        id: AccessRequestId,
        reason: Option<String>,
    },
    CancelAccess {
        id: AccessRequestId,
    },
    RequestWraps {
        id: AccessRequestId,
    },
    RequestWrap {
        id: AccessRequestId,
        wrap_id: WrapId,
    },
    CreateWrap {
        wrap: NewWrap,
    },
    /// `POST /v1/wraps/unwrap` (no credential: the wrap token, by its hash, is one).
    Unwrap {
        hash: CredentialHash,
    },
    /// `GET /v1/secret/data/{path}` (Vault KV v2).
    KvRead {
        path: SecretPath,
        version: Option<u64>,
    },
    /// `POST /v1/secret/data/{path}`.
    KvWrite {
        path: SecretPath,
        write: KvWrite,
    },
    /// `GET /v1/secret/metadata/{path}`.
    KvMetadata {
        path: SecretPath,
    },
    /// `LIST /v1/secret/metadata/{prefix}`.
    KvList {
        prefix: Option<SecretPath>,
    },
    /// `DELETE /v1/secret/data/{path}` (`versions: None`, the latest) and
    /// `POST /v1/secret/delete/{path}`.
    KvDelete {
        path: SecretPath,
        versions: Option<Vec<u64>>,
    },
    KvUndelete {
        path: SecretPath,
        versions: Vec<u64>,
    },
    KvDestroy {
        path: SecretPath,
        versions: Vec<u64>,
    },
    /// `POST /v1/proxy`, step 1: check the secrets may go to `target`, release their values
    /// to the Worker.
    UseSecrets {
        secrets: Vec<SecretRef>,
        target: Target,
    },
    /// `POST /v1/proxy`, step 2 (no credential: the call id, known only to the Worker that
    /// got the values, is one): the outcome, for the `secret.used` events.
    FinishUse {
        call_id: String,
        report: UseReport,
    },
    /// Readiness: answers without touching tenant data.
    Ping,
    /// The benchmark's baseline (only with `BENCH=true`): one row written, nothing else, no
    /// authentication. The platform's own floor for a tenant request.
    BenchBaseline,
}

impl TenantCommand {
    /// Commands that change no secret's rows (`secrets`, `secret_versions`, `secret_fields`):
    /// the only ones the object's cache of secrets survives. Anything not listed here empties
    /// it, so a new command is safe by default.
    pub fn leaves_secrets_alone(&self) -> bool {
        matches!(
            self,
            TenantCommand::GetSecret { .. }
                | TenantCommand::ListSecrets { .. }
                | TenantCommand::BenchBaseline
                | TenantCommand::Ping
        )
    }

    /// Commands that hand out a value (to the caller or, through the broker, upstream): they
    /// record `X-Latchkey-Purpose` and are the ones a purpose policy governs.
    pub fn reads_value(&self) -> bool {
        matches!(
            self,
            TenantCommand::GetSecret { .. }
                | TenantCommand::GetField { .. }
                | TenantCommand::GetFields { .. }
                | TenantCommand::KvRead { .. }
                | TenantCommand::UseSecrets { .. }
                | TenantCommand::CollectPasswordRequests
                | TenantCommand::RequestWrap { .. }
        ) || matches!(self, TenantCommand::CreateWrap { wrap } if wrap.path().is_some())
    }

    /// The commands of the Vault KV v2 endpoint.
    pub fn is_vault(&self) -> bool {
        matches!(
            self,
            TenantCommand::KvRead { .. }
                | TenantCommand::KvWrite { .. }
                | TenantCommand::KvMetadata { .. }
                | TenantCommand::KvList { .. }
                | TenantCommand::KvDelete { .. }
                | TenantCommand::KvUndelete { .. }
                | TenantCommand::KvDestroy { .. }
        )
    }
}

/// A read as the client gets it: the [`SecretRead`] serialized once, in the object, and sent
/// on by the Worker as it is (decoding and re-encoding it there cost a read about 100 µs).
/// `version` is what the read's audit event records.
#[derive(Serialize, Deserialize)]
pub struct SecretJson {
    pub version: u64,
    pub body: String,
}

impl SecretJson {
    pub fn of(read: &SecretRead) -> Result<Self, serde_json::Error> {
        Ok(SecretJson {
            version: read.version,
            body: serde_json::to_string(read)?,
        })
    }
}

/// The body holds the value: never shown.
impl std::fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretJson")
            .field("version", &self.version)
            .field("body", &"<redacted>")
            .finish()
    }
}

/// What a successful command returns.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TenantReply {
    Initialized {
        created_at: Timestamp,
    },
    SecretCreated(SecretCreated),
    Secret(SecretJson),
    SecretUpdated(SecretUpdated),
    SecretRotated(SecretRotated),
    Versions {
        versions: Vec<VersionInfo>,
    },
    Deleted,
    SecretRestored(SecretSummary),
    SecretList(SecretPage),
    FieldStored(FieldStored),
    FieldsStored(FieldsStored),
    Field(FieldRead),
    Fields(Fields),
    Info(TenantInfo),
    /// The request was authenticated and counted (for `Touch`, and for requests the Worker
    /// refused).
    Counted,
    TokenCreated(TokenCreated),
    Tokens {
        tokens: Vec<TokenSummary>,
    },
    TokenRevoked {
        id: TokenId,
    },
    /// The token request needs approval (→ 202).
    ApprovalPending(ApprovalView),
    Approval(ApprovalView),
    Approvals {
        approvals: Vec<ApprovalView>,
    },
    Policies(Policies),
    /// The channels, without their secrets.
    Notifications {
        view: serde_json::Value,
    },
    LinkReview {
        view: ApprovalView,
        approver: String,
    },
    AuditPage(AuditPage),
    AuditVerified(VerifyReport),
    /// Events for the stream, and the `seq` the next poll starts after.
    StreamEvents {
        events: Vec<AuditEvent>,
        last_seq: u64,
    },
    PlanSet,
    BootstrapCreated(BootstrapCreated),
    AgentRegistered(Registered),
    AgentJwt(AgentJwtIssued),
    /// The commands handed to an agent with its health reply.
    AgentCommands {
        commands: Vec<AgentCommand>,
    },
    AgentSecrets {
        grants: Vec<Grant>,
        secrets: Vec<SecretSummary>,
    },
    Agents {
        data: Vec<AgentSummary>,
        pagination: Pagination,
    },
    AgentRevoked {
        id: AgentId,
    },
    AgentReinstated {
        id: AgentId,
    },
    AgentCommandQueued(AgentCommand),
    AgentSettings(AgentSettings),
    GrantCreated(Grant),
    DiscoveryStored(DiscoveryStored),
    Discovery {
        agent_id: AgentId,
        certificates: Vec<Sighting<DiscoveredCertificate>>,
        ssh_keys: Vec<Sighting<DiscoveredSshKey>>,
    },
    AgentCertificates {
        certificates: Vec<Sighting<DiscoveredCertificate>>,
    },
    PasswordRequest(PasswordRequestView),
    PasswordRequests {
        data: Vec<PasswordRequestView>,
    },
    Grants {
        grants: Vec<Grant>,
    },
    LoginChallenge(KdfParams),
    LoggedIn(LoginIssued),
    User(UserView),
    Users {
        users: Vec<UserView>,
    },
    Role(RoleView),
    Roles {
        roles: Vec<RoleView>,
    },
    UserRole(UserRoleView),
    UserRoles {
        user_roles: Vec<UserRoleView>,
    },
    /// Struct variants: the view has a `kind` member of its own.
    AccessRequest {
        request: AccessRequestView,
    },
    AccessRequests {
        requests: Vec<AccessRequestView>,
    },
    WrapCreated(WrapCreated),
    Wraps {
        wraps: Vec<WrapSummary>,
    },
    Unwrapped(Unwrapped),
    KvRead(KvRead),
    KvWritten(KvVersion),
    KvMetadata(KvMetadata),
    KvKeys {
        keys: Vec<String>,
    },
    SecretsReleased(Released),
    UseFinished,
    /// The baseline wrote its row.
    BenchWritten,
    Pong,
}

/// A command's result, errors included.
pub type TenantResult = Result<TenantReply, ApiError>;

mod tenant_name {
    use latchkey_core::tenant::TenantName;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(name: &TenantName, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(name.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TenantName, D::Error> {
        let text = String::deserialize(deserializer)?;
        TenantName::parse(&text).map_err(serde::de::Error::custom)
    }
}
