//! The secret commands of a tenant object. Each runs inside one `transactionSync` and awaits
//! nothing, so commands on one tenant are strictly serialized: version numbers are exact and
//! a failed command leaves everything as it was.

use crate::sql::{Row, StorageError, execute, query, query_one, transaction};

use latchkey_core::crypto::{Binding, Sealed, TenantKey};
use latchkey_core::listing::{ListQuery, SecretPage, encode_cursor};
use latchkey_core::secret::{
    NewSecret, RESTORE_WINDOW_SECONDS, Rotation, SecretCreated, SecretMetadata, SecretRead,
    SecretRotated, SecretSummary, SecretUpdate, SecretUpdated, Tags, Tier, VersionInfo,
    VersionState,
};
use latchkey_core::{ApiError, SecretPath, TenantId, Timestamp};
use worker::{SqlStorageValue as V, Storage, console_error};

const VALUE_PURPOSE: &str = "value";

/// What a secret command works with: the tenant's storage and key, and the time it runs at.
pub struct SecretContext<'a> {
    pub storage: &'a Storage,
    pub tenant_id: &'a TenantId,
    pub tenant_key: &'a TenantKey,
    pub now: Timestamp,
}

/// A command's failure: the client's error, or storage trouble (logged, then a 500).
enum Failure {
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

fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
    console_error!("tenant object: {context}: {cause}");
    ApiError::internal()
}

/// Runs `body` in a transaction; a client error rolls it back like any other.
fn in_transaction<T>(
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

fn ts(value: Timestamp) -> V {
    V::Integer(value.unix_ms())
}

fn opt_ts(value: Option<Timestamp>) -> V {
    value.map(|t| t.unix_ms()).into()
}

fn read_opt_ts(row: &Row, column: usize) -> Result<Option<Timestamp>, StorageError> {
    row.opt_int(column)?
        .map(|ms| {
            Timestamp::from_unix_ms(ms).ok_or_else(|| StorageError(format!("bad timestamp {ms}")))
        })
        .transpose()
}

fn read_ts(row: &Row, column: usize) -> Result<Timestamp, StorageError> {
    read_opt_ts(row, column)?.ok_or_else(|| StorageError(format!("column {column} is null")))
}

fn read_version(row: &Row, column: usize) -> Result<u64, StorageError> {
    u64::try_from(row.int(column)?).map_err(|e| StorageError(e.to_string()))
}

fn version_value(version: u64) -> V {
    // Versions count up from 1 by one per write: far below 2^53.
    V::Integer(version as i64)
}

/// A `secrets` row.
struct SecretRow {
    current_version: u64,
    metadata: SecretMetadata,
    created_at: Timestamp,
    updated_at: Timestamp,
    deleted_at: Option<Timestamp>,
}

const SECRET_COLUMNS: &str = "current_version, tier, description, tags, max_versions, \
                              created_at, updated_at, expires_at, deleted_at";

fn parse_secret_row(row: &Row) -> Result<SecretRow, StorageError> {
    let tier_text = row.text(1)?;
    let tier =
        Tier::parse(&tier_text).ok_or_else(|| StorageError(format!("unknown tier {tier_text}")))?;
    let tags: Tags =
        serde_json::from_str(&row.text(3)?).map_err(|e| StorageError(e.to_string()))?;
    Ok(SecretRow {
        current_version: read_version(row, 0)?,
        metadata: SecretMetadata {
            tier,
            description: row.opt_text(2)?,
            tags,
            max_versions: read_version(row, 4)?,
            expires_at: read_opt_ts(row, 7)?,
        },
        created_at: read_ts(row, 5)?,
        updated_at: read_ts(row, 6)?,
        deleted_at: read_opt_ts(row, 8)?,
    })
}

fn load_secret(storage: &Storage, path: &SecretPath) -> Result<Option<SecretRow>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE path = ?"),
        vec![path.as_str().into()],
    )?
    .map(|row| parse_secret_row(&row))
    .transpose()
}

fn not_found(path: &SecretPath) -> ApiError {
    ApiError::not_found(format!("secret '{path}' not found")).with("path", path.as_str())
}

