//! Issue 23 (the `envelopes` part) on the wire: an agent registers its X25519 key, gets a DEK
//! sealed to it and opens it here with its private key, by the format ARCHITECTURE documents
//! (X25519 → HKDF-SHA256 → AES-256-GCM) implemented in this test from the RustCrypto crates;
//! then its bulk report of discovered secrets, listed and read by an admin.

use crate::Ctx;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_e2e::client::{Body, Reply};
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agent_envelopes::dek_sealed_to_the_agents_key_opens_only_with_it",
        dek_sealed_to_the_agents_key_opens_only_with_it,
    ),
    (
        "agent_envelopes::public_key_and_dek_refusals_name_the_problem",
        public_key_and_dek_refusals_name_the_problem,
    ),
    (
        "agent_envelopes::discovered_secrets_upload_list_filter_and_get",
        discovered_secrets_upload_list_filter_and_get,
    ),
    (
        "agent_envelopes::discovered_secrets_refuse_values_and_bad_bodies",
        discovered_secrets_refuse_values_and_bad_bodies,
    ),
];

pub fn send(ctx: &Ctx, method: &str, url: &str, bearer: &str, body: Option<&Value>) -> Reply {
    let body = body.map_or(Body::None, Body::Json);
    ctx.api().send(method, url, Some(bearer), &[], body)
}

/// A registered agent of the tenant whose master key is `key`: `(id, JWT)`.
pub fn agent(ctx: &Ctx, key: &str, name: &str) -> (String, String) {
    let boot = send(ctx, "POST", "/api/v1/agents/bootstrap", key, None);
    assert_eq!(boot.status, 201, "{}", boot.text);
    let registered = ctx.api().send(
        "POST",
        "/api/v1/agents/register",
        None,
        &[],
        Body::Json(&json!({"token": boot.body["token"], "name": latchkey_e2e::unique(name)})),
    );
    assert_eq!(registered.status, 201, "{}", registered.text);
    (
        registered.body["id"].as_str().unwrap().to_owned(),
        registered.body["token"].as_str().unwrap().to_owned(),
    )
}

/// An X25519 key pair: `(secret, base64 public key)`.
pub fn keypair() -> (x25519_dalek::StaticSecret, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    let secret = x25519_dalek::StaticSecret::from(bytes);
    let public = x25519_dalek::PublicKey::from(&secret);
    (secret, STANDARD.encode(public.as_bytes()))
}

/// Opens `POST …/dek`'s answer as ARCHITECTURE's "Wire envelopes" says an agent does.
fn open_dek(
    secret: &x25519_dalek::StaticSecret,
    tenant: &str,
    agent: &str,
    answer: &Value,
) -> Option<Vec<u8>> {
    let field = |name: &str| STANDARD.decode(answer[name].as_str().unwrap()).unwrap();
    let ephemeral: [u8; 32] = field("ephemeral_public_key").try_into().unwrap();
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
    let own_public = x25519_dalek::PublicKey::from(secret);
    let mut salt = ephemeral.to_vec();
    salt.extend_from_slice(own_public.as_bytes());
    let mut info = b"latchkey/v1/agent-dek".to_vec();
    for part in [tenant, agent, answer["key_id"].as_str().unwrap()] {
        info.extend_from_slice(&(part.len() as u32).to_be_bytes());
        info.extend_from_slice(part.as_bytes());
    }
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes())
        .expand(&info, &mut key)
        .unwrap();
    let nonce = field("nonce");
    aes_gcm::Aes256Gcm::new(&key.into())
        .decrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: &field("ciphertext"),
                aad: &info,
            },
        )
        .ok()
}

fn dek_sealed_to_the_agents_key_opens_only_with_it(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let (id, jwt) = agent(ctx, &key, "dek");
    let (secret, public) = keypair();
    let put = send(
        ctx,
        "PUT",
        &format!("/api/v1/agents/{id}/public-key"),
        &jwt,
        Some(&json!({"public_key": public})),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["public_key"], public.as_str());
    assert_eq!(put.body["agent_id"], id.as_str());

    let dek = send(ctx, "POST", &format!("/api/v1/agents/{id}/dek"), &jwt, None);
    assert_eq!(dek.status, 201, "{}", dek.text);
    assert_eq!(dek.body["algorithm"], "x25519-hkdf-sha256-aes-256-gcm");
    assert!(dek.body["key_id"].as_str().unwrap().starts_with("dek_"));
    let opened = open_dek(&secret, &tenant, &id, &dek.body).expect("opens with the agent's key");
    assert_eq!(opened.len(), 32);
    // Another key, or the same answer bound to another agent, does not open it.
    let (other, _) = keypair();
    assert!(open_dek(&other, &tenant, &id, &dek.body).is_none());
    assert!(open_dek(&secret, &tenant, "agt_0123456789abcdef01234567", &dek.body).is_none());
    // A second DEK is another key; `{}` is as good as no body.
    let again = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/dek"),
        &jwt,
        Some(&json!({})),
    );
    assert_eq!(again.status, 201, "{}", again.text);
    let second = open_dek(&secret, &tenant, &id, &again.body).unwrap();
    assert_ne!(second, opened);
    assert_ne!(again.body["key_id"], dek.body["key_id"]);
    // The trail names the key id, never the key.
    let trail = ctx.api().get("/v1/audit?type=agent.dek_issued", Some(&key));
    assert_eq!(trail.status, 200, "{}", trail.text);
    assert!(trail.text.contains(dek.body["key_id"].as_str().unwrap()));
    assert!(
        !trail
            .text
            .contains(dek.body["ciphertext"].as_str().unwrap())
    );
}

