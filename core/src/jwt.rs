//! Session JWTs, for agents and for people who log in: HS256 under a key
//! derived from the tenant key (so it lives only in the tenant's object, wrapped by the root
//! key like everything else). The tenant id rides in the claims so the Worker can route the
//! request before anything is verified; the object verifies the signature, the expiry and that
//! the subject still exists. Each kind of subject has its own derived key and `kid`, so an
//! agent's JWT can never pass as a person's, or the reverse.

use crate::crypto::DerivedKey;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

/// Longest JWT accepted (ours are about 300 bytes).
pub const MAX_JWT_BYTES: usize = 2_048;

/// Who a JWT speaks for: decides the signing key, the `kid` and what an expiry tells the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JwtKind {
    /// An agent (`sub` = `agt_…`).
    Agent,
    /// A person logged in with a password (`sub` = `usr_…`).
    User,
}

impl JwtKind {
    /// The label the signing key is derived under ([`crate::crypto::TenantKey::derive`]).
    pub fn signing_key_label(self) -> &'static str {
        match self {
            JwtKind::Agent => "agent-jwt/v1",
            JwtKind::User => "user-jwt/v1",
        }
    }

    /// The `kid` of tokens signed under [`JwtKind::signing_key_label`].
    pub fn key_id(self) -> &'static str {
        match self {
            JwtKind::Agent => "agent-v1",
            JwtKind::User => "user-v1",
        }
    }

    fn by_key_id(kid: &str) -> Option<Self> {
        [JwtKind::Agent, JwtKind::User]
            .into_iter()
            .find(|kind| kind.key_id() == kid)
    }

    fn expired(self) -> &'static str {
        match self {
            JwtKind::Agent => {
                "agent token expired; refresh it before it expires, or register again"
            }
            JwtKind::User => "session expired; log in again (POST /v1/auth/login)",
        }
    }
}

/// The claims besides `exp` and `iat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The agent or user id.
    pub sub: String,
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

