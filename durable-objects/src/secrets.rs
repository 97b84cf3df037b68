//! The lifecycle commands of a tenant's secrets: create, read, update, rotate, versions,
//! delete, restore. Each runs inside one `transactionSync` and awaits nothing, so commands on
//! one tenant are strictly serialized: version numbers are exact and a failed command leaves
//! everything as it was.

use crate::fields;
use crate::secret_cache::{CachedSecret, VersionRow};
use crate::secret_rows::{allowed_hosts_column, insert_secret};
use crate::sql::{Storage, Value as V};
use crate::sql::{StorageError, execute, query, query_one};
use crate::store::{
    Failure, SECRET_COLUMN_COUNT, SECRET_COLUMNS, SecretContext, SecretRow, VALUE_PURPOSE,
    check_live_within_tier, deleted, deleted_conflict, erase_rows, erase_secret, in_transaction,
    internal, live_secret, live_secret_within_tier, load_secret, not_found, opt_ts,
    parse_secret_row, read_count, read_opt_ts, read_ts, ts, version_value,
};
use latchkey_core::crypto::Sealed;
use latchkey_core::secret::{
    NewSecret, Rotation, SecretCreated, SecretMetadata, SecretRead, SecretRotated, SecretSummary,
    SecretUpdate, SecretUpdated, VersionInfo, VersionState,
};
use latchkey_core::{ApiError, SecretPath, Timestamp};

fn insert_version(
    storage: &Storage,
    path: &SecretPath,
    version: u64,
    sealed: &Sealed,
    now: Timestamp,
) -> Result<(), StorageError> {
    execute(
        storage,
        "INSERT INTO secret_versions (path, version, wrapped_data_key, ciphertext, created_at)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            path.as_str().into(),
            version_value(version),
            V::Blob(sealed.wrapped_data_key.clone()),
            V::Blob(sealed.ciphertext.clone()),
            ts(now),
        ],
    )
}

/// After a new version: drops versions beyond `max_versions` (zeroed first). Ciphertexts
/// whose grace period is over are the alarm's to erase (it is set for that moment), not every
/// write's: two statements fewer on the write path.
fn prune_versions(
    storage: &Storage,
    path: &SecretPath,
    current: u64,
    keep: u64,
) -> Result<(), StorageError> {
    let oldest_kept = current.saturating_sub(keep.max(1)) + 1;
    // Nothing older than version 1: a young secret has nothing to prune.
    if oldest_kept <= 1 {
        return Ok(());
    }
    erase_rows(
        storage,
        "secret_versions",
        "path = ? AND version < ?",
        vec![path.as_str().into(), version_value(oldest_kept)],
    )
}

/// A new current version (update and rotation): sealed and stored, the metadata row moved to
/// it, and what `max_versions` and expired grace periods no longer keep erased.
pub fn append_version(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: u64,
    value: &str,
    metadata: &SecretMetadata,
) -> Result<Sealed, Failure> {
    let sealed = ctx.seal(path, version, VALUE_PURPOSE, value)?;
    insert_version(ctx.storage, path, version, &sealed, ctx.now)?;
    write_metadata(ctx.storage, path, version, metadata, ctx.now)?;
    prune_versions(ctx.storage, path, version, metadata.max_versions)?;
    Ok(sealed)
}

pub(crate) fn write_metadata(
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
            max_versions = ?, expires_at = ?, updated_at = ?, allowed_hosts = ?
         WHERE path = ?",
        vec![
            version_value(version),
            metadata.tier.as_str().into(),
            metadata.description.clone().into(),
            tags.into(),
            version_value(metadata.max_versions),
            opt_ts(metadata.expires_at),
            ts(now),
            allowed_hosts_column(metadata)?,
            path.as_str().into(),
        ],
    )?;
    Ok(())
}

