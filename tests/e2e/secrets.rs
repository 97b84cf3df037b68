use crate::Ctx;
use latchkey_e2e::unique;
use serde_json::json;
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "secrets::create_then_read_round_trips_every_field",
        create_then_read_round_trips_every_field,
    ),
    (
        "secrets::create_on_existing_path_conflicts",
        create_on_existing_path_conflicts,
    ),
    (
        "secrets::read_of_missing_path_is_not_found",
        read_of_missing_path_is_not_found,
    ),
    (
        "secrets::wrong_or_missing_key_is_unauthorized",
        wrong_or_missing_key_is_unauthorized,
    ),
    (
        "secrets::other_tenants_path_is_not_found",
        other_tenants_path_is_not_found,
    ),
    (
        "secrets::version_query_reads_that_version",
        version_query_reads_that_version,
    ),
    (
        "secrets::expired_secret_reads_as_not_found",
        expired_secret_reads_as_not_found,
    ),
    (
        "secrets::value_at_the_limit_round_trips",
        value_at_the_limit_round_trips,
    ),
    (
        "secrets::a_read_after_any_change_sees_the_change",
        a_read_after_any_change_sees_the_change,
    ),
    (
        "secrets::patch_changes_metadata_without_a_new_version",
        patch_changes_metadata_without_a_new_version,
    ),
];

fn create_then_read_round_trips_every_field(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = unique("sk-proj");
    let created = api.create_secret(
        &key,
        &json!({
            "path": "production/openai/api-key",
            "value": value,
            "tier": "sensitive",
            "description": "OpenAI production key",
            "tags": {"team": "ml", "env": "prod"},
            "expires_at": "2099-01-01T00:00:00Z"
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["path"], "production/openai/api-key");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["tier"], "sensitive");
    let created_at = created.body["created_at"]
        .as_str()
        .expect("created_at")
        .to_owned();
    assert!(
        !created.text.contains(&value),
        "create must not echo the value"
    );

    let read = api.get_secret(&key, "production/openai/api-key");
    assert_eq!(read.status, 200, "{}", read.text);
    let b = &read.body;
    assert_eq!(b["path"], "production/openai/api-key");
    assert_eq!(b["value"], value.as_str());
    assert_eq!(b["version"], 1);
    assert_eq!(b["tier"], "sensitive");
    assert_eq!(b["description"], "OpenAI production key");
    assert_eq!(b["tags"], json!({"team": "ml", "env": "prod"}));
    assert_eq!(b["created_at"], created_at.as_str());
    assert_eq!(b["updated_at"], created_at.as_str());
    assert!(
        b["accessed_at"]
            .as_str()
            .is_some_and(|t| t >= created_at.as_str())
    );
    assert_eq!(b["expires_at"], "2099-01-01T00:00:00Z");
    assert_eq!(read.header("cache-control"), Some("no-store"));

    // Defaults: standard tier, no description, no tags, no expiry.
    let minimal = api.create_secret(&key, &json!({"path": "staging/x", "value": "v"}));
    assert_eq!(minimal.body["tier"], "standard", "{}", minimal.text);
    let read = api.get_secret(&key, "staging/x");
    assert_eq!(read.body["description"], serde_json::Value::Null);
    assert_eq!(read.body["tags"], json!({}));
    assert_eq!(read.body["expires_at"], serde_json::Value::Null);
}

fn create_on_existing_path_conflicts(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let first = api.create_secret(&key, &json!({"path": "prod/db", "value": "one"}));
    assert_eq!(first.status, 201, "{}", first.text);
    let second = api.create_secret(&key, &json!({"path": "prod/db", "value": "two"}));
    second.assert_error(409, "conflict");
    assert!(
        second.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("PUT"),
        "{}",
        second.text
    );
    // The rejected create changed nothing.
    assert_eq!(api.get_secret(&key, "prod/db").body["value"], "one");
}

fn read_of_missing_path_is_not_found(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let reply = ctx.api().get_secret(&key, "nothing/here");
    reply.assert_error(404, "not_found");
    assert_eq!(reply.body["error"]["path"], "nothing/here");
}

fn wrong_or_missing_key_is_unauthorized(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "p", "value": "v"}))
            .status,
        201
    );
    let reply = api.get("/v1/secrets/p", None);
    reply.assert_error(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    // Same tenant, wrong secret part.
    let mut forged = key.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    api.get_secret(&forged, "p")
        .assert_error(401, "unauthorized");
    // A tenant that does not exist, and garbage.
    let unknown = format!("lk_live_tn_0000000000000000_{}", &key[key.len() - 43..]);
    api.get_secret(&unknown, "p")
        .assert_error(401, "unauthorized");
    api.get_secret("garbage", "p")
        .assert_error(401, "unauthorized");
    api.send(
        "GET",
        "/v1/secrets/p",
        None,
        &[("Authorization", "Basic abc")],
        latchkey_e2e::client::Body::None,
    )
    .assert_error(401, "unauthorized");
    // Nothing was created by the rejected requests.
    assert!(!tenant.is_empty());
    let create = api.create_secret(&forged, &json!({"path": "q", "value": "v"}));
    create.assert_error(401, "unauthorized");
    api.get_secret(&key, "q").assert_error(404, "not_found");
}

