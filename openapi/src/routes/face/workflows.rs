//! Issue 24's workflow and policy routes of the face: seed 001's `/api/v1/workflows`
//! (`workflow.edit` on changes) and `/api/v1/policies` (`policy.edit`, Latchkey's
//! `policies:write`); reads need any credential. The built-in `default` workflow is the tier
//! document and is read-only here.

use super::super::{TENANT, body};
use super::TAG;
use crate::components::{role_id, user_id};
use crate::json::Json;
use crate::operation::{AUTH, Operation, Parameters, auth_and, ok, ok_empty};
use crate::schema::{
    array, boolean, bounded, enumeration, glob, id_of, integer, nullable, object, record,
    schema_ref, string, text, tier, time,
};
use crate::{arr, obj};
use latchkey_core::approval::{MAX_APPROVALS, MAX_CANCEL_WINDOW_SECONDS};
use latchkey_core::project::{EnvironmentId, ProjectId};
use latchkey_core::workflow::policy::PolicyId;
use latchkey_core::workflow::{
    MAX_DESCRIPTION_BYTES, MAX_NAME_BYTES, MAX_STAGE_USERS, MAX_STAGES, MAX_TIMEOUT_SECONDS,
    MIN_TIMEOUT_SECONDS, WorkflowId,
};

fn op(method: &'static str, path: &'static str, id: &'static str, summary: &str) -> Operation {
    Operation::new(method, path, id, summary, TAG).security(TENANT)
}

fn workflow_id() -> Json {
    id_of(WorkflowId::PREFIX, WorkflowId::HEX_DIGITS, "A workflow")
}

fn workflow_param() -> Json {
    obj! {
        "name" => "id",
        "in" => "path",
        "required" => true,
        "description" => "A workflow: `wfl_…`, or `default` (the built-in one). A malformed id names nothing: 404",
        "schema" => string().with(
            "pattern",
            format!("^(default|{}[0-9a-f]{{{}}})$", WorkflowId::PREFIX, WorkflowId::HEX_DIGITS),
        ).example("default"),
    }
}

fn request_kind() -> Json {
    enumeration(["token", "read", "patch", "password"])
}

fn approvers() -> Json {
    obj! {
        "oneOf" => arr![
            record(obj! { "role" => role_id() }),
            record(obj! {
                "users" => array(user_id())
                    .with("minItems", 1)
                    .with("maxItems", MAX_STAGE_USERS)
                    .with("uniqueItems", true),
            }),
            record(obj! { "any" => boolean().with("enum", arr![true]) }),
        ],
    }
    .describe("Who may approve: a role's holders, listed users, or any holder of approvals:decide")
}

fn name() -> Json {
    text(Some(1), Some(MAX_NAME_BYTES))
}

fn description() -> Json {
    nullable(text(Some(1), Some(MAX_DESCRIPTION_BYTES)))
}

pub(super) fn schemas() -> Json {
    obj! {
        "Stage" => object(
            obj! {
                "approvers" => approvers(),
                "approvals" => integer(0),
                "timeout_seconds" => integer(0),
            },
            obj! { "name" => string() },
        ),
        "Workflow" => object(
            obj! {
                "id" => string().describe("`wfl_…`, or `default`"),
                "name" => string(),
                "description" => nullable(string()),
                "stages" => array(schema_ref("Stage")),
                "cancel_window_seconds" => integer(0),
                "revision" => integer(1),
                "built_in" => boolean(),
                "created_at" => nullable(time()),
                "updated_at" => nullable(time()),
            },
            obj! {
                "tier_counts" => array(schema_ref("PolicyRule"))
                    .describe("The built-in workflow: the tier document's rules that set its count"),
            },
        ),
        "Workflows" => record(obj! { "workflows" => array(schema_ref("Workflow")) }),
        "WorkflowStamp" => record(obj! {
            "id" => string().describe("`wfl_…`, or `default`"),
            "name" => string(),
            "revision" => integer(1),
        }),
        "StageSnapshot" => record(obj! {
            "workflow" => schema_ref("WorkflowStamp"),
            "stage" => schema_ref("Stage"),
        }),
        "StageView" => record(obj! {
            "index" => integer(0),
            "name" => nullable(string()),
            "workflow" => schema_ref("WorkflowStamp"),
            "approvers" => approvers(),
            "approvals_required" => integer(0),
            "approvals" => array(string()),
            "deadline" => time(),
        }),
        "NewStage" => object(
            obj! {
                "approvers" => approvers(),
                "approvals" => bounded(1, MAX_APPROVALS),
                "timeout_seconds" => bounded(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS),
            },
            obj! { "name" => nullable(name()) },
        ),
        "NewWorkflow" => object(
            obj! {
                "name" => name(),
                "stages" => array(schema_ref("NewStage"))
                    .with("minItems", 1)
                    .with("maxItems", MAX_STAGES),
            },
            obj! {
                "description" => description(),
                "cancel_window_seconds" => bounded(0, MAX_CANCEL_WINDOW_SECONDS),
            },
        ),
        "WorkflowPolicy" => object(
            obj! {
                "source" => enumeration(["policy", "tier_document"]),
                "workflow_id" => string().describe("`wfl_…`, or `default` for a tier-document rule"),
                "enabled" => boolean(),
                "read_only" => boolean(),
            },
            obj! {
                "id" => id_of(PolicyId::PREFIX, PolicyId::HEX_DIGITS, "A policy"),
                "name" => string(),
                "description" => string(),
                "project_id" => id_of(ProjectId::PREFIX, ProjectId::HEX_DIGITS, "A project"),
                "environment_id" => id_of(EnvironmentId::PREFIX, EnvironmentId::HEX_DIGITS, "An environment"),
                "path_glob" => glob(),
                "tier" => tier(),
                "kind" => request_kind(),
                "created_at" => time(),
                "updated_at" => time(),
                "tier_counts" => schema_ref("PolicyRule"),
            },
        ),
        "WorkflowPolicies" => record(obj! { "policies" => array(schema_ref("WorkflowPolicy")) }),
        "NewWorkflowPolicy" => object(
            obj! { "name" => name(), "workflow_id" => workflow_id() },
            obj! {
                "description" => description(),
                "project_id" => nullable(id_of(ProjectId::PREFIX, ProjectId::HEX_DIGITS, "A project")),
                "environment_id" => nullable(id_of(EnvironmentId::PREFIX, EnvironmentId::HEX_DIGITS, "An environment")),
                "path_glob" => nullable(glob()),
                "tier" => nullable(tier()),
                "kind" => nullable(request_kind()),
                "enabled" => nullable(boolean()),
            },
        )
        .with(
            "anyOf",
            arr![
                obj! { "required" => arr!["project_id"] },
                obj! { "required" => arr!["environment_id"] },
                obj! { "required" => arr!["path_glob"] },
                obj! { "required" => arr!["tier"] },
                obj! { "required" => arr!["kind"] },
            ],
        )
        .describe("At least one of project_id, environment_id, path_glob, tier or kind (else 422)"),
    }
}

