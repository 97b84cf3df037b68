//! Projects and environments (issue 24): the tables of migrations 22 and 23. An environment is
//! the scope [`latchkey_core::project`] defines (a path prefix of stored secrets, the clusters
//! or agents of discovered ones); nothing here reads, moves or deletes a secret. Deleting an environment or
//! archiving a project while it still holds secrets is refused (409 with the counts) unless the
//! caller says `force`, which removes the scope (or archives) and leaves the secrets in place.

use crate::rows::{Failure, in_transaction, internal, read_count, read_ts, ts};
use crate::sql::Value as V;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::SecretContext;
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::project::{
    EnvironmentDeleted, EnvironmentId, EnvironmentView, Holdings, MAX_ENVIRONMENTS, MAX_PROJECTS,
    NewEnvironment, NewProject, ProjectId, ProjectStatus, ProjectStatusChanged, ProjectView,
    still_holds,
};

const PROJECT_COLUMNS: &str = "id, name, description, status, created_at, updated_at";
const ENVIRONMENT_COLUMNS: &str = "id, project_id, name, path_prefix, created_at";

fn bad(what: &str) -> StorageError {
    StorageError(format!("project row: bad {what}"))
}

fn project_view(row: &Row) -> Result<ProjectView, StorageError> {
    Ok(ProjectView {
        id: ProjectId::parse(&row.text(0)?).map_err(|_| bad("id"))?,
        name: row.text(1)?,
        description: row.opt_text(2)?,
        status: ProjectStatus::parse(&row.text(3)?).ok_or_else(|| bad("status"))?,
        created_at: read_ts(row, 4)?,
        updated_at: read_ts(row, 5)?,
    })
}

fn environment_view(ctx: &SecretContext<'_>, row: &Row) -> Result<EnvironmentView, StorageError> {
    let id = EnvironmentId::parse(&row.text(0)?).map_err(|_| bad("environment id"))?;
    let clusters = query(
        ctx.storage,
        "SELECT cluster_name FROM environment_clusters WHERE environment_id = ?
         ORDER BY cluster_name",
        vec![id.as_str().into()],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect::<Result<_, _>>()?;
    let agents = query(
        ctx.storage,
        "SELECT agent_id FROM environment_agents WHERE environment_id = ? ORDER BY agent_id",
        vec![id.as_str().into()],
    )?
    .iter()
    .map(|r| AgentId::parse(&r.text(0)?).map_err(|_| bad("agent id")))
    .collect::<Result<_, _>>()?;
    Ok(EnvironmentView {
        id,
        project_id: ProjectId::parse(&row.text(1)?).map_err(|_| bad("project id"))?,
        name: row.text(2)?,
        path_prefix: row.text(3)?,
        clusters,
        agents,
        created_at: read_ts(row, 4)?,
    })
}

fn count(ctx: &SecretContext<'_>, sql: &str, values: Vec<V>) -> Result<u64, StorageError> {
    query_one(ctx.storage, sql, values)?.map_or(Ok(0), |row| read_count(&row, 0))
}

fn load_project(ctx: &SecretContext<'_>, id: &ProjectId) -> Result<ProjectView, Failure> {
    let row = query_one(
        ctx.storage,
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = ?"),
        vec![id.as_str().into()],
    )?;
    match row {
        Some(row) => Ok(project_view(&row)?),
        None => Err(ApiError::not_found(format!("project '{id}' not found")).into()),
    }
}

fn environments_where(
    ctx: &SecretContext<'_>,
    filter: &str,
    values: Vec<V>,
) -> Result<Vec<EnvironmentView>, StorageError> {
    query(
        ctx.storage,
        &format!("SELECT {ENVIRONMENT_COLUMNS} FROM environments {filter} ORDER BY id"),
        values,
    )?
    .iter()
    .map(|row| environment_view(ctx, row))
    .collect()
}

/// One environment, or 404 naming it (the secret lists' `?environment=` filter too).
pub fn environment(
    ctx: &SecretContext<'_>,
    id: &EnvironmentId,
) -> Result<EnvironmentView, ApiError> {
    environments_where(ctx, "WHERE id = ?", vec![id.as_str().into()])
        .map_err(|e| internal("get environment", e))?
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("environment '{id}' not found")))
}

