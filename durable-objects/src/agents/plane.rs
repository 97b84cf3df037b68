//! Seed 001's way into the agent registry (issue 23): minted agents live in the same `agents`
//! table as registered ones, with the SHA-256 of their `X-Agent-Secret` in `secret_hash` and
//! their maker (the minting principal) where a registered agent names its bootstrap token, so
//! listing, revocation, grants and the provenance cascade treat both kinds alike.

use super::{agent_principal, register_checks_name};
use crate::authorization::access::Principal;
use crate::sql::{Storage, StorageError, execute, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, json_text, read_opt_ts, ts};
use latchkey_core::agent::mint::AgentMinted;
use latchkey_core::agent::{AgentId, Registration};
use latchkey_core::credential::{CredentialHash, mint_agent_secret, unrecognized};
pub use latchkey_core::principal::AgentPrincipal;
use latchkey_core::{ApiError, Timestamp};

/// `POST /api/v1/agents`: the secret is shown once; its hash is kept.
pub fn mint(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    mut registration: Registration,
) -> Result<AgentMinted, ApiError> {
    let id = AgentId::generate().map_err(|e| internal("agent id", e))?;
    if registration.name == Registration::MINT_UNNAMED {
        registration.name = id.to_string();
    }
    let secret = mint_agent_secret(ctx.tenant_id).map_err(|e| internal("agent secret", e))?;
    in_transaction(ctx.storage, "mint agent", || {
        register_checks_name(ctx.storage, &registration.name)?;
        execute(
            ctx.storage,
            "INSERT INTO agents (id, name, hostname, os_type, labels, bootstrap_id, registered_at,
                secret_hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                registration.name.as_str().into(),
                registration.hostname.as_deref().into(),
                registration.os_type.as_deref().into(),
                json_text(&registration.metadata)?.into(),
                // The maker: a cascade from the minting credential reaches the agent.
                principal.actor().into(),
                ts(ctx.now),
                secret.hash.to_hex().into(),
            ],
        )?;
        Ok::<_, Failure>(())
    })?;
    Ok(AgentMinted {
        id,
        name: registration.name,
        agent_secret: secret.value.to_string(),
        platform: registration.os_type,
        labels: registration.metadata,
        registered_at: ctx.now,
    })
}

/// The agent behind an `X-Agent-Secret`: 401 when it is unknown (the one answer), revoked or
/// suspended.
pub fn authenticate_secret(
    storage: &Storage,
    hash: &CredentialHash,
) -> Result<AgentPrincipal, ApiError> {
    let fail = |e: StorageError| internal("authenticate agent secret", e);
    let row = query_one(
        storage,
        "SELECT id, name, revoked_at, suspended_at, suspended_reason, secret_hash
         FROM agents WHERE secret_hash = ?",
        vec![hash.to_hex().into()],
    )
    .map_err(fail)?
    .ok_or_else(unrecognized)?;
    let stored = CredentialHash::from_hex(&row.text(5).map_err(fail)?).ok_or_else(unrecognized)?;
    // Constant-time, as every credential.
    if stored != *hash {
        return Err(unrecognized());
    }
    if let Some(at) = read_opt_ts(&row, 2).map_err(fail)? {
        return Err(ApiError::unauthorized(format!("agent was revoked at {at}")));
    }
    if let Some(at) = read_opt_ts(&row, 3).map_err(fail)? {
        let why = row.opt_text(4).map_err(fail)?.unwrap_or_default();
        return Err(ApiError::unauthorized(format!(
            "agent was suspended at {at} ({why}); an admin may reinstate it"
        )));
    }
    let id = AgentId::parse(&row.text(0).map_err(fail)?).map_err(|e| internal("agent id", e))?;
    agent_principal(storage, id, row.text(1).map_err(fail)?).map_err(fail)
}

/// The agent a seed-001 route names must be the caller: any other id, in this tenant or not,
/// is not found (an agent never acts for another, and learns nothing about other ids).
pub fn own<'a>(principal: &'a Principal, id: &AgentId) -> Result<&'a AgentPrincipal, ApiError> {
    match principal {
        Principal::Agent(agent) if agent.id == *id => Ok(agent),
        _ => Err(ApiError::not_found(format!("agent '{id}' not found")).with("field", "id")),
    }
}

/// `POST /api/v1/agents/{id}/heartbeat`: moves the agent's last heartbeat (`last_seen_at`).
pub fn heartbeat(
    storage: &Storage,
    agent: &AgentPrincipal,
    now: Timestamp,
) -> Result<(), ApiError> {
    execute(
        storage,
        "UPDATE agents SET last_heartbeat = ? WHERE id = ?",
        vec![ts(now), agent.id.as_str().into()],
    )
    .map_err(|e| internal("agent heartbeat", e))
}

/// The caller's platform (`os_type`), for the update check.
pub fn platform(storage: &Storage, agent: &AgentPrincipal) -> Result<Option<String>, ApiError> {
    query_one(
        storage,
        "SELECT os_type FROM agents WHERE id = ?",
        vec![agent.id.as_str().into()],
    )
    .and_then(|row| row.map(|r| r.opt_text(0)).transpose())
    .map(Option::flatten)
    .map_err(|e| internal("agent platform", e))
}
