//! Who is calling and what they may do: the master key or a scoped token, checked against the
//! scope each command needs. Deny by default: a command with no rule below is refused.

use crate::contract::TenantCommand;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{Failure, in_transaction, internal, read_count, read_opt_ts, read_ts, ts};
use latchkey_core::credential::{CredentialHash, mint_token};
use latchkey_core::netaddr::{IpRule, parse_client_ip};
use latchkey_core::scope::{Scope, ScopeSet, SecretAction, required_scope_hint};
use latchkey_core::token::{
    DEFAULT_TTL_SECONDS, TokenCreated, TokenId, TokenRequest, TokenSummary,
};
use latchkey_core::{ApiError, ErrorCode, SecretPath, TenantId, Timestamp};
use worker::{SqlStorageValue as V, Storage};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The tenant's master key: every scope.
    Master,
    Token(TokenRecord),
}

/// A stored token, as authentication needs it.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: TokenId,
    pub description: Option<String>,
    pub scopes: ScopeSet,
    pub expires_at: Timestamp,
    pub allowed_ips: Vec<IpRule>,
}

impl Principal {
    pub fn scopes(&self) -> ScopeSet {
        match self {
            Principal::Master => ScopeSet::admin(),
            Principal::Token(token) => token.scopes.clone(),
        }
    }

    /// What the caller says it is: the token's description.
    pub fn description(&self) -> Option<String> {
        match self {
            Principal::Master => Some("master key".to_owned()),
            Principal::Token(token) => token.description.clone(),
        }
    }

    /// How the audit trail and `created_by` name the caller.
    pub fn actor(&self) -> String {
        match self {
            Principal::Master => "master".to_owned(),
            Principal::Token(token) => token.id.to_string(),
        }
    }
}

/// What a command needs from its caller.
pub enum Access {
    /// `secrets:<action>` on this path.
    Secret(SecretAction, SecretPath),
    /// This exact scope (or `admin`).
    Scope(Scope),
    /// Any authenticated caller (the list filters by scope itself; token revocation checks
    /// ownership itself).
    Authenticated,
}

/// The rule for each command. Commands the operator sends (`Init`, `SetPlan`) and `Ping`
/// never reach here.
pub fn required(command: &TenantCommand) -> Access {
    use TenantCommand as C;
    match command {
        C::CreateSecret { secret } => Access::Secret(SecretAction::Write, secret.path.clone()),
        C::GetSecret { path, .. }
        | C::ListVersions { path }
        | C::GetField { path, .. }
        | C::GetFields { path } => Access::Secret(SecretAction::Read, path.clone()),
        C::UpdateSecret { path, .. }
        | C::SetField { path, .. }
        | C::SetFields { path, .. }
        | C::DeleteField { path, .. } => Access::Secret(SecretAction::Write, path.clone()),
        C::RotateSecret { path, .. } => Access::Secret(SecretAction::Rotate, path.clone()),
        C::DeleteSecret { path, .. } | C::RestoreSecret { path } => {
            Access::Secret(SecretAction::Delete, path.clone())
        }
        C::Info => Access::Scope(Scope::everywhere(SecretAction::Read)),
        C::CreateToken { .. } => Access::Scope(Scope::TokensCreate),
        C::ListTokens => Access::Scope(Scope::Admin),
        C::ListApprovals { .. } | C::ApproveRequest { .. } | C::DenyRequest { .. } => {
            Access::Scope(Scope::ApprovalsDecide)
        }
        C::GetPolicies | C::SetPolicies { .. } => Access::Scope(Scope::PoliciesWrite),
        C::GetNotifications | C::SetNotifications { .. } => Access::Scope(Scope::Admin),
        C::ListSecrets { .. }
        | C::RevokeToken { .. }
        | C::Touch
        | C::GetApproval { .. }
        | C::CancelRequest { .. } => Access::Authenticated,
        C::Init { .. }
        | C::SetPlan { .. }
        | C::Ping
        | C::ReviewLink { .. }
        | C::DecideByLink { .. } => Access::Scope(Scope::Admin),
    }
}

/// Checks `access` for `principal`: a 403 naming the path and the scope that would do.
pub fn check(principal: &Principal, access: &Access) -> Result<(), ApiError> {
    let scopes = principal.scopes();
    match access {
        Access::Authenticated => Ok(()),
        Access::Secret(action, path) if scopes.allows_secret(*action, path) => Ok(()),
        Access::Secret(action, path) => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("Token scope '{scopes}' does not cover path '{path}'"),
        )
        .with("path", path.as_str())
        .with("required_scope", required_scope_hint(*action, path))),
        Access::Scope(scope) if scopes.covers(scope) => Ok(()),
        Access::Scope(scope) => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("Token scope '{scopes}' does not include '{scope}'"),
        )
        .with("required_scope", scope.to_string())),
    }
}

