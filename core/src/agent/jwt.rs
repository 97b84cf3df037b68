//! Agent JWTs: HS256 under a key derived from the tenant key (so it lives only in the tenant's
//! object, wrapped by the root key like everything else), one hour long. The tenant id rides
//! in the claims so the Worker can route the request before anything is verified; the object
//! verifies the signature, the expiry and that the agent is still registered.

use super::AgentId;
use crate::crypto::DerivedKey;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

/// The label the signing key is derived under ([`crate::crypto::TenantKey::derive`]).
pub const SIGNING_KEY_LABEL: &str = "agent-jwt/v1";
/// The `kid` of tokens signed under [`SIGNING_KEY_LABEL`].
pub const KEY_ID: &str = "agent-v1";
/// Longest JWT accepted (ours are about 300 bytes).
pub const MAX_JWT_BYTES: usize = 2_048;

/// The claims besides `exp` and `iat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentClaims {
    /// The agent.
    pub sub: AgentId,
    /// The tenant: routing only until the signature is checked.
    pub tid: TenantId,
}

fn chrono_time(at: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.unix_ms()).unwrap_or(DateTime::UNIX_EPOCH)
}

fn options(now: Timestamp) -> TimeOptions<impl Fn() -> DateTime<Utc>> {
    let now = chrono_time(now);
    TimeOptions::new(TimeDelta::zero(), move || now)
}

/// Signs a JWT for `agent` that expires `ttl_seconds` after `now`.
pub fn mint(
    key: &DerivedKey,
    tenant: &TenantId,
    agent: &AgentId,
    now: Timestamp,
    ttl_seconds: i64,
) -> Result<(String, Timestamp), String> {
    let claims = Claims::new(AgentClaims {
        sub: agent.clone(),
        tid: tenant.clone(),
    })
    .set_duration_and_issuance(&options(now), TimeDelta::seconds(ttl_seconds));
    let header = Header::empty().with_key_id(KEY_ID);
    let token = Hs256
        .token(&header, &claims, &Hs256Key::new(key.as_bytes()))
        .map_err(|e| e.to_string())?;
    Ok((token, now.plus_seconds(ttl_seconds)))
}

/// Whether a bearer looks like a JWT at all (three base64url parts), before any parsing.
pub fn looks_like_jwt(text: &str) -> bool {
    text.len() <= MAX_JWT_BYTES
        && text.starts_with("eyJ")
        && text.split('.').count() == 3
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The tenant a JWT names, without checking anything: only to route it to the object that can.
pub fn peek_tenant(text: &str) -> Option<TenantId> {
    if !looks_like_jwt(text) {
        return None;
    }
    let token = UntrustedToken::new(text).ok()?;
    let claims = token.deserialize_claims_unchecked::<AgentClaims>().ok()?;
    Some(claims.custom.tid)
}

/// Verifies a JWT's signature and expiry: the agent it names, or why it is refused.
pub fn verify(
    key: &DerivedKey,
    text: &str,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<AgentId, String> {
    if !looks_like_jwt(text) {
        return Err("not a JWT".into());
    }
    let token = UntrustedToken::new(text).map_err(|_| "malformed JWT".to_owned())?;
    if token.header().key_id.as_deref() != Some(KEY_ID) {
        return Err("JWT signed with an unknown key".into());
    }
    let token = Hs256
        .validator::<AgentClaims>(&Hs256Key::new(key.as_bytes()))
        .validate(&token)
        .map_err(|_| "JWT signature does not verify".to_owned())?;
    let claims = token.claims();
    claims.validate_expiration(&options(now)).map_err(|_| {
        "agent token expired; refresh it before it expires, or register again".to_owned()
    })?;
    if claims.custom.tid != *tenant {
        return Err("JWT names another tenant".into());
    }
    Ok(claims.custom.sub.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::TenantKey;

    fn setup() -> (DerivedKey, TenantId, AgentId, Timestamp) {
        let key = TenantKey::generate().unwrap().derive(SIGNING_KEY_LABEL);
        (
            key,
            TenantId::generate().unwrap(),
            AgentId::generate().unwrap(),
            Timestamp::from_unix_ms(1_800_000_000_000).unwrap(),
        )
    }

    #[test]
    fn a_minted_jwt_verifies_until_it_expires() {
        let (key, tenant, agent, now) = setup();
        let (jwt, expires_at) = mint(&key, &tenant, &agent, now, 3600).unwrap();
        assert!(looks_like_jwt(&jwt));
        assert_eq!(expires_at, now.plus_seconds(3600));
        assert_eq!(peek_tenant(&jwt), Some(tenant.clone()));
        assert_eq!(
            verify(&key, &jwt, &tenant, now.plus_seconds(3599)).unwrap(),
            agent
        );
        assert!(
            verify(&key, &jwt, &tenant, now.plus_seconds(3601))
                .unwrap_err()
                .contains("expired")
        );
    }

    #[test]
    fn another_key_tenant_or_a_changed_token_fails() {
        let (key, tenant, agent, now) = setup();
        let (jwt, _) = mint(&key, &tenant, &agent, now, 3600).unwrap();
        let other_key = TenantKey::generate().unwrap().derive(SIGNING_KEY_LABEL);
        assert!(verify(&other_key, &jwt, &tenant, now).is_err());
        let other_tenant = TenantId::generate().unwrap();
        assert!(verify(&key, &jwt, &other_tenant, now).is_err());
        // Claims rewritten to another agent, signature kept.
        let (other, _) = mint(&key, &tenant, &AgentId::generate().unwrap(), now, 3600).unwrap();
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        parts[1] = other_parts[1];
        assert!(verify(&key, &parts.join("."), &tenant, now).is_err());
        // `alg: none` is refused.
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwia2lkIjoiYWdlbnQtdjEifQ", parts[1]
        );
        assert!(verify(&key, &none, &tenant, now).is_err());
    }

    #[test]
    fn junk_is_not_a_jwt() {
        for junk in ["", "abc", "eyJ.a", "eyJ.a.b.c", "eyJ a.b.c", "lk_tok_x"] {
            assert!(
                !looks_like_jwt(junk) || peek_tenant(junk).is_none(),
                "{junk}"
            );
        }
        assert!(!looks_like_jwt(&format!(
            "eyJ{}.a.b",
            "a".repeat(MAX_JWT_BYTES)
        )));
    }
}
