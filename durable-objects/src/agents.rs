//! Agents and their grants in the tenant's storage: bootstrap tokens
//! (hashed), registration, JWTs, heartbeats with queued commands, the fleet list with its
//! derived status, revocation, and the grants that are an agent's whole reach.

pub mod carried;
pub mod discovered;
pub mod discovery;
pub mod envelopes;
pub mod jobs;
pub mod passwords;
pub mod plane;
pub mod socket;

use crate::authorization::access::Principal;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_count,
    read_opt_ts, read_ts, ts,
};
use latchkey_core::agent::{
    AGENT_JWT_TTL_SECONDS, AgentActivity, AgentCommand, AgentId, AgentJwtIssued, AgentQuery,
    AgentSettings, AgentSummary, BootstrapCreated, BootstrapId, BootstrapRequest, CommandId,
    CommandKind, CommandRequest, HealthReport, MTLS_TEMPLATE_ID, Pagination, Registered,
    Registration, StatusRules,
};
use latchkey_core::credential::{CredentialHash, mint_bootstrap_token};
use latchkey_core::crypto::TenantKey;
use latchkey_core::grant::{Grant, GrantRequest, MAX_GRANTS_PER_AGENT};
use latchkey_core::jwt::{self, JwtKind};
pub use latchkey_core::principal::{AgentPrincipal, BootstrapRecord};
use latchkey_core::scope::{PathGlob, ScopeSet};
use latchkey_core::secret::Tier;
use latchkey_core::{ApiError, ErrorCode, TenantId, Timestamp};

fn signing_key(tenant_key: &TenantKey) -> latchkey_core::crypto::DerivedKey {
    tenant_key.derive(JwtKind::Agent.signing_key_label())
}

/// `POST /v1/agents/bootstrap`: the token is shown once; its hash is kept.
pub fn create_bootstrap(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: BootstrapRequest,
) -> Result<BootstrapCreated, ApiError> {
    let id = BootstrapId::generate().map_err(|e| internal("bootstrap id", e))?;
    let token = mint_bootstrap_token(ctx.tenant_id).map_err(|e| internal("bootstrap token", e))?;
    let expires_at = ctx
        .now
        .plus_seconds(i64::try_from(request.ttl_seconds).unwrap_or(i64::MAX));
    let labels = json_text(&request.labels).map_err(|e| internal("bootstrap labels", e))?;
    execute(
        ctx.storage,
        "INSERT INTO agent_bootstrap_tokens (id, hash, labels, max_registrations, registrations,
            created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
        vec![
            id.as_str().into(),
            token.hash.to_hex().into(),
            labels.into(),
            V::Integer(i64::try_from(request.max_registrations).unwrap_or(i64::MAX)),
            ts(ctx.now),
            ts(expires_at),
            principal.actor().into(),
        ],
    )
    .map_err(|e| internal("store bootstrap token", e))?;
    Ok(BootstrapCreated {
        token: token.value.to_string(),
        id,
        expires_at,
        max_registrations: request.max_registrations,
        labels: request.labels,
    })
}

/// A bootstrap token that may register one more agent now: 401 saying why otherwise.
pub fn authenticate_bootstrap(
    storage: &Storage,
    hash: &CredentialHash,
    now: Timestamp,
) -> Result<BootstrapRecord, ApiError> {
    let fail = |e: StorageError| internal("authenticate bootstrap token", e);
    let row = query_one(
        storage,
        "SELECT id, labels, max_registrations, registrations, expires_at, hash, revoked_at
         FROM agent_bootstrap_tokens WHERE hash = ?",
        vec![hash.to_hex().into()],
    )
    .map_err(fail)?;
    // Not recognized: the one answer every unrecognized credential gets.
    let unknown = latchkey_core::credential::unrecognized;
    let Some(row) = row else {
        return Err(unknown());
    };
    let stored = CredentialHash::from_hex(&row.text(5).map_err(fail)?).ok_or_else(unknown)?;
    if stored != *hash {
        return Err(unknown());
    }
    if let Some(at) = read_opt_ts(&row, 6).map_err(fail)? {
        return Err(ApiError::unauthorized(format!(
            "bootstrap token was revoked at {at}"
        )));
    }
    let expires_at = read_ts(&row, 4).map_err(fail)?;
    if expires_at <= now {
        return Err(ApiError::unauthorized(format!(
            "bootstrap token expired at {expires_at}"
        )));
    }
    let max = read_count(&row, 2).map_err(fail)?;
    if read_count(&row, 3).map_err(fail)? >= max {
        return Err(ApiError::unauthorized(format!(
            "bootstrap token has registered {max} agent(s), its max_registrations"
        )));
    }
    Ok(BootstrapRecord {
        id: BootstrapId::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("bootstrap id", e))?,
        labels: json_column(&row, 1).map_err(fail)?,
    })
}

