//! The cryptographic primitives of Latchkey's hot paths, as concrete (non-generic) functions,
//! and of the agents' wire envelopes (X25519, HKDF-SHA256).
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

/// X25519's public key for `secret` (RFC 7748: the clamped scalar times the base point u = 9).
/// By the Montgomery ladder, as [`x25519`]: no Edwards-curve code in the Worker.
#[inline(never)]
pub fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(*secret, x25519_dalek::X25519_BASEPOINT_BYTES)
}

/// X25519 of `secret` and `public` (RFC 7748), or `None` when the result is all zeros: a
/// low-order `public` contributes nothing, and a key derived from it would be known to anyone.
#[inline(never)]
pub fn x25519(secret: &[u8; 32], public: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
    use subtle::ConstantTimeEq;
    let shared = Zeroizing::new(x25519_dalek::x25519(*secret, *public));
    let zero: bool = shared.ct_eq(&[0u8; 32]).into();
    (!zero).then_some(shared)
}

/// HKDF-SHA256 (RFC 5869) of `ikm` with `salt` and `info`, filling `okm`; `None` only when
/// `okm` is longer than HKDF allows (255 × 32 bytes).
#[inline(never)]
pub fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], okm: &mut [u8]) -> Option<()> {
    hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, okm)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn x25519_matches_the_rfc_7748_vectors() {
        // Section 5.2, the two single-step vectors.
        let out = x25519(
            &hex32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            &hex32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
        )
        .unwrap();
        assert_eq!(
            hex(out.as_slice()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        );
        let out = x25519(
            &hex32("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            &hex32("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
        )
        .unwrap();
        assert_eq!(
            hex(out.as_slice()),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
        );
    }

    #[test]
    fn x25519_diffie_hellman_matches_rfc_7748_section_6_1() {
        let alice = hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let bob = hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let alice_public = x25519_public(&alice);
        let bob_public = x25519_public(&bob);
        assert_eq!(
            hex(&alice_public),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            hex(&bob_public),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(hex(x25519(&alice, &bob_public).unwrap().as_slice()), shared);
        assert_eq!(hex(x25519(&bob, &alice_public).unwrap().as_slice()), shared);
    }

    #[test]
    fn x25519_low_order_public_key_is_refused() {
        // The identity (u = 0) and u = 1 are of small order: the shared secret is all zeros.
        assert!(x25519(&[9u8; 32], &[0u8; 32]).is_none());
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(x25519(&[9u8; 32], &one).is_none());
    }

    #[test]
    fn hkdf_matches_rfc_5869_cases_1_and_3() {
        let mut okm = [0u8; 42];
        hkdf_sha256(
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            &[0x0b; 22],
            &[0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9],
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            hex(&okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
        hkdf_sha256(&[], &[0x0b; 22], &[], &mut okm).unwrap();
        assert_eq!(
            hex(&okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
        assert!(hkdf_sha256(&[], &[1], &[], &mut vec![0u8; 255 * 32 + 1]).is_none());
    }

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
