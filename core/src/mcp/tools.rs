//! The tools, written for a model: what each does and what to do next. Arguments are read
//! into the same validated types the REST routes use, so a tool accepts exactly what its
//! route does. No result carries a secret's value except `get_secret`'s, and that tool exists
//! only for a caller that may read values.

use crate::approval::ApprovalId;
use crate::broker::ProxyRequest;
use crate::faces::ass::AssWrite;
use crate::listing::ListQuery;
use crate::{ApiError, SecretPath};
use serde_json::{Map, Value};

/// The broker's tool, as `docs/broker-tool.json` describes it for any client.
const BROKER_TOOL: &str = include_str!("../../../docs/broker-tool.json");
/// The other tools' definitions.
const TOOLS: &str = include_str!("tools.json");

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

/// The broker's definition from `docs/broker-tool.json`, named `call_api`.
fn call_api() -> Value {
    let mut tool: Map<String, Value> = serde_json::from_str(BROKER_TOOL).unwrap_or_default();
    tool.remove("_meta");
    tool.insert("name".into(), Value::from("call_api"));
    Value::Object(tool)
}

/// The tools this caller may see: `get_secret` only when `reads_values`. The definitions are
/// data (`tools.json`, `docs/broker-tool.json`): text costs the module less than code.
pub fn definitions(reads_values: bool) -> Vec<Value> {
    let others: Vec<Value> = serde_json::from_str(TOOLS).unwrap_or_default();
    std::iter::once(call_api())
        .chain(
            others
                .into_iter()
                .filter(|tool| reads_values || tool["name"] != "get_secret"),
        )
        .collect()
}
