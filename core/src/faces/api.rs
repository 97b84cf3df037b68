//! The `/api/v1` face: seeds 000 (MazeVault agents) and 001 (the HTTP route table) served as
//! written. Most of their routes are Latchkey's own under another prefix, so the route table
//! is the native one reached through `/v1/<rest>`, narrowed to the routes the seeds name;
//! the few whose bodies, queries or answers differ are routes of their own here.
//!
//! Errors keep Latchkey's `{"error":{"code","message"}}`: the seeds define no error body.

use crate::access_request::AccessRequestId;
use crate::agent::PasswordRequestId;
use crate::body;
use crate::credential::{CredentialKind, PresentedCredential};
use crate::error::{ApiError, ErrorCode};
use crate::people::LoginRequest;
use crate::route::Route;
use crate::tenant::TenantId;
#[cfg(test)]
use crate::tenant::{Hostname, parse_hostnames};
use crate::wrap::WrapId;
use serde::Deserialize;
use serde_json::{Map, Value};

pub mod plane;
pub use plane::PlaneRoute;
pub mod agent_plane;
pub mod gitops;
pub use gitops::GitopsRoute;
pub mod projects;
pub use projects::ProjectRoute;
pub mod workflows;
pub use workflows::WorkflowRoute;
pub mod socket;

/// Where the face lives.
pub const PREFIX: &str = "/api/v1";

/// Whether the face answers `path`: everything under `/api`, so an unknown `/api/…` path is
/// this face's JSON 404.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// What a request to the face asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRoute {
    /// A route whose path, body and answer are the native route's: its handler serves it.
    Native(Route),
    /// `POST /api/v1/auth/login` `{email, password}`: the tenant is the request's host.
    Login,
    /// `POST /api/v1/requests/{id}/approve` `{approver_id?, comment?}`.
    ApproveAccess(AccessRequestId),
    /// `POST /api/v1/requests/{id}/reject` `{approver_id?, reason?}`.
    RejectAccess(AccessRequestId),
    /// `POST /api/v1/requests/{id}/cancel` `{actor_id?}` (the body may be absent).
    CancelAccess(AccessRequestId),
    /// `GET /api/v1/requests/{id}/wraps?user_id=`.
    RequestWraps(AccessRequestId),
    /// `GET /api/v1/requests/{id}/wraps/{wrap_id}?user_id=`.
    RequestWrap(AccessRequestId, WrapId),
    /// `GET /api/v1/audit-events?actor&action&resource&correlation_id&since&until&limit`.
    AuditEvents,
    /// `GET /api/v1/permissions`: the catalog with the seeds' names, cacheable.
    Permissions,
    /// `POST /api/v1/admin/password-requests/{id}/reject`: the body may be absent.
    RejectPasswordRequest(PasswordRequestId),
    /// `POST /api/v1/agents/bootstrap`: the seed shows no body, so none means the defaults.
    CreateBootstrap,
    /// Seed 001's agent plane (issue 23): minting, heartbeats, jobs, the update check.
    Plane(PlaneRoute),
    /// `PUT /api/v1/agents/{id}/public-key` `{public_key}` (issue 23, [`agent_plane`]).
    AgentPublicKey(crate::agent::AgentId),
    /// `POST /api/v1/agents/{id}/dek`.
    AgentDek(crate::agent::AgentId),
    /// `POST /api/v1/agents/{id}/secrets/bulk` `{secrets: [...]}`.
    AgentSecretsBulk(crate::agent::AgentId),
    /// `GET /api/v1/secrets`: discovered secrets, not the stored ones of `/v1/secrets`.
    DiscoveredSecrets,
    /// `GET /api/v1/secrets/{id}`.
    DiscoveredSecret(crate::agent::discovered::DiscoveredSecretId),
    /// `POST /api/v1/agents/{id}/wraps` (a read job's value, sealed under a DEK).
    AgentWraps(crate::agent::AgentId),
    /// `GET /api/v1/agents/{id}/wraps/{wrap_id}` (a patch job's data, once).
    AgentWrap(crate::agent::AgentId, crate::carried::AgentWrapId),
    /// `GET /api/v1/agents/me/connect` (`None`) and `GET /api/v1/agents/{id}/connect`: the
    /// agent's WebSocket (issue 23, [`socket`]).
    Connect(Option<crate::agent::AgentId>),
    /// Seed 001's GitOps routes (issue 24, [`gitops`]).
    Gitops(GitopsRoute),
    /// Issue 24's projects and environments ([`projects`]).
    Projects(ProjectRoute),
    /// Issue 24's workflows and policies ([`workflows`]).
    Workflows(WorkflowRoute),
}

