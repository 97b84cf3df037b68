//! Revision 2026-07-28 beside 2025-11-25 (a dual-era server): no handshake, every request
//! carries its version, capabilities and client in `params._meta`, mirrored into the
//! `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers, which must match the body.
//! A POST whose `MCP-Protocol-Version` names this revision takes this lane; `initialize` and
//! header-less or 2025-era POSTs keep the 2025-11-25 one ([`super::protocol`]).

pub use super::protocol::{
    ALL_VERSIONS, HEADER_MISMATCH, MODERN_VERSION, UNSUPPORTED_PROTOCOL_VERSION,
    unsupported_version,
};
use super::protocol::{INVALID_PARAMS, METHOD_NOT_FOUND, RpcError, SERVER_NAME};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// How long a client may reuse a `tools/list` answer (it depends on the credential only).
pub const TOOLS_TTL_MS: u64 = 300_000;
/// How long a client may reuse `server/discover` (the same for every caller).
pub const DISCOVER_TTL_MS: u64 = 3_600_000;

/// Which revision's rules a request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Legacy,
    Modern,
}

/// The lane of a request: its `MCP-Protocol-Version` names the modern revision, or it is
/// `server/discover` (which exists only there; without the header it is then refused as a
/// header mismatch). Everything else is 2025-era, where the header is checked as before.
pub fn lane(version_header: Option<&str>, method: &str) -> Lane {
    match version_header.map(str::trim) {
        Some(MODERN_VERSION) => Lane::Modern,
        None if method == "server/discover" => Lane::Modern,
        _ => Lane::Legacy,
    }
}

/// The routing headers of a POST, as sent (trimmed of surrounding whitespace here).
#[derive(Debug, Default, Clone, Copy)]
pub struct Headers<'a> {
    pub version: Option<&'a str>,
    pub method: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A modern request's checks, in the spec's order: the `_meta` envelope is present (-32602),
/// the headers mirror the body (-32020), the version is served (-32022).
pub fn check_request(
    id: &Value,
    method: &str,
    params: &Map<String, Value>,
    headers: Headers<'_>,
) -> Result<(), RpcError> {
    let invalid = |why: &str| RpcError::new(id.clone(), INVALID_PARAMS, why);
    let mismatch = |why: String| RpcError::new(id.clone(), HEADER_MISMATCH, why);
    let Some(Value::Object(meta)) = params.get("_meta") else {
        return Err(invalid(
            "params._meta must be an object carrying io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities",
        ));
    };
    let Some(version) = meta.get(META_VERSION) else {
        return Err(invalid(
            "params._meta lacks io.modelcontextprotocol/protocolVersion",
        ));
    };
    if !meta.contains_key(META_CAPABILITIES) {
        return Err(invalid(
            "params._meta lacks io.modelcontextprotocol/clientCapabilities",
        ));
    }
    let header_version = headers.version.map(str::trim);
    if header_version.is_none() || header_version != version.as_str() {
        return Err(mismatch(
            "Header mismatch: MCP-Protocol-Version does not match params._meta's protocol version"
                .into(),
        ));
    }
    if headers.method.map(str::trim) != Some(method) {
        return Err(mismatch(format!(
            "Header mismatch: Mcp-Method does not match the body's method '{}'",
            clip(method)
        )));
    }
    let name_key = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(Value::String(body_name)) = name_key.and_then(|key| params.get(key))
        && headers.name.and_then(decode_header_value).as_deref() != Some(body_name.as_str())
    {
        return Err(mismatch(format!(
            "Header mismatch: Mcp-Name does not match the body's '{}'",
            clip(body_name)
        )));
    }
    match version.as_str() {
        Some(MODERN_VERSION) => Ok(()),
        Some(other) => Err(unsupported_version(id.clone(), other)),
        None => Err(invalid(
            "io.modelcontextprotocol/protocolVersion must be a string",
        )),
    }
}

/// A header value, trimmed, with the `=?base64?…?=` sentinel decoded; `None` when the
/// encoding is broken (then it matches nothing).
pub fn decode_header_value(raw: &str) -> Option<String> {
    let raw = raw.trim();
    match raw
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(raw.to_owned()),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A modern result: `resultType` and the server's identity in `_meta`, beside `fields`.
pub fn complete(mut fields: Map<String, Value>, server_version: &str) -> Value {
    fields.insert("resultType".into(), json!("complete"));
    fields.insert(
        "_meta".into(),
        json!({ META_SERVER_INFO: {"name": SERVER_NAME, "title": "Latchkey", "version": server_version} }),
    );
    Value::Object(fields)
}

/// Adds the caching hints a list result must carry.
pub fn cacheable(mut fields: Map<String, Value>, ttl_ms: u64, private: bool) -> Map<String, Value> {
    fields.insert("ttlMs".into(), json!(ttl_ms));
    fields.insert(
        "cacheScope".into(),
        json!(if private { "private" } else { "public" }),
    );
    fields
}

/// The `server/discover` result's own members (before [`complete`]).
pub fn discover_fields(instructions: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("supportedVersions".into(), json!(ALL_VERSIONS));
    fields.insert(
        "capabilities".into(),
        json!({"tools": {"listChanged": false}}),
    );
    fields.insert("instructions".into(), json!(instructions));
    cacheable(fields, DISCOVER_TTL_MS, false)
}

/// An unknown method on this lane: -32601, which travels with 404 here.
pub fn method_not_found(id: Value, method: &str) -> RpcError {
    RpcError::new(
        id,
        METHOD_NOT_FOUND,
        format!(
            "unknown method '{}' in revision {MODERN_VERSION}",
            clip(method)
        ),
    )
}

/// The HTTP status of a JSON-RPC error on this lane: the 2025 ones, and 400 for a refused
/// argument envelope, 404 for an unknown method.
pub fn http_status(e: &RpcError) -> u16 {
    match e.code {
        METHOD_NOT_FOUND => 404,
        INVALID_PARAMS => 400,
        _ => e.http_status(),
    }
}
