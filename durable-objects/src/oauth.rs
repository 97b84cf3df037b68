//! OAuth grants for `/mcp` (`latchkey_core::oauth`): a person's consent becomes a single-use
//! code; the code, with the client's PKCE verifier, becomes a scoped token of this tenant
//! whose audience is the MCP resource, and a rotating refresh token. Everything is here, in
//! the tenant's SQLite, so single use is exact (a code and a refresh token are checked and
//! spent in one transaction), unlike an eventually consistent store.

use crate::authorization::access;
use crate::authorization::provenance::cascade;
use crate::sql::{Row, Storage, StorageError, execute, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_opt_ts, ts};
use latchkey_contract::caller::tokens::{ConsentView, GrantOAuthCode, OAuthCode};
use latchkey_contract::public::{RedeemOAuthCode, RefreshOAuthGrant};
use latchkey_core::audit::Actor;
use latchkey_core::credential::{CredentialHash, mint_token};
use latchkey_core::gate::Clearance;
use latchkey_core::oauth::{
    ACCESS_TTL_SECONDS, CODE_TTL_SECONDS, CodeChallenge, REFRESH_TTL_SECONDS, TokenResponse,
    mint_code, mint_refresh_token,
};
use latchkey_core::people::UserId;
use latchkey_core::principal::Principal;
use latchkey_core::scope::ScopeSet;
use latchkey_core::secret::Tier;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode, Timestamp};

/// An OAuth error the Worker renders in OAuth's shape (`{"error", "error_description"}`).
fn oauth_error(kind: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_request(message).with("oauth", kind)
}

fn invalid_grant(message: impl Into<String>) -> ApiError {
    oauth_error("invalid_grant", message)
}

fn only_a_person(
    principal: &Principal,
) -> Result<&latchkey_core::principal::UserPrincipal, ApiError> {
    match principal {
        Principal::User(user) => Ok(user),
        _ => Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "only a person, logged in, consents to an OAuth client",
        )),
    }
}

