#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The OpenAPI document against the route table: every documented operation resolves to the
//! route it names, every route is documented (except the benchmark's), and the error codes are
//! the real ones. (`tests/document.rs` checks that `worker/openapi.json` is this document.)

use latchkey_core::ErrorCode;
use latchkey_core::route::{Route, SAMPLES};
use latchkey_core::vault::VaultRoute;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn document() -> Value {
    serde_json::from_str(&latchkey_openapi::render()).expect("the document is JSON")
}

/// Declares the operation id of every route (the match is exhaustive, so a new route does not
/// compile until it is named here) and counts the arms, so the samples below must reach each.
macro_rules! operations {
    ($($pattern:pat => $id:expr),* $(,)?) => {
        fn operation_id(route: &Route) -> Option<&'static str> {
            match route {
                $($pattern => $id),*
            }
        }
        const ROUTES: usize = [$(stringify!($pattern)),*].len();
    };
}

operations! {
    Route::Health => Some("health"),
    Route::Liveness => Some("liveness"),
    Route::Readiness => Some("readiness"),
    Route::Metrics => Some("metrics"),
    Route::TenantMetrics => Some("tenantMetrics"),
    Route::OpenApi => Some("openapi"),
    Route::CreateTenant => Some("createTenant"),
    Route::UpdateTenant(_) => Some("updateTenant"),
    Route::AdminAudit => Some("adminAudit"),
    Route::PublishAgentRelease => Some("publishAgentRelease"),
    Route::CreateSecret => Some("createSecret"),
    Route::ListSecrets => Some("listSecrets"),
    Route::GetSecret(_) => Some("getSecret"),
    Route::UpdateSecret(_) => Some("updateSecret"),
    Route::PatchSecret(_) => Some("patchSecret"),
    Route::DeleteSecret(_) => Some("deleteSecret"),
    Route::ListVersions(_) => Some("listVersions"),
    Route::RotateSecret(_) => Some("rotateSecret"),
    Route::RestoreSecret(_) => Some("restoreSecret"),
    Route::GetFields(_) => Some("getFields"),
    Route::SetFields(_) => Some("setFields"),
    Route::GetField(_, _) => Some("getField"),
    Route::SetField(_, _) => Some("setField"),
    Route::DeleteField(_, _) => Some("deleteField"),
    Route::ReadAudit => Some("readAudit"),
    Route::VerifyAudit => Some("verifyAudit"),
    Route::EventStream => Some("eventStream"),
    Route::CreateToken => Some("createToken"),
    Route::ListTokens => Some("listTokens"),
    Route::RevokeToken(_) => Some("revokeToken"),
    Route::ListApprovals => Some("listApprovals"),
    Route::GetApproval(_) => Some("getApproval"),
    Route::ApproveRequest(_) => Some("approveApproval"),
    Route::DenyRequest(_) => Some("denyApproval"),
    Route::CancelRequest(_) => Some("cancelApproval"),
    Route::GetNotifications => Some("getNotifications"),
    Route::SetNotifications => Some("setNotifications"),
    Route::ReviewPage(_) => Some("reviewPage"),
    Route::ReviewDecision(_) => Some("reviewDecision"),
    Route::GetPolicies => Some("getPolicies"),
    Route::SetPolicies => Some("setPolicies"),
    // Exists only on a runtime started with BENCH=true (scripts/bench); 404 elsewhere.
    Route::BenchBaseline => None,
    Route::Generate => Some("generatePassword"),
    Route::Info => Some("info"),
    Route::Proxy => Some("proxy"),
    Route::CreateBootstrap => Some("createBootstrap"),
    Route::RegisterAgent => Some("registerAgent"),
    Route::RefreshAgentToken => Some("refreshAgentToken"),
    Route::ReportHealth => Some("reportHealth"),
    Route::AgentSecrets => Some("agentSecrets"),
    Route::ListAgents => Some("listAgents"),
    Route::GetAgentSettings => Some("getAgentSettings"),
    Route::SetAgentSettings => Some("setAgentSettings"),
    Route::RevokeAgent(_) => Some("revokeAgent"),
    Route::ReinstateAgent(_) => Some("reinstateAgent"),
    Route::QueueAgentCommand(_) => Some("queueAgentCommand"),
    Route::ListAgentCommands(_) => Some("listAgentCommands"),
    Route::CreateGrant => Some("createGrant"),
    Route::ListGrants => Some("listGrants"),
    Route::DeleteGrant(_) => Some("deleteGrant"),
    Route::ReportCertificates => Some("reportCertificates"),
    Route::ReportSshKeys => Some("reportSshKeys"),
    Route::AgentDiscovery(_) => Some("agentDiscovery"),
    Route::ImportDiscovered(_) => Some("importDiscovered"),
    Route::SshDiscovery => Some("sshDiscovery"),
    Route::AgentCertificates => Some("agentCertificates"),
    Route::CreatePasswordRequest => Some("createPasswordRequest"),
    Route::CollectPasswordRequests => Some("collectPasswordRequests"),
    Route::ListPasswordRequests => Some("listPasswordRequests"),
    Route::ApprovePasswordRequest(_) => Some("approvePasswordRequest"),
    Route::RejectPasswordRequest(_) => Some("rejectPasswordRequest"),
    Route::Login => Some("login"),
    Route::CreateUser => Some("createUser"),
    Route::ListUsers => Some("listUsers"),
    Route::DeleteUser(_) => Some("deleteUser"),
    Route::ReinstateUser(_) => Some("reinstateUser"),
    Route::UserRoles(_) => Some("userRoles"),
    Route::Permissions => Some("permissions"),
    Route::CreateRole => Some("createRole"),
    Route::ListRoles => Some("listRoles"),
    Route::GetRole(_) => Some("getRole"),
    Route::DeleteRole(_) => Some("deleteRole"),
    Route::SetRolePermissions(_) => Some("setRolePermissions"),
    Route::CreateUserRole => Some("createUserRole"),
    Route::ListUserRoles => Some("listUserRoles"),
    Route::DeleteUserRole(_) => Some("deleteUserRole"),
    Route::CreateReadRequest => Some("createReadRequest"),
    Route::CreatePatchRequest => Some("createPatchRequest"),
    Route::ListRequests => Some("listRequests"),
    Route::GetRequest(_) => Some("getRequest"),
    Route::ApproveAccess(_) => Some("approveRequest"),
    Route::RejectAccess(_) => Some("rejectRequest"),
    Route::CancelAccess(_) => Some("cancelRequest"),
    Route::RequestWraps(_) => Some("requestWraps"),
    Route::RequestWrap(_, _) => Some("requestWrap"),
    Route::CreateWrap => Some("createWrap"),
    Route::Unwrap => Some("unwrap"),
    Route::Vault(VaultRoute::ReadData(_)) => Some("kvReadData"),
    Route::Vault(VaultRoute::WriteData(_)) => Some("kvWriteData"),
    Route::Vault(VaultRoute::DeleteLatest(_)) => Some("kvDeleteLatest"),
    Route::Vault(VaultRoute::ReadMetadata(_)) => Some("kvReadMetadata"),
    // LIST is Vault's own method, which OpenAPI cannot describe: `GET …?list=true` is the same.
    Route::Vault(VaultRoute::List(_)) => None,
    Route::Vault(VaultRoute::DeleteMetadata(_)) => Some("kvDeleteMetadata"),
    Route::Vault(VaultRoute::DeleteVersions(_)) => Some("kvDeleteVersions"),
    Route::Vault(VaultRoute::UndeleteVersions(_)) => Some("kvUndeleteVersions"),
    Route::Vault(VaultRoute::DestroyVersions(_)) => Some("kvDestroyVersions"),
    Route::Vault(VaultRoute::MountInfo) => Some("kvMountInfo"),
}

