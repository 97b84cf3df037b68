#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The `/api/v1` face's operations against its router (`latchkey_core::faces::api::resolve`):
//! every documented operation resolves to the route it names, every route of the face is
//! documented, and each documents exactly the query parameters the face takes on it.

use latchkey_core::faces::api::{
    self as face, ApiRoute, GitopsRoute, PlaneRoute, ProjectRoute, WorkflowRoute,
};
use latchkey_core::route::Route;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn document() -> Value {
    serde_json::from_str(&latchkey_openapi::render()).expect("the document is JSON")
}

/// Names the operation of every route of the face (the match is exhaustive but for the
/// native routes, so a new route of the face does not compile until it is named here).
macro_rules! operations {
    ($($pattern:pat => $id:expr),* $(,)?) => {
        fn operation_id(route: &ApiRoute) -> Option<&'static str> {
            match route {
                $($pattern => $id),*
            }
        }
        const ARMS: usize = [$(stringify!($pattern)),*].len();
    };
}

operations! {
    ApiRoute::Native(Route::RegisterAgent) => Some("apiRegisterAgent"),
    ApiRoute::Native(Route::RefreshAgentToken) => Some("apiRefreshAgentToken"),
    ApiRoute::Native(Route::ReportHealth) => Some("apiReportHealth"),
    ApiRoute::Native(Route::ReportCertificates) => Some("apiReportCertificates"),
    ApiRoute::Native(Route::ReportSshKeys) => Some("apiReportSshKeys"),
    ApiRoute::Native(Route::AgentCertificates) => Some("apiAgentCertificates"),
    ApiRoute::Native(Route::CreatePasswordRequest) => Some("apiCreatePasswordRequest"),
    ApiRoute::Native(Route::CollectPasswordRequests) => Some("apiCollectPasswordRequests"),
    ApiRoute::Native(Route::ListAgents) => Some("apiListAgents"),
    ApiRoute::Native(Route::RevokeAgent(_)) => Some("apiRevokeAgent"),
    ApiRoute::Native(Route::AgentDiscovery(_)) => Some("apiAgentDiscovery"),
    ApiRoute::Native(Route::SshDiscovery) => Some("apiSshDiscovery"),
    ApiRoute::Native(Route::ListPasswordRequests) => Some("apiListPasswordRequests"),
    ApiRoute::Native(Route::ApprovePasswordRequest(_)) => Some("apiApprovePasswordRequest"),
    ApiRoute::Native(Route::UserRoles(_)) => Some("apiUserRoles"),
    ApiRoute::Native(Route::CreateRole) => Some("apiCreateRole"),
    ApiRoute::Native(Route::ListRoles) => Some("apiListRoles"),
    ApiRoute::Native(Route::GetRole(_)) => Some("apiGetRole"),
    ApiRoute::Native(Route::DeleteRole(_)) => Some("apiDeleteRole"),
    ApiRoute::Native(Route::SetRolePermissions(_)) => Some("apiSetRolePermissions"),
    ApiRoute::Native(Route::CreateUserRole) => Some("apiCreateUserRole"),
    ApiRoute::Native(Route::ListUserRoles) => Some("apiListUserRoles"),
    ApiRoute::Native(Route::DeleteUserRole(_)) => Some("apiDeleteUserRole"),
    ApiRoute::Native(Route::CreateReadRequest) => Some("apiCreateReadRequest"),
    ApiRoute::Native(Route::CreatePatchRequest) => Some("apiCreatePatchRequest"),
    ApiRoute::Native(Route::ListRequests) => Some("apiListRequests"),
    ApiRoute::Native(Route::GetRequest(_)) => Some("apiGetRequest"),
    // The face never resolves to another native route (`served_as_is`).
    ApiRoute::Native(_) => None,
    ApiRoute::Login => Some("apiLogin"),
    ApiRoute::ApproveAccess(_) => Some("apiApproveRequest"),
    ApiRoute::RejectAccess(_) => Some("apiRejectRequest"),
    ApiRoute::CancelAccess(_) => Some("apiCancelRequest"),
    ApiRoute::RequestWraps(_) => Some("apiRequestWraps"),
    ApiRoute::RequestWrap(..) => Some("apiRequestWrap"),
    ApiRoute::AuditEvents => Some("apiAuditEvents"),
    ApiRoute::Permissions => Some("apiPermissions"),
    ApiRoute::RejectPasswordRequest(_) => Some("apiRejectPasswordRequest"),
    ApiRoute::CreateBootstrap => Some("apiCreateBootstrap"),
    ApiRoute::Plane(PlaneRoute::MintAgent) => Some("apiMintAgent"),
    ApiRoute::Plane(PlaneRoute::Heartbeat(_)) => Some("apiAgentHeartbeat"),
    ApiRoute::Plane(PlaneRoute::ClaimJob(_)) => Some("apiClaimJob"),
    ApiRoute::Plane(PlaneRoute::CompleteJob(..)) => Some("apiCompleteJob"),
    ApiRoute::Plane(PlaneRoute::CreateJob) => Some("apiCreateJob"),
    ApiRoute::Plane(PlaneRoute::UpdateLatest) => Some("apiAgentUpdate"),
    ApiRoute::AgentPublicKey(_) => Some("apiAgentPublicKey"),
    ApiRoute::AgentDek(_) => Some("apiAgentDek"),
    ApiRoute::AgentSecretsBulk(_) => Some("apiAgentSecretsBulk"),
    ApiRoute::DiscoveredSecrets => Some("apiDiscoveredSecrets"),
    ApiRoute::DiscoveredSecret(_) => Some("apiDiscoveredSecret"),
    ApiRoute::AgentWraps(_) => Some("apiAgentWraps"),
    ApiRoute::AgentWrap(..) => Some("apiAgentWrap"),
    ApiRoute::Connect(None) => Some("apiConnectMe"),
    ApiRoute::Connect(Some(_)) => Some("apiConnect"),
    ApiRoute::Gitops(GitopsRoute::CreateEndpoint) => Some("apiCreateArgoEndpoint"),
    ApiRoute::Gitops(GitopsRoute::ListEndpoints) => Some("apiListArgoEndpoints"),
    ApiRoute::Gitops(GitopsRoute::DiscoveredApps(_)) => Some("apiArgoApps"),
    ApiRoute::Gitops(GitopsRoute::SetEnabled(_)) => Some("apiSetArgoEndpointEnabled"),
    ApiRoute::Gitops(GitopsRoute::DeleteEndpoint(_)) => Some("apiDeleteArgoEndpoint"),
    ApiRoute::Gitops(GitopsRoute::CreateMapping) => Some("apiCreateAppMapping"),
    ApiRoute::Gitops(GitopsRoute::ListMappings) => Some("apiListAppMappings"),
    ApiRoute::Gitops(GitopsRoute::DeleteMapping(_)) => Some("apiDeleteAppMapping"),
    ApiRoute::Gitops(GitopsRoute::RequestGitops(_)) => Some("apiRequestGitops"),
    ApiRoute::Projects(ProjectRoute::CreateProject) => Some("apiCreateProject"),
    ApiRoute::Projects(ProjectRoute::ListProjects) => Some("apiListProjects"),
    ApiRoute::Projects(ProjectRoute::GetProject(_)) => Some("apiGetProject"),
    ApiRoute::Projects(ProjectRoute::SetProjectStatus(_)) => Some("apiSetProjectStatus"),
    ApiRoute::Projects(ProjectRoute::ProjectEnvironments(_)) => Some("apiProjectEnvironments"),
    ApiRoute::Projects(ProjectRoute::CreateEnvironment) => Some("apiCreateEnvironment"),
    ApiRoute::Projects(ProjectRoute::ListEnvironments) => Some("apiListEnvironments"),
    ApiRoute::Projects(ProjectRoute::DeleteEnvironment(_)) => Some("apiDeleteEnvironment"),
    ApiRoute::Workflows(WorkflowRoute::CreateWorkflow) => Some("apiCreateWorkflow"),
    ApiRoute::Workflows(WorkflowRoute::ListWorkflows) => Some("apiListWorkflows"),
    ApiRoute::Workflows(WorkflowRoute::GetWorkflow(_)) => Some("apiGetWorkflow"),
    ApiRoute::Workflows(WorkflowRoute::UpdateWorkflow(_)) => Some("apiUpdateWorkflow"),
    ApiRoute::Workflows(WorkflowRoute::DeleteWorkflow(_)) => Some("apiDeleteWorkflow"),
    ApiRoute::Workflows(WorkflowRoute::CreatePolicy) => Some("apiCreatePolicy"),
    ApiRoute::Workflows(WorkflowRoute::ListPolicies) => Some("apiListPolicies"),
    ApiRoute::Workflows(WorkflowRoute::GetPolicy(_)) => Some("apiGetPolicy"),
    ApiRoute::Workflows(WorkflowRoute::UpdatePolicy(_)) => Some("apiUpdatePolicy"),
    ApiRoute::Workflows(WorkflowRoute::DeletePolicy(_)) => Some("apiDeletePolicy"),
}

