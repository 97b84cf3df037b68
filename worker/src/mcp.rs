//! `/mcp`: Latchkey as a remote MCP server (Streamable HTTP, revisions 2025-11-25 and
//! 2026-07-28, stateless; a POST's `MCP-Protocol-Version` picks the lane). The
//! bearer is the REST one (master key, scoped token, user or agent JWT); every tool is one or
//! two tenant commands run by [`Caller::run`], marked `via: mcp` for the audit trail, so
//! scopes, tiers, approvals and rate limits are the REST ones. `latchkey_core::mcp` has the
//! protocol and the tools; this module reads the request and runs them.

use crate::config::Config;
use crate::handlers::{now, proxy};
use crate::http::{error_response, read_body_within};
use crate::tenant_client::{Caller, rate_headers};
use latchkey_contract::Via;
use latchkey_contract::caller::approvals::GetApproval;
use latchkey_contract::caller::ass::{ListNamespaces, UpsertSecret};
use latchkey_contract::caller::secrets::{CreateSecret, GetSecret, ListSecrets, RotateSecret};
use latchkey_contract::caller::tenant::CallerReach;
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_core::ApiError;
use latchkey_core::crypto::fill_random;
use latchkey_core::generate::PasswordRequest;
use latchkey_core::listing::ListQuery;
use latchkey_core::mcp::modern::{self, Lane};
use latchkey_core::mcp::protocol::{self, Message, RpcError};
use latchkey_core::mcp::tools::{self, CallError, ToolCall};
use latchkey_core::public_url::review_url;
use latchkey_core::secret::Rotation;
use latchkey_core::token::TokenRequest;
use serde_json::{Map, Value, json};
use worker::{Env, Request, Response, ResponseBuilder, console_error};

/// The endpoint's path.
pub const PATH: &str = "/mcp";

/// The largest message read: the broker's body (1 MiB) escaped inside JSON-RPC.
const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

pub async fn handle(request: &mut Request, env: &Env, method: &str, request_id: &str) -> Response {
    let config = Config::of(env);
    let own = request
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let public = config.link_base.as_deref().unwrap_or_default().to_owned();
    let origin = request.headers().get("Origin").ok().flatten();
    if !protocol::origin_allowed(origin.as_deref(), &[own.as_str(), public.as_str()]) {
        return plain(
            403,
            &json!({"error": "Origin is not this server's: refused (DNS rebinding protection)"}),
        );
    }
    if method != "POST" {
        let mut response = plain(
            405,
            &json!({"error": "this MCP endpoint takes POST only (no SSE stream, no session)"}),
        );
        let _ = response.headers_mut().set("Allow", "POST");
        return response;
    }
    let caller = match Caller::from_request(request, request_id) {
        Ok(caller) => caller.via(Via::Mcp),
        Err(e) => return error_response(&e),
    };
    let bytes = match read_body(request).await {
        Ok(bytes) => bytes,
        Err(e) => return rpc_error(&e, Lane::Legacy),
    };
    let message = match protocol::parse_message(&bytes) {
        Ok(message) => message,
        Err(e) => return rpc_error(&e, Lane::Legacy),
    };
    let (id, method, params) = match message {
        Message::Request { id, method, params } => (id, method, params),
        // Notifications and responses: acknowledged once the credential is known good.
        Message::Notification { .. } | Message::Response => {
            return match caller.run(env, Ok(CallerReach)).await {
                Ok(_) => rate_headers(empty(202), Some(&caller)),
                Err(e) => rate_headers(error_response(&e), Some(&caller)),
            };
        }
    };
    let header = |name: &str| request.headers().get(name).ok().flatten();
    let version = header("MCP-Protocol-Version");
    let lane = modern::lane(version.as_deref(), &method);
    let checked = match lane {
        Lane::Legacy if method == "initialize" => Ok(()),
        Lane::Legacy => protocol::check_version_header(&id, version.as_deref()).map(|_| ()),
        Lane::Modern => {
            let (mirrored, name) = (header("Mcp-Method"), header("Mcp-Name"));
            let headers = modern::Headers {
                version: version.as_deref(),
                method: mirrored.as_deref(),
                name: name.as_deref(),
            };
            modern::check_request(&id, &method, &params, headers)
        }
    };
    if let Err(e) = checked {
        return rpc_error(&e, lane);
    }
    let answer = answer(&caller, env, &config, &id, &method, &params, lane).await;
    let response = match answer {
        Ok(result) => plain(200, &protocol::result(id, result)),
        Err(Refused::Rpc(e)) => rpc_error(&e, lane),
        Err(Refused::Http(e)) => error_response(&e),
    };
    rate_headers(response, Some(&caller))
}

enum Refused {
    Rpc(RpcError),
    /// Authentication or the rate limit: an HTTP answer, not a JSON-RPC one.
    Http(ApiError),
}

