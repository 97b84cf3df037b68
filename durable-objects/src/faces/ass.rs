//! The agentsecretstore face's commands (`latchkey_core::faces::ass`): an upsert, an import of
//! many upserts, and the namespaces. Each runs in one transaction: an import writes every
//! secret or none.

use crate::authorization::access::Principal;
use crate::secret_rows::insert_secret;
use crate::secrets;
use crate::sql::query;
use crate::store::{
    Failure, SecretContext, deleted_conflict, in_transaction, internal, load_secret,
};
use latchkey_core::faces::ass::wire::{Imported, NamespaceCount, SecretWritten};
use latchkey_core::faces::ass::{AssMetadata, EnvImport};
use latchkey_core::scope::Scope;
use latchkey_core::secret::SecretMetadata;
use latchkey_core::{ApiError, ErrorCode, SecretPath};
use std::collections::BTreeMap;

/// Creates the secret at `path` with `value`, or writes its next version; `metadata`'s
/// members left out keep what is stored. Lowering the tier needs an admin, as a native
/// `PUT` does.
pub fn upsert(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    path: &SecretPath,
    value: &str,
    metadata: &AssMetadata,
) -> Result<SecretWritten, ApiError> {
    in_transaction(ctx.storage, "upsert secret", || {
        upsert_one(ctx, principal, path, value, metadata)
    })
}

fn upsert_one(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    path: &SecretPath,
    value: &str,
    wanted: &AssMetadata,
) -> Result<SecretWritten, Failure> {
    let Some(row) = load_secret(ctx.storage, path)? else {
        let metadata = SecretMetadata {
            tier: wanted.tier.unwrap_or_default(),
            tags: wanted.tags(None),
            ..SecretMetadata::default()
        };
        let id = insert_secret(ctx.storage, path, 0, &metadata, ctx.now)?;
        secrets::append_version(ctx, path, 1, value, &metadata)?;
        return Ok(SecretWritten {
            id,
            path: path.clone(),
            version: 1,
            created: true,
            tier: metadata.tier,
            tags: metadata.tags,
            created_at: ctx.now,
            updated_at: ctx.now,
        });
    };
    if row.deleted_at.is_some() {
        return Err(deleted_conflict(path).into());
    }
    let mut metadata = row.metadata;
    if let Some(tier) = wanted.tier {
        if tier < metadata.tier && !principal.scopes().covers(&Scope::Admin) {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "lowering '{path}' from {} to {} needs an admin",
                    metadata.tier.as_str(),
                    tier.as_str()
                ),
            )
            .with("path", path.as_str())
            .with("required_scope", "admin")
            .into());
        }
        metadata.tier = tier;
    }
    metadata.tags = wanted.tags(Some(&metadata.tags));
    let version = row.current_version + 1;
    secrets::append_version(ctx, path, version, value, &metadata)?;
    Ok(SecretWritten {
        id: row.id,
        path: path.clone(),
        version,
        created: false,
        tier: metadata.tier,
        tags: metadata.tags,
        created_at: row.created_at,
        updated_at: ctx.now,
    })
}

/// Every entry of `import` upserted, in order, in one transaction: the first refusal (a
/// deleted path, a tier only an admin may lower) undoes the others.
pub fn import(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    import: EnvImport,
) -> Result<Imported, ApiError> {
    in_transaction(ctx.storage, "import secrets", || {
        let mut created = 0;
        let mut keys = Vec::with_capacity(import.entries.len());
        for entry in &import.entries {
            let written = upsert_one(ctx, principal, &entry.path, &entry.value, &import.metadata)?;
            created += u64::from(written.created);
            let (_, key) = latchkey_core::faces::ass::wire::split(&entry.path);
            keys.push(key.to_owned());
        }
        Ok::<_, Failure>(Imported {
            namespace: import.namespace.clone(),
            keys,
            created,
        })
    })
}

/// The namespaces of the live secrets (a path's segments but its last), with how many
/// secrets each holds directly, in order.
pub fn namespaces(ctx: &SecretContext<'_>) -> Result<Vec<NamespaceCount>, ApiError> {
    let fail = |e| internal("list namespaces", e);
    let rows = query(
        ctx.storage,
        "SELECT path FROM secrets WHERE deleted_at IS NULL",
        Vec::new(),
    )
    .map_err(fail)?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in &rows {
        let path = row.text(0).map_err(fail)?;
        if let Some((namespace, _)) = path.rsplit_once('/') {
            *counts.entry(namespace.to_owned()).or_default() += 1;
        }
    }
    Ok(counts
        .into_iter()
        .map(|(namespace, secret_count)| NamespaceCount {
            namespace,
            secret_count,
        })
        .collect())
}
