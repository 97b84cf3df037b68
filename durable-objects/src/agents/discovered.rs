//! Discovered secrets (issue 23): what the tenant's agents report finding in its clusters,
//! metadata only, one row per cluster, provider and reference. The table has no column a value
//! could go in; the value stays with the agent.

use super::AgentPrincipal;
use crate::sql::Value as V;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_count, read_ts,
    ts,
};
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovered::{
    DiscoveredPage, DiscoveredQuery, DiscoveredSecret, DiscoveredSecretId, DiscoveredSecretView,
    DiscoveredStatus,
};
use latchkey_core::agent::discovery::DiscoveryStored;

const COLUMNS: &str =
    "id, agent_id, cluster_name, provider, ref, key_names, labels, status, first_seen, last_seen";

fn count(ctx: &SecretContext<'_>) -> Result<u64, StorageError> {
    query_one(
        ctx.storage,
        "SELECT count(*) FROM discovered_secrets",
        vec![],
    )?
    .map_or(Ok(0), |row| read_count(&row, 0))
}

/// `POST /api/v1/agents/{id}/secrets/bulk`: upserts each item (the reporting agent becomes
/// the one that holds it); what is new is told by the row count before and after.
pub fn upload(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    secrets: &[DiscoveredSecret],
) -> Result<DiscoveryStored, ApiError> {
    in_transaction(ctx.storage, "upload discovered secrets", || {
        let before = count(ctx)?;
        for secret in secrets {
            let id = DiscoveredSecretId::generate()
                .map_err(|e| Failure::Client(internal("discovered id", e)))?;
            execute(
                ctx.storage,
                &format!(
                    "INSERT INTO discovered_secrets ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (cluster_name, provider, ref) DO UPDATE SET
                     agent_id = excluded.agent_id, key_names = excluded.key_names,
                     labels = excluded.labels, status = excluded.status,
                     last_seen = excluded.last_seen"
                ),
                vec![
                    id.as_str().into(),
                    agent.id.as_str().into(),
                    secret.cluster_name.as_str().into(),
                    secret.provider.as_str().into(),
                    secret.reference.as_str().into(),
                    json_text(&secret.key_names)?.into(),
                    json_text(&secret.labels)?.into(),
                    secret.status.as_str().into(),
                    ts(ctx.now),
                    ts(ctx.now),
                ],
            )?;
        }
        let created = count(ctx)?.saturating_sub(before);
        let received = secrets.len() as u64;
        Ok::<_, Failure>(DiscoveryStored {
            received,
            created,
            updated: received.saturating_sub(created),
        })
    })
}

fn view(row: &Row) -> Result<DiscoveredSecretView, StorageError> {
    let parse_err = |what: &str| StorageError(format!("discovered secret: bad {what}"));
    Ok(DiscoveredSecretView {
        id: DiscoveredSecretId::parse(&row.text(0)?).map_err(|_| parse_err("id"))?,
        agent_id: AgentId::parse(&row.text(1)?).map_err(|_| parse_err("agent id"))?,
        cluster_name: row.text(2)?,
        provider: row.text(3)?,
        reference: row.text(4)?,
        key_names: json_column(row, 5)?,
        labels: json_column(row, 6)?,
        status: DiscoveredStatus::parse(&row.text(7)?).ok_or_else(|| parse_err("status"))?,
        first_seen_at: read_ts(row, 8)?,
        last_seen_at: read_ts(row, 9)?,
    })
}

/// `GET /api/v1/secrets`: every filter must match (each `label` too), in id order, a page of
/// `limit` after `cursor`.
pub fn list(ctx: &SecretContext<'_>, q: &DiscoveredQuery) -> Result<DiscoveredPage, ApiError> {
    let mut sql = format!("SELECT {COLUMNS} FROM discovered_secrets WHERE 1 = 1");
    let mut values: Vec<V> = Vec::new();
    for (column, value) in [("cluster_name", &q.cluster_name), ("provider", &q.provider)] {
        if let Some(value) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(value.as_str().into());
        }
    }
    if let Some(prefix) = &q.ref_prefix {
        // A prefix compared as bytes: no LIKE, whose wildcards the prefix may hold.
        sql.push_str(" AND substr(ref, 1, length(?)) = ?");
        values.push(prefix.as_str().into());
        values.push(prefix.as_str().into());
    }
    if let Some(status) = q.status {
        sql.push_str(" AND status = ?");
        values.push(status.as_str().into());
    }
    for (key, value) in &q.labels {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM json_each(discovered_secrets.labels) AS l
              WHERE l.key = ? AND l.value = ?)",
        );
        values.push(key.as_str().into());
        values.push(value.as_str().into());
    }
    if let Some(env) = &q.environment {
        // Issue 24: an environment that exists (else 404 naming it), by its clusters.
        crate::projects::environment(ctx, env)?;
        let (clause, bindings) = crate::projects::holds_discovered(env);
        sql.push_str(" AND ");
        sql.push_str(clause);
        values.extend(bindings);
    }
    if let Some(cursor) = &q.cursor {
        sql.push_str(" AND id > ?");
        values.push(cursor.as_str().into());
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    values.push(V::Integer(q.limit as i64 + 1));
    let rows = query(ctx.storage, &sql, values).map_err(|e| internal("list discovered", e))?;
    let mut secrets = Vec::with_capacity(rows.len());
    for row in &rows {
        secrets.push(view(row).map_err(|e| internal("list discovered", e))?);
    }
    let next_cursor = if secrets.len() as u64 > q.limit {
        secrets.truncate(q.limit as usize);
        secrets.last().map(|s| s.id.clone())
    } else {
        None
    };
    Ok(DiscoveredPage {
        secrets,
        next_cursor,
    })
}

/// `GET /api/v1/secrets/{id}`.
pub fn get(
    ctx: &SecretContext<'_>,
    id: &DiscoveredSecretId,
) -> Result<DiscoveredSecretView, ApiError> {
    query_one(
        ctx.storage,
        &format!("SELECT {COLUMNS} FROM discovered_secrets WHERE id = ?"),
        vec![id.as_str().into()],
    )
    .and_then(|row| row.as_ref().map(view).transpose())
    .map_err(|e| internal("get discovered", e))?
    .ok_or_else(|| ApiError::not_found(format!("discovered secret '{id}' not found")))
}