/// `POST /v1/agents/register`: counts the registration against the bootstrap token and
/// returns the agent's first JWT. The labels are the bootstrap token's, overridden by the
/// agent's own metadata.
pub fn register(
    ctx: &SecretContext<'_>,
    bootstrap: &BootstrapRecord,
    registration: Registration,
) -> Result<Registered, ApiError> {
    let id = AgentId::generate().map_err(|e| internal("agent id", e))?;
    let mut labels = bootstrap.labels.clone();
    labels.extend(registration.metadata);
    let (token, expires_at) = jwt::mint(
        JwtKind::Agent,
        &signing_key(ctx.tenant_key),
        ctx.tenant_id,
        id.as_str(),
        ctx.now,
        AGENT_JWT_TTL_SECONDS,
    )
    .map_err(|e| internal("agent jwt", e))?;
    in_transaction(ctx.storage, "register agent", || {
        register_checks_name(ctx.storage, &registration.name)?;
        execute(
            ctx.storage,
            "UPDATE agent_bootstrap_tokens SET registrations = registrations + 1 WHERE id = ?",
            vec![bootstrap.id.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "INSERT INTO agents (id, name, hostname, os_type, labels, bootstrap_id, registered_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                registration.name.as_str().into(),
                registration.hostname.as_deref().into(),
                registration.os_type.as_deref().into(),
                json_text(&labels)?.into(),
                bootstrap.id.as_str().into(),
                ts(ctx.now),
            ],
        )?;
        Ok::<_, Failure>(())
    })?;
    Ok(Registered {
        id,
        token,
        expires_at,
        mtls_template_id: MTLS_TEMPLATE_ID.to_owned(),
    })
}

/// Names are unique among agents not revoked: grants may name an agent by its name (the
/// seed-002 face). A revoked agent's name may be taken again. Registered and minted agents
/// share the one namespace.
pub(crate) fn register_checks_name(storage: &Storage, name: &str) -> Result<(), Failure> {
    let taken = query_one(
        storage,
        "SELECT 1 FROM agents WHERE name = ? AND revoked_at IS NULL",
        vec![name.into()],
    )?
    .is_some();
    if taken {
        return Err(ApiError::conflict(format!(
            "an agent named '{name}' is already registered; choose another name, or revoke that agent first"
        ))
        .with("field", "name")
        .into());
    }
    Ok(())
}

/// Verifies an agent JWT and loads the agent with its grants: 401 when the JWT does not
/// verify, has expired, or names an agent that is unknown or revoked.
pub fn authenticate_agent(
    storage: &Storage,
    tenant_id: &TenantId,
    tenant_key: &TenantKey,
    token: &str,
    now: Timestamp,
) -> Result<AgentPrincipal, ApiError> {
    let id = jwt::verify(
        JwtKind::Agent,
        &signing_key(tenant_key),
        token,
        tenant_id,
        now,
    )
    .map_err(ApiError::unauthorized)
    .and_then(|sub| AgentId::parse(&sub).map_err(ApiError::unauthorized))?;
    let fail = |e: StorageError| internal("authenticate agent", e);
    let row = query_one(
        storage,
        "SELECT name, revoked_at, suspended_at, suspended_reason FROM agents WHERE id = ?",
        vec![id.as_str().into()],
    )
    .map_err(fail)?
    .ok_or_else(|| ApiError::unauthorized("agent not registered"))?;
    if let Some(at) = read_opt_ts(&row, 1).map_err(fail)? {
        return Err(ApiError::unauthorized(format!("agent was revoked at {at}")));
    }
    if let Some(at) = read_opt_ts(&row, 2).map_err(fail)? {
        let why = row.opt_text(3).map_err(fail)?.unwrap_or_default();
        return Err(ApiError::unauthorized(format!(
            "agent was suspended at {at} ({why}); an admin may reinstate it"
        )));
    }
    agent_principal(storage, id, row.text(0).map_err(fail)?).map_err(fail)
}

