//! Policies (seed 001's `/api/v1/policies`): which workflow governs an item, by criteria
//! (environment, project, path glob, tier, request kind). The most specific matching enabled
//! policy wins ([`governing`]); with none, the built-in default workflow (the tier document)
//! decides.
//!
//! Precedence, compared in order: the number of criteria named; the path glob's literal
//! segments; an environment named; a project named; a kind named; a tier named. On a full tie
//! the policy whose workflow needs more approvals in total wins (the stricter), then the older
//! one (then the smaller id, so the answer never depends on storage order).

use super::{MAX_DESCRIPTION_BYTES, MAX_NAME_BYTES, WorkflowId, bounded_text};
use crate::approval::{PathGlobText, PolicyRule};
use crate::body;
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::project::{EnvironmentId, ProjectId};
use crate::scope::PathGlob;
use crate::secret::Tier;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

prefixed_id!(PolicyId, "pol_", "policy");

/// Policies one tenant may define.
pub const MAX_POLICIES: u64 = 500;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A token whose scope reaches gated secrets (`POST /v1/tokens` → 202).
    Token,
    /// A read request (`/v1/requests/read`).
    Read,
    /// A patch request (`/v1/requests/patch`).
    Patch,
    /// An agent's password request.
    Password,
}

impl RequestKind {
    pub const ALL: [RequestKind; 4] = [
        RequestKind::Token,
        RequestKind::Read,
        RequestKind::Patch,
        RequestKind::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Token => "token",
            RequestKind::Read => "read",
            RequestKind::Patch => "patch",
            RequestKind::Password => "password",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a policy matches on; every named criterion must match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Criteria {
    pub project_id: Option<ProjectId>,
    pub environment_id: Option<EnvironmentId>,
    pub path_glob: Option<PathGlobText>,
    pub tier: Option<Tier>,
    pub kind: Option<RequestKind>,
}

/// The item a request is about, as the object resolved it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The secret's path (a stored secret, a discovered one's path, a password target).
    pub path: Option<&'a SecretPath>,
    /// The environment it belongs to (longest prefix, or its cluster) and that one's project.
    pub environment: Option<(&'a EnvironmentId, &'a ProjectId)>,
    /// The secret's tier; `None` for a password request's target, which no tier matches.
    pub tier: Option<Tier>,
    pub kind: RequestKind,
}

/// The precedence key: larger is more specific.
pub type Specificity = (usize, usize, bool, bool, bool, bool);

impl Criteria {
    pub fn count(&self) -> usize {
        usize::from(self.project_id.is_some())
            + usize::from(self.environment_id.is_some())
            + usize::from(self.path_glob.is_some())
            + usize::from(self.tier.is_some())
            + usize::from(self.kind.is_some())
    }

    pub fn specificity(&self) -> Specificity {
        (
            self.count(),
            self.path_glob
                .as_ref()
                .map_or(0, |g| g.0.literal_segments()),
            self.environment_id.is_some(),
            self.project_id.is_some(),
            self.kind.is_some(),
            self.tier.is_some(),
        )
    }

    pub fn matches(&self, item: &Item<'_>) -> bool {
        let environment = item.environment.map(|(e, _)| e);
        let project = item.environment.map(|(_, p)| p);
        self.environment_id
            .as_ref()
            .is_none_or(|e| environment == Some(e))
            && self.project_id.as_ref().is_none_or(|p| project == Some(p))
            && self
                .path_glob
                .as_ref()
                .is_none_or(|g| item.path.is_some_and(|path| g.0.matches(path)))
            && self.tier.is_none_or(|t| item.tier == Some(t))
            && self.kind.is_none_or(|k| item.kind == k)
    }
}

/// `POST /api/v1/policies` and `PUT /api/v1/policies/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPolicy {
    pub name: String,
    pub description: Option<String>,
    pub workflow_id: WorkflowId,
    pub criteria: Criteria,
    pub enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    name: body::Text,
    #[serde(default)]
    description: body::OptText,
    workflow_id: body::Text,
    #[serde(default)]
    project_id: body::OptText,
    #[serde(default)]
    environment_id: body::OptText,
    #[serde(default)]
    path_glob: body::OptText,
    #[serde(default)]
    tier: body::OptText,
    #[serde(default)]
    kind: body::OptText,
    #[serde(default)]
    enabled: body::OptBool,
}