fn deleted(path: &SecretPath) -> ApiError {
    ApiError::not_found(format!(
        "secret '{path}' is deleted; restore it with POST /v1/secrets/{}/restore",
        path.url_encoded()
    ))
    .with("path", path.as_str())
}

/// The live secret at `path`, or the 404 that says why there is none.
fn live_secret(storage: &Storage, path: &SecretPath) -> Result<SecretRow, Failure> {
    match load_secret(storage, path)? {
        None => Err(not_found(path).into()),
        Some(row) if row.deleted_at.is_some() => Err(deleted(path).into()),
        Some(row) => Ok(row),
    }
}

fn seal(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: u64,
    value: &str,
) -> Result<Sealed, Failure> {
    let binding = Binding {
        tenant_id: ctx.tenant_id.as_str(),
        path: path.as_str(),
        version,
        purpose: VALUE_PURPOSE,
    };
    ctx.tenant_key
        .seal(&binding, value.as_bytes())
        .map_err(|e| Failure::Client(internal("seal", e)))
}

fn insert_version(
    storage: &Storage,
    path: &SecretPath,
    version: u64,
    sealed: Sealed,
    now: Timestamp,
) -> Result<(), StorageError> {
    execute(
        storage,
        "INSERT INTO secret_versions (path, version, wrapped_data_key, ciphertext, created_at)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            path.as_str().into(),
            version_value(version),
            V::Blob(sealed.wrapped_data_key),
            V::Blob(sealed.ciphertext),
            ts(now),
        ],
    )
}

/// After a new version: drops versions beyond `max_versions`, and the ciphertexts of
/// versions whose grace period is over.
fn prune_versions(
    storage: &Storage,
    path: &SecretPath,
    current: u64,
    keep: u64,
    now: Timestamp,
) -> Result<(), StorageError> {
    let oldest_kept = current.saturating_sub(keep.max(1)) + 1;
    execute(
        storage,
        "DELETE FROM secret_versions WHERE path = ? AND version < ?",
        vec![path.as_str().into(), version_value(oldest_kept)],
    )?;
    execute(
        storage,
        "UPDATE secret_versions SET ciphertext = X'', wrapped_data_key = X''
         WHERE path = ? AND expires_at IS NOT NULL AND expires_at <= ? AND length(ciphertext) > 0",
        vec![path.as_str().into(), ts(now)],
    )
}

fn write_metadata(
    storage: &Storage,
    path: &SecretPath,
    version: u64,
    metadata: &SecretMetadata,
    now: Timestamp,
) -> Result<(), Failure> {
    let tags =
        serde_json::to_string(&metadata.tags).map_err(|e| Failure::Client(internal("tags", e)))?;
    execute(
        storage,
        "UPDATE secrets SET current_version = ?, tier = ?, description = ?, tags = ?,
            max_versions = ?, expires_at = ?, updated_at = ?
         WHERE path = ?",
        vec![
            version_value(version),
            metadata.tier.as_str().into(),
            metadata.description.clone().into(),
            tags.into(),
            version_value(metadata.max_versions),
            opt_ts(metadata.expires_at),
            ts(now),
            path.as_str().into(),
        ],
    )?;
    Ok(())
}

pub fn create(ctx: &SecretContext<'_>, secret: NewSecret) -> Result<SecretCreated, ApiError> {
    let NewSecret {
        path,
        value,
        metadata,
    } = secret;
    let now = ctx.now;
    in_transaction(ctx.storage, "create secret", || {
        match load_secret(ctx.storage, &path)? {
            Some(row) if row.deleted_at.is_some() => {
                return Err(ApiError::conflict(format!(
                    "secret '{path}' exists but is deleted; restore it with POST /v1/secrets/{}/restore, or delete it permanently first",
                    path.url_encoded()
                ))
                .with("path", path.as_str())
                .into());
            }
            Some(_) => {
                return Err(ApiError::conflict(format!(
                    "secret '{path}' already exists; use PUT /v1/secrets/{} to update it",
                    path.url_encoded()
                ))
                .with("path", path.as_str())
                .into());
            }
            None => {}
        }
        let tags = serde_json::to_string(&metadata.tags)
            .map_err(|e| Failure::Client(internal("tags", e)))?;
        execute(
            ctx.storage,
            "INSERT INTO secrets (path, current_version, tier, description, tags, max_versions,
                created_at, updated_at, accessed_at, expires_at, deleted_at)
             VALUES (?, 1, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
            vec![
                path.as_str().into(),
                metadata.tier.as_str().into(),
                metadata.description.clone().into(),
                tags.into(),
                version_value(metadata.max_versions),
                ts(now),
                ts(now),
                opt_ts(metadata.expires_at),
            ],
        )?;
        insert_version(ctx.storage, &path, 1, seal(ctx, &path, 1, &value)?, now)?;
        Ok(SecretCreated {
            path: path.clone(),
            version: 1,
            tier: metadata.tier,
            created_at: now,
        })
    })
}

