//! People in the tenant's storage: users with their password hashes, logins with
//! their failure throttle, and the principal a login JWT stands for. The password itself is
//! never here: the Worker derives it ([`latchkey_core::people`]) and the object compares.

pub mod roles;

use crate::authorization::access::Principal;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, opt_ts, read_count, read_opt_ts, read_ts, ts,
};
use latchkey_core::crypto::{TenantKey, hmac_sha256};
use latchkey_core::hex;
use latchkey_core::jwt::{self, JwtKind};
use latchkey_core::people::{
    ACCOUNT_RULE, ADDRESS_RULE, DerivedPassword, Email, FailureCount, KDF_ITERATIONS, KdfParams,
    LoginIssued, MAX_USERS, NewUser, SALT_BYTES, ThrottleRule, USER_JWT_TTL_SECONDS, UserId,
    UserView, locked_out, login_refused,
};
pub use latchkey_core::principal::UserPrincipal;
use latchkey_core::{ApiError, TenantId, Timestamp};

const USER_COLUMNS: &str =
    "id, email, name, created_at, last_login_at, suspended_at, suspended_reason";

fn parse_user(row: &Row) -> Result<UserView, StorageError> {
    Ok(UserView {
        id: UserId::parse(&row.text(0)?).map_err(StorageError)?,
        email: Email::parse(&row.text(1)?).map_err(StorageError)?,
        name: row.text(2)?,
        created_at: read_ts(row, 3)?,
        last_login_at: read_opt_ts(row, 4)?,
        suspended_at: read_opt_ts(row, 5)?,
        suspended_reason: row.opt_text(6)?,
    })
}

fn unhex<const N: usize>(text: &str) -> Result<[u8; N], StorageError> {
    hex::decode(text).ok_or_else(|| StorageError("stored hex is malformed".into()))
}

/// `POST /v1/users`: 409 when the email is taken.
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    user: NewUser,
) -> Result<UserView, ApiError> {
    in_transaction(ctx.storage, "create user", || {
        let count = query_one(ctx.storage, "SELECT count(*) FROM users", vec![])?
            .map(|row| read_count(&row, 0))
            .transpose()?
            .unwrap_or(0);
        if count >= MAX_USERS {
            return Err(ApiError::conflict(format!(
                "this tenant has {MAX_USERS} users, the most it may have"
            ))
            .into());
        }
        let taken = query_one(
            ctx.storage,
            "SELECT 1 FROM users WHERE email = ?",
            vec![user.email.as_str().into()],
        )?
        .is_some();
        if taken {
            return Err(ApiError::conflict(format!(
                "a user with email '{}' already exists",
                user.email.as_str()
            ))
            .with("field", "email")
            .into());
        }
        let id = UserId::generate().map_err(|e| internal("user id", e))?;
        execute(
            ctx.storage,
            "INSERT INTO users (id, email, name, kdf_salt, kdf_iterations, password_hash,
                created_at, created_by, last_login_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            vec![
                id.as_str().into(),
                user.email.as_str().into(),
                user.name.as_str().into(),
                hex::encode(&user.kdf.salt).into(),
                V::Integer(i64::from(user.kdf.iterations)),
                hex::encode(user.password.as_bytes()).into(),
                ts(ctx.now),
                principal.actor().into(),
            ],
        )?;
        Ok::<_, Failure>(UserView {
            id,
            email: user.email,
            name: user.name,
            created_at: ctx.now,
            last_login_at: None,
            suspended_at: None,
            suspended_reason: None,
        })
    })
}

/// `GET /v1/users`: by email.
pub fn list(storage: &Storage) -> Result<Vec<UserView>, ApiError> {
    query(
        storage,
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY email LIMIT {MAX_USERS}"),
        vec![],
    )
    .and_then(|rows| rows.iter().map(parse_user).collect())
    .map_err(|e| internal("list users", e))
}

pub fn user_not_found(id: &UserId) -> ApiError {
    ApiError::not_found(format!("user '{id}' not found")).with("id", id.as_str())
}

