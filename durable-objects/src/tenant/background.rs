//! The tenant's background work, as the alarm runs it (the `object` module): counts kept in
//! memory written back, maintenance, the messages due to approvers and their outcomes, and
//! the audit events the D1 copy has not taken yet. Nothing here runs in a request's path, and
//! nothing here awaits: the object does the network calls between these steps.

use super::*;
use crate::approvals::notifications::Outgoing;
use crate::sql::Storage;
use crate::store::Failure;
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::agent::PasswordRequestId;
use latchkey_core::approval::ApprovalId;
use latchkey_core::audit::AuditEvent;
use latchkey_core::notification::RequestSummary;

/// What one maintenance run did.
pub struct Maintained {
    pub purged_secrets: u64,
}

impl Tenant {
    /// Writes back counts kept in memory and runs maintenance; `None` when there is no tenant.
    pub fn maintain(&self) -> Result<Option<Maintained>, ApiError> {
        let Some(loaded) = self.load()? else {
            return Ok(None);
        };
        let storage = self.storage();
        // Maintenance erases and expires versions behind the cache's back.
        self.secret_cache.clear();
        // Cleared first: counts taken while the alarm awaits set the next one.
        self.write_back_pending.set(false);
        let now = self.now();
        self.write_back(storage, now);
        let purged = maintenance::purge(&self.context(storage, &loaded, now));
        // The purge may have written events without the cache.
        self.audit_head.forget();
        Ok(Some(Maintained {
            purged_secrets: purged?.secrets,
        }))
    }

    /// The messages due to approvers, at most `limit`.
    pub fn due_messages(&self, limit: i64) -> Result<Vec<Outgoing>, ApiError> {
        let Some(loaded) = self.load()? else {
            return Ok(Vec::new());
        };
        let storage = self.storage();
        let ctx = self.context(storage, &loaded, self.now());
        let links = self.config.link_base.as_deref().map_err(|p| *p);
        notifications::due_messages(&ctx, &self.config.email_api, links, limit, &summary)
    }

    /// Records how one delivery went.
    pub fn record_delivery(
        &self,
        message: &Outgoing,
        outcome: Result<(), String>,
    ) -> Result<(), StorageError> {
        notifications::record_attempt(self.storage(), message.delivery_id, outcome, self.now())
    }

    /// The tenant and the next audit events the D1 copy has not taken, at most `limit`.
    pub fn unexported_events(
        &self,
        limit: u32,
    ) -> Result<Option<(TenantId, Vec<AuditEvent>)>, String> {
        self.export_pending.set(false);
        let Some(loaded) = self.load().map_err(|e| e.message)? else {
            return Ok(None);
        };
        let events = audit::unexported(self.storage(), limit).map_err(|e| e.to_string())?;
        Ok(Some((loaded.tenant_id.clone(), events)))
    }

    /// The D1 copy holds every event up to `seq`.
    pub fn mark_exported(&self, seq: u64) -> Result<(), StorageError> {
        audit::mark_exported(self.storage(), seq)
    }

    /// When the alarm must next run, if at all.
    pub fn next_maintenance(&self) -> Result<Option<Timestamp>, StorageError> {
        let now = self.now();
        let write_back_at = self.owes_writes().then(|| now.plus_seconds(1));
        let due = maintenance::next_due(self.storage(), self.config.retention_seconds, now)?;
        Ok(due.into_iter().chain(write_back_at).min())
    }
}

/// What the message about one request says, whatever its kind (issue 24: token, read, patch
/// and password requests all tell their stages' approvers); `None` once it is gone.
fn summary(
    storage: &Storage,
    request: &str,
    stage: Option<usize>,
    now: Timestamp,
) -> Result<Option<RequestSummary>, Failure> {
    if let Ok(id) = ApprovalId::parse(request) {
        crate::approvals::summary(storage, &id, stage)
    } else if let Ok(id) = AccessRequestId::parse(request) {
        crate::access_requests::stages::summary(storage, &id, stage, now)
    } else if let Ok(id) = PasswordRequestId::parse(request) {
        crate::agents::passwords::summary(storage, &id, stage)
    } else {
        Ok(None)
    }
}
