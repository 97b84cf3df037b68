//! Discovery reports: stored per agent and fingerprint, so a re-report updates the row (and
//! its `last_seen`) instead of adding one.

use super::{AgentPrincipal, require_agent};
use crate::authorization::access::Principal;
use crate::sql::Value as V;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_count,
    read_opt_ts, read_ts, ts,
};
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovery::import::{DiscoveredKind, DiscoveryImport, DiscoveryImported};
use latchkey_core::agent::discovery::{
    DiscoveredCertificate, DiscoveredSshKey, DiscoveryStored, FleetSshKey, Sighting, SshKeyPage,
    SshKeyQuery,
};

/// One kind of discovered item: its table and how it is keyed.
trait Discovered: serde::Serialize + serde::de::DeserializeOwned {
    const TABLE: &'static str;
    /// Columns written beside the item, for queries on them.
    const EXTRA_COLUMNS: &'static [&'static str] = &[];
    fn fingerprint(&self) -> &str;
    /// The values of [`Self::EXTRA_COLUMNS`], in order.
    fn extra_values(&self) -> Vec<V> {
        Vec::new()
    }
}

impl Discovered for DiscoveredCertificate {
    const TABLE: &'static str = "discovered_certificates";
    const EXTRA_COLUMNS: &'static [&'static str] = &["not_after"];
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    fn extra_values(&self) -> Vec<V> {
        vec![ts(self.not_after)]
    }
}

impl Discovered for DiscoveredSshKey {
    const TABLE: &'static str = "discovered_ssh_keys";
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

fn rows_of(ctx: &SecretContext<'_>, table: &str, agent: &AgentId) -> Result<u64, StorageError> {
    query_one(
        ctx.storage,
        &format!("SELECT count(*) FROM {table} WHERE agent_id = ?"),
        vec![agent.as_str().into()],
    )?
    .map_or(Ok(0), |row| read_count(&row, 0))
}

/// Upserts every item; what is new is told by the agent's row count before and after (an
/// item repeated within one report counts as an update of the first).
fn store<T: Discovered>(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    items: &[T],
) -> Result<DiscoveryStored, ApiError> {
    let mut columns = vec!["agent_id", "fingerprint", "item", "first_seen", "last_seen"];
    columns.extend_from_slice(T::EXTRA_COLUMNS);
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !matches!(**c, "agent_id" | "fingerprint" | "first_seen"))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let upsert = format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (agent_id, fingerprint) DO UPDATE SET {}",
        T::TABLE,
        columns.join(", "),
        vec!["?"; columns.len()].join(", "),
        updates.join(", ")
    );
    in_transaction(ctx.storage, "store discovery", || {
        let before = rows_of(ctx, T::TABLE, &agent.id)?;
        for item in items {
            let mut values = vec![
                agent.id.as_str().into(),
                item.fingerprint().into(),
                json_text(item)?.into(),
                ts(ctx.now),
                ts(ctx.now),
            ];
            values.extend(item.extra_values());
            execute(ctx.storage, &upsert, values)?;
        }
        let created = rows_of(ctx, T::TABLE, &agent.id)?.saturating_sub(before);
        let received = items.len() as u64;
        Ok::<_, Failure>(DiscoveryStored {
            received,
            created,
            updated: received.saturating_sub(created),
        })
    })
}

/// `POST /v1/agents/me/discovery/certificates`.
pub fn report_certificates(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    certificates: &[DiscoveredCertificate],
) -> Result<DiscoveryStored, ApiError> {
    store(ctx, agent, certificates)
}

/// `POST /v1/agents/me/ssh-discovery`.
pub fn report_ssh_keys(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    keys: &[DiscoveredSshKey],
) -> Result<DiscoveryStored, ApiError> {
    store(ctx, agent, keys)
}

/// The columns [`sighting`] reads, first in a SELECT.
const SIGHTING_COLUMNS: &str = "item, first_seen, last_seen, imported_at, imported_by";

fn sighting<T: Discovered>(row: &Row) -> Result<Sighting<T>, StorageError> {
    Ok(Sighting {
        item: json_column(row, 0)?,
        first_seen: read_ts(row, 1)?,
        last_seen: read_ts(row, 2)?,
        imported_at: read_opt_ts(row, 3)?,
        imported_by: row.opt_text(4)?,
    })
}

fn sightings<T: Discovered>(
    ctx: &SecretContext<'_>,
    agent: &AgentId,
    filter: &str,
) -> Result<Vec<Sighting<T>>, StorageError> {
    query(
        ctx.storage,
        &format!(
            "SELECT {SIGHTING_COLUMNS} FROM {} WHERE agent_id = ? {filter}
             ORDER BY fingerprint",
            T::TABLE
        ),
        vec![agent.as_str().into()],
    )?
    .iter()
    .map(sighting)
    .collect()
}

/// What one agent reported: certificates and SSH keys.
pub type AgentDiscovery = (
    Vec<Sighting<DiscoveredCertificate>>,
    Vec<Sighting<DiscoveredSshKey>>,
);

