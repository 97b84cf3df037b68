//! The tools, written for a model: what each does and what to do next. Arguments are read
//! into the same validated types the REST routes use, so a tool accepts exactly what its
//! route does. No result carries a secret's value except `get_secret`'s, and that tool exists
//! only for a caller that may read values.

use crate::approval::ApprovalId;
use crate::broker::ProxyRequest;
use crate::faces::ass::AssWrite;
use crate::listing::ListQuery;
use crate::{ApiError, SecretPath};
use serde_json::{Map, Value, json};

/// The broker's tool, as `docs/broker-tool.json` describes it for any client.
const BROKER_TOOL: &str = include_str!("../../../docs/broker-tool.json");

/// A tool call, its arguments validated.
#[derive(Debug)]
pub enum ToolCall {
    /// The broker: `POST /v1/proxy`'s body, validated.
    CallApi(Box<ProxyRequest>),
    ListSecrets(ListQuery),
    DescribeSecret(SecretPath),
    ListNamespaces,
    GetSecret {
        path: SecretPath,
        version: Option<u64>,
    },
    SetSecret {
        path: SecretPath,
        write: AssWrite,
    },
    /// `POST /v1/generate`'s body, with `path` (the route's parser reads it).
    GenerateSecret(Vec<u8>),
    RotateSecret {
        path: SecretPath,
        /// `None`: a random value made on the server.
        new_value: Option<String>,
        grace_period_seconds: u64,
    },
    /// `POST /v1/tokens`'s body (the route's parser reads it, with the deployment's TTLs).
    RequestAccess(Vec<u8>),
    CheckApproval(ApprovalId),
}

/// Why a `tools/call` could not start.
#[derive(Debug, PartialEq)]
pub enum CallError {
    /// No such tool for this caller: a JSON-RPC -32602.
    UnknownTool(String),
    /// The arguments are wrong: a tool result with `isError`, so the model can fix them.
    Arguments(ApiError),
}

fn bad(field: &str, message: impl Into<String>) -> CallError {
    CallError::Arguments(ApiError::validation(field, message))
}

/// The arguments object, with only `allowed` members.
fn members<'a>(
    arguments: &'a Map<String, Value>,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, CallError> {
    if let Some(extra) = arguments.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(extra, format!("unknown argument '{extra}'")));
    }
    Ok(arguments)
}

fn text<'a>(args: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, CallError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(name, format!("'{name}' must be a string"))),
    }
}

fn required<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, CallError> {
    text(args, name)?.ok_or_else(|| bad(name, format!("'{name}' is required")))
}

fn uint(args: &Map<String, Value>, name: &str) -> Result<Option<u64>, CallError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(name, format!("'{name}' must be a non-negative integer"))),
    }
}

fn path(args: &Map<String, Value>) -> Result<SecretPath, CallError> {
    SecretPath::parse(required(args, "path")?).map_err(|why| bad("path", format!("path: {why}")))
}

fn to_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn arguments_error(e: ApiError) -> CallError {
    CallError::Arguments(e)
}

