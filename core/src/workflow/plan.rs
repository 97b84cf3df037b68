//! Which stages a request runs, from what it reaches: each reached item goes to its governing
//! policy's workflow, or to the default (the tier document's count). A request reaching items
//! under several workflows must satisfy all of them: the stages of each distinct explicit
//! workflow, most specific policy first, then one default stage with the highest default count
//! when any item fell to the default and that count is above zero.
//!
//! And at use ([`check_cleared`]): a token cleared through approvals records the explicit
//! workflows (with their revisions) that cleared it; a secret now governed by a workflow it was
//! not cleared by, or by a newer revision, is refused: a stricter rule asks again.

use super::policy::{Item, Specificity, StoredPolicy, governing};
use super::progress::{StageSnapshot, WorkflowStamp};
use super::{Approvers, DEFAULT_WORKFLOW, Stage, WorkflowId, WorkflowView};
use crate::approval::Requirement;
use crate::error::{ApiError, ErrorCode};
use crate::path::SecretPath;
use crate::project::{EnvironmentId, ProjectId};

/// An environment as routing needs it.
#[derive(Debug, Clone)]
pub struct EnvironmentScope {
    pub id: EnvironmentId,
    pub project_id: ProjectId,
    pub path_prefix: String,
    pub clusters: Vec<String>,
}

/// The environment a stored path belongs to (the longest prefix holding it) or a discovered
/// secret's cluster does.
pub fn environment_for<'a>(
    environments: &'a [EnvironmentScope],
    path: Option<&str>,
    cluster: Option<&str>,
) -> Option<(&'a EnvironmentId, &'a ProjectId)> {
    let found = match cluster {
        Some(cluster) => environments
            .iter()
            .find(|e| e.clusters.iter().any(|c| c == cluster)),
        None => path.and_then(|path| {
            environments
                .iter()
                .filter(|e| path.starts_with(&e.path_prefix))
                .max_by_key(|e| e.path_prefix.len())
        }),
    };
    found.map(|e| (&e.id, &e.project_id))
}

/// What the tenant's policies and workflows say, loaded once per decision.
pub struct Rules<'a> {
    pub policies: &'a [StoredPolicy],
    pub workflows: &'a [WorkflowView],
}

impl<'a> Rules<'a> {
    fn workflow(&self, id: &WorkflowId) -> Option<&'a WorkflowView> {
        self.workflows.iter().find(|w| w.id == id.as_str())
    }

    fn total(&self, id: &WorkflowId) -> u64 {
        self.workflow(id)
            .map_or(0, |w| w.stages.iter().map(|s| s.approvals).sum())
    }

    /// The workflow governing `item`, with the policy's specificity.
    pub fn governing(&self, item: &Item<'_>) -> Option<(&'a WorkflowView, Specificity)> {
        let policy = governing(self.policies, item, |id| self.total(id))?;
        let workflow = self.workflow(&policy.policy.workflow_id)?;
        Some((workflow, policy.policy.criteria.specificity()))
    }
}

/// The stages a request runs and what clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub stages: Vec<StageSnapshot>,
    pub cancel_window_seconds: u64,
    /// The explicit workflows in the plan (what a released token records).
    pub workflows: Vec<WorkflowStamp>,
    /// The default count among the items that fell to the default.
    pub default: Requirement,
}

pub fn stamp(workflow: &WorkflowView) -> WorkflowStamp {
    WorkflowStamp {
        id: workflow.id.clone(),
        name: workflow.name.clone(),
        revision: workflow.revision,
    }
}

/// The default workflow's one stage for a `count`, waiting `timeout_seconds`.
pub fn default_stage(count: u64, timeout_seconds: u64) -> StageSnapshot {
    StageSnapshot {
        workflow: WorkflowStamp {
            id: DEFAULT_WORKFLOW.to_owned(),
            name: "Default (tier document)".to_owned(),
            revision: 1,
        },
        stage: Stage {
            name: Some("approvers".to_owned()),
            approvers: Approvers::Any,
            approvals: count,
            timeout_seconds,
        },
    }
}

/// The plan for items, each with the default requirement the tier document gives it.
/// `default_floor` is the least default count (1 for read and patch requests, which always
/// need an approval; 0 for tokens).
pub fn plan<'a>(
    rules: &Rules<'_>,
    items: impl IntoIterator<Item = (Item<'a>, Requirement)>,
    default_floor: u64,
    timeout_seconds: u64,
) -> Plan {
    let mut chosen: Vec<(&WorkflowView, Specificity)> = Vec::new();
    let mut default = Requirement::NONE;
    let mut any_default = false;
    for (item, requirement) in items {
        match rules.governing(&item) {
            Some((workflow, specificity)) => {
                match chosen.iter_mut().find(|(w, _)| w.id == workflow.id) {
                    Some(entry) => entry.1 = entry.1.max(specificity),
                    None => chosen.push((workflow, specificity)),
                }
            }
            None => {
                any_default = true;
                default = default.max(requirement);
            }
        }
    }
    if any_default {
        default.approvals = default.approvals.max(default_floor);
    }
    chosen.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then_with(|| {
                let total = |w: &WorkflowView| w.stages.iter().map(|s| s.approvals).sum::<u64>();
                total(b).cmp(&total(a))
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut plan = Plan {
        stages: Vec::new(),
        cancel_window_seconds: 0,
        workflows: Vec::new(),
        default,
    };
    for (workflow, _) in &chosen {
        let stamped = stamp(workflow);
        plan.stages
            .extend(workflow.stages.iter().map(|stage| StageSnapshot {
                workflow: stamped.clone(),
                stage: stage.clone(),
            }));
        plan.cancel_window_seconds = plan
            .cancel_window_seconds
            .max(workflow.cancel_window_seconds);
        plan.workflows.push(stamped);
    }
    if default.approvals > 0 {
        plan.stages
            .push(default_stage(default.approvals, timeout_seconds));
        plan.cancel_window_seconds = plan
            .cancel_window_seconds
            .max(default.cancel_window_seconds);
    }
    plan
}

/// The 403 when `path` is now governed by an explicit workflow (or a newer revision of one)
/// that the token's clearance does not record.
pub fn check_cleared(
    path: &SecretPath,
    governing: Option<&WorkflowView>,
    cleared: &[WorkflowStamp],
) -> Result<(), ApiError> {
    let Some(workflow) = governing else {
        return Ok(());
    };
    if cleared
        .iter()
        .any(|c| c.id == workflow.id && c.revision >= workflow.revision)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::PermissionDenied,
        format!(
            "'{path}' is now governed by workflow '{}' ({}, revision {}), which did not clear this token: a stricter rule asks again; request a new token (it will go through that workflow)",
            workflow.name, workflow.id, workflow.revision
        ),
    )
    .with("path", path.as_str())
    .with("workflow_id", workflow.id.as_str())
    .with("revision", workflow.revision))
}
