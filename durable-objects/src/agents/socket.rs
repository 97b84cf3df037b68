//! The agent socket in the tenant's storage (issue 23): what a new socket starts with (the
//! agent's undelivered commands, now delivered, and its claimable jobs), heartbeats sent over
//! it, and the outbox of what must be pushed once the running command commits. The platform
//! side (accepting, tagging, sending, closing) is `object::socket`; the frames are
//! `latchkey_core::agent::socket`'s.

use super::{grants_of, load_settings, plane};
use crate::authorization::access::Principal;
pub use crate::outbox::{Push, announce, take_announced};
use crate::sql::{Storage, StorageError, Value as V, execute, query, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_count, ts};
use latchkey_contract::caller::socket::AgentConnected;
use latchkey_core::agent::socket::{
    Close, MAX_REPLAYED_NOTICES, MAX_SOCKETS_PER_TENANT, ResyncReason, SECRET_CHANGE_EVENTS,
    command_frame, hello_frame, job_frame, resync_frame, secret_changed_frame, tenant_has_room,
};
use latchkey_core::agent::{AgentId, CommandId};
use latchkey_core::grant::Grant;
use latchkey_core::{ApiError, ErrorCode, SecretPath, Timestamp};

/// A frame for an agent's sockets, and the command it delivers (marked delivered once sent).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub agent: AgentId,
    pub frame: String,
    pub command: Option<CommandId>,
}

/// What the platform must do with a command's pushes.
#[derive(Debug, Default, PartialEq)]
pub struct Resolved {
    pub deliveries: Vec<Delivery>,
    /// Agents whose sockets close (revoked or suspended), and why.
    pub closes: Vec<(AgentId, Close)>,
}

/// Turns pushes into frames per agent: a secret's notice goes to every agent with a grant (not
/// suspended) whose glob matches its path, with the secret's current version (none once
/// deleted).
pub fn resolve(storage: &Storage, pushes: Vec<Push>) -> Result<Resolved, StorageError> {
    let mut resolved = Resolved::default();
    let mut grants = None;
    for push in pushes {
        match push {
            Push::Job(job) => resolved.deliveries.push(Delivery {
                agent: job.agent_id.clone(),
                frame: job_frame(&job),
                command: None,
            }),
            Push::Command(agent, command) => resolved.deliveries.push(Delivery {
                agent,
                frame: command_frame(&command),
                command: Some(command.id),
            }),
            Push::Revoked(agent) => resolved.closes.push((agent, Close::revoked())),
            Push::Suspended(agent) => resolved.closes.push((agent, Close::suspended())),
            Push::SecretChanged {
                path,
                event,
                cursor,
            } => {
                if grants.is_none() {
                    grants = Some(grants_of(storage, None)?);
                }
                let version = current_version(storage, &path)?;
                let frame = secret_changed_frame(path.as_str(), version, &event, cursor);
                let mut agents: Vec<&AgentId> = grants
                    .iter()
                    .flatten()
                    .filter(|g| g.suspended_at.is_none() && g.path.matches(&path))
                    .map(|g| &g.agent_id)
                    .collect();
                agents.sort();
                agents.dedup();
                for agent in agents {
                    resolved.deliveries.push(Delivery {
                        agent: agent.clone(),
                        frame: frame.clone(),
                        command: None,
                    });
                }
            }
        }
    }
    Ok(resolved)
}

/// A stored secret's current version, `None` once deleted.
fn current_version(storage: &Storage, path: &SecretPath) -> Result<Option<u64>, StorageError> {
    query_one(
        storage,
        "SELECT current_version FROM secrets WHERE path = ? AND deleted_at IS NULL",
        vec![path.as_str().into()],
    )?
    .map(|row| read_count(&row, 0))
    .transpose()
}

/// Audit events read per page, and at most, while looking for what an agent missed: an agent
/// away for longer than this many events re-reads what it holds instead.
const REPLAY_PAGE: i64 = 1000;
const REPLAY_SCAN_LIMIT: u64 = 20_000;

