//! The secrets broker (issue 10, "use without reveal"): `POST /v1/proxy` sends a request with
//! secret values substituted for `{{NAME}}` placeholders to an upstream the secret's
//! `allowed_hosts` allows, and gives the caller the answer with every form of every value
//! redacted. A `secrets:use` token can do that and cannot read; a `secrets:read` token can read
//! and cannot use.
//!
//! The upstream is the loopback echo server (`latchkey_e2e::echo`), which records what it got:
//! that is where the value must arrive in plain, and the only place. The shared runtime lists
//! loopback in `PROXY_INSECURE_HOSTS`, so plain `http` to 127.0.0.1 is allowed there.

use crate::Ctx;
use crate::tokens::mint;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use latchkey_e2e::client::{Body, encode_path};
use latchkey_e2e::echo::{BIG_BODY_BYTES, BINARY_BODY, SLOW_DELAY, encoded_forms, percent_encode};
use latchkey_e2e::{Reply, secret_value, unique};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "broker::a_use_token_sends_the_value_upstream_and_never_sees_it",
        a_use_token_sends_the_value_upstream_and_never_sees_it,
    ),
    (
        "broker::placeholders_fill_query_headers_body_and_fields_in_one_pass",
        placeholders_fill_query_headers_body_and_fields_in_one_pass,
    ),
    (
        "broker::malformed_calls_are_refused_before_any_upstream_request",
        malformed_calls_are_refused_before_any_upstream_request,
    ),
    (
        "broker::every_encoding_of_a_value_is_redacted",
        every_encoding_of_a_value_is_redacted,
    ),
    (
        "broker::allowed_hosts_refuse_other_hosts_methods_and_paths",
        allowed_hosts_refuse_other_hosts_methods_and_paths,
    ),
    (
        "broker::allowed_hosts_are_stored_shown_and_validated",
        allowed_hosts_are_stored_shown_and_validated,
    ),
    (
        "broker::redirects_come_back_unfollowed_and_redacted",
        redirects_come_back_unfollowed_and_redacted,
    ),
    (
        "broker::request_size_and_secret_count_are_limited",
        request_size_and_secret_count_are_limited,
    ),
    (
        "broker::upstream_outcomes_are_reported_and_audited",
        upstream_outcomes_are_reported_and_audited,
    ),
    (
        "broker::max_uses_counts_one_use_per_call",
        max_uses_counts_one_use_per_call,
    ),
    (
        "broker::calls_are_audited_with_purpose_and_without_values",
        calls_are_audited_with_purpose_and_without_values,
    ),
    (
        "broker::require_purpose_needs_the_header_for_critical_secrets",
        require_purpose_needs_the_header_for_critical_secrets,
    ),
    (
        "broker::another_tenants_paths_are_not_found",
        another_tenants_paths_are_not_found,
    ),
];

/// The broker's limit on a request body after substitution and on an upstream body.
const LIMIT_BYTES: u64 = 1_048_576;

const PURPOSE: &str = "X-Latchkey-Purpose";

/// One rule: the echo server (127.0.0.1), any port, path and method.
fn loopback() -> Value {
    json!([{"host": "127.0.0.1"}])
}

/// Creates a secret from `body` (which names its path, value and `allowed_hosts`).
fn store_body(ctx: &Ctx, key: &str, body: Value) {
    let reply = ctx.api().create_secret(key, &body);
    assert_eq!(reply.status, 201, "create {body}: {}", reply.text);
}

/// Creates a secret usable against the echo server.
pub(crate) fn store(ctx: &Ctx, key: &str, path: &str, value: &str) {
    store_body(
        ctx,
        key,
        json!({"path": path, "value": value, "allowed_hosts": loopback()}),
    );
}

fn proxy_with(ctx: &Ctx, bearer: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    ctx.api()
        .send("POST", "/v1/proxy", Some(bearer), headers, Body::Json(body))
}

pub(crate) fn proxy(ctx: &Ctx, bearer: &str, body: &Value) -> Reply {
    proxy_with(ctx, bearer, &[], body)
}

/// A broker call with its own correlation id (and a purpose, when given): `(reply, id)`.
fn traced(ctx: &Ctx, bearer: &str, purpose: Option<&str>, body: &Value) -> (Reply, String) {
    let id = unique("req");
    let mut headers = vec![("X-Request-Id", id.as_str())];
    if let Some(purpose) = purpose {
        headers.push((PURPOSE, purpose));
    }
    (proxy_with(ctx, bearer, &headers, body), id)
}

/// A GET to the echo server at `path` sending `{{name}}` as the bearer token.
fn bearer_call(ctx: &Ctx, path: &str, name: &str, secret: &str) -> Value {
    json!({
        "method": "GET",
        "url": format!("{}{path}", ctx.echo.base_url),
        "headers": {"Authorization": format!("Bearer {{{{{name}}}}}")},
        "secrets": {name: secret},
    })
}

/// The upstream's answer inside the broker's 200.
#[track_caller]
fn answered(reply: &Reply) -> &Value {
    assert_eq!(reply.status, 200, "the broker answers 200: {}", reply.text);
    assert!(reply.body["status"].is_u64(), "{}", reply.text);
    assert!(reply.body["duration_ms"].is_u64(), "{}", reply.text);
    assert!(reply.body["redacted"].is_u64(), "{}", reply.text);
    &reply.body
}

/// The echo server's JSON as the broker passed it on (redacted).
#[track_caller]
fn echoed(reply: &Reply) -> Value {
    let body = answered(reply)["body"].as_str().expect("a text body");
    serde_json::from_str(body).unwrap_or_else(|_| panic!("the echo's JSON: {body}"))
}

fn redacted(reply: &Reply) -> u64 {
    reply.body["redacted"].as_u64().unwrap_or(0)
}

/// A broker refusal: 403 permission_denied with this `reason`.
#[track_caller]
fn assert_refused(reply: &Reply, reason: &str) {
    reply.assert_error(403, "permission_denied");
    assert_eq!(reply.body["error"]["reason"], reason, "{}", reply.text);
}

/// A 422 validation_error naming `field` (when given).
#[track_caller]
fn assert_invalid(reply: &Reply, field: Option<&str>, what: &str) {
    assert_eq!(reply.status, 422, "{what}: {}", reply.text);
    reply.assert_error(422, "validation_error");
    if let Some(field) = field {
        assert_eq!(reply.error_field(), Some(field), "{what}: {}", reply.text);
    }
}