/// The native routes the seeds name with the same shape (`/api/v1/<rest>` = `/v1/<rest>`).
fn served_as_is(route: &Route) -> bool {
    matches!(
        route,
        // Seed 000.
        Route::RegisterAgent
            | Route::ListAgents
            | Route::AgentDiscovery(_)
            | Route::SshDiscovery
            | Route::RefreshAgentToken
            | Route::ReportHealth
            | Route::AgentCertificates
            | Route::ReportCertificates
            | Route::CreatePasswordRequest
            | Route::CollectPasswordRequests
            | Route::ReportSshKeys
            | Route::ListPasswordRequests
            | Route::ApprovePasswordRequest(_)
            // Seed 001.
            | Route::RevokeAgent(_)
            | Route::CreatePatchRequest
            | Route::CreateReadRequest
            | Route::ListRequests
            | Route::GetRequest(_)
            | Route::CreateRole
            | Route::ListRoles
            | Route::GetRole(_)
            | Route::SetRolePermissions(_)
            | Route::DeleteRole(_)
            | Route::CreateUserRole
            | Route::ListUserRoles
            | Route::DeleteUserRole(_)
            | Route::UserRoles(_)
    )
}

/// The face's route for a native one, or `None` when the seeds do not name it.
fn face_route(route: Route) -> Option<ApiRoute> {
    Some(match route {
        Route::Login => ApiRoute::Login,
        Route::ApproveAccess(id) => ApiRoute::ApproveAccess(id),
        Route::RejectAccess(id) => ApiRoute::RejectAccess(id),
        Route::CancelAccess(id) => ApiRoute::CancelAccess(id),
        Route::RequestWraps(id) => ApiRoute::RequestWraps(id),
        Route::RequestWrap(id, wrap) => ApiRoute::RequestWrap(id, wrap),
        Route::Permissions => ApiRoute::Permissions,
        Route::RejectPasswordRequest(id) => ApiRoute::RejectPasswordRequest(id),
        Route::CreateBootstrap => ApiRoute::CreateBootstrap,
        route if served_as_is(&route) => ApiRoute::Native(route),
        _ => return None,
    })
}

fn no_route(url_path: &str) -> ApiError {
    ApiError::not_found(format!(
        "no route for {url_path}; /api/v1 serves the routes of seeds 000 and 001 that Latchkey has (see README, 'Coming from MazeVault')"
    ))
}

/// Resolves a request to the face. Paths the seeds name but Latchkey does not serve (yet),
/// and native routes the seeds do not name, are 404 like any unknown path.
pub fn resolve(method: &str, url_path: &str) -> Result<ApiRoute, ApiError> {
    let Some(rest) = url_path.strip_prefix("/api/v1/") else {
        return Err(no_route(url_path));
    };
    if rest == "audit-events" {
        return match method {
            "GET" | "HEAD" => Ok(ApiRoute::AuditEvents),
            _ => Err(method_not_allowed(method, url_path, vec!["GET".into()])),
        };
    }
    // `/v1/<rest>` is a native path; the face's own segments never start a native one that
    // means something else (`/api/v1/secret/…` is not the Vault mount).
    if rest.starts_with("secret/") || rest.starts_with("sys/") || rest.is_empty() {
        return Err(no_route(url_path));
    }
    if let Some(route) = socket::resolve(method, url_path, rest) {
        return route.map(ApiRoute::Connect);
    }
    if let Some(route) = gitops::resolve(method, url_path, rest) {
        return route.map(ApiRoute::Gitops);
    }
    if let Some(route) = plane::resolve(method, url_path, rest) {
        return route.map(ApiRoute::Plane);
    }
    if let Some(route) = projects::resolve(method, url_path, rest) {
        return route.map(ApiRoute::Projects);
    }
    if let Some(route) = workflows::resolve(method, url_path, rest) {
        return route.map(ApiRoute::Workflows);
    }
    if let Some(route) = agent_plane::resolve(method, url_path, rest) {
        return route;
    }
    let native_path = format!("/v1/{rest}");
    match Route::resolve(method, &native_path) {
        Ok(route) => face_route(route).ok_or_else(|| no_route(url_path)),
        Err(e) if e.code == ErrorCode::MethodNotAllowed => {
            // Offer only the methods the face serves on this path.
            let allow: Vec<String> = e
                .details
                .get("allow")
                .and_then(Value::as_str)
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|m| {
                    Route::resolve(m, &native_path)
                        .ok()
                        .and_then(face_route)
                        .is_some()
                })
                .map(str::to_owned)
                .collect();
            if allow.is_empty() {
                Err(no_route(url_path))
            } else {
                Err(method_not_allowed(method, url_path, allow))
            }
        }
        // A malformed id and the like: the native message, about the face's path.
        Err(mut e) => {
            if e.code == ErrorCode::NotFound && e.message.starts_with("no route for ") {
                return Err(no_route(url_path));
            }
            e.message = e.message.replace(&native_path, url_path);
            Err(e)
        }
    }
}