/// The agent with its grants that count (suspended ones do not): its whole reach.
pub(crate) fn agent_principal(
    storage: &Storage,
    id: AgentId,
    name: String,
) -> Result<AgentPrincipal, StorageError> {
    let grants = grants_of(storage, Some(&id))?
        .into_iter()
        .filter(|grant| grant.suspended_at.is_none())
        .collect();
    Ok(AgentPrincipal { id, name, grants })
}

/// The agent `id` as a principal, when it is registered, not revoked and not suspended: the
/// recipient of a value reserved for it (an approved password request).
pub fn live_agent(storage: &Storage, id: &AgentId) -> Result<Option<AgentPrincipal>, StorageError> {
    let Some(row) = query_one(
        storage,
        "SELECT name FROM agents WHERE id = ? AND revoked_at IS NULL AND suspended_at IS NULL",
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    agent_principal(storage, id.clone(), row.text(0)?).map(Some)
}

/// `POST /v1/agents/me/refresh-token`: a fresh JWT for an agent whose current one verifies.
pub fn refresh(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
) -> Result<AgentJwtIssued, ApiError> {
    let (token, expires_at) = jwt::mint(
        JwtKind::Agent,
        &signing_key(ctx.tenant_key),
        ctx.tenant_id,
        agent.id.as_str(),
        ctx.now,
        AGENT_JWT_TTL_SECONDS,
    )
    .map_err(|e| internal("agent jwt", e))?;
    Ok(AgentJwtIssued { token, expires_at })
}

const COMMAND_COLUMNS: &str = "id, type, params, created_at, delivered_at";

fn parse_command(row: &Row) -> Result<AgentCommand, StorageError> {
    let kind_text = row.text(1)?;
    Ok(AgentCommand {
        id: CommandId::parse(&row.text(0)?).map_err(StorageError)?,
        kind: CommandKind::parse(&kind_text)
            .ok_or_else(|| StorageError(format!("stored command type '{kind_text}'")))?,
        params: json_column(row, 2)?,
        created_at: read_ts(row, 3)?,
        delivered_at: read_opt_ts(row, 4)?,
    })
}

/// `POST /v1/agents/me/health`: stores the report and hands over the commands queued for
/// the agent, each once.
pub fn report_health(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    report: &HealthReport,
) -> Result<Vec<AgentCommand>, ApiError> {
    in_transaction(ctx.storage, "agent health", || {
        execute(
            ctx.storage,
            "UPDATE agents SET last_heartbeat = ?, report = ? WHERE id = ?",
            vec![
                ts(ctx.now),
                json_text(report)?.into(),
                agent.id.as_str().into(),
            ],
        )?;
        take_undelivered_commands(ctx, agent.id.as_str())
    })
}

/// The agent's commands not handed over yet, oldest first, marked delivered in the same
/// step: a heartbeat's reply or a socket's catch-up hands each command over once.
pub(crate) fn take_undelivered_commands(
    ctx: &SecretContext<'_>,
    agent_id: &str,
) -> Result<Vec<AgentCommand>, Failure> {
    let commands = query(
        ctx.storage,
        &format!(
            "SELECT {COMMAND_COLUMNS} FROM agent_commands
             WHERE agent_id = ? AND delivered_at IS NULL ORDER BY created_at, id"
        ),
        vec![agent_id.into()],
    )?
    .iter()
    .map(parse_command)
    .collect::<Result<Vec<_>, _>>()?;
    execute(
        ctx.storage,
        "UPDATE agent_commands SET delivered_at = ? WHERE agent_id = ? AND delivered_at IS NULL",
        vec![ts(ctx.now), agent_id.into()],
    )?;
    Ok(commands)
}

pub fn load_settings(storage: &Storage) -> Result<AgentSettings, StorageError> {
    let row = query_one(
        storage,
        "SELECT heartbeat_interval_seconds FROM agent_settings",
        vec![],
    )?;
    Ok(match row {
        Some(row) => AgentSettings {
            heartbeat_interval_seconds: read_count(&row, 0)?,
        },
        None => AgentSettings::default(),
    })
}

/// `PUT /v1/agents/settings`.
pub fn save_settings(
    storage: &Storage,
    settings: AgentSettings,
) -> Result<AgentSettings, ApiError> {
    execute(
        storage,
        "INSERT INTO agent_settings (singleton, heartbeat_interval_seconds) VALUES (1, ?)
         ON CONFLICT (singleton) DO UPDATE SET
            heartbeat_interval_seconds = excluded.heartbeat_interval_seconds",
        vec![V::Integer(
            i64::try_from(settings.heartbeat_interval_seconds).unwrap_or(i64::MAX),
        )],
    )
    .map_err(|e| internal("save agent settings", e))?;
    Ok(settings)
}

/// `GET /v1/agents`: status is derived now, from the last heartbeat and report.
pub fn list(
    ctx: &SecretContext<'_>,
    query_: &AgentQuery,
) -> Result<(Vec<AgentSummary>, Pagination), ApiError> {
    let fail = |e: StorageError| internal("list agents", e);
    let rules = StatusRules {
        interval_seconds: load_settings(ctx.storage)
            .map_err(fail)?
            .heartbeat_interval_seconds,
    };
    let rows = query(
        ctx.storage,
        "SELECT id, name, hostname, os_type, labels, registered_at, last_heartbeat, report,
            revoked_at, suspended_at, suspended_reason
         FROM agents ORDER BY registered_at, id",
        vec![],
    )
    .map_err(fail)?;
    let mut matching = Vec::new();
    for row in &rows {
        let summary = summarize(row, &rules, ctx.now).map_err(fail)?;
        if query_.admits(
            summary.status,
            &summary.labels,
            summary.hostname.as_deref(),
            &summary.name,
        ) {
            matching.push(summary);
        }
    }
    let total = matching.len() as u64;
    let skip =
        usize::try_from((query_.page - 1).saturating_mul(query_.per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(query_.per_page).unwrap_or(usize::MAX);
    let data = matching.into_iter().skip(skip).take(take).collect();
    Ok((
        data,
        Pagination {
            page: query_.page,
            per_page: query_.per_page,
            total,
        },
    ))
}

fn summarize(row: &Row, rules: &StatusRules, now: Timestamp) -> Result<AgentSummary, StorageError> {
    let report: Option<HealthReport> = match row.opt_text(7)? {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| StorageError(e.to_string()))?),
        None => None,
    };
    let registered_at = read_ts(row, 5)?;
    let last_heartbeat = read_opt_ts(row, 6)?;
    let revoked = read_opt_ts(row, 8)?.is_some();
    let suspended_at = read_opt_ts(row, 9)?;
    let suspended_reason = row.opt_text(10)?;
    // Seed 001: a revoked agent's status is `revoked`; a suspended one is `offline` (it may
    // be reinstated).
    let (status, status_reason) = match (revoked, suspended_at) {
        (false, Some(_)) => (
            latchkey_core::agent::AgentStatus::Offline,
            format!(
                "suspended: {}",
                suspended_reason.as_deref().unwrap_or("cascade")
            ),
        ),
        _ => rules.derive(registered_at, last_heartbeat, report.as_ref(), revoked, now),
    };
    Ok(AgentSummary {
        id: AgentId::parse(&row.text(0)?).map_err(StorageError)?,
        name: row.text(1)?,
        hostname: row.opt_text(2)?,
        status,
        status_reason,
        platform: row.opt_text(3)?,
        agent_version: report.as_ref().and_then(|r| r.agent_version.clone()),
        labels: json_column(row, 4)?,
        last_heartbeat,
        last_seen_at: last_heartbeat,
        managed_secrets: report.as_ref().and_then(|r| r.managed_secrets).unwrap_or(0),
        managed_certificates: report
            .as_ref()
            .and_then(|r| r.managed_certificates)
            .unwrap_or(0),
        registered_at,
        revoked,
        suspended_at,
        suspended_reason,
    })
}

/// The agent's row: 404 naming `field` when there is none; 409 when it was revoked and
/// `live` is asked for.
pub(crate) fn require_agent(
    storage: &Storage,
    id: &AgentId,
    field: &str,
    live: bool,
) -> Result<(), Failure> {
    let row = query_one(
        storage,
        "SELECT revoked_at, suspended_at FROM agents WHERE id = ?",
        vec![id.as_str().into()],
    )?
    .ok_or_else(|| ApiError::not_found(format!("agent '{id}' not found")).with("field", field))?;
    if live && let Some(at) = read_opt_ts(&row, 0)? {
        return Err(
            ApiError::conflict(format!("agent '{id}' was revoked at {at}"))
                .with("field", field)
                .into(),
        );
    }
    if live && let Some(at) = read_opt_ts(&row, 1)? {
        return Err(ApiError::conflict(format!(
            "agent '{id}' was suspended at {at}; an admin may reinstate it"
        ))
        .with("field", field)
        .into());
    }
    Ok(())
}

/// `POST /v1/agents/{id}/reinstate` (admin): an agent suspended by a cascading revocation may
/// act again. 404 for an unknown agent, 409 when it is not suspended.
pub fn reinstate(ctx: &SecretContext<'_>, id: &AgentId) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "reinstate agent", || {
        require_agent(ctx.storage, id, "id", false)?;
        if !crate::authorization::provenance::reinstate(ctx.storage, "agents", id.as_str())? {
            return Err(ApiError::conflict(format!("agent '{id}' is not suspended")).into());
        }
        Ok::<_, Failure>(())
    })
}

