//! What governs what a request reaches (issue 24): the stored policies, workflows and
//! environments read once, handed to the core's pure resolution
//! ([`latchkey_core::workflow::plan`]). Below the store (the clearance check at use reads
//! it) and the workflows module (the CRUD), so it needs neither.

use crate::rows::{read_count, read_ts};
use crate::sql::{Row, Storage, StorageError, execute, query};
use latchkey_core::SecretPath;
use latchkey_core::approval::{Policies, Requirement};
use latchkey_core::project::{EnvironmentId, ProjectId};
use latchkey_core::scope::ScopeSet;
use latchkey_core::secret::Tier;
use latchkey_core::workflow::WorkflowId;
use latchkey_core::workflow::WorkflowView;
use latchkey_core::workflow::plan::{EnvironmentScope, Plan, Rules, environment_for, plan};
use latchkey_core::workflow::policy::{Criteria, NewPolicy, PolicyId};
use latchkey_core::workflow::policy::{Item, RequestKind, StoredPolicy};
use latchkey_core::workflow::progress::WorkflowStamp;

pub const WORKFLOW_COLUMNS: &str =
    "id, name, description, stages, cancel_window_seconds, revision, created_at, updated_at";
pub const POLICY_COLUMNS: &str =
    "id, name, description, workflow_id, criteria, enabled, created_at, updated_at";

fn bad(what: &str) -> StorageError {
    StorageError(format!("workflow row: bad {what}"))
}

pub fn workflow_view(row: &Row) -> Result<WorkflowView, StorageError> {
    let id = WorkflowId::parse(&row.text(0)?).map_err(|_| bad("id"))?;
    Ok(WorkflowView {
        id: id.to_string(),
        name: row.text(1)?,
        description: row.opt_text(2)?,
        stages: serde_json::from_str(&row.text(3)?).map_err(|_| bad("stages"))?,
        cancel_window_seconds: read_count(row, 4)?,
        revision: read_count(row, 5)?,
        built_in: false,
        created_at: Some(read_ts(row, 6)?),
        updated_at: Some(read_ts(row, 7)?),
        tier_counts: None,
    })
}

pub fn stored_policy(row: &Row) -> Result<StoredPolicy, StorageError> {
    let criteria: Criteria =
        serde_json::from_str(&row.text(4)?).map_err(|_| bad("policy criteria"))?;
    Ok(StoredPolicy {
        id: PolicyId::parse(&row.text(0)?).map_err(|_| bad("policy id"))?,
        policy: NewPolicy {
            name: row.text(1)?,
            description: row.opt_text(2)?,
            workflow_id: WorkflowId::parse(&row.text(3)?).map_err(|_| bad("policy workflow"))?,
            criteria,
            enabled: row.int(5)? != 0,
        },
        created_at: read_ts(row, 6)?,
        updated_at: read_ts(row, 7)?,
    })
}

/// Every stored workflow, oldest first.
pub fn all_workflows(storage: &Storage) -> Result<Vec<WorkflowView>, StorageError> {
    query(
        storage,
        &format!("SELECT {WORKFLOW_COLUMNS} FROM workflows ORDER BY created_at, id"),
        vec![],
    )?
    .iter()
    .map(workflow_view)
    .collect()
}

/// Every stored policy, oldest first.
pub fn all_policies(storage: &Storage) -> Result<Vec<StoredPolicy>, StorageError> {
    query(
        storage,
        &format!("SELECT {POLICY_COLUMNS} FROM workflow_policies ORDER BY created_at, id"),
        vec![],
    )?
    .iter()
    .map(stored_policy)
    .collect()
}

/// The tenant's policies, workflows and environments.
pub struct Loaded {
    pub policies: Vec<StoredPolicy>,
    pub workflows: Vec<WorkflowView>,
    pub environments: Vec<EnvironmentScope>,
}