pub(super) fn operations(params: &mut Parameters) -> Vec<Operation> {
    let pol = params.id("id", PolicyId::PREFIX, PolicyId::HEX_DIGITS, "A policy");
    vec![
        op("post", "/api/v1/workflows", "apiCreateWorkflow", "Create a workflow: ordered stages of approvers (workflow.edit)")
            .errors(&auth_and(&[404, 409, 422]))
            .body(body("NewWorkflow"))
            .respond(201, ok("Workflow", "Created")),
        op("get", "/api/v1/workflows", "apiListWorkflows", "Workflows, the built-in default first")
            .errors(&AUTH)
            .respond(200, ok("Workflows", "Workflows")),
        op("get", "/api/v1/workflows/{id}", "apiGetWorkflow", "A workflow")
            .errors(&auth_and(&[404]))
            .params(vec![workflow_param()])
            .respond(200, ok("Workflow", "The workflow")),
        op("put", "/api/v1/workflows/{id}", "apiUpdateWorkflow", "Replace a workflow's stages (a new revision; requests in flight keep theirs; 409 on default) (workflow.edit)")
            .errors(&auth_and(&[404, 409, 422]))
            .params(vec![workflow_param()])
            .body(body("NewWorkflow"))
            .respond(200, ok("Workflow", "Replaced")),
        op("delete", "/api/v1/workflows/{id}", "apiDeleteWorkflow", "Delete a workflow (409 while a policy names it, or on default) (workflow.edit)")
            .errors(&auth_and(&[404, 409]))
            .params(vec![workflow_param()])
            .respond(204, ok_empty("Deleted")),
        op("post", "/api/v1/policies", "apiCreatePolicy", "Create a policy: which workflow governs which requests (policy.edit)")
            .errors(&auth_and(&[404, 409, 422]))
            .body(body("NewWorkflowPolicy"))
            .respond(201, ok("WorkflowPolicy", "Created")),
        op("get", "/api/v1/policies", "apiListPolicies", "Policies by precedence, then the tier document's rules (read-only)")
            .errors(&AUTH)
            .respond(200, ok("WorkflowPolicies", "Policies")),
        op("get", "/api/v1/policies/{id}", "apiGetPolicy", "A policy")
            .errors(&auth_and(&[404]))
            .params(vec![pol.clone()])
            .respond(200, ok("WorkflowPolicy", "The policy")),
        op("put", "/api/v1/policies/{id}", "apiUpdatePolicy", "Replace a policy (policy.edit)")
            .errors(&auth_and(&[404, 409, 422]))
            .params(vec![pol.clone()])
            .body(body("NewWorkflowPolicy"))
            .respond(200, ok("WorkflowPolicy", "Replaced")),
        op("delete", "/api/v1/policies/{id}", "apiDeletePolicy", "Delete a policy (policy.edit)")
            .errors(&auth_and(&[404]))
            .params(vec![pol])
            .respond(204, ok_empty("Deleted")),
    ]
}
