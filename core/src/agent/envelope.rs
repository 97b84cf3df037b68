//! Wire envelopes to agents (issue 23): an agent registers an X25519 public key
//! (`PUT /api/v1/agents/{id}/public-key`), and a data key (DEK) it asks for
//! (`POST /api/v1/agents/{id}/dek`) is handed to it sealed to that key, while the server keeps
//! only a copy wrapped under the tenant key ([`crate::crypto::TenantKey::seal`]).
//!
//! The seal, `x25519-hkdf-sha256-aes-256-gcm`:
//! ```text
//! e  = 32 random bytes (ephemeral X25519 secret), E = X25519(e, 9)
//! ss = X25519(e, agent public key A); all zeros (a low-order A) is refused
//! k  = HKDF-SHA256(salt = E || A, ikm = ss, info = INFO, 32 bytes)
//! INFO = "latchkey/v1/agent-dek" || for each of tenant id, agent id, key id: u32 BE length || bytes
//! ciphertext = AES-256-GCM(k, nonce = 12 random bytes, aad = INFO, DEK)
//! ```
//! The salt binds both public keys, and INFO binds the tenant, the agent and the key id, so a
//! sealed DEK replayed to another agent, tenant or key id does not open. The agent opens it
//! with [`open_sealed_dek`] (the same steps with its secret and `E`).

use crate::agent::AgentId;
use crate::crypto::{CryptoError, Sealed, TenantKey, random_bytes};
use crate::error::ApiError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

prefixed_id!(DekId, "dek_", "data key");

/// The seal's name, in every answer that carries one.
pub const ALGORITHM: &str = "x25519-hkdf-sha256-aes-256-gcm";
const INFO_PREFIX: &[u8] = b"latchkey/v1/agent-dek";
/// The tenant-key wrap's purpose (its associated data), distinct from a secret value's.
pub const WRAP_PURPOSE: &str = "agent-dek";

/// An agent's X25519 public key: 32 bytes, never a low-order point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPublicKey([u8; 32]);

impl AgentPublicKey {
    /// 32 bytes in standard base64 (padding optional). A low-order point (whose shared secret
    /// with anyone is all zeros) is refused: a DEK sealed to it would be readable by all.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| "must be standard base64 of 32 bytes".to_owned())?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "must be an X25519 public key of 32 bytes (base64), got {}",
                b.len()
            )
        })?;
        // Any clamped scalar times a low-order point is the identity (u = 0).
        if latchkey_primitives::x25519(&[0x42; 32], &key).is_none() {
            return Err("is a low-order X25519 point, which no key agreement can use".to_owned());
        }
        Ok(AgentPublicKey(key))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(AgentPublicKey)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// `PUT /api/v1/agents/{id}/public-key` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyBody {
    #[serde(default)]
    public_key: crate::body::OptText,
}

/// Reads `{"public_key": "<base64 of 32 bytes>"}`; every error is a 400 naming the member.
pub fn parse_public_key_body(bytes: &[u8]) -> Result<AgentPublicKey, ApiError> {
    let body: PublicKeyBody = crate::body::parse(bytes).map_err(bad_request)?;
    let text = body
        .public_key
        .0
        .ok_or_else(|| field_error("public_key", "'public_key' is required".to_owned()))?;
    AgentPublicKey::parse(&text)
        .map_err(|why| field_error("public_key", format!("'public_key' {why}")))
}

/// A member's error as 400 `invalid_request`, still naming the member in `field`.
pub fn bad_request(mut error: ApiError) -> ApiError {
    if error.code == crate::error::ErrorCode::ValidationError {
        error.code = crate::error::ErrorCode::InvalidRequest;
    }
    error
}

fn field_error(field: &str, message: String) -> ApiError {
    ApiError::invalid_request(message).with("field", field)
}

/// What a sealed DEK belongs to: every member goes into HKDF's info and the AEAD's associated
/// data.
#[derive(Debug, Clone, Copy)]
pub struct DekBinding<'a> {
    pub tenant_id: &'a str,
    pub agent_id: &'a AgentId,
    pub key_id: &'a DekId,
}

impl DekBinding<'_> {
    fn info(&self) -> Vec<u8> {
        bound_info(
            INFO_PREFIX,
            self.tenant_id,
            self.agent_id.as_str(),
            self.key_id.as_str(),
        )
    }

    /// Where the tenant-key wrap of this DEK is bound (the envelope's `path` member).
    pub fn wrap_path(&self) -> String {
        format!("agents/{}/deks/{}", self.agent_id, self.key_id)
    }
}

/// `prefix` followed by each of tenant id, agent id and a third id as u32 BE length ‖ bytes: a
/// seal's INFO (and AEAD associated data).
pub(crate) fn bound_info(prefix: &[u8], tenant_id: &str, agent_id: &str, id: &str) -> Vec<u8> {
    let mut info = prefix.to_vec();
    for part in [tenant_id, agent_id, id] {
        info.extend_from_slice(&(part.len() as u32).to_be_bytes());
        info.extend_from_slice(part.as_bytes());
    }
    info
}