fn is_http(e: &ApiError) -> bool {
    matches!(e.status(), 401 | 429)
}

/// The result of a request on its lane (2026-07-28 adds `resultType`, the server's identity
/// and, on lists, caching hints).
async fn answer(
    caller: &Caller,
    env: &Env,
    config: &Config,
    id: &Value,
    method: &str,
    params: &Map<String, Value>,
    lane: Lane,
) -> Result<Value, Refused> {
    // Methods that run no tool still authenticate and count, as one request (not recorded);
    // the answer says whether `get_secret` exists for this caller (it holds `secrets:read`
    // somewhere).
    let reach = || async {
        caller
            .run(env, Ok(CallerReach))
            .await
            .map(|reach| reach.reads_values)
            .map_err(Refused::Http)
    };
    let version = env!("CARGO_PKG_VERSION");
    let rpc = |code: i64, why: &str| Refused::Rpc(RpcError::new(id.clone(), code, why));
    match (lane, method) {
        (Lane::Legacy, "initialize") => {
            reach().await?;
            Ok(protocol::initialize_result(params, version))
        }
        (Lane::Legacy, "ping") => {
            reach().await?;
            Ok(json!({}))
        }
        (Lane::Modern, "server/discover") => {
            reach().await?;
            let fields = modern::discover_fields(protocol::INSTRUCTIONS);
            Ok(modern::complete(fields, version))
        }
        (_, "tools/list") => {
            let reads_values = reach().await?;
            let tools = json!({"tools": tools::definitions(reads_values)});
            Ok(match (lane, tools) {
                (Lane::Modern, Value::Object(fields)) => modern::complete(
                    modern::cacheable(fields, modern::TOOLS_TTL_MS, true),
                    version,
                ),
                (_, tools) => tools,
            })
        }
        (_, "tools/call") => {
            let name = match params.get("name") {
                Some(Value::String(name)) => name.as_str(),
                _ => {
                    return Err(rpc(
                        protocol::INVALID_PARAMS,
                        "tools/call needs a string `name`",
                    ));
                }
            };
            let empty = Map::new();
            let arguments = match params.get("arguments") {
                None | Some(Value::Null) => &empty,
                Some(Value::Object(arguments)) => arguments,
                Some(_) => {
                    return Err(rpc(
                        protocol::INVALID_PARAMS,
                        "`arguments` must be an object",
                    ));
                }
            };
            // Only `get_secret` depends on it: one more exchange for that tool alone.
            let reads_values = name == "get_secret" && reach().await?;
            let outcome = match ToolCall::parse(name, arguments, reads_values) {
                Ok(call) => run(call, caller, env, config).await,
                Err(CallError::UnknownTool(name)) => {
                    reach().await?;
                    return Err(rpc(
                        protocol::INVALID_PARAMS,
                        &format!("unknown tool '{name}'"),
                    ));
                }
                // Counted (and authenticated) like REST's refused input.
                Err(CallError::Arguments(e)) => Err(caller.refuse(env, e).await),
            };
            let result = match outcome {
                Ok(value) => tool_result(value, false),
                Err(e) if is_http(&e) => return Err(Refused::Http(e)),
                Err(e) => tool_result(e.to_body(), true),
            };
            Ok(match (lane, result) {
                (Lane::Modern, Value::Object(fields)) => modern::complete(fields, version),
                (_, result) => result,
            })
        }
        (lane, other) => {
            reach().await?;
            Err(Refused::Rpc(match lane {
                Lane::Modern => modern::method_not_found(id.clone(), other),
                Lane::Legacy => RpcError::new(
                    id.clone(),
                    protocol::METHOD_NOT_FOUND,
                    format!(
                        "unknown method '{}'",
                        other.chars().take(64).collect::<String>()
                    ),
                ),
            }))
        }
    }
}

/// A `CallToolResult`: the JSON as text and as `structuredContent`.
fn tool_result(value: Value, is_error: bool) -> Value {
    let structured = match value {
        Value::Object(_) => value,
        other => json!({ "result": other }),
    };
    json!({
        "content": [{"type": "text", "text": structured.to_string()}],
        "structuredContent": structured,
        "isError": is_error,
    })
}

fn internal(what: &str) -> ApiError {
    console_error!("mcp: {what}");
    ApiError::internal()
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| internal(&format!("encode: {}", e.classify() as u8)))
}

/// A random value made on the server (the generator's defaults).
fn random_value() -> Result<String, ApiError> {
    PasswordRequest::parse(b"{}", now())?
        .generate(&mut fill_random)
        .map_err(|e| internal(&format!("generate: {e}")))
}

