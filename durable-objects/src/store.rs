//! What every command on a tenant's secrets shares: its context, its transaction wrapper, the
//! `secrets` row, and sealing and opening values bound to where they are stored.

pub use crate::rows::{
    Failure, in_transaction, internal, json_column, json_text, opt_ts, read_count, read_opt_ts,
    read_ts, ts, version_value,
};
pub use crate::secret_rows::{
    SECRET_COLUMN_COUNT, SECRET_COLUMNS, SecretRow, deleted, deleted_conflict,
    drop_expired_ciphertexts, erase_rows, erase_secret, live_secret, load_secret, not_found,
    parse_secret_row, zero_sealed,
};
use crate::sql::Storage;
use latchkey_core::crypto::{Binding, Sealed, TenantKey};
use latchkey_core::gate::Clearance;
use latchkey_core::secret::Tier;
use latchkey_core::{ApiError, SecretPath, TenantId, Timestamp};

/// The sealing purpose of a secret's main value (fields use `field:<name>`).
pub const VALUE_PURPOSE: &str = "value";

/// What a secret command works with: the tenant's storage and key, the time it runs at, and
/// how long soft-deleted secrets stay restorable.
pub struct SecretContext<'a> {
    pub storage: &'a Storage,
    pub tenant_id: &'a TenantId,
    pub tenant_key: &'a TenantKey,
    pub now: Timestamp,
    pub retention_seconds: i64,
    /// For a caller with a clearance, what it was cleared for: a read, an update and a
    /// rotation check it against the row they load anyway, instead of a lookup of their own
    /// (`gate::admit_command` does it for the other commands). `None` for the master key.
    pub clearance: Option<Clearance>,
    /// The approval policies, loaded once and kept until they change.
    pub policy_cache: &'a crate::policies::PolicyCache,
    /// Events a command records beside its own, in its transaction (a cascade's changes).
    pub also_record: &'a std::cell::RefCell<Vec<crate::audit::Draft>>,
    /// The request's `X-Latchkey-Purpose`, recorded with broker uses.
    pub purpose: Option<&'a str>,
    /// The API the request came through when not REST (`mcp`), for events written after it
    /// (broker calls).
    pub api: Option<&'static str>,
    /// Where the request came from, for events written after it (broker calls).
    pub origin: Option<&'a crate::audit::Origin>,
    /// Secrets read recently ([`crate::secret_cache`]); a read looks here first.
    pub secret_cache: &'a crate::secret_cache::SecretCache,
    /// For a token cleared through `POST /v1/tokens`, the explicit workflows that cleared it
    /// (issue 24): a secret another workflow (or a newer revision) governs stays closed.
    pub cleared_workflows: Option<&'a [latchkey_core::workflow::progress::WorkflowStamp]>,
}

/// The live secret at `path` for a caller cleared up to `ctx.cleared_tier`: the tier is
/// checked against the row it loads (deleted or not, as `gate::admit_command` would) before
/// anything else, which spares a write a separate lookup of the tier.
pub fn live_secret_within_tier(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
) -> Result<SecretRow, Failure> {
    let row = load_secret(ctx.storage, path)?.ok_or_else(|| not_found(path))?;
    check_live_within_tier(ctx, path, &row)?;
    Ok(row)
}

/// [`live_secret_within_tier`]'s checks on a row already loaded.
pub fn check_live_within_tier(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    row: &SecretRow,
) -> Result<(), Failure> {
    ctx.check_clearance(path, row.metadata.tier)?;
    if row.deleted_at.is_some() {
        return Err(deleted(path).into());
    }
    Ok(())
}

/// The live, unexpired secret at `path`: what a read needs.
pub fn readable_secret(
    storage: &Storage,
    path: &SecretPath,
    now: Timestamp,
) -> Result<SecretRow, Failure> {
    let row = live_secret(storage, path)?;
    if let Some(expired) = row.metadata.expires_at.filter(|at| *at <= now) {
        return Err(
            ApiError::not_found(format!("secret '{path}' expired at {expired}"))
                .with("path", path.as_str())
                .into(),
        );
    }
    Ok(row)
}

