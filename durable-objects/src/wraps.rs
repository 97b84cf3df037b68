//! Wraps in the tenant's storage: a sealed value (own data key, bound to the wrap's id), the
//! SHA-256 of its `lk_wrap_…` token (or the access request it belongs to), and whether it was
//! retrieved. The one retrieval and the erasure of the ciphertext happen in the same
//! serialized step, so of any number of concurrent retrievals exactly one gets the value.

use crate::authorization::access::Principal;
use crate::secrets;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, read_opt_ts, read_ts, ts, zero_sealed,
};
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::credential::{CredentialHash, mint_wrap_token};
use latchkey_core::crypto::Sealed;
use latchkey_core::wrap::{
    NewWrap, Unwrapped, WrapCreated, WrapId, WrapSource, WrapStatus, WrapSummary,
};
use latchkey_core::{ApiError, ErrorCode, SecretPath, Timestamp};

fn purpose(id: &WrapId) -> String {
    format!("wrap:{id}")
}

/// A secret's current value, read as the object (the caller's reach was checked before).
/// 409 when the secret holds fields only.
pub fn current_value(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
) -> Result<(String, u64), ApiError> {
    let read = secrets::read(ctx, path, None)?;
    match read.value {
        Some(value) => Ok((value, read.version)),
        None => Err(ApiError::conflict(format!(
            "'{path}' holds fields only; there is no value to wrap"
        ))
        .with("path", path.as_str())),
    }
}

struct Stored<'a> {
    id: &'a WrapId,
    token: Option<&'a CredentialHash>,
    request: Option<&'a AccessRequestId>,
    owner: &'a str,
    path: Option<&'a SecretPath>,
    version: Option<u64>,
    expires_at: Timestamp,
}

fn insert(ctx: &SecretContext<'_>, wrap: Stored<'_>, value: &str) -> Result<(), Failure> {
    let sealed = ctx.seal_config(&purpose(wrap.id), value)?;
    execute(
        ctx.storage,
        "INSERT INTO wraps (id, token_hash, request_id, owner, path, version, wrapped_data_key,
            ciphertext, created_at, expires_at, retrieved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        vec![
            wrap.id.as_str().into(),
            wrap.token.map(CredentialHash::to_hex).into(),
            wrap.request.map(AccessRequestId::as_str).into(),
            wrap.owner.into(),
            wrap.path.map(SecretPath::as_str).into(),
            wrap.version
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
                .into(),
            V::Blob(sealed.wrapped_data_key),
            V::Blob(sealed.ciphertext),
            ts(ctx.now),
            ts(wrap.expires_at),
        ],
    )?;
    Ok(())
}

/// `POST /v1/wraps`: the token is shown once; only its hash is kept.
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    wrap: NewWrap,
) -> Result<WrapCreated, ApiError> {
    let (value, path, version) = match wrap.source {
        WrapSource::Path(path) => {
            let (value, version) = current_value(ctx, &path)?;
            (value, Some(path), Some(version))
        }
        WrapSource::Value(value) => (value, None, None),
    };
    let id = WrapId::generate().map_err(|e| internal("wrap id", e))?;
    let token = mint_wrap_token(ctx.tenant_id).map_err(|e| internal("wrap token", e))?;
    let expires_at = ctx
        .now
        .plus_seconds(i64::try_from(wrap.ttl_seconds).unwrap_or(i64::MAX));
    in_transaction(ctx.storage, "create wrap", || {
        insert(
            ctx,
            Stored {
                id: &id,
                token: Some(&token.hash),
                request: None,
                owner: &principal.actor(),
                path: path.as_ref(),
                version,
                expires_at,
            },
            &value,
        )
    })?;
    Ok(WrapCreated {
        wrap_token: token.value.to_string(),
        id,
        expires_at,
        path,
        version,
    })
}