pub(crate) fn method_not_allowed(method: &str, url_path: &str, allow: Vec<String>) -> ApiError {
    let allow = allow.join(", ");
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {url_path}; allowed: {allow}"),
    )
    .with("allow", allow)
}

/// `route` when `method` is one of `allowed` (HEAD counts as GET), else the 405 listing them:
/// the tail of each sub-router's `resolve`.
pub(crate) fn when_allowed<R>(
    method: &str,
    url_path: &str,
    allowed: &[&str],
    route: Result<R, ApiError>,
) -> Result<R, ApiError> {
    if allowed.contains(&method) || (method == "HEAD" && allowed.contains(&"GET")) {
        route
    } else {
        Err(method_not_allowed(
            method,
            url_path,
            allowed.iter().map(|m| (*m).to_owned()).collect(),
        ))
    }
}

/// The query parameters a route takes on this face; any other is a 400 naming it. A native
/// route takes what it takes on `/v1` (the seeds' list filters are Latchkey's).
pub fn allowed_query(route: &ApiRoute) -> &'static [&'static str] {
    match route {
        ApiRoute::Native(route) => route.query_parameters(),
        ApiRoute::RequestWraps(_) | ApiRoute::RequestWrap(..) => &["user_id"],
        ApiRoute::AuditEvents => AUDIT_PARAMETERS,
        ApiRoute::Plane(route) => route.query_parameters(),
        ApiRoute::Projects(route) => route.query_parameters(),
        ApiRoute::Login
        | ApiRoute::ApproveAccess(_)
        | ApiRoute::RejectAccess(_)
        | ApiRoute::CancelAccess(_)
        | ApiRoute::Permissions
        | ApiRoute::RejectPasswordRequest(_)
        | ApiRoute::CreateBootstrap
        | ApiRoute::Gitops(_)
        | ApiRoute::Workflows(_) => &[],
        ApiRoute::Connect(_) => &["since"],
        ApiRoute::AgentPublicKey(_)
        | ApiRoute::AgentDek(_)
        | ApiRoute::AgentWraps(_)
        | ApiRoute::AgentWrap(..)
        | ApiRoute::AgentSecretsBulk(_)
        | ApiRoute::DiscoveredSecrets
        | ApiRoute::DiscoveredSecret(_) => {
            agent_plane::query(route).map_or(&[], |(known, _)| known)
        }
    }
}

/// Refuses a query parameter `route` does not take, and one given twice (400, naming it).
pub fn check_query(route: &ApiRoute, pairs: &[(String, String)]) -> Result<(), ApiError> {
    crate::route::check_query(
        allowed_query(route),
        agent_plane::query(route).map_or(&[], |(_, repeatable)| repeatable),
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// Seed 001's audit filters, and `cursor` to follow the answer's `next_cursor`.
const AUDIT_PARAMETERS: &[&str] = &[
    "actor",
    "action",
    "resource",
    "correlation_id",
    "since",
    "until",
    "limit",
    "cursor",
];

/// Seed 001's audit filters as the native audit query's: `action` is the event type,
/// `resource` the secret path (the path and everything below it). Run [`check_query`] first.
pub fn audit_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let native = match k.as_str() {
                "action" => "type",
                "resource" => "namespace",
                other => other,
            };
            (native.to_owned(), v.clone())
        })
        .collect()
}

