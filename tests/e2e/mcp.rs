//! `/mcp`: Latchkey as a remote MCP server, driven by the real MCP Python client
//! (`tests/mcp/client.py`, Streamable HTTP with a bearer), and the transport's refusals.

use crate::Ctx;
use latchkey_e2e::client::Body;
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::{secret_value, unique};
use serde_json::{Value, json};
use std::process::Command;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "mcp::python_client_lists_and_calls_every_tool",
        python_client_lists_and_calls_every_tool,
    ),
    (
        "mcp::get_secret_listed_and_callable_only_with_secrets_read",
        get_secret_listed_and_callable_only_with_secrets_read,
    ),
    (
        "mcp::transport_refusals_answer_4xx_without_a_body_of_html",
        transport_refusals_answer_4xx_without_a_body_of_html,
    ),
];

fn python_client_lists_and_calls_every_tool(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let prefix = unique("mcp");
    let value = secret_value("mcp-echo");
    let created = api.create_secret(
        &key,
        &json!({"path": format!("{prefix}/echo/key"), "value": value,
                "allowed_hosts": [{"host": "127.0.0.1"}]}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let sensitive = api.create_secret(
        &key,
        &json!({"path": format!("{prefix}/vault/stripe"), "value": secret_value("mcp-s"),
                "tier": "sensitive"}),
    );
    assert_eq!(sensitive.status, 201, "{}", sensitive.text);
    let output = Command::new(repo_root().join(".tmp/venv/bin/python"))
        .arg(repo_root().join("tests/mcp/client.py"))
        .env("MCP_URL", format!("{}/mcp", ctx.runtime.base_url))
        .env("MCP_BEARER", &key)
        .env("MCP_PREFIX", &prefix)
        .env("MCP_VALUE", &value)
        .env("MCP_ECHO", &ctx.echo.base_url)
        .output()
        .expect("run the MCP client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON ({e}): {stdout}"));
    assert_eq!(out["protocol"], "2025-11-25", "{out}");
    let tools: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in [
        "call_api",
        "check_approval",
        "describe_secret",
        "generate_secret",
        "get_secret",
        "list_namespaces",
        "list_secrets",
        "request_access",
        "rotate_secret",
        "set_secret",
    ] {
        assert!(tools.contains(&name), "{name} missing: {out}");
    }
    for name in [
        "set_secret",
        "generate_secret",
        "list_secrets",
        "describe_secret",
        "list_namespaces",
        "rotate_secret",
        "get_secret",
        "call_api",
        "request_access",
        "check_approval",
    ] {
        assert_eq!(out[name]["is_error"], false, "{name}: {out}");
    }
    // The broker: the echo saw the value, the model sees [REDACTED] and never the value.
    let call = &out["call_api"];
    assert_eq!(call["structured"]["status"], 200, "{call}");
    assert!(
        call["text"].as_str().unwrap().contains("[REDACTED]"),
        "{call}"
    );
    // Only get_secret returns a value; no other tool echoes one.
    let everything_but_get = {
        let mut o = out.clone();
        o.as_object_mut().unwrap().remove("get_secret");
        o.to_string()
    };
    assert!(
        !everything_but_get.contains(&value),
        "a value leaked: {out}"
    );
    assert_eq!(
        out["get_secret"]["structured"]["value"],
        format!("{value}-db")
    );
    // The sensitive tier: a pending result with the review link and the id to poll.
    let pending = &out["request_access"]["structured"];
    assert_eq!(pending["status"], "pending", "{out}");
    assert!(pending["review_url"].as_str().unwrap().contains("/review"));
    assert_eq!(out["check_approval"]["structured"]["status"], "pending");
    // A tool error is a result with isError, for the model.
    assert_eq!(out["bad_args"]["is_error"], true, "{out}");
    // The audit trail says MCP, the broker's use included.
    let audit = api.send("GET", "/v1/audit?limit=100", Some(&key), &[], Body::None);
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert!(
        audit.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "secret.used" && e["details"]["api"] == "mcp"),
        "{}",
        audit.text
    );
}

