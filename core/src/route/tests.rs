use super::*;

fn path(text: &str) -> SecretPath {
    SecretPath::parse(text).unwrap()
}

fn apr() -> ApprovalId {
    ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap()
}

fn field(text: &str) -> FieldName {
    FieldName::parse(text).unwrap()
}

fn secret(text: &str) -> Route {
    Route::GetSecret(path(text))
}

#[test]
fn resolves_every_route() {
    let table = [
        ("GET", "/v1/health", Route::Health),
        ("GET", "/healthz", Route::Liveness),
        ("GET", "/readyz", Route::Readiness),
        ("GET", "/metrics", Route::Metrics),
        ("GET", "/v1/metrics", Route::TenantMetrics),
        ("GET", "/v1/openapi.json", Route::OpenApi),
        ("HEAD", "/v1/openapi.json", Route::OpenApi),
        ("POST", "/v1/admin/tenants", Route::CreateTenant),
        ("POST", "/v1/agents/bootstrap", Route::CreateBootstrap),
        ("POST", "/v1/auth/login", Route::Login),
        ("POST", "/v1/users", Route::CreateUser),
        ("GET", "/v1/users", Route::ListUsers),
        (
            "DELETE",
            "/v1/users/usr_0123456789abcdef01234567",
            Route::DeleteUser(UserId::parse("usr_0123456789abcdef01234567").unwrap()),
        ),
        (
            "GET",
            "/v1/users/usr_0123456789abcdef01234567/roles",
            Route::UserRoles(UserId::parse("usr_0123456789abcdef01234567").unwrap()),
        ),
        ("GET", "/v1/permissions", Route::Permissions),
        ("GET", "/v1/roles", Route::ListRoles),
        ("POST", "/v1/roles", Route::CreateRole),
        (
            "GET",
            "/v1/roles/rol_000000000000000000000001",
            Route::GetRole(RoleId::parse("rol_000000000000000000000001").unwrap()),
        ),
        (
            "DELETE",
            "/v1/roles/rol_000000000000000000000001",
            Route::DeleteRole(RoleId::parse("rol_000000000000000000000001").unwrap()),
        ),
        (
            "PUT",
            "/v1/roles/rol_000000000000000000000001/permissions",
            Route::SetRolePermissions(RoleId::parse("rol_000000000000000000000001").unwrap()),
        ),
        ("GET", "/v1/user-roles", Route::ListUserRoles),
        ("POST", "/v1/user-roles", Route::CreateUserRole),
        (
            "DELETE",
            "/v1/user-roles/urs_0123456789abcdef01234567",
            Route::DeleteUserRole(UserRoleId::parse("urs_0123456789abcdef01234567").unwrap()),
        ),
        ("POST", "/v1/requests/read", Route::CreateReadRequest),
        ("POST", "/v1/requests", Route::CreatePatchRequest),
        ("GET", "/v1/requests", Route::ListRequests),
        (
            "GET",
            "/v1/requests/req_0123456789abcdef01234567",
            Route::GetRequest(AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()),
        ),
        (
            "POST",
            "/v1/requests/req_0123456789abcdef01234567/approve",
            Route::ApproveAccess(AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()),
        ),
        (
            "POST",
            "/v1/requests/req_0123456789abcdef01234567/reject",
            Route::RejectAccess(AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()),
        ),
        (
            "POST",
            "/v1/requests/req_0123456789abcdef01234567/cancel",
            Route::CancelAccess(AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()),
        ),
        (
            "GET",
            "/v1/requests/req_0123456789abcdef01234567/wraps",
            Route::RequestWraps(AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()),
        ),
        (
            "GET",
            "/v1/requests/req_0123456789abcdef01234567/wraps/wrp_0123456789abcdef01234567",
            Route::RequestWrap(
                AccessRequestId::parse("req_0123456789abcdef01234567").unwrap(),
                WrapId::parse("wrp_0123456789abcdef01234567").unwrap(),
            ),
        ),
        ("POST", "/v1/wraps", Route::CreateWrap),
        ("POST", "/v1/proxy", Route::Proxy),
        ("POST", "/v1/wraps/unwrap", Route::Unwrap),
        ("POST", "/v1/agents/register", Route::RegisterAgent),
        (
            "POST",
            "/v1/agents/me/refresh-token",
            Route::RefreshAgentToken,
        ),
        ("POST", "/v1/agents/me/health", Route::ReportHealth),
        ("GET", "/v1/agents/me/secrets", Route::AgentSecrets),
        ("GET", "/v1/agents", Route::ListAgents),
        ("GET", "/v1/ssh/discovery", Route::SshDiscovery),
        ("GET", "/v1/agents/settings", Route::GetAgentSettings),
        ("PUT", "/v1/agents/settings", Route::SetAgentSettings),
        (
            "POST",
            "/v1/agents/agt_0123456789abcdef01234567/revoke",
            Route::RevokeAgent(AgentId::parse("agt_0123456789abcdef01234567").unwrap()),
        ),
        (
            "POST",
            "/v1/agents/agt_0123456789abcdef01234567/commands",
            Route::QueueAgentCommand(AgentId::parse("agt_0123456789abcdef01234567").unwrap()),
        ),
        (
            "GET",
            "/v1/agents/agt_0123456789abcdef01234567/commands",
            Route::ListAgentCommands(AgentId::parse("agt_0123456789abcdef01234567").unwrap()),
        ),
        ("GET", "/v1/grants", Route::ListGrants),
        (
            "POST",
            "/v1/agents/me/discovery/certificates",
            Route::ReportCertificates,
        ),
        ("POST", "/v1/agents/me/ssh-discovery", Route::ReportSshKeys),
        (
            "GET",
            "/v1/agents/me/certificates",
            Route::AgentCertificates,
        ),
        (
            "POST",
            "/v1/agents/me/password-requests",
            Route::CreatePasswordRequest,
        ),
        (
            "GET",
            "/v1/agents/me/password-requests",
            Route::CollectPasswordRequests,
        ),
        (
            "GET",
            "/v1/agents/agt_0123456789abcdef01234567/discovery",
            Route::AgentDiscovery(AgentId::parse("agt_0123456789abcdef01234567").unwrap()),
        ),
        (
            "GET",
            "/v1/admin/password-requests",
            Route::ListPasswordRequests,
        ),
        (
            "POST",
            "/v1/admin/password-requests/pwr_0123456789abcdef01234567/approve",
            Route::ApprovePasswordRequest(
                PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
            ),
        ),
        (
            "POST",
            "/v1/admin/password-requests/pwr_0123456789abcdef01234567/reject",
            Route::RejectPasswordRequest(
                PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
            ),
        ),
        ("POST", "/v1/grants", Route::CreateGrant),
        (
            "DELETE",
            "/v1/grants/grt_0123456789abcdef01234567",
            Route::DeleteGrant(GrantId::parse("grt_0123456789abcdef01234567").unwrap()),
        ),
        ("POST", "/v1/secrets", Route::CreateSecret),
        ("GET", "/v1/secrets", Route::ListSecrets),
        (
            "GET",
            "/v1/secrets/production%2Fopenai%2Fapi-key",
            secret("production/openai/api-key"),
        ),
        ("GET", "/v1/secrets/solo", secret("solo")),
        ("HEAD", "/v1/health", Route::Health),
        ("PUT", "/v1/secrets/a%2Fb", Route::UpdateSecret(path("a/b"))),
        (
            "DELETE",
            "/v1/secrets/a%2Fb",
            Route::DeleteSecret(path("a/b")),
        ),
        (
            "GET",
            "/v1/secrets/a%2Fb/versions",
            Route::ListVersions(path("a/b")),
        ),
        (
            "POST",
            "/v1/secrets/a%2Fb/rotate",
            Route::RotateSecret(path("a/b")),
        ),
        (
            "POST",
            "/v1/secrets/a%2Fb/restore",
            Route::RestoreSecret(path("a/b")),
        ),
        ("GET", "/v1/secrets/db/fields", Route::GetFields(path("db"))),
        (
            "PUT",
            "/v1/secrets/a%2Fdb/fields",
            Route::SetFields(path("a/db")),
        ),
        (
            "GET",
            "/v1/secrets/a%2Fdb/fields/host",
            Route::GetField(path("a/db"), field("host")),
        ),
        (
            "PUT",
            "/v1/secrets/db/fields/port",
            Route::SetField(path("db"), field("port")),
        ),
        (
            "DELETE",
            "/v1/secrets/db/fields/port",
            Route::DeleteField(path("db"), field("port")),
        ),
        ("POST", "/v1/generate", Route::Generate),
        ("POST", "/v1/bench/baseline", Route::BenchBaseline),
        ("POST", "/v1/tokens", Route::CreateToken),
        ("GET", "/v1/audit", Route::ReadAudit),
        ("GET", "/v1/audit/verify", Route::VerifyAudit),
        ("GET", "/v1/events", Route::EventStream),
        ("GET", "/v1/admin/audit", Route::AdminAudit),
        (
            "POST",
            "/v1/admin/agent-releases",
            Route::PublishAgentRelease,
        ),
        ("GET", "/v1/approvals", Route::ListApprovals),
        (
            "GET",
            "/v1/approvals/apr_0123456789abcdef0123456789abcdef",
            Route::GetApproval(apr()),
        ),
        (
            "POST",
            "/v1/approvals/apr_0123456789abcdef0123456789abcdef/approve",
            Route::ApproveRequest(apr()),
        ),
        (
            "POST",
            "/v1/approvals/apr_0123456789abcdef0123456789abcdef/deny",
            Route::DenyRequest(apr()),
        ),
        (
            "POST",
            "/v1/approvals/apr_0123456789abcdef0123456789abcdef/cancel",
            Route::CancelRequest(apr()),
        ),
        ("GET", "/v1/policies", Route::GetPolicies),
        ("PUT", "/v1/notifications", Route::SetNotifications),
        (
            "GET",
            "/approvals/apr_0123456789abcdef0123456789abcdef/review",
            Route::ReviewPage(apr()),
        ),
        (
            "POST",
            "/approvals/apr_0123456789abcdef0123456789abcdef/review",
            Route::ReviewDecision(apr()),
        ),
        ("PUT", "/v1/policies", Route::SetPolicies),
        ("GET", "/v1/tokens", Route::ListTokens),
        (
            "DELETE",
            "/v1/tokens/tok_0123456789abcdef",
            Route::RevokeToken(TokenId::parse("tok_0123456789abcdef").unwrap()),
        ),
        (
            "PATCH",
            "/v1/admin/tenants/tn_0123456789abcdef",
            Route::UpdateTenant(TenantId::parse("tn_0123456789abcdef").unwrap()),
        ),
        ("GET", "/v1/info", Route::Info),
    ];
    for (method, path, route) in table {
        assert_eq!(Route::resolve(method, path), Ok(route), "{method} {path}");
    }
}

