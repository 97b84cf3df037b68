//! The agent's side of the wire envelopes (ARCHITECTURE "Wire envelopes to agents",
//! /work/agent-protocol.md "Agent wraps"), from the same RustCrypto functions the server uses
//! (`latchkey-primitives`):
//!
//! - opening what is sealed to the agent's X25519 key (a DEK, a patch's wrap):
//!   `ss = X25519(a, E)`, `k = HKDF-SHA256(salt = E ‖ A, ikm = ss, info = INFO)`,
//!   `plaintext = AES-256-GCM-open(k, nonce, aad = INFO, ciphertext)`;
//! - sealing a read's value under a DEK: AES-256-GCM, 12 random bytes of nonce,
//!   `aad = "latchkey/v1/agent-wrap" ‖ lp(tenant) ‖ lp(agent) ‖ lp(job)`;
//!
//! where `lp(x)` = u32 big-endian length ‖ bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use zeroize::Zeroizing;

pub const ALGORITHM: &str = "x25519-hkdf-sha256-aes-256-gcm";
const DEK_INFO: &[u8] = b"latchkey/v1/agent-dek";
const WRAP_INFO: &[u8] = b"latchkey/v1/agent-wrap";

/// `label ‖ lp(part) ‖ …`: the binding of an envelope (HKDF info, AEAD associated data).
pub fn binding(label: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut out = label.to_vec();
    for part in parts {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// `n` random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the OS: {e}"))?;
    Ok(bytes)
}

/// The agent's X25519 key pair. `Debug` never shows the secret half.
pub struct KeyPair {
    secret: Zeroizing<[u8; 32]>,
    public: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair {{ public: {} }}", self.public_base64())
    }
}

impl KeyPair {
    pub fn generate() -> Result<KeyPair, String> {
        Ok(KeyPair::from_secret(Zeroizing::new(random::<32>()?)))
    }

    pub fn from_secret(secret: Zeroizing<[u8; 32]>) -> KeyPair {
        let public = latchkey_primitives::x25519_public(&secret);
        KeyPair { secret, public }
    }

    /// The secret half from its standard base64 (the state file).
    pub fn from_base64(text: &str) -> Result<KeyPair, String> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| "the X25519 key is not base64".to_owned())?,
        );
        let secret: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| "the X25519 key is not 32 bytes".to_owned())?;
        Ok(KeyPair::from_secret(Zeroizing::new(secret)))
    }

    pub fn secret_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.secret.as_slice()))
    }

    pub fn public_base64(&self) -> String {
        STANDARD.encode(self.public)
    }

    /// Opens an answer `{algorithm, ephemeral_public_key, nonce, ciphertext}` sealed to this
    /// key under `info`. The error never carries key material.
    fn open(&self, answer: &Value, info: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        if let Some(algorithm) = answer.get("algorithm").and_then(Value::as_str)
            && algorithm != ALGORITHM
        {
            return Err(format!("unknown envelope algorithm '{algorithm}'"));
        }
        let ephemeral: [u8; 32] = decode(answer, "ephemeral_public_key")?
            .try_into()
            .map_err(|_| "ephemeral_public_key is not 32 bytes".to_owned())?;
        let shared = latchkey_primitives::x25519(&self.secret, &ephemeral)
            .ok_or_else(|| "ephemeral_public_key is a low-order point".to_owned())?;
        let mut salt = [0u8; 64];
        let (left, right) = salt.split_at_mut(32);
        left.copy_from_slice(&ephemeral);
        right.copy_from_slice(&self.public);
        let mut key = Zeroizing::new([0u8; 32]);
        latchkey_primitives::hkdf_sha256(&salt, shared.as_slice(), info, key.as_mut_slice())
            .ok_or_else(|| "HKDF failed".to_owned())?;
        latchkey_primitives::aes256gcm_open(
            &key,
            &decode(answer, "nonce")?,
            info,
            &decode(answer, "ciphertext")?,
        )
        .ok_or_else(|| {
            "the envelope does not open with this agent's key (another key, agent or tenant?)"
                .to_owned()
        })
    }

    /// Opens `POST /api/v1/agents/{id}/dek`'s answer: `(key_id, DEK)`.
    pub fn open_dek(
        &self,
        tenant: &str,
        agent: &str,
        answer: &Value,
    ) -> Result<(String, Zeroizing<[u8; 32]>), String> {
        let key_id = answer
            .get("key_id")
            .and_then(Value::as_str)
            .ok_or_else(|| "the DEK answer has no key_id".to_owned())?;
        let plain = self.open(answer, &binding(DEK_INFO, &[tenant, agent, key_id]))?;
        let dek: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| "the DEK is not 32 bytes".to_owned())?;
        Ok((key_id.to_owned(), Zeroizing::new(dek)))
    }

    /// Opens `GET /api/v1/agents/{id}/wraps/{wrap_id}`'s answer (a patch's values).
    pub fn open_wrap(
        &self,
        tenant: &str,
        agent: &str,
        wrap_id: &str,
        answer: &Value,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        self.open(answer, &binding(WRAP_INFO, &[tenant, agent, wrap_id]))
    }
}

