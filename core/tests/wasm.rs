//! The envelope inside wasm, with the platform's randomness (`crypto.getRandomValues` via
//! getrandom's `wasm_js` backend), run by wasm-bindgen-test in Node:
//! `cargo test -p latchkey-core --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use base64::Engine as _;
use latchkey_core::credential::{mint_master_key, parse_bearer};
use latchkey_core::crypto::{Binding, CryptoError, RootKey, TenantKey, random_bytes};
use latchkey_core::tenant::TenantId;
use wasm_bindgen_test::wasm_bindgen_test;

fn binding(version: u64) -> Binding<'static> {
    Binding {
        tenant_id: "tn_0123456789abcdef",
        path: "production/openai/api-key",
        version,
        purpose: "value",
    }
}

#[wasm_bindgen_test]
fn randomness_comes_from_the_platform() {
    let a = random_bytes::<32>().unwrap();
    let b = random_bytes::<32>().unwrap();
    assert_ne!(a, b);
    assert_ne!(a, [0u8; 32]);
}

#[wasm_bindgen_test]
fn envelope_round_trips_in_wasm() {
    let root = RootKey::from_base64(
        &base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>().unwrap()),
    )
    .unwrap();
    let tenant_key = TenantKey::generate().unwrap();
    let wrapped = root
        .wrap_tenant_key("tn_0123456789abcdef", &tenant_key)
        .unwrap();
    let unwrapped = root
        .unwrap_tenant_key("tn_0123456789abcdef", &wrapped)
        .unwrap();
    let sealed = tenant_key.seal(&binding(1), b"sk-proj-abc123").unwrap();
    assert_eq!(
        unwrapped.open(&binding(1), &sealed).unwrap().as_slice(),
        b"sk-proj-abc123"
    );
    assert_eq!(
        unwrapped.open(&binding(2), &sealed).err(),
        Some(CryptoError::Decrypt)
    );
    let mut tampered = sealed.clone();
    tampered.ciphertext[20] ^= 1;
    assert_eq!(
        unwrapped.open(&binding(1), &tampered).err(),
        Some(CryptoError::Decrypt)
    );
}

#[wasm_bindgen_test]
fn master_keys_mint_and_parse_in_wasm() {
    let tenant = TenantId::generate().unwrap();
    let key = mint_master_key(&tenant).unwrap();
    let presented = parse_bearer(&key.value).unwrap();
    assert_eq!(presented.tenant, tenant);
    assert_eq!(presented.hash, key.hash);
}
