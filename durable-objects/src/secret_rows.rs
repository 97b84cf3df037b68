//! The `secrets` rows and their versions' and fields' sealed rows, as storage holds them: reading
//! a row, the errors that say why there is none, and erasing ciphertexts for good. No rule about
//! who may do what lives here.

use crate::rows::{Failure, internal, opt_ts, read_count, read_opt_ts, read_ts, ts, version_value};
use crate::sql::{Row, Storage, StorageError, Value as V, execute, query_one};
use latchkey_core::broker::hosts::AllowedHosts;
use latchkey_core::secret::{SecretId, SecretMetadata, Tags, Tier};
use latchkey_core::{ApiError, SecretPath, Timestamp};

/// A `secrets` row.
#[derive(Clone)]
pub struct SecretRow {
    pub id: SecretId,
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
    (SELECT count(*) FROM secret_fields WHERE secret_fields.path = secrets.path), allowed_hosts, \
    id";

/// How many columns [`SECRET_COLUMNS`] selects: what follows them in a wider row starts here.
pub const SECRET_COLUMN_COUNT: usize = 12;

pub fn parse_secret_row(row: &Row) -> Result<SecretRow, StorageError> {
    let tier_text = row.text(1)?;
    let tier =
        Tier::parse(&tier_text).ok_or_else(|| StorageError(format!("unknown tier {tier_text}")))?;
    let tags: Tags =
        serde_json::from_str(&row.text(3)?).map_err(|e| StorageError(e.to_string()))?;
    Ok(SecretRow {
        id: SecretId::parse(&row.text(11)?).map_err(StorageError)?,
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

/// Inserts the `secrets` row of a new secret at `version` (1 with a value, 0 with fields
/// only), with a new id, which it answers. The caller has checked the path is free.
pub fn insert_secret(
    storage: &Storage,
    path: &SecretPath,
    version: u64,
    metadata: &SecretMetadata,
    now: Timestamp,
) -> Result<SecretId, Failure> {
    let id = SecretId::generate().map_err(|e| Failure::Client(internal("secret id", e)))?;
    let tags =
        serde_json::to_string(&metadata.tags).map_err(|e| Failure::Client(internal("tags", e)))?;
    execute(
        storage,
        "INSERT INTO secrets (id, path, current_version, tier, description, tags, max_versions,
            created_at, updated_at, accessed_at, expires_at, deleted_at, allowed_hosts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?)",
        vec![
            id.as_str().into(),
            path.as_str().into(),
            version_value(version),
            metadata.tier.as_str().into(),
            metadata.description.clone().into(),
            tags.into(),
            version_value(metadata.max_versions),
            ts(now),
            ts(now),
            opt_ts(metadata.expires_at),
            allowed_hosts_column(metadata)?,
        ],
    )?;
    Ok(id)
}

/// `allowed_hosts` as stored: its JSON, or NULL when the secret may not be brokered.
pub fn allowed_hosts_column(metadata: &SecretMetadata) -> Result<V, Failure> {
    if metadata.allowed_hosts.is_empty() {
        return Ok(V::Null);
    }
    serde_json::to_string(&metadata.allowed_hosts)
        .map(V::from)
        .map_err(|e| Failure::Client(internal("allowed_hosts", e)))
}
