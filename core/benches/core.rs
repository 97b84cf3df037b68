//! Micro-benchmarks of the hot paths of the core: the envelope, scope matching, credential
//! hashing. `cargo bench -p latchkey-core` (scripts/bench runs it after the load test).

// A benchmark harness, never shipped: a failed setup should stop it loudly.
#![allow(clippy::expect_used)]

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    divan::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod benches {
    use divan::{Bencher, black_box};
    use latchkey_core::credential::{CredentialHash, mint_token, parse_bearer};
    use latchkey_core::crypto::{Binding, TenantKey};
    use latchkey_core::scope::{ScopeSet, SecretAction};
    use latchkey_core::{SecretPath, TenantId};

    fn binding() -> Binding<'static> {
        Binding {
            tenant_id: "tn_0123456789abcdef",
            path: "production/openai/api-key",
            version: 7,
            purpose: "value",
        }
    }

    #[divan::bench(args = [100, 65_536])]
    fn envelope_seal(bencher: Bencher, size: usize) {
        let key = TenantKey::generate().expect("key");
        let value = vec![b'x'; size];
        bencher.bench(|| key.seal(&binding(), black_box(&value)).expect("seal"));
    }

    #[divan::bench(args = [100, 65_536])]
    fn envelope_open(bencher: Bencher, size: usize) {
        let key = TenantKey::generate().expect("key");
        let sealed = key.seal(&binding(), &vec![b'x'; size]).expect("seal");
        bencher.bench(|| key.open(&binding(), black_box(&sealed)).expect("open"));
    }

    /// A token with 100 scopes, none of which covers the path: every scope is tried.
    #[divan::bench]
    fn scope_match_100(bencher: Bencher) {
        let scopes: Vec<String> = (0..100)
            .map(|i| format!("secrets:read:team-{i}/service-{i}/*"))
            .collect();
        let set: ScopeSet = serde_json::from_value(serde_json::json!(scopes)).expect("scopes");
        let path = SecretPath::parse("production/openai/api-key").expect("path");
        bencher.bench(|| set.allows_secret(SecretAction::Read, black_box(&path)));
    }

    #[divan::bench]
    fn token_hash(bencher: Bencher) {
        let tenant = TenantId::parse("tn_0123456789abcdef").expect("tenant");
        let token = mint_token(&tenant).expect("token");
        bencher.bench(|| CredentialHash::of(black_box(&token.value)));
    }

    #[divan::bench]
    fn bearer_parse_and_hash(bencher: Bencher) {
        let tenant = TenantId::parse("tn_0123456789abcdef").expect("tenant");
        let token = mint_token(&tenant).expect("token");
        bencher.bench(|| parse_bearer(black_box(&token.value)));
    }
}