/// The SQL condition on a `secrets` row "the environment with this prefix holds it" (the
/// longest matching prefix wins, as [`latchkey_core::project::environment_of_path`] says), and
/// its bindings.
pub fn holds_path(prefix: &str) -> (&'static str, Vec<V>) {
    (
        "substr(secrets.path, 1, length(?)) = ? AND NOT EXISTS (SELECT 1 FROM environments e
         WHERE length(e.path_prefix) > length(?)
         AND substr(secrets.path, 1, length(e.path_prefix)) = e.path_prefix)",
        vec![prefix.into(), prefix.into(), prefix.into()],
    )
}

/// The SQL condition on a `discovered_secrets` row "this environment holds it": its cluster
/// is one of the environment's, or no environment names its cluster and this one names the
/// agent that reported it (as [`latchkey_core::project::environment_of_discovered`] says).
pub fn holds_discovered(id: &EnvironmentId) -> (&'static str, Vec<V>) {
    (
        "(discovered_secrets.cluster_name IN
            (SELECT cluster_name FROM environment_clusters WHERE environment_id = ?)
         OR (discovered_secrets.agent_id IN
                (SELECT agent_id FROM environment_agents WHERE environment_id = ?)
             AND discovered_secrets.cluster_name NOT IN
                (SELECT cluster_name FROM environment_clusters)))",
        vec![id.as_str().into(), id.as_str().into()],
    )
}

/// What `environment` holds by the scope rule: stored secrets (soft-deleted ones too, as they
/// can be restored) whose longest matching prefix is its own, and discovered secrets in its
/// clusters or of its agents.
fn holdings(ctx: &SecretContext<'_>, env: &EnvironmentView) -> Result<Holdings, StorageError> {
    let (clause, values) = holds_path(&env.path_prefix);
    let stored_secrets = count(
        ctx,
        &format!("SELECT count(*) FROM secrets WHERE {clause}"),
        values,
    )?;
    let (clause, values) = holds_discovered(&env.id);
    let discovered_secrets = count(
        ctx,
        &format!("SELECT count(*) FROM discovered_secrets WHERE {clause}"),
        values,
    )?;
    Ok(Holdings {
        stored_secrets,
        discovered_secrets,
    })
}

/// `POST /api/v1/projects`: names are unique within the tenant.
pub fn create_project(ctx: &SecretContext<'_>, new: &NewProject) -> Result<ProjectView, ApiError> {
    in_transaction(ctx.storage, "create project", || {
        let taken = count(
            ctx,
            "SELECT count(*) FROM projects WHERE name = ?",
            vec![new.name.as_str().into()],
        )?;
        if taken > 0 {
            return Err(ApiError::conflict(format!(
                "a project named '{}' already exists",
                new.name
            ))
            .with("field", "name")
            .into());
        }
        if count(ctx, "SELECT count(*) FROM projects", vec![])? >= MAX_PROJECTS {
            return Err(ApiError::conflict(format!(
                "the tenant has {MAX_PROJECTS} projects, the limit"
            ))
            .into());
        }
        let id = ProjectId::generate().map_err(|e| Failure::Client(internal("project id", e)))?;
        execute(
            ctx.storage,
            &format!("INSERT INTO projects ({PROJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"),
            vec![
                id.as_str().into(),
                new.name.as_str().into(),
                new.description.clone().into(),
                ProjectStatus::Active.as_str().into(),
                ts(ctx.now),
                ts(ctx.now),
            ],
        )?;
        load_project(ctx, &id)
    })
}

