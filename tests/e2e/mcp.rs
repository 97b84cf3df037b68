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
    (
        "mcp::message_over_the_limit_refused_400_as_json_rpc",
        message_over_the_limit_refused_400_as_json_rpc,
    ),
    (
        "mcp::sensitive_request_pending_then_approved_after_a_person_approves",
        sensitive_request_pending_then_approved_after_a_person_approves,
    ),
    (
        "mcp::revision_2026_headers_checked_and_results_typed",
        revision_2026_headers_checked_and_results_typed,
    ),
];

/// Runs `tests/mcp/client.py` with `env` and returns its JSON line.
fn run_client(ctx: &Ctx, bearer: &str, env: &[(&str, &str)]) -> Value {
    let output = Command::new(repo_root().join(".tmp/venv/bin/python"))
        .arg(repo_root().join("tests/mcp/client.py"))
        .env("MCP_URL", format!("{}/mcp", ctx.runtime.base_url))
        .env("MCP_BEARER", bearer)
        .envs(env.iter().copied())
        .output()
        .expect("run the MCP client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON ({e}): {stdout}"))
}

/// `request_access` on a sensitive secret answers a normal result (pending, the review link,
/// the id); a person approves over REST; `check_approval`, from the SDK's dual-era `Client`
/// (which probes `server/discover` and stays on 2026-07-28), then says approved.
fn sensitive_request_pending_then_approved_after_a_person_approves(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let prefix = unique("mcpa");
    let mint = |scope: Value| {
        let minted = api.create_token(&key, &json!({"scope": scope, "ttl_seconds": 3600}));
        assert_eq!(minted.status, 201, "{}", minted.text);
        minted.body["value"].as_str().unwrap().to_owned()
    };
    // The agent's token exists before the sensitive secret does (minting it needed nobody);
    // the person's is another branch of the master key, so it may decide the agent's request.
    let agent = mint(json!([
        "tokens:create",
        format!("secrets:read:{prefix}/vault/*")
    ]));
    let approver = mint(json!(["approvals:decide"]));
    let created = api.create_secret(
        &key,
        &json!({"path": format!("{prefix}/vault/stripe"), "value": secret_value("mcp-a"),
                "tier": "sensitive"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let asked = rpc(
        ctx,
        &agent,
        "tools/call",
        json!({"name": "request_access", "arguments": {
            "scope": [format!("secrets:read:{prefix}/vault/*")], "ttl_seconds": 600,
            "reason": "mcp approval test"}}),
    );
    assert_eq!(asked.status, 200, "{}", asked.text);
    let pending = &asked.body["result"];
    assert_eq!(pending["isError"], false, "{}", asked.text);
    assert_eq!(pending["structuredContent"]["status"], "pending");
    let id = pending["structuredContent"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id: {}", asked.text))
        .to_owned();
    let review = pending["structuredContent"]["review_url"].as_str().unwrap();
    assert!(
        review.ends_with(&format!("/approvals/{id}/review")),
        "{review}"
    );

    // Before the person decides, the poll says pending; the model cannot approve it.
    let early = run_client(
        ctx,
        &agent,
        &[
            ("MCP_MODE", "auto"),
            ("MCP_PREFIX", &prefix),
            ("MCP_APPROVAL", &id),
        ],
    );
    assert_eq!(early["protocol"], "2026-07-28", "{early}");
    assert_eq!(
        early["check_approval"]["structured"]["status"], "pending",
        "{early}"
    );

    let approved = api.send(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&approver),
        &[],
        Body::Json(&json!({"comment": "ok"})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);

    let out = run_client(
        ctx,
        &agent,
        &[
            ("MCP_MODE", "auto"),
            ("MCP_PREFIX", &prefix),
            ("MCP_APPROVAL", &id),
        ],
    );
    assert_eq!(out["protocol"], "2026-07-28", "{out}");
    assert!(
        out["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("call_api")),
        "{out}"
    );
    assert_eq!(out["list_secrets"]["is_error"], false, "{out}");
    assert!(
        out["list_secrets"]["text"]
            .as_str()
            .unwrap()
            .contains("vault/stripe")
    );
    let check = &out["check_approval"];
    assert_eq!(check["is_error"], false, "{out}");
    assert_eq!(check["structured"]["status"], "approved", "{out}");
    assert!(
        check["structured"]["token"]["value"]
            .as_str()
            .is_some_and(|t| t.starts_with("lk_tok_")),
        "the requester receives the token once: {out}"
    );
}

/// One 2026-07-28 request: the `_meta` envelope and the mirrored headers as a client sends
/// them, with `headers` on top.
fn modern(
    ctx: &Ctx,
    bearer: &str,
    method: &str,
    params: Value,
    headers: &[(&str, &str)],
) -> latchkey_e2e::Reply {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let name = params["name"].as_str().map(str::to_owned);
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", method),
    ];
    if let Some(name) = name.as_deref() {
        all.push(("Mcp-Name", name));
    }
    for (name, value) in headers {
        all.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        all.push((name, value));
    }
    ctx.api().send(
        "POST",
        "/mcp",
        Some(bearer),
        &all,
        Body::Json(&json!({"jsonrpc": "2.0", "id": 9, "method": method, "params": params})),
    )
}

fn revision_2026_headers_checked_and_results_typed(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let discover = modern(ctx, &key, "server/discover", json!({}), &[]);
    assert_eq!(discover.status, 200, "{}", discover.text);
    let result = &discover.body["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"][0], "2026-07-28");
    assert!(result["capabilities"]["tools"].is_object());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "latchkey"
    );

    let listed = modern(ctx, &key, "tools/list", json!({}), &[]);
    assert_eq!(
        listed.body["result"]["cacheScope"], "private",
        "{}",
        listed.text
    );
    assert!(listed.body["result"]["ttlMs"].as_u64().is_some());
    assert!(!tool_names(&listed).is_empty());

    let called = modern(
        ctx,
        &key,
        "tools/call",
        json!({"name": "list_namespaces", "arguments": {}}),
        &[],
    );
    assert_eq!(called.status, 200, "{}", called.text);
    assert_eq!(called.body["result"]["resultType"], "complete");
    assert_eq!(called.body["result"]["isError"], false);

    // Headers that do not mirror the body: 400, HeaderMismatch.
    for (method, params, header) in [
        ("tools/list", json!({}), ("Mcp-Method", "prompts/list")),
        (
            "tools/call",
            json!({"name": "list_namespaces"}),
            ("Mcp-Name", "get_secret"),
        ),
    ] {
        let reply = modern(ctx, &key, method, params, &[header]);
        assert_eq!(
            (reply.status, &reply.body["error"]["code"]),
            (400, &json!(-32020)),
            "{}",
            reply.text
        );
        assert_eq!(reply.body["id"], 9);
    }
    // No _meta: -32602, 400.
    let bare = ctx.api().send(
        "POST",
        "/mcp",
        Some(&key),
        &[
            ("Content-Type", "application/json"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
        ],
        Body::Json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
    );
    assert_eq!(
        (bare.status, &bare.body["error"]["code"]),
        (400, &json!(-32602)),
        "{}",
        bare.text
    );
    // Removed and unknown methods: 404, -32601.
    for method in ["initialize", "ping", "nope/nope"] {
        let reply = modern(ctx, &key, method, json!({}), &[]);
        assert_eq!(
            (reply.status, &reply.body["error"]["code"]),
            (404, &json!(-32601)),
            "{method}: {}",
            reply.text
        );
    }
    // A version not served: 400 listing the supported ones.
    let reply = modern(
        ctx,
        &key,
        "server/discover",
        json!({}),
        &[("MCP-Protocol-Version", "v999.0.0")],
    );
    assert_eq!(
        (reply.status, &reply.body["error"]["code"]),
        (400, &json!(-32022)),
        "{}",
        reply.text
    );
    assert_eq!(reply.body["error"]["data"]["requested"], "v999.0.0");
    // The 2025 lane is untouched: initialize still negotiates 2025-11-25.
    let init = ctx.api().send(
        "POST",
        "/mcp",
        Some(&key),
        &[("Content-Type", "application/json")],
        Body::Json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}})),
    );
    assert_eq!(
        init.body["result"]["protocolVersion"], "2025-11-25",
        "{}",
        init.text
    );
    assert!(init.body["result"].get("resultType").is_none());
}

/// A message over 8 MiB: refused from its `Content-Length` with a JSON-RPC error and a 400,
/// never a 5xx (the Worker does not buffer it first).
fn message_over_the_limit_refused_400_as_json_rpc(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let mut huge = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""#.to_vec();
    huge.resize(8 * 1024 * 1024 + 1, b'x');
    huge.extend_from_slice(br#""}}"#);
    let reply = ctx.api().send(
        "POST",
        "/mcp",
        Some(&key),
        &[],
        Body::Raw(Some("application/json"), &huge),
    );
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], -32600, "{}", reply.text);
    assert!(reply.text.contains("exceeds"), "{}", reply.text);
    // The endpoint still answers an ordinary message after it.
    let reply = rpc(ctx, &key, "ping", json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text);
}

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
