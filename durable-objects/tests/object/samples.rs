//! One instance of every caller command, built the way the Worker builds them (from the
//! route's body and query through the core's parsers). [`all`] is checked against the
//! contract's list of commands, so a new command fails the matrix until it has a sample.

use crate::support::path;
use latchkey_contract::CallerCommand;
use latchkey_contract::caller::access_requests::*;
use latchkey_contract::caller::agent_plane::*;
use latchkey_contract::caller::agents::*;
use latchkey_contract::caller::approvals::*;
use latchkey_contract::caller::ass::*;
use latchkey_contract::caller::audit::*;
use latchkey_contract::caller::broker::*;
use latchkey_contract::caller::console::*;
use latchkey_contract::caller::discovered::*;
use latchkey_contract::caller::envelopes::*;
use latchkey_contract::caller::fields::*;
use latchkey_contract::caller::maestro::*;
use latchkey_contract::caller::metrics::*;
use latchkey_contract::caller::notifications::*;
use latchkey_contract::caller::passwords::*;
use latchkey_contract::caller::people::*;
use latchkey_contract::caller::secrets::*;
use latchkey_contract::caller::socket::*;
use latchkey_contract::caller::tenant::*;
use latchkey_contract::caller::tokens::*;
use latchkey_contract::caller::vault::*;
use latchkey_contract::caller::vault002::*;
use latchkey_contract::caller::wraps::*;
use latchkey_core::Timestamp;
use latchkey_core::access_request::{AccessRequestId, NewAccessRequest, RequestQuery};
use latchkey_core::agent::discovered::{DiscoveredQuery, DiscoveredSecretId, parse_bulk};
use latchkey_core::agent::discovery::{DiscoveredCertificate, DiscoveredSshKey};
use latchkey_core::agent::envelope::parse_public_key_body;
use latchkey_core::agent::password::NewPasswordRequest;
use latchkey_core::agent::{
    AgentId, AgentQuery, AgentSettings, BootstrapRequest, CommandRequest, GrantId, HealthReport,
    PasswordRequestId, Registration,
};
use latchkey_core::approval::{ApprovalId, Policies};
use latchkey_core::audit::AuditQuery;
use latchkey_core::broker::ProxyRequest;
use latchkey_core::faces::ass::{AssWrite, EnvImport};
use latchkey_core::faces::vault002::VaultGrantRequest;
use latchkey_core::field::{FieldName, FieldValue, parse_field_set};
use latchkey_core::grant::GrantRequest;
use latchkey_core::listing::ListQuery;
use latchkey_core::notification::{NotificationConfig, OutboundPolicy};
use latchkey_core::people::{NewUser, UserId, UserRequest};
use latchkey_core::role::{NewRole, RoleId, UserRoleId, UserRoleRequest, parse_permissions};
use latchkey_core::secret::SecretId;
use latchkey_core::secret::{NewSecret, Rotation, SecretUpdate};
use latchkey_core::token::{TokenId, TokenRequest};
use latchkey_core::vault::KvWrite;
use latchkey_core::wrap::{NewWrap, WrapId};

/// The secret every sample names (a standard-tier path under `prod/`).
pub const PATH: &str = "prod/db";

const AGENT: &str = "agt_0123456789abcdef01234567";

/// A user as the Worker sends it: the password derived once (the slow part) and reused.
fn new_user() -> NewUser {
    static DERIVED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let json = DERIVED.get_or_init(|| {
        let request = UserRequest::parse(
            br#"{"email": "a@example.com", "password": "correct horse battery staple"}"#,
        )
        .unwrap();
        serde_json::to_string(&request.derive().unwrap()).unwrap()
    });
    serde_json::from_str(json).unwrap()
}

