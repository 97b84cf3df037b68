//! What every command on a tenant's secrets shares: its context, its transaction wrapper, the
//! `secrets` row, and sealing and opening values bound to where they are stored.

use crate::sql::{Row, StorageError, execute, query_one, transaction};
use crate::sql::{Storage, Value as V};
use latchkey_core::broker::hosts::AllowedHosts;
use latchkey_core::crypto::{Binding, Sealed, TenantKey};
use latchkey_core::gate::Clearance;
use latchkey_core::secret::{SecretMetadata, Tags, Tier};
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
    pub policy_cache: &'a crate::gate::PolicyCache,
    /// Events a command records beside its own, in its transaction (a cascade's changes).
    pub also_record: &'a std::cell::RefCell<Vec<crate::audit::Draft>>,
    /// The request's `X-Latchkey-Purpose`, recorded with broker uses.
    pub purpose: Option<&'a str>,
    /// Where the request came from, for events written after it (broker calls).
    pub origin: Option<&'a crate::audit::Origin>,
    /// Secrets read recently ([`crate::secret_cache`]); a read looks here first.
    pub secret_cache: &'a crate::secret_cache::SecretCache,
}

/// A command's failure: the client's error, or storage trouble (logged, then a 500).
pub enum Failure {
    Client(ApiError),
    Storage(StorageError),
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Failure::Storage(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Client(e)
    }
}

/// Logs the cause and gives the client the fixed internal error.
pub fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
    log_error!("tenant object: {context}: {cause}");
    ApiError::internal()
}

/// Runs `body` in a transaction; a client error rolls it back like any other.
pub fn in_transaction<T>(
    storage: &Storage,
    context: &str,
    body: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, ApiError> {
    let mut client_error = None;
    let result = transaction(storage, || match body() {
        Ok(value) => Ok(value),
        Err(Failure::Storage(e)) => Err(e),
        Err(Failure::Client(e)) => {
            client_error = Some(e);
            Err(StorageError("rolled back for a client error".into()))
        }
    });
    match (result, client_error) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(internal(context, e)),
    }
}

pub fn ts(value: Timestamp) -> V {
    V::Integer(value.unix_ms())
}

pub fn opt_ts(value: Option<Timestamp>) -> V {
    value.map(|t| t.unix_ms()).into()
}

pub fn read_opt_ts(row: &Row, column: usize) -> Result<Option<Timestamp>, StorageError> {
    row.opt_int(column)?
        .map(|ms| {
            Timestamp::from_unix_ms(ms).ok_or_else(|| StorageError(format!("bad timestamp {ms}")))
        })
        .transpose()
}

pub fn read_ts(row: &Row, column: usize) -> Result<Timestamp, StorageError> {
    read_opt_ts(row, column)?.ok_or_else(|| StorageError(format!("column {column} is null")))
}

pub fn read_count(row: &Row, column: usize) -> Result<u64, StorageError> {
    u64::try_from(row.int(column)?).map_err(|e| StorageError(e.to_string()))
}

pub fn version_value(version: u64) -> V {
    // Versions count up from 1 by one per write: far below 2^53.
    V::Integer(version as i64)
}

/// A `secrets` row.
#[derive(Clone)]
pub struct SecretRow {
    /// 0 while the secret has fields only.
    pub current_version: u64,
    pub metadata: SecretMetadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub field_count: u64,
}

/// The columns [`parse_secret_row`] reads, in order, from `secrets`.
pub const SECRET_COLUMNS: &str = "current_version, tier, description, tags, max_versions, \
    created_at, updated_at, expires_at, deleted_at, \
    (SELECT count(*) FROM secret_fields WHERE secret_fields.path = secrets.path), allowed_hosts";

/// How many columns [`SECRET_COLUMNS`] selects: what follows them in a wider row starts here.
pub const SECRET_COLUMN_COUNT: usize = 11;

pub fn parse_secret_row(row: &Row) -> Result<SecretRow, StorageError> {
    let tier_text = row.text(1)?;
    let tier =
        Tier::parse(&tier_text).ok_or_else(|| StorageError(format!("unknown tier {tier_text}")))?;
    let tags: Tags =
        serde_json::from_str(&row.text(3)?).map_err(|e| StorageError(e.to_string()))?;
    Ok(SecretRow {
        current_version: read_count(row, 0)?,
        metadata: SecretMetadata {
            tier,
            description: row.opt_text(2)?,
            tags,
            max_versions: read_count(row, 4)?,
            expires_at: read_opt_ts(row, 7)?,
            allowed_hosts: match row.opt_text(10)? {
                Some(text) => {
                    serde_json::from_str(&text).map_err(|e| StorageError(e.to_string()))?
                }
                None => AllowedHosts::default(),
            },
        },
        created_at: read_ts(row, 5)?,
        updated_at: read_ts(row, 6)?,
        deleted_at: read_opt_ts(row, 8)?,
        field_count: read_count(row, 9)?,
    })
}

