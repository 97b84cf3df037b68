//! Projects and their environments (issue 24, seed 001's `/api/v1/projects` and
//! `/api/v1/environments`). An environment is a scope, not a label: it names a path prefix of
//! stored secrets and the clusters or agents of discovered secrets, and [`environment_of_path`]
//! and [`environment_of_discovered`] say which environment a secret belongs to.
//!
//! The rule: a stored secret belongs to the environment with the longest prefix its path starts
//! with (`prod/payments/` wins over `prod/` for `prod/payments/stripe`); a discovered secret
//! belongs to the environment that names its cluster, else to the one that names the agent that
//! reported it (a cluster is the more specific place: one agent may see several). Prefixes,
//! clusters and agents are unique within a tenant (creating a second one is refused), so the
//! answer is never a tie.

use crate::body;
use crate::error::ApiError;
use crate::id::AgentId;
use crate::path::SecretPath;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

prefixed_id!(ProjectId, "prj_", "project");
prefixed_id!(EnvironmentId, "env_", "environment");

pub const MAX_NAME_BYTES: usize = 64;
pub const MAX_DESCRIPTION_BYTES: usize = 512;
pub const MAX_CLUSTER_BYTES: usize = 128;
pub const MAX_CLUSTERS: usize = 32;
/// Agents one environment may name.
pub const MAX_ENVIRONMENT_AGENTS: usize = 32;
/// Projects and environments one tenant may define.
pub const MAX_PROJECTS: u64 = 200;
pub const MAX_ENVIRONMENTS: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Active,
    Archived,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ProjectStatus::Active),
            "archived" => Some(ProjectStatus::Archived),
            _ => None,
        }
    }
}

/// `POST /api/v1/projects` `{name, description?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProjectBody {
    name: String,
    #[serde(default)]
    description: body::OptText,
}

impl NewProject {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let b: NewProjectBody = body::parse(bytes)?;
        Ok(NewProject {
            name: name("name", b.name)?,
            description: bounded_text("description", b.description.0, MAX_DESCRIPTION_BYTES)?,
        })
    }
}

/// 1 to `max` bytes without control characters (as the agent module's texts; a copy, so the
/// discovered-secret query may name environments without a module cycle).
fn bounded_text(field: &str, text: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match text {
        Some(t) if t.is_empty() || t.len() > max || t.chars().any(char::is_control) => {
            Err(ApiError::validation(
                field,
                format!("'{field}' must be 1 to {max} bytes without control characters"),
            ))
        }
        other => Ok(other),
    }
}

fn name(field: &str, text: String) -> Result<String, ApiError> {
    bounded_text(field, Some(text), MAX_NAME_BYTES)?
        .ok_or_else(|| ApiError::validation(field, format!("'{field}' is required")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

/// `PUT /api/v1/projects/{id}/status` `{status: "active" | "archived"}`.
pub fn parse_status(bytes: &[u8]) -> Result<ProjectStatus, ApiError> {
    let b: StatusBody = body::parse(bytes)?;
    ProjectStatus::parse(&b.status).ok_or_else(|| {
        ApiError::validation(
            "status",
            format!(
                "'status' is '{}'; it must be 'active' or 'archived'",
                b.status
            ),
        )
    })
}

/// `POST /api/v1/environments` `{project_id, name, path_prefix, clusters?, agents?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEnvironment {
    pub project_id: ProjectId,
    pub name: String,
    /// Whole path segments ending in `/`: `prod/payments/`.
    pub path_prefix: String,
    pub clusters: Vec<String>,
    /// The agents whose discovered secrets it scopes (those in no environment's cluster).
    pub agents: Vec<AgentId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnvironmentBody {
    project_id: String,
    name: String,
    path_prefix: String,
    #[serde(default)]
    clusters: Vec<String>,
    #[serde(default)]
    agents: Vec<String>,
}

impl NewEnvironment {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let b: NewEnvironmentBody = body::parse(bytes)?;
        let project_id = ProjectId::parse(&b.project_id)
            .map_err(|why| ApiError::validation("project_id", format!("'project_id': {why}")))?;
        let path_prefix = parse_prefix(&b.path_prefix)
            .map_err(|why| ApiError::validation("path_prefix", format!("'path_prefix': {why}")))?;
        if b.clusters.len() > MAX_CLUSTERS {
            return Err(ApiError::validation(
                "clusters",
                format!(
                    "'clusters' names {} clusters; the limit is {MAX_CLUSTERS}",
                    b.clusters.len()
                ),
            ));
        }
        let mut clusters = Vec::with_capacity(b.clusters.len());
        for cluster in b.clusters {
            let cluster =
                bounded_text("clusters", Some(cluster), MAX_CLUSTER_BYTES)?.ok_or_else(|| {
                    ApiError::validation("clusters", "'clusters' holds an empty name")
                })?;
            if clusters.contains(&cluster) {
                return Err(ApiError::validation(
                    "clusters",
                    format!("'clusters' names '{cluster}' twice"),
                ));
            }
            clusters.push(cluster);
        }
        if b.agents.len() > MAX_ENVIRONMENT_AGENTS {
            return Err(ApiError::validation(
                "agents",
                format!(
                    "'agents' names {} agents; the limit is {MAX_ENVIRONMENT_AGENTS}",
                    b.agents.len()
                ),
            ));
        }
        let mut agents: Vec<AgentId> = Vec::with_capacity(b.agents.len());
        for agent in &b.agents {
            let agent = AgentId::parse(agent)
                .map_err(|why| ApiError::validation("agents", format!("'agents': {why}")))?;
            if agents.contains(&agent) {
                return Err(ApiError::validation(
                    "agents",
                    format!("'agents' names '{agent}' twice"),
                ));
            }
            agents.push(agent);
        }
        Ok(NewEnvironment {
            project_id,
            name: name("name", b.name)?,
            path_prefix,
            clusters,
            agents,
        })
    }
}

/// A path prefix: whole segments of a secret path, ending in `/` (`prod/payments/`).
pub fn parse_prefix(text: &str) -> Result<String, String> {
    let Some(inner) = text.strip_suffix('/') else {
        return Err(format!(
            "'{text}' must end with '/' (whole path segments, e.g. 'prod/payments/')"
        ));
    };
    SecretPath::parse(inner)?;
    Ok(text.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: ProjectId,
    pub name: String,
    pub description: Option<String>,
    pub status: ProjectStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub id: EnvironmentId,
    pub project_id: ProjectId,
    pub name: String,
    pub path_prefix: String,
    pub clusters: Vec<String>,
    pub agents: Vec<AgentId>,
    pub created_at: Timestamp,
}

/// What an environment holds: it is deleted, or its project archived, only with `force`
/// while either count is above zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    pub stored_secrets: u64,
    pub discovered_secrets: u64,
}

impl Holdings {
    pub fn is_empty(&self) -> bool {
        self.stored_secrets == 0 && self.discovered_secrets == 0
    }

    pub fn plus(self, other: Holdings) -> Holdings {
        Holdings {
            stored_secrets: self.stored_secrets + other.stored_secrets,
            discovered_secrets: self.discovered_secrets + other.discovered_secrets,
        }
    }
}

/// `PUT /api/v1/projects/{id}/status`: the project, and what its environments held when it
/// changed (`forced` when that was not nothing and the caller said `?force=true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatusChanged {
    pub project: ProjectView,
    pub holdings: Holdings,
    pub forced: bool,
}

/// `DELETE /api/v1/environments/{id}`: what it held; those secrets stay where they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentDeleted {
    pub id: EnvironmentId,
    pub holdings: Holdings,
    pub forced: bool,
}