/// The consent page's facts: who is deciding, and the permissions they may hand out.
pub fn consent_view(principal: &Principal) -> Result<ConsentView, ApiError> {
    let user = only_a_person(principal)?;
    Ok(ConsentView {
        person: user.email.as_str().to_owned(),
        held: user
            .scopes
            .scopes()
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// A person consents: the scope must lie within their own (`access::narrow`, which also keeps
/// approver-making scopes to admins). The tier they choose is a ceiling; the token is cleared
/// for no approvals at all, so a secret whose policy needs one stays closed to the client
/// whatever the tier (it asks per use, with `request_access`).
pub fn grant_code(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    c: GrantOAuthCode,
) -> Result<OAuthCode, ApiError> {
    let user = only_a_person(principal)?;
    let request = token_request(c.scope, &c.client_name);
    let request = access::narrow(principal, request, ctx.now)?;
    let code = mint_code(ctx.tenant_id).map_err(|e| internal("oauth code", e))?;
    let scopes = serde_json::to_string(&request.scope).map_err(|e| internal("scopes", e))?;
    in_transaction(ctx.storage, "oauth code", || {
        execute(
            ctx.storage,
            "DELETE FROM oauth_codes WHERE expires_at < ?",
            vec![ts(ctx.now)],
        )?;
        execute(
            ctx.storage,
            "INSERT INTO oauth_codes (hash, client_id, client_name, redirect_uri, code_challenge,
                resource, user_id, scopes, cleared_tier, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                code.hash.to_hex().into(),
                c.client_id.as_str().into(),
                c.client_name.as_str().into(),
                c.redirect_uri.as_str().into(),
                c.code_challenge.as_str().into(),
                c.resource.as_str().into(),
                user.id.as_str().into(),
                scopes.clone().into(),
                c.tier.as_str().into(),
                ts(ctx.now.plus_seconds(CODE_TTL_SECONDS)),
            ],
        )?;
        Ok(())
    })?;
    Ok(OAuthCode {
        code: code.value.to_string(),
    })
}

fn token_request(scope: ScopeSet, client_name: &str) -> TokenRequest {
    let mut description = format!("OAuth: {client_name}");
    if description.len() > latchkey_core::token::MAX_TOKEN_DESCRIPTION_BYTES {
        let mut end = latchkey_core::token::MAX_TOKEN_DESCRIPTION_BYTES;
        while !description.is_char_boundary(end) {
            end -= 1;
        }
        description.truncate(end);
    }
    TokenRequest {
        scope,
        ttl_seconds: Some(ACCESS_TTL_SECONDS),
        description: Some(description),
        allowed_ips: Vec::new(),
        max_uses: None,
        never_expires: false,
    }
}

struct CodeRow {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    code_challenge: CodeChallenge,
    resource: String,
    user_id: String,
    scopes: ScopeSet,
    tier: Tier,
    expires_at: Timestamp,
    token_id: Option<String>,
}

fn read_code(row: &Row) -> Result<CodeRow, StorageError> {
    Ok(CodeRow {
        client_id: row.text(0)?,
        client_name: row.text(1)?,
        redirect_uri: row.text(2)?,
        code_challenge: CodeChallenge::parse(&row.text(3)?).map_err(StorageError)?,
        resource: row.text(4)?,
        user_id: row.text(5)?,
        scopes: serde_json::from_str(&row.text(6)?).map_err(|e| StorageError(e.to_string()))?,
        tier: Tier::parse(&row.text(7)?).unwrap_or(Tier::Standard),
        expires_at: read_opt_ts(row, 8)?
            .ok_or_else(|| StorageError("code without expiry".into()))?,
        token_id: row.opt_text(9)?,
    })
}

/// The person behind a grant, now: still there, not suspended, and still holding every scope
/// the grant has (a person who lost a permission cannot keep handing it out by refresh).
fn check_person(storage: &Storage, user_id: &str, scopes: &ScopeSet) -> Result<(), ApiError> {
    let id = UserId::parse(user_id).map_err(|e| internal("grant's user id", e))?;
    let user = crate::people::load_user(storage, id).map_err(|e| {
        invalid_grant(format!(
            "the person who consented cannot grant this now: {}",
            e.message
        ))
    })?;
    if let Some(lost) = user.scopes.first_uncovered(scopes) {
        return Err(invalid_grant(format!(
            "the person who consented no longer holds '{lost}'; authorize again"
        )));
    }
    Ok(())
}

/// The actor of a grant's events: the token it is.
fn grant_actor(token_id: &str, client_name: &str) -> Actor {
    Actor {
        id: format!("token:{token_id}"),
        description: Some(format!("OAuth: {client_name}")),
    }
}

/// `grant_type=authorization_code`: spends the code (exactly once) and mints the grant. A
/// code presented again revokes what it became (RFC 6749 §4.1.2: it was intercepted).
pub fn redeem(
    ctx: &SecretContext<'_>,
    c: &RedeemOAuthCode,
) -> (Result<TokenResponse, ApiError>, Option<Actor>) {
    settle(redeem_inner(ctx, c), "redeem code")
}

/// A command's outcome as a public transaction takes it: the reply and the actor to record,
/// or the refusal (recorded as anonymous).
fn settle<T>(
    outcome: Result<(T, Actor), Failure>,
    context: &str,
) -> (Result<T, ApiError>, Option<Actor>) {
    match outcome {
        Ok((reply, actor)) => (Ok(reply), Some(actor)),
        Err(Failure::Client(e)) => (Err(e), None),
        Err(Failure::Storage(e)) => (Err(internal(context, e)), None),
    }
}

fn redeem_inner(
    ctx: &SecretContext<'_>,
    c: &RedeemOAuthCode,
) -> Result<(TokenResponse, Actor), Failure> {
    let storage = ctx.storage;
    let row = query_one(
        storage,
        "SELECT client_id, client_name, redirect_uri, code_challenge, resource, user_id, scopes,
            cleared_tier, expires_at, token_id FROM oauth_codes WHERE hash = ?",
        vec![c.hash.to_hex().into()],
    )?
    .ok_or_else(|| invalid_grant("this code is not valid"))?;
    let code = read_code(&row)?;
    if let Some(token_id) = &code.token_id {
        if token_id.as_str() == "spent" {
            return Err(invalid_grant("this code was already presented and refused").into());
        }
        cascade(storage, token_id, "authorization code replayed", ctx.now)?;
        return Err(invalid_grant(
            "this code was already used; the token issued for it is now revoked",
        )
        .into());
    }
    let refused = if code.expires_at <= ctx.now {
        Some(invalid_grant("this code has expired; authorize again"))
    } else if code.client_id != c.client_id {
        Some(invalid_grant("this code was issued to another client"))
    } else if code.redirect_uri != c.redirect_uri {
        Some(invalid_grant(
            "redirect_uri is not the one the code was issued for",
        ))
    } else if !code.code_challenge.matches(&c.verifier_challenge) {
        Some(invalid_grant(
            "code_verifier does not match the code_challenge",
        ))
    } else if code.resource != c.resource {
        Some(oauth_error(
            "invalid_target",
            format!("this code is for '{}', not '{}'", code.resource, c.resource),
        ))
    } else {
        check_person(storage, &code.user_id, &code.scopes).err()
    };
    if let Some(e) = refused {
        // Whatever failed, the code is spent: it does not stay to be retried. "spent" names no
        // token, so a replay of it is refused without revoking anything.
        execute(
            storage,
            "UPDATE oauth_codes SET token_id = 'spent' WHERE hash = ?",
            vec![c.hash.to_hex().into()],
        )?;
        return Err(e.into());
    }
    let request = token_request(code.scopes.clone(), &code.client_name);
    let created = access::mint(
        storage,
        ctx.tenant_id,
        &code.user_id,
        &request,
        Clearance {
            tier: code.tier,
            approvals: Some(0),
        },
        ctx.now,
        None,
    )?;
    let refresh = mint_refresh_token(ctx.tenant_id)
        .map_err(|e| Failure::Client(internal("refresh token", e)))?;
    execute(
        storage,
        "UPDATE tokens SET audience = ?, oauth_client = ?, refresh_hash = ?, refresh_expires_at = ?
         WHERE id = ?",
        vec![
            code.resource.as_str().into(),
            code.client_id.as_str().into(),
            refresh.hash.to_hex().into(),
            ts(ctx.now.plus_seconds(REFRESH_TTL_SECONDS)),
            created.id.as_str().into(),
        ],
    )?;
    execute(
        storage,
        "UPDATE oauth_codes SET token_id = ? WHERE hash = ?",
        vec![created.id.as_str().into(), c.hash.to_hex().into()],
    )?;
    let actor = grant_actor(created.id.as_str(), &code.client_name);
    Ok((
        TokenResponse {
            access_token: created.value,
            token_type: "Bearer".into(),
            expires_in: ACCESS_TTL_SECONDS,
            refresh_token: refresh.value.to_string(),
            scope: code.scopes.to_string(),
        },
        actor,
    ))
}

/// `grant_type=refresh_token`: a new access token and a new refresh token for the same grant
/// (the same token id, so it stays one row in the list). The refresh token just used is
/// remembered: presented again, it ends the grant (OAuth 2.1 §4.3.1: one of two parties holds
/// a stolen copy).
pub fn refresh(
    ctx: &SecretContext<'_>,
    c: &RefreshOAuthGrant,
) -> (Result<TokenResponse, ApiError>, Option<Actor>) {
    settle(refresh_inner(ctx, c), "refresh grant")
}

fn refresh_inner(
    ctx: &SecretContext<'_>,
    c: &RefreshOAuthGrant,
) -> Result<(TokenResponse, Actor), Failure> {
    let storage = ctx.storage;
    let hash = c.hash.to_hex();
    let row = query_one(
        storage,
        "SELECT id, oauth_client, refresh_expires_at, revoked_at, created_by, scopes, description
         FROM tokens WHERE refresh_hash = ?",
        vec![hash.clone().into()],
    )?;
    let Some(row) = row else {
        let replayed = query_one(
            storage,
            "SELECT id FROM tokens WHERE previous_refresh_hash = ?",
            vec![hash.into()],
        )?;
        if let Some(replayed) = replayed {
            cascade(
                storage,
                &replayed.text(0)?,
                "refresh token replayed",
                ctx.now,
            )?;
            return Err(
                invalid_grant("this refresh token was already used; the grant is revoked").into(),
            );
        }
        return Err(invalid_grant("this refresh token is not valid").into());
    };
    let id = row.text(0)?;
    let client = row.opt_text(1)?.unwrap_or_default();
    if read_opt_ts(&row, 3)?.is_some() {
        return Err(invalid_grant("this grant was revoked").into());
    }
    if read_opt_ts(&row, 2)?.is_none_or(|at| at <= ctx.now) {
        return Err(invalid_grant("this refresh token has expired; authorize again").into());
    }
    if c.client_id.as_deref().is_some_and(|asked| asked != client) {
        return Err(invalid_grant("this refresh token was issued to another client").into());
    }
    let scopes: ScopeSet =
        serde_json::from_str(&row.text(5)?).map_err(|e| StorageError(e.to_string()))?;
    check_person(storage, &row.text(4)?, &scopes)?;
    let access_token =
        mint_token(ctx.tenant_id).map_err(|e| Failure::Client(internal("access token", e)))?;
    let refresh = mint_refresh_token(ctx.tenant_id)
        .map_err(|e| Failure::Client(internal("refresh token", e)))?;
    let expires_at = ctx
        .now
        .plus_seconds(i64::try_from(ACCESS_TTL_SECONDS).unwrap_or(i64::MAX));
    execute(
        storage,
        "UPDATE tokens SET hash = ?, expires_at = ?, refresh_hash = ?, previous_refresh_hash = ?,
            refresh_expires_at = ? WHERE id = ?",
        vec![
            access_token.hash.to_hex().into(),
            ts(expires_at),
            refresh.hash.to_hex().into(),
            c.hash.to_hex().into(),
            ts(ctx.now.plus_seconds(REFRESH_TTL_SECONDS)),
            id.as_str().into(),
        ],
    )?;
    let name = row
        .opt_text(6)?
        .and_then(|d| d.strip_prefix("OAuth: ").map(str::to_owned))
        .unwrap_or_default();
    Ok((
        TokenResponse {
            access_token: access_token.value.to_string(),
            token_type: "Bearer".into(),
            expires_in: ACCESS_TTL_SECONDS,
            refresh_token: refresh.value.to_string(),
            scope: scopes.to_string(),
        },
        grant_actor(&id, &name),
    ))
}

/// `POST /oauth/revoke`: the token whose access or refresh token hashes to `hash` is revoked
/// (with what it minted). Holding a token is the right to revoke it; an unknown one is not an
/// error (RFC 7009 §2.2), and changes nothing.
pub fn revoke(
    ctx: &SecretContext<'_>,
    hash: &CredentialHash,
) -> (Result<(), ApiError>, Option<Actor>) {
    let found = query_one(
        ctx.storage,
        "SELECT id, description FROM tokens WHERE hash = ?1 OR refresh_hash = ?1",
        vec![hash.to_hex().into()],
    );
    let outcome = found.and_then(|row| match row {
        None => Ok(None),
        Some(row) => {
            let id = row.text(0)?;
            cascade(ctx.storage, &id, "revoked by its client", ctx.now)?;
            Ok(Some(Actor {
                id: format!("token:{id}"),
                description: row.opt_text(1)?,
            }))
        }
    });
    match outcome {
        Ok(actor) => (Ok(()), actor),
        Err(e) => (Err(internal("revoke grant", e)), None),
    }
}
