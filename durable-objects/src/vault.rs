//! The tenant object's side of the Vault KV v2 endpoint (`latchkey_core::vault` has the
//! mapping): a write is a new version whose value is the map and whose fields become the map;
//! versions can be soft-deleted, undeleted and destroyed one by one. Each command runs in one
//! transaction, like the secret commands it sits beside.

use crate::fields;
use crate::secrets;
use crate::sql::{StorageError, execute, query};
use crate::store::{
    Failure, SecretContext, deleted_conflict, erase_rows, in_transaction, internal, live_secret,
    load_secret, read_count, read_opt_ts, read_ts, ts, version_value, zero_sealed,
};
use latchkey_core::scope::{ScopeSet, SecretAction};
use latchkey_core::secret::SecretMetadata;
use latchkey_core::vault::{self, KvMetadata, KvRead, KvVersion, KvWrite};
use latchkey_core::{ApiError, SecretPath};

/// The stored versions of `path` (only `version` when given), newest first.
fn stored_versions(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<Vec<KvVersion>, StorageError> {
    let mut bindings = vec![path.as_str().into()];
    let only = match version {
        Some(v) => {
            bindings.push(version_value(v));
            " AND version = ?"
        }
        None => "",
    };
    let rows = query(
        ctx.storage,
        &format!(
            "SELECT version, created_at, deleted_at, destroyed_at, expires_at
             FROM secret_versions WHERE path = ?{only} ORDER BY version DESC"
        ),
        bindings,
    )?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in rows {
        let expired = read_opt_ts(&row, 4)?.is_some_and(|at| at <= ctx.now);
        versions.push(KvVersion {
            version: read_count(&row, 0)?,
            created_at: read_ts(&row, 1)?,
            deleted_at: read_opt_ts(&row, 2)?,
            // A version past its rotation grace period is gone like a destroyed one.
            destroyed: row.opt_int(3)?.is_some() || expired,
        });
    }
    Ok(versions)
}

fn version_not_found(path: &SecretPath, version: u64) -> ApiError {
    ApiError::not_found(format!("version {version} of secret '{path}' not found"))
        .with("path", path.as_str())
        .with("version", version)
}

/// `GET /v1/secret/data/{path}[?version=N]`.
pub fn read(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<KvRead, ApiError> {
    in_transaction(ctx.storage, "kv read", || read_inner(ctx, path, version))
}

fn read_inner(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    version: Option<u64>,
) -> Result<KvRead, Failure> {
    let row = live_secret(ctx.storage, path)?;
    let wanted = version.unwrap_or(row.current_version);
    let tags = row.metadata.tags.clone();
    if wanted == 0 {
        // A secret of fields only: its fields are its data, as version 0.
        let secret = secrets::read(ctx, path, None)?;
        return Ok(KvRead {
            data: Some(vault::current_data(None, secret.fields.as_ref())),
            version: KvVersion {
                version: 0,
                created_at: row.created_at,
                deleted_at: None,
                destroyed: false,
            },
            tags,
        });
    }
    let meta = stored_versions(ctx, path, Some(wanted))?
        .pop()
        .ok_or_else(|| version_not_found(path, wanted))?;
    if meta.deleted_at.is_some() || meta.destroyed {
        ctx.check_clearance(path, row.metadata.tier)?;
        return Ok(KvRead {
            data: None,
            version: meta,
            tags,
        });
    }
    let secret = secrets::read(ctx, path, Some(wanted))?;
    let data = if wanted == row.current_version {
        vault::current_data(secret.value.as_deref(), secret.fields.as_ref())
    } else {
        secret
            .value
            .as_deref()
            .map(vault::data_of_value)
            .unwrap_or_default()
    };
    Ok(KvRead {
        data: Some(data),
        version: meta,
        tags,
    })
}

/// `POST /v1/secret/data/{path}`: a new version holding the map, the fields set to the map.
pub fn write(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    write: KvWrite,
) -> Result<KvVersion, ApiError> {
    in_transaction(ctx.storage, "kv write", || {
        let existing = load_secret(ctx.storage, path)?;
        if existing
            .as_ref()
            .is_some_and(|row| row.deleted_at.is_some())
        {
            return Err(deleted_conflict(path).into());
        }
        let current = existing.as_ref().map(|row| row.current_version);
        // `cas: 0` is Vault's "only if nothing is there": a secret created natively with
        // fields and no value sits at version 0 and is something.
        if let Some(cas) = write.cas
            && (current.unwrap_or(0) != cas || (cas == 0 && current.is_some()))
        {
            return Err(ApiError::validation(
                "options.cas",
                format!(
                    "check-and-set parameter did not match the current version (cas {cas}, current {})",
                    current.unwrap_or(0)
                ),
            )
            .with("path", path.as_str())
            .into());
        }
        let version = current.unwrap_or(0) + 1;
        let value = write.version_value();
        match existing {
            None => {
                let metadata = SecretMetadata::default();
                crate::secret_rows::insert_secret(ctx.storage, path, 0, &metadata, ctx.now)?;
                secrets::append_version(ctx, path, version, &value, &metadata)?;
            }
            Some(row) => {
                secrets::append_version(ctx, path, version, &value, &row.metadata)?;
            }
        }
        erase_rows(
            ctx.storage,
            "secret_fields",
            "path = ?",
            vec![path.as_str().into()],
        )?;
        fields::write_fields(ctx, path, &write.data)?;
        Ok(KvVersion {
            version,
            created_at: ctx.now,
            deleted_at: None,
            destroyed: false,
        })
    })
}

/// `GET /v1/secret/metadata/{path}`.
pub fn metadata(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<KvMetadata, ApiError> {
    in_transaction(ctx.storage, "kv metadata", || {
        let row = live_secret(ctx.storage, path)?;
        let versions = stored_versions(ctx, path, None)?;
        Ok(KvMetadata {
            created_at: row.created_at,
            updated_at: row.updated_at,
            current_version: row.current_version,
            max_versions: row.metadata.max_versions,
            tags: row.metadata.tags,
            versions,
        })
    })
}

/// `LIST /v1/secret/metadata/{prefix}`: the keys under `prefix` of the live secrets the
/// caller may read; a folder shows when the caller may read something in it.
pub fn list(
    ctx: &SecretContext<'_>,
    prefix: Option<&SecretPath>,
    scopes: &ScopeSet,
) -> Result<Vec<String>, ApiError> {
    let fail = |e: StorageError| internal("kv list", e);
    let (filter, bindings) = match prefix {
        // `/` sorts just before `0`: the range is every path below `prefix/`.
        Some(prefix) => (
            "deleted_at IS NULL AND path > ? AND path < ?",
            vec![format!("{prefix}/").into(), format!("{prefix}0").into()],
        ),
        None => ("deleted_at IS NULL", Vec::new()),
    };
    let rows = query(
        ctx.storage,
        &format!("SELECT path FROM secrets WHERE {filter} ORDER BY path"),
        bindings,
    )
    .map_err(fail)?;
    let mut visible = Vec::with_capacity(rows.len());
    for row in &rows {
        let text = row.text(0).map_err(fail)?;
        let path = SecretPath::parse(&text).map_err(|e| internal("stored path", e))?;
        if scopes.allows_secret(SecretAction::Read, &path) {
            visible.push(text);
        }
    }
    let keys = vault::list_keys(prefix, visible.iter().map(String::as_str));
    if keys.is_empty() {
        // Vault answers an empty folder with 404.
        return Err(ApiError::not_found(format!(
            "nothing is stored under '{}'",
            prefix.map(SecretPath::as_str).unwrap_or("/")
        )));
    }
    Ok(keys)
}

/// What `delete`, `undelete` and `destroy` do to each named version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionChange {
    Delete,
    Undelete,
    Destroy,
}

/// Applies `change` to `versions` (`None`: the current version). Versions that do not exist
/// are skipped, as Vault does; a destroyed version stays destroyed.
pub fn change_versions(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    versions: Option<Vec<u64>>,
    change: VersionChange,
) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "kv versions", || {
        let row = live_secret(ctx.storage, path)?;
        let versions = versions.unwrap_or_else(|| vec![row.current_version]);
        for version in versions {
            let key = vec![path.as_str().into(), version_value(version)];
            match change {
                VersionChange::Delete => execute(
                    ctx.storage,
                    "UPDATE secret_versions SET deleted_at = ?
                     WHERE path = ? AND version = ? AND deleted_at IS NULL",
                    [vec![ts(ctx.now)], key].concat(),
                )?,
                VersionChange::Undelete => execute(
                    ctx.storage,
                    "UPDATE secret_versions SET deleted_at = NULL WHERE path = ? AND version = ?",
                    key,
                )?,
                VersionChange::Destroy => {
                    let filter = "path = ? AND version = ?";
                    zero_sealed(ctx.storage, "secret_versions", filter, key.clone())?;
                    execute(
                        ctx.storage,
                        "UPDATE secret_versions SET ciphertext = X'', wrapped_data_key = X'',
                            destroyed_at = coalesce(destroyed_at, ?)
                         WHERE path = ? AND version = ?",
                        [vec![ts(ctx.now)], key].concat(),
                    )?;
                }
            }
        }
        Ok::<(), Failure>(())
    })
}