/// A DEK sealed to an agent's key: what `POST /api/v1/agents/{id}/dek` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedDek {
    pub key_id: DekId,
    pub algorithm: String,
    /// The ephemeral X25519 public key `E`, base64.
    pub ephemeral_public_key: String,
    /// AES-GCM's nonce, base64 (12 bytes).
    pub nonce: String,
    /// The sealed DEK with its tag, base64 (48 bytes).
    pub ciphertext: String,
}

/// The symmetric key of a seal: HKDF-SHA256 of the shared secret, salted with both publics.
fn seal_key(
    shared: &[u8; 32],
    ephemeral: &[u8; 32],
    agent: &[u8; 32],
    info: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut salt = [0u8; 64];
    let (left, right) = salt.split_at_mut(32);
    left.copy_from_slice(ephemeral);
    right.copy_from_slice(agent);
    let mut key = Zeroizing::new([0u8; 32]);
    latchkey_primitives::hkdf_sha256(&salt, shared, info, key.as_mut_slice())
        .ok_or(CryptoError::Encrypt)?;
    Ok(key)
}

/// Seals `plaintext` to `agent` under `binding` with a fresh ephemeral key.
pub fn seal_to_agent(
    agent: &AgentPublicKey,
    binding: &DekBinding<'_>,
    plaintext: &[u8],
) -> Result<SealedDek, CryptoError> {
    let (ephemeral_public_key, nonce, ciphertext) =
        seal_with_info(agent, &binding.info(), plaintext)?;
    Ok(SealedDek {
        key_id: binding.key_id.clone(),
        algorithm: ALGORITHM.to_owned(),
        ephemeral_public_key,
        nonce,
        ciphertext,
    })
}

/// The seal itself, for any INFO (a DEK's, an agent wrap's): the ephemeral public key, the
/// nonce and the ciphertext, each base64.
pub(crate) fn seal_with_info(
    agent: &AgentPublicKey,
    info: &[u8],
    plaintext: &[u8],
) -> Result<(String, String, String), CryptoError> {
    let ephemeral = Zeroizing::new(random_bytes::<32>()?);
    let ephemeral_public = latchkey_primitives::x25519_public(&ephemeral);
    let shared = latchkey_primitives::x25519(&ephemeral, &agent.0).ok_or(CryptoError::Encrypt)?;
    let key = seal_key(&shared, &ephemeral_public, &agent.0, info)?;
    let nonce = random_bytes::<12>()?;
    let ciphertext = latchkey_primitives::aes256gcm_seal(&key, &nonce, info, plaintext)
        .ok_or(CryptoError::Encrypt)?;
    Ok((
        STANDARD.encode(ephemeral_public),
        STANDARD.encode(nonce),
        STANDARD.encode(ciphertext),
    ))
}

/// Opens a [`SealedDek`] with the agent's X25519 secret: what an agent does with the answer.
/// Fails ([`CryptoError::Decrypt`]) under any other secret or binding.
pub fn open_sealed_dek(
    agent_secret: &[u8; 32],
    binding: &DekBinding<'_>,
    sealed: &SealedDek,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with_info(
        agent_secret,
        &binding.info(),
        &sealed.ephemeral_public_key,
        &sealed.nonce,
        &sealed.ciphertext,
    )
}

/// The agent's side of [`seal_with_info`].
pub(crate) fn open_with_info(
    agent_secret: &[u8; 32],
    info: &[u8],
    ephemeral_public_key: &str,
    nonce: &str,
    ciphertext: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let decode = |text: &str| STANDARD.decode(text).map_err(|_| CryptoError::Decrypt);
    let ephemeral: [u8; 32] = decode(ephemeral_public_key)?
        .try_into()
        .map_err(|_| CryptoError::Decrypt)?;
    let agent_public = latchkey_primitives::x25519_public(agent_secret);
    let shared =
        latchkey_primitives::x25519(agent_secret, &ephemeral).ok_or(CryptoError::Decrypt)?;
    let key = seal_key(&shared, &ephemeral, &agent_public, info)?;
    latchkey_primitives::aes256gcm_open(&key, &decode(nonce)?, info, &decode(ciphertext)?)
        .ok_or(CryptoError::Decrypt)
}

/// A fresh DEK: sealed to the agent (for the answer) and wrapped under the tenant key (for
/// the server, bound to the tenant, the agent and the key id). The plaintext is wiped here.
pub fn issue_dek(
    tenant_key: &TenantKey,
    agent: &AgentPublicKey,
    binding: &DekBinding<'_>,
) -> Result<(SealedDek, Sealed), CryptoError> {
    let dek = Zeroizing::new(random_bytes::<32>()?);
    let sealed = seal_to_agent(agent, binding, dek.as_slice())?;
    let path = binding.wrap_path();
    let wrapped = tenant_key.seal(&wrap_binding(binding, &path), dek.as_slice())?;
    Ok((sealed, wrapped))
}

