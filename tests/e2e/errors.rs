//! Bad input of every kind gets a 4xx with the JSON error body naming the problem, and
//! changes nothing.

use crate::Ctx;
use latchkey_e2e::client::Body;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "errors::malformed_bodies_are_invalid_request",
        malformed_bodies_are_invalid_request,
    ),
    ("errors::invalid_fields_are_named", invalid_fields_are_named),
    (
        "errors::invalid_url_paths_are_named",
        invalid_url_paths_are_named,
    ),
    (
        "errors::unknown_routes_and_methods_answer_json",
        unknown_routes_and_methods_answer_json,
    ),
    (
        "errors::rejected_writes_change_nothing",
        rejected_writes_change_nothing,
    ),
];

fn malformed_bodies_are_invalid_request(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let post = |content_type: Option<&str>, bytes: &[u8]| {
        api.send(
            "POST",
            "/v1/secrets",
            Some(&key),
            &[],
            Body::Raw(content_type, bytes),
        )
    };
    for bytes in [
        &b"{\"path\": "[..],
        b"",
        b"[1,2]",
        b"\"text\"",
        b"null",
        b"\xff\xfe",
    ] {
        post(Some("application/json"), bytes).assert_error(400, "invalid_request");
    }
    let wrong_type = post(Some("text/plain"), br#"{"path":"a","value":"v"}"#);
    wrong_type.assert_error(400, "invalid_request");
    assert_eq!(wrong_type.body["error"]["header"], "Content-Type");
    post(None, br#"{"path":"a","value":"v"}"#).assert_error(400, "invalid_request");
    // Content-Type parameters are fine.
    let ok = post(
        Some("application/json; charset=utf-8"),
        br#"{"path":"a","value":"v"}"#,
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
    // Over the body limit: refused before parsing.
    let huge = vec![b' '; 1024 * 1024 + 1];
    post(Some("application/json"), &huge).assert_error(400, "invalid_request");
}

fn invalid_fields_are_named(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let cases = [
        (json!({"value": "v"}), "path"),
        (json!({"path": "", "value": "v"}), "path"),
        (json!({"path": "a//b", "value": "v"}), "path"),
        (json!({"path": "/a", "value": "v"}), "path"),
        (json!({"path": "a/./b", "value": "v"}), "path"),
        (json!({"path": "a/../b", "value": "v"}), "path"),
        (json!({"path": "a\u{1}b", "value": "v"}), "path"),
        (json!({"path": "a\nb", "value": "v"}), "path"),
        (json!({"path": "x".repeat(513), "value": "v"}), "path"),
        (
            json!({"path": vec!["s"; 33].join("/"), "value": "v"}),
            "path",
        ),
        (json!({"path": "p"}), "value"),
        (json!({"path": "p", "value": ["v"]}), "value"),
        (
            json!({"path": "p", "value": "x".repeat(64 * 1024 + 1)}),
            "value",
        ),
        (json!({"path": "p", "value": "v", "tier": "top"}), "tier"),
        (json!({"path": "p", "value": "v", "tags": {"a": 1}}), "tags"),
        (
            json!({"path": "p", "value": "v", "description": "d".repeat(1025)}),
            "description",
        ),
        (
            json!({"path": "p", "value": "v", "expires_at": "yesterday"}),
            "expires_at",
        ),
        (
            json!({"path": "p", "value": "v", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"path": "p", "value": "v", "colour": "blue"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let reply = api.create_secret(&key, &body);
        reply.assert_error(422, "validation_error");
        assert_eq!(reply.error_field(), Some(field), "{}", reply.text);
    }
    let too_big = api.create_secret(
        &key,
        &json!({"path": "p", "value": "x".repeat(64 * 1024 + 1)}),
    );
    assert!(
        too_big.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("65536"),
        "{}",
        too_big.text
    );
}

fn invalid_url_paths_are_named(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let long = "x".repeat(513);
    for url in [
        "/v1/secrets/a%2F%2Fb",
        "/v1/secrets/%2Fa",
        "/v1/secrets/a%2F",
        "/v1/secrets/a%2F.%2Fb",
        "/v1/secrets/a%2F..%2Fb",
        "/v1/secrets/a%00b",
        "/v1/secrets/a%0Ab",
        "/v1/secrets/a%20b",
        "/v1/secrets/%zz",
        "/v1/secrets/%C3%28",
        &format!("/v1/secrets/{long}"),
    ] {
        let reply = api.get(url, Some(&key));
        assert!(matches!(reply.status, 400 | 422), "{url}: {}", reply.text);
        assert_eq!(reply.error_field(), Some("path"), "{url}: {}", reply.text);
    }
    // Unencoded slashes are not a secret path; the message shows the encoded form.
    let raw = api.get("/v1/secrets/production/openai/api-key", Some(&key));
    raw.assert_error(404, "not_found");
    assert!(
        raw.text.contains("production%2Fopenai%2Fapi-key"),
        "{}",
        raw.text
    );
}

fn unknown_routes_and_methods_answer_json(ctx: &Ctx) {
    let api = ctx.api();
    api.get("/", None).assert_error(404, "not_found");
    api.get("/v2/secrets", None).assert_error(404, "not_found");
    let reply = api.send("DELETE", "/v1/health", None, &[], Body::None);
    reply.assert_error(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
    api.send("PATCH", "/v1/secrets", None, &[], Body::None)
        .assert_error(405, "method_not_allowed");
}

fn rejected_writes_change_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let rejected = [
        json!({"path": "keep/out", "value": "x".repeat(64 * 1024 + 1)}),
        json!({"path": "keep/out", "value": "v", "tier": "nope"}),
        json!({"path": "keep/out", "value": "v", "expires_at": "2001-01-01T00:00:00Z"}),
    ];
    for body in rejected {
        assert_eq!(api.create_secret(&key, &body).status, 422);
    }
    api.get_secret(&key, "keep/out")
        .assert_error(404, "not_found");
    // And the path is still free to create.
    assert_eq!(
        api.create_secret(&key, &json!({"path": "keep/out", "value": "v"}))
            .status,
        201
    );
}