/// Routes with no operation of their own (`None` above).
const UNDOCUMENTED: usize = 2;

/// Every documented operation of the native router: (METHOD, path template) → the operation
/// object. The `/api/v1` face's operations are checked against its own router in
/// `tests/face.rs`.
fn operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    let paths = doc["paths"].as_object().expect("paths is an object");
    for (template, item) in paths {
        if template.starts_with("/api/") {
            continue;
        }
        for (method, operation) in item.as_object().expect("a path item is an object") {
            out.insert((method.to_uppercase(), template.clone()), operation.clone());
        }
    }
    out
}

/// A path parameter's sample value, already encoded for the URL.
fn sample_value(doc: &Value, parameter: &Value) -> (String, String) {
    let parameter = match parameter["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/parameters/");
            doc["components"]["parameters"][name].clone()
        }
        None => parameter.clone(),
    };
    let name = parameter["name"].as_str().expect("a named parameter");
    let example = parameter["schema"]["example"]
        .as_str()
        .unwrap_or_else(|| panic!("path parameter {name} has an example"));
    (name.to_owned(), example.replace('/', "%2F"))
}

/// Whether a URL matches a template such as `/v1/secrets/{path}/fields/{field}`.
fn matches_template(url: &str, template: &str) -> bool {
    let url: Vec<&str> = url.split('/').collect();
    let template: Vec<&str> = template.split('/').collect();
    url.len() == template.len()
        && url
            .iter()
            .zip(&template)
            .all(|(u, t)| t.starts_with('{') || u == t)
}

