//! Credentials presented as `Authorization: Bearer …`.
//!
//! A tenant master key reads `lk_live_<tenant id>_<43 base64url chars>`, a scoped token
//! `lk_tok_<tenant id>_<43 base64url chars>`: the tenant id routes the request to the
//! tenant's Durable Object with no lookup, and the 256 random bits authenticate it there.
//! Only the SHA-256 of the whole credential is stored, and compared in constant time.

use crate::crypto::{CryptoError, random_bytes, sha256};
use crate::error::ApiError;
use crate::tenant::{TENANT_ID_LEN, TenantId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub const MASTER_KEY_PREFIX: &str = "lk_live_";
pub const TOKEN_PREFIX: &str = "lk_tok_";
pub const BOOTSTRAP_PREFIX: &str = "lk_boot_";
pub const WRAP_PREFIX: &str = "lk_wrap_";
/// A seed-001 agent's long-lived secret, presented as `X-Agent-Secret` (issue 23).
pub const AGENT_SECRET_PREFIX: &str = "lk_agt_";
/// A console session (issue 25), presented only in the console's `HttpOnly` cookie
/// (the console module), never as a bearer.
pub const CONSOLE_SESSION_PREFIX: &str = "lk_cs_";
const SECRET_CHARS: usize = 43; // 32 bytes, base64url without padding

/// A credential's SHA-256. Equality is constant-time.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct CredentialHash(#[serde(with = "crate::hex::array")] [u8; 32]);

impl CredentialHash {
    pub fn of(credential: &str) -> Self {
        CredentialHash(sha256(credential.as_bytes()))
    }

    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        crate::hex::decode(text).map(CredentialHash)
    }
}

impl PartialEq for CredentialHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for CredentialHash {}

impl fmt::Debug for CredentialHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialHash([redacted])")
    }
}

/// A freshly minted credential: shown once, then only its hash is kept.
pub struct NewCredential {
    pub value: Zeroizing<String>,
    pub hash: CredentialHash,
}

/// Which kind of credential a bearer is, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    MasterKey,
    Token,
    /// `lk_boot_…`: registers agents, nothing else (`POST /v1/agents/register`'s body).
    Bootstrap,
    /// An agent's JWT ([`crate::jwt`]).
    AgentJwt,
    /// A person's login JWT ([`crate::jwt`]).
    UserJwt,
    /// `lk_wrap_…`: one wrapped value, unwrapped once (`POST /v1/wraps/unwrap`), nothing else.
    Wrap,
    /// `lk_agt_…`: a minted agent's secret (`POST /api/v1/agents`), sent as `X-Agent-Secret`;
    /// it authenticates the same agent principal a seed-000 agent's JWT does.
    AgentSecret,
    /// `lk_cs_…`: a console session (issue 25), read from its cookie only: it authenticates
    /// the person who logged in, as their login JWT does.
    ConsoleSession,
}

impl CredentialKind {
    const PREFIXED: [CredentialKind; 5] = [
        CredentialKind::MasterKey,
        CredentialKind::Token,
        CredentialKind::Bootstrap,
        CredentialKind::Wrap,
        CredentialKind::AgentSecret,
    ];

    fn prefix(self) -> &'static str {
        match self {
            CredentialKind::MasterKey => MASTER_KEY_PREFIX,
            CredentialKind::Token => TOKEN_PREFIX,
            CredentialKind::Bootstrap => BOOTSTRAP_PREFIX,
            CredentialKind::Wrap => WRAP_PREFIX,
            CredentialKind::AgentSecret => AGENT_SECRET_PREFIX,
            CredentialKind::ConsoleSession => CONSOLE_SESSION_PREFIX,
            CredentialKind::AgentJwt | CredentialKind::UserJwt => "",
        }
    }
}

fn mint(kind: CredentialKind, tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint_prefixed(kind.prefix(), tenant)
}

