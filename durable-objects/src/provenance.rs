//! The provenance chain in the tenant's storage (`latchkey_core::provenance` has the rules):
//! a principal's line upwards, for "same hand", and the cascade downwards when a credential
//! is revoked or a person deleted.
//!
//! What a revocation reaches, from the revoked credential down, transitively:
//! - tokens it minted: revoked (they die, as before);
//! - bootstrap tokens it minted: revoked (no more registrations);
//! - agents registered through those bootstrap tokens, and users it created: *suspended*,
//!   refused from their next request, listed with the reason, until an admin reinstates
//!   them (`POST /v1/agents/{id}/reinstate`, `POST /v1/users/{id}/reinstate`);
//! - grants it made: suspended, so they stop counting.
//!
//! Expiry does not cascade: a token that runs out has done nothing wrong. Every cascaded
//! change is recorded as an event of its own, in the revocation's transaction.

use crate::audit::Draft;
use crate::sql::{StorageError, execute, query, query_one};
use crate::store::{SecretContext, ts};
use latchkey_core::Timestamp;
use latchkey_core::provenance::{ActorKind, MAX_LINE, same_hand as same_hand_rule};
use std::collections::BTreeSet;
use worker::Storage;

/// Who made `actor`, if storage says.
pub fn maker_of(storage: &Storage, actor: &str) -> Result<Option<String>, StorageError> {
    let sql = match ActorKind::of(actor) {
        ActorKind::Token => "SELECT created_by FROM tokens WHERE id = ?",
        ActorKind::Bootstrap => "SELECT created_by FROM agent_bootstrap_tokens WHERE id = ?",
        ActorKind::Agent => "SELECT bootstrap_id FROM agents WHERE id = ?",
        ActorKind::User => "SELECT created_by FROM users WHERE id = ?",
        ActorKind::Master | ActorKind::Other => return Ok(None),
    };
    query_one(storage, sql, vec![actor.into()])?
        .map(|row| row.text(0))
        .transpose()
}

/// `actor`'s makers, nearest first, up to the master key (or a maker with no record).
pub fn line_of(storage: &Storage, actor: &str) -> Result<Vec<String>, StorageError> {
    let mut line = Vec::new();
    let mut current = actor.to_owned();
    while line.len() < MAX_LINE {
        let Some(maker) = maker_of(storage, &current)? else {
            break;
        };
        if maker == actor || line.contains(&maker) {
            break;
        }
        line.push(maker.clone());
        current = maker;
    }
    Ok(line)
}

/// Whether `approver` and `requester` are the same hand (`latchkey_core::provenance`).
pub fn same_hand(storage: &Storage, approver: &str, requester: &str) -> Result<bool, StorageError> {
    if approver == requester {
        return Ok(true);
    }
    Ok(same_hand_rule(
        approver,
        &line_of(storage, approver)?,
        requester,
        &line_of(storage, requester)?,
    ))
}

