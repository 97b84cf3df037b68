//! What workflow and policy events carry (issue 24): ids, names, the revision and the
//! criteria; never anything of a secret.

use super::Completes;
use crate::audit::Draft;
use latchkey_contract::caller::workflows::WorkflowCommand as Wfl;
use latchkey_core::workflow::policy::{NewPolicy, PolicyView};
use latchkey_core::workflow::{WorkflowRef, WorkflowView};

fn workflow_id(id: &WorkflowRef) -> &str {
    match id {
        WorkflowRef::Default => latchkey_core::workflow::DEFAULT_WORKFLOW,
        WorkflowRef::Id(id) => id.as_str(),
    }
}

fn policy(draft: Draft, p: &NewPolicy) -> Draft {
    let c = &p.criteria;
    let mut draft = draft
        .detail("name", p.name.as_str())
        .detail("workflow_id", p.workflow_id.as_str())
        .detail("enabled", p.enabled);
    if let Some(id) = &c.project_id {
        draft = draft.detail("project_id", id.as_str());
    }
    if let Some(id) = &c.environment_id {
        draft = draft.detail("environment_id", id.as_str());
    }
    if let Some(glob) = &c.path_glob {
        draft = draft.detail("path_glob", glob.0.to_string());
    }
    if let Some(tier) = c.tier {
        draft = draft.detail("tier", tier.as_str());
    }
    if let Some(kind) = c.kind {
        draft = draft.detail("kind", kind.as_str());
    }
    draft
}

pub fn details(command: &Wfl, draft: Draft) -> Draft {
    match command {
        Wfl::CreateWorkflow(c) => draft
            .detail("name", c.workflow.name.as_str())
            .detail("stages", c.workflow.stages.len() as u64),
        Wfl::UpdateWorkflow(c) => draft
            .detail("workflow_id", workflow_id(&c.id))
            .detail("name", c.workflow.name.as_str())
            .detail("stages", c.workflow.stages.len() as u64),
        Wfl::GetWorkflow(c) => draft.detail("workflow_id", workflow_id(&c.id)),
        Wfl::DeleteWorkflow(c) => draft.detail("workflow_id", workflow_id(&c.id)),
        Wfl::CreatePolicy(c) => policy(draft, &c.policy),
        Wfl::UpdatePolicy(c) => policy(draft.detail("policy_id", c.id.as_str()), &c.policy),
        Wfl::GetPolicy(c) => draft.detail("policy_id", c.id.as_str()),
        Wfl::DeletePolicy(c) => draft.detail("policy_id", c.id.as_str()),
        Wfl::ListWorkflows(_) | Wfl::ListPolicies(_) => draft,
    }
}

impl Completes for WorkflowView {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("workflow_id", self.id.as_str())
            .detail("revision", self.revision)
    }
}

impl Completes for PolicyView {
    fn complete(&self, draft: Draft) -> Draft {
        match &self.id {
            Some(id) => draft.detail("policy_id", id.as_str()),
            None => draft,
        }
    }
}

impl Completes for Vec<WorkflowView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft
    }
}

impl Completes for Vec<PolicyView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft
    }
}