/// `GET /api/v1/projects`, in id order.
pub fn list_projects(ctx: &SecretContext<'_>) -> Result<Vec<ProjectView>, ApiError> {
    query(
        ctx.storage,
        &format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY id"),
        vec![],
    )
    .and_then(|rows| rows.iter().map(project_view).collect())
    .map_err(|e| internal("list projects", e))
}

/// `GET /api/v1/projects/{id}`.
pub fn get_project(ctx: &SecretContext<'_>, id: &ProjectId) -> Result<ProjectView, ApiError> {
    in_transaction(ctx.storage, "get project", || load_project(ctx, id))
}

/// `GET /api/v1/projects/{id}/environments`.
pub fn project_environments(
    ctx: &SecretContext<'_>,
    id: &ProjectId,
) -> Result<Vec<EnvironmentView>, ApiError> {
    in_transaction(ctx.storage, "project environments", || {
        load_project(ctx, id)?;
        Ok(environments_where(
            ctx,
            "WHERE project_id = ?",
            vec![id.as_str().into()],
        )?)
    })
}

/// `PUT /api/v1/projects/{id}/status`: archiving refuses (409) while its environments hold
/// secrets, unless `force`; an archived project keeps its environments (they still scope
/// their secrets) but takes no new ones. Reactivating always succeeds.
pub fn set_status(
    ctx: &SecretContext<'_>,
    id: &ProjectId,
    status: ProjectStatus,
    force: bool,
) -> Result<ProjectStatusChanged, ApiError> {
    in_transaction(ctx.storage, "set project status", || {
        load_project(ctx, id)?;
        let mut held = Holdings::default();
        for env in environments_where(ctx, "WHERE project_id = ?", vec![id.as_str().into()])? {
            held = held.plus(holdings(ctx, &env)?);
        }
        let archiving = status == ProjectStatus::Archived;
        if archiving && !held.is_empty() && !force {
            return Err(still_holds(&format!("project '{id}'"), held).into());
        }
        execute(
            ctx.storage,
            "UPDATE projects SET status = ?, updated_at = ? WHERE id = ?",
            vec![status.as_str().into(), ts(ctx.now), id.as_str().into()],
        )?;
        Ok(ProjectStatusChanged {
            project: load_project(ctx, id)?,
            holdings: held,
            forced: archiving && force && !held.is_empty(),
        })
    })
}