const AGT: &str = "agt_0123456789abcdef01234567";

/// One request line per route of the face, with well-formed ids.
fn samples() -> Vec<(&'static str, String)> {
    let fixed = [
        ("POST", "/api/v1/agents/register"),
        ("POST", "/api/v1/agents/me/refresh-token"),
        ("POST", "/api/v1/agents/me/health"),
        ("POST", "/api/v1/agents/me/discovery/certificates"),
        ("POST", "/api/v1/agents/me/ssh-discovery"),
        ("GET", "/api/v1/agents/me/certificates"),
        ("POST", "/api/v1/agents/me/password-requests"),
        ("GET", "/api/v1/agents/me/password-requests"),
        ("GET", "/api/v1/agents"),
        ("GET", "/api/v1/ssh/discovery"),
        ("GET", "/api/v1/admin/password-requests"),
        (
            "POST",
            "/api/v1/admin/password-requests/pwr_0123456789abcdef01234567/approve",
        ),
        (
            "POST",
            "/api/v1/admin/password-requests/pwr_0123456789abcdef01234567/reject",
        ),
        ("GET", "/api/v1/users/usr_0123456789abcdef01234567/roles"),
        ("POST", "/api/v1/roles"),
        ("GET", "/api/v1/roles"),
        ("GET", "/api/v1/roles/rol_0123456789abcdef01234567"),
        ("DELETE", "/api/v1/roles/rol_0123456789abcdef01234567"),
        (
            "PUT",
            "/api/v1/roles/rol_0123456789abcdef01234567/permissions",
        ),
        ("POST", "/api/v1/user-roles"),
        ("GET", "/api/v1/user-roles"),
        ("DELETE", "/api/v1/user-roles/urs_0123456789abcdef01234567"),
        ("POST", "/api/v1/requests/read"),
        ("POST", "/api/v1/requests"),
        ("GET", "/api/v1/requests"),
        ("GET", "/api/v1/requests/req_0123456789abcdef01234567"),
        (
            "POST",
            "/api/v1/requests/req_0123456789abcdef01234567/approve",
        ),
        (
            "POST",
            "/api/v1/requests/req_0123456789abcdef01234567/reject",
        ),
        (
            "POST",
            "/api/v1/requests/req_0123456789abcdef01234567/cancel",
        ),
        ("GET", "/api/v1/requests/req_0123456789abcdef01234567/wraps"),
        (
            "GET",
            "/api/v1/requests/req_0123456789abcdef01234567/wraps/wrp_0123456789abcdef01234567",
        ),
        (
            "GET",
            "/api/v1/requests/req_0123456789abcdef01234567/gitops",
        ),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/audit-events"),
        ("GET", "/api/v1/permissions"),
        ("POST", "/api/v1/agents/bootstrap"),
        ("POST", "/api/v1/agents"),
        ("POST", "/api/v1/jobs"),
        ("GET", "/api/v1/agents/update/latest"),
        ("GET", "/api/v1/secrets"),
        ("GET", "/api/v1/secrets/dsc_0123456789abcdef01234567"),
        ("GET", "/api/v1/agents/me/connect"),
        ("POST", "/api/v1/argocd-endpoints"),
        ("GET", "/api/v1/argocd-endpoints"),
        (
            "GET",
            "/api/v1/argocd-endpoints/argo_0123456789abcdef01234567/discovered-apps",
        ),
        (
            "PUT",
            "/api/v1/argocd-endpoints/argo_0123456789abcdef01234567/enabled",
        ),
        (
            "DELETE",
            "/api/v1/argocd-endpoints/argo_0123456789abcdef01234567",
        ),
        ("POST", "/api/v1/gitops-app-mappings"),
        ("GET", "/api/v1/gitops-app-mappings"),
        (
            "DELETE",
            "/api/v1/gitops-app-mappings/gmap_0123456789abcdef01234567",
        ),
        ("POST", "/api/v1/workflows"),
        ("GET", "/api/v1/workflows"),
        ("GET", "/api/v1/workflows/wfl_0123456789abcdef01234567"),
        ("PUT", "/api/v1/workflows/default"),
        ("DELETE", "/api/v1/workflows/wfl_0123456789abcdef01234567"),
        ("POST", "/api/v1/policies"),
        ("GET", "/api/v1/policies"),
        ("GET", "/api/v1/policies/pol_0123456789abcdef01234567"),
        ("PUT", "/api/v1/policies/pol_0123456789abcdef01234567"),
        ("DELETE", "/api/v1/policies/pol_0123456789abcdef01234567"),
        ("POST", "/api/v1/projects"),
        ("GET", "/api/v1/projects"),
        ("GET", "/api/v1/projects/prj_0123456789abcdef01234567"),
        (
            "PUT",
            "/api/v1/projects/prj_0123456789abcdef01234567/status",
        ),
        (
            "GET",
            "/api/v1/projects/prj_0123456789abcdef01234567/environments",
        ),
        ("POST", "/api/v1/environments"),
        ("GET", "/api/v1/environments"),
        (
            "DELETE",
            "/api/v1/environments/env_0123456789abcdef01234567",
        ),
    ];
    let mut out: Vec<(&'static str, String)> =
        fixed.into_iter().map(|(m, u)| (m, u.to_owned())).collect();
    for (method, rest) in [
        ("POST", "revoke"),
        ("GET", "discovery"),
        ("POST", "heartbeat"),
        ("POST", "jobs/claim"),
        ("POST", "jobs/job_0123456789abcdef01234567/complete"),
        ("PUT", "public-key"),
        ("POST", "dek"),
        ("POST", "secrets/bulk"),
        ("POST", "wraps"),
        ("GET", "wraps/awr_0123456789abcdef01234567"),
        ("GET", "connect"),
    ] {
        out.push((method, format!("/api/v1/agents/{AGT}/{rest}")));
    }
    out
}

/// The face's documented operations: (METHOD, path template) → the operation object.
fn operations(doc: &Value) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        if !template.starts_with("/api/") {
            continue;
        }
        for (method, operation) in item.as_object().expect("a path item") {
            out.insert((method.to_uppercase(), template.clone()), operation.clone());
        }
    }
    out
}