#[test]
fn every_documented_operation_resolves_to_its_route() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    for ((method, template), operation) in operations(&doc) {
        let mut url = template.clone();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let resolved = match parameter["$ref"].as_str() {
                Some(_) => sample_value(&doc, parameter),
                None if parameter["in"] == "path" => sample_value(&doc, parameter),
                None => continue,
            };
            url = url.replace(&format!("{{{}}}", resolved.0), &resolved.1);
        }
        assert!(!url.contains('{'), "{method} {template}: unfilled {url}");
        let route = Route::resolve(&method, &url)
            .unwrap_or_else(|e| panic!("{method} {url} is documented but answers {e}"));
        assert_eq!(
            operation_id(&route),
            operation["operationId"].as_str(),
            "{method} {template}"
        );
    }
}

#[test]
fn every_route_is_documented() {
    let doc = document();
    let documented = operations(&doc);
    let mut reached = BTreeSet::new();
    for (method, url) in SAMPLES {
        let route = Route::resolve(method, url).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        // A Vault route counts by its inner variant (`Vault(ReadData`).
        let debug = format!("{route:?}");
        let depth = if debug.starts_with("Vault(") { 2 } else { 1 };
        reached.insert(Some(
            debug.split('(').take(depth).collect::<Vec<_>>().join("("),
        ));
        let Some(id) = operation_id(&route) else {
            continue;
        };
        let found = documented
            .iter()
            .find(|((m, template), _)| m == method && matches_template(url, template))
            .unwrap_or_else(|| panic!("{method} {url} ({id}) is not in the document"));
        assert_eq!(found.1["operationId"].as_str(), Some(id), "{method} {url}");
    }
    assert_eq!(
        reached.len(),
        ROUTES,
        "the samples must reach every Route variant"
    );
    assert_eq!(
        documented.len(),
        ROUTES - UNDOCUMENTED,
        "every route but the benchmark's and Vault's LIST is documented once"
    );
}

#[test]
fn the_error_codes_are_the_real_ones() {
    let all = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthorized,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::ValidationError,
        ErrorCode::RateLimited,
        ErrorCode::InternalError,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Unavailable,
        ErrorCode::Gone,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamTimeout,
    ];
    // A new code does not compile here until it is listed above.
    for code in all {
        match code {
            ErrorCode::InvalidRequest
            | ErrorCode::Unauthorized
            | ErrorCode::PermissionDenied
            | ErrorCode::NotFound
            | ErrorCode::Conflict
            | ErrorCode::ValidationError
            | ErrorCode::RateLimited
            | ErrorCode::InternalError
            | ErrorCode::MethodNotAllowed
            | ErrorCode::Unavailable
            | ErrorCode::Gone
            | ErrorCode::UpstreamError
            | ErrorCode::UpstreamTimeout => {}
        }
    }
    let doc = document();
    let documented: BTreeSet<&str> =
        doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("the code enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
    let real: BTreeSet<&str> = all.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, real);
    // Each error response documents the code's status.
    let responses = doc["components"]["responses"]
        .as_object()
        .expect("responses");
    for code in all {
        if matches!(code, ErrorCode::InternalError | ErrorCode::MethodNotAllowed) {
            continue; // never a documented outcome of an operation
        }
        assert!(
            responses.contains_key(&format!("E{}", code.status())),
            "{code:?}"
        );
    }
}

/// A parameter object, with a `$ref` to the shared components followed.
fn resolved_parameter(doc: &Value, parameter: &Value) -> Value {
    match parameter["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/parameters/");
            doc["components"]["parameters"][name].clone()
        }
        None => parameter.clone(),
    }
}

#[test]
fn every_documented_operation_documents_exactly_the_query_parameters_its_route_reads() {
    let doc = document();
    for ((method, template), operation) in operations(&doc) {
        let mut url = template.clone();
        let mut documented = BTreeSet::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = resolved_parameter(&doc, parameter);
            match parameter["in"].as_str() {
                Some("query") => {
                    documented.insert(parameter["name"].as_str().expect("named").to_owned());
                }
                Some("path") => {
                    let (name, value) = sample_value(&doc, &parameter);
                    url = url.replace(&format!("{{{name}}}"), &value);
                }
                _ => {}
            }
        }
        let route = Route::resolve(&method, &url)
            .unwrap_or_else(|e| panic!("{method} {url} is documented but answers {e}"));
        let read: BTreeSet<String> = route
            .query_parameters()
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(documented, read, "{method} {template}");
    }
}