/// The contract names the secret's own path in `required_scope` (`secrets:read:x/y`); the
/// rest of the API names the namespace (`secrets:read:x/*`, see `tokens.rs`). Either one is a
/// scope that would have allowed the call; anything else is wrong.
#[track_caller]
fn assert_required_scope(reply: &Reply, action: &str, path: &str) {
    let namespace = path
        .rsplit_once('/')
        .map_or_else(|| path.to_owned(), |(ns, _)| format!("{ns}/*"));
    let named = reply.body["error"]["required_scope"].as_str().unwrap_or("");
    assert!(
        named == format!("secrets:{action}:{path}")
            || named == format!("secrets:{action}:{namespace}"),
        "required_scope names secrets:{action}:{path}: {}",
        reply.text
    );
}

/// The base64 characters that encode only bytes of `value` when it starts `offset` bytes into
/// a longer string: whatever surrounds it, a redactor must find these.
fn base64_cores(value: &str) -> Vec<String> {
    let len = value.len();
    let mut cores = Vec::new();
    for offset in 0..3 {
        let mut bytes = vec![b'x'; offset];
        bytes.extend_from_slice(value.as_bytes());
        let first = offset.div_ceil(3);
        let end = (offset + len) / 3;
        for encoded in [STANDARD.encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes)] {
            if let Some(core) = encoded.get(first * 4..end * 4) {
                cores.push(core.to_owned());
            }
        }
    }
    cores
}

/// Every form of `value` the broker must redact: plain, JSON-escaped, base64 (both alphabets,
/// any alignment), percent-encoded (upper and lower hex, `%20` and `+` for a space).
fn traces(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut forms = vec![
        value.to_owned(),
        json.trim_matches('"').to_owned(),
        percent_encode(value, true, false),
        percent_encode(value, true, true),
        percent_encode(value, false, false),
        percent_encode(value, false, true),
    ];
    forms.extend(base64_cores(value));
    forms
}

/// No form of `value` anywhere in the broker's answer: its JSON, the upstream body it carries,
/// the upstream headers.
#[track_caller]
fn assert_no_trace(reply: &Reply, value: &str) {
    let body = reply.body["body"].as_str().unwrap_or("").to_owned();
    let headers = reply.body["headers"].to_string();
    for form in traces(value) {
        for (part, text) in [
            ("reply", &reply.text),
            ("body", &body),
            ("headers", &headers),
        ] {
            assert!(
                !text.contains(&form),
                "{part} carries {form:?} (a form of the value): {}",
                reply.text
            );
        }
    }
}

