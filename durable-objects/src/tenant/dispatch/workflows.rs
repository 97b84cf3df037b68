//! The arms of issue 24's workflows and policies (`crate::workflows`).

use super::{Outcome, answer};
use crate::store::SecretContext;
use latchkey_contract::caller::workflows::WorkflowCommand as Wfl;

pub(super) fn workflow_command(
    command: Wfl,
    ctx: &SecretContext<'_>,
    draft: crate::audit::Draft,
    ttl_seconds: i64,
) -> Outcome {
    use crate::workflows as w;
    match command {
        Wfl::CreateWorkflow(c) => answer(c, draft, |c| w::create_workflow(ctx, &c.workflow)),
        Wfl::ListWorkflows(c) => answer(c, draft, |_| w::list_workflows(ctx, ttl_seconds)),
        Wfl::GetWorkflow(c) => answer(c, draft, |c| w::get_workflow(ctx, &c.id, ttl_seconds)),
        Wfl::UpdateWorkflow(c) => answer(c, draft, |c| w::update_workflow(ctx, &c.id, &c.workflow)),
        Wfl::DeleteWorkflow(c) => answer(c, draft, |c| w::delete_workflow(ctx, &c.id)),
        Wfl::CreatePolicy(c) => answer(c, draft, |c| w::create_policy(ctx, &c.policy)),
        Wfl::ListPolicies(c) => answer(c, draft, |_| w::list_policies(ctx)),
        Wfl::GetPolicy(c) => answer(c, draft, |c| w::get_policy(ctx, &c.id)),
        Wfl::UpdatePolicy(c) => answer(c, draft, |c| w::update_policy(ctx, &c.id, &c.policy)),
        Wfl::DeletePolicy(c) => answer(c, draft, |c| w::delete_policy(ctx, &c.id)),
    }
}
