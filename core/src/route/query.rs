//! Which query parameters each route reads. The front door refuses any other, and any one
//! given twice, before a handler runs: a parameter a route does not read must never be
//! silently ignored. (`?env=prod` on a single secret once was, so a client that kept `prod`
//! and `dev` apart by it read and wrote one shared secret.)

use super::Route;
use crate::error::ApiError;
use crate::vault::VaultRoute;

const SECRET_LIST: &[&str] = &[
    "namespace",
    "environment",
    "tag",
    "tier",
    "q",
    "expiring_within",
    "include_deleted",
    "limit",
    "cursor",
];
const AUDIT_FILTERS: &[&str] = &[
    "namespace",
    "actor",
    "type",
    "correlation_id",
    "since",
    "until",
    "success",
    "limit",
    "cursor",
    "format",
];
/// The operator's search over the D1 copy: one tenant or all, no export format (it answers
/// JSON only), and no namespace (the copy is not indexed by path).
const OPERATOR_AUDIT_FILTERS: &[&str] = &[
    "tenant",
    "actor",
    "type",
    "correlation_id",
    "since",
    "until",
    "success",
    "limit",
    "cursor",
];
const AGENT_LIST: &[&str] = &["status", "label", "search", "page", "per_page"];
const NONE: &[&str] = &[];

impl Route {
    /// The query parameters this route reads (each at most once). Exhaustive, so a new route
    /// does not compile until it says.
    pub fn query_parameters(&self) -> &'static [&'static str] {
        match self {
            Route::ListSecrets => SECRET_LIST,
            Route::GetSecret(_) => &["version"],
            Route::DeleteSecret(_) => &["permanent"],
            Route::ReadAudit => AUDIT_FILTERS,
            Route::AdminAudit => OPERATOR_AUDIT_FILTERS,
            Route::ListApprovals | Route::ListPasswordRequests => &["status"],
            Route::ListAgents => AGENT_LIST,
            Route::SshDiscovery => &["agent_id", "limit", "cursor"],
            Route::ListGrants => &["agent_id"],
            Route::ListAgentCommands(_) => &["limit"],
            Route::ListUserRoles => &["user_id", "role_id"],
            Route::ListRequests => &["requester_id", "status"],
            Route::ReviewPage(_) => &["t"],
            Route::Vault(VaultRoute::ReadData(_)) => &["version"],
            Route::Vault(VaultRoute::ReadMetadata(_)) => &["list"],
            Route::Vault(
                VaultRoute::WriteData(_)
                | VaultRoute::DeleteLatest(_)
                | VaultRoute::List(_)
                | VaultRoute::DeleteMetadata(_)
                | VaultRoute::DeleteVersions(_)
                | VaultRoute::UndeleteVersions(_)
                | VaultRoute::DestroyVersions(_)
                | VaultRoute::MountInfo,
            ) => NONE,
            Route::Health
            | Route::Liveness
            | Route::Readiness
            | Route::Metrics
            | Route::TenantMetrics
            | Route::OpenApi
            | Route::CreateTenant
            | Route::PublishAgentRelease
            | Route::UpdateTenant(_)
            | Route::CreateSecret
            | Route::UpdateSecret(_)
            | Route::PatchSecret(_)
            | Route::ListVersions(_)
            | Route::RotateSecret(_)
            | Route::RestoreSecret(_)
            | Route::GetFields(_)
            | Route::SetFields(_)
            | Route::GetField(..)
            | Route::SetField(..)
            | Route::DeleteField(..)
            | Route::VerifyAudit
            | Route::EventStream
            | Route::CreateToken
            | Route::ListTokens
            | Route::RevokeToken(_)
            | Route::GetApproval(_)
            | Route::ApproveRequest(_)
            | Route::DenyRequest(_)
            | Route::CancelRequest(_)
            | Route::GetNotifications
            | Route::SetNotifications
            | Route::ReviewDecision(_)
            | Route::GetPolicies
            | Route::SetPolicies
            | Route::BenchBaseline
            | Route::Generate
            | Route::Info
            | Route::CreateBootstrap
            | Route::RegisterAgent
            | Route::RefreshAgentToken
            | Route::ReportHealth
            | Route::AgentSecrets
            | Route::GetAgentSettings
            | Route::SetAgentSettings
            | Route::RevokeAgent(_)
            | Route::ReinstateAgent(_)
            | Route::QueueAgentCommand(_)
            | Route::CreateGrant
            | Route::DeleteGrant(_)
            | Route::ReportCertificates
            | Route::ReportSshKeys
            | Route::AgentDiscovery(_)
            | Route::ImportDiscovered(_)
            | Route::AgentCertificates
            | Route::CreatePasswordRequest
            | Route::CollectPasswordRequests
            | Route::ApprovePasswordRequest(_)
            | Route::RejectPasswordRequest(_)
            | Route::Login
            | Route::CreateUser
            | Route::ListUsers
            | Route::DeleteUser(_)
            | Route::ReinstateUser(_)
            | Route::UserRoles(_)
            | Route::Permissions
            | Route::CreateRole
            | Route::ListRoles
            | Route::GetRole(_)
            | Route::DeleteRole(_)
            | Route::SetRolePermissions(_)
            | Route::CreateUserRole
            | Route::DeleteUserRole(_)
            | Route::CreateReadRequest
            | Route::CreatePatchRequest
            | Route::GetRequest(_)
            | Route::ApproveAccess(_)
            | Route::RejectAccess(_)
            | Route::CancelAccess(_)
            | Route::RequestWraps(_)
            | Route::RequestWrap(..)
            | Route::CreateWrap
            | Route::Proxy
            | Route::Unwrap => NONE,
        }
    }

    /// Those of [`Route::query_parameters`] that may be given more than once: each adds a
    /// filter (`tag=env:prod&tag=team:core` is both).
    pub fn repeatable_query_parameters(&self) -> &'static [&'static str] {
        match self {
            Route::ListSecrets => &["tag"],
            _ => NONE,
        }
    }

    /// Refuses (400 `invalid_request`, naming it in `field`) a query parameter this route
    /// does not read, and a single-valued one given more than once, since the route would
    /// read only one.
    pub fn check_query<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), ApiError> {
        check_query(
            self.query_parameters(),
            self.repeatable_query_parameters(),
            pairs,
        )
    }
}