async fn run(
    call: ToolCall,
    caller: &Caller,
    env: &Env,
    config: &Config,
) -> Result<Value, ApiError> {
    match call {
        ToolCall::CallApi(request) => proxy::broker_call(Ok(*request), env, caller).await,
        ToolCall::ListSecrets(query) => {
            to_value(&caller.run(env, Ok(ListSecrets { query })).await?)
        }
        ToolCall::DescribeSecret(path) => {
            let query = ListQuery::parse([("q", path.as_str()), ("limit", "200")]);
            let page = caller
                .run(env, query.map(|query| ListSecrets { query }))
                .await?;
            let found = page.items.into_iter().find(|item| item.path == path);
            match found {
                Some(summary) => to_value(&summary),
                None => Err(ApiError::not_found(format!(
                    "no secret at '{path}' that you can see; call list_secrets to find paths"
                ))),
            }
        }
        ToolCall::ListNamespaces => {
            let namespaces = caller.run(env, Ok(ListNamespaces)).await?;
            Ok(json!({ "namespaces": to_value(&namespaces)? }))
        }
        ToolCall::GetSecret { path, version } => {
            let read = caller.run(env, Ok(GetSecret { path, version })).await?;
            serde_json::from_str(&read.body)
                .map_err(|e| internal(&format!("read at line {}", e.line())))
        }
        ToolCall::SetSecret { path, write } => {
            let written = caller
                .run(
                    env,
                    Ok(UpsertSecret {
                        path: path.clone(),
                        write,
                    }),
                )
                .await?;
            Ok(json!({"path": path, "created": written.created, "stored": true}))
        }
        ToolCall::GenerateSecret(body) => {
            let spec = PasswordRequest::parse(&body, now());
            let secret = match &spec {
                Ok(spec) => {
                    let password = spec
                        .generate(&mut fill_random)
                        .map_err(|e| internal(&format!("generate: {e}")))?;
                    spec.to_new_secret(password)
                        .ok_or_else(|| ApiError::validation("path", "'path' is required"))
                }
                Err(e) => Err(e.clone()),
            };
            let created = caller
                .run(env, secret.map(|secret| CreateSecret { secret }))
                .await?;
            Ok(
                json!({"path": created.path, "version": created.version, "tier": created.tier, "stored": true}),
            )
        }
        ToolCall::RotateSecret {
            path,
            new_value,
            grace_period_seconds,
        } => {
            let new_value = match new_value {
                Some(value) => value,
                None => random_value()?,
            };
            let body =
                json!({"new_value": new_value, "grace_period_seconds": grace_period_seconds});
            let rotation = Rotation::parse(body.to_string().as_bytes());
            let rotated = caller
                .run(
                    env,
                    rotation.map(|rotation| RotateSecret { path, rotation }),
                )
                .await?;
            to_value(&rotated)
        }
        ToolCall::RequestAccess(body) => {
            let request = TokenRequest::parse_with_min_ttl(&body, config.min_token_ttl_seconds);
            match caller
                .run(env, request.map(|request| CreateToken { request }))
                .await?
            {
                TokenMinted::Created(created) => Ok(json!({
                    "status": "granted",
                    "token": created.value,
                    "token_id": created.id,
                    "scope": created.scope,
                    "expires_at": created.expires_at,
                    "message": "Granted at once (standard tier). Use the token as a bearer for Latchkey; this connection keeps its own credential.",
                })),
                TokenMinted::Pending(view) => {
                    let url = review_url(config.link_base.as_deref().map_err(|p| *p), &view.id);
                    Ok(json!({
                        "status": "pending",
                        "approval_id": view.id,
                        "review_url": url,
                        "required_approvals": view.required_approvals,
                        "expires_at": view.expires_at,
                        "message": format!(
                            "A person must approve this request ({} approval(s) needed). Give the user the review_url, then call check_approval with approval_id {} later. You cannot approve it yourself.",
                            view.required_approvals, view.id
                        ),
                    }))
                }
            }
        }
        ToolCall::CheckApproval(id) => to_value(&caller.run(env, Ok(GetApproval { id })).await?),
    }
}

/// The message, refused unread when its declared length is over the limit.
async fn read_body(request: &mut Request) -> Result<Vec<u8>, RpcError> {
    read_body_within(request, MAX_MESSAGE_BYTES)
        .await
        .map_err(|e| RpcError::new(Value::Null, protocol::INVALID_REQUEST, e.message))
}

fn plain(status: u16, body: &Value) -> Response {
    ResponseBuilder::new()
        .with_status(status)
        .with_header("Content-Type", "application/json")
        .map(|b| b.fixed(body.to_string().into_bytes()))
        .unwrap_or_else(|_| empty(status))
}

fn empty(status: u16) -> Response {
    ResponseBuilder::new().with_status(status).empty()
}

/// A JSON-RPC error with its lane's HTTP status (2026-07-28: 404 for an unknown method, 400
/// for a refused envelope).
fn rpc_error(e: &RpcError, lane: Lane) -> Response {
    let status = match lane {
        Lane::Legacy => e.http_status(),
        Lane::Modern => modern::http_status(e),
    };
    plain(status, &e.to_body())
}
