mod modern;

use super::protocol::*;
use super::tools::{CallError, ToolCall, definitions};
use serde_json::{Map, Value, json};

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[test]
fn mcp_message_not_json_is_parse_error_400() {
    let e = parse_message(b"{not json").unwrap_err();
    assert_eq!(
        (e.code, e.http_status(), e.id),
        (PARSE_ERROR, 400, Value::Null)
    );
}

#[test]
fn mcp_message_batch_or_bad_version_is_invalid_request() {
    assert_eq!(parse_message(b"[]").unwrap_err().code, INVALID_REQUEST);
    let e = parse_message(br#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#).unwrap_err();
    assert_eq!((e.code, e.id), (INVALID_REQUEST, json!(3)));
    let e = parse_message(br#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#).unwrap_err();
    assert_eq!(e.code, INVALID_REQUEST);
    let e = parse_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping","x":1}"#).unwrap_err();
    assert_eq!(e.code, INVALID_REQUEST);
}

#[test]
fn mcp_message_params_not_object_is_invalid_params() {
    let e = parse_message(br#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":[1]}"#)
        .unwrap_err();
    assert_eq!((e.code, e.http_status()), (INVALID_PARAMS, 200));
}

#[test]
fn mcp_message_kinds_are_told_apart() {
    assert!(matches!(
        parse_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
        Ok(Message::Request { .. })
    ));
    assert_eq!(
        parse_message(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
        Ok(Message::Notification {
            method: "notifications/initialized".into()
        })
    );
    assert_eq!(
        parse_message(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
        Ok(Message::Response)
    );
}

#[test]
fn mcp_negotiate_unknown_version_answers_latest() {
    assert_eq!(negotiate(Some("2025-06-18")), "2025-06-18");
    assert_eq!(negotiate(Some("1999-01-01")), "2025-11-25");
    assert_eq!(negotiate(None), "2025-11-25");
}

#[test]
fn mcp_version_header_absent_is_default_unknown_refused() {
    let id = json!(4);
    assert_eq!(check_version_header(&id, None), Ok("2025-03-26"));
    assert_eq!(
        check_version_header(&id, Some("2025-11-25")),
        Ok("2025-11-25")
    );
    let e = check_version_header(&id, Some("2030-01-01")).unwrap_err();
    assert_eq!((e.code, e.http_status(), &e.id), (-32022, 400, &json!(4)));
    let body = e.to_body();
    assert_eq!(body["error"]["data"]["requested"], "2030-01-01");
    assert!(
        body["error"]["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!("2025-11-25"))
    );
}

#[test]
fn mcp_origin_foreign_refused_own_or_absent_allowed() {
    let own = ["http://127.0.0.1:8787"];
    assert!(origin_allowed(None, &own));
    assert!(origin_allowed(Some("http://127.0.0.1:8787"), &own));
    assert!(!origin_allowed(Some("https://evil.example"), &own));
    assert!(!origin_allowed(Some("null"), &own));
}

#[test]
fn mcp_tools_get_secret_listed_only_when_values_readable() {
    let names = |reads| {
        definitions(reads)
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(!names(false).contains(&"get_secret".to_owned()));
    assert!(names(true).contains(&"get_secret".to_owned()));
    assert!(names(false).contains(&"call_api".to_owned()));
    for tool in definitions(true) {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().is_some_and(|d| d.len() > 40));
        assert!(tool.get("_meta").is_none());
    }
    assert_eq!(definitions(true).len(), 10);
    let call_api = &definitions(false)[0];
    assert_eq!(call_api["name"], "call_api");
    assert!(call_api["outputSchema"].is_object());
}

#[test]
fn mcp_tool_get_secret_without_read_is_unknown_tool() {
    let a = args(json!({"path": "prod/x"}));
    assert!(matches!(
        ToolCall::parse("get_secret", &a, false),
        Err(CallError::UnknownTool(_))
    ));
    assert!(matches!(
        ToolCall::parse("get_secret", &a, true),
        Ok(ToolCall::GetSecret { version: None, .. })
    ));
}

#[test]
fn mcp_tool_unknown_argument_is_argument_error() {
    let a = args(json!({"path": "prod/x", "value": "v", "colour": "red"}));
    match ToolCall::parse("set_secret", &a, false) {
        Err(CallError::Arguments(e)) => assert!(e.message.contains("colour")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ToolCall::parse("describe_secret", &args(json!({"path": "../x"})), false),
        Err(CallError::Arguments(_))
    ));
    assert!(matches!(
        ToolCall::parse("list_secrets", &args(json!({"limit": -1})), false),
        Err(CallError::Arguments(_))
    ));
}

#[test]
fn mcp_tool_call_api_reads_the_broker_body() {
    let a = args(json!({
        "method": "GET",
        "url": "https://api.example.com/x?k={{K}}",
        "secrets": {"K": "prod/k"}
    }));
    assert!(matches!(
        ToolCall::parse("call_api", &a, false),
        Ok(ToolCall::CallApi(_))
    ));
    let missing = args(json!({"method": "GET", "url": "https://api.example.com/"}));
    assert!(matches!(
        ToolCall::parse("call_api", &missing, false),
        Err(CallError::Arguments(_))
    ));
}

#[test]
fn mcp_tool_request_access_maps_reason_to_description() {
    let a = args(json!({"scope": ["secrets:use:prod/*"], "reason": "deploy"}));
    match ToolCall::parse("request_access", &a, false) {
        Ok(ToolCall::RequestAccess(body)) => {
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["description"], "deploy");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ToolCall::parse("request_access", &args(json!({})), false),
        Err(CallError::Arguments(_))
    ));
    assert!(matches!(
        ToolCall::parse(
            "check_approval",
            &args(json!({"approval_id": "nope"})),
            false
        ),
        Err(CallError::Arguments(_))
    ));
}