fn public_key_and_dek_refusals_name_the_problem(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = agent(ctx, &key, "refusals");
    let (other_id, _) = agent(ctx, &key, "other");
    let url = format!("/api/v1/agents/{id}/public-key");
    // No key yet: 409 naming it.
    let dek = send(ctx, "POST", &format!("/api/v1/agents/{id}/dek"), &jwt, None);
    dek.assert_error(409, "conflict");
    assert_eq!(dek.body["error"]["field"], "public_key");
    for (body, member) in [
        (
            json!({"public_key": STANDARD.encode([7u8; 31])}),
            "public_key",
        ),
        (json!({"public_key": "not base64!"}), "public_key"),
        (
            json!({"public_key": STANDARD.encode([0u8; 32])}),
            "public_key",
        ),
        (json!({}), "public_key"),
        (
            json!({"public_key": keypair().1, "private_key": "x"}),
            "private_key",
        ),
    ] {
        let reply = send(ctx, "PUT", &url, &jwt, Some(&body));
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], member, "{}", reply.text);
    }
    let reply = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/dek"),
        &jwt,
        Some(&json!({"value": "x"})),
    );
    reply.assert_error(400, "invalid_request");
    assert_eq!(reply.body["error"]["field"], "value");
    // Another agent's id, in the path: not found, and nothing registered for it.
    let theirs = send(
        ctx,
        "PUT",
        &format!("/api/v1/agents/{other_id}/public-key"),
        &jwt,
        Some(&json!({"public_key": keypair().1})),
    );
    theirs.assert_error(404, "not_found");
    send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{other_id}/dek"),
        &jwt,
        None,
    )
    .assert_error(404, "not_found");
    // Not an agent: refused.
    send(
        ctx,
        "PUT",
        &url,
        &key,
        Some(&json!({"public_key": keypair().1})),
    )
    .assert_error(403, "permission_denied");
    // Wrong method: 405 naming the one there is.
    let reply = send(ctx, "GET", &format!("/api/v1/agents/{id}/dek"), &jwt, None);
    reply.assert_error(405, "method_not_allowed");
}

const INVENTORY: &str = r#"{"secrets":[
    {"cluster_name":"prod","provider":"kubernetes","ref":"payments/db","key_names":["user","password"],"labels":{"team":"payments","env":"prod"}},
    {"cluster_name":"prod","provider":"kubernetes","ref":"payments/api","labels":{"team":"payments","env":"staging"},"status":"missing"},
    {"cluster_name":"prod","provider":"vault","ref":"search/key","labels":{"team":"search","env":"prod"}},
    {"cluster_name":"dev","provider":"file","ref":"/etc/app/.env"}
]}"#;