pub fn create(ctx: &SecretContext<'_>, secret: NewSecret) -> Result<SecretCreated, ApiError> {
    let NewSecret {
        path,
        value,
        fields,
        metadata,
    } = secret;
    let now = ctx.now;
    in_transaction(ctx.storage, "create secret", || {
        match load_secret(ctx.storage, &path)? {
            Some(row) if row.deleted_at.is_some() => return Err(deleted_conflict(&path).into()),
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
        let version = u64::from(value.is_some());
        let id = insert_secret(ctx.storage, &path, version, &metadata, now)?;
        if let Some(value) = &value {
            insert_version(
                ctx.storage,
                &path,
                1,
                &ctx.seal(&path, 1, VALUE_PURPOSE, value)?,
                now,
            )?;
        }
        fields::write_fields(ctx, &path, &fields)?;
        Ok(SecretCreated {
            id,
            path: path.clone(),
            version,
            tier: metadata.tier,
            created_at: now,
        })
    })
}

/// `GET /v1/secrets/{path}[?version=N]`. The hot path, so: one statement reads the secret
/// and the wanted version together, and `accessed_at` is written only when it moves by a
/// second or more (what readers see is whole seconds). No savepoint of its own: its only
/// write comes last, inside the object's transaction for the request.
pub fn read(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<SecretRead, ApiError> {
    read_inner(ctx, path, version).map_err(|failure| match failure {
        Failure::Client(e) => e,
        Failure::Storage(e) => internal("read secret", e),
    })
}

fn read_inner(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<SecretRead, Failure> {
    let now = ctx.now;
    let cached = ctx.secret_cache.get(path.as_str());
    // Whether the cache lacks something this read learned (the rows, the current version, a
    // newer `accessed_at`): a plain hit writes nothing back.
    let mut learned = cached.is_none();
    let (secret, accessed_at, mut current) = match cached {
        Some(entry) => (entry.row, entry.accessed_at, entry.current),
        None => {
            let row = query_one(
                ctx.storage,
                &format!("SELECT {SECRET_COLUMNS}, accessed_at FROM secrets WHERE path = ?"),
                vec![path.as_str().into()],
            )?
            .ok_or_else(|| not_found(path))?;
            (
                parse_secret_row(&row)?,
                read_opt_ts(&row, SECRET_COLUMN_COUNT)?,
                None,
            )
        }
    };
    ctx.check_clearance(path, secret.metadata.tier)?;
    if secret.deleted_at.is_some() {
        return Err(deleted(path).into());
    }
    if let Some(expired) = secret.metadata.expires_at.filter(|at| *at <= now) {
        return Err(
            ApiError::not_found(format!("secret '{path}' expired at {expired}"))
                .with("path", path.as_str())
                .into(),
        );
    }
    let value = match version {
        // A secret of fields only has no main value to show.
        None if secret.current_version == 0 => None,
        wanted => {
            let wanted = wanted.unwrap_or(secret.current_version);
            let version_row = match current.take() {
                Some(row) if row.version == wanted => row,
                other => {
                    current = other;
                    learned |= wanted == secret.current_version;
                    load_version(ctx, path, wanted)?
                }
            };
            let value = open_version(ctx, path, secret.current_version, &version_row)?;
            if wanted == secret.current_version {
                current = Some(version_row);
            }
            Some(value)
        }
    };
    let fields = if secret.field_count > 0 {
        Some(fields::read_all(ctx, path)?)
    } else {
        None
    };
    let stale = accessed_at.is_none_or(|at| now.unix_ms() - at.unix_ms() >= 1000);
    if stale {
        execute(
            ctx.storage,
            "UPDATE secrets SET accessed_at = ? WHERE path = ?",
            vec![ts(now), path.as_str().into()],
        )?;
    }
    if learned || stale {
        ctx.secret_cache.put(
            path.as_str(),
            CachedSecret {
                row: secret.clone(),
                accessed_at: if stale { Some(now) } else { accessed_at },
                current,
            },
        );
    }
    Ok(SecretRead {
        id: secret.id,
        path: path.clone(),
        value,
        field_count: fields.as_ref().map(|f| f.len()),
        fields,
        version: version.unwrap_or(secret.current_version),
        tier: secret.metadata.tier,
        description: secret.metadata.description,
        tags: secret.metadata.tags,
        created_at: secret.created_at,
        updated_at: secret.updated_at,
        accessed_at: Some(now),
        expires_at: secret.metadata.expires_at,
        allowed_hosts: secret.metadata.allowed_hosts,
    })
}

/// Version `wanted` of the secret at `path`, as stored.
fn load_version(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    wanted: u64,
) -> Result<VersionRow, Failure> {
    let row = query_one(
        ctx.storage,
        "SELECT hex(wrapped_data_key), hex(ciphertext), expires_at, destroyed_at, deleted_at
         FROM secret_versions WHERE path = ? AND version = ?",
        vec![
            path.as_str().into(),
            i64::try_from(wanted).map_or(V::Null, V::Integer),
        ],
    )?
    .ok_or_else(|| {
        ApiError::not_found(format!("version {wanted} of secret '{path}' not found"))
            .with("path", path.as_str())
            .with("version", wanted)
    })?;
    Ok(VersionRow {
        version: wanted,
        sealed: Sealed {
            wrapped_data_key: row.blob(0)?,
            ciphertext: row.blob(1)?,
        },
        expires_at: read_opt_ts(&row, 2)?,
        destroyed: row.opt_int(3)?.is_some(),
        deleted: row.opt_int(4)?.is_some(),
    })
}

/// Opens a version's value, if the version is readable at `ctx.now`.
fn open_version(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    current: u64,
    row: &VersionRow,
) -> Result<String, Failure> {
    let wanted = row.version;
    let state = VersionState::at(
        wanted == current,
        row.expires_at,
        row.destroyed,
        row.deleted,
        ctx.now,
    );
    if !state.readable() {
        let why = match (state, row.expires_at) {
            (VersionState::Expired, Some(at)) => format!("its grace period ended at {at}"),
            (VersionState::Deleted, _) => format!(
                "it was deleted (undelete it with POST /v1/secret/undelete/{path} {{\"versions\": [{wanted}]}})"
            ),
            _ => "it was destroyed".to_owned(),
        };
        return Err(ApiError::not_found(format!(
            "version {wanted} of secret '{path}' is no longer readable: {why}"
        ))
        .with("path", path.as_str())
        .with("version", wanted)
        .into());
    }
    ctx.open(path, wanted, VALUE_PURPOSE, &row.sealed)
}

pub fn update(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    update: SecretUpdate,
    if_match: Option<u64>,
) -> Result<SecretUpdated, ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "update secret", || {
        // Taken out of the cache: whatever happens next, no stale entry is left behind.
        let cached = ctx.secret_cache.take(path.as_str());
        let (mut row, accessed_at) = match cached {
            Some(entry) => {
                check_live_within_tier(ctx, path, &entry.row)?;
                (entry.row, entry.accessed_at)
            }
            None => (live_secret_within_tier(ctx, path)?, None),
        };
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
        update.change.apply(&mut row.metadata);
        let Some(value) = &update.value else {
            // `PATCH` without a value: the metadata alone, no new version (a lowered
            // `max_versions` erases what it no longer keeps now, as a new version would).
            write_metadata(ctx.storage, path, row.current_version, &row.metadata, now)?;
            prune_versions(
                ctx.storage,
                path,
                row.current_version,
                row.metadata.max_versions,
            )?;
            return Ok(SecretUpdated {
                path: path.clone(),
                version: row.current_version,
                updated_at: now,
            });
        };
        let version = row.current_version + 1;
        let sealed = append_version(ctx, path, version, value, &row.metadata)?;
        // What the statements above stored, so the next read or write of this secret needs
        // no SELECT (the object's commands run one at a time; a failed transaction empties
        // the cache).
        row.current_version = version;
        row.updated_at = now;
        ctx.secret_cache.put(
            path.as_str(),
            CachedSecret {
                row,
                accessed_at,
                current: Some(VersionRow {
                    version,
                    sealed,
                    expires_at: None,
                    destroyed: false,
                    deleted: false,
                }),
            },
        );
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
        let row = live_secret_within_tier(ctx, path)?;
        let old_version = row.current_version;
        if old_version == 0 {
            return Err(ApiError::conflict(format!(
                "secret '{path}' has fields only and no value to rotate; set one with PUT /v1/secrets/{}",
                path.url_encoded()
            ))
            .with("path", path.as_str())
            .into());
        }
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
        append_version(ctx, path, version, &rotation.new_value, &row.metadata)?;
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
            "SELECT version, created_at, expires_at, destroyed_at, deleted_at
             FROM secret_versions WHERE path = ? ORDER BY version DESC",
            vec![path.as_str().into()],
        )?;
        let mut versions = Vec::with_capacity(rows.len());
        for version_row in rows {
            let version = read_count(&version_row, 0)?;
            let expires_at = read_opt_ts(&version_row, 2)?;
            let destroyed = version_row.opt_int(3)?.is_some();
            let deleted = version_row.opt_int(4)?.is_some();
            versions.push(VersionInfo {
                version,
                created_at: read_ts(&version_row, 1)?,
                state: VersionState::at(
                    version == row.current_version,
                    expires_at,
                    destroyed,
                    deleted,
                    now,
                ),
                expires_at,
            });
        }
        Ok(versions)
    })
}

