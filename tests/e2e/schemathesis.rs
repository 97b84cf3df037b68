//! Regressions for what `scripts/schemathesis` found running against the OpenAPI document:
//! each test is one finding, fixed in the code.

use crate::Ctx;
use latchkey_e2e::client::Body;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "schemathesis::unknown_methods_are_405_not_a_get",
        unknown_methods_are_405_not_a_get,
    ),
    (
        "schemathesis::integers_past_2_53_cross_to_the_object_intact",
        integers_past_2_53_cross_to_the_object_intact,
    ),
];

/// Found: `QUERY /v1/secrets/{path}` answered 200 with the secret's value. The `worker`
/// crate's `Request::method()` maps every method it does not know to GET; the router now
/// sees the method as sent.
fn unknown_methods_are_405_not_a_get(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(&key, &json!({"path": "m/one", "value": "never-by-query"}));
    assert_eq!(created.status, 201, "{}", created.text);
    for method in ["QUERY", "PROPFIND", "FOO"] {
        let reply = api.send(method, "/v1/secrets/m%2Fone", Some(&key), &[], Body::None);
        reply.assert_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("GET, PUT, DELETE"), "{method}");
        assert!(
            !reply.text.contains("never-by-query"),
            "{method}: {}",
            reply.text
        );
        let health = api.send(method, "/v1/health", None, &[], Body::None);
        health.assert_error(405, "method_not_allowed");
        assert_eq!(health.header("allow"), Some("GET"), "{method}");
    }
    // HEAD still answers like GET, without a body.
    let head = api.send("HEAD", "/v1/health", None, &[], Body::None);
    assert_eq!(head.status, 200);
}

/// Found: `GET /v1/secrets/{path}?version=9007199254740992` answered 500. The tenant object
/// decoded commands through JS `JSON.parse`, where no integer of 2^53 or more fits a u64;
/// commands and replies are now decoded with serde_json.
fn integers_past_2_53_cross_to_the_object_intact(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(&key, &json!({"path": "big/n", "value": "v"}));
    assert_eq!(created.status, 201, "{}", created.text);
    // The largest version the URL takes, echoed exactly in the 404.
    let missing = api.get("/v1/secrets/big%2Fn?version=9007199254740992", Some(&key));
    missing.assert_error(404, "not_found");
    assert_eq!(
        missing.body["error"]["version"],
        json!(9_007_199_254_740_992_u64)
    );
    api.get("/v1/secrets/big%2Fn?version=9007199254740993", Some(&key))
        .assert_error(400, "invalid_request");
    // An If-Match past 2^53 is a stale version, not a crash; nothing changes.
    for expected in ["9007199254740993", "18446744073709551615"] {
        let reply = api.send(
            "PUT",
            "/v1/secrets/big%2Fn",
            Some(&key),
            &[("If-Match", expected)],
            Body::Json(&json!({"value": "w"})),
        );
        reply.assert_error(409, "conflict");
    }
    assert_eq!(api.get_secret(&key, "big/n").body["version"], 1);
    // An audit cursor of u64::MAX (base64url of "seq:18446744073709551615") pages from the top.
    let cursor = "c2VxOjE4NDQ2NzQ0MDczNzA5NTUxNjE1";
    let page = api.get(&format!("/v1/audit?cursor={cursor}&limit=5"), Some(&key));
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["events"].as_array().map(Vec::len), Some(5));
}