/// `POST /v1/agents/{id}/revoke`: its JWTs fail from the next request. Idempotent.
pub fn revoke(ctx: &SecretContext<'_>, id: &AgentId) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "revoke agent", || {
        require_agent(ctx.storage, id, "id", false)?;
        execute(
            ctx.storage,
            "UPDATE agents SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
            vec![ts(ctx.now), id.as_str().into()],
        )?;
        Ok::<_, Failure>(())
    })?;
    // Its open sockets close once this commits (issue 23).
    socket::announce(socket::Push::Revoked(id.clone()));
    Ok(())
}

/// `GET /v1/agents/{id}/commands`: the agent's newest `limit` commands (delivered or still
/// waiting for its heartbeat) and newest `limit` jobs, with where each stands.
pub fn activity(storage: &Storage, agent: &AgentId, limit: u64) -> Result<AgentActivity, ApiError> {
    // One transaction: the two lists are of one moment.
    in_transaction(storage, "list agent commands", || {
        require_agent(storage, agent, "id", false)?;
        let commands = query(
            storage,
            &format!(
                "SELECT {COMMAND_COLUMNS} FROM agent_commands
                 WHERE agent_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            vec![
                agent.as_str().into(),
                V::Integer(i64::try_from(limit).unwrap_or(50)),
            ],
        )?
        .iter()
        .map(parse_command)
        .collect::<Result<Vec<_>, _>>()?;
        let jobs = jobs::newest(storage, agent, limit)?;
        Ok::<_, Failure>(AgentActivity {
            agent_id: agent.clone(),
            commands,
            jobs,
        })
    })
}

/// `POST /v1/agents/{id}/commands`: queued until the agent's next heartbeat.
pub fn queue_command(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent: &AgentId,
    request: CommandRequest,
) -> Result<AgentCommand, ApiError> {
    let id = CommandId::generate().map_err(|e| internal("command id", e))?;
    in_transaction(ctx.storage, "queue agent command", || {
        require_agent(ctx.storage, agent, "id", true)?;
        execute(
            ctx.storage,
            "INSERT INTO agent_commands (id, agent_id, type, params, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                agent.as_str().into(),
                request.kind.as_str().into(),
                json_text(&request.params)?.into(),
                ts(ctx.now),
                principal.actor().into(),
            ],
        )?;
        Ok::<_, Failure>(())
    })?;
    let command = AgentCommand {
        id,
        kind: request.kind,
        params: request.params,
        created_at: ctx.now,
        delivered_at: None,
    };
    // Pushed to the agent's sockets once this commits (issue 23).
    socket::announce(socket::Push::Command(agent.clone(), command.clone()));
    Ok(command)
}

