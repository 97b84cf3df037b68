//! Versions, updates, rotation with grace, soft delete and restore, permanent delete.

use crate::Ctx;
use latchkey_e2e::runtime::files_containing;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "lifecycle::update_makes_a_new_version_and_keeps_the_old",
        update_makes_a_new_version_and_keeps_the_old,
    ),
    (
        "lifecycle::update_with_stale_if_match_conflicts",
        update_with_stale_if_match_conflicts,
    ),
    (
        "lifecycle::update_of_missing_path_is_not_found",
        update_of_missing_path_is_not_found,
    ),
    (
        "lifecycle::concurrent_updates_get_consecutive_versions",
        concurrent_updates_get_consecutive_versions,
    ),
    (
        "lifecycle::rotation_keeps_old_version_only_for_the_grace",
        rotation_keeps_old_version_only_for_the_grace,
    ),
    (
        "lifecycle::soft_delete_hides_and_restore_brings_back",
        soft_delete_hides_and_restore_brings_back,
    ),
    (
        "lifecycle::permanent_delete_erases_and_frees_the_path",
        permanent_delete_erases_and_frees_the_path,
    ),
    (
        "lifecycle::max_versions_keeps_only_the_newest",
        max_versions_keeps_only_the_newest,
    ),
    (
        "lifecycle::expired_secret_reads_as_not_found",
        expired_secret_reads_as_not_found,
    ),
];

