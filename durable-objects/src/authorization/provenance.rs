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
use crate::sql::Storage;
use crate::sql::{StorageError, execute, query, query_one};
use crate::store::ts;
use latchkey_core::Timestamp;
use latchkey_core::agent::AgentId;
use latchkey_core::provenance::{ActorKind, MAX_LINE, same_hand as same_hand_rule};
use std::collections::BTreeSet;

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

/// One kind of thing a principal makes, and what a cascade does to it. In the statements,
/// `?1` is the time, `?2` the reason and `?3` the maker.
struct Made {
    table: &'static str,
    /// The column naming the maker.
    maker: &'static str,
    /// What the cascade sets.
    change: &'static str,
    /// Rows the cascade has not reached yet.
    untouched: &'static str,
    event: &'static str,
    /// Whether it makes things of its own (a grant makes nothing).
    makes: bool,
}

const REVOKED: &str = "revoked_at = ?1";
const SUSPENDED: &str = "suspended_at = ?1, suspended_reason = ?2";

const MADE: [Made; 5] = [
    Made {
        table: "tokens",
        maker: "created_by",
        change: REVOKED,
        untouched: "revoked_at IS NULL",
        event: "token.revoked",
        makes: true,
    },
    Made {
        table: "agent_bootstrap_tokens",
        maker: "created_by",
        change: REVOKED,
        untouched: "revoked_at IS NULL",
        event: "bootstrap.revoked",
        makes: true,
    },
    Made {
        table: "agents",
        maker: "bootstrap_id",
        change: SUSPENDED,
        untouched: "suspended_at IS NULL",
        event: "agent.suspended",
        makes: true,
    },
    Made {
        table: "users",
        maker: "created_by",
        change: SUSPENDED,
        untouched: "suspended_at IS NULL",
        event: "user.suspended",
        makes: true,
    },
    Made {
        table: "grants",
        maker: "created_by",
        change: "suspended_at = ?1",
        untouched: "suspended_at IS NULL",
        event: "grant.suspended",
        makes: false,
    },
];

/// Revokes `root` when it is a token (its own event is the revocation's), and everything
/// below it down the chain ([`MADE`]): two statements per maker and kind, whatever their
/// number. Returns an event for each change; the caller records them in its transaction.
pub fn cascade(
    storage: &Storage,
    root: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Draft>, StorageError> {
    if ActorKind::of(root) == ActorKind::Token {
        execute(
            storage,
            "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
            vec![ts(now), root.into()],
        )?;
    }
    let why = format!("{reason} ({root})");
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![root.to_owned()];
    // Tenants hold at most tens of thousands of principals; the bound guards a cycle.
    while let Some(maker) = queue.pop() {
        if !seen.insert(maker.clone()) || seen.len() > 100_000 {
            continue;
        }
        let bindings = || vec![ts(now), why.as_str().into(), maker.as_str().into()];
        for made in &MADE {
            let changed = ids(
                storage,
                &format!(
                    "UPDATE {} SET {} WHERE {} = ?3 AND {} RETURNING id",
                    made.table, made.change, made.maker, made.untouched
                ),
                bindings(),
            )?;
            if made.table == "agents" {
                // Their open sockets close once this commits (issue 23).
                for id in changed.iter().filter_map(|id| AgentId::parse(id).ok()) {
                    crate::outbox::announce(crate::outbox::Push::Suspended(id));
                }
            }
            events.extend(changed.iter().map(|id| {
                Draft::new(made.event, None)
                    .detail("id", id.as_str())
                    .detail("cascade_from", root)
                    .detail("cascade_reason", reason)
            }));
            // Already revoked or suspended ones are walked too: what they made may be live.
            if made.makes {
                queue.extend(ids(
                    storage,
                    &format!("SELECT id FROM {} WHERE {} = ?", made.table, made.maker),
                    vec![maker.as_str().into()],
                )?);
            }
        }
    }
    Ok(events)
}

fn ids(
    storage: &Storage,
    sql: &str,
    bindings: Vec<crate::sql::Value>,
) -> Result<Vec<String>, StorageError> {
    query(storage, sql, bindings)?
        .iter()
        .map(|row| row.text(0))
        .collect()
}

/// An admin reinstates a suspended agent or user (`table`): it may act again. Whatever was
/// revoked (tokens, bootstrap tokens) stays revoked, and suspended grants stay suspended: they
/// were made by a revoked credential, and an admin grants again what should count. Whether
/// it was suspended.
pub fn reinstate(storage: &Storage, table: &str, id: &str) -> Result<bool, StorageError> {
    let reinstated = ids(
        storage,
        &format!(
            "UPDATE {table} SET suspended_at = NULL, suspended_reason = NULL
             WHERE id = ? AND suspended_at IS NOT NULL RETURNING id"
        ),
        vec![id.into()],
    )?;
    Ok(!reinstated.is_empty())
}
