//! The agentsecretstore face (`/ass/v1/…`): the published clients, unchanged, against the real
//! runtime (`@agentsecretstore/sdk` driven from Node, `@agentsecretstore/mcp` over stdio by
//! the Python `mcp` client), and a corpus of the SDK's exact requests for the wire: statuses,
//! the answers' shapes, the error body the clients read, and what is refused.

use crate::Ctx;
use latchkey_e2e::client::Body;
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::{Reply, secret_value, unique};
use serde_json::{Value, json};
use std::process::Command;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "faces_ass::sdk_every_public_method_works_unchanged",
        sdk_every_public_method_works_unchanged,
    ),
    (
        "faces_ass::mcp_server_lists_and_calls_every_tool",
        mcp_server_lists_and_calls_every_tool,
    ),
    (
        "faces_ass::sdk_requests_replayed_answer_as_the_sdk_reads",
        sdk_requests_replayed_answer_as_the_sdk_reads,
    ),
    (
        "faces_ass::bad_input_is_4xx_in_the_face_shape_and_changes_nothing",
        bad_input_is_4xx_in_the_face_shape_and_changes_nothing,
    ),
    (
        "faces_ass::over_the_plan_limit_answers_rate_limited_with_retry_after",
        over_the_plan_limit_answers_rate_limited_with_retry_after,
    ),
];

/// The SDK's headers: the bearer and `Content-Type: application/json`, on every request.
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn base(ctx: &Ctx) -> String {
    format!("{}/ass", ctx.runtime.base_url)
}

fn tool(path: &str) -> std::path::PathBuf {
    let tool = repo_root().join(path);
    assert!(
        tool.exists(),
        "{} is missing: run scripts/setup",
        tool.display()
    );
    tool
}

/// Runs a driver and answers the JSON line it printed.
fn run_driver(command: &mut Command, what: &str) -> Value {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{what} printed no JSON ({e}): {stdout}"))
}

fn token(ctx: &Ctx, key: &str, body: Value) -> String {
    let minted = ctx.api().create_token(key, &body);
    assert_eq!(minted.status, 201, "{}", minted.text);
    minted.body["value"].as_str().expect("token").to_owned()
}

