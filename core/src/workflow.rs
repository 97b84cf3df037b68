//! Approval workflows (issue 24, seed 001's `/api/v1/workflows`): named, ordered stages, each
//! saying who may approve (a role's holders, listed users, or anyone holding
//! `approvals:decide`), how many approvals it needs and how long it waits. Policies
//! ([`policy`]) route requests to workflows; a request snapshots its stages when it opens and
//! runs them with [`progress`], so an edit or a deletion never changes a request in flight.
//!
//! The built-in `default` workflow is today's behaviour: one `any` stage whose count is the
//! tier document's (`/v1/policies`) for the secret's tier and path. It is not stored.

use crate::approval::{MAX_APPROVALS, MAX_CANCEL_WINDOW_SECONDS, Policies, PolicyRule};
use crate::body;
use crate::error::ApiError;
use crate::people::UserId;
use crate::role::RoleId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod plan;
pub mod policy;
pub mod progress;

prefixed_id!(WorkflowId, "wfl_", "workflow");

/// The id the built-in workflow answers to.
pub const DEFAULT_WORKFLOW: &str = "default";
pub const MAX_NAME_BYTES: usize = 100;
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
pub const MAX_STAGES: usize = 10;
pub use crate::stage::{Approver, Approvers, MAX_STAGE_USERS, Stage};
pub const MIN_TIMEOUT_SECONDS: u64 = 60;
/// A week.
pub const MAX_TIMEOUT_SECONDS: u64 = 604_800;
/// Workflows one tenant may define.
pub const MAX_WORKFLOWS: u64 = 200;

/// `POST /api/v1/workflows` and `PUT /api/v1/workflows/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWorkflow {
    pub name: String,
    pub description: Option<String>,
    pub stages: Vec<Stage>,
    pub cancel_window_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowBody {
    name: body::Text,
    #[serde(default)]
    description: body::OptText,
    #[serde(default)]
    stages: Option<Vec<Value>>,
    #[serde(default)]
    cancel_window_seconds: body::IntIn<0, MAX_CANCEL_WINDOW_SECONDS>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageBody {
    #[serde(default)]
    name: body::OptText,
    #[serde(default)]
    approvers: Option<Value>,
    #[serde(default)]
    approvals: Option<Value>,
    #[serde(default)]
    timeout_seconds: body::IntIn<MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS>,
}

/// An error of a list item's member, renamed to `list[i].member`.
fn nested(prefix: &str, e: ApiError) -> ApiError {
    let member = e
        .details
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let field = if member.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{member}")
    };
    let message = if member.is_empty() {
        format!("'{prefix}': {}", e.message)
    } else {
        e.message
            .replacen(&format!("'{member}'"), &format!("'{field}'"), 1)
    };
    ApiError::validation(&field, message)
}

/// 1 to `max` bytes without control characters.
pub(crate) fn bounded_text(
    field: &str,
    text: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match text {
        Some(t) if t.trim().is_empty() || t.len() > max || t.chars().any(char::is_control) => {
            Err(ApiError::validation(
                field,
                format!("'{field}' must be 1 to {max} bytes without control characters"),
            ))
        }
        other => Ok(other),
    }
}

impl Stage {
    fn parse(item: Value, field: &str) -> Result<Self, ApiError> {
        let b: StageBody = body::parse_value(item).map_err(|e| nested(field, e))?;
        let approvers_field = format!("{field}.approvers");
        let approvers = match b.approvers {
            Some(value) if !value.is_null() => Approvers::parse(&value, &approvers_field)?,
            _ => {
                return Err(ApiError::validation(
                    &approvers_field,
                    format!("'{approvers_field}' is required"),
                ));
            }
        };
        let approvals_field = format!("{field}.approvals");
        let approvals = match b.approvals.as_ref().and_then(Value::as_u64) {
            Some(n) if (1..=MAX_APPROVALS).contains(&n) => n,
            Some(0) => {
                return Err(ApiError::validation(
                    &approvals_field,
                    format!(
                        "'{approvals_field}' is 0; every stage needs at least one approval (a stage that needs none would let requests through unreviewed)"
                    ),
                ));
            }
            _ if b.approvals.as_ref().is_none_or(Value::is_null) => {
                return Err(ApiError::validation(
                    &approvals_field,
                    format!("'{approvals_field}' is required"),
                ));
            }
            _ => {
                return Err(ApiError::validation(
                    &approvals_field,
                    format!("'{approvals_field}' must be an integer from 1 to {MAX_APPROVALS}"),
                ));
            }
        };
        if let Approvers::Users(users) = &approvers
            && approvals > users.len() as u64
        {
            return Err(ApiError::validation(
                &approvals_field,
                format!(
                    "'{approvals_field}' is {approvals} but the stage lists {} user(s); it could never complete",
                    users.len()
                ),
            ));
        }
        let timeout_field = format!("{field}.timeout_seconds");
        let timeout_seconds = b.timeout_seconds.0.ok_or_else(|| {
            ApiError::validation(&timeout_field, format!("'{timeout_field}' is required"))
        })?;
        Ok(Stage {
            name: bounded_text(&format!("{field}.name"), b.name.0, MAX_NAME_BYTES)?,
            approvers,
            approvals,
            timeout_seconds,
        })
    }
}