/// `GET /v1/agents/{id}/discovery`: everything the agent reported.
pub fn of_agent(ctx: &SecretContext<'_>, agent: &AgentId) -> Result<AgentDiscovery, ApiError> {
    require_agent(ctx.storage, agent, "id", false).map_err(|f| match f {
        Failure::Client(e) => e,
        Failure::Storage(e) => internal("discovery", e),
    })?;
    let fail = |e: StorageError| internal("discovery", e);
    Ok((
        sightings(ctx, agent, "").map_err(fail)?,
        sightings(ctx, agent, "").map_err(fail)?,
    ))
}

/// `GET /v1/agents/me/certificates`: the certificates assigned to this agent: those it
/// reported as managed, and those a person imported from its discoveries.
pub fn managed_certificates(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
) -> Result<Vec<Sighting<DiscoveredCertificate>>, ApiError> {
    sightings(
        ctx,
        &agent.id,
        "AND (json_extract(item, '$.is_managed') = 1 OR imported_at IS NOT NULL)",
    )
    .map_err(|e| internal("managed certificates", e))
}

/// `POST /v1/agents/{id}/discovery/import`: takes a reported item under management, recording
/// who and when once (importing again answers the first import and changes nothing). An
/// unknown agent, or an item that agent never reported, is 404 naming it.
pub fn import(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent: &AgentId,
    import: &DiscoveryImport,
) -> Result<DiscoveryImported, ApiError> {
    let table = match import.kind {
        DiscoveredKind::Certificate => DiscoveredCertificate::TABLE,
        DiscoveredKind::SshKey => DiscoveredSshKey::TABLE,
    };
    in_transaction(ctx.storage, "import discovery", || {
        require_agent(ctx.storage, agent, "id", false)?;
        execute(
            ctx.storage,
            &format!(
                "UPDATE {table} SET imported_at = coalesce(imported_at, ?),
                    imported_by = coalesce(imported_by, ?)
                 WHERE agent_id = ? AND fingerprint = ?"
            ),
            vec![
                ts(ctx.now),
                principal.actor().into(),
                agent.as_str().into(),
                import.fingerprint.as_str().into(),
            ],
        )?;
        let row = query_one(
            ctx.storage,
            &format!(
                "SELECT imported_at, imported_by FROM {table}
                 WHERE agent_id = ? AND fingerprint = ?"
            ),
            vec![agent.as_str().into(), import.fingerprint.as_str().into()],
        )?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "agent '{agent}' reported no {} with fingerprint '{}'",
                import.kind.as_str().replace('_', " "),
                import.fingerprint
            ))
            .with("field", "fingerprint")
        })?;
        Ok::<_, Failure>(DiscoveryImported {
            agent_id: agent.clone(),
            kind: import.kind,
            fingerprint: import.fingerprint.clone(),
            imported_at: read_opt_ts(&row, 0)?.unwrap_or(ctx.now),
            imported_by: row.opt_text(1)?.unwrap_or_else(|| principal.actor()),
        })
    })
}

/// `GET /api/v1/ssh/discovery`: every agent's SSH keys (or one agent's), in report order; the
/// cursor is the last row's position, so a page never repeats or skips a key.
pub fn ssh_keys(ctx: &SecretContext<'_>, query: &SshKeyQuery) -> Result<SshKeyPage, ApiError> {
    let mut filter = String::from("rowid > ?");
    let mut bindings = vec![V::Integer(
        i64::try_from(query.after.unwrap_or(0)).unwrap_or(i64::MAX),
    )];
    if let Some(agent) = &query.agent_id {
        filter.push_str(" AND agent_id = ?");
        bindings.push(agent.as_str().into());
    }
    // One more than the page, to know whether there is a next one.
    bindings.push(V::Integer(i64::try_from(query.limit).unwrap_or(100) + 1));
    let rows = query_rows(ctx, &filter, bindings).map_err(|e| internal("ssh keys", e))?;
    let more = rows.len() as u64 > query.limit;
    let mut ssh_keys = Vec::with_capacity(rows.len());
    let mut last = None;
    for (rowid, key) in rows
        .into_iter()
        .take(usize::try_from(query.limit).unwrap_or(100))
    {
        last = Some(rowid);
        ssh_keys.push(key);
    }
    Ok(SshKeyPage {
        ssh_keys,
        next_cursor: if more {
            last.map(|r| r.to_string())
        } else {
            None
        },
    })
}

fn query_rows(
    ctx: &SecretContext<'_>,
    filter: &str,
    bindings: Vec<V>,
) -> Result<Vec<(i64, FleetSshKey)>, StorageError> {
    query(
        ctx.storage,
        &format!(
            "SELECT {SIGHTING_COLUMNS}, agent_id, rowid FROM discovered_ssh_keys
             WHERE {filter} ORDER BY rowid LIMIT ?"
        ),
        bindings,
    )?
    .iter()
    .map(|row| {
        Ok((
            row.int(6)?,
            FleetSshKey {
                agent_id: AgentId::parse(&row.text(5)?).map_err(StorageError)?,
                sighting: sighting(row)?,
            },
        ))
    })
    .collect()
}