const TOKEN_COLUMNS: &str = "id, scopes, allowed_ips, max_uses, uses, created_at, expires_at, \
    last_used_at, revoked_at, created_by, description";

struct StoredToken {
    record: TokenRecord,
    max_uses: Option<u64>,
    uses: u64,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    created_by: String,
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row,
    column: usize,
) -> Result<T, StorageError> {
    serde_json::from_str(&row.text(column)?).map_err(|e| StorageError(e.to_string()))
}

fn parse_token_row(row: &Row) -> Result<StoredToken, StorageError> {
    let id = TokenId::parse(&row.text(0)?).map_err(StorageError)?;
    Ok(StoredToken {
        record: TokenRecord {
            id,
            description: row.opt_text(10)?,
            scopes: json_column(row, 1)?,
            allowed_ips: json_column(row, 2)?,
            expires_at: read_ts(row, 6)?,
        },
        max_uses: row.opt_int(3)?.map(|n| u64::try_from(n).unwrap_or(0)),
        uses: read_count(row, 4)?,
        created_at: read_ts(row, 5)?,
        last_used_at: read_opt_ts(row, 7)?,
        revoked_at: read_opt_ts(row, 8)?,
        created_by: row.text(9)?,
    })
}

/// Authenticates a token by the hash of its value: 401 saying why when it is unknown,
/// revoked, expired or used up; 403 when the client's address is not allowed.
pub fn authenticate_token(
    storage: &Storage,
    hash: &CredentialHash,
    client_ip: Option<&str>,
    now: Timestamp,
) -> Result<TokenRecord, ApiError> {
    let fail = |e: StorageError| internal("authenticate token", e);
    // The lookup is by the SHA-256 of a 256-bit secret: its timing reveals nothing usable.
    let row = query_one(
        storage,
        &format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE hash = ?"),
        vec![hash.to_hex().into()],
    )
    .map_err(fail)?;
    let Some(row) = row else {
        return Err(ApiError::unauthorized("token not recognized"));
    };
    let stored_hash = CredentialHash::from_hex(&row.text(11).map_err(fail)?)
        .ok_or_else(|| internal("stored token hash", "not hex"))?;
    if stored_hash != *hash {
        return Err(ApiError::unauthorized("token not recognized"));
    }
    let token = parse_token_row(&row).map_err(fail)?;
    if let Some(at) = token.revoked_at {
        return Err(ApiError::unauthorized(format!("token was revoked at {at}")));
    }
    if token.record.expires_at <= now {
        return Err(ApiError::unauthorized(format!(
            "token expired at {}",
            token.record.expires_at
        )));
    }
    if let Some(max) = token.max_uses
        && token.uses >= max
    {
        return Err(ApiError::unauthorized(format!(
            "token has been used {max} times, its max_uses"
        )));
    }
    if !token.record.allowed_ips.is_empty() {
        let ip = client_ip.and_then(parse_client_ip);
        let allowed = ip.is_some_and(|ip| token.record.allowed_ips.iter().any(|r| r.contains(ip)));
        if !allowed {
            let shown = client_ip.unwrap_or("unknown");
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!("this token may not be used from address {shown}"),
            )
            .with("ip", shown));
        }
    }
    Ok(token.record)
}

/// Counts one use of a token (after its request was authorized).
pub fn count_use(storage: &Storage, id: &TokenId, now: Timestamp) -> Result<(), ApiError> {
    execute(
        storage,
        "UPDATE tokens SET uses = uses + 1, last_used_at = ? WHERE id = ?",
        vec![ts(now), id.as_str().into()],
    )
    .map_err(|e| internal("count token use", e))
}