pub fn read(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<SecretRead, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "read secret", || {
        let row = live_secret(ctx.storage, path)?;
        if let Some(expired) = row.metadata.expires_at.filter(|at| *at <= now) {
            return Err(
                ApiError::not_found(format!("secret '{path}' expired at {expired}"))
                    .with("path", path.as_str())
                    .into(),
            );
        }
        let wanted = version.unwrap_or(row.current_version);
        let missing = || {
            ApiError::not_found(format!("version {wanted} of secret '{path}' not found"))
                .with("path", path.as_str())
                .with("version", wanted)
        };
        let version_row = match i64::try_from(wanted) {
            Ok(v) => query_one(
                ctx.storage,
                "SELECT wrapped_data_key, ciphertext, expires_at, destroyed_at
                 FROM secret_versions WHERE path = ? AND version = ?",
                vec![path.as_str().into(), V::Integer(v)],
            )?,
            Err(_) => None,
        }
        .ok_or_else(missing)?;
        let expires_at = read_opt_ts(&version_row, 2)?;
        let destroyed = version_row.opt_int(3)?.is_some();
        let state = VersionState::at(wanted == row.current_version, expires_at, destroyed, now);
        if !state.readable() {
            let why = match (state, expires_at) {
                (VersionState::Expired, Some(at)) => format!("its grace period ended at {at}"),
                _ => "it was destroyed".to_owned(),
            };
            return Err(ApiError::not_found(format!(
                "version {wanted} of secret '{path}' is no longer readable: {why}"
            ))
            .with("path", path.as_str())
            .with("version", wanted)
            .into());
        }
        let sealed = Sealed {
            wrapped_data_key: version_row.blob(0)?,
            ciphertext: version_row.blob(1)?,
        };
        let binding = Binding {
            tenant_id: ctx.tenant_id.as_str(),
            path: path.as_str(),
            version: wanted,
            purpose: VALUE_PURPOSE,
        };
        let plain = ctx
            .tenant_key
            .open(&binding, &sealed)
            .map_err(|e| Failure::Client(internal("open sealed value", e)))?;
        let value = String::from_utf8(plain.to_vec())
            .map_err(|e| Failure::Client(internal("value utf-8", e)))?;
        execute(
            ctx.storage,
            "UPDATE secrets SET accessed_at = ? WHERE path = ?",
            vec![ts(now), path.as_str().into()],
        )?;
        Ok(SecretRead {
            path: path.clone(),
            value,
            version: wanted,
            tier: row.metadata.tier,
            description: row.metadata.description,
            tags: row.metadata.tags,
            created_at: row.created_at,
            updated_at: row.updated_at,
            accessed_at: Some(now),
            expires_at: row.metadata.expires_at,
        })
    })
}

pub fn update(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    update: SecretUpdate,
    if_match: Option<u64>,
) -> Result<SecretUpdated, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "update secret", || {
        let mut row = live_secret(ctx.storage, path)?;
        if let Some(expected) = if_match
            && expected != row.current_version
        {
            return Err(ApiError::conflict(format!(
                "If-Match: {expected} does not match; the current version of '{path}' is {}",
                row.current_version
            ))
            .with("path", path.as_str())
            .with("current_version", row.current_version)
            .into());
        }
        let version = row.current_version + 1;
        update.change.apply(&mut row.metadata);
        insert_version(
            ctx.storage,
            path,
            version,
            seal(ctx, path, version, &update.value)?,
            now,
        )?;
        write_metadata(ctx.storage, path, version, &row.metadata, now)?;
        prune_versions(ctx.storage, path, version, row.metadata.max_versions, now)?;
        Ok(SecretUpdated {
            path: path.clone(),
            version,
            updated_at: now,
        })
    })
}

