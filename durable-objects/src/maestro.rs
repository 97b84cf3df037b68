//! The MaestroVault face's writes (`/maestro/v1/…`, seed 003): `PUT` creates or updates a
//! secret and `PATCH` edits one in part, each decided in one transaction of the object.

use crate::secret_rows::{deleted, deleted_conflict, load_secret, not_found};
use crate::secrets;
use crate::store::{SecretContext, internal};
use latchkey_contract::caller::maestro::{SecretSet, SetMode, SetSecret};
use latchkey_core::ApiError;
use latchkey_core::faces::maestro::new_metadata;
use latchkey_core::secret::{MetadataChange, NewSecret, SecretUpdate};

/// Creates the secret (`Upsert` only; a value is then needed), writes a new version when a
/// value is given, and replaces the tags when they are given. A soft-deleted secret is the
/// native answer: 409 for a write (restore it first), 404 for an edit.
pub fn set(ctx: &SecretContext<'_>, command: SetSecret) -> Result<SecretSet, ApiError> {
    let SetSecret {
        path,
        value,
        tags,
        mode,
    } = command;
    let existing = load_secret(ctx.storage, &path).map_err(|e| internal("set secret", e))?;
    match (existing, mode) {
        (None, SetMode::Edit) => Err(not_found(&path)),
        (None, SetMode::Upsert) => {
            let value = value.ok_or_else(|| ApiError::validation("value", "value is required"))?;
            let created = secrets::create(
                ctx,
                NewSecret {
                    path,
                    value: Some(value),
                    fields: Default::default(),
                    metadata: new_metadata(tags),
                },
            )?;
            Ok(SecretSet {
                path: created.path,
                created: true,
                version: created.version,
            })
        }
        (Some(row), SetMode::Upsert) if row.deleted_at.is_some() => Err(deleted_conflict(&path)),
        (Some(row), SetMode::Edit) if row.deleted_at.is_some() => Err(deleted(&path)),
        // A new version when a value is given; the tags alone otherwise (no new version).
        (Some(_), _) => {
            let update = SecretUpdate {
                value,
                change: MetadataChange {
                    tags,
                    ..MetadataChange::default()
                },
            };
            let updated = secrets::update(ctx, &path, update, None)?;
            Ok(SecretSet {
                path: updated.path,
                created: false,
                version: updated.version,
            })
        }
    }
}