/// Checks a token request against its caller: the new token's scopes must lie within the
/// caller's, and it may not outlive the calling token.
pub fn check_mint(
    principal: &Principal,
    request: &TokenRequest,
    now: Timestamp,
) -> Result<(), ApiError> {
    let caller_scopes = principal.scopes();
    if let Some(uncovered) = caller_scopes.first_uncovered(&request.scope) {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "a token can only mint tokens within its own scope; '{uncovered}' is not within '{caller_scopes}'"
            ),
        )
        .with("required_scope", uncovered.to_string()));
    }
    // Only an explicit TTL can be refused; the default is shortened to fit instead.
    if let Some(ttl) = request
        .ttl_seconds
        .map(|t| i64::try_from(t).unwrap_or(i64::MAX))
        && let Principal::Token(parent) = principal
        && now.plus_seconds(ttl) > parent.expires_at
    {
        let left = (parent.expires_at.unix_ms() - now.unix_ms()) / 1000;
        return Err(ApiError::validation(
            "ttl_seconds",
            format!(
                "the new token would outlive the token that mints it (which expires at {}); use ttl_seconds of at most {left}",
                parent.expires_at
            ),
        ));
    }
    Ok(())
}

/// Mints and stores a token for `request` (already checked), expiring `ttl_seconds` from
/// `now` but never after `not_after`.
pub fn mint(
    storage: &Storage,
    tenant: &TenantId,
    created_by: &str,
    request: &TokenRequest,
    now: Timestamp,
    not_after: Option<Timestamp>,
) -> Result<TokenCreated, Failure> {
    let ttl = i64::try_from(request.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS)).unwrap_or(i64::MAX);
    let expires_at = match not_after {
        Some(limit) => now.plus_seconds(ttl).min(limit),
        None => now.plus_seconds(ttl),
    };
    let id = TokenId::generate().map_err(|e| Failure::Client(internal("token id", e)))?;
    let minted = mint_token(tenant).map_err(|e| Failure::Client(internal("mint token", e)))?;
    let scopes = serde_json::to_string(&request.scope)
        .map_err(|e| Failure::Client(internal("scopes", e)))?;
    let ips = serde_json::to_string(&request.allowed_ips)
        .map_err(|e| Failure::Client(internal("ips", e)))?;
    execute(
        storage,
        "INSERT INTO tokens (id, hash, scopes, description, allowed_ips, max_uses, uses,
            created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        vec![
            id.as_str().into(),
            minted.hash.to_hex().into(),
            scopes.into(),
            request.description.clone().into(),
            ips.into(),
            request
                .max_uses
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                .into(),
            ts(now),
            ts(expires_at),
            created_by.into(),
        ],
    )?;
    Ok(TokenCreated {
        value: minted.value.to_string(),
        id,
        scope: request.scope.clone(),
        ttl_seconds: u64::try_from((expires_at.unix_ms() - now.unix_ms()) / 1000).unwrap_or(0),
        expires_at,
        approval_status: "approved".into(),
        approval_request_id: None,
    })
}

/// The expiry of the calling token, which a token it mints may not outlive.
pub fn not_after(principal: &Principal) -> Option<Timestamp> {
    match principal {
        Principal::Master => None,
        Principal::Token(token) => Some(token.expires_at),
    }
}

/// `GET /v1/tokens`: every token's metadata, newest first.
pub fn list(storage: &Storage) -> Result<Vec<TokenSummary>, ApiError> {
    let fail = |e: StorageError| internal("list tokens", e);
    let rows = query(
        storage,
        &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at DESC, id"),
        vec![],
    )
    .map_err(fail)?;
    rows.iter()
        .map(|row| {
            let token = parse_token_row(row).map_err(fail)?;
            Ok(TokenSummary {
                id: token.record.id,
                description: token.record.description,
                scope: token.record.scopes,
                allowed_ips: token.record.allowed_ips,
                created_at: token.created_at,
                expires_at: token.record.expires_at,
                last_used_at: token.last_used_at,
                uses: token.uses,
                max_uses: token.max_uses,
                revoked: token.revoked_at.is_some(),
                revoked_at: token.revoked_at,
                created_by: token.created_by,
            })
        })
        .collect()
}

/// `DELETE /v1/tokens/{id}`: by an admin, or by the token itself. Revoking twice is fine.
pub fn revoke(
    storage: &Storage,
    principal: &Principal,
    id: &TokenId,
    now: Timestamp,
) -> Result<(), ApiError> {
    let own = matches!(principal, Principal::Token(token) if token.id == *id);
    if !own {
        check(principal, &Access::Scope(Scope::Admin))?;
    }
    in_transaction(storage, "revoke token", || {
        let exists = query_one(
            storage,
            "SELECT 1 FROM tokens WHERE id = ?",
            vec![id.as_str().into()],
        )?
        .is_some();
        if !exists {
            return Err(ApiError::not_found(format!("token '{id}' not found"))
                .with("id", id.as_str())
                .into());
        }
        execute(
            storage,
            "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
            vec![ts(now), V::from(id.as_str())],
        )?;
        Ok(())
    })
}
