//! Work no request asks for: purging soft-deleted secrets once their restore window is over,
//! dropping rotated versions' ciphertexts once their grace period ends, and expiring approval
//! requests nobody decided. Both run from the
//! object's alarm, which is always set for the earliest such moment; running early or twice
//! does nothing, so the alarm is idempotent.

use crate::audit::{self, Actor, Draft, Origin};
use crate::sql::Storage;
use crate::sql::{StorageError, query, query_one};
use crate::store::{
    SecretContext, drop_expired_ciphertexts, erase_secret, in_transaction, read_count, read_opt_ts,
    ts,
};
use latchkey_core::tenant::TenantInfo;
use latchkey_core::{ApiError, Plan, SecretPath, TenantId, Timestamp};

/// What one maintenance run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub secrets: u64,
    pub approvals: u64,
    /// Broker calls the Worker never finished, recorded as unfinished.
    pub calls: u64,
}

/// Erases every secret deleted at least `retention_seconds` ago, and the ciphertexts of
/// versions whose grace period is over, in one transaction.
pub fn purge(ctx: &SecretContext<'_>) -> Result<Purged, ApiError> {
    let cutoff = ctx.now.plus_seconds(-ctx.retention_seconds);
    let system = Actor::named("system");
    let origin = Origin::default();
    in_transaction(ctx.storage, "purge", || {
        let rows = query(
            ctx.storage,
            "SELECT path FROM secrets WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
            vec![ts(cutoff)],
        )?;
        let mut purged = Purged::default();
        for row in rows {
            let path = SecretPath::parse(&row.text(0)?)
                .map_err(|e| StorageError(format!("stored path: {e}")))?;
            erase_secret(ctx.storage, &path)?;
            let draft = Draft::new("secret.destroyed", Some(path.to_string()))
                .detail("cause", "restore window over");
            audit::record(ctx.storage, ctx.tenant_id, &system, &origin, draft, ctx.now)?;
            purged.secrets += 1;
        }
        drop_expired_ciphertexts(ctx.storage, None, ctx.now)?;
        for id in crate::approvals::expire(ctx.storage, ctx.now)? {
            let draft = Draft::new("approval.expired", None).detail("approval_id", id);
            audit::record(ctx.storage, ctx.tenant_id, &system, &origin, draft, ctx.now)?;
            purged.approvals += 1;
        }
        for id in crate::access_requests::expire(ctx.storage, ctx.now)? {
            let draft = Draft::new("request.expired", None).detail("request_id", id);
            audit::record(ctx.storage, ctx.tenant_id, &system, &origin, draft, ctx.now)?;
            purged.approvals += 1;
        }
        crate::wraps::erase_expired(ctx.storage, ctx.now)?;
        crate::agents::carried::erase_expired(ctx.storage, ctx.now)?;
        purged.calls += crate::broker::sweep_unfinished(ctx.storage, ctx.tenant_id, ctx.now)?;
        Ok(purged)
    })
}

/// How long new audit events wait before they are copied to D1 together.
pub const EXPORT_DELAY_SECONDS: i64 = 5;

/// When maintenance next has something to do, if ever: the earliest end of a restore window
/// or of a grace period whose ciphertext is still stored.
pub fn next_due(
    storage: &Storage,
    retention_seconds: i64,
    now: Timestamp,
) -> Result<Option<Timestamp>, StorageError> {
    let row = query_one(
        storage,
        "SELECT (SELECT min(deleted_at) FROM secrets WHERE deleted_at IS NOT NULL),
                (SELECT min(expires_at) FROM secret_versions
                 WHERE expires_at IS NOT NULL AND length(ciphertext) > 0)",
        vec![],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let purge_at = read_opt_ts(&row, 0)?.map(|at| at.plus_seconds(retention_seconds));
    let drop_at = read_opt_ts(&row, 1)?;
    let expire_at = crate::approvals::next_expiry(storage)?;
    let request_expire_at = crate::access_requests::next_expiry(storage)?;
    let wrap_expire_at = crate::wraps::next_expiry(storage)?;
    let agent_wrap_expire_at = crate::agents::carried::next_expiry(storage)?;
    let deliver_at = crate::approvals::notifications::next_attempt(storage)?;
    let sweep_at = crate::broker::next_sweep(storage)?;
    // Events not yet copied to D1: soon, in a batch (not one alarm per request).
    let export_at = if audit::unexported(storage, 1)?.is_empty() {
        None
    } else {
        Some(now.plus_seconds(EXPORT_DELAY_SECONDS))
    };
    Ok([
        purge_at,
        drop_at,
        expire_at,
        request_expire_at,
        wrap_expire_at,
        agent_wrap_expire_at,
        deliver_at,
        sweep_at,
        export_at,
    ]
    .into_iter()
    .flatten()
    .min())
}

/// `GET /v1/info`.
pub fn info(
    ctx: &SecretContext<'_>,
    tenant_id: &TenantId,
    plan: Plan,
) -> Result<TenantInfo, ApiError> {
    in_transaction(ctx.storage, "info", || {
        let row = query_one(
            ctx.storage,
            "SELECT (SELECT count(*) FROM secrets WHERE deleted_at IS NULL),
                    (SELECT count(*) FROM secrets WHERE deleted_at IS NOT NULL),
                    (SELECT count(*) FROM secret_versions WHERE length(ciphertext) > 0),
                    (SELECT count(*) FROM secret_fields)",
            vec![],
        )?
        .ok_or_else(|| StorageError("count query returned no row".into()))?;
        Ok(TenantInfo {
            tenant_id: tenant_id.clone(),
            plan,
            secret_count: read_count(&row, 0)?,
            deleted_count: read_count(&row, 1)?,
            version_count: read_count(&row, 2)?,
            field_count: read_count(&row, 3)?,
            storage_bytes: ctx.storage.size_bytes(),
        })
    })
}