fn other_tenants_path_is_not_found(ctx: &Ctx) {
    let (_, key_a) = ctx.new_tenant();
    let (_, key_b) = ctx.new_tenant();
    let api = ctx.api();
    let value = unique("tenant-a-only");
    assert_eq!(
        api.create_secret(&key_a, &json!({"path": "shared/name", "value": value}))
            .status,
        201
    );
    let reply = api.get_secret(&key_b, "shared/name");
    reply.assert_error(404, "not_found");
    assert!(!reply.text.contains(&value));
    // B's namespace is its own: the same path is free there.
    assert_eq!(
        api.create_secret(&key_b, &json!({"path": "shared/name", "value": "b"}))
            .status,
        201
    );
    assert_eq!(
        api.get_secret(&key_a, "shared/name").body["value"],
        value.as_str()
    );
    assert_eq!(api.get_secret(&key_b, "shared/name").body["value"], "b");
}

fn version_query_reads_that_version(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "v/one", "value": "first"}))
            .status,
        201
    );
    let v1 = api.get("/v1/secrets/v%2Fone?version=1", Some(&key));
    assert_eq!(v1.status, 200, "{}", v1.text);
    assert_eq!(v1.body["value"], "first");
    api.get("/v1/secrets/v%2Fone?version=2", Some(&key))
        .assert_error(404, "not_found");
    for bad in ["0", "-1", "abc", "1.5", ""] {
        let reply = api.get(&format!("/v1/secrets/v%2Fone?version={bad}"), Some(&key));
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.error_field(), Some("version"));
    }
}

fn expired_secret_reads_as_not_found(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let soon = api.get("/v1/health", None).body["time"]
        .as_str()
        .expect("time")
        .to_owned();
    // Server time plus 3 seconds, in RFC 3339.
    let expires = shift_rfc3339(&soon, 3);
    let created = api.create_secret(
        &key,
        &json!({"path": "temp/token", "value": "short-lived", "expires_at": expires}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(api.get_secret(&key, "temp/token").status, 200);
    std::thread::sleep(Duration::from_millis(4200));
    let reply = api.get_secret(&key, "temp/token");
    reply.assert_error(404, "not_found");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired"),
        "{}",
        reply.text
    );
}

/// Adds seconds to `YYYY-MM-DDTHH:MM:SSZ` (enough for a test that never crosses a day).
fn shift_rfc3339(text: &str, seconds: u32) -> String {
    let h: u32 = text[11..13].parse().expect("hour");
    let m: u32 = text[14..16].parse().expect("minute");
    let s: u32 = text[17..19].parse().expect("second");
    let total = (h * 3600 + m * 60 + s + seconds).min(86_399);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        &text[..10],
        total / 3600,
        total % 3600 / 60,
        total % 60
    )
}

fn value_at_the_limit_round_trips(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value: String = "é".repeat(32 * 1024); // 65536 bytes of UTF-8
    let created = api.create_secret(&key, &json!({"path": "big/exact", "value": value}));
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        api.get_secret(&key, "big/exact").body["value"],
        value.as_str()
    );
}