fn sdk_every_public_method_works_unchanged(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let prefix = unique("sdk");
    let limited = token(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:elsewhere/*"], "ttl_seconds": 600}),
    );
    let (one, two, from_env) = (
        secret_value("sdk-one"),
        secret_value("sdk-two"),
        secret_value("sdk-env"),
    );
    let out = run_driver(
        Command::new(tool("node_modules/.bin/node"))
            .arg(tool("tests/ass/sdk.mjs"))
            .current_dir(repo_root())
            .env("ASS_BASE_URL", base(ctx))
            .env("ASS_AGENT_KEY", &key)
            .env("ASS_PREFIX", &prefix)
            .env("ASS_LIMITED_KEY", &limited)
            .env("ASS_VALUE_ONE", &one)
            .env("ASS_VALUE_TWO", &two)
            .env("ASS_VALUE_ENV", &from_env),
        "the SDK driver",
    );
    let ns = format!("{prefix}/app");

    // requestToken: a Latchkey token, 15 minutes, no approval.
    assert_eq!(out["requestToken"]["tokenPrefix"], "lk_tok_", "{out}");
    assert!(
        out["requestToken"]["tokenId"]
            .as_str()
            .is_some_and(|id| id.starts_with("tok_"))
    );
    let ttl = out["requestToken"]["expiresInSeconds"]
        .as_i64()
        .unwrap_or(0);
    assert!((880..=905).contains(&ttl), "ttl {ttl}");
    assert_eq!(out["requestToken"]["requiresApproval"], false);
    assert_eq!(out["requestToken"]["approvalId"], Value::Null);

    // setSecret: SecretWriteResponse, created then updated.
    let created = &out["setSecretCreated"];
    assert_eq!(created["namespace"], ns.as_str(), "{out}");
    assert_eq!(created["key"], "API_KEY");
    assert_eq!(created["version"], 1);
    assert_eq!(created["secret_type"], "api_key");
    assert_eq!(created["access_tier"], "standard");
    assert_eq!(created["metadata"], json!({"team": "ml"}));
    assert!(created["created_at"].is_string());
    // The id is the secret's stable id, the same through an update.
    assert!(
        created["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("sec_")),
        "{out}"
    );
    let updated = &out["setSecretUpdated"];
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["id"], created["id"]);
    // The SDK's defaults: secret_type custom, access_tier standard, metadata null (kept).
    assert_eq!(updated["secret_type"], "custom");
    assert_eq!(updated["metadata"], json!({"team": "ml"}));

    // getSecret and getSecretWithMetadata.
    assert_eq!(out["getSecret"], true, "{out}");
    let read = &out["getSecretWithMetadata"];
    assert_eq!(read["value"], true);
    assert_eq!(read["version"], 2);
    assert_eq!(read["secret_type"], "custom");
    assert_eq!(read["access_tier"], "standard");
    assert_eq!(read["metadata"], json!({"team": "ml"}));

    // importEnv.
    assert_eq!(out["importEnv"]["namespace"], ns.as_str());
    assert_eq!(out["importEnv"]["imported"], json!(["DB_URL", "REDIS_URL"]));
    assert_eq!(out["importEnv"]["imported_count"], 2);
    assert_eq!(out["importedValue"], true);

    // listSecrets of `{prefix}/app` (sent as raw segments) and of `{prefix}`.
    assert_eq!(out["listSecrets"]["namespace"], ns.as_str(), "{out}");
    assert_eq!(
        out["listSecrets"]["keys"],
        json!(["API_KEY", "DB_URL", "REDIS_URL"])
    );
    assert_eq!(out["listTop"]["namespace"], prefix.as_str());
    assert_eq!(
        out["listTop"]["paths"],
        json!([
            format!("{ns}/API_KEY"),
            format!("{ns}/DB_URL"),
            format!("{ns}/REDIS_URL")
        ])
    );

    // deleteSecret, and the errors as the SDK's classes.
    assert_eq!(out["deleted"]["thrown"], "SecretNotFoundError", "{out}");
    assert_eq!(out["deleted"]["status"], 404);
    assert_eq!(out["missing"]["code"], "SECRET_NOT_FOUND");
    assert_eq!(out["approval"]["thrown"], "ApprovalRequiredError", "{out}");
    let approval_id = out["approval"]["approvalId"].as_str().unwrap_or_default();
    assert!(approval_id.starts_with("apr_"), "{out}");
    assert_eq!(out["scope"]["thrown"], "ScopeError", "{out}");
    assert_eq!(out["scope"]["code"], "SCOPE_DENIED");
    assert_eq!(out["auth"]["thrown"], "AuthError", "{out}");
    assert_eq!(
        out["classes"],
        json!({"approval": true, "scope": true, "auth": true, "missing": true})
    );

    // What the SDK wrote is a Latchkey secret: tags, versions, the pending approval.
    let native = api.get_secret(&key, &format!("{ns}/API_KEY"));
    assert_eq!(native.status, 200, "{}", native.text);
    assert_eq!(native.body["value"], two.as_str());
    assert_eq!(
        native.body["tags"],
        json!({"team": "ml", "secret_type": "custom"})
    );
    let deleted = api.get_secret(&key, &format!("{ns}/DB_URL"));
    assert_eq!(deleted.status, 404, "soft-deleted: {}", deleted.text);
    let pending = api.get(&format!("/v1/approvals/{approval_id}"), Some(&key));
    assert_eq!(pending.body["status"], "pending", "{}", pending.text);

    // Audited as the native commands are, marked as the face's, without a value.
    let audit = api.get("/v1/audit?limit=500", Some(&key));
    assert_eq!(audit.status, 200, "{}", audit.text);
    let events = audit.body["events"].as_array().expect("events");
    let face: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e["details"]["api"] == "agentsecretstore")
        .filter_map(|e| e["type"].as_str())
        .collect();
    for wanted in ["secret.created", "secret.updated", "secret.imported"] {
        assert!(face.contains(wanted), "no {wanted} in {face:?}");
    }
    for value in [&one, &two, &from_env] {
        assert!(
            !audit.text.contains(value.as_str()),
            "a value in the audit trail"
        );
    }
}

fn mcp_server_lists_and_calls_every_tool(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let prefix = unique("mcp");
    let value = secret_value("mcp");
    let python = tool(".tmp/venv/bin/python");
    let out = run_driver(
        Command::new(python)
            .arg(tool("tests/ass/mcp_client.py"))
            .current_dir(repo_root())
            .env("ASS_NODE", tool("node_modules/.bin/node"))
            .env(
                "ASS_SERVER",
                tool("node_modules/@agentsecretstore/mcp/bin/run.js"),
            )
            .env("ASS_API_URL", base(ctx))
            .env("ASS_AGENT_KEY", &key)
            .env("ASS_PREFIX", &prefix)
            .env("ASS_VALUE", &value),
        "the MCP client",
    );
    assert_eq!(
        out["tools"],
        json!([
            "delete_secret",
            "get_approval_status",
            "get_secret",
            "list_namespaces",
            "list_secrets",
            "request_token",
            "rotate_secret",
            "set_secret"
        ]),
        "{out}"
    );
    let ns = format!("{prefix}/mcp");
    assert_eq!(out["set_secret"]["namespace"], ns.as_str(), "{out}");
    assert_eq!(out["set_secret"]["key"], "OPENAI_API_KEY");
    assert_eq!(out["set_secret"]["secret_type"], "api_key");
    assert_eq!(out["get_secret"]["value"], value.as_str());
    assert_eq!(out["get_secret"]["version"], 1);
    assert_eq!(out["list_secrets"]["namespace"], ns.as_str());
    assert_eq!(out["list_secrets"]["items"][0]["key"], "OPENAI_API_KEY");
    assert!(
        out["list_secrets"]["items"][0].get("value").is_none(),
        "lists never carry values"
    );
    let namespaces = out["list_namespaces"]["namespaces"]
        .as_array()
        .expect("namespaces");
    assert!(
        namespaces
            .iter()
            .any(|n| n["namespace"] == ns.as_str() && n["secret_count"] == 1),
        "{out}"
    );
    assert!(
        out["request_token"]["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("lk_tok_")),
        "{out}"
    );
    assert_eq!(out["request_token"]["ttl"], "15m");
    assert_eq!(out["delete_secret"]["requires_human_auth"], true);
    assert_eq!(out["rotate_secret"]["requires_human_auth"], true);
    assert_eq!(out["approval_needed"]["requires_approval"], true, "{out}");
    assert_eq!(out["get_approval_status"]["status"], "pending", "{out}");
    assert_eq!(
        out["get_approval_status"]["approval_id"],
        out["approval_needed"]["approval_id"]
    );
    // The server reads `detail` for its error message.
    assert!(
        out["missing"]
            .as_str()
            .is_some_and(|m| m.contains("not found")),
        "{out}"
    );
}

/// One of the SDK's requests, exactly as it sends it (bearer, JSON content type, body).
fn sdk(ctx: &Ctx, method: &str, path: &str, bearer: &str, body: Option<Value>) -> Reply {
    let url = format!("/ass{path}");
    match &body {
        Some(body) => ctx
            .api()
            .send(method, &url, Some(bearer), &[], Body::Json(body)),
        None => ctx
            .api()
            .send(method, &url, Some(bearer), &[JSON], Body::None),
    }
}

/// The error as the SDK and the MCP server read it: `error.code`, `error.message`, `detail`.
#[track_caller]
fn assert_face_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], code, "{}", reply.text);
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{}", reply.text);
    assert_eq!(reply.body["detail"], message, "{}", reply.text);
}

fn sdk_requests_replayed_answer_as_the_sdk_reads(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let p = unique("corpus");
    let value = secret_value("corpus");

    // POST /v1/tokens {scopes, ttl} → 201 TokenResponse, with the rate-limit headers.
    let minted = sdk(
        ctx,
        "POST",
        "/v1/tokens",
        &key,
        Some(json!({"scopes": [format!("secrets:write:{p}/ns/KEY")], "ttl": "1h"})),
    );
    assert_eq!(minted.status, 201, "{}", minted.text);
    assert_eq!(minted.body["requires_approval"], false);
    assert!(minted.body["expires_at"].is_string());
    assert!(
        minted.header("x-ratelimit-limit").is_some(),
        "{:?}",
        minted.headers
    );
    let writer = minted.body["token"].as_str().expect("token").to_owned();

    // PUT, raw slashes: 201 then 200.
    let put = |body: Value| {
        sdk(
            ctx,
            "PUT",
            &format!("/v1/secrets/{p}/ns/KEY"),
            &writer,
            Some(body),
        )
    };
    let first = put(
        json!({"value": value, "secret_type": "custom", "access_tier": "standard", "metadata": null}),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["version"], 1);
    let second = put(
        json!({"value": value, "secret_type": "api_key", "access_tier": "standard", "metadata": {"a": "b"}}),
    );
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["version"], 2);
    assert_eq!(second.body["metadata"], json!({"a": "b"}));
    // The writer may not read: SCOPE_DENIED with the scope that would do.
    let denied = sdk(
        ctx,
        "GET",
        &format!("/v1/secrets/{p}/ns/KEY"),
        &writer,
        None,
    );
    assert_face_error(&denied, 403, "SCOPE_DENIED");
    assert_eq!(
        denied.body["error"]["required_scope"],
        format!("secrets:read:{p}/ns/*")
    );

    // GET, `%2F`-encoded (the MCP server's form) and raw: the same secret.
    for path in [
        format!("/v1/secrets/{p}%2Fns/KEY"),
        format!("/v1/secrets/{p}/ns/KEY"),
    ] {
        let read = sdk(ctx, "GET", &path, &key, None);
        assert_eq!(read.status, 200, "{path}: {}", read.text);
        assert_eq!(read.body["value"], value.as_str());
        assert_eq!(read.body["namespace"], format!("{p}/ns"));
        assert_eq!(read.body["key"], "KEY");
        assert_eq!(read.body["secret_type"], "api_key");
        assert_eq!(read.body["version"], 2);
    }
    let older = sdk(
        ctx,
        "GET",
        &format!("/v1/secrets/{p}/ns/KEY?version=1"),
        &key,
        None,
    );
    assert_eq!(older.body["version"], 1, "{}", older.text);

    // GET /v1/secrets/{namespace}: encoded, raw, and one segment.
    for path in [
        format!("/v1/secrets/{p}%2Fns"),
        format!("/v1/secrets/{p}/ns"),
        format!("/v1/secrets/{p}"),
    ] {
        let listed = sdk(ctx, "GET", &path, &key, None);
        assert_eq!(listed.status, 200, "{path}: {}", listed.text);
        assert_eq!(
            listed.body["items"][0]["key"], "KEY",
            "{path}: {}",
            listed.text
        );
        assert!(listed.body["items"][0].get("value").is_none());
    }
    let empty = sdk(ctx, "GET", &format!("/v1/secrets/{p}-none"), &key, None);
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert_eq!(empty.body["items"], json!([]));

    // GET /v1/namespaces: needs namespaces:read (the master key holds it).
    let names = sdk(ctx, "GET", "/v1/namespaces", &key, None);
    assert_eq!(names.status, 200, "{}", names.text);
    assert_eq!(
        names.body["namespaces"],
        json!([{"namespace": format!("{p}/ns"), "secret_count": 1}])
    );
    let no_names = sdk(ctx, "GET", "/v1/namespaces", &writer, None);
    assert_face_error(&no_names, 403, "SCOPE_DENIED");
    assert_eq!(no_names.body["error"]["required_scope"], "namespaces:read");

    // POST /v1/secrets/import: every line, or none with the line's number.
    let import = |content: &str| {
        sdk(
            ctx,
            "POST",
            "/v1/secrets/import",
            &key,
            Some(json!({
            "namespace": format!("{p}/env"), "content": content,
            "secret_type": "custom", "access_tier": "standard", "metadata": null})),
        )
    };
    let bad = import("A=1\n# fine\nthis line has no equals sign\nB=2");
    assert_face_error(&bad, 422, "VALIDATION_ERROR");
    assert_eq!(bad.body["error"]["line"], 3, "{}", bad.text);
    assert!(
        !bad.text.contains("equals sign"),
        "the line is never echoed"
    );
    let nothing = sdk(ctx, "GET", &format!("/v1/secrets/{p}%2Fenv"), &key, None);
    assert_eq!(nothing.body["items"], json!([]), "{}", nothing.text);
    let good = import("A=1\nB=\"two words\"\n");
    assert_eq!(good.status, 201, "{}", good.text);
    assert_eq!(good.body["imported"], json!(["A", "B"]));
    assert_eq!(good.body["imported_count"], 2);

    // 202: a token reaching a sensitive secret; the agent's approval poll.
    let sensitive = sdk(
        ctx,
        "PUT",
        &format!("/v1/secrets/{p}%2Fvault/STRIPE"),
        &key,
        Some(
            json!({"value": value, "secret_type": "api_key", "access_tier": "sensitive", "metadata": null}),
        ),
    );
    assert_eq!(sensitive.status, 201, "{}", sensitive.text);
    let asked = sdk(
        ctx,
        "POST",
        "/v1/tokens",
        &key,
        Some(json!({"scopes": [format!("secrets:read:{p}/vault/STRIPE")], "ttl": "1h"})),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.body["requires_approval"], true);
    assert_eq!(asked.body["token"], Value::Null);
    let id = asked.body["approval_id"]
        .as_str()
        .expect("approval_id")
        .to_owned();
    let polled = sdk(ctx, "GET", &format!("/v1/approvals/agent/{id}"), &key, None);
    assert_eq!(polled.status, 200, "{}", polled.text);
    assert_eq!(polled.body["status"], "pending");
    assert_eq!(polled.body["approval_id"], id.as_str());

    // DELETE → 204; the read is then SECRET_NOT_FOUND.
    let deleted = sdk(ctx, "DELETE", &format!("/v1/secrets/{p}/env/A"), &key, None);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let gone = sdk(ctx, "GET", &format!("/v1/secrets/{p}/env/A"), &key, None);
    assert_face_error(&gone, 404, "SECRET_NOT_FOUND");

    // 401 as AuthError reads it.
    let stranger = sdk(ctx, "GET", "/v1/namespaces", "not-a-key", None);
    assert_face_error(&stranger, 401, "UNAUTHORIZED");
}

fn bad_input_is_4xx_in_the_face_shape_and_changes_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (_, other) = ctx.new_tenant();
    let p = unique("bad");
    let value = secret_value("bad");
    let put = sdk(
        ctx,
        "PUT",
        &format!("/v1/secrets/{p}/KEY"),
        &key,
        Some(json!({"value": value, "access_tier": "standard"})),
    );
    assert_eq!(put.status, 201, "{}", put.text);

    // Unknown query parameters are named, on every route; a known one given twice too.
    for (method, path) in [
        ("GET", format!("/v1/secrets/{p}/KEY?env=prod")),
        ("GET", format!("/v1/secrets/{p}?namespace=x")),
        ("DELETE", format!("/v1/secrets/{p}/KEY?force=1")),
        ("GET", "/v1/namespaces?page=2".to_owned()),
        ("GET", format!("/v1/secrets/{p}/KEY?version=1&version=2")),
    ] {
        let reply = sdk(ctx, method, &path, &key, None);
        assert_face_error(&reply, 400, "INVALID_REQUEST");
        assert!(
            reply.body["error"]["field"].is_string(),
            "{path}: {}",
            reply.text
        );
    }
    let refused = ctx.api().send(
        "PUT",
        &format!("/ass/v1/secrets/{p}/KEY?env=dev"),
        Some(&key),
        &[],
        Body::Json(&json!({"value": "other"})),
    );
    assert_face_error(&refused, 400, "INVALID_REQUEST");
    let token = sdk(
        ctx,
        "POST",
        "/v1/tokens?x=1",
        &key,
        Some(json!({"scopes": ["admin"], "ttl": "1h"})),
    );
    assert_face_error(&token, 400, "INVALID_REQUEST");

    // Bodies: unknown members, bad types, bad durations, bad scopes.
    for (path, body, field) in [
        (
            format!("/v1/secrets/{p}/KEY"),
            json!({"value": "x", "tier": "standard"}),
            "tier",
        ),
        (format!("/v1/secrets/{p}/KEY"), json!({"value": 5}), "value"),
        (
            format!("/v1/secrets/{p}/KEY"),
            json!({"value": "x", "access_tier": "low"}),
            "access_tier",
        ),
        (
            format!("/v1/secrets/{p}/KEY"),
            json!({"value": "x", "metadata": {"n": 1}}),
            "metadata",
        ),
    ] {
        let reply = sdk(ctx, "PUT", &path, &key, Some(body));
        assert_face_error(&reply, 422, "VALIDATION_ERROR");
        assert_eq!(reply.body["error"]["field"], field, "{}", reply.text);
    }
    for (body, field) in [
        (json!({"scopes": ["secrets:peek:x"], "ttl": "1h"}), "scopes"),
        (json!({"scopes": ["admin"], "ttl": "1 hour"}), "ttl"),
        (json!({"scopes": ["admin"], "ttl": "2d"}), "ttl"),
        (json!({"scope": "admin"}), "scope"),
    ] {
        let reply = sdk(ctx, "POST", "/v1/tokens", &key, Some(body));
        assert_face_error(&reply, 422, "VALIDATION_ERROR");
        assert_eq!(reply.body["error"]["field"], field, "{}", reply.text);
    }
    let not_json = ctx.api().send(
        "PUT",
        &format!("/ass/v1/secrets/{p}/KEY"),
        Some(&key),
        &[],
        Body::Raw(Some("application/json"), b"{not json"),
    );
    assert_face_error(&not_json, 400, "INVALID_REQUEST");

    // Paths and methods.
    let bad_path = sdk(ctx, "GET", "/v1/secrets/a%20b/KEY", &key, None);
    assert_face_error(&bad_path, 422, "VALIDATION_ERROR");
    let wrong = sdk(ctx, "PATCH", &format!("/v1/secrets/{p}/KEY"), &key, None);
    assert_face_error(&wrong, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(wrong.header("allow"), Some("GET, PUT, DELETE"));
    let nowhere = sdk(ctx, "GET", "/v1/audit", &key, None);
    assert_face_error(&nowhere, 404, "NOT_FOUND");

    // Nothing of that changed the secret.
    let read = sdk(ctx, "GET", &format!("/v1/secrets/{p}/KEY"), &key, None);
    assert_eq!(read.body["value"], value.as_str(), "{}", read.text);
    assert_eq!(read.body["version"], 1);

    // Another tenant's key sees nothing of this one.
    let foreign = sdk(ctx, "GET", &format!("/v1/secrets/{p}/KEY"), &other, None);
    assert_face_error(&foreign, 404, "SECRET_NOT_FOUND");
    let foreign_list = sdk(ctx, "GET", &format!("/v1/secrets/{p}"), &other, None);
    assert_eq!(
        foreign_list.body["items"],
        json!([]),
        "{}",
        foreign_list.text
    );
}

/// The native rate limit counts the face's requests, and its 429 is what the SDK's
/// `RateLimitError` reads: `Retry-After` and the face's error body.
fn over_the_plan_limit_answers_rate_limited_with_retry_after(ctx: &Ctx) {
    let api = ctx.api();
    let created = api.create_tenant(
        &ctx.runtime.operator_key,
        &json!({"name": "free tenant", "plan": "free"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let key = created.body["master_key"]
        .as_str()
        .expect("master_key")
        .to_owned();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..150 {
        let reply = sdk(ctx, "GET", "/v1/namespaces", &key, None);
        statuses.push(reply.status);
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        100,
        "{statuses:?}"
    );
    let limited = limited.expect("a 429 after 100 requests");
    assert_face_error(&limited, 429, "RATE_LIMITED");
    let retry = limited
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry.is_some_and(|s| (1..=60).contains(&s)),
        "{:?}",
        limited.headers
    );
    assert_eq!(limited.header("x-ratelimit-limit"), Some("100"));
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
}
