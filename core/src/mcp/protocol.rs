//! JSON-RPC 2.0 over Streamable HTTP, revision 2025-11-25 (the 2026-07-28 lane is
//! [`super::modern`]), stateless: one message per POST,
//! a request answered with one JSON object, a notification or response with 202.

use serde_json::{Map, Value, json};

/// The revisions served, newest first. A client asking for another gets the newest.
pub const SUPPORTED_VERSIONS: &[&str] = &[LATEST_VERSION, "2025-06-18", "2025-03-26"];
pub const LATEST_VERSION: &str = "2025-11-25";
/// The revision assumed when `MCP-Protocol-Version` is absent (the spec's rule).
pub const DEFAULT_HEADER_VERSION: &str = "2025-03-26";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// The modern revision served.
pub const MODERN_VERSION: &str = "2026-07-28";
/// Every revision this endpoint speaks, newest first (`server/discover`'s `supportedVersions`
/// and the `supported` list of an unsupported-version error).
pub const ALL_VERSIONS: &[&str] = &[MODERN_VERSION, LATEST_VERSION, "2025-06-18", "2025-03-26"];

pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// What the model is told about this server (`initialize`, `server/discover`).
pub const INSTRUCTIONS: &str = "Latchkey holds this tenant's secrets. To use a credential, call `call_api`: Latchkey inserts the value into the HTTP request on its server and redacts it from the answer, so you never see it. Use `list_secrets` / `describe_secret` to find paths (metadata only). When a call is refused for lack of access, `request_access` asks a person; poll `check_approval`.";

/// The server's name in `serverInfo`.
pub const SERVER_NAME: &str = "latchkey";

/// A JSON-RPC error, with the id it answers (`null` when the id could not be read).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub id: Value,
    pub code: i64,
    pub message: String,
    /// The error's `data` member (the supported versions of an unsupported-version error).
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(id: Value, code: i64, message: impl Into<String>) -> Self {
        RpcError {
            id,
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn to_body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(data), Value::Object(error)) = (&self.data, &mut error) {
            error.insert("data".into(), data.clone());
        }
        json!({"jsonrpc": "2.0", "id": self.id, "error": error})
    }

    /// The HTTP status it travels with: a message the transport could not read, or whose
    /// headers it refuses (version, mismatch), is 400; a well-formed request's error is 200.
    pub fn http_status(&self) -> u16 {
        match self.code {
            PARSE_ERROR | INVALID_REQUEST | HEADER_MISMATCH | UNSUPPORTED_PROTOCOL_VERSION => 400,
            _ => 200,
        }
    }
}

/// One client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    /// A response to a server request: this server sends none, so it is acknowledged.
    Response,
}

/// Reads one JSON-RPC message. Batches (arrays) are refused: 2025-11-25 has none.
pub fn parse_message(bytes: &[u8]) -> Result<Message, RpcError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| RpcError::new(Value::Null, PARSE_ERROR, format!("parse error: {e}")))?;
    let invalid = |id: &Value, why: &str| RpcError::new(id.clone(), INVALID_REQUEST, why);
    let Value::Object(mut object) = value else {
        return Err(invalid(
            &Value::Null,
            "a message is one JSON-RPC object (batches are not supported)",
        ));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id),
        Some(_) => return Err(invalid(&Value::Null, "id must be a string or a number")),
    };
    let echo = id.clone().unwrap_or(Value::Null);
    if object.remove("jsonrpc") != Some(Value::String("2.0".into())) {
        return Err(invalid(&echo, "jsonrpc must be \"2.0\""));
    }
    match object.remove("method") {
        Some(Value::String(method)) => {
            let params = match object.remove("params") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(params)) => params,
                Some(_) => {
                    return Err(RpcError::new(
                        echo,
                        INVALID_PARAMS,
                        "params must be an object",
                    ));
                }
            };
            if let Some(extra) = object.keys().next() {
                return Err(invalid(&echo, &format!("unknown member '{extra}'")));
            }
            Ok(match id {
                Some(id) => Message::Request { id, method, params },
                None => Message::Notification { method },
            })
        }
        Some(_) => Err(invalid(&echo, "method must be a string")),
        None if id.is_some() && (object.contains_key("result") || object.contains_key("error")) => {
            Ok(Message::Response)
        }
        None => Err(invalid(&echo, "a message needs a method")),
    }
}

/// The version `initialize` answers: the client's when served, else the newest.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| Some(**v) == requested)
        .copied()
        .unwrap_or(LATEST_VERSION)
}

/// `MCP-Protocol-Version` on a 2025-era request after `initialize`: absent is the spec's
/// default; anything not served is refused (400) with the modern lane's
/// `UnsupportedProtocolVersionError`, which lists every version served (a dual-era client
/// retries with one of them).
pub fn check_version_header(id: &Value, header: Option<&str>) -> Result<&'static str, RpcError> {
    let version = header.map(str::trim).unwrap_or(DEFAULT_HEADER_VERSION);
    SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == version)
        .copied()
        .ok_or_else(|| unsupported_version(id.clone(), version))
}

/// `UnsupportedProtocolVersionError`: 400, naming what is served and echoing the request.
pub fn unsupported_version(id: Value, requested: &str) -> RpcError {
    let requested: String = requested.chars().take(64).collect();
    RpcError::new(
        id,
        UNSUPPORTED_PROTOCOL_VERSION,
        format!(
            "unsupported protocol version '{requested}'; supported: {}",
            ALL_VERSIONS.join(", ")
        ),
    )
    .with_data(json!({"supported": ALL_VERSIONS, "requested": requested}))
}

/// `Origin`, when present, must be this server's own (the request URL's origin or the
/// deployment's public one): DNS rebinding protection. Absent is a non-browser client.
pub fn origin_allowed(origin: Option<&str>, own: &[&str]) -> bool {
    match origin {
        None => true,
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            own.iter()
                .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
        }
    }
}

/// The `initialize` result: tools only, no session.
pub fn initialize_result(params: &Map<String, Value>, server_version: &str) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    json!({
        "protocolVersion": negotiate(requested),
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": SERVER_NAME, "title": "Latchkey", "version": server_version},
        "instructions": INSTRUCTIONS,
    })
}

/// A successful response.
pub fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}