/// `<prefix><tenant id>_<43 base64url chars>`: 256 random bits that route to their tenant.
/// Every Latchkey credential has this shape; OAuth's codes and refresh tokens too.
pub fn mint_prefixed(prefix: &str, tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    let secret = Zeroizing::new(random_bytes::<32>()?);
    let value = Zeroizing::new(format!(
        "{prefix}{tenant}_{}",
        URL_SAFE_NO_PAD.encode(secret.as_slice())
    ));
    let hash = CredentialHash::of(&value);
    Ok(NewCredential { value, hash })
}

/// The tenant and hash of a credential minted by [`mint_prefixed`] with `prefix`; `None` when
/// it is not well formed.
pub fn parse_prefixed(prefix: &str, text: &str) -> Option<(TenantId, CredentialHash)> {
    let rest = text.strip_prefix(prefix)?;
    let tenant = TenantId::parse(rest.get(..TENANT_ID_LEN)?).ok()?;
    let secret = rest.get(TENANT_ID_LEN..)?.strip_prefix('_')?;
    let well_formed = secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| (tenant, CredentialHash::of(text)))
}

pub fn mint_master_key(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::MasterKey, tenant)
}

pub fn mint_token(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::Token, tenant)
}

pub fn mint_bootstrap_token(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::Bootstrap, tenant)
}

pub fn mint_wrap_token(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::Wrap, tenant)
}

pub fn mint_agent_secret(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::AgentSecret, tenant)
}

/// An `X-Agent-Secret` header's value: an agent secret and nothing else (a key or token sent
/// there is not one). `None` answers like any credential that does not parse.
pub fn parse_agent_secret(text: &str) -> Option<PresentedCredential> {
    parse_bearer(text.trim()).filter(|c| c.kind == CredentialKind::AgentSecret)
}

/// A console session, minted by the tenant object when a person opens one.
pub fn mint_console_session(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint(CredentialKind::ConsoleSession, tenant)
}

/// The console cookie's value: a console session and nothing else (a key or token put in the
/// cookie is not one). `None` answers like any credential that does not parse.
pub fn parse_console_session(text: &str) -> Option<PresentedCredential> {
    let (tenant, hash) = parse_prefixed(CONSOLE_SESSION_PREFIX, text.trim())?;
    Some(PresentedCredential {
        tenant,
        kind: CredentialKind::ConsoleSession,
        hash,
        jwt: None,
    })
}

/// The message of the one answer to a credential that is not recognized.
pub const UNRECOGNIZED: &str = ApiError::UNRECOGNIZED_CREDENTIAL;

/// The one answer (401 `unauthorized`, [`UNRECOGNIZED`], no detail) to every credential that
/// is not recognized: one that does not parse, a wrong secret, a token, bootstrap token or
/// JWT the tenant does not know or that does not verify, and any credential naming a tenant
/// that does not exist. A caller without a real credential so learns nothing, not even
/// whether the tenant exists. A credential that *is* recognized (revoked, expired, used up)
/// may say why: its holder has a real one.
pub fn unrecognized() -> ApiError {
    ApiError::unauthorized(UNRECOGNIZED)
}

/// What a tenant answers a presented credential it does not recognize, by kind, whether or
/// not the tenant exists: [`unrecognized`], except for a wrap token, which authenticates
/// nothing anywhere (so saying so tells nothing about the tenant).
pub fn refusal(kind: Option<CredentialKind>) -> ApiError {
    match kind {
        Some(CredentialKind::Wrap) => ApiError::unauthorized(
            "a wrap token authenticates nothing; unwrap it with POST /v1/wraps/unwrap {\"wrap_token\"}",
        ),
        _ => unrecognized(),
    }
}

/// A bearer credential, parsed far enough to route it; not yet verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentedCredential {
    pub tenant: TenantId,
    pub kind: CredentialKind,
    pub hash: CredentialHash,
    /// A JWT itself: the object verifies its signature (it is never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<String>,
}