fn resolved_parameter(doc: &Value, parameter: &Value) -> Value {
    match parameter["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/parameters/");
            doc["components"]["parameters"][name].clone()
        }
        None => parameter.clone(),
    }
}

/// The operation's URL with each path parameter's example, and its documented query names.
fn filled(doc: &Value, template: &str, operation: &Value) -> (String, BTreeSet<String>) {
    let mut url = template.to_owned();
    let mut query = BTreeSet::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let parameter = resolved_parameter(doc, parameter);
        let name = parameter["name"].as_str().expect("a named parameter");
        match parameter["in"].as_str() {
            Some("path") => {
                let example = parameter["schema"]["example"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{template}: path parameter {name} has an example"));
                url = url.replace(&format!("{{{name}}}"), example);
            }
            Some("query") => {
                query.insert(name.to_owned());
            }
            _ => {}
        }
    }
    (url, query)
}

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
fn every_documented_face_operation_resolves_to_its_route() {
    let doc = document();
    let operations = operations(&doc);
    assert!(!operations.is_empty());
    for ((method, template), operation) in operations {
        let (url, _) = filled(&doc, &template, &operation);
        assert!(!url.contains('{'), "{method} {template}: unfilled {url}");
        let route = face::resolve(&method, &url)
            .unwrap_or_else(|e| panic!("{method} {url} is documented but answers {e}"));
        assert_eq!(
            operation_id(&route),
            operation["operationId"].as_str(),
            "{method} {template}"
        );
        assert_eq!(operation["tags"][0], "api-v1", "{method} {template}");
    }
}

