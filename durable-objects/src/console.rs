//! Console sessions in the tenant's storage (issue 25): only each session's hash, whose person
//! it is, when it was opened, last used and ends. A session authenticates as its person
//! ([`authenticate`], from `tenant/auth.rs`), with the rights they have at that moment.

use crate::authorization::access::Principal;
use crate::people::{UserPrincipal, load_user};
use crate::sql::{Storage, StorageError, execute, query_one};
use crate::store::{SecretContext, internal, read_ts, ts};
use latchkey_contract::caller::console::{ConsoleIdentity, ConsoleSessionOpened};
use latchkey_core::console::{
    ABSOLUTE_LIFETIME_SECONDS, IDLE_TIMEOUT_SECONDS, TOUCH_EVERY_SECONDS,
};
use latchkey_core::credential::{CredentialHash, mint_console_session, unrecognized};
use latchkey_core::people::UserId;
use latchkey_core::{ApiError, Timestamp};

fn person(principal: &Principal) -> Result<&UserPrincipal, ApiError> {
    match principal {
        Principal::User(user) => Ok(user),
        _ => Err(ApiError::new(
            latchkey_core::ErrorCode::PermissionDenied,
            "only a person (logged in with POST /v1/auth/login) has a console session",
        )),
    }
}

fn identity(user: &UserPrincipal, expires_at: Timestamp) -> ConsoleIdentity {
    ConsoleIdentity {
        user_id: user.id.clone(),
        email: user.email.clone(),
        permissions: user.scopes.scopes().to_vec(),
        expires_at,
        idle_timeout_seconds: IDLE_TIMEOUT_SECONDS,
    }
}

/// `OpenConsoleSession`: a new session for the person. Sessions that have ended are deleted
/// on the way, so the table holds only live ones (and the ones ended since the last login).
pub fn open(
    ctx: &SecretContext<'_>,
    principal: &Principal,
) -> Result<ConsoleSessionOpened, ApiError> {
    let user = person(principal)?;
    let fail = |e: StorageError| internal("open console session", e);
    let now = ctx.now;
    execute(
        ctx.storage,
        "DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?",
        vec![ts(now), ts(now.plus_seconds(-IDLE_TIMEOUT_SECONDS))],
    )
    .map_err(fail)?;
    let minted =
        mint_console_session(ctx.tenant_id).map_err(|e| internal("mint console session", e))?;
    let expires_at = now.plus_seconds(ABSOLUTE_LIFETIME_SECONDS);
    execute(
        ctx.storage,
        "INSERT INTO console_sessions (hash, user_id, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            minted.hash.to_hex().into(),
            user.id.as_str().into(),
            ts(now),
            ts(now),
            ts(expires_at),
        ],
    )
    .map_err(fail)?;
    Ok(ConsoleSessionOpened {
        session: minted.value.to_string(),
        identity: identity(user, expires_at),
    })
}

/// The session's row, when it is the caller's own.
fn own_session(
    storage: &Storage,
    user: &UserPrincipal,
    session: &CredentialHash,
) -> Result<Timestamp, ApiError> {
    let fail = |e: StorageError| internal("console session", e);
    let row = query_one(
        storage,
        "SELECT expires_at FROM console_sessions WHERE hash = ? AND user_id = ?",
        vec![session.to_hex().into(), user.id.as_str().into()],
    )
    .map_err(fail)?
    .ok_or_else(|| ApiError::not_found("no such console session"))?;
    read_ts(&row, 0).map_err(fail)
}

/// `DescribeConsoleSession`: who the session is for, and until when.
pub fn describe(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    session: &CredentialHash,
) -> Result<ConsoleIdentity, ApiError> {
    let user = person(principal)?;
    let expires_at = own_session(ctx.storage, user, session)?;
    Ok(identity(user, expires_at))
}

/// `CloseConsoleSession`: the row goes; the cookie authenticates nothing after.
pub fn close(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    session: &CredentialHash,
) -> Result<(), ApiError> {
    let user = person(principal)?;
    own_session(ctx.storage, user, session)?;
    execute(
        ctx.storage,
        "DELETE FROM console_sessions WHERE hash = ?",
        vec![session.to_hex().into()],
    )
    .map_err(|e| internal("close console session", e))
}

/// The person behind a presented session: unknown → the one answer to an unrecognized
/// credential; ended (idle or past its lifetime) → 401 saying so, and the row is deleted. A
/// live session's last use is written back at most every [`TOUCH_EVERY_SECONDS`].
pub fn authenticate(
    storage: &Storage,
    hash: &CredentialHash,
    now: Timestamp,
) -> Result<UserPrincipal, ApiError> {
    let fail = |e: StorageError| internal("authenticate console session", e);
    let row = query_one(
        storage,
        "SELECT hash, user_id, last_seen_at, expires_at FROM console_sessions WHERE hash = ?",
        vec![hash.to_hex().into()],
    )
    .map_err(fail)?
    .ok_or_else(unrecognized)?;
    let stored = CredentialHash::from_hex(&row.text(0).map_err(fail)?).ok_or_else(unrecognized)?;
    if stored != *hash {
        return Err(unrecognized());
    }
    let last_seen = read_ts(&row, 2).map_err(fail)?;
    let expires_at = read_ts(&row, 3).map_err(fail)?;
    let idle_end = last_seen.plus_seconds(IDLE_TIMEOUT_SECONDS);
    if expires_at <= now || idle_end <= now {
        execute(
            storage,
            "DELETE FROM console_sessions WHERE hash = ?",
            vec![hash.to_hex().into()],
        )
        .map_err(fail)?;
        let why = if expires_at <= now {
            format!("it ended at {expires_at}")
        } else {
            format!("it was idle for {IDLE_TIMEOUT_SECONDS} s, until {idle_end}")
        };
        return Err(ApiError::unauthorized(format!(
            "console session expired ({why}); log in again"
        )));
    }
    let id = UserId::parse(&row.text(1).map_err(fail)?).map_err(|e| internal("session user", e))?;
    let user = load_user(storage, id)?;
    if last_seen.plus_seconds(TOUCH_EVERY_SECONDS) <= now {
        execute(
            storage,
            "UPDATE console_sessions SET last_seen_at = ? WHERE hash = ?",
            vec![ts(now), hash.to_hex().into()],
        )
        .map_err(fail)?;
    }
    Ok(user)
}
