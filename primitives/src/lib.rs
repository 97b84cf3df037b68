//! The cryptographic primitives of Latchkey's hot paths, as concrete (non-generic) functions.
//!
//! Why a crate of its own: the Worker is built for size (`opt-level = "z"`, the 1 MB gzipped
//! wasm budget), and generic code is compiled in the crate that instantiates it. When the core
//! instantiated AES-GCM, HMAC and PBKDF2 itself, the crypto crates' own "s" did not reach
//! that code, and "z" made a 64 KiB envelope open 70 % slower and a login's PBKDF2 28 %
//! slower. Instantiated here, at "s" (`Cargo.toml`), they keep their speed whatever the core
//! is built for. `#[inline(never)]` keeps them from being copied into "z" callers.
//!
//! Pure Rust, no I/O; the keys and nonces come from the caller (`latchkey_core::crypto`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// AES-256-GCM encryption of `plaintext` under `key` and `nonce` (12 bytes), authenticating
/// `aad`: the ciphertext with its tag. `None` only if the message is too long for GCM.
#[inline(never)]
pub fn aes256gcm_seal(
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Option<Vec<u8>> {
    Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .ok()
}

/// AES-256-GCM decryption; `None` when the tag does not verify.
#[inline(never)]
pub fn aes256gcm_open(
    key: &[u8; 32],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != 12 {
        return None;
    }
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

#[inline(never)]
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// HMAC-SHA256 of `message` under `key` (any length: `new_from_slice` cannot fail for HMAC).
#[inline(never)]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

/// PBKDF2-HMAC-SHA256 of `password` under `salt`, `iterations` rounds, into 32 bytes.
#[inline(never)]
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        let out = pbkdf2_hmac_sha256(b"passwd", b"salt", 1);
        assert_eq!(out[..8], [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn sealed_opens_with_the_same_aad_only() {
        let key = [7u8; 32];
        let nonce = [1u8; 12];
        let sealed = aes256gcm_seal(&key, &nonce, b"aad", b"plain").unwrap();
        assert_eq!(
            aes256gcm_open(&key, &nonce, b"aad", &sealed)
                .unwrap()
                .as_slice(),
            b"plain"
        );
        assert!(aes256gcm_open(&key, &nonce, b"other", &sealed).is_none());
        assert!(aes256gcm_open(&key, &nonce[..11], b"aad", &sealed).is_none());
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(tag[..4], [0x5b, 0xdc, 0xc1, 0x46]);
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
    }
}