impl SecretContext<'_> {
    /// The policies (cached in the object's memory).
    pub fn policies(&self) -> Result<std::rc::Rc<latchkey_core::approval::Policies>, Failure> {
        Ok(self.policy_cache.get(self.storage)?)
    }

    /// The 403 when the caller's clearance (`self.clearance`) does not reach a `tier` secret
    /// at `path` (the one gate's rule, `latchkey_core::gate::check_clearance`).
    pub fn check_clearance(&self, path: &SecretPath, tier: Tier) -> Result<(), ApiError> {
        let Some(clearance) = self.clearance else {
            return Ok(());
        };
        let policies = self
            .policy_cache
            .get(self.storage)
            .map_err(|e| internal("policies", e))?;
        latchkey_core::gate::check_clearance(path, tier, clearance, &policies)?;
        self.check_workflow_clearance(path, tier)
    }

    /// The 403 when `path` is now governed by an explicit workflow that did not clear the
    /// caller's token ([`crate::workflow_rules::check_cleared`]).
    pub fn check_workflow_clearance(&self, path: &SecretPath, tier: Tier) -> Result<(), ApiError> {
        match self.cleared_workflows {
            Some(cleared) => {
                crate::workflow_rules::check_cleared(self.storage, path, tier, cleared)
            }
            None => Ok(()),
        }
    }

    /// Records `draft` beside the command's own event, in the same transaction.
    pub fn record_also(&self, draft: crate::audit::Draft) {
        self.also_record.borrow_mut().push(draft);
    }

    fn binding<'b>(&'b self, path: &'b SecretPath, version: u64, purpose: &'b str) -> Binding<'b> {
        Binding {
            tenant_id: self.tenant_id.as_str(),
            path: path.as_str(),
            version,
            purpose,
        }
    }

    /// Seals `value` for `path`, `version` and `purpose`; only that row can open it.
    pub fn seal(
        &self,
        path: &SecretPath,
        version: u64,
        purpose: &str,
        value: &str,
    ) -> Result<Sealed, Failure> {
        self.tenant_key
            .seal(&self.binding(path, version, purpose), value.as_bytes())
            .map_err(|e| Failure::Client(internal("seal", e)))
    }

    /// Seals tenant configuration (`purpose` names which), bound to no secret path: the
    /// binding's path is empty, which no secret path can be.
    pub fn seal_config(&self, purpose: &str, value: &str) -> Result<Sealed, Failure> {
        let binding = Binding {
            tenant_id: self.tenant_id.as_str(),
            path: "",
            version: 0,
            purpose,
        };
        self.tenant_key
            .seal(&binding, value.as_bytes())
            .map_err(|e| Failure::Client(internal("seal config", e)))
    }

    pub fn open_config(&self, purpose: &str, sealed: &Sealed) -> Result<String, Failure> {
        let binding = Binding {
            tenant_id: self.tenant_id.as_str(),
            path: "",
            version: 0,
            purpose,
        };
        let plain = self
            .tenant_key
            .open(&binding, sealed)
            .map_err(|e| Failure::Client(internal("open config", e)))?;
        String::from_utf8(plain.to_vec()).map_err(|e| Failure::Client(internal("config utf-8", e)))
    }

    pub fn open(
        &self,
        path: &SecretPath,
        version: u64,
        purpose: &str,
        sealed: &Sealed,
    ) -> Result<String, Failure> {
        let plain = self
            .tenant_key
            .open(&self.binding(path, version, purpose), sealed)
            .map_err(|e| Failure::Client(internal("open sealed value", e)))?;
        String::from_utf8(plain.to_vec()).map_err(|e| Failure::Client(internal("value utf-8", e)))
    }
}
