//! Regressions for what `scripts/schemathesis` found running against the OpenAPI document:
//! each test is one finding, fixed in the code.

use crate::Ctx;
use latchkey_e2e::client::Body;
use serde_json::json;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "schemathesis::unknown_methods_are_405_not_a_get",
        unknown_methods_are_405_not_a_get,
    ),
    (
        "schemathesis::integers_past_2_53_cross_to_the_object_intact",
        integers_past_2_53_cross_to_the_object_intact,
    ),
    (
        "schemathesis::a_gone_approved_password_is_withheld_not_a_404_for_the_whole_list",
        a_gone_approved_password_is_withheld_not_a_404_for_the_whole_list,
    ),
];

/// One HTTP/1.1 exchange over a plain socket, for methods the HTTP client refuses to send.
/// Returns the status and the whole response.
fn raw_exchange(base_url: &str, method: &str, url: &str, bearer: Option<&str>) -> (u16, String) {
    let address = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the runtime");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let auth = bearer
        .map(|key| format!("Authorization: Bearer {key}\r\n"))
        .unwrap_or_default();
    let request =
        format!("{method} {url} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// Found: `QUERY /v1/secrets/{path}` answered 200 with the secret's value. The `worker`
/// crate's `Request::method()` maps every method it does not know to GET; the router now
/// sees the method as sent.
fn unknown_methods_are_405_not_a_get(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(&key, &json!({"path": "m/one", "value": "never-by-query"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let base = &ctx.runtime.base_url;
    // Methods workerd passes through that the `worker` crate does not know (a method workerd
    // does not know at all, such as FOO, never reaches the Worker: workerd answers 501).
    for method in ["QUERY", "PROPFIND", "REPORT", "TRACE"] {
        let (status, text) = raw_exchange(base, method, "/v1/secrets/m%2Fone", Some(&key));
        assert_eq!(status, 405, "{method}: {text}");
        assert!(text.contains("\"method_not_allowed\""), "{method}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains("allow: get, put, patch, delete"),
            "{method}: {text}"
        );
        assert!(!text.contains("never-by-query"), "{method}: {text}");
        let (status, text) = raw_exchange(base, method, "/v1/health", None);
        assert_eq!(status, 405, "{method}: {text}");
    }
    // A known method still works on the same URL, and HEAD answers like GET.
    let (status, text) = raw_exchange(base, "GET", "/v1/secrets/m%2Fone", Some(&key));
    assert_eq!(status, 200, "{text}");
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

/// Found (on the `/api/v1` face, the native route alike): once the version an approved
/// password request made was gone (the secret deleted), `GET …/agents/me/password-requests`
/// answered 404 for the whole list, at every collection. That password is now withheld, saying
/// why, and the list answers.
fn a_gone_approved_password_is_withheld_not_a_404_for_the_whole_list(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let (agent, jwt) = crate::agents::new_agent(ctx, &key, "gone-password");
    let granted = api.send(
        "POST",
        "/v1/grants",
        Some(&key),
        &[],
        Body::Json(&json!({"agent_id": agent, "path": "svc/*"})),
    );
    assert_eq!(granted.status, 201, "{}", granted.text);
    let asked = api.send(
        "POST",
        "/api/v1/agents/me/password-requests",
        Some(&jwt),
        &[],
        Body::Json(&json!({"path": "svc/db/password", "reason": "rotation"})),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let id = asked.body["id"].as_str().expect("an id").to_owned();
    let approved = api.send(
        "POST",
        &format!("/api/v1/admin/password-requests/{id}/approve"),
        Some(&key),
        &[],
        Body::None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let deleted = api.send(
        "DELETE",
        "/v1/secrets/svc%2Fdb%2Fpassword?permanent=true",
        Some(&key),
        &[],
        Body::None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    for url in [
        "/api/v1/agents/me/password-requests",
        "/v1/agents/me/password-requests",
    ] {
        let collected = api.get(url, Some(&jwt));
        assert_eq!(collected.status, 200, "{url}: {}", collected.text);
        let view = &collected.body["data"][0];
        assert_eq!(view["id"], id.as_str());
        assert!(view.get("password").is_none(), "{url}: {view}");
        assert!(
            view["withheld"]
                .as_str()
                .is_some_and(|why| why.contains("svc/db/password")),
            "{url}: {view}"
        );
    }
}