/// `DELETE /v1/users/{id}`: the user and their roles go; their login JWTs fail from the next
/// request, because the row is gone; what they made is revoked or suspended down the
/// provenance chain (`crate::authorization::provenance::cascade`), each change recorded.
pub fn delete(ctx: &SecretContext<'_>, principal: &Principal, id: &UserId) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "delete user", || {
        let found = query_one(
            ctx.storage,
            "SELECT 1 FROM users WHERE id = ?",
            vec![id.as_str().into()],
        )?
        .is_some();
        if !found {
            return Err(user_not_found(id).into());
        }
        // Removing a person removes their roles: the same rule as taking each away.
        let held = roles::permissions_of(ctx.storage, id)?;
        roles::require_covered(principal, held.scopes(), "deleting this user")?;
        execute(
            ctx.storage,
            "DELETE FROM user_roles WHERE user_id = ?",
            vec![id.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "DELETE FROM users WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        let cascaded = crate::authorization::provenance::cascade(
            ctx.storage,
            id.as_str(),
            "user deleted",
            ctx.now,
        )?;
        cascaded
            .into_iter()
            .for_each(|event| ctx.record_also(event));
        Ok::<_, Failure>(())
    })
}

/// `POST /v1/users/{id}/reinstate` (admin): a user suspended by a cascading revocation may
/// log in and act again. 404 for an unknown user, 409 when they are not suspended.
pub fn reinstate(ctx: &SecretContext<'_>, id: &UserId) -> Result<UserView, ApiError> {
    in_transaction(ctx.storage, "reinstate user", || {
        let row = query_one(
            ctx.storage,
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"),
            vec![id.as_str().into()],
        )?
        .ok_or_else(|| user_not_found(id))?;
        if !crate::authorization::provenance::reinstate(ctx.storage, "users", id.as_str())? {
            return Err(ApiError::conflict(format!("user '{id}' is not suspended")).into());
        }
        let mut user = parse_user(&row)?;
        user.suspended_at = None;
        user.suspended_reason = None;
        Ok::<_, Failure>(user)
    })
}

/// Verifies a login JWT and loads the person with their permissions: 401 when it does not
/// verify, has expired, or names a user who was deleted.
pub fn authenticate(
    storage: &Storage,
    tenant_id: &TenantId,
    tenant_key: &TenantKey,
    token: &str,
    now: Timestamp,
) -> Result<UserPrincipal, ApiError> {
    let key = tenant_key.derive(JwtKind::User.signing_key_label());
    let id = jwt::verify(JwtKind::User, &key, token, tenant_id, now)
        .map_err(ApiError::unauthorized)
        .and_then(|sub| UserId::parse(&sub).map_err(ApiError::unauthorized))?;
    load_user(storage, id)
}

/// The person `id` as a principal, with their roles' permissions now: 401 when they no
/// longer exist or are suspended (an OAuth grant's refresh asks this too).
pub fn load_user(storage: &Storage, id: UserId) -> Result<UserPrincipal, ApiError> {
    let fail = |e: StorageError| internal("authenticate user", e);
    let row = query_one(
        storage,
        "SELECT email, suspended_at, suspended_reason FROM users WHERE id = ?",
        vec![id.as_str().into()],
    )
    .map_err(fail)?
    .ok_or_else(|| ApiError::unauthorized("this user no longer exists"))?;
    if let Some(at) = read_opt_ts(&row, 1).map_err(fail)? {
        let why = row.opt_text(2).map_err(fail)?.unwrap_or_default();
        return Err(ApiError::unauthorized(format!(
            "this user was suspended at {at} ({why}); an admin may reinstate them"
        )));
    }
    Ok(UserPrincipal {
        email: Email::parse(&row.text(0).map_err(fail)?).map_err(|e| internal("user email", e))?,
        scopes: roles::permissions_of(storage, &id).map_err(fail)?,
        policies: crate::policies::load_policies(storage).map_err(fail)?,
        id,
    })
}

/// Who a link's approver is: the user with that email when `email:<address>` has an account
/// (so approving by link and in the API counts as one person), else the link's approver.
pub fn person_behind(storage: &Storage, approver: &str) -> Result<String, StorageError> {
    let Some(address) = approver.strip_prefix("email:") else {
        return Ok(approver.to_owned());
    };
    let Ok(email) = Email::parse(address) else {
        return Ok(approver.to_owned());
    };
    Ok(query_one(
        storage,
        "SELECT id FROM users WHERE email = ?",
        vec![email.as_str().into()],
    )?
    .map(|row| row.text(0))
    .transpose()?
    .unwrap_or_else(|| approver.to_owned()))
}

