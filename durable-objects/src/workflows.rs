//! Workflows and policies (issue 24): the tables of migration 25, and what governs an item
//! ([`latchkey_core::workflow::policy::governing`] over the stored policies). The built-in
//! `default` workflow is not stored: it is the tier document (`crate::policies`), shown here
//! read-only. A request snapshots its stages when it opens, so nothing here changes a request
//! already running.

use crate::rows::{Failure, in_transaction, internal, read_count, ts};
use crate::sql::Value as V;
use crate::sql::{Storage, StorageError, execute, query, query_one};
use crate::store::SecretContext;
use crate::workflow_rules::{
    POLICY_COLUMNS, WORKFLOW_COLUMNS, all_policies, all_workflows, stored_policy, workflow_view,
};
use latchkey_core::ApiError;
use latchkey_core::workflow::policy::{
    MAX_POLICIES, NewPolicy, PolicyId, PolicyView, StoredPolicy,
};
use latchkey_core::workflow::{
    MAX_WORKFLOWS, NewWorkflow, WorkflowId, WorkflowRef, WorkflowView, built_in_refusal,
    default_workflow,
};

/// A stored workflow, or `None`.
pub fn find_workflow(
    storage: &Storage,
    id: &WorkflowId,
) -> Result<Option<WorkflowView>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .map(|row| workflow_view(&row))
    .transpose()
}

fn workflow_not_found(id: &WorkflowId) -> ApiError {
    ApiError::not_found(format!("workflow '{id}' not found")).with("workflow_id", id.as_str())
}

/// Every role and user a workflow names must exist now (404 naming the first that does not).
fn check_named(ctx: &SecretContext<'_>, workflow: &NewWorkflow) -> Result<(), Failure> {
    for role in workflow.named_roles() {
        crate::people::roles::get(ctx.storage, role)?;
    }
    for user in workflow.named_users() {
        let found = query_one(
            ctx.storage,
            "SELECT 1 FROM users WHERE id = ?",
            vec![user.as_str().into()],
        )?
        .is_some();
        if !found {
            return Err(crate::people::user_not_found(user).into());
        }
    }
    Ok(())
}

fn stages_json(workflow: &NewWorkflow) -> Result<String, Failure> {
    serde_json::to_string(&workflow.stages).map_err(|e| internal("workflow stages", e).into())
}

fn count(storage: &Storage, sql: &str) -> Result<u64, StorageError> {
    query_one(storage, sql, vec![])?.map_or(Ok(0), |row| read_count(&row, 0))
}

/// `POST /api/v1/workflows`.
pub fn create_workflow(
    ctx: &SecretContext<'_>,
    workflow: &NewWorkflow,
) -> Result<WorkflowView, ApiError> {
    let id = WorkflowId::generate().map_err(|e| internal("workflow id", e))?;
    in_transaction(ctx.storage, "create workflow", || {
        if count(ctx.storage, "SELECT count(*) FROM workflows")? >= MAX_WORKFLOWS {
            return Err(ApiError::conflict(format!(
                "this tenant has {MAX_WORKFLOWS} workflows, the limit; delete one first"
            ))
            .into());
        }
        check_named(ctx, workflow)?;
        execute(
            ctx.storage,
            "INSERT INTO workflows (id, name, description, stages, cancel_window_seconds,
                revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            vec![
                id.as_str().into(),
                workflow.name.as_str().into(),
                workflow.description.clone().into(),
                stages_json(workflow)?.into(),
                V::Integer(i64::try_from(workflow.cancel_window_seconds).unwrap_or(0)),
                ts(ctx.now),
                ts(ctx.now),
            ],
        )?;
        find_workflow(ctx.storage, &id)?.ok_or_else(|| workflow_not_found(&id).into())
    })
}

/// `GET /api/v1/workflows`: the built-in default first, then the tenant's, oldest first.
pub fn list_workflows(
    ctx: &SecretContext<'_>,
    ttl_seconds: i64,
) -> Result<Vec<WorkflowView>, ApiError> {
    let policies = ctx
        .policy_cache
        .get(ctx.storage)
        .map_err(|e| internal("policies", e))?;
    let mut views = vec![default_workflow(
        &policies,
        u64::try_from(ttl_seconds).unwrap_or(0),
    )];
    views.extend(all_workflows(ctx.storage).map_err(|e| internal("list workflows", e))?);
    Ok(views)
}

