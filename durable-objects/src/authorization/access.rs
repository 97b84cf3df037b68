//! Who is calling and what they may do: the master key or a scoped token, checked against the
//! scope each command needs. Deny by default: a command with no rule below is refused.

use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, in_transaction, internal, json_column, opt_ts, read_count, read_opt_ts, read_ts, ts,
};
pub use latchkey_contract::Access;
use latchkey_core::credential::{CredentialHash, mint_token};
use latchkey_core::gate::Clearance;
use latchkey_core::netaddr::parse_client_ip;
pub use latchkey_core::principal::{Principal, TokenRecord};
use latchkey_core::scope::Scope;
use latchkey_core::secret::Tier;
use latchkey_core::token::{
    DEFAULT_TTL_SECONDS, TokenCreated, TokenId, TokenRequest, TokenSummary,
};
use latchkey_core::{ApiError, ErrorCode, TenantId, Timestamp};

/// Checks `access` for `principal`: a 403 naming the path and the scope that would do.
pub fn check(principal: &Principal, access: &Access) -> Result<(), ApiError> {
    let scopes = principal.scopes();
    match (access, principal) {
        // A bootstrap token opens registration and nothing else.
        (Access::Bootstrap, Principal::Bootstrap(_)) => return Ok(()),
        (Access::Bootstrap, _) => {
            return Err(ApiError::unauthorized(
                "registration needs a bootstrap token in the body's 'token'",
            ));
        }
        (_, Principal::Bootstrap(_)) => {
            return Err(ApiError::unauthorized(
                "a bootstrap token only registers agents (POST /v1/agents/register)",
            ));
        }
        (Access::Agent, Principal::Agent(_)) => return Ok(()),
        (Access::Person | Access::PersonOr(_), Principal::User(_)) => return Ok(()),
        (Access::Person, _) => {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "only a person, logged in, may do this (consent to an OAuth client)",
            ));
        }
        (Access::Agent, _) => {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "this route is for agents: call it with the agent's JWT or X-Agent-Secret",
            ));
        }
        _ => {}
    }
    match access {
        // Scope, tier clearance and purpose of a secret together: the one gate's
        // (`gate::admit_command`).
        Access::Authenticated
        | Access::Agent
        | Access::Bootstrap
        | Access::Person
        | Access::Secret(..)
        | Access::LoadedSecret(..)
        | Access::Secrets(..) => Ok(()),
        Access::PersonOr(wanted) if wanted.iter().any(|scope| scopes.covers(scope)) => Ok(()),
        Access::PersonOr(wanted) => {
            let named: Vec<String> = wanted.iter().map(|s| format!("'{s}'")).collect();
            let mut refusal = ApiError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "deciding requests is for people and for holders of {}",
                    named.join(" or ")
                ),
            );
            if let Some(first) = wanted.first() {
                refusal = refusal.with("required_scope", first.to_string());
            }
            Err(refusal)
        }
        Access::Scope(scope) if scopes.covers(scope) => Ok(()),
        Access::Scope(scope) => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            match principal {
                Principal::Agent(_) => {
                    format!("an agent may not use this route (it needs '{scope}')")
                }
                Principal::User(_) => {
                    format!("this needs the permission '{scope}', which none of your roles gives")
                }
                _ => format!("Token scope '{scopes}' does not include '{scope}'"),
            },
        )
        .with("required_scope", scope.to_string())),
    }
}

const TOKEN_COLUMNS: &str = "id, scopes, allowed_ips, max_uses, uses, created_at, expires_at, \
    last_used_at, revoked_at, created_by, description, cleared_tier, cleared_approvals, \
    audience, oauth_client, cleared_workflows";

struct StoredToken {
    record: TokenRecord,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    created_by: String,
    oauth_client: Option<String>,
}