/// Soft delete hides the secret (restorable for the retention period); permanent delete
/// erases every version's and field's ciphertext at once and frees the path.
pub fn delete(ctx: &SecretContext<'_>, path: &SecretPath, permanent: bool) -> Result<(), ApiError> {
    let now = ctx.now;
    in_transaction(ctx.storage, "delete secret", || {
        let row = load_secret(ctx.storage, path)?.ok_or_else(|| not_found(path))?;
        if permanent {
            erase_secret(ctx.storage, path)?;
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

pub fn summary(path: SecretPath, row: SecretRow) -> SecretSummary {
    SecretSummary {
        id: row.id,
        path,
        version: row.current_version,
        tier: row.metadata.tier,
        description: row.metadata.description,
        tags: row.metadata.tags,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expires_at: row.metadata.expires_at,
        max_versions: row.metadata.max_versions,
        field_count: row.field_count,
        deleted_at: row.deleted_at,
        allowed_hosts: row.metadata.allowed_hosts,
    }
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
        if deleted_at.plus_seconds(ctx.retention_seconds) <= now {
            // The maintenance alarm has not purged it yet; it is gone all the same.
            return Err(ApiError::not_found(format!(
                "secret '{path}' was deleted at {deleted_at}, longer ago than the restore window of {}, and can no longer be restored",
                describe_seconds(ctx.retention_seconds)
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

/// `30 days` or `90 seconds`: the restore window as people read it.
fn describe_seconds(seconds: i64) -> String {
    if seconds % 86_400 == 0 {
        format!("{} days", seconds / 86_400)
    } else {
        format!("{seconds} seconds")
    }
}
