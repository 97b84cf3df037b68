//! Issue 24's `/api/v1` workflow and policy routes. Each parses its body in the core, sends
//! one command, and answers its reply undecoded ([`Caller::run_raw`]); who may call
//! (`workflow.edit`, `policies:write`) is the tenant object's to decide.

use crate::http::{Reply, json_text, no_content, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::CallerCommand;
use latchkey_contract::caller::workflows::{
    CreatePolicy, CreateWorkflow, DeletePolicy, DeleteWorkflow, GetPolicy, GetWorkflow,
    ListPolicies, ListWorkflows, UpdatePolicy, UpdateWorkflow,
};
use latchkey_core::ApiError;
use latchkey_core::faces::api::WorkflowRoute as R;
use latchkey_core::workflow::NewWorkflow;
use latchkey_core::workflow::policy::NewPolicy;
use worker::{Env, Request};

async fn command(route: R, request: &mut Request) -> Result<CallerCommand, ApiError> {
    Ok(match route {
        R::CreateWorkflow => CreateWorkflow {
            workflow: NewWorkflow::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::ListWorkflows => ListWorkflows.into(),
        R::GetWorkflow(id) => GetWorkflow { id }.into(),
        R::UpdateWorkflow(id) => UpdateWorkflow {
            id,
            workflow: NewWorkflow::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::DeleteWorkflow(id) => DeleteWorkflow { id }.into(),
        R::CreatePolicy => CreatePolicy {
            policy: NewPolicy::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::ListPolicies => ListPolicies.into(),
        R::GetPolicy(id) => GetPolicy { id }.into(),
        R::UpdatePolicy(id) => UpdatePolicy {
            id,
            policy: NewPolicy::parse(&read_json_body(request).await?)?,
        }
        .into(),
        R::DeletePolicy(id) => DeletePolicy { id }.into(),
    })
}

pub async fn answer(route: R, request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let (status, list) = match route {
        R::CreateWorkflow | R::CreatePolicy => (201, None),
        R::ListWorkflows => (200, Some("workflows")),
        R::ListPolicies => (200, Some("policies")),
        R::DeleteWorkflow(_) | R::DeletePolicy(_) => (204, None),
        _ => (200, None),
    };
    let raw = caller.run_raw(env, command(route, request).await).await?;
    match (status, list) {
        (204, _) => no_content(),
        (_, Some(member)) => json_text(status, format!(r#"{{"{member}":{}}}"#, raw.get())),
        (_, None) => json_text(status, raw.get().to_owned()),
    }
}
