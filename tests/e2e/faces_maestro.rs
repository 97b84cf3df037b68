//! The MaestroVault face (seed 003) at `/maestro/v1/…`: the seed's own examples replayed as it
//! writes them (method, path, headers, body; its curl examples send `-d` with no
//! `Content-Type`), then what the face must keep apart and refuse: environments, tokens with
//! no expiry, the error shape, unknown parameters and members.

use crate::Ctx;
use latchkey_e2e::client::{Body, Reply};
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "faces_maestro::seed_examples_replay_as_written",
        seed_examples_replay_as_written,
    ),
    (
        "faces_maestro::environments_never_share_a_secret",
        environments_never_share_a_secret,
    ),
    (
        "faces_maestro::tokens_without_expiry_follow_their_rules",
        tokens_without_expiry_follow_their_rules,
    ),
    (
        "faces_maestro::errors_have_the_seed_shape_and_change_nothing",
        errors_have_the_seed_shape_and_change_nothing,
    ),
];

const BASE: &str = "/maestro";

/// A request as the seed's clients send it: JSON without a `Content-Type` unless given.
fn send(ctx: &Ctx, method: &str, url: &str, key: Option<&str>, body: Option<Value>) -> Reply {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let body = if text.is_empty() {
        Body::None
    } else {
        // curl -d: application/x-www-form-urlencoded.
        Body::Raw(Some("application/x-www-form-urlencoded"), text.as_bytes())
    };
    ctx.api()
        .send(method, &format!("{BASE}{url}"), key, &[], body)
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

fn assert_error(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(
        reply.body["error"].is_string() && keys(&reply.body) == ["error"],
        "not the seed's error shape: {}",
        reply.text
    );
}

fn seed_examples_replay_as_written(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let key = Some(key.as_str());

    // curl http://localhost/v1/health (no credential)
    let health = send(ctx, "GET", "/v1/health", None, None);
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.body["status"], "ok");
    assert!(
        health.body["time"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // curl -X PUT -d '{"value": "s3cret", "metadata": {"service": "db"}}' …/v1/secrets/my-key?env=dev
    let stored = ctx.api().send(
        "PUT",
        &format!("{BASE}/v1/secrets/my-key?env=dev"),
        key,
        &[],
        Body::Raw(
            None,
            br#"{"value": "s3cret", "metadata": {"service": "db"}}"#,
        ),
    );
    assert_eq!(stored.status, 201, "{}", stored.text);
    assert_eq!(stored.body, json!({"status": "stored", "name": "my-key"}));
    let again = send(
        ctx,
        "PUT",
        "/v1/secrets/my-key?env=dev",
        key,
        Some(json!({"value": "s3cret-2", "metadata": {"service": "db"}})),
    );
    assert_eq!(again.status, 201, "an upsert: {}", again.text);

    // Set Secret, as the seed's body.
    let set = send(
        ctx,
        "PUT",
        "/v1/secrets/db-password?env=prod",
        key,
        Some(json!({"value": "s3cret", "metadata": {"service": "postgres"}})),
    );
    assert_eq!(set.status, 201, "{}", set.text);

    // curl -H "Authorization: Bearer …" …/v1/secrets/db-password?env=prod
    let got = send(ctx, "GET", "/v1/secrets/db-password?env=prod", key, None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["name"], "db-password");
    assert_eq!(got.body["environment"], "prod");
    assert_eq!(got.body["value"], "s3cret");
    assert_eq!(got.body["metadata"], json!({"service": "postgres"}));
    assert!(got.body["created_at"].is_string() && got.body["updated_at"].is_string());
    assert!(got.body.get("fields").is_none() && got.body.get("field_count").is_none());

    // Edit Secret: partial; omitted members are kept.
    let edited = send(
        ctx,
        "PATCH",
        "/v1/secrets/db-password?env=prod",
        key,
        Some(json!({"value": "new-value", "metadata": {"service": "api"}})),
    );
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(
        edited.body,
        json!({"status": "updated", "name": "db-password"})
    );
    let meta_only = send(
        ctx,
        "PATCH",
        "/v1/secrets/db-password?env=prod",
        key,
        Some(json!({"metadata": {"service": "postgres"}})),
    );
    assert_eq!(meta_only.status, 200, "{}", meta_only.text);
    let got = send(ctx, "GET", "/v1/secrets/db-password?env=prod", key, None);
    assert_eq!(got.body["value"], "new-value", "{}", got.text);
    assert_eq!(got.body["metadata"], json!({"service": "postgres"}));

    // Fields.
    let one = send(
        ctx,
        "PUT",
        "/v1/secrets/db-password/fields/username?env=prod",
        key,
        Some(json!({"value": "admin"})),
    );
    assert_eq!(one.status, 201, "{}", one.text);
    assert_eq!(
        one.body,
        json!({"status": "stored", "name": "db-password", "field": "username"})
    );
    let many = send(
        ctx,
        "PUT",
        "/v1/secrets/db-password/fields?env=prod",
        key,
        Some(json!({"fields": {"host": "db.example.com", "port": "5432", "username": "admin"}})),
    );
    assert_eq!(many.status, 201, "{}", many.text);
    assert_eq!(
        many.body,
        json!({"status": "stored", "name": "db-password", "field_count": 3})
    );
    let field = send(
        ctx,
        "GET",
        "/v1/secrets/db-password/fields/username?env=prod",
        key,
        None,
    );
    assert_eq!(
        field.body,
        json!({"name": "db-password", "field": "username", "value": "admin"})
    );
    let all = send(
        ctx,
        "GET",
        "/v1/secrets/db-password/fields?env=prod",
        key,
        None,
    );
    assert_eq!(
        all.body,
        json!({"host": "db.example.com", "port": "5432", "username": "admin"})
    );
    let got = send(ctx, "GET", "/v1/secrets/db-password?env=prod", key, None);
    assert_eq!(got.body["field_count"], 3, "{}", got.text);
    assert_eq!(got.body["fields"]["host"], "db.example.com");
    let gone = send(
        ctx,
        "DELETE",
        "/v1/secrets/db-password/fields/username?env=prod",
        key,
        None,
    );
    assert_eq!(
        gone.body,
        json!({"status": "deleted", "name": "db-password", "field": "username"})
    );
    // Fields-only: no value.
    send(
        ctx,
        "PUT",
        "/v1/secrets/only-fields/fields/a",
        key,
        Some(json!({"value": "1"})),
    );
    let only = send(ctx, "GET", "/v1/secrets/only-fields", key, None);
    assert_eq!(only.status, 200, "{}", only.text);
    assert!(only.body.get("value").is_none(), "{}", only.text);
    let empty = send(ctx, "GET", "/v1/secrets/my-key/fields?env=dev", key, None);
    assert_eq!(empty.body, json!({}));

    // List, filters, search.
    let list = send(ctx, "GET", "/v1/secrets", key, None);
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body.as_array().expect("a bare array");
    assert_eq!(items.len(), 3, "{}", list.text);
    for item in items {
        assert_eq!(
            keys(item),
            [
                "created_at",
                "environment",
                "metadata",
                "name",
                "updated_at"
            ],
            "{}",
            list.text
        );
    }
    let prod = send(
        ctx,
        "GET",
        "/v1/secrets?env=prod&metadata_key=service&metadata_value=postgres",
        key,
        None,
    );
    assert_eq!(prod.body.as_array().map(Vec::len), Some(1), "{}", prod.text);
    assert_eq!(prod.body[0]["name"], "db-password");
    let by_key = send(ctx, "GET", "/v1/secrets?metadata_key=service", key, None);
    assert_eq!(
        by_key.body.as_array().map(Vec::len),
        Some(2),
        "{}",
        by_key.text
    );
    let empty_env = send(ctx, "GET", "/v1/secrets?env=", key, None);
    assert_eq!(
        empty_env.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        empty_env.text
    );
    assert_eq!(empty_env.body[0]["environment"], "");
    let found = send(ctx, "GET", "/v1/search?q=postgres", key, None);
    assert_eq!(
        found.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        found.text
    );
    let found = send(ctx, "GET", "/v1/search?q=dev", key, None);
    assert_eq!(found.body[0]["name"], "my-key", "{}", found.text);

    // Generate, with the seed's body; then with none.
    let generated = send(
        ctx,
        "POST",
        "/v1/generate",
        key,
        Some(json!({
            "name": "wifi-password", "environment": "home", "length": 24, "uppercase": true,
            "lowercase": true, "digits": true, "symbols": false, "metadata": {"type": "wifi"}
        })),
    );
    assert_eq!(generated.status, 200, "{}", generated.text);
    assert_eq!(generated.body["name"], "wifi-password");
    assert_eq!(generated.body["stored"], true);
    let password = generated.body["password"].as_str().expect("password");
    assert_eq!(password.len(), 24);
    let wifi = send(ctx, "GET", "/v1/secrets/wifi-password?env=home", key, None);
    assert_eq!(wifi.body["value"], password);
    assert_eq!(wifi.body["metadata"], json!({"type": "wifi"}));
    let plain = send(ctx, "POST", "/v1/generate", key, None);
    assert_eq!(plain.status, 200, "{}", plain.text);
    assert_eq!(plain.body["stored"], false);
    assert_eq!(plain.body["password"].as_str().map(str::len), Some(32));

    // Info.
    let info = send(ctx, "GET", "/v1/info", key, None);
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(
        keys(&info.body),
        ["db_path", "db_size_bytes", "dir", "secret_count"]
    );
    assert_eq!(info.body["secret_count"], 4);

    // Tokens: create, list, use, revoke.
    let token = send(
        ctx,
        "POST",
        "/v1/tokens",
        key,
        Some(json!({"name": "deploy-token", "scopes": ["read", "write"], "expires_in": "720h"})),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    assert_eq!(
        keys(&token.body),
        ["expires_at", "id", "name", "scopes", "token"]
    );
    assert_eq!(token.body["name"], "deploy-token");
    assert_eq!(token.body["scopes"], json!(["read", "write", "generate"]));
    let id = token.body["id"].as_str().expect("id").to_owned();
    let value = token.body["token"].as_str().expect("token").to_owned();
    let listed = send(ctx, "GET", "/v1/tokens", key, None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    let entry = listed
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["id"] == id.as_str()))
        .expect("listed");
    assert_eq!(
        keys(entry),
        [
            "created_at",
            "expires_at",
            "id",
            "last_used_at",
            "name",
            "scopes"
        ]
    );
    let used = send(ctx, "GET", "/v1/secrets/my-key?env=dev", Some(&value), None);
    assert_eq!(used.status, 200, "{}", used.text);
    let revoked = send(ctx, "DELETE", &format!("/v1/tokens/{id}"), key, None);
    assert_eq!(revoked.body, json!({"status": "revoked", "id": id}));
    let refused = send(ctx, "GET", "/v1/secrets/my-key?env=dev", Some(&value), None);
    assert_error(&refused, 401);

    // Delete.
    let deleted = send(ctx, "DELETE", "/v1/secrets/my-key?env=dev", key, None);
    assert_eq!(deleted.body, json!({"status": "deleted", "name": "my-key"}));
    assert_error(
        &send(ctx, "GET", "/v1/secrets/my-key?env=dev", key, None),
        404,
    );
    let back = send(
        ctx,
        "PUT",
        "/v1/secrets/my-key?env=dev",
        key,
        Some(json!({"value": "v"})),
    );
    assert_eq!(back.status, 201, "set again after delete: {}", back.text);
}

fn environments_never_share_a_secret(ctx: &Ctx) {
    let (_, master) = ctx.new_tenant();
    let key = Some(master.as_str());
    let set = send(
        ctx,
        "PUT",
        "/v1/secrets/db?env=prod",
        key,
        Some(json!({"value": "prod-pw"})),
    );
    assert_eq!(set.status, 201, "{}", set.text);
    assert_error(&send(ctx, "GET", "/v1/secrets/db?env=dev", key, None), 404);
    assert_error(&send(ctx, "GET", "/v1/secrets/db", key, None), 404);
    assert_error(
        &send(ctx, "GET", "/v1/secrets/db/fields?env=dev", key, None),
        404,
    );
    send(
        ctx,
        "PUT",
        "/v1/secrets/db?env=dev",
        key,
        Some(json!({"value": "dev-pw"})),
    );
    let prod = send(ctx, "GET", "/v1/secrets/db?env=prod", key, None);
    let dev = send(ctx, "GET", "/v1/secrets/db?env=dev", key, None);
    assert_eq!(
        (prod.body["value"].as_str(), dev.body["value"].as_str()),
        (Some("prod-pw"), Some("dev-pw"))
    );
    assert_eq!(dev.body["environment"], "dev");
    // The native API sees the environment as the first path segment.
    let native = ctx.api().get_secret(&master, "prod/db");
    assert_eq!(native.body["value"], "prod-pw", "{}", native.text);
    // Deleting one leaves the other.
    send(ctx, "DELETE", "/v1/secrets/db?env=dev", key, None);
    assert_eq!(
        send(ctx, "GET", "/v1/secrets/db?env=prod", key, None).status,
        200
    );
    let list = send(ctx, "GET", "/v1/secrets?env=dev", key, None);
    assert_eq!(list.body, json!([]), "{}", list.text);
}

fn tokens_without_expiry_follow_their_rules(ctx: &Ctx) {
    let (tenant, master) = ctx.new_tenant();
    let master = Some(master.as_str());
    // The master key (admin, never expires) may mint one.
    let forever = send(
        ctx,
        "POST",
        "/v1/tokens",
        master,
        Some(json!({"name": "ci", "scopes": ["admin"]})),
    );
    assert_eq!(forever.status, 201, "{}", forever.text);
    assert_eq!(forever.body["expires_at"], Value::Null);
    let id = forever.body["id"].as_str().expect("id").to_owned();
    let listed = send(ctx, "GET", "/v1/tokens", master, None);
    let entry = listed
        .body
        .as_array()
        .and_then(|a| a.iter().find(|t| t["id"] == id.as_str()))
        .expect("listed");
    assert_eq!(entry["expires_at"], Value::Null);
    assert!(
        entry
            .as_object()
            .is_some_and(|o| o.contains_key("expires_at"))
    );
    // An admin token that expires may not.
    let expiring = send(
        ctx,
        "POST",
        "/v1/tokens",
        master,
        Some(json!({"name": "temp-admin", "scopes": ["admin"], "expires_in": "1h"})),
    );
    let expiring = expiring.body["token"].as_str().expect("token").to_owned();
    let refused = send(
        ctx,
        "POST",
        "/v1/tokens",
        Some(&expiring),
        Some(json!({"name": "x", "scopes": ["read"]})),
    );
    assert_error(&refused, 403);
    // A non-admin may mint nothing here.
    let writer = send(
        ctx,
        "POST",
        "/v1/tokens",
        master,
        Some(json!({"name": "w", "scopes": ["write"], "expires_in": "1h"})),
    );
    let writer = writer.body["token"].as_str().expect("token").to_owned();
    assert_error(
        &send(
            ctx,
            "POST",
            "/v1/tokens",
            Some(&writer),
            Some(json!({"name": "x", "scopes": ["read"]})),
        ),
        403,
    );
    assert_error(&send(ctx, "GET", "/v1/tokens", Some(&writer), None), 403);
    // Audited.
    let events = ctx.api().get("/v1/audit?type=token.created", master);
    assert!(events.text.contains(&id), "{}", events.text);
    // Revocable.
    let revoked = send(ctx, "DELETE", &format!("/v1/tokens/{id}"), master, None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let value = forever.body["token"].as_str().expect("token");
    assert_error(&send(ctx, "GET", "/v1/info", Some(value), None), 401);
    // The operator can forbid them; an expiry still works.
    let forbid = ctx.api().send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"non_expiring_tokens": false})),
    );
    assert_eq!(forbid.status, 200, "{}", forbid.text);
    assert_error(
        &send(
            ctx,
            "POST",
            "/v1/tokens",
            master,
            Some(json!({"name": "ci", "scopes": ["read"]})),
        ),
        403,
    );
    let dated = send(
        ctx,
        "POST",
        "/v1/tokens",
        master,
        Some(json!({"name": "ci", "scopes": ["read"], "expires_in": "24h"})),
    );
    assert_eq!(dated.status, 201, "{}", dated.text);
}