#[test]
fn unknown_paths_are_not_found() {
    for path in [
        "/",
        "/v1",
        "/v2/secrets",
        "/v1/secretsx",
        "/v1/secrets/",
        "/v1/health/x",
        "/v1/secrets/a/fields/b/c",
        "/v1/tokens/nope",
        "/v1/approvals/apr_nope",
        "/v1/approvals/apr_0123456789abcdef0123456789abcdef/maybe",
        "/v1/admin/tenants/nope",
        "/v1/agents/nope/revoke",
        "/v1/agents/agt_0123456789abcdef01234567",
        "/v1/agents/me/nope",
        "/v1/grants/grt_nope",
    ] {
        let err = Route::resolve("GET", path).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound, "{path}");
    }
}

#[test]
fn raw_slashes_point_at_the_encoded_form() {
    let err = Route::resolve("GET", "/v1/secrets/production/openai/api-key").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(
        err.message
            .contains("/v1/secrets/production%2Fopenai%2Fapi-key"),
        "{}",
        err.message
    );
}

#[test]
fn wrong_method_lists_the_allowed_ones() {
    let err = Route::resolve("DELETE", "/v1/secrets").unwrap_err();
    assert_eq!(err.status(), 405);
    assert_eq!(
        err.details.get("allow").and_then(|v| v.as_str()),
        Some("GET, POST")
    );
    let err = Route::resolve("POST", "/v1/health").unwrap_err();
    assert_eq!(err.status(), 405);
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let err = Route::resolve(method, "/v1/openapi.json").unwrap_err();
        assert_eq!(err.status(), 405, "{method}");
        assert_eq!(
            err.details.get("allow").and_then(|v| v.as_str()),
            Some("GET")
        );
    }
    let err = Route::resolve("POST", "/v1/secrets/a").unwrap_err();
    assert_eq!(
        err.details.get("allow").and_then(|v| v.as_str()),
        Some("GET, PUT, PATCH, DELETE")
    );
    let err = Route::resolve("GET", "/v1/secrets/a/rotate").unwrap_err();
    assert_eq!(
        err.details.get("allow").and_then(|v| v.as_str()),
        Some("POST")
    );
}