pub fn rotate(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    rotation: Rotation,
) -> Result<SecretRotated, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "rotate secret", || {
        let row = live_secret(ctx.storage, path)?;
        let old_version = row.current_version;
        let version = old_version + 1;
        let grace = i64::try_from(rotation.grace_period_seconds).unwrap_or(i64::MAX);
        let old_expires_at = now.plus_seconds(grace);
        execute(
            ctx.storage,
            "UPDATE secret_versions SET expires_at = ? WHERE path = ? AND version = ?",
            vec![
                ts(old_expires_at),
                path.as_str().into(),
                version_value(old_version),
            ],
        )?;
        insert_version(
            ctx.storage,
            path,
            version,
            seal(ctx, path, version, &rotation.new_value)?,
            now,
        )?;
        write_metadata(ctx.storage, path, version, &row.metadata, now)?;
        prune_versions(ctx.storage, path, version, row.metadata.max_versions, now)?;
        Ok(SecretRotated {
            path: path.clone(),
            old_version,
            new_version: version,
            old_expires_at,
        })
    })
}

pub fn versions(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<Vec<VersionInfo>, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "list versions", || {
        let row = live_secret(ctx.storage, path)?;
        let rows = query(
            ctx.storage,
            "SELECT version, created_at, expires_at, destroyed_at
             FROM secret_versions WHERE path = ? ORDER BY version DESC",
            vec![path.as_str().into()],
        )?;
        let mut versions = Vec::with_capacity(rows.len());
        for version_row in rows {
            let version = read_version(&version_row, 0)?;
            let expires_at = read_opt_ts(&version_row, 2)?;
            let destroyed = version_row.opt_int(3)?.is_some();
            versions.push(VersionInfo {
                version,
                created_at: read_ts(&version_row, 1)?,
                state: VersionState::at(version == row.current_version, expires_at, destroyed, now),
                expires_at,
            });
        }
        Ok(versions)
    })
}

/// Soft delete hides the secret (restorable for 30 days); permanent delete erases every
/// version's ciphertext at once and frees the path.
pub fn delete(ctx: &SecretContext<'_>, path: &SecretPath, permanent: bool) -> Result<(), ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "delete secret", || {
        let row = load_secret(ctx.storage, path)?.ok_or_else(|| not_found(path))?;
        if permanent {
            // Overwrite before deleting, so the freed pages hold no ciphertext either.
            execute(
                ctx.storage,
                "UPDATE secret_versions
                 SET ciphertext = zeroblob(length(ciphertext)),
                     wrapped_data_key = zeroblob(length(wrapped_data_key))
                 WHERE path = ?",
                vec![path.as_str().into()],
            )?;
            execute(
                ctx.storage,
                "DELETE FROM secret_versions WHERE path = ?",
                vec![path.as_str().into()],
            )?;
            execute(
                ctx.storage,
                "DELETE FROM secrets WHERE path = ?",
                vec![path.as_str().into()],
            )?;
            return Ok(());
        }
        if row.deleted_at.is_some() {
            return Err(deleted(path).into());
        }
        execute(
            ctx.storage,
            "UPDATE secrets SET deleted_at = ? WHERE path = ?",
            vec![ts(now), path.as_str().into()],
        )?;
        Ok(())
    })
}

fn summary(path: SecretPath, row: SecretRow) -> SecretSummary {
    SecretSummary {
        path,
        version: row.current_version,
        tier: row.metadata.tier,
        description: row.metadata.description,
        tags: row.metadata.tags,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expires_at: row.metadata.expires_at,
        max_versions: row.metadata.max_versions,
        deleted_at: row.deleted_at,
    }
}

