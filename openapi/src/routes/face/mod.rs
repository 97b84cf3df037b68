//! The `/api/v1` face (seeds 000 and 001; issues 23 and 24): the native routes it serves as
//! they are, under the face's paths, and the routes of its own. Errors are Latchkey's error
//! body on every route; `tests/face.rs` checks the document against the face's router both
//! ways.

mod plane;
mod schemas;
mod scopes;
mod workflows;

pub use schemas::schemas;

use super::{TENANT, body, short_filter};
use crate::components::user_id;
use crate::json::Json;
use crate::obj;
use crate::operation::{
    AUTH, Operation, Parameters, auth_and, ok, ok_unlimited, query, query_described,
};
use crate::schema::{bounded, string, time};
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::agent::PasswordRequestId;
use latchkey_core::audit::{DEFAULT_LIMIT as AUDIT_DEFAULT_LIMIT, MAX_LIMIT as AUDIT_MAX_LIMIT};
use latchkey_core::wrap::WrapId;

/// The tag of every operation of the face.
const TAG: &str = "api-v1";

/// The agent plane's credentials: seed 001's agent secret, or a seed-000 agent's JWT.
const AGENT_PLANE: &[&str] = &["agentSecret", "agentJwt"];

/// The native routes the face serves as they are: (native operation id, face path, face
/// operation id). Their parameters, bodies and answers are the native ones.
const AS_IS: &[(&str, &str, &str)] = &[
    (
        "registerAgent",
        "/api/v1/agents/register",
        "apiRegisterAgent",
    ),
    (
        "refreshAgentToken",
        "/api/v1/agents/me/refresh-token",
        "apiRefreshAgentToken",
    ),
    (
        "reportHealth",
        "/api/v1/agents/me/health",
        "apiReportHealth",
    ),
    (
        "reportCertificates",
        "/api/v1/agents/me/discovery/certificates",
        "apiReportCertificates",
    ),
    (
        "reportSshKeys",
        "/api/v1/agents/me/ssh-discovery",
        "apiReportSshKeys",
    ),
    (
        "agentCertificates",
        "/api/v1/agents/me/certificates",
        "apiAgentCertificates",
    ),
    (
        "createPasswordRequest",
        "/api/v1/agents/me/password-requests",
        "apiCreatePasswordRequest",
    ),
    (
        "collectPasswordRequests",
        "/api/v1/agents/me/password-requests",
        "apiCollectPasswordRequests",
    ),
    ("listAgents", "/api/v1/agents", "apiListAgents"),
    (
        "revokeAgent",
        "/api/v1/agents/{id}/revoke",
        "apiRevokeAgent",
    ),
    (
        "agentDiscovery",
        "/api/v1/agents/{id}/discovery",
        "apiAgentDiscovery",
    ),
    ("sshDiscovery", "/api/v1/ssh/discovery", "apiSshDiscovery"),
    (
        "listPasswordRequests",
        "/api/v1/admin/password-requests",
        "apiListPasswordRequests",
    ),
    (
        "approvePasswordRequest",
        "/api/v1/admin/password-requests/{id}/approve",
        "apiApprovePasswordRequest",
    ),
    ("userRoles", "/api/v1/users/{id}/roles", "apiUserRoles"),
    ("createRole", "/api/v1/roles", "apiCreateRole"),
    ("listRoles", "/api/v1/roles", "apiListRoles"),
    ("getRole", "/api/v1/roles/{id}", "apiGetRole"),
    ("deleteRole", "/api/v1/roles/{id}", "apiDeleteRole"),
    (
        "setRolePermissions",
        "/api/v1/roles/{id}/permissions",
        "apiSetRolePermissions",
    ),
    ("createUserRole", "/api/v1/user-roles", "apiCreateUserRole"),
    ("listUserRoles", "/api/v1/user-roles", "apiListUserRoles"),
    (
        "deleteUserRole",
        "/api/v1/user-roles/{id}",
        "apiDeleteUserRole",
    ),
    (
        "createReadRequest",
        "/api/v1/requests/read",
        "apiCreateReadRequest",
    ),
    (
        "createPatchRequest",
        "/api/v1/requests",
        "apiCreatePatchRequest",
    ),
    ("listRequests", "/api/v1/requests", "apiListRequests"),
    ("getRequest", "/api/v1/requests/{id}", "apiGetRequest"),
];

/// Every operation of the face, after the native ones it copies.
pub fn operations(native: &[Operation], params: &mut Parameters) -> Vec<Operation> {
    let mut out: Vec<Operation> = AS_IS
        .iter()
        .filter_map(|(native_id, path, id)| {
            native
                .iter()
                .find(|op| op.id() == *native_id)
                .map(|op| op.clone().rehome(path, id, TAG))
        })
        .collect();
    out.extend(own(params));
    out.extend(plane::operations(params));
    out.extend(scopes::operations(params));
    out.extend(workflows::operations(params));
    out
}