pub fn load_secret(
    storage: &Storage,
    path: &SecretPath,
) -> Result<Option<SecretRow>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE path = ?"),
        vec![path.as_str().into()],
    )?
    .map(|row| parse_secret_row(&row))
    .transpose()
}

pub fn not_found(path: &SecretPath) -> ApiError {
    ApiError::not_found(format!("secret '{path}' not found")).with("path", path.as_str())
}

pub fn deleted(path: &SecretPath) -> ApiError {
    ApiError::not_found(format!(
        "secret '{path}' is deleted; restore it with POST /v1/secrets/{}/restore",
        path.url_encoded()
    ))
    .with("path", path.as_str())
}

/// The 409 for writing to a path that is soft-deleted.
pub fn deleted_conflict(path: &SecretPath) -> ApiError {
    ApiError::conflict(format!(
        "secret '{path}' exists but is deleted; restore it with POST /v1/secrets/{}/restore, or delete it permanently first",
        path.url_encoded()
    ))
    .with("path", path.as_str())
}

/// The live secret at `path`, or the 404 that says why there is none.
pub fn live_secret(storage: &Storage, path: &SecretPath) -> Result<SecretRow, Failure> {
    match load_secret(storage, path)? {
        None => Err(not_found(path).into()),
        Some(row) if row.deleted_at.is_some() => Err(deleted(path).into()),
        Some(row) => Ok(row),
    }
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
        latchkey_core::gate::check_clearance(path, tier, clearance, &policies)
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

/// Overwrites the sealed columns of the rows `filter` selects in `table` with zeros (same
/// length, so in place), so the pages SQLite frees afterwards hold no ciphertext either.
pub fn zero_sealed(
    storage: &Storage,
    table: &str,
    filter: &str,
    bindings: Vec<V>,
) -> Result<(), StorageError> {
    execute(
        storage,
        &format!(
            "UPDATE {table} SET ciphertext = zeroblob(length(ciphertext)),
                wrapped_data_key = zeroblob(length(wrapped_data_key))
             WHERE {filter}"
        ),
        bindings,
    )
}

/// Zeroes, then deletes the rows `filter` selects in `table` (a sealed-value table).
pub fn erase_rows(
    storage: &Storage,
    table: &str,
    filter: &str,
    bindings: Vec<V>,
) -> Result<(), StorageError> {
    zero_sealed(storage, table, filter, bindings.clone())?;
    execute(
        storage,
        &format!("DELETE FROM {table} WHERE {filter}"),
        bindings,
    )
}

/// Erases a secret for good: every version's and field's ciphertext, then the rows.
pub fn erase_secret(storage: &Storage, path: &SecretPath) -> Result<(), StorageError> {
    for table in ["secret_versions", "secret_fields"] {
        erase_rows(storage, table, "path = ?", vec![path.as_str().into()])?;
    }
    // Grants of exactly this path go with it; glob grants stay.
    execute(
        storage,
        "DELETE FROM grants WHERE path = ?",
        vec![path.as_str().into()],
    )?;
    execute(
        storage,
        "DELETE FROM secrets WHERE path = ?",
        vec![path.as_str().into()],
    )
}

/// Drops the ciphertexts of versions whose grace period ended by `now` (of one secret, or of
/// all with `path` = None). The rows stay, so `/versions` shows them as expired.
pub fn drop_expired_ciphertexts(
    storage: &Storage,
    path: Option<&SecretPath>,
    now: Timestamp,
) -> Result<(), StorageError> {
    let mut filter =
        "expires_at IS NOT NULL AND expires_at <= ? AND length(ciphertext) > 0".to_owned();
    let mut bindings = vec![ts(now)];
    if let Some(path) = path {
        filter.push_str(" AND path = ?");
        bindings.push(path.as_str().into());
    }
    zero_sealed(storage, "secret_versions", &filter, bindings.clone())?;
    execute(
        storage,
        &format!(
            "UPDATE secret_versions SET ciphertext = X'', wrapped_data_key = X'' WHERE {filter}"
        ),
        bindings,
    )
}

/// A JSON column (scopes, labels, reports) as its type.
pub fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row,
    column: usize,
) -> Result<T, StorageError> {
    serde_json::from_str(&row.text(column)?).map_err(|e| StorageError(e.to_string()))
}

/// A value as the JSON text of its column.
pub fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError(e.to_string()))
}