fn create(ctx: &Ctx, key: &str, path: &str, value: &str) {
    let reply = ctx
        .api()
        .create_secret(key, &json!({"path": path, "value": value}));
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn states(reply: &latchkey_e2e::Reply) -> Vec<(u64, String)> {
    reply.body["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().expect("version"),
                v["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect()
}

fn update_makes_a_new_version_and_keeps_the_old(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(
        &key,
        &json!({"path": "app/db", "value": "one", "tier": "critical", "description": "db"}),
    );
    assert_eq!(created.status, 201);
    let updated = api.update_secret(
        &key,
        "app/db",
        &json!({"value": "two", "tags": {"rotated": "true"}}),
        None,
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["path"], "app/db");
    assert_eq!(updated.body["version"], 2);
    assert!(updated.body["updated_at"].is_string());
    assert!(!updated.text.contains("two"));
    let read = api.get_secret(&key, "app/db");
    assert_eq!(read.body["value"], "two");
    assert_eq!(read.body["version"], 2);
    assert_eq!(read.body["tier"], "critical", "absent members are kept");
    assert_eq!(read.body["description"], "db");
    assert_eq!(read.body["tags"], json!({"rotated": "true"}));
    assert_eq!(
        api.get_secret_version(&key, "app/db", 1).body["value"],
        "one"
    );
    let versions = api.secret_versions(&key, "app/db");
    assert_eq!(versions.status, 200, "{}", versions.text);
    assert_eq!(
        states(&versions),
        vec![(2, "current".into()), (1, "previous".into())]
    );
    assert!(
        !versions.text.contains("one\""),
        "versions never carry values"
    );
}

fn update_with_stale_if_match_conflicts(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    create(ctx, &key, "cas/x", "v1");
    let ok = api.update_secret(&key, "cas/x", &json!({"value": "v2"}), Some("1"));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let stale = api.update_secret(&key, "cas/x", &json!({"value": "v3"}), Some("1"));
    stale.assert_error(409, "conflict");
    assert_eq!(stale.body["error"]["current_version"], 2, "{}", stale.text);
    assert_eq!(
        api.get_secret(&key, "cas/x").body["value"],
        "v2",
        "the rejected update changed nothing"
    );
    let quoted = api.update_secret(&key, "cas/x", &json!({"value": "v3"}), Some("\"2\""));
    assert_eq!(quoted.status, 200, "{}", quoted.text);
    let bad = api.update_secret(&key, "cas/x", &json!({"value": "v4"}), Some("latest"));
    bad.assert_error(400, "invalid_request");
    assert_eq!(bad.body["error"]["header"], "If-Match");
}

fn update_of_missing_path_is_not_found(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    api.update_secret(&key, "no/such", &json!({"value": "v"}), None)
        .assert_error(404, "not_found");
    api.rotate_secret(&key, "no/such", &json!({"new_value": "v"}))
        .assert_error(404, "not_found");
    api.secret_versions(&key, "no/such")
        .assert_error(404, "not_found");
    api.delete_secret(&key, "no/such", false)
        .assert_error(404, "not_found");
    api.restore_secret(&key, "no/such")
        .assert_error(404, "not_found");
    create(ctx, &key, "exists", "v");
    let reply = api.update_secret(
        &key,
        "exists",
        &json!({"value": "v", "path": "other"}),
        None,
    );
    reply.assert_error(422, "validation_error");
    assert_eq!(reply.error_field(), Some("path"));
}

fn concurrent_updates_get_consecutive_versions(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    create(ctx, &key, "hot/path", "v1");
    let values: Vec<String> = (0..100).map(|i| format!("concurrent-{i}")).collect();
    let results: Vec<(String, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = values
            .iter()
            .map(|value| {
                let key = key.clone();
                scope.spawn(move || {
                    let reply =
                        ctx.api()
                            .update_secret(&key, "hot/path", &json!({"value": value}), None);
                    assert_eq!(reply.status, 200, "{}", reply.text);
                    (
                        value.clone(),
                        reply.body["version"].as_u64().expect("version"),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let versions: BTreeSet<u64> = results.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        versions,
        (2..=101).collect::<BTreeSet<u64>>(),
        "no gap, no duplicate"
    );
    // Each version decrypts to exactly the value its writer sent. Only the newest 10 are
    // kept by default; check those.
    let api = ctx.api();
    for (value, version) in results.iter().filter(|(_, v)| *v >= 92) {
        let read = api.get_secret_version(&key, "hot/path", *version);
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.body["value"], value.as_str(), "version {version}");
    }
    assert_eq!(api.get_secret(&key, "hot/path").body["version"], 101);
}

fn rotation_keeps_old_version_only_for_the_grace(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    create(ctx, &key, "rot/key", "old-value");
    let rotated = api.rotate_secret(
        &key,
        "rot/key",
        &json!({"new_value": "new-value", "grace_period_seconds": 2}),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["path"], "rot/key");
    assert_eq!(rotated.body["old_version"], 1);
    assert_eq!(rotated.body["new_version"], 2);
    assert!(rotated.body["old_expires_at"].is_string());
    assert_eq!(api.get_secret(&key, "rot/key").body["value"], "new-value");
    assert_eq!(
        api.get_secret_version(&key, "rot/key", 1).body["value"],
        "old-value"
    );
    assert_eq!(
        states(&api.secret_versions(&key, "rot/key")),
        vec![(2, "current".into()), (1, "grace".into())]
    );
    std::thread::sleep(Duration::from_millis(3100));
    let gone = api.get_secret_version(&key, "rot/key", 1);
    gone.assert_error(404, "not_found");
    assert!(gone.text.contains("grace"), "{}", gone.text);
    assert_eq!(
        states(&api.secret_versions(&key, "rot/key")),
        vec![(2, "current".into()), (1, "expired".into())]
    );
    // Grace 0 (the default): the old version is unreadable at once.
    let now = api.rotate_secret(&key, "rot/key", &json!({"new_value": "newer"}));
    assert_eq!(now.status, 200, "{}", now.text);
    api.get_secret_version(&key, "rot/key", 2)
        .assert_error(404, "not_found");
    let too_long = api.rotate_secret(
        &key,
        "rot/key",
        &json!({"new_value": "x", "grace_period_seconds": 604_801}),
    );
    too_long.assert_error(422, "validation_error");
    assert_eq!(too_long.error_field(), Some("grace_period_seconds"));
}

fn soft_delete_hides_and_restore_brings_back(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    create(ctx, &key, "soft/x", "v1");
    assert_eq!(
        api.update_secret(&key, "soft/x", &json!({"value": "v2"}), None)
            .status,
        200
    );
    let deleted = api.delete_secret(&key, "soft/x", false);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let hidden = api.get_secret(&key, "soft/x");
    hidden.assert_error(404, "not_found");
    assert!(hidden.text.contains("restore"), "{}", hidden.text);
    api.update_secret(&key, "soft/x", &json!({"value": "v3"}), None)
        .assert_error(404, "not_found");
    let recreate = api.create_secret(&key, &json!({"path": "soft/x", "value": "again"}));
    recreate.assert_error(409, "conflict");
    assert!(recreate.text.contains("restore"), "{}", recreate.text);
    api.delete_secret(&key, "soft/x", false)
        .assert_error(404, "not_found");
    let restored = api.restore_secret(&key, "soft/x");
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(restored.body["version"], 2);
    assert!(restored.body.get("value").is_none());
    assert_eq!(api.get_secret(&key, "soft/x").body["value"], "v2");
    assert_eq!(
        api.get_secret_version(&key, "soft/x", 1).body["value"],
        "v1",
        "all versions kept"
    );
    api.restore_secret(&key, "soft/x")
        .assert_error(409, "conflict");
}

fn permanent_delete_erases_and_frees_the_path(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = latchkey_e2e::secret_value("erase-me");
    create(ctx, &key, "hard/x", &value);
    assert_eq!(
        api.update_secret(
            &key,
            "hard/x",
            &json!({"value": format!("{value}-2")}),
            None
        )
        .status,
        200
    );
    let gone = api.delete_secret(&key, "hard/x", true);
    assert_eq!(gone.status, 204, "{}", gone.text);
    api.get_secret(&key, "hard/x")
        .assert_error(404, "not_found");
    api.restore_secret(&key, "hard/x")
        .assert_error(404, "not_found");
    api.secret_versions(&key, "hard/x")
        .assert_error(404, "not_found");
    // The path can be created again, from version 1.
    let again = api.create_secret(&key, &json!({"path": "hard/x", "value": "fresh"}));
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["version"], 1);
    api.get_secret_version(&key, "hard/x", 2)
        .assert_error(404, "not_found");
    // A soft-deleted secret can be erased too.
    assert_eq!(api.delete_secret(&key, "hard/x", false).status, 204);
    assert_eq!(api.delete_secret(&key, "hard/x", true).status, 204);
    api.restore_secret(&key, "hard/x")
        .assert_error(404, "not_found");
    let hits = files_containing(&ctx.runtime.state_dir, value.as_bytes());
    assert!(hits.is_empty(), "plaintext found on disk: {hits:?}");
    api.send(
        "DELETE",
        "/v1/secrets/hard%2Fx?permanent=yes",
        Some(&key),
        &[],
        latchkey_e2e::client::Body::None,
    )
    .assert_error(400, "invalid_request");
}

fn max_versions_keeps_only_the_newest(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(
        &key,
        &json!({"path": "few", "value": "v1", "max_versions": 2}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    for i in 2..=4 {
        assert_eq!(
            api.update_secret(&key, "few", &json!({"value": format!("v{i}")}), None)
                .status,
            200
        );
    }
    let kept: Vec<u64> = states(&api.secret_versions(&key, "few"))
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(kept, vec![4, 3]);
    api.get_secret_version(&key, "few", 2)
        .assert_error(404, "not_found");
    let bad = api.create_secret(
        &key,
        &json!({"path": "many", "value": "v", "max_versions": 101}),
    );
    bad.assert_error(422, "validation_error");
    assert_eq!(bad.error_field(), Some("max_versions"));
    let _: Value = bad.body;
}

fn expired_secret_reads_as_not_found(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let soon = latchkey_core::Timestamp::from_unix_ms(now_ms + 2_000)
        .expect("timestamp")
        .to_string();
    let created = api.create_secret(
        &key,
        &json!({"path": "short/lived", "value": "v", "expires_at": soon}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(api.get_secret(&key, "short/lived").body["value"], "v");
    assert_eq!(
        api.set_field(&key, "short/lived", "f", "x").status,
        201,
        "fields can be written until it expires"
    );
    std::thread::sleep(Duration::from_millis(2_500));
    let expired = api.get_secret(&key, "short/lived");
    expired.assert_error(404, "not_found");
    assert!(expired.text.contains("expired"), "{}", expired.text);
    api.get_fields(&key, "short/lived")
        .assert_error(404, "not_found");
    // Listed as expiring (metadata stays visible), and a PUT with a new expiry revives it.
    let listed = api.get("/v1/secrets?expiring_within=0", Some(&key));
    assert_eq!(listed.body["total"], 1, "{}", listed.text);
    let revived = api.update_secret(
        &key,
        "short/lived",
        &json!({"value": "v2", "expires_at": null}),
        None,
    );
    assert_eq!(revived.status, 200, "{}", revived.text);
    let read = api.get_secret(&key, "short/lived");
    assert_eq!(read.body["value"], "v2", "{}", read.text);
}