impl ToolCall {
    /// Reads a `tools/call`'s `name` and `arguments`. `reads_values`: whether `get_secret`
    /// exists for this caller.
    pub fn parse(
        name: &str,
        arguments: &Map<String, Value>,
        reads_values: bool,
    ) -> Result<Self, CallError> {
        match name {
            "call_api" => ProxyRequest::parse(&to_bytes(&Value::Object(arguments.clone())))
                .map(|r| ToolCall::CallApi(Box::new(r)))
                .map_err(arguments_error),
            "list_secrets" => {
                let args = members(
                    arguments,
                    &["namespace", "query", "tier", "limit", "cursor"],
                )?;
                let mut pairs: Vec<(&str, String)> = Vec::new();
                for (arg, param) in [
                    ("namespace", "namespace"),
                    ("query", "q"),
                    ("tier", "tier"),
                    ("cursor", "after"),
                ] {
                    if let Some(v) = text(args, arg)? {
                        pairs.push((param, v.to_owned()));
                    }
                }
                if let Some(limit) = uint(args, "limit")? {
                    pairs.push(("limit", limit.to_string()));
                }
                ListQuery::parse(pairs.iter().map(|(k, v)| (*k, v.as_str())))
                    .map(ToolCall::ListSecrets)
                    .map_err(arguments_error)
            }
            "describe_secret" => Ok(ToolCall::DescribeSecret(path(members(
                arguments,
                &["path"],
            )?)?)),
            "list_namespaces" => {
                members(arguments, &[])?;
                Ok(ToolCall::ListNamespaces)
            }
            "get_secret" if reads_values => {
                let args = members(arguments, &["path", "version"])?;
                Ok(ToolCall::GetSecret {
                    path: path(args)?,
                    version: uint(args, "version")?,
                })
            }
            "set_secret" => {
                let args = members(arguments, &["path", "value", "tier"])?;
                let mut body = Map::new();
                body.insert("value".into(), Value::from(required(args, "value")?));
                if let Some(tier) = text(args, "tier")? {
                    body.insert("access_tier".into(), Value::from(tier));
                }
                let body = Value::Object(body);
                Ok(ToolCall::SetSecret {
                    path: path(args)?,
                    write: AssWrite::parse(&to_bytes(&body)).map_err(arguments_error)?,
                })
            }
            "generate_secret" => {
                let args = members(
                    arguments,
                    &[
                        "path",
                        "length",
                        "uppercase",
                        "lowercase",
                        "digits",
                        "symbols",
                    ],
                )?;
                path(args)?;
                Ok(ToolCall::GenerateSecret(to_bytes(&Value::Object(
                    args.clone(),
                ))))
            }
            "rotate_secret" => {
                let args = members(arguments, &["path", "new_value", "grace_period_seconds"])?;
                Ok(ToolCall::RotateSecret {
                    path: path(args)?,
                    new_value: text(args, "new_value")?.map(str::to_owned),
                    grace_period_seconds: uint(args, "grace_period_seconds")?.unwrap_or(0),
                })
            }
            "request_access" => {
                let args = members(arguments, &["scope", "ttl_seconds", "reason"])?;
                let mut body = Map::new();
                for (arg, member) in [
                    ("scope", "scope"),
                    ("ttl_seconds", "ttl_seconds"),
                    ("reason", "description"),
                ] {
                    if let Some(v) = args.get(arg) {
                        body.insert(member.into(), v.clone());
                    }
                }
                if !body.contains_key("scope") {
                    return Err(bad("scope", "'scope' is required"));
                }
                Ok(ToolCall::RequestAccess(to_bytes(&Value::Object(body))))
            }
            "check_approval" => {
                let args = members(arguments, &["approval_id"])?;
                ApprovalId::parse(required(args, "approval_id")?)
                    .map(ToolCall::CheckApproval)
                    .map_err(|why| bad("approval_id", why))
            }
            other => Err(CallError::UnknownTool(other.chars().take(128).collect())),
        }
    }
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn annotations(read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> Value {
    json!({
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        "openWorldHint": open_world,
    })
}

const PATH: &str = "The secret's path, segments separated by '/', e.g. production/stripe/api-key.";

/// The broker's definition from `docs/broker-tool.json`, named `call_api`.
fn call_api() -> Value {
    let mut tool: Map<String, Value> = serde_json::from_str(BROKER_TOOL).unwrap_or_default();
    tool.remove("_meta");
    tool.insert("name".into(), Value::from("call_api"));
    Value::Object(tool)
}

/// The tools this caller may see: `get_secret` only when `reads_values`.
pub fn definitions(reads_values: bool) -> Vec<Value> {
    let mut tools = vec![
        call_api(),
        json!({
            "name": "list_secrets",
            "title": "List secrets (names and metadata, never values)",
            "description": "List the secrets you can see: path, tier, version, description, tags, allowed hosts. Never returns values. To use a secret, pass its path to `call_api` (the value is inserted on the server and never shown to you). Results are paged: when `next_cursor` is set, call again with `cursor`.",
            "inputSchema": object(json!({
                "namespace": {"type": "string", "description": "Only secrets under this path prefix of whole segments, e.g. production/stripe."},
                "query": {"type": "string", "description": "Case-insensitive substring of the path, description or tags."},
                "tier": {"type": "string", "enum": ["standard", "sensitive", "critical"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Page size (default 50)."},
                "cursor": {"type": "string", "description": "The previous page's next_cursor."}
            }), &[]),
            "annotations": annotations(true, false, true, false),
        }),
        json!({
            "name": "describe_secret",
            "title": "Describe one secret (metadata only)",
            "description": "The metadata of one secret: tier, current version, description, tags, expiry, field count and the hosts `call_api` may send it to. Never its value. Use it before `call_api` to see where the secret may be sent.",
            "inputSchema": object(json!({"path": {"type": "string", "description": PATH}}), &["path"]),
            "annotations": annotations(true, false, true, false),
        }),
        json!({
            "name": "list_namespaces",
            "title": "List namespaces",
            "description": "The top-level namespaces (first path segment) you can see, with how many secrets each holds. Then call `list_secrets` with a namespace.",
            "inputSchema": object(json!({}), &[]),
            "annotations": annotations(true, false, true, false),
        }),
        json!({
            "name": "set_secret",
            "title": "Store a secret (create or new version)",
            "description": "Store a value at a path: creates the secret, or writes its next version. The value is encrypted and never echoed back. Prefer `generate_secret` when the value may be random: then it never passes through you at all.",
            "inputSchema": object(json!({
                "path": {"type": "string", "description": PATH},
                "value": {"type": "string", "minLength": 1, "description": "The value to store."},
                "tier": {"type": "string", "enum": ["standard", "sensitive", "critical"], "description": "Access tier for a new secret: sensitive and critical need a person's approval to be granted to a token."}
            }), &["path", "value"]),
            "annotations": annotations(false, true, true, false),
        }),
        json!({
            "name": "generate_secret",
            "title": "Generate and store a random secret",
            "description": "Generate a random password on the server and store it as a new secret at `path`. The value is never returned: use it through `call_api`. Fails if the path is taken (use `rotate_secret` then).",
            "inputSchema": object(json!({
                "path": {"type": "string", "description": PATH},
                "length": {"type": "integer", "minimum": 8, "maximum": 256},
                "uppercase": {"type": "boolean"},
                "lowercase": {"type": "boolean"},
                "digits": {"type": "boolean"},
                "symbols": {"type": "boolean"}
            }), &["path"]),
            "annotations": annotations(false, false, false, false),
        }),
        json!({
            "name": "rotate_secret",
            "title": "Rotate a secret",
            "description": "Write a new version of a secret, by default a random value made on the server (never returned). The old version stays readable for `grace_period_seconds`. Only rotate what you were asked to: the systems using the secret must be updated too.",
            "inputSchema": object(json!({
                "path": {"type": "string", "description": PATH},
                "new_value": {"type": "string", "minLength": 1, "description": "The new value; omit to let the server generate one."},
                "grace_period_seconds": {"type": "integer", "minimum": 0, "description": "How long the old version stays valid (default 0)."}
            }), &["path"]),
            "annotations": annotations(false, true, false, false),
        }),
        json!({
            "name": "request_access",
            "title": "Request access (a scoped token)",
            "description": "Ask for a token with the given scope, e.g. [\"secrets:use:production/stripe/*\"]. For standard-tier secrets the token is minted at once. For sensitive or critical ones a person must approve: the result then has status `pending`, a `review_url` to give the user, and an `approval_id`; poll `check_approval` with it (not more than every 30 seconds). You cannot approve a request yourself.",
            "inputSchema": object(json!({
                "scope": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "Scopes such as secrets:use:<path or prefix/*> or secrets:read:<path>."},
                "ttl_seconds": {"type": "integer", "minimum": 60, "description": "The token's lifetime."},
                "reason": {"type": "string", "maxLength": 256, "description": "Why you need it: shown to the approver."}
            }), &["scope"]),
            "annotations": annotations(false, false, false, false),
        }),
        json!({
            "name": "check_approval",
            "title": "Check an access request",
            "description": "The status of an access request made by `request_access`: pending, approved, denied, cancelled or expired. When approved the token is released to you once. If still pending, tell the user and check again later.",
            "inputSchema": object(json!({"approval_id": {"type": "string", "description": "The approval_id from request_access (apr_…)."}}), &["approval_id"]),
            "annotations": annotations(true, false, false, false),
        }),
    ];
    if reads_values {
        tools.push(json!({
            "name": "get_secret",
            "title": "Read a secret's value (enters your context)",
            "description": "Returns the secret's VALUE. Warning: the value enters your context and the model provider's logs. Prefer `call_api`, which uses the secret without showing it to you. Use this only when the user explicitly needs the value itself.",
            "inputSchema": object(json!({
                "path": {"type": "string", "description": PATH},
                "version": {"type": "integer", "minimum": 1, "description": "An older version; default the current one."}
            }), &["path"]),
            "annotations": annotations(true, false, true, false),
        }));
    }
    tools
}
