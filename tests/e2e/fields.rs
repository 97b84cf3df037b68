//! Fields: set one or many, read one or all, delete, fields-only secrets, limits.

use crate::Ctx;
use latchkey_e2e::runtime::files_containing;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "fields::fields_only_secret_round_trip",
        fields_only_secret_round_trip,
    ),
    (
        "fields::create_with_value_and_fields",
        create_with_value_and_fields,
    ),
    ("fields::bad_field_requests", bad_field_requests),
    (
        "fields::field_limit_is_enforced_atomically",
        field_limit_is_enforced_atomically,
    ),
    (
        "fields::deleted_secrets_hide_and_erase_fields",
        deleted_secrets_hide_and_erase_fields,
    ),
];

fn fields_only_secret_round_trip(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let first = api.set_field(&key, "prod/db", "username", "admin");
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "stored");
    assert_eq!(first.body["path"], "prod/db");
    assert_eq!(first.body["field"], "username");
    assert_eq!(first.body["secret_created"], true);

    // No main value → no `value`; fields and their count are shown.
    let read = api.get_secret(&key, "prod/db");
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.body.get("value").is_none(), "{}", read.text);
    assert_eq!(read.body["fields"], json!({"username": "admin"}));
    assert_eq!(read.body["field_count"], 1);
    assert_eq!(read.body["version"], 0);

    let many = api.set_fields(
        &key,
        "prod/db",
        &json!({"fields": {"host": "db.example.com", "port": "5432", "username": "root"}}),
    );
    assert_eq!(many.status, 201, "{}", many.text);
    assert_eq!(many.body["field_count"], 3, "{}", many.text);
    assert_eq!(many.body["secret_created"], false);
    assert!(!many.text.contains("db.example.com"), "no values echoed");

    let all = api.get_fields(&key, "prod/db");
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        all.body,
        json!({"host": "db.example.com", "port": "5432", "username": "root"})
    );
    let one = api.get_field(&key, "prod/db", "port");
    assert_eq!(
        one.body,
        json!({"path": "prod/db", "field": "port", "value": "5432"})
    );

    let deleted = api.delete_field(&key, "prod/db", "port");
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(
        deleted.body,
        json!({"status": "deleted", "path": "prod/db", "field": "port"})
    );
    let missing = api.get_field(&key, "prod/db", "port");
    missing.assert_error(404, "not_found");
    assert_eq!(missing.body["error"]["field"], "port");
    api.delete_field(&key, "prod/db", "port")
        .assert_error(404, "not_found");

    // A main value can be added later; it is version 1.
    let valued = api.update_secret(&key, "prod/db", &json!({"value": "pw"}), None);
    assert_eq!(valued.status, 200, "{}", valued.text);
    assert_eq!(valued.body["version"], 1);
    let read = api.get_secret(&key, "prod/db");
    assert_eq!(read.body["value"], "pw");
    assert_eq!(read.body["field_count"], 2);

    // Lists show how many fields, never their names' values.
    let list = api.get("/v1/secrets?namespace=prod", Some(&key));
    assert_eq!(list.body["items"][0]["field_count"], 2, "{}", list.text);
    assert!(!list.text.contains("db.example.com"));

    // An empty secret's fields read as {}.
    let plain = api.create_secret(&key, &json!({"path": "plain", "value": "v"}));
    assert_eq!(plain.status, 201);
    assert_eq!(api.get_fields(&key, "plain").body, json!({}));
    let read = api.get_secret(&key, "plain");
    assert!(read.body.get("fields").is_none() && read.body.get("field_count").is_none());
}

