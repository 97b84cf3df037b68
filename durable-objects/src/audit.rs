//! The tenant's audit trail in its object: one chained event per action or denial, written in
//! the same transaction as the change it describes (`latchkey_core::audit` holds the chain).

use crate::rows::{read_count, read_ts, ts};
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
pub use latchkey_core::audit::{Actor, Origin};
use latchkey_core::audit::{
    AuditEvent, AuditPage, AuditQuery, ChainCheck, VerifyReport, encode_cursor, event_id, genesis,
};
use latchkey_core::{ApiError, TenantId, Timestamp};
use serde_json::{Map, Value};

/// An agent's read; refused, it becomes `vault.denied`.
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
    /// agent read becomes `vault.denied`.
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