fn parse_token_row(row: &Row) -> Result<StoredToken, StorageError> {
    let id = TokenId::parse(&row.text(0)?).map_err(StorageError)?;
    Ok(StoredToken {
        record: TokenRecord {
            id,
            description: row.opt_text(10)?,
            scopes: json_column(row, 1)?,
            allowed_ips: json_column(row, 2)?,
            expires_at: read_opt_ts(row, 6)?,
            max_uses: row.opt_int(3)?.map(|n| u64::try_from(n).unwrap_or(0)),
            uses: read_count(row, 4)?,
            cleared_tier: Tier::parse(&row.text(11)?).unwrap_or(Tier::Standard),
            cleared_approvals: row.opt_int(12)?.map(|n| u64::try_from(n).unwrap_or(0)),
            audience: row.opt_text(13)?,
            cleared_workflows: row
                .opt_text(15)?
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .map_err(|e| StorageError(format!("cleared_workflows: {e}")))?,
        },
        oauth_client: row.opt_text(14)?,
        created_at: read_ts(row, 5)?,
        last_used_at: read_opt_ts(row, 7)?,
        revoked_at: read_opt_ts(row, 8)?,
        created_by: row.text(9)?,
    })
}

/// A token as authentication sees it: its record, and whether and when it was revoked and
/// last used. Held by the token cache (`token_cache`) between requests.
#[derive(Debug, Clone)]
pub struct TokenState {
    pub record: TokenRecord,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// Reads the token whose value hashes to `hash`, if there is one.
pub fn load_token(
    storage: &Storage,
    hash: &CredentialHash,
) -> Result<Option<TokenState>, StorageError> {
    // The lookup is by the SHA-256 of a 256-bit secret: its timing reveals nothing usable.
    let row = query_one(
        storage,
        &format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE hash = ?"),
        vec![hash.to_hex().into()],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored_hash = CredentialHash::from_hex(&row.text(16)?)
        .ok_or_else(|| StorageError("stored token hash is not hex".into()))?;
    if stored_hash != *hash {
        return Ok(None);
    }
    let token = parse_token_row(&row)?;
    Ok(Some(TokenState {
        record: token.record,
        revoked_at: token.revoked_at,
        last_used_at: token.last_used_at,
    }))
}

/// Decides whether a known token may make this request: 401 saying why when it is revoked,
/// expired or used up (unless `enforce_max_uses` is off: polling an approval does not count
/// as a use); 403 when the client's address is not allowed.
pub fn admit_token(
    token: &TokenState,
    client_ip: Option<&str>,
    now: Timestamp,
    enforce_max_uses: bool,
) -> Result<TokenRecord, ApiError> {
    if let Some(at) = token.revoked_at {
        return Err(ApiError::unauthorized(format!("token was revoked at {at}")));
    }
    if let Some(expired) = token.record.expires_at.filter(|at| *at <= now) {
        return Err(ApiError::unauthorized(format!(
            "token expired at {expired}"
        )));
    }
    if let Some(max) = token.record.max_uses
        && enforce_max_uses
        && token.record.uses >= max
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
    Ok(token.record.clone())
}

/// Writes a token's use count and last use.
pub fn store_uses(
    storage: &Storage,
    id: &TokenId,
    uses: u64,
    last_used_at: Option<Timestamp>,
) -> Result<(), StorageError> {
    execute(
        storage,
        "UPDATE tokens SET uses = ?, last_used_at = ? WHERE id = ?",
        vec![
            V::Integer(i64::try_from(uses).unwrap_or(i64::MAX)),
            last_used_at.map(ts).unwrap_or(V::Null),
            id.as_str().into(),
        ],
    )
}

/// Checks a token request against its caller and narrows what it leaves open: the new token's
/// scopes must lie within the caller's; it may not outlive the calling token, be usable from
/// addresses the caller is not, or be used more often than the caller still may. Scopes that
/// decide approvals or policies can be handed out only by an `admin` caller, so a requester
/// cannot mint its own approvers.
pub fn narrow(
    principal: &Principal,
    mut request: TokenRequest,
    now: Timestamp,
) -> Result<TokenRequest, ApiError> {
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
    if !caller_scopes.covers(&Scope::Admin)
        && let Some(gated) = request
            .scope
            .scopes()
            .iter()
            .find(|s| matches!(s, Scope::ApprovalsDecide | Scope::PoliciesWrite))
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "only an admin can hand out '{gated}': a requester must not mint its own approvers"
            ),
        )
        .with("required_scope", "admin"));
    }
    if request.never_expires {
        check_never_expires(principal)?;
    }
    let Principal::Token(parent) = principal else {
        return Ok(request);
    };
    // Only an explicit TTL can be refused; the default is shortened to fit instead.
    if let Some(ttl) = request
        .ttl_seconds
        .map(|t| i64::try_from(t).unwrap_or(i64::MAX))
        && let Some(parent_expires_at) = parent.expires_at
        && now.plus_seconds(ttl) > parent_expires_at
    {
        let left = (parent_expires_at.unix_ms() - now.unix_ms()) / 1000;
        return Err(ApiError::validation(
            "ttl_seconds",
            format!(
                "the new token would outlive the token that mints it (which expires at {parent_expires_at}); use ttl_seconds of at most {left}"
            ),
        ));
    }
    if !parent.allowed_ips.is_empty() {
        if request.allowed_ips.is_empty() {
            request.allowed_ips = parent.allowed_ips.clone();
        } else if let Some(wider) = request
            .allowed_ips
            .iter()
            .find(|rule| !parent.allowed_ips.iter().any(|p| rule.is_within(p)))
        {
            return Err(ApiError::validation(
                "allowed_ips",
                format!("'{wider}' is not within the minting token's allowed_ips"),
            ));
        }
    }
    if let Some(max) = parent.max_uses {
        // What the parent could still do when it asked: a child never adds uses.
        let left = max.saturating_sub(parent.uses);
        match request.max_uses {
            None => request.max_uses = Some(left.max(1)),
            Some(n) if n > left => {
                return Err(ApiError::validation(
                    "max_uses",
                    format!("the minting token has {left} uses left; max_uses may be at most that"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(request)
}

/// A token with no expiry is minted only by a caller holding `admin` that does not expire
/// itself (the master key, a person, or a token with no expiry): an expiring admin token must
/// not hand out what outlives it.
fn check_never_expires(principal: &Principal) -> Result<(), ApiError> {
    if !principal.scopes().covers(&Scope::Admin) {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "only an admin may mint a token with no expiry",
        )
        .with("required_scope", "admin"));
    }
    if let Some(at) = not_after(principal) {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!(
                "a token that expires (at {at}) cannot mint a token with no expiry; give an expiry"
            ),
        ));
    }
    Ok(())
}

/// Mints and stores a token for `request` (already checked), expiring `ttl_seconds` from
/// `now` but never after `not_after`, cleared for `clearance` (the tier it reached and how
/// many approvals cleared it).
pub fn mint(
    storage: &Storage,
    tenant: &TenantId,
    created_by: &str,
    request: &TokenRequest,
    clearance: Clearance,
    now: Timestamp,
    not_after: Option<Timestamp>,
) -> Result<TokenCreated, Failure> {
    let ttl = i64::try_from(request.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS)).unwrap_or(i64::MAX);
    let expires_at = match (request.never_expires, not_after) {
        // `narrow` refused a caller that expires.
        (true, _) => None,
        (false, Some(limit)) => Some(now.plus_seconds(ttl).min(limit)),
        (false, None) => Some(now.plus_seconds(ttl)),
    };
    let id = TokenId::generate().map_err(|e| Failure::Client(internal("token id", e)))?;
    let minted = mint_token(tenant).map_err(|e| Failure::Client(internal("mint token", e)))?;
    let scopes = serde_json::to_string(&request.scope)
        .map_err(|e| Failure::Client(internal("scopes", e)))?;
    let ips = serde_json::to_string(&request.allowed_ips)
        .map_err(|e| Failure::Client(internal("ips", e)))?;
    // A token minted by an OAuth grant (directly, or released after approval) is bound to the
    // grant's audience too: a connector cannot mint its way out of /mcp.
    execute(
        storage,
        "INSERT INTO tokens (id, hash, scopes, description, allowed_ips, max_uses, uses,
            created_at, expires_at, created_by, cleared_tier, cleared_approvals, audience)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11,
            (SELECT audience FROM tokens WHERE id = ?9))",
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
            opt_ts(expires_at),
            created_by.into(),
            clearance.tier.as_str().into(),
            clearance
                .approvals
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                .into(),
        ],
    )?;
    Ok(TokenCreated {
        value: minted.value.to_string(),
        id,
        scope: request.scope.clone(),
        ttl_seconds: expires_at
            .map(|at| u64::try_from((at.unix_ms() - now.unix_ms()) / 1000).unwrap_or(0)),
        expires_at,
        approval_status: "approved".into(),
        approval_request_id: None,
    })
}

