//! Scoped tokens: minting, scope enforcement, listing, revocation, max_uses, allowed_ips.

use crate::Ctx;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "tokens::scoped_token_reads_only_what_its_scope_covers",
        scoped_token_reads_only_what_its_scope_covers,
    ),
    (
        "tokens::revocation_applies_to_the_next_request",
        revocation_applies_to_the_next_request,
    ),
    (
        "tokens::max_uses_is_exact_under_concurrency",
        max_uses_is_exact_under_concurrency,
    ),
    (
        "tokens::minting_is_bounded_by_the_parent",
        minting_is_bounded_by_the_parent,
    ),
    ("tokens::allowed_ips_are_enforced", allowed_ips_are_enforced),
    (
        "tokens::bad_token_requests_are_refused",
        bad_token_requests_are_refused,
    ),
];

fn seed(ctx: &Ctx, key: &str, paths: &[&str]) {
    for path in paths {
        let reply = ctx.api().create_secret(
            key,
            &json!({"path": path, "value": format!("value-of-{path}")}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}

/// Mints a token with the master key; returns `(value, id)`.
pub fn mint(ctx: &Ctx, key: &str, body: Value) -> (String, String) {
    let reply = ctx.api().create_token(key, &body);
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["value"].as_str().expect("value").to_owned(),
        reply.body["id"].as_str().expect("id").to_owned(),
    )
}

fn scoped_token_reads_only_what_its_scope_covers(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    seed(
        ctx,
        &key,
        &["prod/openai/key", "prod/stripe/key", "prod/openai/org/id"],
    );
    let created = api.create_token(
        &key,
        &json!({"scope": "secrets:read:prod/openai/*", "ttl_seconds": 600, "description": "inference agent"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let body = &created.body;
    assert!(body["value"].as_str().unwrap().starts_with("lk_tok_tn_"));
    assert!(body["id"].as_str().unwrap().starts_with("tok_"));
    assert_eq!(body["scope"], "secrets:read:prod/openai/*");
    assert_eq!(body["ttl_seconds"], 600);
    assert!(body["expires_at"].is_string());
    assert_eq!(body["approval_status"], "approved");
    assert!(body["approval_request_id"].is_null());
    let token = body["value"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();

    assert_eq!(
        api.get_secret(&token, "prod/openai/key").body["value"],
        "value-of-prod/openai/key"
    );
    assert_eq!(api.get_secret(&token, "prod/openai/org/id").status, 200);
    let denied = api.get_secret(&token, "prod/stripe/key");
    denied.assert_error(403, "permission_denied");
    assert_eq!(denied.body["error"]["path"], "prod/stripe/key");
    assert_eq!(
        denied.body["error"]["required_scope"],
        "secrets:read:prod/stripe/*"
    );
    assert!(!denied.text.contains("value-of"), "{}", denied.text);
    let write = api.update_secret(&token, "prod/openai/key", &json!({"value": "x"}), None);
    write.assert_error(403, "permission_denied");
    assert_eq!(
        write.body["error"]["required_scope"],
        "secrets:write:prod/openai/*"
    );
    api.delete_secret(&token, "prod/openai/key", false)
        .assert_error(403, "permission_denied");
    // Lists show only what the token can read, total included.
    let list = api.get("/v1/secrets", Some(&token));
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 2, "{}", list.text);
    let paths: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["prod/openai/key", "prod/openai/org/id"]);
    let paged = api.get("/v1/secrets?limit=1", Some(&token));
    assert_eq!(paged.body["items"][0]["path"], "prod/openai/key");
    let cursor = paged.body["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let next = api.get(
        &format!("/v1/secrets?limit=1&cursor={cursor}"),
        Some(&token),
    );
    assert_eq!(
        next.body["items"][0]["path"], "prod/openai/org/id",
        "{}",
        next.text
    );
    assert!(next.body["next_cursor"].is_null());
    // Admin-only routes.
    api.info(&token).assert_error(403, "permission_denied");
    let tokens = api.list_tokens(&token);
    tokens.assert_error(403, "permission_denied");
    assert_eq!(tokens.body["error"]["required_scope"], "admin");
    // The master key sees the token's metadata, never its value.
    let listed = api.list_tokens(&key);
    assert_eq!(listed.status, 200, "{}", listed.text);
    let entry = &listed.body["tokens"][0];
    assert_eq!(entry["id"], id.as_str());
    assert_eq!(entry["description"], "inference agent");
    assert_eq!(entry["scope"], "secrets:read:prod/openai/*");
    assert_eq!(entry["created_by"], "master");
    assert_eq!(entry["revoked"], false);
    assert!(entry["uses"].as_u64().unwrap() >= 4, "{}", listed.text);
    assert!(entry["last_used_at"].is_string());
    assert!(
        !listed.text.contains(&token),
        "the list never shows a token value"
    );
}

fn revocation_applies_to_the_next_request(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    seed(ctx, &key, &["a/x"]);
    let (token, id) = mint(ctx, &key, json!({"scope": "secrets:read:a/*"}));
    assert_eq!(api.get_secret(&token, "a/x").status, 200);
    let revoked = api.revoke_token(&key, &id);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.body, json!({"status": "revoked", "id": id}));
    let refused = api.get_secret(&token, "a/x");
    refused.assert_error(401, "unauthorized");
    assert!(refused.text.contains("revoked"), "{}", refused.text);
    assert_eq!(
        api.revoke_token(&key, &id).status,
        200,
        "revoking twice is fine"
    );
    let listed = api.list_tokens(&key);
    assert_eq!(listed.body["tokens"][0]["revoked"], true);
    // A token may revoke itself, and no other.
    let (own, own_id) = mint(ctx, &key, json!({"scope": "secrets:read:a/*"}));
    let (_, other_id) = mint(ctx, &key, json!({"scope": "secrets:read:a/*"}));
    api.revoke_token(&own, &other_id)
        .assert_error(403, "permission_denied");
    assert_eq!(api.revoke_token(&own, &own_id).status, 200);
    api.get_secret(&own, "a/x")
        .assert_error(401, "unauthorized");
    api.revoke_token(&key, "tok_0000000000000000")
        .assert_error(404, "not_found");
}

fn max_uses_is_exact_under_concurrency(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    seed(ctx, &key, &["counted"]);
    let (token, _) = mint(
        ctx,
        &key,
        json!({"scope": "secrets:read:*", "max_uses": 10}),
    );
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let token = token.clone();
                scope.spawn(move || {
                    let reply = ctx.api().get_secret(&token, "counted");
                    (reply.status, reply.text)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<&(u16, String)> = statuses.iter().filter(|(s, _)| *s == 401).collect();
    assert_eq!(ok, 10, "{statuses:?}");
    assert_eq!(refused.len(), 40, "{statuses:?}");
    assert!(refused.iter().all(|(_, text)| text.contains("max_uses")));
    let listed = ctx.api().list_tokens(&key);
    assert_eq!(listed.body["tokens"][0]["uses"], 10);
}

fn minting_is_bounded_by_the_parent(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    seed(ctx, &key, &["prod/db/password", "prod/api/key"]);
    let (parent, parent_id) = mint(
        ctx,
        &key,
        json!({"scope": ["secrets:read:prod/*", "tokens:create"], "ttl_seconds": 600}),
    );
    let child = api.create_token(
        &parent,
        &json!({"scope": "secrets:read:prod/db/*", "ttl_seconds": 300}),
    );
    assert_eq!(child.status, 201, "{}", child.text);
    let child_token = child.body["value"].as_str().unwrap().to_owned();
    assert_eq!(api.get_secret(&child_token, "prod/db/password").status, 200);
    api.get_secret(&child_token, "prod/api/key")
        .assert_error(403, "permission_denied");
    let wider = api.create_token(
        &parent,
        &json!({"scope": ["secrets:read:prod/*", "secrets:write:prod/*"]}),
    );
    wider.assert_error(403, "permission_denied");
    assert_eq!(
        wider.body["error"]["required_scope"],
        "secrets:write:prod/*"
    );
    let admin = api.create_token(&parent, &json!({"scope": "admin"}));
    admin.assert_error(403, "permission_denied");
    let longer = api.create_token(
        &parent,
        &json!({"scope": "secrets:read:prod/*", "ttl_seconds": 3600}),
    );
    longer.assert_error(422, "validation_error");
    assert_eq!(longer.error_field(), Some("ttl_seconds"));
    assert!(longer.text.contains("outlive"), "{}", longer.text);
    // Without an explicit TTL, the default (3600 s) is shortened to the parent's lifetime.
    let defaulted = api.create_token(&parent, &json!({"scope": "secrets:read:prod/db/*"}));
    assert_eq!(defaulted.status, 201, "{}", defaulted.text);
    let ttl = defaulted.body["ttl_seconds"].as_u64().unwrap();
    assert!((590..=600).contains(&ttl), "{ttl}");
    // Without tokens:create, no minting at all.
    let cannot = api.create_token(&child_token, &json!({"scope": "secrets:read:prod/db/*"}));
    cannot.assert_error(403, "permission_denied");
    assert_eq!(cannot.body["error"]["required_scope"], "tokens:create");
    let listed = api.list_tokens(&key);
    let created_by: Vec<&str> = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["created_by"].as_str().unwrap())
        .collect();
    assert!(created_by.contains(&parent_id.as_str()), "{}", listed.text);
}

fn allowed_ips_are_enforced(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    seed(ctx, &key, &["net/x"]);
    let (token, _) = mint(
        ctx,
        &key,
        json!({"scope": "secrets:read:*", "allowed_ips": ["10.1.0.0/16", "2001:db8::1"]}),
    );
    assert_eq!(api.get_secret_from(&token, "net/x", "10.1.2.3").status, 200);
    assert_eq!(
        api.get_secret_from(&token, "net/x", "2001:db8::1").status,
        200
    );
    let outside = api.get_secret_from(&token, "net/x", "10.2.0.1");
    outside.assert_error(403, "permission_denied");
    assert_eq!(outside.body["error"]["ip"], "10.2.0.1");
    api.get_secret_from(&token, "net/x", "not-an-ip")
        .assert_error(403, "permission_denied");
    // The master key has no address restriction.
    assert_eq!(api.get_secret_from(&key, "net/x", "10.2.0.1").status, 200);
}

fn bad_token_requests_are_refused(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let cases = [
        (json!({}), "scope"),
        (json!({"scope": "secrets:peek:*"}), "scope"),
        (json!({"scope": "secrets:read:api-*"}), "scope"),
        (
            json!({"scope": "secrets:read:*", "ttl_seconds": 59}),
            "ttl_seconds",
        ),
        (
            json!({"scope": "secrets:read:*", "ttl_seconds": 86_401}),
            "ttl_seconds",
        ),
        (
            json!({"scope": "secrets:read:*", "max_uses": 0}),
            "max_uses",
        ),
        (
            json!({"scope": "secrets:read:*", "allowed_ips": ["10.0.0.1/8"]}),
            "allowed_ips",
        ),
        (
            json!({"scope": "secrets:read:*", "allowed_ips": []}),
            "allowed_ips",
        ),
        (
            json!({"scope": "secrets:read:*", "expires_in": "24h"}),
            "expires_in",
        ),
    ];
    for (body, field) in cases {
        let reply = api.create_token(&key, &body);
        reply.assert_error(422, "validation_error");
        assert_eq!(reply.error_field(), Some(field), "{body}: {}", reply.text);
    }
    let unknown = format!("lk_tok_{tenant}_{}", "A".repeat(43));
    let reply = api.get_secret(&unknown, "x");
    reply.assert_error(401, "unauthorized");
    assert!(reply.text.contains("not recognized"), "{}", reply.text);
    api.revoke_token(&key, "tok_nope")
        .assert_error(404, "not_found");
    assert_eq!(
        api.list_tokens(&key).body["tokens"],
        json!([]),
        "nothing was created"
    );
}