fn errors_have_the_seed_shape_and_change_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let key = Some(key.as_str());
    assert_error(&send(ctx, "GET", "/v1/secrets", None, None), 401);
    assert_error(&send(ctx, "GET", "/v1/secrets/none", key, None), 404);
    assert_error(&send(ctx, "GET", "/v1/nothing", key, None), 404);
    assert_error(&send(ctx, "POST", "/v1/secrets/x", key, None), 405);
    // Unknown query parameters are named, never ignored.
    let unknown = send(ctx, "GET", "/v1/secrets/db?environment=prod", key, None);
    assert_error(&unknown, 400);
    assert!(
        unknown.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("'environment'")),
        "{}",
        unknown.text
    );
    assert_error(&send(ctx, "GET", "/v1/health?x=1", None, None), 400);
    // Unknown or bad body members: 400, nothing stored.
    let bad = send(
        ctx,
        "PUT",
        "/v1/secrets/db",
        key,
        Some(json!({"value": "v", "labels": {}})),
    );
    assert_error(&bad, 400);
    assert!(
        bad.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("labels")),
        "{}",
        bad.text
    );
    assert_error(
        &send(
            ctx,
            "PUT",
            "/v1/secrets/db",
            key,
            Some(json!({"metadata": {"a": "b"}})),
        ),
        400,
    );
    assert_error(
        &send(
            ctx,
            "PUT",
            "/v1/secrets/db",
            key,
            Some(json!({"value": "v", "metadata": {"n": 1}})),
        ),
        400,
    );
    assert_error(
        &send(
            ctx,
            "PATCH",
            "/v1/secrets/db",
            key,
            Some(json!({"value": "v"})),
        ),
        404,
    );
    assert_error(
        &send(
            ctx,
            "POST",
            "/v1/tokens",
            key,
            Some(json!({"name": "x", "scopes": ["root"]})),
        ),
        400,
    );
    assert_error(
        &send(
            ctx,
            "POST",
            "/v1/tokens",
            key,
            Some(json!({"name": "x", "scopes": ["read"], "expires_in": "soon"})),
        ),
        400,
    );
    let list = send(ctx, "GET", "/v1/secrets", key, None);
    assert_eq!(list.body, json!([]), "{}", list.text);
    // Scopes hold: a read token cannot write (403, the seed's shape).
    let reader = send(
        ctx,
        "POST",
        "/v1/tokens",
        key,
        Some(json!({"name": "r", "scopes": ["read"], "expires_in": "1h"})),
    );
    let reader = reader.body["token"].as_str().expect("token").to_owned();
    assert_error(
        &send(
            ctx,
            "PUT",
            "/v1/secrets/db",
            Some(&reader),
            Some(json!({"value": "v"})),
        ),
        403,
    );
    // Rate-limit headers ride on the face's answers too.
    let answer = send(ctx, "GET", "/v1/secrets", key, None);
    assert!(
        answer.header("X-RateLimit-Limit").is_some(),
        "{:?}",
        answer.headers
    );
}