/// The `secret.used` events of one call, once all are written (and none is `unfinished`).
fn used_events(ctx: &Ctx, key: &str, correlation_id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = ctx.api().get(
            &format!("/v1/audit?correlation_id={correlation_id}&limit=100"),
            Some(key),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        let events: Vec<Value> = reply.body["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["type"] == "secret.used")
            .cloned()
            .collect();
        let settled = events
            .iter()
            .all(|e| e["details"]["outcome"] != "unfinished");
        if events.len() >= count && settled {
            assert_eq!(events.len(), count, "{events:?}");
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "{count} secret.used events for {correlation_id} in 15 s: {events:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn a_use_token_sends_the_value_upstream_and_never_sees_it(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = secret_value("broker-use");
    store(ctx, &key, "svc/echo/key", &value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:svc/*"}));

    let path = format!("/echo/{}", unique("use"));
    let reply = proxy(ctx, &user, &bearer_call(ctx, &path, "KEY", "svc/echo/key"));
    let answer = answered(&reply);
    // The upstream got the value, exactly as the header template said.
    let got = ctx.echo.received(&path);
    assert_eq!(got.len(), 1, "one upstream request: {got:?}");
    assert_eq!(got[0].method, "GET");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {value}").as_str())
    );
    // The caller got the upstream's answer with the value redacted in the body and headers.
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body_encoding"], "utf-8");
    assert!(
        reply.body["body"]
            .as_str()
            .is_some_and(|b| b.contains("[REDACTED]")),
        "{}",
        reply.text
    );
    let echo = echoed(&reply);
    assert_eq!(echo["path"], path.as_str());
    assert_eq!(echo["headers"]["authorization"], "Bearer [REDACTED]");
    assert_eq!(
        answer["headers"]["x-echo-authorization"],
        "Bearer [REDACTED]"
    );
    assert_eq!(answer["headers"]["x-echo-repeat"], "one, two", "joined");
    assert!(
        answer["headers"]["content-type"]
            .as_str()
            .is_some_and(|c| c.starts_with("application/json")),
        "lower-case names: {}",
        reply.text
    );
    // Once in the echoed body, once in the echoed header.
    assert!(redacted(&reply) >= 2, "{}", reply.text);
    assert_no_trace(&reply, &value);

    // Use is not read: the value cannot be had directly, by field or through Vault.
    let read = api.get_secret(&user, "svc/echo/key");
    read.assert_error(403, "permission_denied");
    assert_required_scope(&read, "read", "svc/echo/key");
    assert!(!read.text.contains(&value), "{}", read.text);
    api.get_fields(&user, "svc/echo/key")
        .assert_error(403, "permission_denied");
    let vault = api.send(
        "GET",
        "/v1/secret/data/svc/echo/key",
        None,
        &[("X-Vault-Token", &user)],
        Body::None,
    );
    assert_eq!(vault.status, 403, "{}", vault.text);
    assert!(!vault.text.contains(&value));

    // Read is not use: a reader cannot have the broker send the value anywhere.
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:svc/*"}));
    let denied_path = format!("/echo/{}", unique("read-only"));
    let denied = proxy(
        ctx,
        &reader,
        &bearer_call(ctx, &denied_path, "KEY", "svc/echo/key"),
    );
    denied.assert_error(403, "permission_denied");
    assert_required_scope(&denied, "use", "svc/echo/key");
    assert_eq!(
        denied.body["error"]["path"], "svc/echo/key",
        "{}",
        denied.text
    );
    assert!(ctx.echo.received(&denied_path).is_empty(), "nothing sent");
    assert_eq!(api.get_secret(&reader, "svc/echo/key").status, 200);

    // `secrets:*:<glob>` covers both.
    let (both, _) = mint(ctx, &key, json!({"scope": "secrets:*:svc/*"}));
    let both_path = format!("/echo/{}", unique("both"));
    answered(&proxy(
        ctx,
        &both,
        &bearer_call(ctx, &both_path, "KEY", "svc/echo/key"),
    ));
    assert_eq!(ctx.echo.received(&both_path).len(), 1);
    assert_eq!(api.get_secret(&both, "svc/echo/key").status, 200);
    // A use scope elsewhere does not reach this secret.
    let (elsewhere, _) = mint(ctx, &key, json!({"scope": "secrets:use:other/*"}));
    let far = proxy(
        ctx,
        &elsewhere,
        &bearer_call(ctx, &denied_path, "KEY", "svc/echo/key"),
    );
    far.assert_error(403, "permission_denied");
    assert!(ctx.echo.received(&denied_path).is_empty(), "nothing sent");
}

fn placeholders_fill_query_headers_body_and_fields_in_one_pass(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Characters the query must encode: a space, `&`, `=`, `+`, `/`, `?`, `#`.
    let query_value = secret_value("q a&b=c+d/e?f#g");
    // A value that looks like a placeholder of another declared secret: sent as it is.
    let nested_value = format!("{}{{{{OTHER}}}}", secret_value("nested"));
    let other_value = secret_value("other");
    let field_value = secret_value("field");
    store(ctx, &key, "app/query", &query_value);
    store(ctx, &key, "app/nested", &nested_value);
    store(ctx, &key, "app/other", &other_value);
    store_body(
        ctx,
        &key,
        json!({"path": "app/db", "fields": {"password": field_value}, "allowed_hosts": loopback()}),
    );
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:app/*"}));

    let path = format!("/echo/{}", unique("fill"));
    let reply = proxy(
        ctx,
        &user,
        &json!({
            "method": "POST",
            "url": format!("{}{path}?a=1&key={{{{QUERY}}}}&b=2", ctx.echo.base_url),
            "headers": {
                "X-Nested": "{{NESTED}}",
                "X-Password": "{{PASSWORD}}",
                "Content-Type": "text/plain",
            },
            "body": "other={{OTHER}};query={{QUERY}}",
            "secrets": {
                "QUERY": "app/query",
                "NESTED": "app/nested",
                "OTHER": "app/other",
                "PASSWORD": "app/db#password",
            },
        }),
    );
    let answer = answered(&reply);
    assert_eq!(answer["status"], 200);
    let got = ctx.echo.received(&path);
    assert_eq!(got.len(), 1, "{got:?}");
    let got = &got[0];
    assert_eq!(got.method, "POST");
    // The query value was percent-encoded: it arrives whole, the other parameters intact.
    assert_eq!(
        got.query_pairs(),
        vec![
            ("a".to_owned(), "1".to_owned()),
            ("key".to_owned(), query_value.clone()),
            ("b".to_owned(), "2".to_owned()),
        ],
        "raw query {:?}",
        got.query
    );
    assert!(!got.query.contains(' ') && !got.query.contains('#'));
    // One pass: `{{OTHER}}` inside a value is not replaced.
    assert_eq!(got.header("x-nested"), Some(nested_value.as_str()));
    assert!(nested_value.ends_with("{{OTHER}}"));
    // `path#field` substitutes that field.
    assert_eq!(got.header("x-password"), Some(field_value.as_str()));
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert_eq!(
        got.body_text(),
        format!("other={other_value};query={query_value}")
    );
    // All four come back redacted.
    for value in [&query_value, &nested_value, &other_value, &field_value] {
        assert_no_trace(&reply, value);
    }
    let echo = echoed(&reply);
    assert_eq!(echo["headers"]["x-nested"], "[REDACTED]", "{echo}");
    assert_eq!(echo["headers"]["x-password"], "[REDACTED]", "{echo}");
    assert_eq!(echo["body"], "other=[REDACTED];query=[REDACTED]", "{echo}");
    // The query as the upstream saw it (percent-encoded) is redacted too.
    assert!(
        echo["query"]
            .as_str()
            .is_some_and(|q| q.contains("[REDACTED]") && q.starts_with("a=1&key=")),
        "{echo}"
    );
    assert!(redacted(&reply) >= 5, "{}", reply.text);
}

fn malformed_calls_are_refused_before_any_upstream_request(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let value = secret_value("malformed");
    store(ctx, &key, "m/k", &value);
    // A value that would split a header: fine in a body, refused in a header.
    let crlf_value = format!("{}\r\nX-Injected: yes", secret_value("crlf"));
    store(ctx, &key, "m/crlf", &crlf_value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:m/*"}));
    let prefix = format!("/echo/{}", unique("bad"));
    let url = format!("{}{prefix}/x", ctx.echo.base_url);
    // A valid call; each case changes one thing.
    let valid = json!({
        "method": "GET",
        "url": url,
        "headers": {"X-Key": "{{K}}"},
        "secrets": {"K": "m/k"},
    });
    let with = |member: &str, value: Value| {
        let mut body = valid.clone();
        body[member] = value;
        body
    };
    let without = |member: &str| {
        let mut body = valid.clone();
        body.as_object_mut().map(|o| o.remove(member));
        body
    };
    let headers_with = |name: &str, value: &str| {
        let mut headers = json!({"X-Key": "{{K}}"});
        headers[name] = value.into();
        with("headers", headers)
    };
    let port = ctx.echo.port;
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        // Placeholders naming no declared secret, where they were found.
        (
            "undeclared in the body",
            with("body", json!("{{NOPE}}")),
            Some("body"),
        ),
        (
            "undeclared in a header",
            headers_with("X-Other", "{{NOPE}}"),
            Some("headers"),
        ),
        (
            "undeclared in the query",
            with("url", json!(format!("{url}?x={{{{NOPE}}}}"))),
            Some("url"),
        ),
        // A declared secret no placeholder uses.
        (
            "declared and unused",
            with("secrets", json!({"K": "m/k", "UNUSED": "m/k"})),
            Some("secrets"),
        ),
        // Placeholders outside the query.
        (
            "placeholder in the path",
            with("url", json!(format!("{url}/{{{{K}}}}"))),
            None,
        ),
        (
            "placeholder in the host",
            with(
                "url",
                json!(format!("http://{{{{K}}}}.example:{port}{prefix}/x")),
            ),
            None,
        ),
        // The members' shapes.
        ("no method", without("method"), Some("method")),
        ("TRACE", with("method", json!("TRACE")), Some("method")),
        ("no url", without("url"), Some("url")),
        (
            "relative url",
            with("url", json!(format!("{prefix}/x"))),
            Some("url"),
        ),
        ("no secrets", without("secrets"), Some("secrets")),
        ("empty secrets", with("secrets", json!({})), Some("secrets")),
        (
            "bad secret name",
            json!({"method": "GET", "url": url, "headers": {"X-Key": "{{9K}}"}, "secrets": {"9K": "m/k"}}),
            Some("secrets"),
        ),
        (
            "body not a string",
            with("body", json!({"k": "{{K}}"})),
            Some("body"),
        ),
        (
            "timeout 0",
            with("timeout_seconds", json!(0)),
            Some("timeout_seconds"),
        ),
        (
            "timeout 31",
            with("timeout_seconds", json!(31)),
            Some("timeout_seconds"),
        ),
        // Headers the broker sets or that would spoof the caller or Latchkey.
        (
            "Host",
            headers_with("Host", "evil.example"),
            Some("headers"),
        ),
        (
            "Content-Length",
            headers_with("Content-Length", "5"),
            Some("headers"),
        ),
        (
            "Transfer-Encoding",
            headers_with("Transfer-Encoding", "chunked"),
            Some("headers"),
        ),
        (
            "Connection",
            headers_with("Connection", "upgrade"),
            Some("headers"),
        ),
        (
            "Proxy-Authorization",
            headers_with("Proxy-Authorization", "Basic eA=="),
            Some("headers"),
        ),
        (
            "CF-Connecting-IP",
            headers_with("CF-Connecting-IP", "10.0.0.1"),
            Some("headers"),
        ),
        (
            "X-Forwarded-For",
            headers_with("X-Forwarded-For", "10.0.0.1"),
            Some("headers"),
        ),
        (
            "X-Real-IP",
            headers_with("X-Real-IP", "10.0.0.1"),
            Some("headers"),
        ),
        (
            "X-Latchkey-Purpose",
            headers_with("X-Latchkey-Purpose", "smuggled"),
            Some("headers"),
        ),
        // CR or LF from a value into a header.
        (
            "CR LF value in a header",
            json!({"method": "GET", "url": url, "headers": {"X-Key": "{{C}}"}, "secrets": {"C": "m/crlf"}}),
            None,
        ),
    ];
    for (what, body, field) in cases {
        let reply = proxy(ctx, &user, &body);
        assert_invalid(&reply, field, what);
        assert!(!reply.text.contains(&value), "{what}: {}", reply.text);
    }
    assert!(
        ctx.echo.received(&prefix).is_empty(),
        "no malformed call reached the upstream: {:?}",
        ctx.echo.received(&prefix)
    );
    // The same CR LF value is fine in a body, and the valid call itself goes through.
    let body_path = format!("{prefix}/crlf-body");
    let in_body = proxy(
        ctx,
        &user,
        &json!({
            "method": "POST",
            "url": format!("{}{body_path}", ctx.echo.base_url),
            "body": "{{C}}",
            "secrets": {"C": "m/crlf"},
        }),
    );
    answered(&in_body);
    let got = ctx.echo.received(&body_path);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body_text(), crlf_value);
    assert!(got[0].header("x-injected").is_none());
    assert_no_trace(&in_body, &crlf_value);
    answered(&proxy(ctx, &user, &valid));
    assert_eq!(ctx.echo.received(&format!("{prefix}/x")).len(), 1);
}

fn every_encoding_of_a_value_is_redacted(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Runs of `>` and `?` put `+` and `/` into its base64 at every alignment; the space, `/`,
    // `+`, `?`, `&` and `=` change under percent-encoding.
    let value = secret_value("enc ?/+&= >>>>>?????");
    let std = STANDARD.encode(&value);
    let url = URL_SAFE_NO_PAD.encode(&value);
    assert!(
        std.contains('+') && std.contains('/') && std.trim_end_matches('=') != url,
        "the value's base64 differs between the alphabets"
    );
    assert_ne!(
        percent_encode(&value, true, false),
        percent_encode(&value, false, true),
        "the value's percent-encodings differ in case and space"
    );
    store(ctx, &key, "enc/k", &value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:enc/*"}));
    let path = format!("/echo-b64/{}", unique("b64"));
    let reply = proxy(
        ctx,
        &user,
        &json!({
            "method": "GET",
            "url": format!("{}{path}", ctx.echo.base_url),
            "headers": {"Authorization": "{{K}}"},
            "secrets": {"K": "enc/k"},
        }),
    );
    answered(&reply);
    let got = ctx.echo.received(&path);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("authorization"), Some(value.as_str()));
    // Each line of the upstream's answer held one encoded form: each is redacted.
    let body = reply.body["body"].as_str().expect("text body");
    let forms = encoded_forms(&value);
    // (Each base64 line holds one of the runs `assert_no_trace` looks for, so that check
    // covers these lines.)
    let cores = base64_cores(&value);
    for (name, form) in forms.iter().filter(|(name, _)| !name.starts_with("pct")) {
        assert!(
            cores.iter().any(|core| form.contains(core.as_str())),
            "{name}: {form} holds a base64 run of the value"
        );
    }
    for (name, form) in &forms {
        let line = body
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("line {name} in {body}"));
        assert!(line.contains("[REDACTED]"), "{name} not redacted: {line}");
        assert!(!reply.text.contains(form.as_str()), "{name} survived whole");
    }
    assert_no_trace(&reply, &value);
    assert!(
        redacted(&reply) >= forms.len() as u64,
        "one redaction per form: {}",
        reply.text
    );
}

fn allowed_hosts_refuse_other_hosts_methods_and_paths(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let base = format!("/echo/{}", unique("acl"));
    let allowed = format!("{base}/allowed");
    let ruled = secret_value("ruled");
    let unruled = secret_value("unruled");
    store_body(
        ctx,
        &key,
        json!({"path": "acl/ruled", "value": ruled, "allowed_hosts": [
            {"host": "127.0.0.1", "path_prefix": allowed, "methods": ["GET"]},
            {"host": "10.0.0.1"},
            {"host": "example.com"},
            {"host": "*.example.org"},
        ]}),
    );
    store_body(ctx, &key, json!({"path": "acl/unruled", "value": unruled}));
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:acl/*"}));
    let call = |method: &str, url: String, secret: &str| {
        proxy(
            ctx,
            &user,
            &json!({
                "method": method,
                "url": url,
                "headers": {"Authorization": "Bearer {{K}}"},
                "secrets": {"K": secret},
            }),
        )
    };
    let echo = |path: &str| format!("{}{path}", ctx.echo.base_url);

    // What the rule allows goes through: the prefix itself and below it, on any port.
    answered(&call("GET", echo(&allowed), "acl/ruled"));
    answered(&call("GET", echo(&format!("{allowed}/x")), "acl/ruled"));

    // No allowed_hosts: no use at all, and the message says what to set.
    let none = call("GET", echo(&format!("{allowed}/x")), "acl/unruled");
    assert_refused(&none, "no_allowed_hosts");
    assert!(
        none.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("allowed_hosts")),
        "{}",
        none.text
    );
    let refusals = [
        (
            "another method",
            call("POST", echo(&format!("{allowed}/x")), "acl/ruled"),
            "method_not_allowed",
        ),
        (
            "outside the prefix",
            call("GET", echo(&format!("{base}/other")), "acl/ruled"),
            "path_not_allowed",
        ),
        (
            "not on a segment boundary",
            call("GET", echo(&format!("{allowed}x")), "acl/ruled"),
            "path_not_allowed",
        ),
        (
            "dot-dot out of the prefix",
            call("GET", echo(&format!("{allowed}/../other")), "acl/ruled"),
            "path_not_allowed",
        ),
        (
            "encoded dot-dot out of the prefix",
            call("GET", echo(&format!("{allowed}/%2e%2e/other")), "acl/ruled"),
            "path_not_allowed",
        ),
        (
            "the same server by another name",
            call(
                "GET",
                ctx.echo.url_on("localhost", &format!("{allowed}/x")),
                "acl/ruled",
            ),
            "host_not_allowed",
        ),
        (
            "a wildcard does not match its apex",
            call("GET", "https://example.org/".to_owned(), "acl/ruled"),
            "host_not_allowed",
        ),
        (
            "a wildcard matches one label only",
            call("GET", "https://a.b.example.org/".to_owned(), "acl/ruled"),
            "host_not_allowed",
        ),
        // Allowed by the secret, refused by the broker: private or plain-text destinations
        // unless PROXY_INSECURE_HOSTS lists them.
        (
            "a private address",
            call("GET", "https://10.0.0.1/".to_owned(), "acl/ruled"),
            "private_address",
        ),
        (
            "plain http",
            call("GET", "http://example.com/".to_owned(), "acl/ruled"),
            "insecure_scheme",
        ),
    ];
    for (what, reply, reason) in refusals {
        assert_eq!(reply.status, 403, "{what}: {}", reply.text);
        assert_refused(&reply, reason);
        assert!(!reply.text.contains(&ruled), "{what}: {}", reply.text);
    }
    // Only the two allowed calls reached the upstream.
    let paths: Vec<String> = ctx
        .echo
        .received(&base)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths, vec![allowed.clone(), format!("{allowed}/x")]);
}

fn allowed_hosts_are_stored_shown_and_validated(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = secret_value("meta");
    let created = api.create_secret(
        &key,
        &json!({"path": "meta/k", "value": value, "allowed_hosts": [
            {"host": "API.Example.com", "path_prefix": "/v1/", "methods": ["GET", "POST"]},
            {"host": "*.example.net"},
            {"host": "::1"},
        ]}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let hosts = |reply: &Reply| -> Vec<String> {
        reply.body["allowed_hosts"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| r["host"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let read = api.get_secret(&key, "meta/k");
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        hosts(&read),
        ["api.example.com", "*.example.net", "::1"],
        "host names are lower-cased: {}",
        read.text
    );
    assert_eq!(read.body["allowed_hosts"][0]["path_prefix"], "/v1/");
    assert_eq!(
        read.body["allowed_hosts"][0]["methods"],
        json!(["GET", "POST"])
    );
    let listed = api.get("/v1/secrets?namespace=meta", Some(&key));
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.body["items"][0]["allowed_hosts"][0]["host"], "api.example.com",
        "{}",
        listed.text
    );
    // An update without the member keeps it; `[]` and `null` clear it.
    let kept = api.update_secret(&key, "meta/k", &json!({"value": value}), None);
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(hosts(&api.get_secret(&key, "meta/k")).len(), 3);
    let cleared = api.update_secret(
        &key,
        "meta/k",
        &json!({"value": value, "allowed_hosts": []}),
        None,
    );
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    let read = api.get_secret(&key, "meta/k");
    assert!(
        read.body.get("allowed_hosts").is_none(),
        "absent when empty: {}",
        read.text
    );
    assert_eq!(read.body["value"], value.as_str(), "the value is kept");
    let set = api.update_secret(
        &key,
        "meta/k",
        &json!({"value": value, "allowed_hosts": [{"host": "127.0.0.1"}]}),
        None,
    );
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(hosts(&api.get_secret(&key, "meta/k")), ["127.0.0.1"]);
    let nulled = api.update_secret(
        &key,
        "meta/k",
        &json!({"value": value, "allowed_hosts": null}),
        None,
    );
    assert_eq!(nulled.status, 200, "{}", nulled.text);
    assert!(
        api.get_secret(&key, "meta/k")
            .body
            .get("allowed_hosts")
            .is_none()
    );
    // Writing a value is not enough to choose where the secret (and its fields) may go:
    // changing allowed_hosts needs an admin; sending the stored rules back unchanged does not.
    let (writer, _) = mint(ctx, &key, json!({"scope": "secrets:write:meta/*"}));
    let widened = api.update_secret(
        &writer,
        "meta/k",
        &json!({"value": value, "allowed_hosts": [{"host": "attacker.example"}]}),
        None,
    );
    widened.assert_error(403, "permission_denied");
    assert_eq!(
        widened.body["error"]["required_scope"], "admin",
        "{}",
        widened.text
    );
    let restated = api.update_secret(
        &writer,
        "meta/k",
        &json!({"value": value, "allowed_hosts": null}),
        None,
    );
    assert_eq!(restated.status, 200, "{}", restated.text);
    // Generated secrets take them too.
    let generated = api.generate(
        &key,
        &json!({"path": "meta/gen", "allowed_hosts": [{"host": "api.example.com"}]}),
    );
    assert_eq!(generated.status, 201, "{}", generated.text);
    assert_eq!(
        hosts(&api.get_secret(&key, "meta/gen")),
        ["api.example.com"]
    );

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"host": format!("h{i}.example.com")}))
        .collect();
    let bad_rules = [
        ("21 rules", json!(too_many)),
        ("a scheme", json!([{"host": "https://api.example.com"}])),
        ("a port", json!([{"host": "127.0.0.1:8080"}])),
        ("brackets", json!([{"host": "[::1]"}])),
        ("an empty host", json!([{"host": ""}])),
        ("no host", json!([{"path_prefix": "/v1"}])),
        ("two wildcard labels", json!([{"host": "*.*.example.com"}])),
        (
            "a relative prefix",
            json!([{"host": "api.example.com", "path_prefix": "v1/"}]),
        ),
        (
            "methods not a list",
            json!([{"host": "api.example.com", "methods": "GET"}]),
        ),
        ("not a list", json!({"host": "api.example.com"})),
    ];
    for (what, rules) in bad_rules {
        let create = api.create_secret(
            &key,
            &json!({"path": "meta/bad", "value": "v", "allowed_hosts": rules}),
        );
        create.assert_error(422, "validation_error");
        assert!(
            create
                .error_field()
                .is_some_and(|f| f.starts_with("allowed_hosts")),
            "{what}: {}",
            create.text
        );
        let update = api.update_secret(
            &key,
            "meta/k",
            &json!({"value": value, "allowed_hosts": rules}),
            None,
        );
        update.assert_error(422, "validation_error");
    }
    api.get_secret(&key, "meta/bad")
        .assert_error(404, "not_found");
    assert!(
        api.get_secret(&key, "meta/k")
            .body
            .get("allowed_hosts")
            .is_none(),
        "refused updates changed nothing"
    );
}

fn redirects_come_back_unfollowed_and_redacted(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let value = secret_value("redirect");
    store(ctx, &key, "r/k", &value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:r/*"}));
    let id = unique("redirect");
    // The echo server carries the query into `Location`, so the value is in it.
    let reply = proxy(
        ctx,
        &user,
        &json!({
            "method": "GET",
            "url": format!("{}/redirect/{id}?k={{{{K}}}}", ctx.echo.base_url),
            "secrets": {"K": "r/k"},
        }),
    );
    let answer = answered(&reply);
    assert_eq!(answer["status"], 302, "{}", reply.text);
    let location = answer["headers"]["location"].as_str().expect("location");
    assert!(
        location.starts_with(&format!("{}/landing/{id}", ctx.echo.base_url)),
        "{location}"
    );
    assert!(location.contains("[REDACTED]"), "{location}");
    assert_no_trace(&reply, &value);
    let redirected = ctx.echo.received(&format!("/redirect/{id}"));
    assert_eq!(redirected.len(), 1);
    assert_eq!(redirected[0].query_param("k").as_deref(), Some(&*value));
    // Give a follower time to have followed, then check nobody did.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        ctx.echo.received(&format!("/landing/{id}")).is_empty(),
        "the redirect was followed"
    );
}

fn request_size_and_secret_count_are_limited(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Every size limit is on the request as written, never on the values (a refusal that
    // depended on a value's size would tell its length): a value near the 64 KiB limit, 16
    // copies (the most placeholders a call may hold) and padding to 1 MiB as written is
    // sent, well over 1 MiB rendered; 17 placeholders, or a body over 1 MiB as written, is not.
    let marker = secret_value("big");
    let big = format!("{marker}{}", "x".repeat(60_000 - marker.len()));
    store(ctx, &key, "lim/big", &big);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:lim/*"}));
    let prefix = format!("/status/200/{}", unique("limits"));
    let url = format!("{}{prefix}", ctx.echo.base_url);
    let filled = |copies: usize, written: usize| {
        let placeholders = "{{BIG}}".repeat(copies);
        let padding = "p".repeat(written - placeholders.len());
        json!({
            "method": "POST",
            "url": url,
            "body": format!("{placeholders}{padding}"),
            "secrets": {"BIG": "lim/big"},
        })
    };
    let over = proxy(ctx, &user, &filled(1, LIMIT_BYTES as usize + 1));
    over.assert_error(422, "validation_error");
    assert_eq!(over.error_field(), Some("body"), "{}", over.text);
    assert_eq!(over.body["error"]["limit_bytes"], LIMIT_BYTES);
    assert!(!over.text.contains(&marker));
    let many = proxy(ctx, &user, &filled(17, 17 * 7));
    assert_invalid(&many, Some("body"), "17 placeholders");
    assert!(ctx.echo.received(&prefix).is_empty(), "nothing sent");
    let under = proxy(ctx, &user, &filled(16, LIMIT_BYTES as usize));
    assert_eq!(answered(&under)["status"], 200);
    let got = ctx.echo.received(&prefix);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].body.len(),
        LIMIT_BYTES as usize - 16 * 7 + 16 * 60_000
    );

    // At most five secrets a call.
    let mut secrets = serde_json::Map::new();
    let mut body = String::new();
    for i in 0..6 {
        let path = format!("lim/s{i}");
        store(ctx, &key, &path, &secret_value(&format!("six-{i}")));
        secrets.insert(format!("S{i}"), path.into());
        body.push_str(&format!("{{{{S{i}}}}}"));
    }
    let six_prefix = format!("/echo/{}", unique("six"));
    let six = proxy(
        ctx,
        &user,
        &json!({
            "method": "POST",
            "url": format!("{}{six_prefix}", ctx.echo.base_url),
            "body": body,
            "secrets": secrets,
        }),
    );
    assert_invalid(&six, Some("secrets"), "six secrets");
    assert!(ctx.echo.received(&six_prefix).is_empty(), "nothing sent");
}

fn upstream_outcomes_are_reported_and_audited(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let value = secret_value("outcomes");
    store(ctx, &key, "up/k", &value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:up/*"}));
    let id = unique("up");
    let call = |url: String, timeout: Option<u64>| {
        let mut body = json!({
            "method": "GET",
            "url": url,
            "headers": {"Authorization": "Bearer {{K}}"},
            "secrets": {"K": "up/k"},
        });
        if let Some(timeout) = timeout {
            body["timeout_seconds"] = timeout.into();
        }
        traced(ctx, &user, None, &body)
    };
    let echo = |path: String| format!("{}{path}", ctx.echo.base_url);
    let outcome = |correlation_id: &str| {
        let events = used_events(ctx, &key, correlation_id, 1);
        events[0]["details"]["outcome"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };

    // An upstream error status is the upstream's answer, not the broker's.
    let (failed, failed_id) = call(echo(format!("/status/500/{id}")), None);
    let answer = answered(&failed);
    assert_eq!(answer["status"], 500, "{}", failed.text);
    let inner: Value =
        serde_json::from_str(answer["body"].as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(inner, json!({"status": 500}));
    assert_eq!(outcome(&failed_id), "completed");

    // A body that is not UTF-8 comes back as base64.
    let (binary, _) = call(echo(format!("/binary/{id}")), None);
    let answer = answered(&binary);
    assert_eq!(answer["body_encoding"], "base64", "{}", binary.text);
    assert_eq!(
        STANDARD
            .decode(answer["body"].as_str().unwrap_or(""))
            .expect("base64 body"),
        BINARY_BODY
    );

    // Over 1 MiB from the upstream: refused, with the limit.
    let (big, big_id) = call(echo(format!("/big/{id}")), None);
    big.assert_error(400, "invalid_request");
    assert_eq!(
        big.body["error"]["limit_bytes"], LIMIT_BYTES,
        "{}",
        big.text
    );
    assert!(BIG_BODY_BYTES as u64 > LIMIT_BYTES);
    assert_eq!(outcome(&big_id), "response_too_large");

    // Slower than timeout_seconds: 504, well before the upstream answers.
    let started = Instant::now();
    let (slow, slow_id) = call(echo(format!("/slow/{id}")), Some(1));
    let waited = started.elapsed();
    slow.assert_error(504, "upstream_timeout");
    assert!(waited < SLOW_DELAY, "the timeout applied: {waited:?}");
    assert_eq!(outcome(&slow_id), "timeout");

    // Nobody listening: 502.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let (down, down_id) = call(format!("http://127.0.0.1:{closed}/echo/{id}"), None);
    down.assert_error(502, "upstream_error");
    assert_eq!(outcome(&down_id), "upstream_error");

    for reply in [&failed, &binary, &big, &slow, &down] {
        assert!(!reply.text.contains(&value), "{}", reply.text);
    }
    // Each call reached the upstream once (no retries), the unreachable one aside.
    for path in ["/status/500/", "/binary/", "/big/", "/slow/"] {
        assert_eq!(
            ctx.echo.received(&format!("{path}{id}")).len(),
            1,
            "{path}: one request"
        );
    }
}

fn max_uses_counts_one_use_per_call(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    store(ctx, &key, "mu/a", &secret_value("max-uses-a"));
    store(ctx, &key, "mu/b", &secret_value("max-uses-b"));
    let (user, _) = mint(
        ctx,
        &key,
        json!({"scope": "secrets:use:mu/*", "max_uses": 2}),
    );
    let prefix = format!("/echo/{}", unique("max-uses"));
    // Two secrets a call: one use each call all the same.
    let call = |n: u32| {
        proxy(
            ctx,
            &user,
            &json!({
                "method": "GET",
                "url": format!("{}{prefix}/{n}", ctx.echo.base_url),
                "headers": {"X-A": "{{A}}", "X-B": "{{B}}"},
                "secrets": {"A": "mu/a", "B": "mu/b"},
            }),
        )
    };
    answered(&call(1));
    answered(&call(2));
    // Used up: refused like every other request with the token (see tokens.rs).
    let third = call(3);
    third.assert_error(401, "unauthorized");
    assert!(third.text.contains("max_uses"), "{}", third.text);
    assert_eq!(ctx.echo.received(&prefix).len(), 2);
    let listed = ctx.api().list_tokens(&key);
    assert_eq!(listed.body["tokens"][0]["uses"], 2, "{}", listed.text);
}

fn calls_are_audited_with_purpose_and_without_values(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let value_a = secret_value("audit-a");
    let value_b = secret_value("audit-b");
    store(ctx, &key, "aud/a", &value_a);
    store(ctx, &key, "aud/b", &value_b);
    let (user, user_id) = mint(
        ctx,
        &key,
        json!({"scope": "secrets:use:aud/*", "description": "broker agent"}),
    );
    let path = format!("/echo/{}", unique("audited"));
    // A query marker: the query string must stay out of the trail.
    let marker = unique("querymarker");
    let (reply, call_id) = traced(
        ctx,
        &user,
        Some("triage"),
        &json!({
            "method": "POST",
            "url": format!("{}{path}?m={marker}&k={{{{A}}}}", ctx.echo.base_url),
            "headers": {"X-B": "{{B}}"},
            "body": "{}",
            "secrets": {"A": "aud/a", "B": "aud/b"},
        }),
    );
    answered(&reply);
    // One event per secret used, both of the same call.
    let events = used_events(ctx, &key, &call_id, 2);
    let mut names = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for event in &events {
        assert_eq!(event["success"], true, "{event}");
        assert_eq!(event["actor"], format!("token:{user_id}"), "{event}");
        assert_eq!(event["correlation_id"], call_id.as_str());
        let details = &event["details"];
        assert_eq!(details["method"], "POST", "{event}");
        assert!(
            details["host"]
                .as_str()
                .is_some_and(|h| h.starts_with("127.0.0.1")),
            "{event}"
        );
        assert_eq!(details["url_path"], path.as_str(), "no query: {event}");
        assert_eq!(details["upstream_status"], 200, "{event}");
        assert!(details["duration_ms"].is_u64(), "{event}");
        assert_eq!(details["purpose"], "triage", "{event}");
        assert_eq!(details["outcome"], "completed", "{event}");
        assert!(details["call_id"].is_string(), "{event}");
        assert_eq!(details["call_id"], events[0]["details"]["call_id"]);
        names.insert(details["name"].as_str().unwrap_or("").to_owned());
        paths.insert(event["path"].as_str().unwrap_or("").to_owned());
    }
    assert_eq!(names, BTreeSet::from(["A".to_owned(), "B".to_owned()]));
    assert_eq!(
        paths,
        BTreeSet::from(["aud/a".to_owned(), "aud/b".to_owned()])
    );

    // A refused call is recorded as a failure, with its reason.
    let refused_path = format!("/echo/{}", unique("refused"));
    let (refused, refused_id) = traced(
        ctx,
        &user,
        None,
        &json!({
            "method": "GET",
            "url": ctx.echo.url_on("localhost", &refused_path),
            "headers": {"X-A": "{{A}}"},
            "secrets": {"A": "aud/a"},
        }),
    );
    assert_refused(&refused, "host_not_allowed");
    let events = used_events(ctx, &key, &refused_id, 1);
    assert_eq!(events[0]["success"], false, "{}", events[0]);
    assert_eq!(events[0]["path"], "aud/a");
    assert!(
        events[0].to_string().contains("host_not_allowed"),
        "the reason is recorded: {}",
        events[0]
    );
    assert!(ctx.echo.received(&refused_path).is_empty());

    // The purpose of a plain read is recorded the same way.
    let read_id = unique("req");
    let read = ctx.api().send(
        "GET",
        &format!("/v1/secrets/{}", encode_path("aud/a")),
        Some(&key),
        &[("X-Request-Id", &read_id), (PURPOSE, "triage")],
        Body::None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
    let events = ctx
        .api()
        .get(&format!("/v1/audit?correlation_id={read_id}"), Some(&key));
    let read_event = events.body["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["type"] == "secret.read"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        read_event["details"]["purpose"], "triage",
        "{}",
        events.text
    );

    // Neither value nor the query is anywhere in the trail.
    let all = ctx.api().get("/v1/audit?limit=1000", Some(&key));
    assert_eq!(all.status, 200);
    for needle in [&value_a, &value_b, &marker] {
        assert!(!all.text.contains(needle.as_str()), "{needle} in the trail");
    }
    for value in [&value_a, &value_b] {
        for form in traces(value) {
            assert!(!all.text.contains(&form), "a form of a value in the trail");
        }
    }
    let used = ctx
        .api()
        .get("/v1/audit?type=secret.used&limit=100", Some(&key));
    assert_eq!(
        used.body["events"].as_array().map(Vec::len),
        Some(3),
        "{}",
        used.text
    );
}

fn require_purpose_needs_the_header_for_critical_secrets(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let policies = api.send(
        "PUT",
        "/v1/policies",
        Some(&key),
        &[],
        Body::Json(&json!({"policies": [{"glob": "crit/*", "require_purpose": true}]})),
    );
    assert_eq!(policies.status, 200, "{}", policies.text);
    let shown = api.get("/v1/policies", Some(&key));
    assert_eq!(
        shown.body["policies"][0]["require_purpose"], true,
        "{}",
        shown.text
    );
    let bad = api.send(
        "PUT",
        "/v1/policies",
        Some(&key),
        &[],
        Body::Json(&json!({"policies": [{"glob": "crit/*", "require_purpose": "yes"}]})),
    );
    bad.assert_error(422, "validation_error");

    let critical = secret_value("crit");
    let standard = secret_value("crit-standard");
    let elsewhere = secret_value("crit-elsewhere");
    for (path, value, tier) in [
        ("crit/db", &critical, "critical"),
        ("crit/plain", &standard, "standard"),
        ("other/db", &elsewhere, "critical"),
    ] {
        store_body(
            ctx,
            &key,
            json!({"path": path, "value": value, "tier": tier, "allowed_hosts": loopback()}),
        );
    }
    let read = |path: &str, purpose: Option<&str>| {
        let headers: Vec<(&str, &str)> = purpose.map(|p| (PURPOSE, p)).into_iter().collect();
        api.send(
            "GET",
            &format!("/v1/secrets/{}", encode_path(path)),
            Some(&key),
            &headers,
            Body::None,
        )
    };
    // The master key is cleared for critical secrets; the policy still wants a purpose.
    let bare = read("crit/db", None);
    bare.assert_error(400, "invalid_request");
    assert!(bare.text.contains(PURPOSE), "{}", bare.text);
    assert!(!bare.text.contains(&critical));
    let with = read("crit/db", Some("incident 42"));
    assert_eq!(with.status, 200, "{}", with.text);
    assert_eq!(with.body["value"], critical.as_str());
    // Only critical secrets under the glob.
    assert_eq!(read("crit/plain", None).status, 200);
    assert_eq!(read("other/db", None).status, 200);

    // The broker too.
    let prefix = format!("/echo/{}", unique("purpose"));
    let call = bearer_call(ctx, &prefix, "K", "crit/db");
    let bare = proxy(ctx, &key, &call);
    bare.assert_error(400, "invalid_request");
    assert!(bare.text.contains(PURPOSE), "{}", bare.text);
    assert!(ctx.echo.received(&prefix).is_empty(), "nothing sent");
    let (with, with_id) = traced(ctx, &key, Some("incident 42"), &call);
    answered(&with);
    assert_eq!(ctx.echo.received(&prefix).len(), 1);
    let events = used_events(ctx, &key, &with_id, 1);
    assert_eq!(events[0]["details"]["purpose"], "incident 42");
}

fn another_tenants_paths_are_not_found(ctx: &Ctx) {
    let (_, key_a) = ctx.new_tenant();
    let (_, key_b) = ctx.new_tenant();
    let value_a = secret_value("iso-a");
    store(ctx, &key_a, "iso/k", &value_a);
    let (user_b, _) = mint(ctx, &key_b, json!({"scope": "secrets:use:iso/*"}));
    let prefix = format!("/echo/{}", unique("iso"));
    let call = bearer_call(ctx, &prefix, "K", "iso/k");
    for bearer in [&key_b, &user_b] {
        let reply = proxy(ctx, bearer, &call);
        reply.assert_error(404, "not_found");
        assert!(!reply.text.contains(&value_a), "{}", reply.text);
    }
    // A's own missing path is not found either.
    proxy(ctx, &key_a, &bearer_call(ctx, &prefix, "K", "iso/missing"))
        .assert_error(404, "not_found");
    assert!(ctx.echo.received(&prefix).is_empty(), "nothing sent");
    // B's namespace is its own: its secret at the same path sends B's value.
    let value_b = secret_value("iso-b");
    store(ctx, &key_b, "iso/k", &value_b);
    answered(&proxy(ctx, &user_b, &call));
    let got = ctx.echo.received(&prefix);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {value_b}").as_str())
    );
}