#[test]
fn every_face_route_is_documented() {
    let doc = document();
    let documented = operations(&doc);
    let mut reached = BTreeSet::new();
    for (method, url) in samples() {
        let route = face::resolve(method, &url).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let id = operation_id(&route)
            .unwrap_or_else(|| panic!("{method} {url} resolves to an unnamed route {route:?}"));
        let found = documented
            .iter()
            .find(|((m, template), _)| m == method && matches_template(&url, template))
            .unwrap_or_else(|| panic!("{method} {url} ({id}) is not in the document"));
        assert_eq!(found.1["operationId"].as_str(), Some(id), "{method} {url}");
        reached.insert(id);
    }
    // Every arm but the native wildcard is reached, and each is documented once.
    assert_eq!(
        reached.len(),
        ARMS - 1,
        "the samples must reach every route"
    );
    assert_eq!(documented.len(), ARMS - 1);
}

#[test]
fn every_face_operation_documents_exactly_the_query_parameters_the_face_takes() {
    let doc = document();
    for ((method, template), operation) in operations(&doc) {
        let (url, documented) = filled(&doc, &template, &operation);
        let route = face::resolve(&method, &url).expect("resolves");
        let taken: BTreeSet<String> = face::allowed_query(&route)
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(documented, taken, "{method} {template}");
    }
}

#[test]
fn agent_plane_operations_take_the_agent_secret() {
    let doc = document();
    assert_eq!(
        doc["components"]["securitySchemes"]["agentSecret"]["name"],
        "X-Agent-Secret"
    );
    for ((method, template), operation) in operations(&doc) {
        let own_agent = template.starts_with("/api/v1/agents/{id}/")
            && !template.ends_with("/revoke")
            && !template.ends_with("/discovery");
        let schemes: Vec<&str> = operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|requirement| requirement.as_object()?.keys().next().map(String::as_str))
            .collect();
        if own_agent || template.ends_with("/update/latest") || template.ends_with("/me/connect") {
            assert_eq!(schemes, ["agentSecret", "agentJwt"], "{method} {template}");
        }
    }
}
