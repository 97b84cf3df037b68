//! Fields: named values of a secret, each sealed on its own under its own data key,
//! bound to the tenant, the secret's path and the field's name. Fields are not versioned: a
//! write replaces the field's value (the old ciphertext is zeroed first).

use crate::secret_rows::insert_secret;
use crate::sql::Value as V;
use crate::sql::{execute, query, query_one};
use crate::store::{
    Failure, SecretContext, deleted_conflict, erase_rows, in_transaction, live_secret, load_secret,
    readable_secret, ts, zero_sealed,
};
use latchkey_core::crypto::Sealed;
use latchkey_core::field::{
    FieldName, FieldRead, FieldStored, FieldValue, Fields, FieldsStored, MAX_FIELDS_PER_SECRET,
};
use latchkey_core::secret::SecretMetadata;
use latchkey_core::{ApiError, SecretPath};
use std::collections::BTreeMap;

/// Field ciphertexts are bound to version 0: they belong to the secret, not to a version.
const FIELD_VERSION: u64 = 0;

/// Seals and upserts each field, then checks the secret's field count.
pub fn write_fields(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    fields: &Fields,
) -> Result<(), Failure> {
    for (name, value) in &fields.0 {
        let sealed = ctx.seal(path, FIELD_VERSION, &name.seal_purpose(), value)?;
        zero_sealed(
            ctx.storage,
            "secret_fields",
            "path = ? AND name = ?",
            vec![path.as_str().into(), name.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "INSERT INTO secret_fields (path, name, wrapped_data_key, ciphertext, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (path, name) DO UPDATE SET wrapped_data_key = excluded.wrapped_data_key,
                ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
            vec![
                path.as_str().into(),
                name.as_str().into(),
                V::Blob(sealed.wrapped_data_key),
                V::Blob(sealed.ciphertext),
                ts(ctx.now),
                ts(ctx.now),
            ],
        )?;
    }
    let count = field_count(ctx, path)?;
    if count > MAX_FIELDS_PER_SECRET {
        return Err(ApiError::validation(
            "fields",
            format!(
                "secret '{path}' would hold {count} fields; the limit is {MAX_FIELDS_PER_SECRET}"
            ),
        )
        .with("path", path.as_str())
        .into());
    }
    Ok(())
}

fn field_count(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<usize, Failure> {
    let count = query_one(
        ctx.storage,
        "SELECT count(*) FROM secret_fields WHERE path = ?",
        vec![path.as_str().into()],
    )?
    .map(|row| row.int(0))
    .transpose()?
    .unwrap_or(0);
    Ok(usize::try_from(count).unwrap_or(0))
}

/// Every field of the secret, opened.
pub fn read_all(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<Fields, Failure> {
    let rows = query(
        ctx.storage,
        "SELECT name, hex(wrapped_data_key), hex(ciphertext) FROM secret_fields WHERE path = ? ORDER BY name",
        vec![path.as_str().into()],
    )?;
    let mut fields = BTreeMap::new();
    for row in rows {
        let name = FieldName::parse(&row.text(0)?)
            .map_err(|e| Failure::Client(crate::store::internal("stored field name", e)))?;
        let sealed = Sealed {
            wrapped_data_key: row.blob(1)?,
            ciphertext: row.blob(2)?,
        };
        let value = ctx.open(path, FIELD_VERSION, &name.seal_purpose(), &sealed)?;
        fields.insert(name, value);
    }
    Ok(Fields(fields))
}

/// The secret to write fields to: the live one, or a new fields-only secret when there is
/// none. Returns whether it was created.
fn secret_for_fields(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<bool, Failure> {
    match load_secret(ctx.storage, path)? {
        Some(row) if row.deleted_at.is_some() => Err(deleted_conflict(path).into()),
        Some(_) => {
            execute(
                ctx.storage,
                "UPDATE secrets SET updated_at = ? WHERE path = ?",
                vec![ts(ctx.now), path.as_str().into()],
            )?;
            Ok(false)
        }
        None => {
            insert_secret(ctx.storage, path, 0, &SecretMetadata::default(), ctx.now)?;
            Ok(true)
        }
    }
}

fn touch_accessed(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<(), Failure> {
    execute(
        ctx.storage,
        "UPDATE secrets SET accessed_at = ? WHERE path = ?",
        vec![ts(ctx.now), path.as_str().into()],
    )?;
    Ok(())
}

fn field_not_found(path: &SecretPath, name: &FieldName) -> ApiError {
    ApiError::not_found(format!("secret '{path}' has no field '{name}'"))
        .with("path", path.as_str())
        .with("field", name.as_str())
}

/// `PUT /v1/secrets/{path}/fields/{field}`.
pub fn set_one(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    name: FieldName,
    value: FieldValue,
) -> Result<FieldStored, ApiError> {
    in_transaction(ctx.storage, "set field", || {
        let secret_created = secret_for_fields(ctx, path)?;
        let fields = Fields(BTreeMap::from([(name.clone(), value.0)]));
        write_fields(ctx, path, &fields)?;
        Ok(FieldStored {
            status: "stored".into(),
            path: path.clone(),
            field: name,
            secret_created,
        })
    })
}

/// `PUT /v1/secrets/{path}/fields`: adds or replaces the given fields, keeps the others.
pub fn set_many(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    fields: Fields,
) -> Result<FieldsStored, ApiError> {
    in_transaction(ctx.storage, "set fields", || {
        let secret_created = secret_for_fields(ctx, path)?;
        write_fields(ctx, path, &fields)?;
        Ok(FieldsStored {
            status: "stored".into(),
            path: path.clone(),
            field_count: field_count(ctx, path)?,
            secret_created,
        })
    })
}

/// `GET /v1/secrets/{path}/fields/{field}`.
pub fn get_one(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    name: FieldName,
) -> Result<FieldRead, ApiError> {
    in_transaction(ctx.storage, "read field", || {
        readable_secret(ctx.storage, path, ctx.now)?;
        let row = query_one(
            ctx.storage,
            "SELECT hex(wrapped_data_key), hex(ciphertext) FROM secret_fields WHERE path = ? AND name = ?",
            vec![path.as_str().into(), name.as_str().into()],
        )?
        .ok_or_else(|| field_not_found(path, &name))?;
        let sealed = Sealed {
            wrapped_data_key: row.blob(0)?,
            ciphertext: row.blob(1)?,
        };
        let value = ctx.open(path, FIELD_VERSION, &name.seal_purpose(), &sealed)?;
        touch_accessed(ctx, path)?;
        Ok(FieldRead {
            path: path.clone(),
            field: name,
            value,
        })
    })
}

/// `GET /v1/secrets/{path}/fields`: `{}` when the secret has none.
pub fn get_all(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<Fields, ApiError> {
    in_transaction(ctx.storage, "read fields", || {
        readable_secret(ctx.storage, path, ctx.now)?;
        let fields = read_all(ctx, path)?;
        touch_accessed(ctx, path)?;
        Ok(fields)
    })
}

/// `DELETE /v1/secrets/{path}/fields/{field}`: zeroes, then removes the field. The secret
/// stays, even with neither a value nor fields left.
pub fn delete_one(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    name: &FieldName,
) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "delete field", || {
        live_secret(ctx.storage, path)?;
        let exists = query_one(
            ctx.storage,
            "SELECT 1 FROM secret_fields WHERE path = ? AND name = ?",
            vec![path.as_str().into(), name.as_str().into()],
        )?
        .is_some();
        if !exists {
            return Err(field_not_found(path, name).into());
        }
        erase_rows(
            ctx.storage,
            "secret_fields",
            "path = ? AND name = ?",
            vec![path.as_str().into(), name.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "UPDATE secrets SET updated_at = ? WHERE path = ?",
            vec![ts(ctx.now), path.as_str().into()],
        )?;
        Ok(())
    })
}