/// The object keeps secrets it has read (and an update's own result) in memory: every kind of
/// change between two reads must show in the second, for the master key and for a token.
fn a_read_after_any_change_sees_the_change(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let path = "cache/one";
    let token = api.create_token(
        &key,
        &json!({"scope": ["secrets:read:cache/*", "secrets:write:cache/*"], "ttl_seconds": 600}),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["value"].as_str().unwrap().to_owned();
    let read = |who: &str| api.get_secret(who, path);
    assert_eq!(
        api.create_secret(&key, &json!({"path": path, "value": "v1"}))
            .status,
        201
    );
    assert_eq!(read(&token).body["value"], "v1");
    // An update through the token, then a read: the new version, from the update's entry.
    let put = api.update_secret(
        &token,
        path,
        &json!({"value": "v2", "description": "d2"}),
        None,
    );
    assert_eq!(put.status, 200, "{}", put.text);
    let after = read(&token);
    assert_eq!(after.body["value"], "v2");
    assert_eq!(after.body["version"], 2);
    assert_eq!(after.body["description"], "d2");
    // The older version is still readable by number, and If-Match sees the new current one.
    assert_eq!(api.get_secret_version(&token, path, 1).body["value"], "v1");
    api.update_secret(&token, path, &json!({"value": "x"}), Some("1"))
        .assert_error(409, "conflict");
    assert_eq!(read(&token).body["value"], "v2");
    // A rotation.
    let rotated = api.rotate_secret(&key, path, &json!({"new_value": "v3"}));
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(read(&token).body["value"], "v3");
    // Raising the tier past what the token is cleared for closes it at once.
    assert_eq!(read(&token).status, 200);
    let retier = api.update_secret(
        &key,
        path,
        &json!({"value": "v4", "tier": "critical"}),
        None,
    );
    assert_eq!(retier.status, 200, "{}", retier.text);
    read(&token).assert_error(403, "permission_denied");
    api.update_secret(&token, path, &json!({"value": "v5"}), None)
        .assert_error(403, "permission_denied");
    assert_eq!(read(&key).body["value"], "v4");
    // Deletion and restoration.
    assert_eq!(read(&key).status, 200);
    assert_eq!(api.delete_secret(&key, path, false).status, 204);
    read(&key).assert_error(404, "not_found");
    assert_eq!(api.restore_secret(&key, path).status, 200);
    assert_eq!(read(&key).body["value"], "v4");
    // Fields added to a secret already read.
    let field = api.set_field(&key, path, "user", "admin");
    assert!(matches!(field.status, 200 | 201), "{}", field.text);
    let with_field = read(&key);
    assert_eq!(with_field.body["field_count"], 1, "{}", with_field.text);
}

/// `PATCH /v1/secrets/{path}`: what is given changes and nothing else; without a value no
/// version is written (and the cached read sees it at once); with one, a new version. The
/// rules of `PUT` hold: only an admin lowers the tier or moves `allowed_hosts`, If-Match
/// guards it, a body that changes nothing is 422, and another tenant's path is 404. A refused
/// patch changes nothing.
fn patch_changes_metadata_without_a_new_version(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let path = "patch/db";
    let url = format!("/v1/secrets/{}", latchkey_e2e::client::encode_path(path));
    let writer = api.create_token(
        &key,
        &json!({"scope": ["secrets:read:patch/*", "secrets:write:patch/*"], "ttl_seconds": 600}),
    );
    assert_eq!(writer.status, 201, "{}", writer.text);
    let writer = writer.body["value"].as_str().expect("value").to_owned();
    let created = api.create_secret(
        &key,
        &json!({"path": path, "value": "v1", "description": "d1", "tags": {"a": "1"}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let patch = |who: &str, body: serde_json::Value, if_match: Option<&str>| {
        let headers: Vec<(&str, &str)> = if_match.map(|v| ("If-Match", v)).into_iter().collect();
        api.send(
            "PATCH",
            &url,
            Some(who),
            &headers,
            latchkey_e2e::client::Body::Json(&body),
        )
    };
    // Read once so the object caches it; the patch must not leave a stale entry.
    assert_eq!(api.get_secret(&writer, path).body["value"], "v1");
    let tagged = patch(&writer, json!({"tags": {"team": "core"}}), Some("1"));
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(tagged.body["version"], 1, "{}", tagged.text);
    let read = api.get_secret(&writer, path);
    assert_eq!(read.body["value"], "v1", "{}", read.text);
    assert_eq!(read.body["version"], 1);
    assert_eq!(read.body["tags"], json!({"team": "core"}));
    assert_eq!(read.body["description"], "d1", "left out, kept");
    assert_eq!(
        api.get(&format!("{url}/versions"), Some(&key)).body["versions"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "no new version"
    );
    // With a value: a new version, the metadata given changing with it.
    let valued = patch(&writer, json!({"value": "v2", "description": null}), None);
    assert_eq!(valued.status, 200, "{}", valued.text);
    assert_eq!(valued.body["version"], 2);
    let read = api.get_secret(&writer, path);
    assert_eq!(
        (&read.body["value"], &read.body["version"]),
        (&json!("v2"), &json!(2))
    );
    assert!(read.body["description"].is_null(), "{}", read.text);
    // Refusals, each changing nothing.
    patch(&writer, json!({}), None).assert_error(422, "validation_error");
    patch(&writer, json!({"value": null}), None).assert_error(422, "validation_error");
    patch(&writer, json!({"tags": {"x": "y"}}), Some("1")).assert_error(409, "conflict");
    patch(
        &writer,
        json!({"allowed_hosts": [{"host": "api.example.com"}]}),
        None,
    )
    .assert_error(403, "permission_denied");
    // An admin raises the tier (no new version); the writer's token, cleared for standard,
    // is closed at once and cannot write either.
    let raised = patch(&key, json!({"tier": "critical"}), None);
    assert_eq!(raised.status, 200, "{}", raised.text);
    assert_eq!(raised.body["version"], 2);
    api.get_secret(&writer, path)
        .assert_error(403, "permission_denied");
    patch(&writer, json!({"value": "v9"}), None).assert_error(403, "permission_denied");
    let read = api.get_secret(&key, path);
    assert_eq!(read.body["value"], "v2", "{}", read.text);
    assert_eq!(read.body["version"], 2);
    assert_eq!(read.body["tier"], "critical");
    assert_eq!(read.body["tags"], json!({"team": "core"}));
    assert!(
        read.body.get("allowed_hosts").is_none(),
        "the writer's hosts were refused: {}",
        read.text
    );
    // Another tenant's path is not found.
    let (_, other) = ctx.new_tenant();
    patch(&other, json!({"tags": {"x": "y"}}), None).assert_error(404, "not_found");
}