/// Reads the tenant out of a presented credential. `None` for anything that is not a
/// well-formed Latchkey credential: the caller answers 401 without touching storage.
pub fn parse_bearer(text: &str) -> Option<PresentedCredential> {
    if let Some((tenant, kind)) = crate::jwt::peek(text) {
        return Some(PresentedCredential {
            tenant,
            kind: match kind {
                crate::jwt::JwtKind::Agent => CredentialKind::AgentJwt,
                crate::jwt::JwtKind::User => CredentialKind::UserJwt,
            },
            hash: CredentialHash::of(text),
            jwt: Some(text.to_owned()),
        });
    }
    let kind = CredentialKind::PREFIXED
        .into_iter()
        .find(|kind| text.starts_with(kind.prefix()))?;
    let (tenant, hash) = parse_prefixed(kind.prefix(), text)?;
    Some(PresentedCredential {
        tenant,
        kind,
        hash,
        jwt: None,
    })
}

/// Reads the credential out of an `Authorization` header value (`Bearer <credential>`).
pub fn bearer_from_header(header: &str) -> Option<&str> {
    let (scheme, credential) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minted_key_parses_back_to_its_tenant_and_hash() {
        let tenant = TenantId::generate().unwrap();
        let key = mint_master_key(&tenant).unwrap();
        assert!(key.value.starts_with("lk_live_tn_"));
        let presented = parse_bearer(&key.value).unwrap();
        assert_eq!(presented.tenant, tenant);
        assert_eq!(presented.hash, key.hash);
    }

    #[test]
    fn minted_tokens_parse_as_tokens() {
        let tenant = TenantId::generate().unwrap();
        let token = mint_token(&tenant).unwrap();
        assert!(token.value.starts_with("lk_tok_tn_"));
        let presented = parse_bearer(&token.value).unwrap();
        assert_eq!(presented.kind, CredentialKind::Token);
        assert_eq!(presented.tenant, tenant);
        let key = parse_bearer(&mint_master_key(&tenant).unwrap().value).unwrap();
        assert_eq!(key.kind, CredentialKind::MasterKey);
    }

    #[test]
    fn bootstrap_tokens_and_agent_jwts_parse_to_their_tenant() {
        let tenant = TenantId::generate().unwrap();
        let boot = mint_bootstrap_token(&tenant).unwrap();
        assert!(boot.value.starts_with("lk_boot_tn_"));
        let presented = parse_bearer(&boot.value).unwrap();
        assert_eq!(presented.kind, CredentialKind::Bootstrap);
        assert_eq!(presented.hash, boot.hash);
        assert!(presented.jwt.is_none());

        let now = crate::time::Timestamp::from_unix_ms(1_800_000_000_000).unwrap();
        let tenant_key = crate::crypto::TenantKey::generate().unwrap();
        for (kind, credential) in [
            (crate::jwt::JwtKind::Agent, CredentialKind::AgentJwt),
            (crate::jwt::JwtKind::User, CredentialKind::UserJwt),
        ] {
            let key = tenant_key.derive(kind.signing_key_label());
            let (jwt, _) = crate::jwt::mint(kind, &key, &tenant, "sub", now, 60).unwrap();
            let presented = parse_bearer(&jwt).unwrap();
            assert_eq!(presented.kind, credential);
            assert_eq!(presented.tenant, tenant);
            assert_eq!(presented.jwt.as_deref(), Some(jwt.as_str()));
        }
        let wrap = mint_wrap_token(&tenant).unwrap();
        assert!(wrap.value.starts_with("lk_wrap_tn_"));
        assert_eq!(
            parse_bearer(&wrap.value).unwrap().kind,
            CredentialKind::Wrap
        );
    }

    #[test]
    fn agent_secret_parses_only_as_an_agent_secret() {
        let tenant = TenantId::generate().unwrap();
        let secret = mint_agent_secret(&tenant).unwrap();
        assert!(secret.value.starts_with("lk_agt_tn_"));
        let presented = parse_agent_secret(&secret.value).unwrap();
        assert_eq!(presented.kind, CredentialKind::AgentSecret);
        assert_eq!(presented.tenant, tenant);
        assert_eq!(presented.hash, secret.hash);
        let token = mint_token(&tenant).unwrap();
        assert!(parse_agent_secret(&token.value).is_none());
        assert!(parse_agent_secret("lk_agt_tn_0123456789abcdef_AAAA").is_none());
    }

    #[test]
    fn a_changed_key_has_another_hash() {
        let tenant = TenantId::generate().unwrap();
        let key = mint_master_key(&tenant).unwrap();
        let mut other = key.value.to_string();
        let last = other.pop().unwrap();
        other.push(if last == 'A' { 'B' } else { 'A' });
        assert_ne!(parse_bearer(&other).unwrap().hash, key.hash);
    }

    #[test]
    fn malformed_credentials_do_not_parse() {
        let good = "lk_live_tn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(parse_bearer(good).is_some());
        for bad in [
            "",
            "lk_live_",
            "lk_live_tn_0123456789abcdef",
            "lk_live_tn_0123456789abcdef_",
            "lk_live_tn_0123456789abcdef_AAAA",
            "lk_live_tn_0123456789abcdef-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "lk_live_tn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "lk_test_tn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "lk_live_tn_é123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(parse_bearer(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn bearer_header_is_read_case_insensitively() {
        assert_eq!(bearer_from_header("Bearer abc"), Some("abc"));
        assert_eq!(bearer_from_header("bearer  abc "), Some("abc"));
        assert_eq!(bearer_from_header("Basic abc"), None);
        assert_eq!(bearer_from_header("Bearer"), None);
    }

    #[test]
    fn hash_hex_round_trips_and_debug_redacts() {
        let hash = CredentialHash::of("x");
        assert_eq!(CredentialHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(format!("{hash:?}"), "CredentialHash([redacted])");
        assert!(CredentialHash::from_hex("zz").is_none());
    }

    #[test]
    fn every_unrecognized_credential_gets_one_answer() {
        let answer = unrecognized().to_body();
        assert_eq!(answer["error"]["code"], "unauthorized");
        assert_eq!(answer["error"]["message"], UNRECOGNIZED);
        assert_eq!(unrecognized().status(), 401);
        for kind in [
            None,
            Some(CredentialKind::MasterKey),
            Some(CredentialKind::Token),
            Some(CredentialKind::Bootstrap),
            Some(CredentialKind::AgentJwt),
            Some(CredentialKind::UserJwt),
            Some(CredentialKind::AgentSecret),
            Some(CredentialKind::ConsoleSession),
        ] {
            assert_eq!(refusal(kind).to_body(), answer, "{kind:?}");
        }
        // A wrap token is refused as a bearer for what it is, which no tenant changes.
        let wrap = refusal(Some(CredentialKind::Wrap));
        assert_eq!(wrap.status(), 401);
        assert!(wrap.message.contains("wraps/unwrap"), "{}", wrap.message);
    }

    #[test]
    fn console_session_parses_only_from_its_cookie_value() {
        let tenant = TenantId::generate().unwrap();
        let session = mint_console_session(&tenant).unwrap();
        assert!(session.value.starts_with("lk_cs_tn_"));
        let presented = parse_console_session(&session.value).unwrap();
        assert_eq!(presented.kind, CredentialKind::ConsoleSession);
        assert_eq!(presented.tenant, tenant);
        assert_eq!(presented.hash, session.hash);
        // Never a bearer: only the cookie carries it.
        assert!(parse_bearer(&session.value).is_none());
        let token = mint_token(&tenant).unwrap();
        assert!(parse_console_session(&token.value).is_none());
    }

    proptest! {
        #[test]
        fn parse_bearer_never_panics(text in "\\PC{0,90}") {
            let _ = parse_bearer(&text);
        }
    }
}