impl NewPolicy {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let b: PolicyBody = body::parse(bytes)?;
        let bad =
            |field: &str, why: String| ApiError::validation(field, format!("'{field}': {why}"));
        let workflow_id = if b.workflow_id.0 == super::DEFAULT_WORKFLOW {
            return Err(bad(
                "workflow_id",
                "the default workflow governs whatever no policy matches; a policy names a workflow of yours (wfl_…)".to_owned(),
            ));
        } else {
            WorkflowId::parse(&b.workflow_id.0).map_err(|why| bad("workflow_id", why))?
        };
        let criteria = Criteria {
            project_id: b
                .project_id
                .0
                .map(|t| ProjectId::parse(&t))
                .transpose()
                .map_err(|why| bad("project_id", why))?,
            environment_id: b
                .environment_id
                .0
                .map(|t| EnvironmentId::parse(&t))
                .transpose()
                .map_err(|why| bad("environment_id", why))?,
            path_glob: b
                .path_glob
                .0
                .map(|t| PathGlob::parse(&t).map(PathGlobText))
                .transpose()
                .map_err(|why| bad("path_glob", why))?,
            tier: b
                .tier
                .0
                .map(|t| {
                    Tier::parse(&t).ok_or_else(|| {
                        format!("'{t}' is not a tier; use standard, sensitive or critical")
                    })
                })
                .transpose()
                .map_err(|why| bad("tier", why))?,
            kind: b
                .kind
                .0
                .map(|t| {
                    RequestKind::parse(&t).ok_or_else(|| {
                        format!("'{t}' is not a request kind; use token, read, patch or password")
                    })
                })
                .transpose()
                .map_err(|why| bad("kind", why))?,
        };
        if criteria.count() == 0 {
            return Err(ApiError::validation(
                "criteria",
                "a policy names at least one of project_id, environment_id, path_glob, tier or kind; whatever no policy matches falls to the default workflow",
            ));
        }
        Ok(NewPolicy {
            name: bounded_text("name", Some(b.name.0), MAX_NAME_BYTES)?.unwrap_or_default(),
            description: bounded_text("description", b.description.0, MAX_DESCRIPTION_BYTES)?,
            workflow_id,
            criteria,
            enabled: b.enabled.0.unwrap_or(true),
        })
    }
}

/// A stored policy (the object's, read from its row: never on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub id: PolicyId,
    pub policy: NewPolicy,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The governing policy for `item` among `policies`: the most specific enabled match, then
/// the stricter workflow (`total_approvals`), then the older, then the smaller id.
pub fn governing<'a>(
    policies: &'a [StoredPolicy],
    item: &Item<'_>,
    total_approvals: impl Fn(&WorkflowId) -> u64,
) -> Option<&'a StoredPolicy> {
    policies
        .iter()
        .filter(|p| p.policy.enabled && p.policy.criteria.matches(item))
        .max_by(|a, b| {
            a.policy
                .criteria
                .specificity()
                .cmp(&b.policy.criteria.specificity())
                .then_with(|| {
                    total_approvals(&a.policy.workflow_id)
                        .cmp(&total_approvals(&b.policy.workflow_id))
                })
                // Older wins: the later one compares smaller.
                .then_with(|| b.created_at.cmp(&a.created_at))
                .then_with(|| b.id.cmp(&a.id))
        })
}

/// Where an entry of `GET /api/v1/policies` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Policy,
    /// A rule of the tier document (`/v1/policies`): read-only here, lowest precedence.
    TierDocument,
}

/// An entry of `GET /api/v1/policies` (and the answer of the other policy routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub source: PolicySource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PolicyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `wfl_…`, or `default` for a tier-document rule.
    pub workflow_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<ProjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<EnvironmentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_glob: Option<PathGlobText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RequestKind>,
    pub enabled: bool,
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// A tier-document rule's counts (`standard`, `sensitive`, `critical`, the cancel window,
    /// `require_purpose`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_counts: Option<PolicyRule>,
}

impl PolicyView {
    pub fn of(stored: &StoredPolicy) -> PolicyView {
        let p = &stored.policy;
        PolicyView {
            source: PolicySource::Policy,
            id: Some(stored.id.clone()),
            name: Some(p.name.clone()),
            description: p.description.clone(),
            workflow_id: p.workflow_id.to_string(),
            project_id: p.criteria.project_id.clone(),
            environment_id: p.criteria.environment_id.clone(),
            path_glob: p.criteria.path_glob.clone(),
            tier: p.criteria.tier,
            kind: p.criteria.kind,
            enabled: p.enabled,
            read_only: false,
            created_at: Some(stored.created_at),
            updated_at: Some(stored.updated_at),
            tier_counts: None,
        }
    }

    /// A tier-document rule as a read-only entry.
    pub fn of_rule(rule: &PolicyRule) -> PolicyView {
        PolicyView {
            source: PolicySource::TierDocument,
            id: None,
            name: None,
            description: None,
            workflow_id: super::DEFAULT_WORKFLOW.to_owned(),
            project_id: None,
            environment_id: None,
            path_glob: Some(rule.glob.clone()),
            tier: None,
            kind: None,
            enabled: true,
            read_only: true,
            created_at: None,
            updated_at: None,
            tier_counts: Some(rule.clone()),
        }
    }
}