impl Loaded {
    pub fn load(storage: &Storage) -> Result<Loaded, StorageError> {
        let policies = all_policies(storage)?;
        if policies.is_empty() {
            // Nothing routes anywhere but the default: skip the rest.
            return Ok(Loaded {
                policies,
                workflows: Vec::new(),
                environments: Vec::new(),
            });
        }
        // Environments matter only to a policy that names one (or its project): the common
        // case reads two tables, not four.
        let scoped = policies.iter().any(|p| {
            p.policy.criteria.environment_id.is_some() || p.policy.criteria.project_id.is_some()
        });
        let mut environments = Vec::new();
        if scoped {
            let mut clusters: Vec<(String, String)> = query(
                storage,
                "SELECT environment_id, cluster_name FROM environment_clusters",
                vec![],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect::<Result<_, StorageError>>()?;
            for row in query(
                storage,
                "SELECT id, project_id, path_prefix FROM environments",
                vec![],
            )? {
                let (Ok(id), Ok(project_id)) = (
                    EnvironmentId::parse(&row.text(0)?),
                    ProjectId::parse(&row.text(1)?),
                ) else {
                    continue;
                };
                let (mine, rest): (Vec<_>, Vec<_>) = clusters
                    .into_iter()
                    .partition(|(env, _)| env == id.as_str());
                clusters = rest;
                environments.push(EnvironmentScope {
                    id,
                    project_id,
                    path_prefix: row.text(2)?,
                    clusters: mine.into_iter().map(|(_, cluster)| cluster).collect(),
                });
            }
        }
        Ok(Loaded {
            workflows: all_workflows(storage)?,
            policies,
            environments,
        })
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            policies: &self.policies,
            workflows: &self.workflows,
        }
    }

    /// The item for a stored secret at `path` (or a discovered one in `cluster`).
    pub fn item<'a>(
        &'a self,
        path: &'a SecretPath,
        cluster: Option<&str>,
        tier: Option<Tier>,
        kind: RequestKind,
    ) -> Item<'a> {
        Item {
            path: Some(path),
            environment: environment_for(&self.environments, Some(path.as_str()), cluster),
            tier,
            kind,
        }
    }

    /// The explicit workflow governing one item, if any.
    pub fn governing(
        &self,
        path: &SecretPath,
        cluster: Option<&str>,
        tier: Option<Tier>,
        kind: RequestKind,
    ) -> Option<&WorkflowView> {
        if self.policies.is_empty() {
            return None;
        }
        let rules = self.rules();
        rules
            .governing(&self.item(path, cluster, tier, kind))
            .map(|(w, _)| w)
    }
}

/// The stages a token request for `scopes` runs: every secret the scope reaches (soft-deleted
/// ones too, as the tier document's reach counts them) to its workflow or the default.
pub fn token_plan(
    storage: &Storage,
    scopes: &ScopeSet,
    document: &Policies,
    timeout_seconds: u64,
) -> Result<Plan, StorageError> {
    let loaded = Loaded::load(storage)?;
    let mut reached: Vec<(SecretPath, Tier, Requirement)> = Vec::new();
    for row in query(storage, "SELECT path, tier FROM secrets", vec![])? {
        let Ok(path) = SecretPath::parse(&row.text(0)?) else {
            continue;
        };
        if !scopes.reaches(&path) {
            continue;
        }
        let tier = Tier::parse(&row.text(1)?).unwrap_or(Tier::Critical);
        let requirement = document.requirement(tier, &path);
        reached.push((path, tier, requirement));
    }
    let items = reached.iter().map(|(path, tier, requirement)| {
        (
            loaded.item(path, None, Some(*tier), RequestKind::Token),
            *requirement,
        )
    });
    Ok(plan(&loaded.rules(), items, 0, timeout_seconds))
}

/// Records the explicit workflows that cleared a token (an empty list: none did).
pub fn record_cleared(
    storage: &Storage,
    token: &latchkey_core::token::TokenId,
    cleared: &[WorkflowStamp],
) -> Result<(), StorageError> {
    let json = serde_json::to_string(cleared).map_err(|e| StorageError(e.to_string()))?;
    execute(
        storage,
        "UPDATE tokens SET cleared_workflows = ? WHERE id = ?",
        vec![json.into(), token.as_str().into()],
    )
}

/// The 403 when `path` is now governed by an explicit workflow that did not clear the token
/// (`latchkey_core::workflow::plan::check_cleared`).
pub fn check_cleared(
    storage: &Storage,
    path: &SecretPath,
    tier: Tier,
    cleared: &[WorkflowStamp],
) -> Result<(), latchkey_core::ApiError> {
    let loaded =
        Loaded::load(storage).map_err(|e| crate::rows::internal("workflow clearance", e))?;
    let governing = loaded.governing(path, None, Some(tier), RequestKind::Token);
    latchkey_core::workflow::plan::check_cleared(path, governing, cleared)
}