/// The `secret_changed` frames agent `agent` missed after audit `seq` `since` (`head` is the
/// chain's last): one per path its grants cover, at that path's last change, oldest first,
/// with the version it has now. The same rule as the live push (`tenant::sockets::notice_of`):
/// successful events of [`SECRET_CHANGE_EVENTS`] naming a path. `Err` says why it cannot.
fn missed_notices(
    storage: &Storage,
    agent: &AgentId,
    since: u64,
    head: u64,
) -> Result<Result<Vec<String>, ResyncReason>, StorageError> {
    if since > head {
        return Ok(Err(ResyncReason::UnknownCursor));
    }
    if head - since > REPLAY_SCAN_LIMIT {
        return Ok(Err(ResyncReason::TooManyChanges));
    }
    let grants: Vec<Grant> = grants_of(storage, Some(agent))?
        .into_iter()
        .filter(|g| g.suspended_at.is_none())
        .collect();
    let types = vec!["?"; SECRET_CHANGE_EVENTS.len()].join(", ");
    // path → (seq, event) of its last change.
    let mut last: std::collections::BTreeMap<String, (u64, String)> = Default::default();
    let mut after = since;
    loop {
        let mut bindings = vec![V::Integer(i64::try_from(after).unwrap_or(i64::MAX))];
        bindings.extend(SECRET_CHANGE_EVENTS.iter().map(|t| V::from(*t)));
        bindings.push(V::Integer(REPLAY_PAGE));
        let rows = query(
            storage,
            &format!(
                "SELECT seq, type, path FROM audit_events
                 WHERE seq > ? AND success = 1 AND path IS NOT NULL AND type IN ({types})
                 ORDER BY seq LIMIT ?"
            ),
            bindings,
        )?;
        for row in &rows {
            let seq = read_count(row, 0)?;
            after = seq;
            let (event, path) = (row.text(1)?, row.text(2)?);
            let Ok(parsed) = SecretPath::parse(&path) else {
                continue;
            };
            if grants.iter().any(|g| g.path.matches(&parsed)) {
                last.insert(path, (seq, event));
                if last.len() > MAX_REPLAYED_NOTICES {
                    return Ok(Err(ResyncReason::TooManyChanges));
                }
            }
        }
        if rows.len() < usize::try_from(REPLAY_PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    let mut changes: Vec<(u64, String, String)> = last
        .into_iter()
        .map(|(path, (seq, event))| (seq, path, event))
        .collect();
    changes.sort();
    let mut frames = Vec::with_capacity(changes.len());
    for (seq, path, event) in changes {
        let version = match SecretPath::parse(&path) {
            Ok(parsed) => current_version(storage, &parsed)?,
            Err(_) => None,
        };
        frames.push(secret_changed_frame(&path, version, &event, seq));
    }
    Ok(Ok(frames))
}

/// `GET /api/v1/agents/{me|id}/connect`: the caller is the agent, the tenant has room for one
/// more socket (503 otherwise), and it gets its undelivered commands (delivered from now) and
/// the jobs it can claim, oldest first.
pub fn connect(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: Option<&AgentId>,
    since: Option<u64>,
    sockets_open: usize,
) -> Result<AgentConnected, ApiError> {
    let agent = match (principal, id) {
        (_, Some(id)) => plane::own(principal, id)?,
        (Principal::Agent(agent), None) => agent,
        (_, None) => return Err(ApiError::internal()),
    };
    if !tenant_has_room(sockets_open) {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            format!(
                "this tenant has {MAX_SOCKETS_PER_TENANT} agent sockets open, the limit; poll (POST …/jobs/claim, …/me/health) or retry later"
            ),
        )
        .with("limit", MAX_SOCKETS_PER_TENANT));
    }
    let id = agent.id.as_str();
    in_transaction(ctx.storage, "agent connects", || {
        let commands = super::take_undelivered_commands(ctx, id)?;
        let jobs = super::jobs::claimable(ctx.storage, &agent.id, ctx.now)?;
        let interval = load_settings(ctx.storage)?.heartbeat_interval_seconds;
        let head = crate::audit::last_seq(ctx.storage)?;
        let mut frames = vec![hello_frame(&agent.id, interval, head)];
        match since {
            None => frames.push(resync_frame(ResyncReason::Connected)),
            Some(since) => match missed_notices(ctx.storage, &agent.id, since, head)? {
                Ok(notices) => frames.extend(notices),
                Err(reason) => frames.push(resync_frame(reason)),
            },
        }
        frames.extend(commands.iter().map(command_frame));
        frames.extend(jobs.iter().map(job_frame));
        Ok::<_, Failure>(AgentConnected {
            agent_id: agent.id.clone(),
            frames,
            commands: commands.len(),
            jobs: jobs.len(),
        })
    })
}

/// A heartbeat over the socket: moves `last_heartbeat` (`last_seen_at`) of a live agent and
/// answers when; `None` when the agent is revoked or suspended (its socket closes).
pub fn heartbeat(
    storage: &Storage,
    agent: &AgentId,
    now: Timestamp,
) -> Result<Option<Timestamp>, StorageError> {
    if !is_live(storage, agent)? {
        return Ok(None);
    }
    execute(
        storage,
        "UPDATE agents SET last_heartbeat = ? WHERE id = ?",
        vec![ts(now), agent.as_str().into()],
    )?;
    Ok(Some(now))
}

/// Whether `agent` is registered, not revoked and not suspended.
pub fn is_live(storage: &Storage, agent: &AgentId) -> Result<bool, StorageError> {
    Ok(query_one(
        storage,
        "SELECT 1 FROM agents WHERE id = ? AND revoked_at IS NULL AND suspended_at IS NULL",
        vec![agent.as_str().into()],
    )?
    .is_some())
}

/// Commands pushed over a socket are delivered: the next health reply does not repeat them.
pub fn mark_delivered(
    storage: &Storage,
    ids: &[CommandId],
    now: Timestamp,
) -> Result<(), ApiError> {
    for id in ids {
        execute(
            storage,
            "UPDATE agent_commands SET delivered_at = coalesce(delivered_at, ?) WHERE id = ?",
            vec![ts(now), V::from(id.as_str())],
        )
        .map_err(|e| internal("mark commands delivered", e))?;
    }
    Ok(())
}
