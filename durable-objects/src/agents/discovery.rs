//! Discovery reports: stored per agent and fingerprint, so a re-report updates the row (and
//! its `last_seen`) instead of adding one.

use super::{AgentPrincipal, require_agent};
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_ts, ts,
};
use latchkey_core::ApiError;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovery::{
    DiscoveredCertificate, DiscoveredSshKey, DiscoveryStored, Sighting,
};

/// One kind of discovered item: its table and how it is keyed.
trait Discovered: serde::Serialize + serde::de::DeserializeOwned {
    const TABLE: &'static str;
    fn fingerprint(&self) -> &str;
    /// Extra columns written beside the item (name, value).
    fn extra(&self) -> Vec<(&'static str, worker::SqlStorageValue)> {
        Vec::new()
    }
}

impl Discovered for DiscoveredCertificate {
    const TABLE: &'static str = "discovered_certificates";
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    fn extra(&self) -> Vec<(&'static str, worker::SqlStorageValue)> {
        vec![("not_after", ts(self.not_after))]
    }
}

impl Discovered for DiscoveredSshKey {
    const TABLE: &'static str = "discovered_ssh_keys";
    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

fn store<T: Discovered>(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    items: &[T],
) -> Result<DiscoveryStored, ApiError> {
    in_transaction(ctx.storage, "store discovery", || {
        let mut stored = DiscoveryStored {
            received: items.len() as u64,
            created: 0,
            updated: 0,
        };
        for item in items {
            let exists = query_one(
                ctx.storage,
                &format!(
                    "SELECT 1 FROM {} WHERE agent_id = ? AND fingerprint = ?",
                    T::TABLE
                ),
                vec![agent.id.as_str().into(), item.fingerprint().into()],
            )?
            .is_some();
            let extra = item.extra();
            let mut columns = vec!["agent_id", "fingerprint", "item", "first_seen", "last_seen"];
            let mut values = vec![
                agent.id.as_str().into(),
                item.fingerprint().into(),
                json_text(item)?.into(),
                ts(ctx.now),
                ts(ctx.now),
            ];
            for (name, value) in extra {
                columns.push(name);
                values.push(value);
            }
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| !matches!(**c, "agent_id" | "fingerprint" | "first_seen"))
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            execute(
                ctx.storage,
                &format!(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (agent_id, fingerprint) DO UPDATE SET {}",
                    T::TABLE,
                    columns.join(", "),
                    vec!["?"; columns.len()].join(", "),
                    updates.join(", ")
                ),
                values,
            )?;
            if exists {
                stored.updated += 1;
            } else {
                stored.created += 1;
            }
        }
        Ok::<_, Failure>(stored)
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

fn sighting<T: Discovered>(row: &Row) -> Result<Sighting<T>, StorageError> {
    Ok(Sighting {
        item: json_column(row, 0)?,
        first_seen: read_ts(row, 1)?,
        last_seen: read_ts(row, 2)?,
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
            "SELECT item, first_seen, last_seen FROM {} WHERE agent_id = ? {filter}
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

/// `GET /v1/agents/me/certificates`: the certificates this agent reported as managed.
pub fn managed_certificates(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
) -> Result<Vec<Sighting<DiscoveredCertificate>>, ApiError> {
    sightings(ctx, &agent.id, "AND json_extract(item, '$.is_managed') = 1")
        .map_err(|e| internal("managed certificates", e))
}