/// A native audit-query error, in the seed's parameter names.
pub fn audit_error(mut error: ApiError) -> ApiError {
    let renamed = match error.details.get("field").and_then(Value::as_str) {
        Some("type") => Some(("type", "action")),
        Some("namespace") => Some(("namespace", "resource")),
        _ => None,
    };
    if let Some((native, seed)) = renamed {
        error.message = error
            .message
            .replace(&format!("'{native}'"), &format!("'{seed}'"));
        error = error.with("field", seed);
    }
    error
}

/// The user a credential claims to be, read without verifying it: the tenant object verifies
/// the JWT on the same request, so a forged subject is refused there (401) whatever this says.
/// `None` for anything but a person's login JWT.
pub fn claimed_user(credential: &PresentedCredential) -> Option<String> {
    if credential.kind != CredentialKind::UserJwt {
        return None;
    }
    let token = jwt_compact::UntrustedToken::new(credential.jwt.as_deref()?).ok()?;
    let claims = token
        .deserialize_claims_unchecked::<crate::jwt::SessionClaims>()
        .ok()?;
    Some(claims.custom.sub)
}

/// Seed 001 names the acting person in the request (`approver_id`, `actor_id`, `?user_id=`);
/// Latchkey acts as the authenticated caller. A name is accepted when it is the caller's own
/// user id and refused (403) otherwise, so it can never act for someone else.
pub fn check_names_caller(
    member: &str,
    named: Option<&str>,
    caller_user: Option<&str>,
) -> Result<(), ApiError> {
    match (named, caller_user) {
        (None, _) => Ok(()),
        (Some(named), Some(me)) if named == me => Ok(()),
        (Some(named), Some(me)) => Err(forbidden(
            member,
            format!(
                "'{member}' is '{named}', but the caller is '{me}'; one may act only as oneself"
            ),
        )),
        (Some(named), None) => Err(forbidden(
            member,
            format!(
                "'{member}' is '{named}', but the caller is not a logged-in user; leave '{member}' out to act with this credential"
            ),
        )),
    }
}

fn forbidden(member: &str, message: String) -> ApiError {
    ApiError::new(ErrorCode::PermissionDenied, message).with("field", member)
}

/// `{approver_id?, comment?}` (approve) or `{approver_id?, reason?}` (reject).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    approver_id: body::OptText,
    #[serde(default)]
    comment: body::OptText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    #[serde(default)]
    approver_id: body::OptText,
    #[serde(default)]
    reason: body::OptText,
}

/// A decision body: who the seed says decides, and the note as the native body carries it
/// (for [`crate::approval::parse_decision_note`]). An empty body is neither.
pub fn decision(bytes: &[u8], member: &str) -> Result<(Option<String>, Vec<u8>), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, Vec::new()));
    }
    let (approver, note) = if member == "comment" {
        let body: ApproveBody = body::parse(bytes)?;
        (body.approver_id.0, body.comment.0)
    } else {
        let body: RejectBody = body::parse(bytes)?;
        (body.approver_id.0, body.reason.0)
    };
    let mut native = Map::new();
    if let Some(note) = note {
        native.insert(member.to_owned(), Value::String(note));
    }
    let native = serde_json::to_vec(&Value::Object(native)).map_err(|_| ApiError::internal())?;
    Ok((approver, native))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    actor_id: body::OptText,
}

/// `{actor_id?}` of a cancel; an empty body names no one.
pub fn cancel_actor(bytes: &[u8]) -> Result<Option<String>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(body::parse::<CancelBody>(bytes)?.actor_id.0)
}