/// `GET /api/v1/workflows/{id}`.
pub fn get_workflow(
    ctx: &SecretContext<'_>,
    id: &WorkflowRef,
    ttl_seconds: i64,
) -> Result<WorkflowView, ApiError> {
    match id {
        WorkflowRef::Default => {
            let policies = ctx
                .policy_cache
                .get(ctx.storage)
                .map_err(|e| internal("policies", e))?;
            Ok(default_workflow(
                &policies,
                u64::try_from(ttl_seconds).unwrap_or(0),
            ))
        }
        WorkflowRef::Id(id) => find_workflow(ctx.storage, id)
            .map_err(|e| internal("get workflow", e))?
            .ok_or_else(|| workflow_not_found(id)),
    }
}

/// `PUT /api/v1/workflows/{id}`: the next revision. Requests in flight keep their snapshot;
/// tokens cleared by an older revision are asked again at use (`crate::workflow_rules`).
pub fn update_workflow(
    ctx: &SecretContext<'_>,
    id: &WorkflowRef,
    workflow: &NewWorkflow,
) -> Result<WorkflowView, ApiError> {
    let WorkflowRef::Id(id) = id else {
        return Err(built_in_refusal());
    };
    in_transaction(ctx.storage, "update workflow", || {
        if find_workflow(ctx.storage, id)?.is_none() {
            return Err(workflow_not_found(id).into());
        }
        check_named(ctx, workflow)?;
        execute(
            ctx.storage,
            "UPDATE workflows SET name = ?, description = ?, stages = ?,
                cancel_window_seconds = ?, revision = revision + 1, updated_at = ?
             WHERE id = ?",
            vec![
                workflow.name.as_str().into(),
                workflow.description.clone().into(),
                stages_json(workflow)?.into(),
                V::Integer(i64::try_from(workflow.cancel_window_seconds).unwrap_or(0)),
                ts(ctx.now),
                id.as_str().into(),
            ],
        )?;
        find_workflow(ctx.storage, id)?.ok_or_else(|| workflow_not_found(id).into())
    })
}

/// `DELETE /api/v1/workflows/{id}`: 409 naming the policies that still route to it.
pub fn delete_workflow(ctx: &SecretContext<'_>, id: &WorkflowRef) -> Result<(), ApiError> {
    let WorkflowRef::Id(id) = id else {
        return Err(built_in_refusal());
    };
    in_transaction(ctx.storage, "delete workflow", || {
        if find_workflow(ctx.storage, id)?.is_none() {
            return Err(workflow_not_found(id).into());
        }
        let naming: Vec<String> = query(
            ctx.storage,
            "SELECT id FROM workflow_policies WHERE workflow_id = ? ORDER BY created_at, id",
            vec![id.as_str().into()],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
        if !naming.is_empty() {
            return Err(ApiError::conflict(format!(
                "workflow '{id}' is still named by policies {}; delete them or point them at another workflow first",
                naming.join(", ")
            ))
            .with("policies", naming)
            .into());
        }
        execute(
            ctx.storage,
            "DELETE FROM workflows WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok(())
    })
}

fn policy_not_found(id: &PolicyId) -> ApiError {
    ApiError::not_found(format!("policy '{id}' not found")).with("id", id.as_str())
}

fn find_policy(storage: &Storage, id: &PolicyId) -> Result<Option<StoredPolicy>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {POLICY_COLUMNS} FROM workflow_policies WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .map(|row| stored_policy(&row))
    .transpose()
}

fn exists(storage: &Storage, sql: &str, id: &str) -> Result<bool, StorageError> {
    Ok(query_one(storage, sql, vec![id.into()])?.is_some())
}

/// What a policy names must exist, and no other policy may have exactly its criteria.
fn check_policy(
    ctx: &SecretContext<'_>,
    policy: &NewPolicy,
    itself: Option<&PolicyId>,
) -> Result<String, Failure> {
    let workflow = &policy.workflow_id;
    if find_workflow(ctx.storage, workflow)?.is_none() {
        return Err(workflow_not_found(workflow).into());
    }
    if let Some(project) = &policy.criteria.project_id
        && !exists(
            ctx.storage,
            "SELECT 1 FROM projects WHERE id = ?",
            project.as_str(),
        )?
    {
        return Err(not_found_named("project", "project_id", project.as_str()).into());
    }
    if let Some(environment) = &policy.criteria.environment_id
        && !exists(
            ctx.storage,
            "SELECT 1 FROM environments WHERE id = ?",
            environment.as_str(),
        )?
    {
        return Err(not_found_named("environment", "environment_id", environment.as_str()).into());
    }
    let criteria =
        serde_json::to_string(&policy.criteria).map_err(|e| internal("policy criteria", e))?;
    let same = query_one(
        ctx.storage,
        "SELECT id FROM workflow_policies WHERE criteria = ? AND id != ?",
        vec![
            criteria.as_str().into(),
            itself.map_or("", PolicyId::as_str).into(),
        ],
    )?;
    if let Some(row) = same {
        let other = row.text(0)?;
        return Err(ApiError::conflict(format!(
            "policy '{other}' already has exactly these criteria; change it instead, or make this one more specific"
        ))
        .with("policy_id", other)
        .into());
    }
    Ok(criteria)
}

fn not_found_named(what: &str, field: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} '{id}' not found")).with(field, id)
}