fn decode(answer: &Value, member: &str) -> Result<Vec<u8>, String> {
    let text = answer
        .get(member)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the envelope has no {member}"))?;
    STANDARD
        .decode(text)
        .map_err(|_| format!("the envelope's {member} is not base64"))
}

/// A read's value sealed under a DEK, for `POST /api/v1/agents/{id}/wraps`: `(nonce,
/// ciphertext)`, both standard base64.
pub fn seal_for_job(
    dek: &[u8; 32],
    tenant: &str,
    agent: &str,
    job: &str,
    plaintext: &[u8],
) -> Result<(String, String), String> {
    let nonce = random::<12>()?;
    let aad = binding(WRAP_INFO, &[tenant, agent, job]);
    let ciphertext = latchkey_primitives::aes256gcm_seal(dek, &nonce, &aad, plaintext)
        .ok_or_else(|| "the value is too long to seal".to_owned())?;
    Ok((STANDARD.encode(nonce), STANDARD.encode(ciphertext)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::agent::AgentId;
    use latchkey_core::agent::envelope::{AgentPublicKey, DekBinding, DekId, seal_to_agent};
    use serde_json::json;

    const TENANT: &str = "tn_0123456789abcdef";
    const AGENT: &str = "agt_0123456789abcdef01234567";
    const DEK_ID: &str = "dek_0123456789abcdef01234567";

    /// What the server answers for a DEK, sealed by the server's own code.
    fn server_dek(keys: &KeyPair, dek: &[u8; 32]) -> Value {
        let public = AgentPublicKey::parse(&keys.public_base64()).unwrap();
        let agent = AgentId::parse(AGENT).unwrap();
        let key_id = DekId::parse(DEK_ID).unwrap();
        let sealed = seal_to_agent(
            &public,
            &DekBinding {
                tenant_id: TENANT,
                agent_id: &agent,
                key_id: &key_id,
            },
            dek,
        )
        .unwrap();
        serde_json::to_value(sealed).unwrap()
    }

    /// A patch wrap sealed as the protocol says the server seals one (from the primitives).
    fn server_wrap(public: &[u8; 32], wrap_id: &str, plaintext: &[u8]) -> Value {
        let e = random::<32>().unwrap();
        let big_e = latchkey_primitives::x25519_public(&e);
        let shared = latchkey_primitives::x25519(&e, public).unwrap();
        let info = binding(WRAP_INFO, &[TENANT, AGENT, wrap_id]);
        let mut salt = big_e.to_vec();
        salt.extend_from_slice(public);
        let mut k = [0u8; 32];
        latchkey_primitives::hkdf_sha256(&salt, shared.as_slice(), &info, &mut k).unwrap();
        let nonce = random::<12>().unwrap();
        let ct = latchkey_primitives::aes256gcm_seal(&k, &nonce, &info, plaintext).unwrap();
        json!({
            "wrap_id": wrap_id,
            "algorithm": ALGORITHM,
            "ephemeral_public_key": STANDARD.encode(big_e),
            "nonce": STANDARD.encode(nonce),
            "ciphertext": STANDARD.encode(ct),
        })
    }

    #[test]
    fn open_dek_sealed_by_the_server_code_gives_the_dek() {
        let keys = KeyPair::generate().unwrap();
        let dek = random::<32>().unwrap();
        let answer = server_dek(&keys, &dek);
        let (key_id, opened) = keys.open_dek(TENANT, AGENT, &answer).unwrap();
        assert_eq!(key_id, DEK_ID);
        assert_eq!(*opened, dek);
    }

    #[test]
    fn open_dek_under_another_key_agent_or_tenant_fails() {
        let keys = KeyPair::generate().unwrap();
        let answer = server_dek(&keys, &random::<32>().unwrap());
        let other = KeyPair::generate().unwrap();
        assert!(other.open_dek(TENANT, AGENT, &answer).is_err());
        assert!(
            keys.open_dek(TENANT, "agt_ffffffffffffffffffffffff", &answer)
                .is_err()
        );
        assert!(
            keys.open_dek("tn_ffffffffffffffff", AGENT, &answer)
                .is_err()
        );
        let mut renamed = answer.clone();
        renamed["key_id"] = json!("dek_ffffffffffffffffffffffff");
        assert!(keys.open_dek(TENANT, AGENT, &renamed).is_err());
        let mut tampered = answer;
        tampered["algorithm"] = json!("rot13");
        assert!(keys.open_dek(TENANT, AGENT, &tampered).is_err());
    }

    #[test]
    fn open_wrap_opens_only_its_own_wrap_id_under_its_own_key() {
        let keys = KeyPair::generate().unwrap();
        let plain = br#"{"data":{"PASSWORD":"s3cret"}}"#;
        let wrap = server_wrap(&keys.public, "wrp_1", plain);
        let opened = keys.open_wrap(TENANT, AGENT, "wrp_1", &wrap).unwrap();
        assert_eq!(opened.as_slice(), plain);
        assert!(keys.open_wrap(TENANT, AGENT, "wrp_2", &wrap).is_err());
        let other = KeyPair::generate().unwrap();
        assert!(other.open_wrap(TENANT, AGENT, "wrp_1", &wrap).is_err());
        // The DEK's label is not the wrap's: a wrap does not open as a DEK.
        let mut as_dek = wrap;
        as_dek["key_id"] = json!("wrp_1");
        assert!(keys.open_dek(TENANT, AGENT, &as_dek).is_err());
    }

    #[test]
    fn seal_for_job_opens_with_the_dek_and_the_jobs_binding_only() {
        let dek = random::<32>().unwrap();
        let plain = br#"{"data":{"A":"1"}}"#;
        let (nonce, ct) = seal_for_job(&dek, TENANT, AGENT, "job_1", plain).unwrap();
        let nonce = STANDARD.decode(nonce).unwrap();
        let ct = STANDARD.decode(ct).unwrap();
        // As the protocol says the server opens it.
        let mut aad = b"latchkey/v1/agent-wrap".to_vec();
        for part in [TENANT, AGENT, "job_1"] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        let opened = latchkey_primitives::aes256gcm_open(&dek, &nonce, &aad, &ct).unwrap();
        assert_eq!(opened.as_slice(), plain);
        let other = binding(WRAP_INFO, &[TENANT, AGENT, "job_2"]);
        assert!(latchkey_primitives::aes256gcm_open(&dek, &nonce, &other, &ct).is_none());
    }

    #[test]
    fn key_pair_round_trips_through_base64_and_debug_hides_the_secret() {
        let keys = KeyPair::generate().unwrap();
        let again = KeyPair::from_base64(&keys.secret_base64()).unwrap();
        assert_eq!(again.public_base64(), keys.public_base64());
        assert!(!format!("{keys:?}").contains(keys.secret_base64().as_str()));
        assert!(KeyPair::from_base64("AAAA").is_err());
        assert!(KeyPair::from_base64("not base64!").is_err());
    }
}