/// `POST /api/v1/environments`: its project must exist and be active; its prefix, and each
/// of its clusters and agents, must not be another environment's; each agent must exist.
pub fn create_environment(
    ctx: &SecretContext<'_>,
    new: &NewEnvironment,
) -> Result<EnvironmentView, ApiError> {
    in_transaction(ctx.storage, "create environment", || {
        let project = load_project(ctx, &new.project_id).map_err(|e| match e {
            Failure::Client(e) if e.status() == 404 => Failure::Client(
                ApiError::not_found(format!(
                    "'project_id': project '{}' not found",
                    new.project_id
                ))
                .with("field", "project_id"),
            ),
            other => other,
        })?;
        if project.status == ProjectStatus::Archived {
            return Err(ApiError::conflict(format!(
                "project '{}' is archived; reactivate it to add environments",
                project.id
            ))
            .into());
        }
        let clash = |sql: &str, values: Vec<V>| -> Result<Option<String>, StorageError> {
            query_one(ctx.storage, sql, values)?
                .map(|row| row.text(0))
                .transpose()
        };
        if let Some(other) = clash(
            "SELECT id FROM environments WHERE path_prefix = ?",
            vec![new.path_prefix.as_str().into()],
        )? {
            return Err(ApiError::conflict(format!(
                "environment '{other}' already scopes '{}'",
                new.path_prefix
            ))
            .with("field", "path_prefix")
            .into());
        }
        if let Some(other) = clash(
            "SELECT id FROM environments WHERE project_id = ? AND name = ?",
            vec![new.project_id.as_str().into(), new.name.as_str().into()],
        )? {
            return Err(ApiError::conflict(format!(
                "environment '{other}' of this project is already named '{}'",
                new.name
            ))
            .with("field", "name")
            .into());
        }
        for cluster in &new.clusters {
            if let Some(other) = clash(
                "SELECT environment_id FROM environment_clusters WHERE cluster_name = ?",
                vec![cluster.as_str().into()],
            )? {
                return Err(ApiError::conflict(format!(
                    "cluster '{cluster}' is already in environment '{other}'"
                ))
                .with("field", "clusters")
                .into());
            }
        }
        for agent in &new.agents {
            if count(
                ctx,
                "SELECT count(*) FROM agents WHERE id = ?",
                vec![agent.as_str().into()],
            )? == 0
            {
                return Err(
                    ApiError::not_found(format!("'agents': agent '{agent}' not found"))
                        .with("field", "agents")
                        .into(),
                );
            }
            if let Some(other) = clash(
                "SELECT environment_id FROM environment_agents WHERE agent_id = ?",
                vec![agent.as_str().into()],
            )? {
                return Err(ApiError::conflict(format!(
                    "agent '{agent}' is already in environment '{other}'"
                ))
                .with("field", "agents")
                .into());
            }
        }
        if count(ctx, "SELECT count(*) FROM environments", vec![])? >= MAX_ENVIRONMENTS {
            return Err(ApiError::conflict(format!(
                "the tenant has {MAX_ENVIRONMENTS} environments, the limit"
            ))
            .into());
        }
        let id = EnvironmentId::generate()
            .map_err(|e| Failure::Client(internal("environment id", e)))?;
        execute(
            ctx.storage,
            &format!("INSERT INTO environments ({ENVIRONMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?)"),
            vec![
                id.as_str().into(),
                new.project_id.as_str().into(),
                new.name.as_str().into(),
                new.path_prefix.as_str().into(),
                ts(ctx.now),
            ],
        )?;
        for cluster in &new.clusters {
            execute(
                ctx.storage,
                "INSERT INTO environment_clusters (cluster_name, environment_id) VALUES (?, ?)",
                vec![cluster.as_str().into(), id.as_str().into()],
            )?;
        }
        for agent in &new.agents {
            execute(
                ctx.storage,
                "INSERT INTO environment_agents (agent_id, environment_id) VALUES (?, ?)",
                vec![agent.as_str().into(), id.as_str().into()],
            )?;
        }
        environments_where(ctx, "WHERE id = ?", vec![id.as_str().into()])?
            .pop()
            .ok_or_else(|| Failure::Client(internal("create environment", "row vanished")))
    })
}

/// `GET /api/v1/environments`, in id order.
pub fn list_environments(ctx: &SecretContext<'_>) -> Result<Vec<EnvironmentView>, ApiError> {
    environments_where(ctx, "", vec![]).map_err(|e| internal("list environments", e))
}

/// `DELETE /api/v1/environments/{id}`: refused (409) while it holds secrets unless `force`;
/// either way no secret is touched (they fall to the next less specific environment, if any).
pub fn delete_environment(
    ctx: &SecretContext<'_>,
    id: &EnvironmentId,
    force: bool,
) -> Result<EnvironmentDeleted, ApiError> {
    in_transaction(ctx.storage, "delete environment", || {
        let env = environment(ctx, id)?;
        let held = holdings(ctx, &env)?;
        if !held.is_empty() && !force {
            return Err(still_holds(&format!("environment '{id}'"), held).into());
        }
        for sql in [
            "DELETE FROM environment_clusters WHERE environment_id = ?",
            "DELETE FROM environment_agents WHERE environment_id = ?",
            "DELETE FROM environments WHERE id = ?",
        ] {
            execute(ctx.storage, sql, vec![id.as_str().into()])?;
        }
        Ok(EnvironmentDeleted {
            id: id.clone(),
            holdings: held,
            forced: force && !held.is_empty(),
        })
    })
}