/// [`Route::check_query`] for any table of known parameters (the faces use it for theirs).
pub fn check_query<'a>(
    known: &[&str],
    repeatable: &[&str],
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in pairs {
        if !known.contains(&name) {
            let expected = match known {
                [] => "this route takes no query parameters".to_owned(),
                [only] => format!("this route takes only '{only}'"),
                _ => format!("this route takes {}", known.join(", ")),
            };
            return Err(ApiError::invalid_request(format!(
                "unknown query parameter '{name}'; {expected}"
            ))
            .with("field", name));
        }
        if seen.contains(&name) && !repeatable.contains(&name) {
            return Err(ApiError::invalid_request(format!(
                "query parameter '{name}' is given more than once; give it once"
            ))
            .with("field", name));
        }
        seen.push(name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::SAMPLES;
    use super::*;
    use crate::error::ErrorCode;

    fn resolve(method: &str, url: &str) -> Route {
        Route::resolve(method, url).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    #[test]
    fn check_query_unknown_parameter_on_any_route_is_refused_naming_it() {
        for (method, url) in SAMPLES {
            let route = resolve(method, url);
            let error = route
                .check_query([("env", "prod")])
                .expect_err("env is no route's parameter");
            assert_eq!(error.code, ErrorCode::InvalidRequest, "{method} {url}");
            assert_eq!(error.details["field"], "env", "{method} {url}");
            assert!(error.message.contains("'env'"), "{}", error.message);
        }
    }

    #[test]
    fn check_query_each_known_parameter_once_is_accepted() {
        for (method, url) in SAMPLES {
            let route = resolve(method, url);
            let pairs: Vec<(&str, &str)> = route
                .query_parameters()
                .iter()
                .map(|name| (*name, "x"))
                .collect();
            assert_eq!(route.check_query(pairs), Ok(()), "{method} {url}");
        }
    }

    #[test]
    fn check_query_a_known_parameter_twice_is_refused() {
        let route = resolve("GET", "/v1/secrets/db");
        let error = route
            .check_query([("version", "1"), ("version", "2")])
            .expect_err("twice");
        assert_eq!(error.details["field"], "version");
        assert!(error.message.contains("more than once"));
    }

    #[test]
    fn check_query_repeatable_parameters_are_read_by_their_route() {
        for (method, url) in SAMPLES {
            let route = resolve(method, url);
            for name in route.repeatable_query_parameters() {
                assert!(route.query_parameters().contains(name), "{method} {url}");
            }
        }
        let list = resolve("GET", "/v1/secrets");
        assert_eq!(list.check_query([("tag", "a:1"), ("tag", "b:2")]), Ok(()));
    }

    #[test]
    fn check_query_single_secret_routes_read_no_env() {
        for (method, url) in [
            ("GET", "/v1/secrets/db"),
            ("PUT", "/v1/secrets/db"),
            ("DELETE", "/v1/secrets/db"),
            ("GET", "/v1/secrets/db/fields"),
            ("PUT", "/v1/secrets/db/fields/host"),
            ("DELETE", "/v1/secrets/db/fields/host"),
        ] {
            assert!(
                !resolve(method, url).query_parameters().contains(&"env"),
                "{method} {url}"
            );
        }
    }

    #[test]
    fn check_query_message_lists_what_the_route_takes() {
        let none = resolve("GET", "/v1/info").check_query([("x", "")]);
        assert!(none.expect_err("x").message.contains("takes no query"));
        let one = resolve("DELETE", "/v1/secrets/db").check_query([("x", "")]);
        assert!(one.expect_err("x").message.contains("only 'permanent'"));
    }
}