/// Revokes `root`'s descendants (and `root` itself when it is a token or a bootstrap token),
/// suspending the agents and users below it and the grants they made. Returns an event for
/// each change; the caller records them in its transaction.
pub fn cascade(
    storage: &Storage,
    root: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Draft>, StorageError> {
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![root.to_owned()];
    // The root itself, when it is a credential that can be revoked.
    match ActorKind::of(root) {
        ActorKind::Token => revoke_token(storage, root, root, reason, now, &mut events)?,
        ActorKind::Bootstrap => revoke_bootstrap(storage, root, root, reason, now, &mut events)?,
        _ => {}
    }
    // Tenants hold at most tens of thousands of principals; the bound guards a cycle.
    while let Some(maker) = queue.pop() {
        if !seen.insert(maker.clone()) || seen.len() > 100_000 {
            continue;
        }
        for id in ids(
            storage,
            "SELECT id FROM tokens WHERE created_by = ?",
            &maker,
        )? {
            revoke_token(storage, &id, root, reason, now, &mut events)?;
            queue.push(id);
        }
        for id in ids(
            storage,
            "SELECT id FROM agent_bootstrap_tokens WHERE created_by = ?",
            &maker,
        )? {
            revoke_bootstrap(storage, &id, root, reason, now, &mut events)?;
            queue.push(id);
        }
        for id in ids(
            storage,
            "SELECT id FROM agents WHERE bootstrap_id = ?",
            &maker,
        )? {
            suspend(
                storage,
                "agents",
                "agent.suspended",
                &id,
                root,
                reason,
                now,
                &mut events,
            )?;
            queue.push(id);
        }
        for id in ids(storage, "SELECT id FROM users WHERE created_by = ?", &maker)? {
            suspend(
                storage,
                "users",
                "user.suspended",
                &id,
                root,
                reason,
                now,
                &mut events,
            )?;
            queue.push(id);
        }
        for id in ids(
            storage,
            "SELECT id FROM grants WHERE created_by = ? AND suspended_at IS NULL",
            &maker,
        )? {
            execute(
                storage,
                "UPDATE grants SET suspended_at = ? WHERE id = ?",
                vec![ts(now), id.as_str().into()],
            )?;
            events.push(cascaded("grant.suspended", &id, root, reason));
        }
    }
    Ok(events)
}

fn ids(storage: &Storage, sql: &str, maker: &str) -> Result<Vec<String>, StorageError> {
    query(storage, sql, vec![maker.into()])?
        .iter()
        .map(|row| row.text(0))
        .collect()
}

fn cascaded(event_type: &str, id: &str, root: &str, reason: &str) -> Draft {
    Draft::new(event_type, None)
        .detail("id", id)
        .detail("cascade_from", root)
        .detail("cascade_reason", reason)
}

fn revoke_token(
    storage: &Storage,
    id: &str,
    root: &str,
    reason: &str,
    now: Timestamp,
    events: &mut Vec<Draft>,
) -> Result<(), StorageError> {
    let live = query_one(
        storage,
        "SELECT 1 FROM tokens WHERE id = ? AND revoked_at IS NULL",
        vec![id.into()],
    )?
    .is_some();
    if live {
        execute(
            storage,
            "UPDATE tokens SET revoked_at = ? WHERE id = ?",
            vec![ts(now), id.into()],
        )?;
        if id != root {
            events.push(cascaded("token.revoked", id, root, reason));
        }
    }
    Ok(())
}

fn revoke_bootstrap(
    storage: &Storage,
    id: &str,
    root: &str,
    reason: &str,
    now: Timestamp,
    events: &mut Vec<Draft>,
) -> Result<(), StorageError> {
    let live = query_one(
        storage,
        "SELECT 1 FROM agent_bootstrap_tokens WHERE id = ? AND revoked_at IS NULL",
        vec![id.into()],
    )?
    .is_some();
    if live {
        execute(
            storage,
            "UPDATE agent_bootstrap_tokens SET revoked_at = ? WHERE id = ?",
            vec![ts(now), id.into()],
        )?;
        events.push(cascaded("bootstrap.revoked", id, root, reason));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn suspend(
    storage: &Storage,
    table: &str,
    event_type: &str,
    id: &str,
    root: &str,
    reason: &str,
    now: Timestamp,
    events: &mut Vec<Draft>,
) -> Result<(), StorageError> {
    let live = query_one(
        storage,
        &format!("SELECT 1 FROM {table} WHERE id = ? AND suspended_at IS NULL"),
        vec![id.into()],
    )?
    .is_some();
    if live {
        let why = format!("{reason} ({root})");
        execute(
            storage,
            &format!("UPDATE {table} SET suspended_at = ?, suspended_reason = ? WHERE id = ?"),
            vec![ts(now), why.into(), id.into()],
        )?;
        events.push(cascaded(event_type, id, root, reason));
    }
    Ok(())
}

/// An admin reinstates a suspended agent or user (`table`): it may act again. Whatever was
/// revoked (tokens, bootstrap tokens) stays revoked, and suspended grants stay suspended: they
/// were made by a revoked credential, and an admin grants again what should count.
pub fn reinstate(ctx: &SecretContext<'_>, table: &str, id: &str) -> Result<bool, StorageError> {
    let suspended = query_one(
        ctx.storage,
        &format!("SELECT 1 FROM {table} WHERE id = ? AND suspended_at IS NOT NULL"),
        vec![id.into()],
    )?
    .is_some();
    if !suspended {
        return Ok(false);
    }
    execute(
        ctx.storage,
        &format!("UPDATE {table} SET suspended_at = NULL, suspended_reason = NULL WHERE id = ?"),
        vec![id.into()],
    )?;
    Ok(true)
}
