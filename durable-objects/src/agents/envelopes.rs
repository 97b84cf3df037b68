//! Wire envelopes (issue 23): an agent's X25519 public key, and the data keys issued to it.
//!
//! The plaintext DEK exists only inside [`issue_dek`]: it is sealed to the agent's key for the
//! answer, and wrapped under the tenant key for the `agent_deks` row. The wrapped copy lives
//! here, in the tenant's object, because the tenant key that opens it lives (wrapped under the
//! root key) nowhere else, so no other tenant's object, and no D1 query, can reach either.

use super::AgentPrincipal;
use crate::sql::Value as V;
use crate::sql::{execute, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_ts, ts};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::envelope::{
    AgentPublicKey, DekBinding, DekId, SealedDek, issue_dek as issue,
};
use latchkey_core::{ApiError, ErrorCode};

/// Data keys kept per agent: past this, issuing one drops the oldest wrapped copy.
pub const MAX_DEKS_PER_AGENT: u64 = 1_000;

/// The calling agent, when `named` (the path's `:id`) is it; any other agent, of this tenant
/// or another, is `not_found`, as a path naming what the caller cannot reach is everywhere.
pub fn own<'a>(agent: &'a AgentPrincipal, named: &AgentId) -> Result<&'a AgentPrincipal, ApiError> {
    if &agent.id == named {
        Ok(agent)
    } else {
        Err(ApiError::not_found(format!(
            "agent '{named}' not found; an agent reaches only its own /api/v1/agents/{{id}}/… routes"
        ))
        .with("field", "id"))
    }
}

/// `PUT /api/v1/agents/{id}/public-key`: registers or replaces the agent's key. Data keys
/// issued before stay valid on the server side (their wrapped copies do not depend on it).
pub fn register_public_key(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    key: &AgentPublicKey,
) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "register public key", || {
        execute(
            ctx.storage,
            "INSERT INTO agent_public_keys (agent_id, public_key, registered_at) VALUES (?, ?, ?)
             ON CONFLICT (agent_id) DO UPDATE SET public_key = excluded.public_key,
             registered_at = excluded.registered_at",
            vec![
                agent.id.as_str().into(),
                V::Blob(key.as_bytes().to_vec()),
                ts(ctx.now),
            ],
        )?;
        Ok::<_, Failure>(())
    })
}

/// The agent's registered key and when, if any.
pub fn public_key_of(
    ctx: &SecretContext<'_>,
    agent: &AgentId,
) -> Result<Option<(AgentPublicKey, latchkey_core::Timestamp)>, ApiError> {
    let row = query_one(
        ctx.storage,
        "SELECT hex(public_key), registered_at FROM agent_public_keys WHERE agent_id = ?",
        vec![agent.as_str().into()],
    )
    .map_err(|e| internal("public key", e))?;
    let Some(row) = row else { return Ok(None) };
    let bytes = row.blob(0).map_err(|e| internal("public key", e))?;
    let key = AgentPublicKey::from_bytes(&bytes)
        .ok_or_else(|| internal("public key", "stored key is not 32 bytes"))?;
    Ok(Some((
        key,
        read_ts(&row, 1).map_err(|e| internal("public key", e))?,
    )))
}

/// `POST /api/v1/agents/{id}/dek`: a fresh DEK, sealed to the agent's key (the answer) and
/// wrapped under the tenant key (the row). Without a registered key, 409 naming it.
pub fn issue_dek(ctx: &SecretContext<'_>, agent: &AgentPrincipal) -> Result<SealedDek, ApiError> {
    let Some((key, _)) = public_key_of(ctx, &agent.id)? else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "agent '{}' has no public key; register its X25519 key with PUT /api/v1/agents/{}/public-key first",
                agent.id, agent.id
            ),
        )
        .with("field", "public_key"));
    };
    let key_id = DekId::generate().map_err(|e| internal("dek id", e))?;
    let binding = DekBinding {
        tenant_id: ctx.tenant_id.as_str(),
        agent_id: &agent.id,
        key_id: &key_id,
    };
    let (sealed, wrapped) =
        issue(ctx.tenant_key, &key, &binding).map_err(|e| internal("issue dek", e))?;
    in_transaction(ctx.storage, "issue dek", || {
        execute(
            ctx.storage,
            "INSERT INTO agent_deks (id, agent_id, wrapped_key, ciphertext, created_at)
             VALUES (?, ?, ?, ?, ?)",
            vec![
                key_id.as_str().into(),
                agent.id.as_str().into(),
                V::Blob(wrapped.wrapped_data_key),
                V::Blob(wrapped.ciphertext),
                ts(ctx.now),
            ],
        )?;
        execute(
            ctx.storage,
            "DELETE FROM agent_deks WHERE agent_id = ? AND id NOT IN
             (SELECT id FROM agent_deks WHERE agent_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
            vec![
                agent.id.as_str().into(),
                agent.id.as_str().into(),
                V::Integer(MAX_DEKS_PER_AGENT as i64),
            ],
        )?;
        Ok::<_, Failure>(())
    })?;
    Ok(sealed)
}
