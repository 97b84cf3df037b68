//! Every documented operation, in the document's order. `tests/routes.rs` checks them against
//! the core's route table, both ways.

mod agents;
mod approvals;
mod face;
mod people;
mod secrets;

pub use face::schemas as face_schemas;

use crate::components::tenant_id;
use crate::json::Json;
use crate::obj;
use crate::operation::{Operation, Parameters, ok_unlimited, ok_with, parameter_ref, query};
use crate::schema::{bounded, enumeration, schema_ref, string, time};
use latchkey_core::audit::{MAX_FILTER_BYTES, MAX_LIMIT as AUDIT_MAX_LIMIT};
use latchkey_core::tenant::{TENANT_HEX_LEN, TENANT_PREFIX};

const TENANT: &[&str] = &["tenantBearer"];
const AGENT: &[&str] = &["agentJwt"];
const OPERATOR: &[&str] = &["operatorKey"];

/// A request body, by the name of its schema.
pub fn body(name: &str) -> Json {
    schema_ref(name)
}

fn path_param() -> Json {
    parameter_ref("path")
}

fn field_param() -> Json {
    parameter_ref("field")
}

fn true_or_false() -> Json {
    enumeration(["true", "false"])
}

fn short_filter() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", MAX_FILTER_BYTES)
}

fn probes_and_operator(params: &mut Parameters) -> Vec<Operation> {
    let mut admin_audit = vec![query("tenant", tenant_id())];
    admin_audit.extend(
        ["type", "actor", "correlation_id"]
            .into_iter()
            .map(|name| query(name, short_filter())),
    );
    admin_audit.extend([
        query("success", true_or_false()),
        query("since", time()),
        query("until", time()),
        query("limit", bounded(1, u64::from(AUDIT_MAX_LIMIT))),
        query("cursor", string()),
    ]);
    vec![
        Operation::new(
            "get",
            "/v1/health",
            "health",
            "Liveness with the server's time",
            "probes",
        )
        .respond(200, ok_unlimited("Health", "Up")),
        Operation::new(
            "get",
            "/healthz",
            "liveness",
            "The process answers",
            "probes",
        )
        .respond(200, ok_unlimited("Liveness", "Up")),
        Operation::new(
            "get",
            "/readyz",
            "readiness",
            "D1 and the Durable Objects answer",
            "probes",
        )
        .errors(&[503])
        .respond(200, ok_unlimited("Readiness", "Ready")),
        Operation::new(
            "get",
            "/metrics",
            "metrics",
            "Prometheus exposition of the deployment: build info, up, and the readiness checks; nothing about any tenant",
            "probes",
        )
        .respond(
            200,
            ok_with(
                "Prometheus text exposition (format 0.0.4)",
                false,
                Some((latchkey_core::metrics::CONTENT_TYPE, string())),
            ),
        ),
        Operation::new(
            "get",
            "/v1/openapi.json",
            "openapi",
            "This document (OpenAPI 3.1)",
            "probes",
        )
        .respond(
            200,
            ok_with(
                "The document, cached for 5 minutes",
                false,
                Some(("application/json", obj! { "type" => "object" })),
            ),
        ),
        Operation::new(
            "post",
            "/v1/admin/tenants",
            "createTenant",
            "Create a tenant; the master key is shown once",
            "operator",
        )
        .security(OPERATOR)
        .errors(&[400, 401, 422])
        .body(body("NewTenant"))
        .respond(201, ok_unlimited("TenantCreated", "Created")),
        Operation::new(
            "patch",
            "/v1/admin/tenants/{id}",
            "updateTenant",
            "Set a tenant's plan and/or custom rate limit",
            "operator",
        )
        .security(OPERATOR)
        .errors(&[400, 401, 404, 409, 422])
        .params(vec![params.id(
            "id",
            TENANT_PREFIX,
            TENANT_HEX_LEN,
            "A tenant",
        )])
        .body(body("TenantUpdate"))
        .respond(200, ok_unlimited("TenantUpdated", "Updated")),
        Operation::new(
            "get",
            "/v1/admin/audit",
            "adminAudit",
            "Search the D1 copy of every tenant's audit events",
            "operator",
        )
        .security(OPERATOR)
        .errors(&[400, 401, 422])
        .params(admin_audit)
        .respond(200, ok_unlimited("AdminAuditPage", "Newest first")),
        Operation::new(
            "post",
            "/v1/admin/agent-releases",
            "publishAgentRelease",
            "Publish an agent version for one platform (GET /api/v1/agents/update/latest answers with the latest)",
            "operator",
        )
        .security(OPERATOR)
        .errors(&[400, 401, 409, 422])
        .body(body("AgentRelease"))
        .respond(201, ok_unlimited("AgentReleasePublished", "Published")),
    ]
}

/// Every operation but the Vault ones, in order; registers the id parameters they share.
pub fn operations(params: &mut Parameters) -> Vec<Operation> {
    let mut out = probes_and_operator(params);
    out.extend(secrets::secrets());
    out.extend(approvals::tokens_and_approvals(params));
    out.extend(approvals::audit());
    out.extend(agents::agents(params));
    out.extend(people::people(params));
    let face = face::operations(&out, params);
    out.extend(face);
    out
}