/// Signs a JWT of `kind` for `subject` that expires `ttl_seconds` after `now`.
pub fn mint(
    kind: JwtKind,
    key: &DerivedKey,
    tenant: &TenantId,
    subject: &str,
    now: Timestamp,
    ttl_seconds: i64,
) -> Result<(String, Timestamp), String> {
    let claims = Claims::new(SessionClaims {
        sub: subject.to_owned(),
        tid: tenant.clone(),
    })
    .set_duration_and_issuance(&options(now), TimeDelta::seconds(ttl_seconds));
    let header = Header::empty().with_key_id(kind.key_id());
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

/// The tenant a JWT names and its kind (by `kid`), without checking anything: only to route
/// it to the object that can.
pub fn peek(text: &str) -> Option<(TenantId, JwtKind)> {
    if !looks_like_jwt(text) {
        return None;
    }
    let token = UntrustedToken::new(text).ok()?;
    let kind = JwtKind::by_key_id(token.header().key_id.as_deref()?)?;
    let claims = token.deserialize_claims_unchecked::<SessionClaims>().ok()?;
    Some((claims.custom.tid, kind))
}

/// Verifies a JWT of `kind`: its signature, expiry and tenant. The subject it names, or why
/// it is refused: a JWT whose signature does not verify (malformed, another key, another
/// kind, changed) is not recognized, and reads [`crate::error::ApiError::UNRECOGNIZED_CREDENTIAL`] like every
/// other unrecognized credential; only a JWT this key signed may say more (expired).
pub fn verify(
    kind: JwtKind,
    key: &DerivedKey,
    text: &str,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<String, String> {
    let unrecognized = || crate::error::ApiError::UNRECOGNIZED_CREDENTIAL.to_owned();
    if !looks_like_jwt(text) {
        return Err(unrecognized());
    }
    let token = UntrustedToken::new(text).map_err(|_| unrecognized())?;
    if token.header().key_id.as_deref() != Some(kind.key_id()) {
        return Err(unrecognized());
    }
    let token = Hs256
        .validator::<SessionClaims>(&Hs256Key::new(key.as_bytes()))
        .validate(&token)
        .map_err(|_| unrecognized())?;
    let claims = token.claims();
    claims
        .validate_expiration(&options(now))
        .map_err(|_| kind.expired().to_owned())?;
    // The library still accepts the instant of `exp` itself; a session ends at its
    // `expires_at`, as a token does (`expires_at <= now` is expired).
    if claims
        .expiration
        .is_none_or(|exp| exp.timestamp_millis() <= now.unix_ms())
    {
        return Err(kind.expired().to_owned());
    }
    if claims.custom.tid != *tenant {
        return Err("JWT names another tenant".into());
    }
    Ok(claims.custom.sub.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::TenantKey;

    const AGENT: JwtKind = JwtKind::Agent;

    fn setup() -> (DerivedKey, TenantId, String, Timestamp) {
        let key = TenantKey::generate()
            .unwrap()
            .derive(AGENT.signing_key_label());
        (
            key,
            TenantId::generate().unwrap(),
            crate::agent::AgentId::generate().unwrap().to_string(),
            Timestamp::from_unix_ms(1_800_000_000_000).unwrap(),
        )
    }

    #[test]
    fn a_minted_jwt_verifies_until_it_expires() {
        let (key, tenant, agent, now) = setup();
        let (jwt, expires_at) = mint(AGENT, &key, &tenant, &agent, now, 3600).unwrap();
        assert!(looks_like_jwt(&jwt));
        assert_eq!(expires_at, now.plus_seconds(3600));
        assert_eq!(peek(&jwt), Some((tenant.clone(), AGENT)));
        assert_eq!(
            verify(AGENT, &key, &jwt, &tenant, now.plus_seconds(3599)).unwrap(),
            agent
        );
        // A person's JWT is not an agent's, even under the same tenant key material.
        assert!(verify(JwtKind::User, &key, &jwt, &tenant, now).is_err());
        assert!(
            verify(AGENT, &key, &jwt, &tenant, now.plus_seconds(3601))
                .unwrap_err()
                .contains("expired")
        );
    }

    #[test]
    fn a_jwt_at_exactly_its_expiry_is_expired() {
        let (key, tenant, agent, now) = setup();
        let (jwt, expires_at) = mint(AGENT, &key, &tenant, &agent, now, 3600).unwrap();
        assert!(
            verify(AGENT, &key, &jwt, &tenant, expires_at)
                .unwrap_err()
                .contains("expired")
        );
    }

    #[test]
    fn another_key_tenant_or_a_changed_token_fails() {
        let (key, tenant, agent, now) = setup();
        let (jwt, _) = mint(AGENT, &key, &tenant, &agent, now, 3600).unwrap();
        let other_key = TenantKey::generate()
            .unwrap()
            .derive(AGENT.signing_key_label());
        // Another key's JWT reads like any unrecognized credential, expired or not.
        assert_eq!(
            verify(AGENT, &other_key, &jwt, &tenant, now),
            Err(crate::error::ApiError::UNRECOGNIZED_CREDENTIAL.to_owned())
        );
        assert_eq!(
            verify(AGENT, &other_key, &jwt, &tenant, now.plus_seconds(7200)),
            Err(crate::error::ApiError::UNRECOGNIZED_CREDENTIAL.to_owned())
        );
        assert_eq!(
            verify(AGENT, &key, "not a jwt", &tenant, now),
            Err(crate::error::ApiError::UNRECOGNIZED_CREDENTIAL.to_owned())
        );
        let other_tenant = TenantId::generate().unwrap();
        assert!(verify(AGENT, &key, &jwt, &other_tenant, now).is_err());
        // Claims rewritten to another agent, signature kept.
        let (other, _) = mint(
            AGENT,
            &key,
            &tenant,
            crate::agent::AgentId::generate().unwrap().as_str(),
            now,
            3600,
        )
        .unwrap();
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        parts[1] = other_parts[1];
        assert!(verify(AGENT, &key, &parts.join("."), &tenant, now).is_err());
        // `alg: none` is refused.
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwia2lkIjoiYWdlbnQtdjEifQ", parts[1]
        );
        assert!(verify(AGENT, &key, &none, &tenant, now).is_err());
    }

    #[test]
    fn junk_is_not_a_jwt() {
        for junk in ["", "abc", "eyJ.a", "eyJ.a.b.c", "eyJ a.b.c", "lk_tok_x"] {
            assert!(!looks_like_jwt(junk) || peek(junk).is_none(), "{junk}");
        }
        assert!(!looks_like_jwt(&format!(
            "eyJ{}.a.b",
            "a".repeat(MAX_JWT_BYTES)
        )));
    }
}
