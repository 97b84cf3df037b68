//! The route table: method + URL path → what the request asks for. Pure, so every route
//! and every malformed URL is tested natively.

use crate::access_request::AccessRequestId;
use crate::agent::{AgentId, GrantId, PasswordRequestId};
use crate::approval::ApprovalId;
use crate::error::{ApiError, ErrorCode};
use crate::field::FieldName;
use crate::path::{SecretPath, percent_decode};
use crate::people::UserId;
use crate::role::{RoleId, UserRoleId};
use crate::tenant::TenantId;
use crate::token::TokenId;
use crate::vault::{self, VaultRoute};
use crate::wrap::WrapId;

mod query;
mod samples;
mod value;
pub use query::check_query;
pub use samples::SAMPLES;
pub use value::ValueMove;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health` (public).
    Health,
    /// `GET /healthz`: the process answers.
    Liveness,
    /// `GET /readyz`: D1 and the Durable Objects answer.
    Readiness,
    /// `GET /metrics` (public): the deployment's Prometheus figures, none about a tenant.
    Metrics,
    /// `GET /v1/metrics` (`audit:read`): the tenant's Prometheus figures.
    TenantMetrics,
    /// `GET /v1/openapi.json` (public): the OpenAPI 3.1 document of every route.
    OpenApi,
    /// `POST /v1/admin/tenants` (operator key).
    CreateTenant,
    /// `POST /v1/secrets`.
    CreateSecret,
    /// `GET /v1/secrets?namespace=…&limit=…&cursor=…`.
    ListSecrets,
    /// `GET /v1/secrets/{url-encoded path}`.
    GetSecret(SecretPath),
    /// `PUT /v1/secrets/{path}`: a new version.
    UpdateSecret(SecretPath),
    /// `PATCH /v1/secrets/{path}`: metadata (and optionally a value) in part.
    PatchSecret(SecretPath),
    /// `DELETE /v1/secrets/{path}[?permanent=true]`.
    DeleteSecret(SecretPath),
    /// `GET /v1/secrets/{path}/versions`.
    ListVersions(SecretPath),
    /// `POST /v1/secrets/{path}/rotate`.
    RotateSecret(SecretPath),
    /// `POST /v1/secrets/{path}/restore`.
    RestoreSecret(SecretPath),
    /// `GET /v1/secrets/{path}/fields`: every field's value.
    GetFields(SecretPath),
    /// `PUT /v1/secrets/{path}/fields` `{fields: {...}}`.
    SetFields(SecretPath),
    /// `GET /v1/secrets/{path}/fields/{field}`.
    GetField(SecretPath, FieldName),
    /// `PUT /v1/secrets/{path}/fields/{field}` `{value}`.
    SetField(SecretPath, FieldName),
    /// `DELETE /v1/secrets/{path}/fields/{field}`.
    DeleteField(SecretPath, FieldName),
    /// `PATCH /v1/admin/tenants/{id}` (operator key): plan and rate limit.
    UpdateTenant(TenantId),
    /// `GET /v1/admin/audit?tenant=…` (operator key): the D1 copy of every tenant's events.
    AdminAudit,
    /// `POST /v1/admin/agent-releases` (operator key): an agent version for one platform
    /// (issue 23; `GET /api/v1/agents/update/latest` answers from these).
    PublishAgentRelease,
    /// `GET /v1/audit?…&format=json|jsonl|csv`.
    ReadAudit,
    /// `GET /v1/audit/verify`.
    VerifyAudit,
    /// `GET /v1/events`: server-sent events.
    EventStream,
    /// `POST /v1/tokens`.
    CreateToken,
    /// `GET /v1/tokens`.
    ListTokens,
    /// `DELETE /v1/tokens/{id}`.
    RevokeToken(TokenId),
    /// `GET /v1/approvals?status=`.
    ListApprovals,
    /// `GET /v1/approvals/{id}`: status, and the token once released (requester).
    GetApproval(ApprovalId),
    /// `POST /v1/approvals/{id}/approve` `{comment}`.
    ApproveRequest(ApprovalId),
    /// `POST /v1/approvals/{id}/deny` `{reason}`.
    DenyRequest(ApprovalId),
    /// `POST /v1/approvals/{id}/cancel`.
    CancelRequest(ApprovalId),
    /// `GET /v1/notifications` and `PUT /v1/notifications`.
    GetNotifications,
    SetNotifications,
    /// `GET /approvals/{id}/review?t=…`: the approver's page (HTML).
    ReviewPage(ApprovalId),
    /// `POST /approvals/{id}/review` (form): the approver's decision (HTML).
    ReviewDecision(ApprovalId),
    /// `GET /v1/policies` and `PUT /v1/policies`.
    GetPolicies,
    SetPolicies,
    /// `POST /v1/bench/baseline`: the benchmark's floor (only with `BENCH=true`).
    BenchBaseline,
    /// `POST /v1/generate`.
    Generate,
    /// `GET /v1/info`.
    Info,
    /// `POST /v1/agents/bootstrap` (`agents:admin`).
    CreateBootstrap,
    /// `POST /v1/agents/register` (the body's bootstrap token).
    RegisterAgent,
    /// `POST /v1/agents/me/refresh-token` (agent JWT).
    RefreshAgentToken,
    /// `POST /v1/agents/me/health` (agent JWT).
    ReportHealth,
    /// `GET /v1/agents/me/secrets` (agent JWT).
    AgentSecrets,
    /// `GET /v1/agents?status=&label=&search=&page=&per_page=`.
    ListAgents,
    /// `GET` and `PUT /v1/agents/settings`.
    GetAgentSettings,
    SetAgentSettings,
    /// `POST /v1/agents/{id}/revoke`.
    RevokeAgent(AgentId),
    /// `POST /v1/agents/{id}/reinstate` (admin): undoes a cascading revocation's suspension.
    ReinstateAgent(AgentId),
    /// `POST /v1/agents/{id}/commands`.
    QueueAgentCommand(AgentId),
    /// `GET /v1/agents/{id}/commands[?limit=]`: the agent's commands and jobs, newest first,
    /// with where each stands (the console's agents page).
    ListAgentCommands(AgentId),
    /// `POST` and `GET /v1/grants[?agent_id=]`.
    CreateGrant,
    ListGrants,
    /// `DELETE /v1/grants/{id}`.
    DeleteGrant(GrantId),
    /// `POST /v1/agents/me/discovery/certificates` (agent JWT).
    ReportCertificates,
    /// `POST /v1/agents/me/ssh-discovery` (agent JWT).
    ReportSshKeys,
    /// `GET /v1/agents/{id}/discovery`.
    AgentDiscovery(AgentId),
    /// `POST /v1/agents/{id}/discovery/import` `{kind, fingerprint}`: a discovered certificate
    /// or SSH key taken under management.
    ImportDiscovered(AgentId),
    /// `GET /v1/agents/me/certificates` (agent JWT).
    AgentCertificates,
    /// `GET /v1/ssh/discovery[?agent_id=&limit=&cursor=]`: every agent's reported SSH keys
    /// (seed 000's `/api/v1/ssh/discovery`, `ssh:discover`).
    SshDiscovery,
    /// `POST` and `GET /v1/agents/me/password-requests` (agent JWT).
    CreatePasswordRequest,
    CollectPasswordRequests,
    /// `GET /v1/admin/password-requests[?status=]` (`agents:admin`).
    ListPasswordRequests,
    /// `POST /v1/admin/password-requests/{id}/approve|reject`.
    ApprovePasswordRequest(PasswordRequestId),
    RejectPasswordRequest(PasswordRequestId),
    /// `POST /v1/auth/login` `{tenant, email, password}` (public).
    Login,
    /// `POST` and `GET /v1/users` (`users:admin`).
    CreateUser,
    ListUsers,
    /// `DELETE /v1/users/{id}` (`users:admin`).
    DeleteUser(UserId),
    /// `POST /v1/users/{id}/reinstate` (admin): undoes a cascading revocation's suspension.
    ReinstateUser(UserId),
    /// `GET /v1/users/{id}/roles`.
    UserRoles(UserId),
    /// `GET /v1/permissions`: the catalog.
    Permissions,
    /// `POST` (`roles:admin`) and `GET /v1/roles`.
    CreateRole,
    ListRoles,
    /// `GET` and `DELETE` (`roles:admin`) `/v1/roles/{id}`.
    GetRole(RoleId),
    DeleteRole(RoleId),
    /// `PUT /v1/roles/{id}/permissions` (`roles:admin`).
    SetRolePermissions(RoleId),
    /// `POST` (`users:admin`) and `GET /v1/user-roles`.
    CreateUserRole,
    ListUserRoles,
    /// `DELETE /v1/user-roles/{id}` (`users:admin`).
    DeleteUserRole(UserRoleId),
    /// `POST /v1/requests/read` and `POST /v1/requests` (a patch).
    CreateReadRequest,
    CreatePatchRequest,
    /// `GET /v1/requests?requester_id=&status=`.
    ListRequests,
    /// `GET /v1/requests/{id}` (with its approvals).
    GetRequest(AccessRequestId),
    /// `POST /v1/requests/{id}/approve|reject|cancel`.
    ApproveAccess(AccessRequestId),
    RejectAccess(AccessRequestId),
    CancelAccess(AccessRequestId),
    /// `GET /v1/requests/{id}/wraps` (summaries) and `…/wraps/{wrap_id}` (the value, once).
    RequestWraps(AccessRequestId),
    RequestWrap(AccessRequestId, WrapId),
    /// `POST /v1/wraps` `{path | value, ttl_seconds}`.
    CreateWrap,
    /// `POST /v1/proxy`: the broker (`secrets:use`).
    Proxy,
    /// `POST /v1/wraps/unwrap` `{wrap_token}` (the wrap token is the credential).
    Unwrap,
    /// `/v1/secret/…`: the Vault KV v2 compatible endpoint.
    Vault(VaultRoute),
}

/// The sub-resources of one secret, after its encoded path.
const SECRET_ACTIONS: &[&str] = &["versions", "rotate", "restore", "fields"];

fn secret_path(encoded: &str) -> Result<SecretPath, ApiError> {
    let decoded = percent_decode(encoded)
        .map_err(|why| ApiError::invalid_request(why).with("field", "path"))?;
    SecretPath::parse(&decoded).map_err(|why| ApiError::validation("path", why))
}

fn agent_id(text: &str) -> Result<AgentId, ApiError> {
    AgentId::parse(text).map_err(|why| ApiError::not_found(why).with("field", "id"))
}

/// An id in a URL: a malformed one names nothing, so it is a 404 like an unknown one.
fn url_id<T>(text: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, ApiError> {
    parse(text).map_err(|why| ApiError::not_found(why).with("field", "id"))
}

fn approval_id(text: &str) -> Result<ApprovalId, ApiError> {
    ApprovalId::parse(text).map_err(|why| ApiError::not_found(why).with("field", "id"))
}

impl Route {
    /// Resolves a request line. Unknown paths are 404, known paths with another method 405
    /// (with the allowed methods in `allow`), undecodable or invalid secret paths 4xx naming
    /// the `path` field.
    pub fn resolve(method: &str, url_path: &str) -> Result<Route, ApiError> {
        let segments: Vec<&str> = url_path.trim_start_matches('/').split('/').collect();
        let candidates: Vec<(&str, Route)> = match segments.as_slice() {
            ["v1", "health"] => vec![("GET", Route::Health)],
            ["healthz"] => vec![("GET", Route::Liveness)],
            ["readyz"] => vec![("GET", Route::Readiness)],
            ["metrics"] => vec![("GET", Route::Metrics)],
            ["v1", "metrics"] => vec![("GET", Route::TenantMetrics)],
            ["v1", "openapi.json"] => vec![("GET", Route::OpenApi)],
            ["v1", "admin", "tenants"] => vec![("POST", Route::CreateTenant)],
            ["v1", "admin", "tenants", id] => {
                let id = TenantId::parse(id)
                    .map_err(|why| ApiError::not_found(why).with("field", "id"))?;
                vec![("PATCH", Route::UpdateTenant(id))]
            }
            ["v1", "admin", "audit"] => vec![("GET", Route::AdminAudit)],
            ["v1", "admin", "agent-releases"] => vec![("POST", Route::PublishAgentRelease)],
            ["v1", "audit"] => vec![("GET", Route::ReadAudit)],
            ["v1", "audit", "verify"] => vec![("GET", Route::VerifyAudit)],
            ["v1", "events"] => vec![("GET", Route::EventStream)],
            ["v1", "tokens"] => vec![("GET", Route::ListTokens), ("POST", Route::CreateToken)],
            ["v1", "tokens", id] => {
                let id = TokenId::parse(id)
                    .map_err(|why| ApiError::not_found(why).with("field", "id"))?;
                vec![("DELETE", Route::RevokeToken(id))]
            }
            ["v1", "approvals"] => vec![("GET", Route::ListApprovals)],
            ["v1", "approvals", id] => vec![("GET", Route::GetApproval(approval_id(id)?))],
            ["v1", "approvals", id, action] => {
                let id = approval_id(id)?;
                match *action {
                    "approve" => vec![("POST", Route::ApproveRequest(id))],
                    "deny" => vec![("POST", Route::DenyRequest(id))],
                    "cancel" => vec![("POST", Route::CancelRequest(id))],
                    _ => return Err(ApiError::not_found(format!("no route for {url_path}"))),
                }
            }
            ["v1", "policies"] => vec![("GET", Route::GetPolicies), ("PUT", Route::SetPolicies)],
            ["v1", "notifications"] => vec![
                ("GET", Route::GetNotifications),
                ("PUT", Route::SetNotifications),
            ],
            ["approvals", id, "review"] => {
                let id = approval_id(id)?;
                vec![
                    ("GET", Route::ReviewPage(id.clone())),
                    ("POST", Route::ReviewDecision(id)),
                ]
            }
            ["v1", "generate"] => vec![("POST", Route::Generate)],
            ["v1", "bench", "baseline"] => vec![("POST", Route::BenchBaseline)],
            ["v1", "info"] => vec![("GET", Route::Info)],
            ["v1", "agents"] => vec![("GET", Route::ListAgents)],
            ["v1", "agents", "bootstrap"] => vec![("POST", Route::CreateBootstrap)],
            ["v1", "agents", "register"] => vec![("POST", Route::RegisterAgent)],
            ["v1", "agents", "settings"] => vec![
                ("GET", Route::GetAgentSettings),
                ("PUT", Route::SetAgentSettings),
            ],
            ["v1", "agents", "me", "refresh-token"] => vec![("POST", Route::RefreshAgentToken)],
            ["v1", "agents", "me", "health"] => vec![("POST", Route::ReportHealth)],
            ["v1", "agents", "me", "secrets"] => vec![("GET", Route::AgentSecrets)],
            ["v1", "agents", "me", "discovery", "certificates"] => {
                vec![("POST", Route::ReportCertificates)]
            }
            ["v1", "agents", "me", "ssh-discovery"] => vec![("POST", Route::ReportSshKeys)],
            ["v1", "agents", "me", "certificates"] => vec![("GET", Route::AgentCertificates)],
            ["v1", "agents", "me", "password-requests"] => vec![
                ("GET", Route::CollectPasswordRequests),
                ("POST", Route::CreatePasswordRequest),
            ],
            ["v1", "ssh", "discovery"] => vec![("GET", Route::SshDiscovery)],
            ["v1", "agents", id, "discovery"] => {
                vec![("GET", Route::AgentDiscovery(agent_id(id)?))]
            }
            ["v1", "agents", id, "discovery", "import"] => {
                vec![("POST", Route::ImportDiscovered(agent_id(id)?))]
            }
            ["v1", "admin", "password-requests"] => vec![("GET", Route::ListPasswordRequests)],
            ["v1", "admin", "password-requests", id, action] => {
                let id = PasswordRequestId::parse(id)
                    .map_err(|why| ApiError::not_found(why).with("field", "id"))?;
                match *action {
                    "approve" => vec![("POST", Route::ApprovePasswordRequest(id))],
                    "reject" => vec![("POST", Route::RejectPasswordRequest(id))],
                    _ => return Err(ApiError::not_found(format!("no route for {url_path}"))),
                }
            }
            ["v1", "agents", id, "revoke"] => vec![("POST", Route::RevokeAgent(agent_id(id)?))],
            ["v1", "agents", id, "reinstate"] => {
                vec![("POST", Route::ReinstateAgent(agent_id(id)?))]
            }
            ["v1", "agents", id, "commands"] => {
                let id = agent_id(id)?;
                vec![
                    ("GET", Route::ListAgentCommands(id.clone())),
                    ("POST", Route::QueueAgentCommand(id)),
                ]
            }
            ["v1", "grants"] => vec![("GET", Route::ListGrants), ("POST", Route::CreateGrant)],
            ["v1", "grants", id] => {
                let id = GrantId::parse(id)
                    .map_err(|why| ApiError::not_found(why).with("field", "id"))?;
                vec![("DELETE", Route::DeleteGrant(id))]
            }
            ["v1", "auth", "login"] => vec![("POST", Route::Login)],
            ["v1", "users"] => vec![("GET", Route::ListUsers), ("POST", Route::CreateUser)],
            ["v1", "users", id] => vec![("DELETE", Route::DeleteUser(url_id(id, UserId::parse)?))],
            ["v1", "users", id, "reinstate"] => {
                vec![("POST", Route::ReinstateUser(url_id(id, UserId::parse)?))]
            }
            ["v1", "users", id, "roles"] => {
                vec![("GET", Route::UserRoles(url_id(id, UserId::parse)?))]
            }
            ["v1", "permissions"] => vec![("GET", Route::Permissions)],
            ["v1", "roles"] => vec![("GET", Route::ListRoles), ("POST", Route::CreateRole)],
            ["v1", "roles", id] => {
                let id = url_id(id, RoleId::parse)?;
                vec![
                    ("GET", Route::GetRole(id.clone())),
                    ("DELETE", Route::DeleteRole(id)),
                ]
            }
            ["v1", "roles", id, "permissions"] => {
                vec![("PUT", Route::SetRolePermissions(url_id(id, RoleId::parse)?))]
            }
            ["v1", "user-roles"] => vec![
                ("GET", Route::ListUserRoles),
                ("POST", Route::CreateUserRole),
            ],
            ["v1", "user-roles", id] => {
                vec![(
                    "DELETE",
                    Route::DeleteUserRole(url_id(id, UserRoleId::parse)?),
                )]
            }
            ["v1", "requests"] => vec![
                ("GET", Route::ListRequests),
                ("POST", Route::CreatePatchRequest),
            ],
            ["v1", "requests", "read"] => vec![("POST", Route::CreateReadRequest)],
            ["v1", "requests", id] => {
                vec![(
                    "GET",
                    Route::GetRequest(url_id(id, AccessRequestId::parse)?),
                )]
            }
            ["v1", "requests", id, "wraps"] => {
                vec![(
                    "GET",
                    Route::RequestWraps(url_id(id, AccessRequestId::parse)?),
                )]
            }
            ["v1", "requests", id, "wraps", wrap] => {
                let id = url_id(id, AccessRequestId::parse)?;
                vec![("GET", Route::RequestWrap(id, url_id(wrap, WrapId::parse)?))]
            }
            ["v1", "requests", id, action] => {
                let id = url_id(id, AccessRequestId::parse)?;
                match *action {
                    "approve" => vec![("POST", Route::ApproveAccess(id))],
                    "reject" => vec![("POST", Route::RejectAccess(id))],
                    "cancel" => vec![("POST", Route::CancelAccess(id))],
                    _ => return Err(ApiError::not_found(format!("no route for {url_path}"))),
                }
            }
            ["v1", "wraps"] => vec![("POST", Route::CreateWrap)],
            ["v1", "proxy"] => vec![("POST", Route::Proxy)],
            ["v1", "wraps", "unwrap"] => vec![("POST", Route::Unwrap)],
            ["v1", "sys", "internal", "ui", "mounts", rest @ ..] => {
                let method = if method == "HEAD" { "GET" } else { method };
                return vault::resolve_mount(method, url_path, rest).map(Route::Vault);
            }
            ["v1", vault::MOUNT, rest @ ..] => {
                let method = if method == "HEAD" { "GET" } else { method };
                return vault::resolve(method, url_path, rest).map(Route::Vault);
            }
            ["v1", "secrets"] => vec![("GET", Route::ListSecrets), ("POST", Route::CreateSecret)],
            ["v1", "secrets", encoded] if !encoded.is_empty() => {
                let path = secret_path(encoded)?;
                vec![
                    ("GET", Route::GetSecret(path.clone())),
                    ("PUT", Route::UpdateSecret(path.clone())),
                    ("PATCH", Route::PatchSecret(path.clone())),
                    ("DELETE", Route::DeleteSecret(path)),
                ]
            }
            ["v1", "secrets", encoded, action]
                if !encoded.is_empty() && SECRET_ACTIONS.contains(action) =>
            {
                let path = secret_path(encoded)?;
                match *action {
                    "versions" => vec![("GET", Route::ListVersions(path))],
                    "rotate" => vec![("POST", Route::RotateSecret(path))],
                    "fields" => vec![
                        ("GET", Route::GetFields(path.clone())),
                        ("PUT", Route::SetFields(path)),
                    ],
                    _ => vec![("POST", Route::RestoreSecret(path))],
                }
            }
            ["v1", "secrets", encoded, "fields", field] if !encoded.is_empty() => {
                let path = secret_path(encoded)?;
                let field =
                    FieldName::parse(field).map_err(|why| ApiError::validation("field", why))?;
                vec![
                    ("GET", Route::GetField(path.clone(), field.clone())),
                    ("PUT", Route::SetField(path.clone(), field.clone())),
                    ("DELETE", Route::DeleteField(path, field)),
                ]
            }
            ["v1", "secrets", first, _, ..] if !first.is_empty() => {
                return Err(ApiError::not_found(format!(
                    "no such route; URL-encode the '/' in a secret path: /v1/secrets/{}",
                    segments.get(2..).map(|s| s.join("%2F")).unwrap_or_default()
                )));
            }
            _ => {
                return Err(ApiError::not_found(format!("no route for {url_path}")));
            }
        };
        pick_method(method, url_path, candidates)
    }
}

/// The route among a path's `candidates` that `method` asks for (`HEAD` as `GET`), or 405
/// naming the methods the path takes (in `allow`, for the `Allow` header). The faces' route
/// tables use it too.
pub fn pick_method<R>(
    method: &str,
    url_path: &str,
    candidates: Vec<(&'static str, R)>,
) -> Result<R, ApiError> {
    let wanted = if method == "HEAD" { "GET" } else { method };
    let allowed: Vec<&str> = candidates.iter().map(|(m, _)| *m).collect();
    candidates
        .into_iter()
        .find(|(m, _)| *m == wanted)
        .map(|(_, route)| route)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{method} is not allowed on {url_path}; use {}",
                    allowed.join(", ")
                ),
            )
            .with("allow", allowed.join(", "))
        })
}

/// The decoded query pairs of a request URL (`application/x-www-form-urlencoded`, exactly as
/// `url::Url::query_pairs` decodes them) without parsing the rest of the URL: the full parse
/// cost a read about 35 µs.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests;