fn transport_refusals_answer_4xx_without_a_body_of_html(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let json_ct = ("Content-Type", "application/json");
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    // No bearer / a bad one: 401 with WWW-Authenticate, no JSON-RPC.
    let reply = api.send("POST", "/mcp", None, &[json_ct], Body::Json(&ping));
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(
        reply
            .header("WWW-Authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    let reply = api.send(
        "POST",
        "/mcp",
        Some("lk_tok_notarealtoken"),
        &[json_ct],
        Body::Json(&ping),
    );
    assert_eq!(reply.status, 401, "{}", reply.text);
    // Parse error: -32700, 400.
    let reply = api.send(
        "POST",
        "/mcp",
        Some(&key),
        &[json_ct],
        Body::Raw(Some("application/json"), b"{nope"),
    );
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], -32700);
    // Unknown method: -32601.
    let reply = api.send(
        "POST",
        "/mcp",
        Some(&key),
        &[json_ct],
        Body::Json(&json!({"jsonrpc": "2.0", "id": 2, "method": "nope/nope"})),
    );
    assert_eq!(reply.body["error"]["code"], -32601, "{}", reply.text);
    // GET and DELETE: 405, Allow: POST.
    for method in ["GET", "DELETE"] {
        let reply = api.send(method, "/mcp", Some(&key), &[], Body::None);
        assert_eq!(reply.status, 405, "{method}: {}", reply.text);
        assert_eq!(reply.header("Allow"), Some("POST"));
    }
    // A foreign Origin: 403.
    let reply = api.send(
        "POST",
        "/mcp",
        Some(&key),
        &[json_ct, ("Origin", "https://evil.example")],
        Body::Json(&ping),
    );
    assert_eq!(reply.status, 403, "{}", reply.text);
    // An unsupported protocol version: 400 naming the supported ones.
    let reply = api.send(
        "POST",
        "/mcp",
        Some(&key),
        &[json_ct, ("MCP-Protocol-Version", "1999-01-01")],
        Body::Json(&ping),
    );
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.text.contains("2025-11-25"));
    // A notification: 202, no body.
    let reply = api.send(
        "POST",
        "/mcp",
        Some(&key),
        &[json_ct],
        Body::Json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
    );
    assert_eq!(reply.status, 202, "{}", reply.text);
    assert!(reply.text.is_empty());
}

/// One JSON-RPC request to `/mcp` with `bearer`.
pub fn rpc(ctx: &Ctx, bearer: &str, method: &str, params: Value) -> latchkey_e2e::Reply {
    ctx.api().send(
        "POST",
        "/mcp",
        Some(bearer),
        &[
            ("Content-Type", "application/json"),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        Body::Json(&json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})),
    )
}

pub fn tool_names(reply: &latchkey_e2e::Reply) -> Vec<String> {
    reply.body["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {}", reply.text))
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

fn get_secret_listed_and_callable_only_with_secrets_read(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = secret_value("mcp-read");
    let created = api.create_secret(&key, &json!({"path": "app/db", "value": value}));
    assert_eq!(created.status, 201, "{}", created.text);
    let mint = |scope: &str| {
        let minted = api.create_token(&key, &json!({"scope": [scope], "ttl_seconds": 600}));
        assert_eq!(minted.status, 201, "{}", minted.text);
        minted.body["value"].as_str().unwrap().to_owned()
    };
    let user = mint("secrets:use:app/*");
    let reader = mint("secrets:read:app/*");
    let call = json!({"name": "get_secret", "arguments": {"path": "app/db"}});

    let listed = rpc(ctx, &user, "tools/list", json!({}));
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names = tool_names(&listed);
    assert!(names.contains(&"call_api".to_owned()), "{names:?}");
    assert!(!names.contains(&"get_secret".to_owned()), "{names:?}");
    let refused = rpc(ctx, &user, "tools/call", call.clone());
    assert_eq!(refused.body["error"]["code"], -32602, "{}", refused.text);
    assert!(!refused.text.contains(&value));

    assert!(
        tool_names(&rpc(ctx, &reader, "tools/list", json!({}))).contains(&"get_secret".to_owned())
    );
    let read = rpc(ctx, &reader, "tools/call", call);
    assert_eq!(read.body["result"]["isError"], false, "{}", read.text);
    assert_eq!(
        read.body["result"]["structuredContent"]["value"],
        value.as_str()
    );
    // A tool the scope does not allow: a tool error for the model, not a JSON-RPC error.
    let denied = rpc(
        ctx,
        &user,
        "tools/call",
        json!({"name": "set_secret", "arguments": {"path": "app/x", "value": "v"}}),
    );
    assert_eq!(denied.body["result"]["isError"], true, "{}", denied.text);
    assert!(denied.text.contains("permission_denied"), "{}", denied.text);
}