/// The tenant-key envelope's binding for a DEK.
pub fn wrap_binding<'a>(binding: &DekBinding<'a>, path: &'a str) -> crate::crypto::Binding<'a> {
    crate::crypto::Binding {
        tenant_id: binding.tenant_id,
        path,
        version: 0,
        purpose: WRAP_PURPOSE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (AgentId, DekId) {
        (AgentId::generate().unwrap(), DekId::generate().unwrap())
    }

    fn keypair() -> ([u8; 32], AgentPublicKey) {
        let secret = random_bytes::<32>().unwrap();
        let public = latchkey_primitives::x25519_public(&secret);
        (
            secret,
            AgentPublicKey::parse(&STANDARD.encode(public)).unwrap(),
        )
    }

    #[test]
    fn sealed_dek_round_trip_opens_with_the_agents_secret() {
        let (agent, key_id) = ids();
        let (secret, public) = keypair();
        let binding = DekBinding {
            tenant_id: "t1",
            agent_id: &agent,
            key_id: &key_id,
        };
        let tenant_key = TenantKey::generate().unwrap();
        let (sealed, wrapped) = issue_dek(&tenant_key, &public, &binding).unwrap();
        assert_eq!(sealed.algorithm, ALGORITHM);
        let opened = open_sealed_dek(&secret, &binding, &sealed).unwrap();
        assert_eq!(opened.len(), 32);
        let path = binding.wrap_path();
        let server = tenant_key
            .open(&wrap_binding(&binding, &path), &wrapped)
            .unwrap();
        assert_eq!(server.as_slice(), opened.as_slice());
    }

    #[test]
    fn sealed_dek_wrong_key_or_binding_fails_to_open() {
        let (agent, key_id) = ids();
        let (_, public) = keypair();
        let (other_secret, _) = keypair();
        let binding = DekBinding {
            tenant_id: "t1",
            agent_id: &agent,
            key_id: &key_id,
        };
        let sealed = seal_to_agent(&public, &binding, b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(
            open_sealed_dek(&other_secret, &binding, &sealed),
            Err(CryptoError::Decrypt)
        );
        let (right_secret, right_public) = keypair();
        let sealed = seal_to_agent(&right_public, &binding, b"k").unwrap();
        let other_tenant = DekBinding {
            tenant_id: "t2",
            ..binding
        };
        assert!(open_sealed_dek(&right_secret, &other_tenant, &sealed).is_err());
        let other_agent = AgentId::generate().unwrap();
        let moved = DekBinding {
            agent_id: &other_agent,
            ..binding
        };
        assert!(open_sealed_dek(&right_secret, &moved, &sealed).is_err());
        assert!(open_sealed_dek(&right_secret, &binding, &sealed).is_ok());
    }

    #[test]
    fn wrapped_dek_other_tenant_key_fails_to_open() {
        let (agent, key_id) = ids();
        let (_, public) = keypair();
        let binding = DekBinding {
            tenant_id: "t1",
            agent_id: &agent,
            key_id: &key_id,
        };
        let (_, wrapped) = issue_dek(&TenantKey::generate().unwrap(), &public, &binding).unwrap();
        let path = binding.wrap_path();
        assert!(
            TenantKey::generate()
                .unwrap()
                .open(&wrap_binding(&binding, &path), &wrapped)
                .is_err()
        );
    }

    #[test]
    fn public_key_parse_wrong_length_or_low_order_is_refused() {
        assert!(AgentPublicKey::parse(&STANDARD.encode([7u8; 31])).is_err());
        assert!(AgentPublicKey::parse(&STANDARD.encode([7u8; 33])).is_err());
        assert!(AgentPublicKey::parse("not base64!").is_err());
        assert!(AgentPublicKey::parse(&STANDARD.encode([0u8; 32])).is_err());
        let (_, key) = keypair();
        let unpadded = key.to_base64().trim_end_matches('=').to_owned();
        assert_eq!(AgentPublicKey::parse(&unpadded), Ok(key));
    }

    #[test]
    fn public_key_body_bad_members_are_400_naming_them() {
        let field = |e: &ApiError| {
            e.details
                .get("field")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        for (body, member) in [
            (r#"{"public_key":"AAAA"}"#, "public_key"),
            (r#"{}"#, "public_key"),
            (r#"{"public_key":"x","key":"y"}"#, "key"),
            (r#"{"public_key":7}"#, "public_key"),
        ] {
            let e = parse_public_key_body(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{body}");
            assert_eq!(field(&e).as_deref(), Some(member), "{body}: {}", e.message);
        }
        let (_, key) = keypair();
        let body = format!(r#"{{"public_key":"{}"}}"#, key.to_base64());
        assert_eq!(parse_public_key_body(body.as_bytes()), Ok(key));
    }
}