/// Who an actor id is, in words, for messages to approvers: a person's email, an agent's
/// name; `None` for anything else (a token is named by its id alone).
pub fn describe_actor(storage: &Storage, actor: &str) -> Result<Option<String>, StorageError> {
    let sql = if actor.starts_with("usr_") {
        "SELECT email FROM users WHERE id = ?"
    } else if actor.starts_with("agt_") {
        "SELECT name FROM agents WHERE id = ?"
    } else {
        return Ok(None);
    };
    query_one(storage, sql, vec![actor.into()])?
        .map(|row| row.text(0))
        .transpose()
}

/// The throttle's row key of an account: a keyed hash of the email as typed, so the table
/// holds no address of someone who has no account.
fn account_key(tenant_key: &TenantKey, email: &Email) -> String {
    let key = tenant_key.derive("login-throttle/v1");
    format!(
        "account:{}",
        hex::encode(&hmac_sha256(key.as_bytes(), email.as_str().as_bytes()))
    )
}

/// An IPv6 client is counted by its /64: one host usually holds a whole /64 and could
/// otherwise start over with every address in it.
fn address_key(ip: Option<&str>) -> String {
    match ip.map(|text| text.trim().parse::<std::net::IpAddr>()) {
        Some(Ok(std::net::IpAddr::V6(v6))) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("address:{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Some(Ok(ip)) => format!("address:{ip}"),
        _ => format!("address:{}", ip.unwrap_or("unknown")),
    }
}

fn load_count(storage: &Storage, key: &str) -> Result<Option<FailureCount>, StorageError> {
    query_one(
        storage,
        "SELECT failures, window_start, locked_until FROM login_failures WHERE key = ?",
        vec![key.into()],
    )?
    .map(|row| {
        Ok(FailureCount {
            failures: u32::try_from(read_count(&row, 0)?).unwrap_or(u32::MAX),
            window_start: read_ts(&row, 1)?,
            locked_until: read_opt_ts(&row, 2)?,
        })
    })
    .transpose()
}

/// The 429 when the account or the address is locked out now.
fn check_lockout(
    storage: &Storage,
    keys: &[(String, ThrottleRule)],
    now: Timestamp,
) -> Result<(), Failure> {
    for (key, _) in keys {
        if let Some(wait) = load_count(storage, key)?.and_then(|c| c.locked_for(now)) {
            return Err(locked_out(wait).into());
        }
    }
    Ok(())
}

fn throttle_keys(
    tenant_key: &TenantKey,
    email: &Email,
    ip: Option<&str>,
) -> [(String, ThrottleRule); 2] {
    [
        (account_key(tenant_key, email), ACCOUNT_RULE),
        (address_key(ip), ADDRESS_RULE),
    ]
}

/// The salt a login derives the password under: the user's, or for an unknown email a decoy
/// that is the same every time (a keyed hash of the email), so neither the answer nor the
/// Worker's work says whether the account exists. 429 while locked out.
pub fn challenge(
    ctx: &SecretContext<'_>,
    email: &Email,
    ip: Option<&str>,
) -> Result<KdfParams, ApiError> {
    let fail = |e: StorageError| internal("login challenge", e);
    check_lockout(
        ctx.storage,
        &throttle_keys(ctx.tenant_key, email, ip),
        ctx.now,
    )
    .map_err(|f| match f {
        Failure::Client(e) => e,
        Failure::Storage(e) => fail(e),
    })?;
    let row = query_one(
        ctx.storage,
        "SELECT kdf_salt, kdf_iterations FROM users WHERE email = ?",
        vec![email.as_str().into()],
    )
    .map_err(fail)?;
    match row {
        Some(row) => Ok(KdfParams {
            salt: unhex::<SALT_BYTES>(&row.text(0).map_err(fail)?).map_err(fail)?,
            iterations: u32::try_from(row.int(1).map_err(fail)?).unwrap_or(KDF_ITERATIONS),
        }),
        None => Ok(decoy(ctx.tenant_key, email)),
    }
}

fn decoy(tenant_key: &TenantKey, email: &Email) -> KdfParams {
    let key = tenant_key.derive("login-decoy/v1");
    let mac = hmac_sha256(key.as_bytes(), email.as_str().as_bytes());
    let mut salt = [0u8; SALT_BYTES];
    salt.copy_from_slice(mac.get(..SALT_BYTES).unwrap_or(&[0u8; SALT_BYTES]));
    KdfParams {
        salt,
        iterations: KDF_ITERATIONS,
    }
}

/// How a login ended, for the audit trail.
pub enum LoginOutcome {
    LoggedIn(LoginIssued),
    /// A wrong email or password (counted), or a lockout (not counted again).
    Refused {
        error: ApiError,
    },
}

/// Checks a derived password in constant time. A failure counts against the account and the
/// address (in this request's transaction); a success clears the account's count.
pub fn login(
    ctx: &SecretContext<'_>,
    email: &Email,
    password: &DerivedPassword,
    ip: Option<&str>,
) -> Result<LoginOutcome, ApiError> {
    let keys = throttle_keys(ctx.tenant_key, email, ip);
    in_transaction(ctx.storage, "login", || {
        if let Err(failure) = check_lockout(ctx.storage, &keys, ctx.now) {
            return match failure {
                Failure::Client(error) => Ok(LoginOutcome::Refused { error }),
                storage => Err(storage),
            };
        }
        let row = query_one(
            ctx.storage,
            &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?"),
            vec![email.as_str().into()],
        )?;
        let (user, stored) = match row {
            Some(row) => (
                Some(parse_user(&row)?),
                DerivedPassword::from_bytes(unhex::<32>(&row.text(7)?)?),
            ),
            // Compared anyway, so the unknown email costs the same as a wrong password.
            None => (None, DerivedPassword::from_bytes([0u8; 32])),
        };
        let matches = *password == stored;
        match user {
            // The right password of a suspended person: no session until an admin
            // reinstates them (not counted as a failure: the password was right).
            Some(user) if matches && user.suspended_at.is_some() => Ok(LoginOutcome::Refused {
                error: ApiError::unauthorized(
                    "this account is suspended; an admin may reinstate it",
                ),
            }),
            Some(mut user) if matches => {
                execute(
                    ctx.storage,
                    "DELETE FROM login_failures WHERE key = ?",
                    vec![keys[0].0.as_str().into()],
                )?;
                execute(
                    ctx.storage,
                    "UPDATE users SET last_login_at = ? WHERE id = ?",
                    vec![ts(ctx.now), user.id.as_str().into()],
                )?;
                user.last_login_at = Some(ctx.now);
                let key = ctx.tenant_key.derive(JwtKind::User.signing_key_label());
                let (token, expires_at) = jwt::mint(
                    JwtKind::User,
                    &key,
                    ctx.tenant_id,
                    user.id.as_str(),
                    ctx.now,
                    USER_JWT_TTL_SECONDS,
                )
                .map_err(|e| internal("user jwt", e))?;
                Ok(LoginOutcome::LoggedIn(LoginIssued {
                    token,
                    expires_at,
                    user,
                }))
            }
            _user => {
                for (key, rule) in &keys {
                    count_failure(ctx.storage, key, *rule, ctx.now)?;
                }
                Ok(LoginOutcome::Refused {
                    error: login_refused(),
                })
            }
        }
    })
}

fn count_failure(
    storage: &Storage,
    key: &str,
    rule: ThrottleRule,
    now: Timestamp,
) -> Result<(), StorageError> {
    let count = FailureCount::after_failure(load_count(storage, key)?, rule, now);
    execute(
        storage,
        "INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
            window_start = excluded.window_start, locked_until = excluded.locked_until",
        vec![
            key.into(),
            V::Integer(i64::from(count.failures)),
            ts(count.window_start),
            opt_ts(count.locked_until),
        ],
    )?;
    // Rows whose window and lockout are over say nothing any more.
    let window_ms = ACCOUNT_RULE.window_seconds.max(ADDRESS_RULE.window_seconds) * 1000;
    execute(
        storage,
        "DELETE FROM login_failures WHERE window_start < ? AND (locked_until IS NULL OR locked_until <= ?)",
        vec![V::Integer(now.unix_ms() - window_ms), ts(now)],
    )
}