/// The WHERE clause and bindings of a list query (without its cursor).
fn list_filter(query: &ListQuery, now: Timestamp) -> (String, Vec<V>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    if !query.include_deleted {
        clauses.push("deleted_at IS NULL");
    }
    if let Some(namespace) = &query.namespace {
        // Whole segments: `prod` matches `prod` and `prod/…`, never `production/…`.
        clauses.push("(path = ? OR substr(path, 1, length(?) + 1) = ? || '/')");
        bindings.extend([
            namespace.as_str().into(),
            namespace.as_str().into(),
            namespace.as_str().into(),
        ]);
    }
    for (key, value) in &query.tags {
        clauses.push(
            "EXISTS (SELECT 1 FROM json_each(secrets.tags) AS t WHERE t.key = ? AND t.value = ?)",
        );
        bindings.extend([key.as_str().into(), value.as_str().into()]);
    }
    if let Some(tier) = query.tier {
        clauses.push("tier = ?");
        bindings.push(tier.as_str().into());
    }
    if let Some(q) = &query.q {
        clauses.push(
            "(instr(lower(path), lower(?)) > 0 OR instr(lower(coalesce(description, '')), lower(?)) > 0 \
             OR instr(lower(tags), lower(?)) > 0)",
        );
        bindings.extend([q.as_str().into(), q.as_str().into(), q.as_str().into()]);
    }
    if let Some(seconds) = query.expiring_within {
        clauses.push("expires_at IS NOT NULL AND expires_at <= ?");
        bindings.push(ts(
            now.plus_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
        ));
    }
    let filter = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    (filter, bindings)
}

/// One page of metadata, ordered by path, after the cursor's path.
pub fn list(ctx: &SecretContext<'_>, query: &ListQuery) -> Result<SecretPage, ApiError> {
    let fail = |e: StorageError| internal("list secrets", e);
    let (filter, bindings) = list_filter(query, ctx.now);
    let total = query_one(
        ctx.storage,
        &format!("SELECT count(*) FROM secrets WHERE {filter}"),
        bindings.clone(),
    )
    .map_err(fail)?
    .map(|row| row.int(0))
    .transpose()
    .map_err(fail)?
    .unwrap_or(0);
    let mut page_bindings = bindings;
    let after_clause = match &query.after {
        Some(after) => {
            page_bindings.push(after.as_str().into());
            " AND path > ?"
        }
        None => "",
    };
    page_bindings.push(V::Integer(i64::from(query.limit) + 1));
    let rows = crate::sql::query(
        ctx.storage,
        &format!("SELECT path, {SECRET_COLUMNS} FROM secrets WHERE {filter}{after_clause} ORDER BY path LIMIT ?"),
        page_bindings,
    )
    .map_err(fail)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let path = SecretPath::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("stored path", e))?;
        let secret = parse_secret_row(&row.shifted(1)).map_err(fail)?;
        items.push(summary(path, secret));
    }
    let next_cursor = if items.len() > query.limit as usize {
        items.truncate(query.limit as usize);
        items.last().map(|last| encode_cursor(&last.path))
    } else {
        None
    };
    Ok(SecretPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        next_cursor,
    })
}

pub fn restore(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<SecretSummary, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "restore secret", || {
        let row = load_secret(ctx.storage, path)?.ok_or_else(|| not_found(path))?;
        let Some(deleted_at) = row.deleted_at else {
            return Err(
                ApiError::conflict(format!("secret '{path}' is not deleted"))
                    .with("path", path.as_str())
                    .into(),
            );
        };
        if deleted_at.plus_seconds(RESTORE_WINDOW_SECONDS) <= now {
            return Err(ApiError::not_found(format!(
                "secret '{path}' was deleted more than 30 days ago and can no longer be restored"
            ))
            .with("path", path.as_str())
            .into());
        }
        execute(
            ctx.storage,
            "UPDATE secrets SET deleted_at = NULL, updated_at = ? WHERE path = ?",
            vec![ts(now), path.as_str().into()],
        )?;
        Ok(summary(
            path.clone(),
            SecretRow {
                updated_at: now,
                deleted_at: None,
                ..row
            },
        ))
    })
}
