//! Envelope encryption with AES-256-GCM.
//!
//! ```text
//! ROOT_KEY (Worker secret)
//!   └─ wraps the tenant key (random, one per tenant, stored wrapped in the tenant's DO)
//!        └─ wraps a data key (random, one per secret version, stored wrapped beside it)
//!             └─ encrypts the value
//! ```
//! Every ciphertext's associated data binds what it belongs to (tenant, path, version,
//! purpose), so a ciphertext or wrapped key copied to another row fails to decrypt. One data
//! key per version keeps each key far below AES-GCM's random-nonce limit (~2^32 messages).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
const AAD_PREFIX: &[u8] = b"latchkey/v1";

/// Why a crypto operation failed. Decryption failures are deliberately opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// Wrong key, tampered ciphertext or mismatched associated data.
    Decrypt,
    /// The platform's randomness source failed.
    Random,
    /// Encryption failed (only on absurd lengths).
    Encrypt,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptoError::Decrypt => "decryption failed",
            CryptoError::Random => "randomness source failed",
            CryptoError::Encrypt => "encryption failed",
        })
    }
}

impl std::error::Error for CryptoError {}

/// Fills `bytes` from the platform's CSPRNG.
pub fn fill_random(bytes: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(bytes).map_err(|_| CryptoError::Random)
}

/// Fills `N` bytes from the platform's CSPRNG (`crypto.getRandomValues` on Workers).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| CryptoError::Random)?;
    Ok(bytes)
}

/// 256 bits of key material, wiped on drop, never printed.
#[derive(Clone)]
struct Key256([u8; KEY_LEN]);

impl Drop for Key256 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Key256 {
    /// `nonce || ciphertext || tag`, with a fresh random nonce.
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = random_bytes::<NONCE_LEN>()?;
        let sealed = latchkey_primitives::aes256gcm_seal(&self.0, &nonce, aad, plaintext)
            .ok_or(CryptoError::Encrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (nonce, ciphertext) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(CryptoError::Decrypt)?;
        latchkey_primitives::aes256gcm_open(&self.0, nonce, aad, ciphertext)
            .ok_or(CryptoError::Decrypt)
    }

    fn from_plain(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::Decrypt)?;
        Ok(Key256(array))
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256([redacted])")
    }
}