#[test]
fn bad_field_names_name_the_field() {
    for url in ["/v1/secrets/db/fields/a%2Fb", "/v1/secrets/db/fields/.."] {
        let err = Route::resolve("GET", url).unwrap_err();
        assert_eq!(err.status(), 422, "{url}");
        assert_eq!(
            err.details.get("field").and_then(|v| v.as_str()),
            Some("field"),
            "{url}"
        );
    }
    let err = Route::resolve("POST", "/v1/secrets/db/fields/a").unwrap_err();
    assert_eq!(
        err.details.get("allow").and_then(|v| v.as_str()),
        Some("GET, PUT, DELETE")
    );
}

#[test]
fn bad_secret_paths_name_the_field() {
    for path in [
        "/v1/secrets/a%2F%2Fb",
        "/v1/secrets/%2E%2E",
        "/v1/secrets/a%00b",
        "/v1/secrets/%zz",
        "/v1/secrets/%C3",
    ] {
        let err = Route::resolve("GET", path).unwrap_err();
        assert!(matches!(err.status(), 400 | 422), "{path}");
        assert_eq!(
            err.details.get("field").and_then(|v| v.as_str()),
            Some("path"),
            "{path}"
        );
    }
}

#[test]
fn query_pairs_match_a_full_url_parse() {
    for url in [
        "https://x.test/v1/secrets/a%2Fb",
        "https://x.test/v1/secrets/a?version=3",
        "https://x.test/p?a=1&b=two+words&a=2&c=%C3%A9&d&=e&f=%zz#frag?x=1",
        "https://x.test/p?",
        "http://127.0.0.1:8787/v1/secrets?namespace=bench&limit=50",
    ] {
        let expected: Vec<(String, String)> = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(query_pairs(url), expected, "{url}");
    }
}