/// Seed 001's login body `{email, password}` (a `tenant` member is still accepted) as the
/// native login, with the tenant the request's host belongs to. Without either, or when the
/// two disagree, the answer names the problem.
pub fn login_request(
    bytes: &[u8],
    host: Option<&str>,
    host_tenant: Option<&TenantId>,
) -> Result<LoginRequest, ApiError> {
    let mut members: Map<String, Value> = match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(ApiError::invalid_request(
                "request body must be a JSON object",
            ));
        }
        Err(e) => {
            return Err(ApiError::invalid_request(format!(
                "request body is not valid JSON: {e}"
            )));
        }
    };
    let given = members
        .get("tenant")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match (given, host_tenant) {
        (Some(given), Some(hosted)) if given != hosted.as_str() => {
            return Err(ApiError::validation(
                "tenant",
                format!(
                    "'tenant' is '{given}', but {} belongs to another tenant; leave 'tenant' out",
                    host.unwrap_or("this host")
                ),
            ));
        }
        (None, Some(hosted)) if !members.contains_key("tenant") => {
            members.insert("tenant".into(), Value::String(hosted.as_str().to_owned()));
        }
        (None, None) if !members.contains_key("tenant") => {
            return Err(ApiError::validation(
                "tenant",
                format!(
                    "{} is not a tenant's hostname, so the tenant is unknown; log in at your tenant's own hostname, or add 'tenant'",
                    host.map_or("this request's host".to_owned(), |h| format!("'{h}'"))
                ),
            ));
        }
        _ => {}
    }
    let bytes = zeroize::Zeroizing::new(
        serde_json::to_vec(&Value::Object(members)).map_err(|_| ApiError::internal())?,
    );
    LoginRequest::parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "req_0123456789abcdef01234567";

    #[test]
    fn resolve_prefix_only_route_is_the_native_one() {
        for (method, path) in [
            ("POST", "/api/v1/agents/register"),
            ("GET", "/api/v1/agents"),
            ("POST", "/api/v1/agents/me/health"),
            ("GET", "/api/v1/admin/password-requests"),
            ("GET", "/api/v1/roles"),
            ("POST", "/api/v1/requests/read"),
            ("GET", "/api/v1/user-roles"),
        ] {
            let native = Route::resolve(method, &path.replacen("/api", "", 1)).unwrap();
            assert_eq!(
                resolve(method, path),
                Ok(ApiRoute::Native(native)),
                "{path}"
            );
        }
        assert_eq!(resolve("POST", "/api/v1/auth/login"), Ok(ApiRoute::Login));
        assert_eq!(
            resolve("GET", "/api/v1/audit-events"),
            Ok(ApiRoute::AuditEvents)
        );
        assert_eq!(
            resolve("GET", "/api/v1/permissions"),
            Ok(ApiRoute::Permissions)
        );
        assert!(matches!(
            resolve("POST", &format!("/api/v1/requests/{REQ}/approve")),
            Ok(ApiRoute::ApproveAccess(_))
        ));
    }

    #[test]
    fn resolve_route_the_seeds_do_not_name_is_not_found() {
        for (method, path) in [
            ("POST", "/api/v1/tokens"),
            ("GET", "/api/v1/secret/data/x"),
            ("GET", "/api/v1/metrics"),
            ("GET", "/api/v1/workflow"),
            ("GET", "/api/v2/agents"),
            ("GET", "/api/v1/"),
            ("GET", "/api"),
        ] {
            let e = resolve(method, path).unwrap_err();
            assert_eq!(e.status(), 404, "{method} {path}: {e:?}");
            assert!(e.message.contains(path), "{path}: {}", e.message);
        }
    }

    #[test]
    fn resolve_wrong_method_offers_only_face_methods() {
        let e = resolve("DELETE", "/api/v1/roles").unwrap_err();
        assert_eq!(e.status(), 405);
        assert_eq!(
            e.details.get("allow").and_then(Value::as_str),
            Some("GET, POST")
        );
        let e = resolve("PUT", "/api/v1/audit-events").unwrap_err();
        assert_eq!(e.status(), 405);
    }

    #[test]
    fn check_query_unknown_parameter_is_400_naming_it() {
        let pairs = |k: &str| vec![(k.to_owned(), "x".to_owned())];
        let list = ApiRoute::Native(Route::ListAgents);
        assert!(check_query(&list, &pairs("per_page")).is_ok());
        let e = check_query(&list, &pairs("env")).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.message.contains("'env'"));
        assert_eq!(e.details.get("field").and_then(Value::as_str), Some("env"));
        let get = ApiRoute::Native(Route::ListRoles);
        assert!(check_query(&get, &pairs("env")).is_err());
        assert!(check_query(&get, &[]).is_ok());
        assert!(check_query(&ApiRoute::AuditEvents, &pairs("resource")).is_ok());
        assert!(check_query(&ApiRoute::AuditEvents, &pairs("type")).is_err());
    }

    #[test]
    fn audit_pairs_rename_action_and_resource() {
        let pairs = vec![
            ("action".to_owned(), "secret.read".to_owned()),
            ("resource".to_owned(), "prod/db".to_owned()),
            ("actor".to_owned(), "master".to_owned()),
        ];
        let native = audit_pairs(&pairs);
        assert_eq!(native[0].0, "type");
        assert_eq!(native[1].0, "namespace");
        assert_eq!(native[2].0, "actor");
        let e = audit_error(ApiError::invalid_request("'type' must be x").with("field", "type"));
        assert_eq!(e.message, "'action' must be x");
        assert_eq!(
            e.details.get("field").and_then(Value::as_str),
            Some("action")
        );
    }

    #[test]
    fn check_names_caller_someone_else_is_403() {
        assert!(check_names_caller("approver_id", None, None).is_ok());
        assert!(check_names_caller("approver_id", Some("usr_a"), Some("usr_a")).is_ok());
        let e = check_names_caller("approver_id", Some("usr_b"), Some("usr_a")).unwrap_err();
        assert_eq!(e.status(), 403);
        assert_eq!(
            e.details.get("field").and_then(Value::as_str),
            Some("approver_id")
        );
        assert_eq!(
            check_names_caller("user_id", Some("usr_a"), None).map_err(|e| e.status()),
            Err(403)
        );
    }

    #[test]
    fn decision_body_splits_approver_and_note() {
        let (who, native) =
            decision(br#"{"approver_id":"usr_a","comment":"ok"}"#, "comment").unwrap();
        assert_eq!(who.as_deref(), Some("usr_a"));
        assert_eq!(native, br#"{"comment":"ok"}"#);
        let (who, native) =
            decision(br#"{"approver_id":"usr_a","reason":"no"}"#, "reason").unwrap();
        assert_eq!(who.as_deref(), Some("usr_a"));
        assert_eq!(native, br#"{"reason":"no"}"#);
        assert_eq!(decision(b"", "comment").unwrap(), (None, Vec::new()));
        let e = decision(br#"{"approver_id":"usr_a","reason":"no"}"#, "comment").unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(Value::as_str),
            Some("reason")
        );
        assert_eq!(
            cancel_actor(br#"{"actor_id":"usr_a"}"#).unwrap().as_deref(),
            Some("usr_a")
        );
        assert!(cancel_actor(br#"{"actor":"usr_a"}"#).is_err());
    }

    #[test]
    fn hostname_parse_takes_dns_names_only() {
        assert_eq!(
            Hostname::parse("Vault.Example.COM.").unwrap().as_str(),
            "vault.example.com"
        );
        for bad in [
            "",
            "localhost",
            "a..b",
            "-a.b",
            "a-.b",
            "a_b.c",
            "a.b:80",
            "é.com",
        ] {
            assert!(Hostname::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Hostname::of_host_header("acme.example.com:8787")
                .unwrap()
                .as_str(),
            "acme.example.com"
        );
        assert!(Hostname::of_host_header("127.0.0.1:8787").is_some());
        assert!(Hostname::of_host_header("localhost:8787").is_none());
        let names = parse_hostnames(&serde_json::json!([
            "b.example.com",
            "a.example.com",
            "B.example.com"
        ]))
        .unwrap();
        assert_eq!(names.len(), 2);
        assert_eq!(names[0].as_str(), "a.example.com");
        assert!(parse_hostnames(&serde_json::json!("a.example.com")).is_err());
        assert!(parse_hostnames(&serde_json::json!(["x"])).is_err());
    }

    #[test]
    fn login_request_takes_the_tenant_from_the_host() {
        let tenant = TenantId::generate().unwrap();
        let body = br#"{"email":"ada@example.com","password":"correct horse"}"#;
        let login = login_request(body, Some("acme.example.com"), Some(&tenant)).unwrap();
        assert_eq!(login.tenant, tenant);
        let e = login_request(body, Some("127.0.0.1"), None).unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(Value::as_str),
            Some("tenant")
        );
        assert!(e.message.contains("127.0.0.1"), "{}", e.message);
        let other = TenantId::generate().unwrap();
        let with = format!(
            r#"{{"tenant":"{other}","email":"ada@example.com","password":"correct horse"}}"#
        );
        assert_eq!(
            login_request(with.as_bytes(), None, None).unwrap().tenant,
            other
        );
        assert!(login_request(with.as_bytes(), Some("acme.example.com"), Some(&tenant)).is_err());
        let extra = br#"{"email":"ada@example.com","password":"x","remember":true}"#;
        assert!(login_request(extra, None, Some(&tenant)).is_err());
    }
}