const GRANT_COLUMNS: &str =
    "id, agent_id, path, actions, cleared_tier, created_at, created_by, suspended_at";

fn parse_grant(row: &Row) -> Result<Grant, StorageError> {
    Ok(Grant {
        grant_id: latchkey_core::agent::GrantId::parse(&row.text(0)?).map_err(StorageError)?,
        agent_id: AgentId::parse(&row.text(1)?).map_err(StorageError)?,
        path: PathGlob::parse(&row.text(2)?).map_err(StorageError)?,
        actions: json_column(row, 3)?,
        cleared_tier: Tier::parse(&row.text(4)?).unwrap_or(Tier::Standard),
        created_at: read_ts(row, 5)?,
        created_by: row.text(6)?,
        suspended_at: read_opt_ts(row, 7)?,
    })
}

/// The grants of one agent, or of every agent.
pub fn grants_of(storage: &Storage, agent: Option<&AgentId>) -> Result<Vec<Grant>, StorageError> {
    let (filter, bindings) = match agent {
        Some(id) => ("WHERE agent_id = ?", vec![V::from(id.as_str())]),
        None => ("", vec![]),
    };
    query(
        storage,
        &format!("SELECT {GRANT_COLUMNS} FROM grants {filter} ORDER BY created_at, id"),
        bindings,
    )?
    .iter()
    .map(parse_grant)
    .collect()
}