fn refs(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut refs: Vec<String> = reply.body["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ref"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    refs
}

fn discovered_secrets_upload_list_filter_and_get(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = agent(ctx, &key, "discover");
    let inventory: Value = serde_json::from_str(INVENTORY).unwrap();
    let bulk = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/secrets/bulk"),
        &jwt,
        Some(&inventory),
    );
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    assert_eq!(
        bulk.body,
        json!({"received": 4, "created": 4, "updated": 0})
    );
    let list = |query: &str| send(ctx, "GET", &format!("/api/v1/secrets{query}"), &key, None);
    assert_eq!(refs(&list("")).len(), 4);
    assert_eq!(refs(&list("?cluster_name=dev")), ["/etc/app/.env"]);
    assert_eq!(refs(&list("?provider=vault")), ["search/key"]);
    assert_eq!(
        refs(&list("?ref_prefix=payments%2F")),
        ["payments/api", "payments/db"]
    );
    assert_eq!(refs(&list("?status=missing")), ["payments/api"]);
    assert_eq!(
        refs(&list("?label=team:payments")),
        ["payments/api", "payments/db"]
    );
    assert_eq!(
        refs(&list("?label=team:payments&label=env:prod")),
        ["payments/db"]
    );
    assert_eq!(
        refs(&list(
            "?cluster_name=prod&provider=kubernetes&status=active"
        )),
        ["payments/db"]
    );
    let page = list("?limit=3");
    assert_eq!(refs(&page).len(), 3);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(refs(&list(&format!("?limit=3&cursor={cursor}"))).len(), 1);
    // One row, with every member and no value.
    let db = list("?ref_prefix=payments%2Fdb");
    let row = &db.body["secrets"][0];
    let one = send(
        ctx,
        "GET",
        &format!("/api/v1/secrets/{}", row["id"].as_str().unwrap()),
        &key,
        None,
    );
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(&one.body, row);
    assert_eq!(one.body["key_names"], json!(["user", "password"]));
    assert_eq!(one.body["labels"]["team"], "payments");
    assert_eq!(one.body["agent_id"], id.as_str());
    assert_eq!(one.body["cluster_name"], "prod");
    assert_eq!(one.body["provider"], "kubernetes");
    assert_eq!(one.body["status"], "active");
    assert!(one.body.get("value").is_none() && one.body.get("data").is_none());
    // A token with the seed's `agent:admin` may list; an agent, or a secrets reader, may not.
    let admin = ctx
        .api()
        .create_token(&key, &json!({"scope": "agent:admin"}));
    assert_eq!(admin.status, 201, "{}", admin.text);
    let admin = admin.body["value"].as_str().unwrap();
    assert_eq!(
        refs(&send(ctx, "GET", "/api/v1/secrets", admin, None)).len(),
        4
    );
    send(ctx, "GET", "/api/v1/secrets", &jwt, None).assert_error(403, "permission_denied");
    // Re-reporting updates in place.
    let again = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/secrets/bulk"),
        &jwt,
        Some(
            &json!({"secrets": [{"cluster_name": "dev", "provider": "file", "ref": "/etc/app/.env", "status": "missing"}]}),
        ),
    );
    assert_eq!(
        again.body,
        json!({"received": 1, "created": 0, "updated": 1})
    );
    assert_eq!(refs(&list("?status=missing")).len(), 2);
    // Unknown and repeated parameters, bad filters, an unknown id.
    for (query, field) in [
        ("?namespace=x", "namespace"),
        ("?provider=a&provider=b", "provider"),
        ("?label=team", "label"),
        ("?status=gone", "status"),
        ("?limit=0", "limit"),
    ] {
        let reply = list(query);
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], field, "{query}");
    }
    send(
        ctx,
        "GET",
        "/api/v1/secrets/dsc_0123456789abcdef01234567",
        &key,
        None,
    )
    .assert_error(404, "not_found");
}

fn discovered_secrets_refuse_values_and_bad_bodies(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = agent(ctx, &key, "values");
    let (other_id, _) = agent(ctx, &key, "values-other");
    let url = format!("/api/v1/agents/{id}/secrets/bulk");
    let item = |extra: Value| {
        let mut item = json!({"cluster_name": "c", "provider": "p", "ref": "r"});
        for (k, v) in extra.as_object().unwrap() {
            item[k] = v.clone();
        }
        json!({"secrets": [item]})
    };
    for (body, member) in [
        (item(json!({"value": "hunter2"})), "value"),
        (item(json!({"data": {"password": "aHVudGVyMg=="}})), "data"),
        (json!({"secrets": [], "value": "x"}), "value"),
    ] {
        let reply = send(ctx, "POST", &url, &jwt, Some(&body));
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], member, "{}", reply.text);
        assert!(reply.text.contains("metadata only"), "{}", reply.text);
        assert!(!reply.text.contains("hunter2"));
    }
    for (body, member) in [
        (item(json!({"owner": "x"})), "owner"),
        (item(json!({"status": "gone"})), "status"),
        (item(json!({"labels": ["a"]})), "labels"),
        (item(json!({"key_names": "a"})), "key_names"),
        (
            json!({"secrets": [{"provider": "p", "ref": "r"}]}),
            "cluster_name",
        ),
        (json!({"secrets": []}), "secrets"),
        (json!({"items": []}), "items"),
    ] {
        let reply = send(ctx, "POST", &url, &jwt, Some(&body));
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], member, "{}", reply.text);
    }
    // Another agent's id: not found. A person: refused.
    send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{other_id}/secrets/bulk"),
        &jwt,
        Some(&item(json!({}))),
    )
    .assert_error(404, "not_found");
    send(ctx, "POST", &url, &key, Some(&item(json!({})))).assert_error(403, "permission_denied");
    // Nothing was stored by any of it.
    let list = send(ctx, "GET", "/api/v1/secrets", &key, None);
    assert_eq!(list.body["secrets"], json!([]), "{}", list.text);
}
