//! The 2026-07-28 lane: which requests take it, the `_meta` envelope, the header checks and
//! the result shapes.

use crate::mcp::modern::*;
use crate::mcp::protocol::{INVALID_PARAMS, METHOD_NOT_FOUND};
use serde_json::{Map, Value, json};

fn params(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
    })
}

fn headers<'a>(method: &'a str, name: Option<&'a str>) -> Headers<'a> {
    Headers {
        version: Some("2026-07-28"),
        method: Some(method),
        name,
    }
}

fn code(result: Result<(), crate::mcp::protocol::RpcError>) -> i64 {
    result.map(|()| 0).unwrap_or_else(|e| e.code)
}

#[test]
fn mcp_lane_modern_header_or_discover_is_modern_else_legacy() {
    assert_eq!(lane(Some("2026-07-28"), "tools/list"), Lane::Modern);
    assert_eq!(lane(Some(" 2026-07-28 "), "initialize"), Lane::Modern);
    assert_eq!(lane(None, "server/discover"), Lane::Modern);
    assert_eq!(lane(None, "tools/list"), Lane::Legacy);
    assert_eq!(lane(None, "initialize"), Lane::Legacy);
    assert_eq!(lane(Some("2025-11-25"), "tools/list"), Lane::Legacy);
    // An unknown version stays on the 2025 lane, which refuses it with the modern error.
    assert_eq!(lane(Some("v999.0.0"), "server/discover"), Lane::Legacy);
}

#[test]
fn mcp_modern_well_formed_request_passes() {
    let p = params(json!({"_meta": meta()}));
    assert_eq!(
        check_request(&json!(1), "tools/list", &p, headers("tools/list", None)),
        Ok(())
    );
    let p = params(json!({"name": "list_secrets", "arguments": {}, "_meta": meta()}));
    let h = headers("tools/call", Some("  list_secrets "));
    assert_eq!(check_request(&json!(1), "tools/call", &p, h), Ok(()));
    // clientInfo is a SHOULD: its absence is served.
    let mut m = meta();
    m.as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientInfo");
    let p = params(json!({"_meta": m}));
    let h = headers("server/discover", None);
    assert_eq!(check_request(&json!(1), "server/discover", &p, h), Ok(()));
}

#[test]
fn mcp_modern_meta_missing_or_incomplete_is_invalid_params_400() {
    let h = headers("server/discover", None);
    for p in [
        json!({}),
        json!({"_meta": "x"}),
        json!({"_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}),
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
    ] {
        let e = check_request(&json!(7), "server/discover", &params(p.clone()), h).unwrap_err();
        assert_eq!(
            (e.code, http_status(&e), e.id),
            (INVALID_PARAMS, 400, json!(7)),
            "{p}"
        );
    }
}

#[test]
fn mcp_modern_headers_not_mirroring_body_are_header_mismatch_400() {
    let p = params(json!({"_meta": meta()}));
    let id = json!(3);
    // The version header absent, or not the body's.
    let mut h = headers("tools/list", None);
    h.version = None;
    let e = check_request(&id, "tools/list", &p, h).unwrap_err();
    assert_eq!((e.code, http_status(&e)), (HEADER_MISMATCH, 400));
    let mut m = meta();
    m["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let e = check_request(
        &id,
        "tools/list",
        &params(json!({"_meta": m})),
        headers("tools/list", None),
    )
    .unwrap_err();
    assert_eq!(e.code, HEADER_MISMATCH);
    // Mcp-Method absent, another method, or another case (values are case-sensitive).
    for method in [None, Some("prompts/list"), Some("TOOLS/LIST")] {
        let h = Headers {
            method,
            ..headers("tools/list", None)
        };
        assert_eq!(
            code(check_request(&id, "tools/list", &p, h)),
            HEADER_MISMATCH
        );
    }
    // Mcp-Name absent or another tool's on tools/call.
    let call = params(json!({"name": "list_secrets", "_meta": meta()}));
    for name in [None, Some("wrong_tool_name"), Some("=?base64?!!?=")] {
        let h = headers("tools/call", name);
        assert_eq!(
            code(check_request(&id, "tools/call", &call, h)),
            HEADER_MISMATCH,
            "{name:?}"
        );
    }
}

#[test]
fn mcp_modern_name_header_base64_sentinel_decoded_before_comparing() {
    let call = params(json!({"name": "list_secrets", "_meta": meta()}));
    // base64("list_secrets")
    let h = headers("tools/call", Some("=?base64?bGlzdF9zZWNyZXRz?="));
    assert_eq!(check_request(&json!(1), "tools/call", &call, h), Ok(()));
    assert_eq!(decode_header_value(" plain "), Some("plain".into()));
    assert_eq!(decode_header_value("=?base64?not base64?="), None);
}

#[test]
fn mcp_modern_unserved_version_is_unsupported_400_listing_versions() {
    let e = unsupported_version(json!(301), "v999.0.0");
    assert_eq!(
        (e.code, http_status(&e)),
        (UNSUPPORTED_PROTOCOL_VERSION, 400)
    );
    let body = e.to_body();
    assert_eq!(body["id"], 301);
    assert_eq!(body["error"]["data"]["requested"], "v999.0.0");
    assert_eq!(body["error"]["data"]["supported"], json!(ALL_VERSIONS));
    // A header and body that agree on a version not served.
    let mut m = meta();
    m["io.modelcontextprotocol/protocolVersion"] = json!("2027-01-01");
    let h = Headers {
        version: Some("2027-01-01"),
        ..headers("tools/list", None)
    };
    let e = check_request(&json!(1), "tools/list", &params(json!({"_meta": m})), h).unwrap_err();
    assert_eq!(e.code, UNSUPPORTED_PROTOCOL_VERSION);
}

#[test]
fn mcp_modern_unknown_method_is_404() {
    let e = method_not_found(json!(601), "initialize");
    assert_eq!(
        (e.code, http_status(&e), e.id),
        (METHOD_NOT_FOUND, 404, json!(601))
    );
}

#[test]
fn mcp_modern_results_carry_result_type_server_info_and_cache_hints() {
    let discover = complete(discover_fields("use call_api"), "9.9.9");
    assert_eq!(discover["resultType"], "complete");
    assert_eq!(discover["supportedVersions"][0], "2026-07-28");
    assert!(
        discover["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("2025-11-25"))
    );
    assert_eq!(discover["capabilities"]["tools"]["listChanged"], false);
    assert_eq!(
        discover["_meta"]["io.modelcontextprotocol/serverInfo"]["version"],
        "9.9.9"
    );
    assert_eq!(discover["cacheScope"], "public");
    assert!(discover["ttlMs"].as_u64().is_some());
    let mut tools = Map::new();
    tools.insert("tools".into(), json!([]));
    let listed = complete(cacheable(tools, TOOLS_TTL_MS, true), "1");
    assert_eq!(
        (
            &listed["cacheScope"],
            &listed["ttlMs"],
            &listed["resultType"]
        ),
        (&json!("private"), &json!(TOOLS_TTL_MS), &json!("complete"))
    );
}
