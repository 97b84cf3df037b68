//! Issue 24's routes of the face: seed 001's projects and environments (`projects:admin`), and
//! its GitOps routes through Argo CD (`integration.edit` for changes), which answer 404 while
//! the tenant's GitOps gate (the operator's `gitops_enabled`) is off.

use super::super::{TENANT, body};
use super::TAG;
use crate::json::Json;
use crate::operation::{AUTH, Operation, Parameters, auth_and, ok, ok_empty, query_described};
use crate::schema::enumeration;
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::gitops::{AppMappingId, ArgoEndpointId};
use latchkey_core::project::{EnvironmentId, ProjectId};

fn force() -> Json {
    query_described(
        "force",
        enumeration(["true", "false"]),
        "true: go ahead although the scope still holds secrets (none is deleted); default false, which is 409 with the counts",
    )
}

fn op(method: &'static str, path: &'static str, id: &'static str, summary: &str) -> Operation {
    Operation::new(method, path, id, summary, TAG).security(TENANT)
}

pub(super) fn operations(params: &mut Parameters) -> Vec<Operation> {
    let prj = params.id("id", ProjectId::PREFIX, ProjectId::HEX_DIGITS, "A project");
    let env = params.id(
        "id",
        EnvironmentId::PREFIX,
        EnvironmentId::HEX_DIGITS,
        "An environment",
    );
    let argo = params.id(
        "id",
        ArgoEndpointId::PREFIX,
        ArgoEndpointId::HEX_DIGITS,
        "An Argo CD endpoint",
    );
    let gmap = params.id(
        "id",
        AppMappingId::PREFIX,
        AppMappingId::HEX_DIGITS,
        "A GitOps app mapping",
    );
    let req = params.id(
        "id",
        AccessRequestId::PREFIX,
        AccessRequestId::HEX_DIGITS,
        "An access request",
    );
    let gated = "; 404 while the tenant's GitOps gate is off";
    vec![
        op("post", "/api/v1/projects", "apiCreateProject", "Create a project (projects:admin)")
            .errors(&auth_and(&[409, 422]))
            .body(body("NewProject"))
            .respond(201, ok("Project", "Created")),
        op("get", "/api/v1/projects", "apiListProjects", "Projects (projects:admin)")
            .errors(&AUTH)
            .respond(200, ok("Projects", "Projects")),
        op("get", "/api/v1/projects/{id}", "apiGetProject", "A project (projects:admin)")
            .errors(&auth_and(&[404]))
            .params(vec![prj.clone()])
            .respond(200, ok("Project", "The project")),
        op(
            "put",
            "/api/v1/projects/{id}/status",
            "apiSetProjectStatus",
            "Archive or reactivate a project (409 with the counts while its environments hold secrets, unless ?force=true)",
        )
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![prj.clone(), force()])
        .body(body("ProjectStatus"))
        .respond(200, ok("ProjectStatusChanged", "Changed")),
        op(
            "get",
            "/api/v1/projects/{id}/environments",
            "apiProjectEnvironments",
            "A project's environments (projects:admin)",
        )
        .errors(&auth_and(&[404]))
        .params(vec![prj])
        .respond(200, ok("Environments", "Environments")),
        op(
            "post",
            "/api/v1/environments",
            "apiCreateEnvironment",
            "Create an environment: a path prefix and clusters (projects:admin)",
        )
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewEnvironment"))
        .respond(201, ok("Environment", "Created")),
        op("get", "/api/v1/environments", "apiListEnvironments", "Environments (projects:admin)")
            .errors(&AUTH)
            .respond(200, ok("Environments", "Environments")),
        op(
            "delete",
            "/api/v1/environments/{id}",
            "apiDeleteEnvironment",
            "Delete an environment (409 with the counts while it holds secrets, unless ?force=true; no secret is deleted)",
        )
        .errors(&auth_and(&[404, 409]))
        .params(vec![env, force()])
        .respond(200, ok("EnvironmentDeleted", "Deleted")),
        op(
            "post",
            "/api/v1/argocd-endpoints",
            "apiCreateArgoEndpoint",
            &format!("Register an Argo CD endpoint (integration.edit); its token is sealed{gated}"),
        )
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewArgoEndpoint"))
        .respond(201, ok("ArgoEndpoint", "Registered")),
        op(
            "get",
            "/api/v1/argocd-endpoints",
            "apiListArgoEndpoints",
            &format!("Argo CD endpoints{gated}"),
        )
        .errors(&auth_and(&[404]))
        .respond(200, ok("ArgoEndpoints", "Endpoints")),
        op(
            "get",
            "/api/v1/argocd-endpoints/{id}/discovered-apps",
            "apiArgoApps",
            &format!("The endpoint's applications as Argo CD reports them (409 while it is disabled){gated}"),
        )
        .errors(&auth_and(&[404, 409, 502, 504]))
        .params(vec![argo.clone()])
        .respond(200, ok("ArgoApps", "Applications")),
        op(
            "put",
            "/api/v1/argocd-endpoints/{id}/enabled",
            "apiSetArgoEndpointEnabled",
            &format!("Enable or disable an endpoint (integration.edit){gated}"),
        )
        .errors(&auth_and(&[404, 422]))
        .params(vec![argo.clone()])
        .body(body("ArgoEnabled"))
        .respond(200, ok("ArgoEndpoint", "Changed")),
        op(
            "delete",
            "/api/v1/argocd-endpoints/{id}",
            "apiDeleteArgoEndpoint",
            &format!("Delete an endpoint and its mappings (integration.edit){gated}"),
        )
        .errors(&auth_and(&[404]))
        .params(vec![argo])
        .respond(204, ok_empty("Deleted")),
        op(
            "post",
            "/api/v1/gitops-app-mappings",
            "apiCreateAppMapping",
            &format!("Map an Argo CD application to the secrets it uses (integration.edit; one per application){gated}"),
        )
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewAppMapping"))
        .respond(201, ok("AppMapping", "Mapped")),
        op(
            "get",
            "/api/v1/gitops-app-mappings",
            "apiListAppMappings",
            &format!("GitOps app mappings{gated}"),
        )
        .errors(&auth_and(&[404]))
        .respond(200, ok("AppMappings", "Mappings")),
        op(
            "delete",
            "/api/v1/gitops-app-mappings/{id}",
            "apiDeleteAppMapping",
            &format!("Delete a mapping (integration.edit){gated}"),
        )
        .errors(&auth_and(&[404]))
        .params(vec![gmap])
        .respond(204, ok_empty("Deleted")),
        op(
            "get",
            "/api/v1/requests/{id}/gitops",
            "apiRequestGitops",
            &format!("The sync and health of the applications mapped to a patch request's secret{gated}"),
        )
        .errors(&auth_and(&[404]))
        .params(vec![req])
        .respond(200, ok("RequestGitops", "Observations")),
    ]
}