/// `POST /v1/grants`. The caller must itself hold what it grants (as when minting a token),
/// and the grant is cleared for the highest tier it reaches now, no higher than the caller's:
/// secrets of a higher tier created under a glob later stay closed to the agent.
pub fn create_grant(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: GrantRequest,
) -> Result<Grant, ApiError> {
    let granted = ScopeSet::from_scopes(request.scopes());
    if let Some(uncovered) = principal.scopes().first_uncovered(&granted) {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "a caller can only grant what it holds itself; '{uncovered}' is not within '{}'",
                principal.scopes()
            ),
        )
        .with("required_scope", uncovered.to_string()));
    }
    let grant_id =
        latchkey_core::agent::GrantId::generate().map_err(|e| internal("grant id", e))?;
    in_transaction(ctx.storage, "create grant", || {
        require_agent(ctx.storage, &request.agent_id, "agent_id", true)?;
        let held = query_one(
            ctx.storage,
            "SELECT count(*) FROM grants WHERE agent_id = ?",
            vec![request.agent_id.as_str().into()],
        )?
        .map(|row| read_count(&row, 0))
        .transpose()?
        .unwrap_or(0);
        if held >= MAX_GRANTS_PER_AGENT as u64 {
            return Err(ApiError::validation(
                "agent_id",
                format!(
                    "agent '{}' already holds {MAX_GRANTS_PER_AGENT} grants, the limit",
                    request.agent_id
                ),
            )
            .into());
        }
        let reached = crate::policies::reach(ctx.storage, &granted)?.tier;
        let cleared_tier = match principal {
            Principal::Token(token) if token.cleared_tier < reached => token.cleared_tier,
            _ => reached,
        };
        let grant = Grant {
            grant_id: grant_id.clone(),
            agent_id: request.agent_id.clone(),
            path: request.path.clone(),
            actions: request.actions.clone(),
            cleared_tier,
            created_at: ctx.now,
            created_by: principal.actor(),
            suspended_at: None,
        };
        execute(
            ctx.storage,
            &format!("INSERT INTO grants ({GRANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"),
            vec![
                grant.grant_id.as_str().into(),
                grant.agent_id.as_str().into(),
                grant.path.to_string().into(),
                json_text(&grant.actions)?.into(),
                grant.cleared_tier.as_str().into(),
                ts(grant.created_at),
                grant.created_by.as_str().into(),
            ],
        )?;
        Ok::<_, Failure>(grant)
    })
}

/// `DELETE /v1/grants/{id}`: takes effect on the agent's next request.
pub fn delete_grant(storage: &Storage, id: &latchkey_core::agent::GrantId) -> Result<(), ApiError> {
    in_transaction(storage, "delete grant", || {
        let exists = query_one(
            storage,
            "SELECT 1 FROM grants WHERE id = ?",
            vec![id.as_str().into()],
        )?
        .is_some();
        if !exists {
            return Err(ApiError::not_found(format!("grant '{id}' not found"))
                .with("id", id.as_str())
                .into());
        }
        execute(
            storage,
            "DELETE FROM grants WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok::<_, Failure>(())
    })
}
