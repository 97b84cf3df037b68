//! The seed-002 Vault face's commands (`latchkey_contract::caller::vault002`): secrets by id
//! and agents by name, each resolved here and handed to the native command's code, with the
//! native command's checks.

use crate::agents;
use crate::authorization::access::{self, Principal};
use crate::listing;
use crate::sql::{query, query_one};
use crate::store::{SecretContext, internal};
use latchkey_contract::Access;
use latchkey_core::agent::AgentId;
use latchkey_core::faces::vault002::{AgentRef, VaultGrantRequest, secret_not_found};
use latchkey_core::gate::Flow;
use latchkey_core::grant::{Grant, GrantRequest};
use latchkey_core::listing::{ListQuery, MAX_LIMIT};
use latchkey_core::scope::{PathGlob, SecretAction};
use latchkey_core::secret::{SecretId, SecretSummary};
use latchkey_core::{ApiError, SecretPath};

/// The path of the secret with this id: 404 naming the id when there is none (`live`: none
/// that is not deleted either).
pub fn path_of(ctx: &SecretContext<'_>, id: &SecretId, live: bool) -> Result<SecretPath, ApiError> {
    let filter = if live { " AND deleted_at IS NULL" } else { "" };
    let row = query_one(
        ctx.storage,
        &format!("SELECT path FROM secrets WHERE id = ?{filter}"),
        vec![id.as_str().into()],
    )
    .map_err(|e| internal("secret by id", e))?
    .ok_or_else(|| secret_not_found(id.as_str()))?;
    let text = row.text(0).map_err(|e| internal("secret by id", e))?;
    SecretPath::parse(&text).map_err(|e| internal("stored path", e))
}

/// Every live secret the caller may read, ordered by path: `ListSecrets`' pages, all of them.
pub fn list_all(
    ctx: &SecretContext<'_>,
    principal: &Principal,
) -> Result<Vec<SecretSummary>, ApiError> {
    let mut query = ListQuery::parse(std::iter::empty())?;
    query.limit = MAX_LIMIT;
    let scopes = principal.scopes();
    let mut all = Vec::new();
    loop {
        let page = listing::list(ctx, &query, &scopes)?;
        let more = page.next_cursor.is_some();
        query.after = page.items.last().map(|last| last.path.clone());
        all.extend(page.items);
        if !more || query.after.is_none() {
            return Ok(all);
        }
    }
}

/// `DeleteSecret { permanent: true }` on the resolved path, after the check its rules make
/// (`secrets:delete` on the path, through the gate): the secret and the grants of exactly its
/// path go in one transaction.
pub fn destroy(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    path: &SecretPath,
) -> Result<(), ApiError> {
    let required = Access::secret(Flow::Metadata, SecretAction::Delete, path);
    access::check(principal, &required)?;
    crate::authorization::gate::admit_command(ctx, principal, &required)?;
    crate::secrets::delete(ctx, path, true)
}

/// The agent a grant names: its id as given, or the one agent not revoked with that name.
/// Several such agents (named before names were unique) are a 409: the caller must use an id.
/// A name only revoked agents hold resolves to the latest of them (the grant then says it was
/// revoked); no agent at all is a 404.
pub fn resolve_agent(ctx: &SecretContext<'_>, agent: &AgentRef) -> Result<AgentId, ApiError> {
    let name = match agent {
        AgentRef::Id(id) => return Ok(id.clone()),
        AgentRef::Name(name) => name,
    };
    let fail = |e| internal("agent by name", e);
    let mut live = query(
        ctx.storage,
        "SELECT id FROM agents WHERE name = ? AND revoked_at IS NULL ORDER BY registered_at, id",
        vec![name.as_str().into()],
    )
    .map_err(fail)?;
    let row = match live.len() {
        1 => live.pop(),
        0 => query_one(
            ctx.storage,
            "SELECT id FROM agents WHERE name = ? ORDER BY registered_at DESC, id DESC LIMIT 1",
            vec![name.as_str().into()],
        )
        .map_err(fail)?,
        several => {
            return Err(ApiError::conflict(format!(
                "{several} agents are named '{name}'; name the agent by its id (agt_…)"
            ))
            .with("field", "agent_id"));
        }
    };
    let row = row.ok_or_else(|| {
        ApiError::not_found(format!("agent '{name}' not found")).with("field", "agent_id")
    })?;
    AgentId::parse(&row.text(0).map_err(fail)?).map_err(|e| internal("stored agent id", e))
}

/// `CreateGrant` of `read` on exactly the secret's path to the resolved agent.
pub fn grant(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent_id: AgentId,
    path: &SecretPath,
) -> Result<Grant, ApiError> {
    let glob = PathGlob::parse(path.as_str()).map_err(|e| internal("path as glob", e))?;
    agents::create_grant(
        ctx,
        principal,
        GrantRequest {
            agent_id,
            path: glob,
            actions: vec![SecretAction::Read],
        },
    )
}

/// What a grant request resolves to: the agent's id and the secret's path.
pub fn resolve_grant(
    ctx: &SecretContext<'_>,
    request: &VaultGrantRequest,
) -> Result<(AgentId, SecretPath), ApiError> {
    let agent = resolve_agent(ctx, &request.agent)?;
    let path = path_of(ctx, &request.secret_id, true).map_err(|e| e.with("field", "secret_id"))?;
    Ok((agent, path))
}
