//! Workflows and policies (issue 24, seed 001's `/api/v1/workflows` and `/api/v1/policies`):
//! which people approve which requests, in which stages. Reading them needs any credential;
//! changing a workflow needs `workflow.edit`, a policy `policies:write` (`policy.edit`). The
//! built-in `default` workflow is the tier document's (`/v1/policies`) and read-only here.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::scope::Scope;
use latchkey_core::workflow::policy::{NewPolicy, PolicyId, PolicyView};
use latchkey_core::workflow::{NewWorkflow, WorkflowRef, WorkflowView};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/workflows`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateWorkflow {
    pub workflow: NewWorkflow,
}

/// `GET /api/v1/workflows`: the built-in default first, then the tenant's.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListWorkflows;

/// `GET /api/v1/workflows/{id}` (`default` too).
#[derive(Debug, Serialize, Deserialize)]
pub struct GetWorkflow {
    pub id: WorkflowRef,
}

/// `PUT /api/v1/workflows/{id}`: a new revision; requests in flight keep their snapshot.
#[derive(Debug, Serialize, Deserialize)]
pub struct UpdateWorkflow {
    pub id: WorkflowRef,
    pub workflow: NewWorkflow,
}

/// `DELETE /api/v1/workflows/{id}`: refused (409) while a policy names it.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteWorkflow {
    pub id: WorkflowRef,
}

/// `POST /api/v1/policies`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatePolicy {
    pub policy: NewPolicy,
}

/// `GET /api/v1/policies`: the explicit policies, then the tier document's rules read-only.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListPolicies;

/// `GET /api/v1/policies/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetPolicy {
    pub id: PolicyId,
}

/// `PUT /api/v1/policies/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UpdatePolicy {
    pub id: PolicyId,
    pub policy: NewPolicy,
}

/// `DELETE /api/v1/policies/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeletePolicy {
    pub id: PolicyId,
}

area! {
    pub enum WorkflowCommand in CallerCommand::Workflows {
        CreateWorkflow => WorkflowView,
        ListWorkflows => Vec<WorkflowView>,
        GetWorkflow => WorkflowView,
        UpdateWorkflow => WorkflowView,
        DeleteWorkflow => (),
        CreatePolicy => PolicyView,
        ListPolicies => Vec<PolicyView>,
        GetPolicy => PolicyView,
        UpdatePolicy => PolicyView,
        DeletePolicy => (),
    }
}

impl WorkflowCommand {
    pub fn rules(&self) -> Rules {
        use Effect::{Reads, Writes};
        use WorkflowCommand as C;
        let row = |access, event, effect| {
            Rules::of(
                access,
                Audit::Event(event),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                effect,
            )
        };
        let workflows = || Access::Scope(Scope::WorkflowsEdit);
        let policies = || Access::Scope(Scope::PoliciesWrite);
        // Reading who approves what is for any credential of the tenant (seed 001).
        let read = || Access::Authenticated;
        match self {
            C::CreateWorkflow(_) => row(workflows(), "workflow.created", Writes),
            C::ListWorkflows(_) => row(read(), "workflow.listed", Reads),
            C::GetWorkflow(_) => row(read(), "workflow.read", Reads),
            C::UpdateWorkflow(_) => row(workflows(), "workflow.updated", Writes),
            C::DeleteWorkflow(_) => row(workflows(), "workflow.deleted", Writes),
            C::CreatePolicy(_) => row(policies(), "policy.created", Writes),
            C::ListPolicies(_) => row(read(), "policy.listed", Reads),
            C::GetPolicy(_) => row(read(), "policy.read", Reads),
            C::UpdatePolicy(_) => row(policies(), "policy.updated", Writes),
            C::DeletePolicy(_) => row(policies(), "policy.deleted", Writes),
        }
    }
}