/// `POST /api/v1/policies`.
pub fn create_policy(ctx: &SecretContext<'_>, policy: &NewPolicy) -> Result<PolicyView, ApiError> {
    let id = PolicyId::generate().map_err(|e| internal("policy id", e))?;
    in_transaction(ctx.storage, "create policy", || {
        if count(ctx.storage, "SELECT count(*) FROM workflow_policies")? >= MAX_POLICIES {
            return Err(ApiError::conflict(format!(
                "this tenant has {MAX_POLICIES} policies, the limit; delete one first"
            ))
            .into());
        }
        let criteria = check_policy(ctx, policy, None)?;
        execute(
            ctx.storage,
            "INSERT INTO workflow_policies (id, name, description, workflow_id, criteria,
                enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                policy.name.as_str().into(),
                policy.description.clone().into(),
                policy.workflow_id.as_str().into(),
                criteria.into(),
                V::Integer(i64::from(policy.enabled)),
                ts(ctx.now),
                ts(ctx.now),
            ],
        )?;
        let stored = find_policy(ctx.storage, &id)?.ok_or_else(|| policy_not_found(&id))?;
        Ok(PolicyView::of(&stored))
    })
}

/// `GET /api/v1/policies`: the explicit policies (oldest first), then the tier document's
/// rules as read-only entries of the default workflow (lowest precedence).
pub fn list_policies(ctx: &SecretContext<'_>) -> Result<Vec<PolicyView>, ApiError> {
    let mut views: Vec<PolicyView> = all_policies(ctx.storage)
        .map_err(|e| internal("list policies", e))?
        .iter()
        .map(PolicyView::of)
        .collect();
    let document = ctx
        .policy_cache
        .get(ctx.storage)
        .map_err(|e| internal("policies", e))?;
    views.extend(document.rules.iter().map(PolicyView::of_rule));
    if !document
        .rules
        .iter()
        .any(|r| r.glob.0 == latchkey_core::scope::PathGlob::everything())
    {
        views.push(PolicyView::of_rule(&latchkey_core::approval::default_rule()));
    }
    Ok(views)
}

/// `GET /api/v1/policies/{id}`.
pub fn get_policy(ctx: &SecretContext<'_>, id: &PolicyId) -> Result<PolicyView, ApiError> {
    find_policy(ctx.storage, id)
        .map_err(|e| internal("get policy", e))?
        .map(|p| PolicyView::of(&p))
        .ok_or_else(|| policy_not_found(id))
}

/// `PUT /api/v1/policies/{id}`: the whole policy is replaced.
pub fn update_policy(
    ctx: &SecretContext<'_>,
    id: &PolicyId,
    policy: &NewPolicy,
) -> Result<PolicyView, ApiError> {
    in_transaction(ctx.storage, "update policy", || {
        if find_policy(ctx.storage, id)?.is_none() {
            return Err(policy_not_found(id).into());
        }
        let criteria = check_policy(ctx, policy, Some(id))?;
        execute(
            ctx.storage,
            "UPDATE workflow_policies SET name = ?, description = ?, workflow_id = ?,
                criteria = ?, enabled = ?, updated_at = ? WHERE id = ?",
            vec![
                policy.name.as_str().into(),
                policy.description.clone().into(),
                policy.workflow_id.as_str().into(),
                criteria.into(),
                V::Integer(i64::from(policy.enabled)),
                ts(ctx.now),
                id.as_str().into(),
            ],
        )?;
        let stored = find_policy(ctx.storage, id)?.ok_or_else(|| policy_not_found(id))?;
        Ok(PolicyView::of(&stored))
    })
}

/// `DELETE /api/v1/policies/{id}`: what it governed falls to the next policy or the default.
pub fn delete_policy(ctx: &SecretContext<'_>, id: &PolicyId) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "delete policy", || {
        if find_policy(ctx.storage, id)?.is_none() {
            return Err(policy_not_found(id).into());
        }
        execute(
            ctx.storage,
            "DELETE FROM workflow_policies WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok(())
    })
}
