//! The tenant's audit trail in its object: one chained event per action or denial, written in
//! the same transaction as the change it describes (`latchkey_core::audit` holds the chain).

use crate::contract::{TenantCommand, TenantReply, TenantResult};
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{read_count, read_ts, ts};
use latchkey_core::audit::{
    AuditEvent, AuditPage, AuditQuery, ChainCheck, VerifyReport, encode_cursor, event_id, genesis,
};
use latchkey_core::{ApiError, TenantId, Timestamp};
use serde_json::{Map, Value, json};
use worker::{SqlStorageValue as V, Storage};

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `master`, `token:<id>`, `operator`, `system`, a link's approver, or `anonymous`.
    pub id: String,
    pub description: Option<String>,
}

impl Actor {
    pub fn named(id: &str) -> Self {
        Actor {
            id: id.to_owned(),
            description: None,
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
}

/// An agent's read (seed 002); refused, it becomes `vault.denied`.
pub const VAULT_ACCESSED: &str = "vault.accessed";

/// An event before it is numbered and chained.
#[derive(Debug, Clone)]
pub struct Draft {
    pub event_type: String,
    pub path: Option<String>,
    pub success: bool,
    pub reason: Option<String>,
    pub details: Map<String, Value>,
}

impl Draft {
    pub fn new(event_type: &str, path: Option<String>) -> Self {
        Draft {
            event_type: event_type.to_owned(),
            path,
            success: true,
            reason: None,
            details: Map::new(),
        }
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// A refusal: `success: false` and the error's code and message as the reason. A refused
    /// agent read is seed 002's `vault.denied`.
    pub fn refused(mut self, error: &ApiError) -> Self {
        if self.event_type == VAULT_ACCESSED {
            self.event_type = "vault.denied".into();
        }
        self.success = false;
        self.reason = Some(format!("{}: {}", error.code.as_str(), error.message));
        // A machine-readable cause (the broker's `host_not_allowed`, …) travels with it.
        if let Some(cause) = error.details.get("reason") {
            self.details.insert("refusal".into(), cause.clone());
        }
        // A call naming several secrets is recorded under the one that was refused.
        if self.event_type == "secret.used"
            && let Some(path) = error.details.get("path").and_then(|p| p.as_str())
        {
            self.path = Some(path.to_owned());
        }
        self
    }
}

const COLUMNS: &str = "seq, id, type, path, actor, actor_description, ip, user_agent, \
    timestamp, success, correlation_id, reason, details, prev_hash, hash";

fn parse_row(row: &Row) -> Result<AuditEvent, StorageError> {
    let details: Value =
        serde_json::from_str(&row.text(12)?).map_err(|e| StorageError(e.to_string()))?;
    Ok(AuditEvent {
        seq: read_count(row, 0)?,
        id: row.text(1)?,
        event_type: row.text(2)?,
        path: row.opt_text(3)?,
        actor: row.text(4)?,
        actor_description: row.opt_text(5)?,
        ip: row.opt_text(6)?,
        user_agent: row.opt_text(7)?,
        timestamp: read_ts(row, 8)?,
        success: row.int(9)? != 0,
        correlation_id: row.opt_text(10)?,
        reason: row.opt_text(11)?,
        details: match details {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        prev_hash: row.text(13)?,
        hash: row.text(14)?,
    })
}

/// The last event's `seq` and hash, or `0` and the tenant's genesis.
fn head(storage: &Storage, tenant: &TenantId) -> Result<(u64, String), StorageError> {
    match query_one(
        storage,
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
        vec![],
    )? {
        Some(row) => Ok((read_count(&row, 0)?, row.text(1)?)),
        None => Ok((0, genesis(tenant.as_str()))),
    }
}

/// Appends one event to the chain. Call it inside the transaction of the change it describes.
pub fn record(
    storage: &Storage,
    tenant: &TenantId,
    actor: &Actor,
    origin: &Origin,
    draft: Draft,
    now: Timestamp,
) -> Result<AuditEvent, StorageError> {
    let head = head(storage, tenant)?;
    record_after(storage, head, actor, origin, draft, now)
}

/// The chain's head kept in memory between requests, so recording an event costs one insert.
/// It is only trusted after the transaction that wrote it committed: `commit` after success,
/// `forget` after a failure or a write by another path (the alarm, `init`).
#[derive(Default)]
pub struct HeadCache {
    committed: std::cell::RefCell<Option<(u64, String)>>,
    pending: std::cell::RefCell<Option<(u64, String)>>,
}

impl HeadCache {
    /// [`record`], starting from the cached head when there is one.
    pub fn record(
        &self,
        storage: &Storage,
        tenant: &TenantId,
        actor: &Actor,
        origin: &Origin,
        draft: Draft,
        now: Timestamp,
    ) -> Result<AuditEvent, StorageError> {
        let known = self
            .pending
            .borrow()
            .clone()
            .or_else(|| self.committed.borrow().clone());
        let head = match known {
            Some(head) => head,
            None => head(storage, tenant)?,
        };
        let event = record_after(storage, head, actor, origin, draft, now)?;
        *self.pending.borrow_mut() = Some((event.seq, event.hash.clone()));
        Ok(event)
    }

    /// The transaction committed: the pending head is the head.
    pub fn commit(&self) {
        if let Some(head) = self.pending.borrow_mut().take() {
            *self.committed.borrow_mut() = Some(head);
        }
    }

    /// Something else may have written (or a transaction rolled back): read it again next time.
    pub fn forget(&self) {
        *self.pending.borrow_mut() = None;
        *self.committed.borrow_mut() = None;
    }
}

fn record_after(
    storage: &Storage,
    (last, prev): (u64, String),
    actor: &Actor,
    origin: &Origin,
    draft: Draft,
    now: Timestamp,
) -> Result<AuditEvent, StorageError> {
    let seq = last + 1;
    // Whole seconds: the RFC 3339 form every reader sees is then exactly what was hashed, so a
    // customer can recompute the chain from an export. `seq` keeps the order.
    let now =
        Timestamp::from_unix_ms(now.unix_ms() - now.unix_ms().rem_euclid(1000)).unwrap_or(now);
    let mut event = AuditEvent {
        id: event_id(seq),
        seq,
        event_type: draft.event_type,
        path: draft.path,
        actor: actor.id.clone(),
        actor_description: actor.description.clone(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        timestamp: now,
        success: draft.success,
        correlation_id: origin.correlation_id.clone(),
        reason: draft.reason,
        details: draft.details,
        prev_hash: String::new(),
        hash: String::new(),
    };
    event.seal(&prev);
    let details = serde_json::to_string(&event.details).map_err(|e| StorageError(e.to_string()))?;
    execute(
        storage,
        &format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        vec![
            V::Integer(i64::try_from(seq).unwrap_or(i64::MAX)),
            event.id.as_str().into(),
            event.event_type.as_str().into(),
            event.path.clone().into(),
            event.actor.as_str().into(),
            event.actor_description.clone().into(),
            event.ip.clone().into(),
            event.user_agent.clone().into(),
            ts(now),
            V::Integer(i64::from(event.success)),
            event.correlation_id.clone().into(),
            event.reason.clone().into(),
            details.into(),
            event.prev_hash.as_str().into(),
            event.hash.as_str().into(),
        ],
    )?;
    Ok(event)
}

/// The WHERE clause of a query (without its cursor).
fn filter(query: &AuditQuery) -> (String, Vec<V>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    if let Some(namespace) = &query.namespace {
        clauses.push("(path = ? OR substr(path, 1, length(?) + 1) = ? || '/')");
        bindings.extend([
            namespace.as_str().into(),
            namespace.as_str().into(),
            namespace.as_str().into(),
        ]);
    }
    if let Some(actor) = &query.actor {
        clauses.push("actor = ?");
        bindings.push(actor.as_str().into());
    }
    if let Some(event_type) = &query.event_type {
        clauses.push("type = ?");
        bindings.push(event_type.as_str().into());
    }
    if let Some(since) = query.since {
        clauses.push("timestamp >= ?");
        bindings.push(ts(since));
    }
    if let Some(until) = query.until {
        clauses.push("timestamp <= ?");
        bindings.push(ts(until));
    }
    if let Some(success) = query.success {
        clauses.push("success = ?");
        bindings.push(V::Integer(i64::from(success)));
    }
    if let Some(correlation_id) = &query.correlation_id {
        clauses.push("correlation_id = ?");
        bindings.push(correlation_id.as_str().into());
    }
    if let Some(before) = query.before_seq {
        clauses.push("seq < ?");
        bindings.push(V::Integer(i64::try_from(before).unwrap_or(i64::MAX)));
    }
    let filter = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    (filter, bindings)
}

/// One page, newest first; the cursor points below the last event returned.
pub fn page(storage: &Storage, query: &AuditQuery) -> Result<AuditPage, StorageError> {
    let (filter, mut bindings) = filter(query);
    bindings.push(V::Integer(i64::from(query.limit) + 1));
    let rows = query_rows(
        storage,
        &format!("SELECT {COLUMNS} FROM audit_events WHERE {filter} ORDER BY seq DESC LIMIT ?"),
        bindings,
    )?;
    let mut events = rows;
    let next_cursor = if events.len() > query.limit as usize {
        events.truncate(query.limit as usize);
        events.last().map(|last| encode_cursor(last.seq))
    } else {
        None
    };
    Ok(AuditPage {
        events,
        next_cursor,
    })
}

fn query_rows(
    storage: &Storage,
    sql: &str,
    bindings: Vec<V>,
) -> Result<Vec<AuditEvent>, StorageError> {
    query(storage, sql, bindings)?
        .iter()
        .map(parse_row)
        .collect()
}

/// Events after `after_seq`, oldest first (the live stream).
pub fn since(
    storage: &Storage,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<AuditEvent>, StorageError> {
    query_rows(
        storage,
        &format!("SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"),
        vec![
            V::Integer(i64::try_from(after_seq).unwrap_or(i64::MAX)),
            V::Integer(i64::from(limit)),
        ],
    )
}

/// The newest event's `seq` (where a new stream starts).
pub fn last_seq(storage: &Storage) -> Result<u64, StorageError> {
    match query_one(storage, "SELECT max(seq) FROM audit_events", vec![])? {
        Some(row) => Ok(row.opt_int(0)?.map_or(0, |n| u64::try_from(n).unwrap_or(0))),
        None => Ok(0),
    }
}

/// Walks the whole chain, a thousand events at a time.
pub fn verify(storage: &Storage, tenant: &TenantId) -> Result<VerifyReport, StorageError> {
    let mut check = ChainCheck::new(tenant.as_str());
    let mut after = 0u64;
    loop {
        let batch = since(storage, after, 1000)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.seq;
        for event in &batch {
            check.feed(event);
        }
    }
    let (_, stored_head) = head(storage, tenant)?;
    Ok(check.finish(Some(&stored_head)))
}

/// Events not yet copied to D1, oldest first.
pub fn unexported(storage: &Storage, limit: u32) -> Result<Vec<AuditEvent>, StorageError> {
    let cursor = match query_one(storage, "SELECT exported_seq FROM audit_export", vec![])? {
        Some(row) => read_count(&row, 0)?,
        None => 0,
    };
    since(storage, cursor, limit)
}

pub fn mark_exported(storage: &Storage, seq: u64) -> Result<(), StorageError> {
    execute(
        storage,
        "INSERT INTO audit_export (singleton, exported_seq) VALUES (1, ?)
         ON CONFLICT (singleton) DO UPDATE SET exported_seq = max(exported_seq, excluded.exported_seq)",
        vec![V::Integer(i64::try_from(seq).unwrap_or(i64::MAX))],
    )
}

fn path_of(command: &TenantCommand) -> Option<String> {
    use TenantCommand as C;
    match command {
        C::CreateSecret { secret } => Some(secret.path.to_string()),
        C::GetSecret { path, .. }
        | C::UpdateSecret { path, .. }
        | C::RotateSecret { path, .. }
        | C::ListVersions { path }
        | C::DeleteSecret { path, .. }
        | C::RestoreSecret { path }
        | C::SetField { path, .. }
        | C::SetFields { path, .. }
        | C::GetField { path, .. }
        | C::GetFields { path }
        | C::DeleteField { path, .. }
        | C::KvRead { path, .. }
        | C::KvWrite { path, .. }
        | C::KvMetadata { path }
        | C::KvDelete { path, .. }
        | C::KvUndelete { path, .. }
        | C::KvDestroy { path, .. } => Some(path.to_string()),
        C::UseSecrets { secrets, .. } => secrets.first().map(|s| s.path.to_string()),
        C::KvList { prefix } => prefix.as_ref().map(ToString::to_string),
        C::ListSecrets { query } => query.namespace.as_ref().map(ToString::to_string),
        _ => None,
    }
}

/// The event a command will record, before its result is known.
pub fn draft_for(command: &TenantCommand) -> Draft {
    use TenantCommand as C;
    let path = path_of(command);
    let event_type = match command {
        C::CreateSecret { .. } => "secret.created",
        C::GetSecret { .. } => "secret.read",
        C::UpdateSecret { .. } => "secret.updated",
        C::RotateSecret { .. } => "secret.rotated",
        C::ListVersions { .. } => "secret.versions_listed",
        C::DeleteSecret {
            permanent: true, ..
        } => "secret.destroyed",
        C::DeleteSecret { .. } => "secret.deleted",
        C::RestoreSecret { .. } => "secret.restored",
        C::ListSecrets { .. } => "secret.listed",
        C::SetField { .. } | C::SetFields { .. } => "field.set",
        C::GetField { .. } | C::GetFields { .. } => "field.read",
        C::DeleteField { .. } => "field.deleted",
        C::Info => "tenant.info_read",
        C::Touch => "password.generated",
        C::CreateToken { .. } => "token.created",
        C::ListTokens => "token.listed",
        C::RevokeToken { .. } => "token.revoked",
        C::GetApproval { .. } => "approval.read",
        C::ListApprovals { .. } => "approval.listed",
        C::ApproveRequest { .. } | C::DecideByLink { approve: true, .. } => "approval.approved",
        C::DenyRequest { .. } | C::DecideByLink { approve: false, .. } => "approval.denied",
        C::CancelRequest { .. } => "approval.cancelled",
        C::ReviewLink { .. } => "approval.link_opened",
        C::GetPolicies => "policy.read",
        C::SetPolicies { .. } => "policy.updated",
        C::GetNotifications => "notifications.read",
        C::SetNotifications { .. } => "notifications.updated",
        C::ReadAudit { .. } => "audit.read",
        C::VerifyAudit => "audit.verified",
        C::OpenStream { .. } | C::PollStream { .. } => "audit.streamed",
        C::Init { .. } => "tenant.created",
        C::SetPlan { .. } => "tenant.plan_changed",
        C::Ping => "ping",
        C::BenchBaseline => "bench",
        C::CreateBootstrap { .. } => "agent.bootstrap_created",
        C::RegisterAgent { .. } => "agent.registered",
        C::RefreshAgentToken => "agent.token_refreshed",
        C::ReportHealth { .. } => "agent.heartbeat",
        C::AgentSecrets => "agent.secrets_listed",
        C::ListAgents { .. } => "agent.listed",
        C::RevokeAgent { .. } => "agent.revoked",
        C::ReinstateAgent { .. } => "agent.reinstated",
        C::ReinstateUser { .. } => "user.reinstated",
        C::QueueAgentCommand { .. } => "agent.command_queued",
        C::GetAgentSettings => "agent.settings_read",
        C::SetAgentSettings { .. } => "agent.settings_updated",
        C::CreateGrant { .. } => "grant.created",
        C::ListGrants { .. } => "grant.listed",
        C::DeleteGrant { .. } => "grant.deleted",
        C::ReportCertificates { .. } => "agent.certificates_discovered",
        C::ReportSshKeys { .. } => "agent.ssh_keys_discovered",
        C::AgentDiscovery { .. } => "agent.discovery_read",
        C::AgentCertificates => "agent.certificates_listed",
        C::CreatePasswordRequest { .. } => "password_request.created",
        C::CollectPasswordRequests => "password_request.collected",
        C::ListPasswordRequests { .. } => "password_request.listed",
        C::ApprovePasswordRequest { .. } => "password_request.approved",
        C::RejectPasswordRequest { .. } => "password_request.rejected",
        C::LoginChallenge { .. } | C::Login { .. } => "user.login",
        C::CreateUser { .. } => "user.created",
        C::ListUsers => "user.listed",
        C::DeleteUser { .. } => "user.deleted",
        C::UserRoles { .. } => "user.roles_read",
        C::Permissions => "permission.listed",
        C::CreateRole { .. } => "role.created",
        C::ListRoles => "role.listed",
        C::GetRole { .. } => "role.read",
        C::SetRolePermissions { .. } => "role.updated",
        C::DeleteRole { .. } => "role.deleted",
        C::CreateUserRole { .. } => "user_role.created",
        C::ListUserRoles { .. } => "user_role.listed",
        C::DeleteUserRole { .. } => "user_role.deleted",
        C::CreateAccessRequest { .. } => "request.created",
        C::ListAccessRequests { .. } => "request.listed",
        C::GetAccessRequest { .. } => "request.read",
        C::ApproveAccess { .. } => "request.approved",
        C::RejectAccess { .. } => "request.rejected",
        C::CancelAccess { .. } => "request.cancelled",
        C::RequestWraps { .. } => "wrap.listed",
        C::RequestWrap { .. } | C::Unwrap { .. } => "wrap.unwrapped",
        C::CreateWrap { .. } => "wrap.created",
        C::KvRead { .. } => "secret.read",
        C::KvWrite { .. } => "secret.updated",
        C::KvMetadata { .. } => "secret.versions_listed",
        C::KvList { .. } => "secret.listed",
        C::KvDelete { .. } => "secret.versions_deleted",
        C::KvUndelete { .. } => "secret.versions_undeleted",
        C::KvDestroy { .. } => "secret.versions_destroyed",
        C::UseSecrets { .. } | C::FinishUse { .. } => "secret.used",
    };
    let mut draft = Draft::new(event_type, path);
    if command.is_vault() {
        draft = draft.detail("api", "vault");
    }
    match command {
        C::UseSecrets { secrets, target } => {
            draft.details = crate::broker::call_details(target, secrets);
        }
        C::KvRead {
            version: Some(v), ..
        } => draft = draft.detail("version", *v),
        C::KvWrite { write, .. } => {
            let names: Vec<Value> = write.data.0.keys().map(|k| json!(k.as_str())).collect();
            draft = draft.detail("fields", names)
        }
        C::KvDelete {
            versions: Some(versions),
            ..
        }
        | C::KvUndelete { versions, .. }
        | C::KvDestroy { versions, .. } => draft = draft.detail("versions", json!(versions)),
        C::GetSecret {
            version: Some(v), ..
        } => draft = draft.detail("version", *v),
        C::SetField { field, .. } | C::GetField { field, .. } | C::DeleteField { field, .. } => {
            draft = draft.detail("field", field.as_str())
        }
        C::SetFields { fields, .. } => {
            let names: Vec<Value> = fields.0.keys().map(|k| json!(k.as_str())).collect();
            draft = draft.detail("fields", names)
        }
        C::CreateToken { request, .. } => draft = draft.detail("scope", request.scope.to_string()),
        C::RevokeToken { id } => draft = draft.detail("token_id", id.as_str()),
        C::GetApproval { id }
        | C::ApproveRequest { id, .. }
        | C::DenyRequest { id, .. }
        | C::CancelRequest { id }
        | C::ReviewLink { id, .. }
        | C::DecideByLink { id, .. } => draft = draft.detail("approval_id", id.as_str()),
        C::RegisterAgent { registration } => {
            draft = draft.detail("name", registration.name.as_str())
        }
        C::RevokeAgent { id } | C::ReinstateAgent { id } => {
            draft = draft.detail("agent_id", id.as_str())
        }
        C::ReinstateUser { id } => draft = draft.detail("user_id", id.as_str()),
        C::QueueAgentCommand { id, command } => {
            draft = draft
                .detail("agent_id", id.as_str())
                .detail("command", command.kind.as_str())
        }
        C::SetAgentSettings { settings } => {
            draft = draft.detail(
                "heartbeat_interval_seconds",
                settings.heartbeat_interval_seconds,
            )
        }
        C::CreateGrant { request } => {
            let actions: Vec<Value> = request.actions.iter().map(|a| json!(a.as_str())).collect();
            draft = draft
                .detail("agent_id", request.agent_id.as_str())
                .detail("grant_path", request.path.to_string())
                .detail("actions", actions)
        }
        C::DeleteGrant { id } => draft = draft.detail("grant_id", id.as_str()),
        C::ReportCertificates { certificates } => draft = draft.detail("count", certificates.len()),
        C::ReportSshKeys { keys } => draft = draft.detail("count", keys.len()),
        C::AgentDiscovery { id } => draft = draft.detail("agent_id", id.as_str()),
        C::ApprovePasswordRequest { id } | C::RejectPasswordRequest { id, .. } => {
            draft = draft.detail("password_request_id", id.as_str())
        }
        C::Login { email, .. } => draft = draft.detail("email", email.as_str()),
        C::CreateUser { user } => draft = draft.detail("email", user.email.as_str()),
        C::DeleteUser { id } | C::UserRoles { id } => draft = draft.detail("user_id", id.as_str()),
        C::GetRole { id } | C::DeleteRole { id } => draft = draft.detail("role_id", id.as_str()),
        C::SetRolePermissions { id, permissions } => {
            let permissions: Vec<Value> =
                permissions.iter().map(|p| json!(p.to_string())).collect();
            draft = draft
                .detail("role_id", id.as_str())
                .detail("permissions", permissions)
        }
        C::CreateRole { role } => {
            let permissions: Vec<Value> = role
                .permissions
                .iter()
                .map(|p| json!(p.to_string()))
                .collect();
            draft = draft
                .detail("name", role.name.as_str())
                .detail("permissions", permissions)
        }
        C::CreateUserRole { request } => {
            draft = draft
                .detail("user_id", request.user_id.as_str())
                .detail("role_id", request.role_id.as_str())
        }
        C::DeleteUserRole { id } => draft = draft.detail("user_role_id", id.as_str()),
        C::CreateAccessRequest { request } => {
            draft = Draft {
                path: Some(request.path.to_string()),
                ..draft
            }
            .detail("kind", request.kind.as_str())
        }
        C::GetAccessRequest { id }
        | C::ApproveAccess { id, .. }
        | C::RejectAccess { id, .. }
        | C::CancelAccess { id }
        | C::RequestWraps { id } => draft = draft.detail("request_id", id.as_str()),
        C::RequestWrap { id, wrap_id } => {
            draft = draft
                .detail("request_id", id.as_str())
                .detail("wrap_id", wrap_id.as_str())
        }
        C::CreateWrap { wrap } => {
            draft = Draft {
                path: wrap.path().map(ToString::to_string),
                ..draft
            }
            .detail("ttl_seconds", wrap.ttl_seconds)
        }
        C::SetPlan {
            plan,
            rate_limit_per_minute,
        } => {
            draft = draft
                .detail("plan", plan.as_str())
                .detail("rate_limit_per_minute", *rate_limit_per_minute)
        }
        _ => {}
    }
    draft
}

/// Completes a draft with what the command's result says.
pub fn complete(draft: Draft, result: &TenantResult) -> Draft {
    match result {
        Err(error) => draft.refused(error),
        Ok(reply) => match reply {
            TenantReply::SecretCreated(created) => draft.detail("version", created.version),
            TenantReply::Secret(read) => draft.detail("version", read.version),
            TenantReply::SecretUpdated(updated) => draft.detail("version", updated.version),
            TenantReply::SecretRotated(rotated) => draft
                .detail("old_version", rotated.old_version)
                .detail("new_version", rotated.new_version),
            TenantReply::SecretList(page) => draft.detail("count", page.items.len()),
            TenantReply::TokenCreated(created) => draft.detail("token_id", created.id.as_str()),
            TenantReply::BootstrapCreated(created) => draft
                .detail("bootstrap_id", created.id.as_str())
                .detail("max_registrations", created.max_registrations),
            TenantReply::AgentRegistered(registered) => {
                draft.detail("agent_id", registered.id.as_str())
            }
            TenantReply::GrantCreated(grant) => draft.detail("grant_id", grant.grant_id.as_str()),
            TenantReply::PasswordRequest(view) => Draft {
                path: Some(view.path.to_string()),
                ..draft
            }
            .detail("password_request_id", view.id.as_str())
            .detail("version", view.version),
            TenantReply::PasswordRequests { data } => draft.detail(
                "delivered",
                data.iter().filter(|v| v.password.is_some()).count(),
            ),
            TenantReply::ApprovalPending(view) => Draft {
                event_type: "approval.requested".into(),
                ..draft
            }
            .detail("approval_id", view.id.as_str())
            .detail("required_approvals", view.required_approvals)
            .detail("tier", view.tier.as_str()),
            TenantReply::Approval(view)
                if view.token.as_ref().is_some_and(|t| t.value.is_some()) =>
            {
                Draft {
                    event_type: "approval.released".into(),
                    ..draft
                }
                .detail(
                    "token_id",
                    view.token
                        .as_ref()
                        .map(|t| t.id.to_string())
                        .unwrap_or_default(),
                )
            }
            TenantReply::Approval(view) | TenantReply::LinkReview { view, .. } => {
                draft.detail("status", view.status.as_str())
            }
            TenantReply::Policies(policies) => draft.detail("rules", policies.rules.len()),
            TenantReply::User(user) => draft.detail("user_id", user.id.as_str()),
            TenantReply::Role(role) => draft.detail("role_id", role.id.as_str()),
            TenantReply::UserRole(assignment) => {
                draft.detail("user_role_id", assignment.id.as_str())
            }
            TenantReply::AccessRequest { request } => Draft {
                path: Some(request.path.to_string()),
                ..draft
            }
            .detail("request_id", request.id.as_str())
            .detail("status", request.status.as_str())
            .detail("required_approvals", request.required_approvals)
            .detail("wrap_id", request.wrap_id.as_ref().map(|w| w.to_string()))
            .detail("applied_version", request.applied_version),
            TenantReply::AccessRequests { requests } => draft.detail("count", requests.len()),
            TenantReply::WrapCreated(created) => draft
                .detail("wrap_id", created.id.as_str())
                .detail("version", created.version),
            TenantReply::Unwrapped(unwrapped) => Draft {
                path: unwrapped.path.as_ref().map(ToString::to_string),
                ..draft
            }
            .detail("wrap_id", unwrapped.id.as_str())
            .detail("version", unwrapped.version),
            _ => draft,
        },
    }
}

/// Whether a command is recorded at all: stream polls are not (each would land on the stream
/// it feeds), nor are probes.
pub fn is_recorded(command: &TenantCommand) -> bool {
    !matches!(
        command,
        TenantCommand::PollStream { .. } | TenantCommand::Ping
        // Every agent reports every interval: its last report is on its row, and the
        // trail would otherwise be mostly heartbeats.
            | TenantCommand::ReportHealth { .. }
    )
}

/// Limits events that anyone can cause without a valid credential (failed authentication,
/// refused links): per minute, so nobody can grow a tenant's storage by sending garbage.
pub struct UnauthenticatedBudget {
    minute: std::cell::Cell<i64>,
    used: std::cell::Cell<u32>,
}

pub const UNAUTHENTICATED_EVENTS_PER_MINUTE: u32 = 100;

impl UnauthenticatedBudget {
    pub fn new() -> Self {
        UnauthenticatedBudget {
            minute: std::cell::Cell::new(0),
            used: std::cell::Cell::new(0),
        }
    }

    /// Takes one unit of the current minute's budget; `false` when it is spent.
    pub fn take(&self, now: Timestamp) -> bool {
        let minute = now.unix_ms() / 60_000;
        if self.minute.get() != minute {
            self.minute.set(minute);
            self.used.set(0);
        }
        let used = self.used.get();
        if used >= UNAUTHENTICATED_EVENTS_PER_MINUTE {
            return false;
        }
        self.used.set(used + 1);
        true
    }
}

impl Default for UnauthenticatedBudget {
    fn default() -> Self {
        Self::new()
    }
}