/// Length-prefixed associated data: no two distinct bindings share an encoding.
fn associated_data(label: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(AAD_PREFIX);
    for part in std::iter::once(label.as_bytes()).chain(parts.iter().copied()) {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

/// The Worker secret `ROOT_KEY`: it wraps every tenant key and nothing else.
#[derive(Debug, Clone)]
pub struct RootKey {
    key: Key256,
    id: String,
}

impl RootKey {
    /// Accepts 32 bytes in standard base64 (what `scripts/dev` writes to `.dev.vars`).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let mut bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "ROOT_KEY is not base64".to_string())?;
        let key = Key256::from_plain(&bytes)
            .map_err(|_| format!("ROOT_KEY must be {KEY_LEN} bytes, got {}", bytes.len()));
        bytes.zeroize();
        let key = key?;
        // A public fingerprint, stored beside each wrapped tenant key, so a future root key
        // rotation knows which key wrapped what. SHA-256 of the key is one-way.
        let digest = sha256(&key.0);
        let id = crate::hex::encode(digest.get(..4).unwrap_or_default());
        Ok(RootKey { key, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn wrap_tenant_key(
        &self,
        tenant_id: &str,
        key: &TenantKey,
    ) -> Result<Vec<u8>, CryptoError> {
        self.key.seal(
            &associated_data("tenant-key", &[tenant_id.as_bytes()]),
            &key.0.0,
        )
    }

    pub fn unwrap_tenant_key(
        &self,
        tenant_id: &str,
        wrapped: &[u8],
    ) -> Result<TenantKey, CryptoError> {
        let plain = self.key.open(
            &associated_data("tenant-key", &[tenant_id.as_bytes()]),
            wrapped,
        )?;
        Ok(TenantKey(Key256::from_plain(&plain)?))
    }
}

/// What a sealed value belongs to. Every member goes into the associated data.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub tenant_id: &'a str,
    pub path: &'a str,
    pub version: u64,
    /// What the ciphertext is: `"value"` for a secret's main value.
    pub purpose: &'a str,
}

impl Binding<'_> {
    fn aad(&self, label: &str) -> Vec<u8> {
        associated_data(
            label,
            &[
                self.tenant_id.as_bytes(),
                self.path.as_bytes(),
                &self.version.to_be_bytes(),
                self.purpose.as_bytes(),
            ],
        )
    }
}

/// A sealed value as stored: both parts are `nonce || ciphertext || tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub wrapped_data_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// One tenant's key: wraps the data keys of that tenant's values.
#[derive(Debug, Clone)]
pub struct TenantKey(Key256);

impl TenantKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(TenantKey(Key256(random_bytes()?)))
    }

    /// Encrypts under a fresh data key, which is then wrapped by this tenant key.
    pub fn seal(&self, binding: &Binding<'_>, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        let data_key = Key256(random_bytes()?);
        let ciphertext = data_key.seal(&binding.aad("value"), plaintext)?;
        let wrapped_data_key = self.0.seal(&binding.aad("data-key"), &data_key.0)?;
        Ok(Sealed {
            wrapped_data_key,
            ciphertext,
        })
    }

    pub fn open(
        &self,
        binding: &Binding<'_>,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let data_key = Key256::from_plain(
            &self
                .0
                .open(&binding.aad("data-key"), &sealed.wrapped_data_key)?,
        )?;
        data_key.open(&binding.aad("value"), &sealed.ciphertext)
    }
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    latchkey_primitives::hmac_sha256(key, message)
}

/// A MAC check in constant time.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let expected = hmac_sha256(key, message);
    tag.len() == expected.len() && bool::from(expected.ct_eq(tag))
}

/// A key for one purpose, derived from a tenant key (HMAC-SHA256 of the label, as in HKDF's
/// expand step with one block). Wiped on drop.
pub struct DerivedKey(Zeroizing<[u8; 32]>);

impl DerivedKey {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedKey([redacted])")
    }
}

impl TenantKey {
    /// A separate key for `label` (e.g. signing approval links), so no key serves two uses.
    pub fn derive(&self, label: &str) -> DerivedKey {
        let mut info = b"latchkey/v1/derive/".to_vec();
        info.extend_from_slice(label.as_bytes());
        DerivedKey(Zeroizing::new(hmac_sha256(&self.0.0, &info)))
    }
}