/// The refusal of a deletion or an archive while `what` still holds secrets (409).
pub fn still_holds(what: &str, holdings: Holdings) -> ApiError {
    ApiError::conflict(format!(
        "{what} still holds {} stored secret(s) under its prefix and {} discovered secret(s) in its clusters or of its agents; nothing was changed. Move them, or repeat with ?force=true to detach it anyway (no secret is deleted)",
        holdings.stored_secrets, holdings.discovered_secrets
    ))
    .with("stored_secrets", holdings.stored_secrets)
    .with("discovered_secrets", holdings.discovered_secrets)
}

/// Whether a stored path is under `prefix` (whole segments: the prefix ends in `/`).
pub fn under_prefix(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix)
}

/// The environment a stored secret at `path` belongs to: the longest prefix that holds it.
pub fn environment_of_path<'a>(
    environments: &'a [EnvironmentView],
    path: &str,
) -> Option<&'a EnvironmentView> {
    environments
        .iter()
        .filter(|e| under_prefix(&e.path_prefix, path))
        .max_by_key(|e| e.path_prefix.len())
}

/// The environment a discovered secret in `cluster` belongs to: the one naming the cluster.
pub fn environment_of_cluster<'a>(
    environments: &'a [EnvironmentView],
    cluster: &str,
) -> Option<&'a EnvironmentView> {
    environments
        .iter()
        .find(|e| e.clusters.iter().any(|c| c == cluster))
}

/// The environment a discovered secret in `cluster`, reported by `agent`, belongs to: the one
/// naming its cluster, else the one naming its agent.
pub fn environment_of_discovered<'a>(
    environments: &'a [EnvironmentView],
    cluster: &str,
    agent: &AgentId,
) -> Option<&'a EnvironmentView> {
    environment_of_cluster(environments, cluster)
        .or_else(|| environments.iter().find(|e| e.agents.contains(agent)))
}

/// `?environment=env_…` on the secret lists (`/v1/secrets`, `/api/v1/secrets`): a malformed
/// id is 400 naming the parameter; one that names no environment is the object's 404.
pub fn parse_environment_filter(value: &str) -> Result<EnvironmentId, ApiError> {
    EnvironmentId::parse(value).map_err(|why| {
        ApiError::invalid_request(format!("'environment' is not an environment id: {why}"))
            .with("field", "environment")
    })
}

/// `?force=true|false` on a deletion or an archive; absent is `false`.
pub fn parse_force<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<bool, ApiError> {
    let mut force = false;
    for (name, value) in pairs {
        if name == "force" {
            force = match value {
                "true" => true,
                "false" => false,
                other => {
                    return Err(ApiError::invalid_request(format!(
                        "'force' is '{other}'; it must be 'true' or 'false'"
                    ))
                    .with("field", "force"));
                }
            };
        }
    }
    Ok(force)
}

#[cfg(test)]
mod tests;