/// Every caller command, once.
pub fn all(now: Timestamp) -> Vec<CallerCommand> {
    let p = || path(PATH);
    let field = || FieldName::parse("password").unwrap();
    let agent = || AgentId::parse(AGENT).unwrap();
    let approval = || ApprovalId::parse(&format!("apr_{}", "0".repeat(32))).unwrap();
    let request = || AccessRequestId::parse("req_0123456789abcdef01234567").unwrap();
    let user = || UserId::parse("usr_0123456789abcdef01234567").unwrap();
    let role = || RoleId::parse("rol_0123456789abcdef01234567").unwrap();
    let pairs = |query: &[(&str, &str)]| -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let proxy = ProxyRequest::parse(
        br#"{"secrets": {"K": "prod/db"}, "method": "GET", "url": "https://api.example.com/v1", "headers": {"Authorization": "Bearer {{K}}"}}"#,
    )
    .unwrap();
    let mut commands = vec![
        CreateSecret {
            secret: NewSecret::parse(br#"{"path": "prod/new", "value": "v"}"#, now).unwrap(),
        }
        .into(),
        GetSecret {
            path: p(),
            version: None,
        }
        .into(),
        UpdateSecret {
            path: p(),
            update: SecretUpdate::parse(br#"{"value": "v2"}"#, now).unwrap(),
            if_match: None,
        }
        .into(),
        RotateSecret {
            path: p(),
            rotation: Rotation::parse(br#"{"new_value": "v3", "grace_period_seconds": 60}"#)
                .unwrap(),
        }
        .into(),
        ListVersions { path: p() }.into(),
        DeleteSecret {
            path: p(),
            permanent: false,
        }
        .into(),
        RestoreSecret { path: p() }.into(),
        ListSecrets {
            query: ListQuery::parse(std::iter::empty::<(&str, &str)>()).unwrap(),
        }
        .into(),
        SetField {
            path: p(),
            field: field(),
            value: FieldValue::parse(br#"{"value": "f"}"#).unwrap(),
        }
        .into(),
        SetFields {
            path: p(),
            fields: parse_field_set(br#"{"fields": {"password": "f"}}"#).unwrap(),
        }
        .into(),
        GetField {
            path: p(),
            field: field(),
        }
        .into(),
        GetFields { path: p() }.into(),
        DeleteField {
            path: p(),
            field: field(),
        }
        .into(),
        Info.into(),
        Touch.into(),
        CallerReach.into(),
        CreateToken {
            // Within the scope a `tokens:create` token holds: minting attenuates.
            request: TokenRequest::parse(br#"{"scope": "tokens:create"}"#).unwrap(),
        }
        .into(),
        ListTokens.into(),
        RevokeToken {
            id: TokenId::parse("tok_0123456789abcdef").unwrap(),
        }
        .into(),
        OAuthConsentView.into(),
        GrantOAuthCode {
            client_id: "lkc_0123456789abcdef0123456789abcdef".into(),
            client_name: "sample client".into(),
            redirect_uri: "https://client.example/cb".into(),
            code_challenge: latchkey_core::oauth::CodeChallenge::parse(
                "zq-HdnaeUDqeKH4K_GffGOxeBIbbHbK_V8LuydqP8qU",
            )
            .unwrap(),
            resource: "https://latchkey.example/mcp".into(),
            scope: latchkey_core::scope::ScopeSet::from_member(
                "scope",
                latchkey_core::scope::ScopeTexts(Some(vec!["tokens:create".into()])),
            )
            .unwrap(),
            tier: latchkey_core::secret::Tier::Standard,
        }
        .into(),
        GetApproval { id: approval() }.into(),
        ListApprovals { status: None }.into(),
        ApproveRequest {
            id: approval(),
            comment: None,
        }
        .into(),
        DenyRequest {
            id: approval(),
            reason: None,
        }
        .into(),
        CancelRequest { id: approval() }.into(),
        GetPolicies.into(),
        SetPolicies {
            policies: Policies::parse(br#"{"policies": [{"glob": "prod/*", "sensitive": 1}]}"#)
                .unwrap(),
        }
        .into(),
        GetNotifications.into(),
        SetNotifications {
            config: NotificationConfig::parse(br#"{}"#, OutboundPolicy {
                allow_http_loopback: false,
            }).unwrap(),
        }
        .into(),
        ReadAudit {
            query: AuditQuery::parse(std::iter::empty()).unwrap().0,
        }
        .into(),
        VerifyAudit.into(),
        ReadMetrics.into(),
        OpenConsoleSession.into(),
        DescribeConsoleSession {
            session: latchkey_core::credential::CredentialHash::of("lk_cs_sample"),
        }
        .into(),
        CloseConsoleSession {
            session: latchkey_core::credential::CredentialHash::of("lk_cs_sample"),
        }
        .into(),
        OpenStream { after: None }.into(),
        PollStream { after: 0 }.into(),
        CreateBootstrap {
            request: BootstrapRequest::parse(br#"{}"#).unwrap(),
        }
        .into(),
        RegisterAgent {
            registration: Registration::parse(br#"{"token": "t", "name": "a"}"#)
                .unwrap()
                .1,
        }
        .into(),
        RefreshAgentToken.into(),
        ReportHealth {
            report: HealthReport::parse(br#"{"status": "healthy"}"#, now).unwrap(),
        }
        .into(),
        AgentSecrets.into(),
        ListAgents {
            query: AgentQuery::parse(&[]).unwrap(),
        }
        .into(),
        RevokeAgent { id: agent() }.into(),
        ReinstateAgent { id: agent() }.into(),
        QueueAgentCommand {
            id: agent(),
            command: CommandRequest::parse(br#"{"type": "force_sync"}"#).unwrap(),
        }
        .into(),
        GetAgentSettings.into(),
        SetAgentSettings {
            settings: AgentSettings::parse(br#"{"heartbeat_interval_seconds": 60}"#).unwrap(),
        }
        .into(),
        CreateGrant {
            request: GrantRequest::parse(
                format!(r#"{{"agent_id": "{AGENT}", "path": "prod/*", "actions": ["read"]}}"#)
                    .as_bytes(),
            )
            .unwrap(),
        }
        .into(),
        ListGrants { agent_id: None }.into(),
        DeleteGrant {
            id: GrantId::parse("grt_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        ReportCertificates {
            certificates: DiscoveredCertificate::parse_report(br#"{"certificates": []}"#).unwrap(),
        }
        .into(),
        ReportSshKeys {
            keys: DiscoveredSshKey::parse_report(br#"{"keys": []}"#).unwrap(),
        }
        .into(),
        AgentDiscovery { id: agent() }.into(),
        ListAgentCommands {
            id: agent(),
            limit: latchkey_core::agent::parse_activity_limit([]).unwrap(),
        }
        .into(),
        AgentCertificates.into(),
        ImportDiscovered {
            id: agent(),
            import: latchkey_core::agent::discovery::import::DiscoveryImport::parse(
                br#"{"kind": "certificate", "fingerprint": "SHA256:x"}"#,
            )
            .unwrap(),
        }
        .into(),
        ListSshKeys {
            query: latchkey_core::agent::discovery::SshKeyQuery::parse([]).unwrap(),
        }
        .into(),
        CreatePasswordRequest {
            request: NewPasswordRequest::parse(br#"{"path": "prod/db", "reason": "rotation"}"#).unwrap(),
        }
        .into(),
        CollectPasswordRequests.into(),
        ListPasswordRequests { status: None }.into(),
        ApprovePasswordRequest {
            id: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        RejectPasswordRequest {
            id: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
            reason: None,
        }
        .into(),
        CreateUser {
            user: new_user(),
        }
        .into(),
        ListUsers.into(),
        DeleteUser { id: user() }.into(),
        ReinstateUser { id: user() }.into(),
        UserRoles { id: user() }.into(),
        Permissions.into(),
        CreateRole {
            role: NewRole::parse(br#"{"name": "readers", "permissions": ["audit:read"]}"#).unwrap(),
        }
        .into(),
        ListRoles.into(),
        GetRole { id: role() }.into(),
        SetRolePermissions {
            id: role(),
            permissions: parse_permissions(br#"{"permissions": ["audit:read"]}"#).unwrap(),
        }
        .into(),
        DeleteRole { id: role() }.into(),
        CreateUserRole {
            request: UserRoleRequest::parse(
                br#"{"user_id": "usr_0123456789abcdef01234567", "role_id": "rol_0123456789abcdef01234567"}"#,
            )
            .unwrap(),
        }
        .into(),
        ListUserRoles {
            user_id: None,
            role_id: None,
        }
        .into(),
        DeleteUserRole {
            id: UserRoleId::parse("urs_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        CreateAccessRequest {
            request: NewAccessRequest::parse_read(br#"{"path": "prod/db", "reason": "triage"}"#)
                .unwrap(),
        }
        .into(),
        ListAccessRequests {
            query: RequestQuery::parse(&pairs(&[])).unwrap(),
        }
        .into(),
        GetAccessRequest { id: request() }.into(),
        ApproveAccess {
            id: request(),
            comment: None,
        }
        .into(),
        RejectAccess {
            id: request(),
            reason: None,
        }
        .into(),
        CancelAccess { id: request() }.into(),
        RequestWraps { id: request() }.into(),
        RequestWrap {
            id: request(),
            wrap_id: WrapId::parse("wrp_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        CreateWrap {
            wrap: NewWrap::parse(br#"{"path": "prod/db"}"#).unwrap(),
        }
        .into(),
        ReadKv {
            path: p(),
            version: None,
        }
        .into(),
        SetSecret {
            path: p(),
            value: Some("v2".into()),
            tags: None,
            mode: SetMode::Upsert,
        }
        .into(),
        MintToken {
            request: latchkey_core::faces::maestro::parse_token_request(
                br#"{"name": "ci", "scopes": ["read"], "expires_in": "60s"}"#,
            )
            .unwrap(),
        }
        .into(),
        WriteKv {
            path: p(),
            write: KvWrite::parse(br#"{"data": {"password": "k"}}"#).unwrap(),
        }
        .into(),
        ReadKvMetadata { path: p() }.into(),
        ListKv { prefix: None }.into(),
        DeleteKvVersions {
            path: p(),
            versions: None,
        }
        .into(),
        UndeleteKvVersions {
            path: p(),
            versions: vec![1],
        }
        .into(),
        DestroyKvVersions {
            path: p(),
            versions: vec![1],
        }
        .into(),
        UseSecrets {
            secrets: proxy.secrets.clone(),
            target: proxy.target(),
        }
        .into(),
        ListAllSecrets.into(),
        DestroySecretById {
            id: SecretId::parse("sec_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        GrantSecretById {
            request: VaultGrantRequest::parse(
                br#"{"agent_id": "researcher", "secret_id": "sec_0123456789abcdef01234567"}"#,
            )
            .unwrap(),
        }
        .into(),
        UpsertSecret {
            path: p(),
            write: AssWrite::parse(br#"{"value": "v4", "access_tier": "standard"}"#).unwrap(),
        }
        .into(),
        ImportSecrets {
            import: EnvImport::parse(br#"{"namespace": "prod", "content": "NEW_KEY=v"}"#)
                .unwrap(),
        }
        .into(),
        ListNamespaces.into(),
        MintAgent {
            registration: Registration::parse_mint(br#"{"name": "minted", "os_type": "linux"}"#)
                .unwrap(),
        }
        .into(),
        AgentHeartbeat { id: agent() }.into(),
        CreateJob {
            request: latchkey_core::agent::jobs::JobRequest::parse(
                format!(r#"{{"agent_id": "{AGENT}", "type": "sync"}}"#).as_bytes(),
            )
            .unwrap(),
        }
        .into(),
        RegisterPublicKey {
            agent_id: agent(),
            public_key: parse_public_key_body(
                br#"{"public_key": "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="}"#,
            )
            .unwrap(),
        }
        .into(),
        ClaimJob {
            id: agent(),
            lease_seconds: 60,
        }
        .into(),
        CompleteJob {
            id: agent(),
            job_id: latchkey_core::agent::jobs::JobId::parse("job_0123456789abcdef01234567")
                .unwrap(),
            completion: latchkey_core::agent::jobs::Completion::parse(br#"{"status": "succeeded"}"#)
                .unwrap(),
        }
        .into(),
        AgentSelf.into(),
        IssueDek { agent_id: agent() }.into(),
        UploadDiscovered {
            agent_id: agent(),
            secrets: parse_bulk(
                br#"{"secrets": [{"cluster_name": "prod", "provider": "kubernetes", "ref": "payments/db"}]}"#,
            )
            .unwrap(),
        }
        .into(),
        ListDiscovered {
            query: DiscoveredQuery::parse([]).unwrap(),
        }
        .into(),
        GetDiscovered {
            id: DiscoveredSecretId::parse("dsc_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        carried_request(),
        latchkey_contract::caller::carried::PostAgentWrap {
            agent_id: agent(),
            post: latchkey_core::carried::AgentPost::parse(
                br#"{"job_id": "job_0123456789abcdef01234567", "key_id": "dek_0123456789abcdef01234567", "nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
            )
            .unwrap(),
        }
        .into(),
        latchkey_contract::caller::carried::GetAgentWrap {
            agent_id: agent(),
            wrap_id: latchkey_core::carried::AgentWrapId::parse(
                "awr_0123456789abcdef01234567",
            )
            .unwrap(),
        }
        .into(),
        ConnectAgent {
            id: None,
            since: None,
            sockets_open: 0,
        }
        .into(),
    ];
    commands.extend(gitops_samples());
    commands
}

/// Issue 24's GitOps commands.
fn gitops_samples() -> Vec<CallerCommand> {
    use latchkey_contract::caller::gitops::*;
    use latchkey_core::gitops::{AppMappingId, ArgoEndpointId, NewEndpoint, NewMapping};
    let endpoint = || ArgoEndpointId::parse("argo_0123456789abcdef01234567").unwrap();
    vec![
        GitopsGate.into(),
        CreateArgoEndpoint {
            endpoint: NewEndpoint::parse(
                br#"{"name": "prod", "url": "https://argocd.example.com", "token": "t0ken"}"#,
            )
            .unwrap(),
        }
        .into(),
        ListArgoEndpoints.into(),
        SetArgoEndpointEnabled {
            id: endpoint(),
            enabled: false,
        }
        .into(),
        DeleteArgoEndpoint { id: endpoint() }.into(),
        DiscoverArgoApps { id: endpoint() }.into(),
        CreateAppMapping {
            mapping: NewMapping::parse(
                br#"{"endpoint_id": "argo_0123456789abcdef01234567", "app_name": "web", "paths": ["prod/db"]}"#,
            )
            .unwrap(),
        }
        .into(),
        ListAppMappings.into(),
        DeleteAppMapping {
            id: AppMappingId::parse("gmap_0123456789abcdef01234567").unwrap(),
        }
        .into(),
        RequestGitops {
            id: latchkey_core::access_request::AccessRequestId::parse(
                "req_0123456789abcdef01234567",
            )
            .unwrap(),
        }
        .into(),
    ]
    .into_iter()
    .chain(project_commands())
    .chain(workflow_commands())
    .collect()
}

/// Issue 24's projects and environments.
fn project_commands() -> Vec<CallerCommand> {
    use latchkey_contract::caller::projects::*;
    use latchkey_core::project::{
        EnvironmentId, NewEnvironment, NewProject, ProjectId, parse_force, parse_status,
    };
    let project = || ProjectId::parse("prj_0123456789abcdef01234567").unwrap();
    vec![
        CreateProject {
            project: NewProject::parse(br#"{"name": "payments"}"#).unwrap(),
        }
        .into(),
        ListProjects.into(),
        GetProject { id: project() }.into(),
        SetProjectStatus {
            id: project(),
            status: parse_status(br#"{"status": "archived"}"#).unwrap(),
            force: parse_force([("force", "true")]).unwrap(),
        }
        .into(),
        ProjectEnvironments { id: project() }.into(),
        CreateEnvironment {
            environment: NewEnvironment::parse(
                br#"{"project_id": "prj_0123456789abcdef01234567", "name": "prod", "path_prefix": "prod/", "clusters": ["prod-eu"]}"#,
            )
            .unwrap(),
        }
        .into(),
        ListEnvironments.into(),
        DeleteEnvironment {
            id: EnvironmentId::parse("env_0123456789abcdef01234567").unwrap(),
            force: false,
        }
        .into(),
    ]
}

fn carried_request() -> CallerCommand {
    use latchkey_core::carried::RequestInput;
    match RequestInput::parse_read(
        br#"{"secret_id": "dsc_0123456789abcdef01234567", "reason": "incident 42"}"#,
    )
    .unwrap()
    {
        RequestInput::Carried(request) => {
            latchkey_contract::caller::carried::CreateCarriedRequest { request }.into()
        }
        RequestInput::Stored(_) => unreachable!("a secret_id body is carried"),
    }
}

/// Issue 24's workflows and policies.
fn workflow_commands() -> Vec<CallerCommand> {
    use latchkey_contract::caller::workflows::*;
    use latchkey_core::workflow::policy::{NewPolicy, PolicyId};
    use latchkey_core::workflow::{NewWorkflow, WorkflowRef};
    let workflow = || {
        NewWorkflow::parse(
            br#"{"name": "two", "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 3600}]}"#,
        )
        .unwrap()
    };
    let id = || WorkflowRef::parse("wfl_0123456789abcdef01234567").unwrap();
    let policy = || {
        NewPolicy::parse(
            br#"{"name": "p", "workflow_id": "wfl_0123456789abcdef01234567", "tier": "critical"}"#,
        )
        .unwrap()
    };
    let policy_id = || PolicyId::parse("pol_0123456789abcdef01234567").unwrap();
    vec![
        CreateWorkflow {
            workflow: workflow(),
        }
        .into(),
        ListWorkflows.into(),
        GetWorkflow { id: id() }.into(),
        UpdateWorkflow {
            id: id(),
            workflow: workflow(),
        }
        .into(),
        DeleteWorkflow { id: id() }.into(),
        CreatePolicy { policy: policy() }.into(),
        ListPolicies.into(),
        GetPolicy { id: policy_id() }.into(),
        UpdatePolicy {
            id: policy_id(),
            policy: policy(),
        }
        .into(),
        DeletePolicy { id: policy_id() }.into(),
    ]
}
