//! `POST /v1/generate` and `GET /v1/info`.

use crate::Ctx;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "tools::generate_defaults_and_classes",
        generate_defaults_and_classes,
    ),
    (
        "tools::generate_stores_when_given_a_path",
        generate_stores_when_given_a_path,
    ),
    (
        "tools::generate_rejects_bad_input",
        generate_rejects_bad_input,
    ),
    (
        "tools::info_counts_what_the_tenant_stores",
        info_counts_what_the_tenant_stores,
    ),
];

const SYMBOLS: &str = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

fn generate_defaults_and_classes(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let reply = api.generate(&key, &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["stored"], false);
    assert!(reply.body["path"].is_null());
    let password = reply.body["password"].as_str().expect("password");
    assert_eq!(password.len(), 32);
    assert!(password.chars().any(|c| c.is_ascii_uppercase()));
    assert!(password.chars().any(|c| c.is_ascii_lowercase()));
    assert!(password.chars().any(|c| c.is_ascii_digit()));
    assert!(password.chars().any(|c| SYMBOLS.contains(c)));
    let other = api.generate(&key, &json!({}));
    assert_ne!(other.body["password"], reply.body["password"]);

    let pin = api.generate(
        &key,
        &json!({"length": 8, "uppercase": false, "lowercase": false, "symbols": false}),
    );
    assert_eq!(pin.status, 200, "{}", pin.text);
    let pin = pin.body["password"].as_str().expect("password");
    assert_eq!(pin.len(), 8);
    assert!(pin.chars().all(|c| c.is_ascii_digit()), "{pin}");

    let long = api.generate(&key, &json!({"length": 256, "symbols": false}));
    let long = long.body["password"].as_str().expect("password");
    assert_eq!(long.len(), 256);
    assert!(long.chars().all(|c| c.is_ascii_alphanumeric()));
}

fn generate_stores_when_given_a_path(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let reply = api.generate(
        &key,
        &json!({"length": 24, "path": "home/wifi", "tier": "sensitive", "tags": {"type": "wifi"}}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["stored"], true);
    assert_eq!(reply.body["path"], "home/wifi");
    assert_eq!(reply.body["version"], 1);
    let password = reply.body["password"].as_str().expect("password");
    let read = api.get_secret(&key, "home/wifi");
    assert_eq!(read.body["value"], password);
    assert_eq!(read.body["tier"], "sensitive");
    assert_eq!(read.body["tags"], json!({"type": "wifi"}));
    let again = api.generate(&key, &json!({"path": "home/wifi"}));
    again.assert_error(409, "conflict");
    assert_eq!(
        api.get_secret(&key, "home/wifi").body["value"],
        password,
        "the refused request changed nothing"
    );
}

fn generate_rejects_bad_input(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let cases = [
        (json!({"length": 7}), "length"),
        (json!({"length": 257}), "length"),
        (json!({"length": -1}), "length"),
        (json!({"symbols": "no"}), "symbols"),
        (
            json!({"uppercase": false, "lowercase": false, "digits": false, "symbols": false}),
            "uppercase",
        ),
        (json!({"path": "a//b"}), "path"),
        (json!({"tier": "sensitive"}), "tier"),
        (json!({"name": "wifi"}), "name"),
    ];
    for (body, field) in cases {
        let reply = api.generate(&key, &body);
        reply.assert_error(422, "validation_error");
        assert_eq!(reply.error_field(), Some(field), "{body}: {}", reply.text);
    }
    api.generate("lk_live_tn_0000000000000000_nope", &json!({}))
        .assert_error(401, "unauthorized");
    assert_eq!(
        api.get("/v1/generate", Some(&key)).status,
        405,
        "generate is POST only"
    );
}

fn info_counts_what_the_tenant_stores(ctx: &Ctx) {
    let (tenant_id, key) = ctx.new_tenant();
    let api = ctx.api();
    let empty = api.info(&key);
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(empty.body["tenant_id"], tenant_id.as_str());
    assert_eq!(empty.body["plan"], "pro");
    assert_eq!(empty.body["secret_count"], 0);
    assert_eq!(empty.body["version_count"], 0);
    assert!(empty.body["storage_bytes"].as_u64().is_some_and(|b| b > 0));

    for path in ["a", "b", "c"] {
        assert_eq!(
            api.create_secret(&key, &json!({"path": path, "value": "v"}))
                .status,
            201
        );
    }
    assert_eq!(
        api.update_secret(&key, "a", &json!({"value": "v2"}), None)
            .status,
        200
    );
    assert_eq!(api.delete_secret(&key, "b", false).status, 204);
    assert_eq!(api.delete_secret(&key, "c", true).status, 204);
    assert_eq!(
        api.set_fields(&key, "d", &json!({"fields": {"x": "1", "y": "2"}}))
            .status,
        201
    );
    let info = api.info(&key);
    assert_eq!(info.body["secret_count"], 2, "{}", info.text);
    assert_eq!(info.body["deleted_count"], 1, "{}", info.text);
    assert_eq!(info.body["version_count"], 3, "{}", info.text);
    assert_eq!(info.body["field_count"], 2, "{}", info.text);
    api.info("lk_live_tn_0000000000000000_nope")
        .assert_error(401, "unauthorized");
}