impl NewWorkflow {
    /// Parses a workflow body; every error names its member (`stages[1].approvals`).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let b: WorkflowBody = body::parse(bytes)?;
        let name = bounded_text("name", Some(b.name.0), MAX_NAME_BYTES)?.unwrap_or_default();
        let items = b
            .stages
            .ok_or_else(|| ApiError::validation("stages", "'stages' is required"))?;
        if items.is_empty() || items.len() > MAX_STAGES {
            return Err(ApiError::validation(
                "stages",
                format!(
                    "'stages' has {} stage(s); a workflow has 1 to {MAX_STAGES}",
                    items.len()
                ),
            ));
        }
        let stages = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Stage::parse(item, &format!("stages[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewWorkflow {
            name,
            description: bounded_text("description", b.description.0, MAX_DESCRIPTION_BYTES)?,
            stages,
            cancel_window_seconds: b.cancel_window_seconds.0.unwrap_or(0),
        })
    }

    /// How many approvals the whole workflow needs.
    pub fn total_approvals(&self) -> u64 {
        self.stages.iter().map(|s| s.approvals).sum()
    }

    /// The roles and users its stages name (each must exist when it is saved).
    pub fn named_roles(&self) -> impl Iterator<Item = &RoleId> {
        self.stages.iter().filter_map(|s| match &s.approvers {
            Approvers::Role(role) => Some(role),
            _ => None,
        })
    }

    pub fn named_users(&self) -> impl Iterator<Item = &UserId> {
        self.stages.iter().flat_map(|s| match &s.approvers {
            Approvers::Users(users) => users.as_slice(),
            _ => &[],
        })
    }
}

/// A workflow as the API shows it. The built-in one has `id: "default"`, `built_in: true`,
/// no timestamps, and `tier_counts`: the tier document's rules (then the built-in catch-all)
/// that set its one stage's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub stages: Vec<Stage>,
    pub cancel_window_seconds: u64,
    pub revision: u64,
    pub built_in: bool,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_counts: Option<Vec<PolicyRule>>,
}

/// The built-in workflow under `policies` (the tier document): one `any` stage that waits as
/// long as a request does (`ttl_seconds`); its count is the rule's for the secret's tier and
/// path, so the stage shows the most any rule asks and `tier_counts` says which.
pub fn default_workflow(policies: &Policies, ttl_seconds: u64) -> WorkflowView {
    let mut rules = policies.rules.clone();
    if !rules
        .iter()
        .any(|r| r.glob.0 == crate::scope::PathGlob::everything())
    {
        rules.push(crate::approval::default_rule());
    }
    let most = rules
        .iter()
        .map(|r| r.standard.max(r.sensitive).max(r.critical))
        .max()
        .unwrap_or(0);
    let window = rules
        .iter()
        .map(|r| r.cancel_window_seconds)
        .max()
        .unwrap_or(0);
    WorkflowView {
        id: DEFAULT_WORKFLOW.to_owned(),
        name: "Default (tier document)".to_owned(),
        description: Some(
            "Built in: one stage any approvals:decide holder may approve, needing the count the tier document (GET/PUT /v1/policies) sets for the secret's tier and path. Edit it there."
                .to_owned(),
        ),
        stages: vec![Stage {
            name: Some("approvers".to_owned()),
            approvers: Approvers::Any,
            approvals: most,
            timeout_seconds: ttl_seconds,
        }],
        cancel_window_seconds: window,
        revision: 1,
        built_in: true,
        created_at: None,
        updated_at: None,
        tier_counts: Some(rules),
    }
}

/// `PUT` or `DELETE` of the built-in workflow: 409 pointing at the tier document.
pub fn built_in_refusal() -> ApiError {
    ApiError::conflict(
        "the default workflow is built in and read-only: its counts are the tier document's; change them with PUT /v1/policies",
    )
    .with("id", DEFAULT_WORKFLOW)
}

/// A workflow id on a route: `default` or `wfl_…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkflowRef {
    Default,
    Id(WorkflowId),
}

impl WorkflowRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == DEFAULT_WORKFLOW {
            return Ok(WorkflowRef::Default);
        }
        WorkflowId::parse(text).map(WorkflowRef::Id)
    }
}

#[cfg(test)]
mod tests;