fn create_with_value_and_fields(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(
        &key,
        &json!({"path": "svc/pg", "value": "s3cret", "fields": {"host": "h", "port": "1"}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["version"], 1);
    let read = api.get_secret(&key, "svc/pg");
    assert_eq!(read.body["value"], "s3cret");
    assert_eq!(read.body["fields"], json!({"host": "h", "port": "1"}));
    assert_eq!(read.body["field_count"], 2);
    // Fields only at creation: version 0, and nothing to rotate.
    let only = api.create_secret(&key, &json!({"path": "svc/only", "fields": {"a": "b"}}));
    assert_eq!(only.status, 201, "{}", only.text);
    assert_eq!(only.body["version"], 0);
    let rotate = api.rotate_secret(&key, "svc/only", &json!({"new_value": "x"}));
    rotate.assert_error(409, "conflict");
    api.get_secret_version(&key, "svc/only", 1)
        .assert_error(404, "not_found");
    assert_eq!(
        api.secret_versions(&key, "svc/only").body["versions"],
        json!([])
    );
}

fn bad_field_requests(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let bad_name = api.set_field(&key, "a", "bad%20name", "v");
    bad_name.assert_error(422, "validation_error");
    assert_eq!(bad_name.error_field(), Some("field"));
    let empty = api.set_fields(&key, "a", &json!({"fields": {}}));
    empty.assert_error(422, "validation_error");
    assert_eq!(empty.error_field(), Some("fields"));
    let not_string = api.set_fields(&key, "a", &json!({"fields": {"x": 1}}));
    not_string.assert_error(422, "validation_error");
    let big = api.set_field(&key, "a", "x", &"v".repeat(65_537));
    big.assert_error(422, "validation_error");
    assert!(big.text.contains("65536"), "{}", big.text);
    let no_value = api.send(
        "PUT",
        "/v1/secrets/a/fields/x",
        Some(&key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"val": "v"})),
    );
    no_value.assert_error(422, "validation_error");
    api.get_fields(&key, "a").assert_error(404, "not_found");
    api.get_field(&key, "a", "x").assert_error(404, "not_found");
    api.delete_field(&key, "a", "x")
        .assert_error(404, "not_found");
    // None of the rejected requests created the secret.
    api.get_secret(&key, "a").assert_error(404, "not_found");
    api.send(
        "POST",
        "/v1/secrets/a/fields/x",
        Some(&key),
        &[],
        latchkey_e2e::client::Body::None,
    )
    .assert_error(405, "method_not_allowed");
    api.get_fields(&key, "a").assert_error(404, "not_found");
    api.get("/v1/secrets/a/fields", None)
        .assert_error(401, "unauthorized");
}

fn field_limit_is_enforced_atomically(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let hundred: serde_json::Map<String, serde_json::Value> =
        (0..100).map(|i| (format!("f{i}"), json!("v"))).collect();
    let full = api.set_fields(&key, "full", &json!({ "fields": hundred }));
    assert_eq!(full.status, 201, "{}", full.text);
    assert_eq!(full.body["field_count"], 100);
    // Replacing an existing field is fine at the limit; a 101st is not.
    assert_eq!(api.set_field(&key, "full", "f0", "w").status, 201);
    let over = api.set_fields(
        &key,
        "full",
        &json!({"fields": {"f1": "changed", "extra": "x"}}),
    );
    over.assert_error(422, "validation_error");
    assert!(over.text.contains("100"), "{}", over.text);
    assert_eq!(
        api.get_field(&key, "full", "f1").body["value"],
        "v",
        "the rejected request changed nothing"
    );
    api.get_field(&key, "full", "extra")
        .assert_error(404, "not_found");
}

fn deleted_secrets_hide_and_erase_fields(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = latchkey_e2e::secret_value("field-plain");
    assert_eq!(api.set_field(&key, "gone/db", "pw", &value).status, 201);
    assert_eq!(api.delete_secret(&key, "gone/db", false).status, 204);
    api.get_fields(&key, "gone/db")
        .assert_error(404, "not_found");
    api.get_field(&key, "gone/db", "pw")
        .assert_error(404, "not_found");
    let write = api.set_field(&key, "gone/db", "pw", "new");
    write.assert_error(409, "conflict");
    assert!(write.text.contains("restore"), "{}", write.text);
    assert_eq!(api.restore_secret(&key, "gone/db").status, 200);
    assert_eq!(
        api.get_field(&key, "gone/db", "pw").body["value"],
        value.as_str()
    );
    // Permanent delete takes the fields with it.
    assert_eq!(api.delete_secret(&key, "gone/db", true).status, 204);
    assert_eq!(api.set_field(&key, "gone/db", "other", "x").status, 201);
    assert_eq!(api.get_fields(&key, "gone/db").body, json!({"other": "x"}));
    let hits = files_containing(&ctx.runtime.state_dir, value.as_bytes());
    assert!(hits.is_empty(), "field plaintext on disk: {hits:?}");
}