/// The user-id query parameter of seed 001's wrap routes.
fn user_id_query() -> Json {
    query_described(
        "user_id",
        user_id(),
        "The caller's own user id (a logged-in person), or left out; any other is 403",
    )
}

/// The routes whose path is native but whose body, query or answer is the seeds'.
fn own(params: &mut Parameters) -> Vec<Operation> {
    let req = params.id(
        "id",
        AccessRequestId::PREFIX,
        AccessRequestId::HEX_DIGITS,
        "An access request",
    );
    let pwr = params.id(
        "id",
        PasswordRequestId::PREFIX,
        PasswordRequestId::HEX_DIGITS,
        "A password request",
    );
    let wrp = params.id("wrap_id", WrapId::PREFIX, WrapId::HEX_DIGITS, "A wrap");
    let mut audit: Vec<Json> = ["actor", "action", "resource", "correlation_id"]
        .into_iter()
        .map(|name| {
            let what = match name {
                "action" => "The event type",
                "resource" => "A secret path: events of it and of everything below it",
                _ => "Exact match",
            };
            query_described(name, short_filter(), what)
        })
        .collect();
    audit.extend([
        query("since", time()),
        query("until", time()),
        query_described(
            "limit",
            bounded(1, u64::from(AUDIT_MAX_LIMIT)),
            &format!("Default {AUDIT_DEFAULT_LIMIT}"),
        ),
        query_described("cursor", string(), "The previous page's next_cursor"),
    ]);
    let mut permissions = ok(
        "Permissions",
        "The catalog, with the seeds' permission names",
    );
    if let Some(headers) = permissions.get("headers").cloned() {
        permissions.set(
            "headers",
            headers.with(
                "Cache-Control",
                obj! {
                    "description" => "The catalog is fixed: `private, max-age=300`",
                    "required" => true,
                    "schema" => string(),
                },
            ),
        );
    }
    vec![
        Operation::new(
            "post",
            "/api/v1/auth/login",
            "apiLogin",
            "Log in as a user: a 12-hour JWT. The tenant is the one the request's host belongs to (or 'tenant')",
            TAG,
        )
        .errors(&[400, 401, 422, 429])
        .body(body("ApiLogin"))
        .respond(200, ok_unlimited("LoggedIn", "Logged in")),
        Operation::new(
            "post",
            "/api/v1/agents/bootstrap",
            "apiCreateBootstrap",
            "A bootstrap token for registering agents (no body: the defaults)",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .optional_body(body("Bootstrap"))
        .respond(201, ok("BootstrapCreated", "The token, shown once")),
        Operation::new(
            "post",
            "/api/v1/admin/password-requests/{id}/reject",
            "apiRejectPasswordRequest",
            "Reject an agent's password request (no body: no reason)",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![pwr])
        .optional_body(body("Rejection"))
        .respond(200, ok("PasswordRequest", "Rejected")),
        Operation::new(
            "post",
            "/api/v1/requests/{id}/approve",
            "apiApproveRequest",
            "Approve an access request (approvals:decide); approver_id may only name the caller",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![req.clone()])
        .optional_body(body("ApiApprove"))
        .respond(200, ok("AccessRequest", "Recorded")),
        Operation::new(
            "post",
            "/api/v1/requests/{id}/reject",
            "apiRejectRequest",
            "Reject an access request; approver_id may only name the caller",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![req.clone()])
        .optional_body(body("ApiReject"))
        .respond(200, ok("AccessRequest", "Rejected")),
        Operation::new(
            "post",
            "/api/v1/requests/{id}/cancel",
            "apiCancelRequest",
            "Cancel one's own access request; actor_id may only name the caller",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![req.clone()])
        .optional_body(body("ApiCancel"))
        .respond(200, ok("AccessRequest", "Cancelled")),
        Operation::new(
            "get",
            "/api/v1/requests/{id}/wraps",
            "apiRequestWraps",
            "The request's wraps (summaries)",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![req.clone(), user_id_query()])
        .respond(200, ok("Wraps", "Wraps")),
        Operation::new(
            "get",
            "/api/v1/requests/{id}/wraps/{wrap_id}",
            "apiRequestWrap",
            "The wrapped value, once",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 410]))
        .params(vec![req, wrp, user_id_query()])
        .respond(200, ok("Unwrapped", "The value")),
        Operation::new(
            "get",
            "/api/v1/audit-events",
            "apiAuditEvents",
            "Audit events, newest first, with seed 001's filter names (audit:read)",
            TAG,
        )
        .security(TENANT)
        .errors(&AUTH)
        .params(audit)
        .respond(200, ok("AuditPage", "A page")),
        Operation::new(
            "get",
            "/api/v1/permissions",
            "apiPermissions",
            "The permission catalog: Latchkey's scopes and the seeds' names for them",
            TAG,
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, permissions),
    ]
}