/// The wrap an approved read request leaves for its requester: the secret's value now.
pub fn create_for_request(
    ctx: &SecretContext<'_>,
    request: &AccessRequestId,
    owner: &str,
    path: &SecretPath,
    ttl_seconds: u64,
) -> Result<WrapId, Failure> {
    let (value, version) = current_value(ctx, path)?;
    let id = WrapId::generate().map_err(|e| internal("wrap id", e))?;
    insert(
        ctx,
        Stored {
            id: &id,
            token: None,
            request: Some(request),
            owner,
            path: Some(path),
            version: Some(version),
            expires_at: ctx
                .now
                .plus_seconds(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
        },
        &value,
    )?;
    Ok(id)
}

/// The wrap a carried read leaves for its requester: the value its agent posted (issue 23).
pub fn create_for_request_with(
    ctx: &SecretContext<'_>,
    request: &AccessRequestId,
    owner: &str,
    value: &str,
    ttl_seconds: u64,
) -> Result<WrapId, Failure> {
    let id = WrapId::generate().map_err(|e| internal("wrap id", e))?;
    insert(
        ctx,
        Stored {
            id: &id,
            token: None,
            request: Some(request),
            owner,
            path: None,
            version: None,
            expires_at: ctx
                .now
                .plus_seconds(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
        },
        value,
    )?;
    Ok(id)
}

const COLUMNS: &str = "id, request_id, path, version, created_at, expires_at, retrieved_at, \
    hex(wrapped_data_key), hex(ciphertext), token_hash";

fn summary(row: &Row, now: Timestamp) -> Result<WrapSummary, StorageError> {
    let expires_at = read_ts(row, 5)?;
    let retrieved_at = read_opt_ts(row, 6)?;
    Ok(WrapSummary {
        id: WrapId::parse(&row.text(0)?).map_err(StorageError)?,
        request_id: row
            .opt_text(1)?
            .map(|t| AccessRequestId::parse(&t))
            .transpose()
            .map_err(StorageError)?,
        path: row
            .opt_text(2)?
            .map(|t| SecretPath::parse(&t))
            .transpose()
            .map_err(StorageError)?,
        version: row.opt_int(3)?.map(|v| u64::try_from(v).unwrap_or(0)),
        status: WrapStatus::at(retrieved_at, expires_at, now),
        created_at: read_ts(row, 4)?,
        expires_at,
        retrieved_at,
    })
}

/// The wraps of one access request, without values.
pub fn of_request(
    storage: &Storage,
    request: &AccessRequestId,
    now: Timestamp,
) -> Result<Vec<WrapSummary>, StorageError> {
    query(
        storage,
        &format!("SELECT {COLUMNS} FROM wraps WHERE request_id = ? ORDER BY created_at, id"),
        vec![request.as_str().into()],
    )?
    .iter()
    .map(|row| summary(row, now))
    .collect()
}

/// Hands the value over once: 410 when it was retrieved or has expired. The ciphertext is
/// zeroed and dropped in the same transaction.
fn consume(ctx: &SecretContext<'_>, row: &Row) -> Result<Unwrapped, Failure> {
    let wrap = summary(row, ctx.now)?;
    match wrap.status {
        WrapStatus::Available => {}
        WrapStatus::Retrieved => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                format!(
                    "wrap '{}' was already retrieved; a wrap gives its value once",
                    wrap.id
                ),
            )
            .with("id", wrap.id.as_str())
            .into());
        }
        WrapStatus::Expired => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                format!("wrap '{}' expired at {}", wrap.id, wrap.expires_at),
            )
            .with("id", wrap.id.as_str())
            .into());
        }
    }
    let sealed = Sealed {
        wrapped_data_key: row.blob(7)?,
        ciphertext: row.blob(8)?,
    };
    let value = ctx.open_config(&purpose(&wrap.id), &sealed)?;
    execute(
        ctx.storage,
        "UPDATE wraps SET retrieved_at = ? WHERE id = ?",
        vec![ts(ctx.now), wrap.id.as_str().into()],
    )?;
    erase(ctx.storage, "id = ?", vec![wrap.id.as_str().into()])?;
    Ok(Unwrapped {
        id: wrap.id,
        value,
        path: wrap.path,
        version: wrap.version,
        created_at: wrap.created_at,
    })
}

fn erase(storage: &Storage, filter: &str, bindings: Vec<V>) -> Result<(), StorageError> {
    zero_sealed(storage, "wraps", filter, bindings.clone())?;
    execute(
        storage,
        &format!("UPDATE wraps SET ciphertext = X'', wrapped_data_key = X'' WHERE {filter}"),
        bindings,
    )
}

fn unknown_wrap() -> ApiError {
    ApiError::not_found("no wrap has this token")
}

/// `POST /v1/wraps/unwrap`: the wrap whose token hashes to `hash`, once.
pub fn unwrap(ctx: &SecretContext<'_>, hash: &CredentialHash) -> Result<Unwrapped, ApiError> {
    in_transaction(ctx.storage, "unwrap", || {
        let row = query_one(
            ctx.storage,
            &format!("SELECT {COLUMNS} FROM wraps WHERE token_hash = ?"),
            vec![hash.to_hex().into()],
        )?
        .ok_or_else(unknown_wrap)?;
        let stored = row
            .opt_text(9)?
            .and_then(|text| CredentialHash::from_hex(&text))
            .ok_or_else(unknown_wrap)?;
        // CredentialHash's equality is constant-time.
        if stored != *hash {
            return Err(unknown_wrap().into());
        }
        consume(ctx, &row)
    })
}

/// `GET /v1/requests/{id}/wraps/{wrap_id}`: the requester's wrap, once.
pub fn retrieve_for_request(
    ctx: &SecretContext<'_>,
    request: &AccessRequestId,
    id: &WrapId,
) -> Result<Unwrapped, ApiError> {
    in_transaction(ctx.storage, "retrieve wrap", || {
        let row = query_one(
            ctx.storage,
            &format!("SELECT {COLUMNS} FROM wraps WHERE id = ? AND request_id = ?"),
            vec![id.as_str().into(), request.as_str().into()],
        )?
        .ok_or_else(|| {
            ApiError::not_found(format!("request '{request}' has no wrap '{id}'"))
                .with("id", id.as_str())
        })?;
        consume(ctx, &row)
    })
}

/// How long a spent or expired wrap's row stays (answering 410 rather than 404).
const KEEP_SPENT_SECONDS: i64 = 7 * 86_400;

/// Erases the values of wraps that expired unretrieved, and forgets spent wraps after a week
/// (the maintenance alarm).
pub fn erase_expired(storage: &Storage, now: Timestamp) -> Result<(), StorageError> {
    erase(
        storage,
        "expires_at <= ? AND length(ciphertext) > 0",
        vec![ts(now)],
    )?;
    execute(
        storage,
        "DELETE FROM wraps WHERE expires_at <= ? AND length(ciphertext) = 0",
        vec![ts(now.plus_seconds(-KEEP_SPENT_SECONDS))],
    )
}

/// When the next unretrieved wrap expires.
pub fn next_expiry(storage: &Storage) -> Result<Option<Timestamp>, StorageError> {
    query_one(
        storage,
        "SELECT min(expires_at) FROM wraps WHERE length(ciphertext) > 0",
        vec![],
    )?
    .map(|row| read_opt_ts(&row, 0))
    .transpose()
    .map(Option::flatten)
}