/// SHA-256, for credentials: a 256-bit random token needs no slow hash.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    latchkey_primitives::sha256(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::hex::encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing!",
            &tag
        ));
        assert!(!hmac_sha256_verify(b"Jefe", b"x", &tag[..31]));
    }

    #[test]
    fn derived_keys_differ_by_label_and_tenant() {
        let a = TenantKey::generate().unwrap();
        let b = TenantKey::generate().unwrap();
        assert_ne!(a.derive("links").as_bytes(), a.derive("other").as_bytes());
        assert_ne!(a.derive("links").as_bytes(), b.derive("links").as_bytes());
        assert_eq!(a.derive("links").as_bytes(), a.derive("links").as_bytes());
    }

    fn root() -> RootKey {
        RootKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap()
    }

    fn binding(version: u64) -> Binding<'static> {
        Binding {
            tenant_id: "tn_0123456789abcdef",
            path: "production/openai/api-key",
            version,
            purpose: "value",
        }
    }

    #[test]
    fn seal_then_open_round_trips() {
        let key = TenantKey::generate().unwrap();
        let sealed = key.seal(&binding(1), b"sk-proj-abc123").unwrap();
        assert_eq!(
            key.open(&binding(1), &sealed).unwrap().as_slice(),
            b"sk-proj-abc123"
        );
        assert!(
            !sealed
                .ciphertext
                .windows(14)
                .any(|w| w == b"sk-proj-abc123")
        );
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let key = TenantKey::generate().unwrap();
        let a = key.seal(&binding(1), b"same").unwrap();
        let b = key.seal(&binding(1), b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampering_anywhere_fails() {
        let key = TenantKey::generate().unwrap();
        let sealed = key.seal(&binding(1), b"value").unwrap();
        for i in 0..sealed.ciphertext.len() {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 1;
            assert_eq!(
                key.open(&binding(1), &bad).err(),
                Some(CryptoError::Decrypt)
            );
        }
        for i in 0..sealed.wrapped_data_key.len() {
            let mut bad = sealed.clone();
            bad.wrapped_data_key[i] ^= 0x80;
            assert_eq!(
                key.open(&binding(1), &bad).err(),
                Some(CryptoError::Decrypt)
            );
        }
        let truncated = Sealed {
            wrapped_data_key: sealed.wrapped_data_key.clone(),
            ciphertext: sealed.ciphertext[..5].to_vec(),
        };
        assert_eq!(
            key.open(&binding(1), &truncated).err(),
            Some(CryptoError::Decrypt)
        );
    }

    #[test]
    fn swapped_associated_data_fails() {
        let key = TenantKey::generate().unwrap();
        let sealed = key.seal(&binding(1), b"value").unwrap();
        let others = [
            Binding {
                version: 2,
                ..binding(1)
            },
            Binding {
                path: "production/openai/api-kez",
                ..binding(1)
            },
            Binding {
                tenant_id: "tn_fedcba9876543210",
                ..binding(1)
            },
            Binding {
                purpose: "field",
                ..binding(1)
            },
        ];
        for other in others {
            assert_eq!(key.open(&other, &sealed).err(), Some(CryptoError::Decrypt));
        }
    }

    #[test]
    fn length_prefixing_keeps_bindings_apart() {
        // Without length prefixes, ("a/b", "c") and ("a", "b/c") could share bytes.
        let a = Binding {
            path: "ab",
            purpose: "c",
            ..binding(1)
        }
        .aad("value");
        let b = Binding {
            path: "a",
            purpose: "bc",
            ..binding(1)
        }
        .aad("value");
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_tenant_key_fails() {
        let sealed = TenantKey::generate()
            .unwrap()
            .seal(&binding(1), b"value")
            .unwrap();
        let other = TenantKey::generate().unwrap();
        assert_eq!(
            other.open(&binding(1), &sealed).err(),
            Some(CryptoError::Decrypt)
        );
    }

    #[test]
    fn tenant_key_wraps_under_root_and_binds_tenant() {
        let root = root();
        let key = TenantKey::generate().unwrap();
        let wrapped = root.wrap_tenant_key("tn_a", &key).unwrap();
        let unwrapped = root.unwrap_tenant_key("tn_a", &wrapped).unwrap();
        let sealed = key.seal(&binding(3), b"v").unwrap();
        assert_eq!(
            unwrapped.open(&binding(3), &sealed).unwrap().as_slice(),
            b"v"
        );
        assert!(root.unwrap_tenant_key("tn_b", &wrapped).is_err());
        let other_root = RootKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert!(other_root.unwrap_tenant_key("tn_a", &wrapped).is_err());
        assert_ne!(root.id(), other_root.id());
    }

    #[test]
    fn root_key_must_be_32_base64_bytes() {
        assert!(RootKey::from_base64("not base64!").is_err());
        assert!(RootKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        assert!(RootKey::from_base64(&format!(" {}\n", STANDARD.encode([1u8; 32]))).is_ok());
    }

    #[test]
    fn debug_output_redacts_keys() {
        let text = format!("{:?} {:?}", root(), TenantKey::generate().unwrap());
        assert!(text.contains("redacted"));
        assert!(!text.contains("7, 7"));
    }
}