/// The expiry of the calling token, which a token it mints may not outlive.
pub fn not_after(principal: &Principal) -> Option<Timestamp> {
    match principal {
        Principal::Token(token) => token.expires_at,
        // Agents and bootstrap tokens hold no `tokens:create`: they never mint. A person's
        // tokens outlive their session (deleting the person revokes them).
        Principal::Master | Principal::Agent(_) | Principal::Bootstrap(_) | Principal::User(_) => {
            None
        }
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
                uses: token.record.uses,
                max_uses: token.record.max_uses,
                revoked: token.revoked_at.is_some(),
                revoked_at: token.revoked_at,
                created_by: token.created_by,
                audience: token.record.audience,
                oauth_client: token.oauth_client,
            })
        })
        .collect()
}

/// `DELETE /v1/tokens/{id}`: by an admin, by the token itself, or by the person who minted it
/// (or consented to it, for an OAuth grant). Revoking twice is fine.
/// The revocation cascades down the provenance chain (`crate::authorization::provenance::cascade`); the
/// events of what it reached are returned for the caller to record.
pub fn revoke(
    storage: &Storage,
    principal: &Principal,
    id: &TokenId,
    now: Timestamp,
) -> Result<Vec<crate::audit::Draft>, ApiError> {
    let own = matches!(principal, Principal::Token(token) if token.id == *id);
    let admin = principal.scopes().covers(&Scope::Admin);
    in_transaction(storage, "revoke token", || {
        let minted_by = query_one(
            storage,
            "SELECT created_by FROM tokens WHERE id = ?",
            vec![id.as_str().into()],
        )?
        .map(|row| row.text(0))
        .transpose()?;
        let mine = matches!(principal, Principal::User(_))
            && minted_by.as_deref() == Some(principal.actor().as_str());
        if !own && !admin && !mine {
            check(principal, &Access::Scope(Scope::Admin))?;
        }
        if minted_by.is_none() {
            return Err(ApiError::not_found(format!("token '{id}' not found"))
                .with("id", id.as_str())
                .into());
        }
        let events =
            crate::authorization::provenance::cascade(storage, id.as_str(), "token revoked", now)?;
        Ok(events)
    })
}

/// Revokes `creator` (when it is a token) and every token minted from it, directly or not:
/// a token's children, or everything a deleted user minted.
pub fn revoke_minted_by(
    storage: &Storage,
    creator: &str,
    now: Timestamp,
) -> Result<(), StorageError> {
    execute(
        storage,
        "WITH RECURSIVE family(id) AS (
             SELECT ?
             UNION SELECT tokens.id FROM tokens JOIN family ON tokens.created_by = family.id
         )
         UPDATE tokens SET revoked_at = coalesce(revoked_at, ?)
         WHERE id IN (SELECT id FROM family)",
        vec![V::from(creator), ts(now)],
    )
}
