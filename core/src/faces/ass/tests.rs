use super::*;
use crate::listing::SecretPage;
use crate::secret::SecretSummary;
use crate::time::Timestamp;
use serde_json::json;

fn path(text: &str) -> SecretPath {
    SecretPath::parse(text).unwrap()
}

fn resolve(method: &str, rest: &str) -> Result<AssRoute, ApiError> {
    AssRoute::resolve(method, rest)
}

#[test]
fn mount_matches_only_the_prefix_as_a_whole_segment() {
    assert_eq!(mounted("/ass/v1/tokens"), Some("/v1/tokens"));
    assert_eq!(mounted("/ass"), Some(""));
    assert_eq!(mounted("/assets/x"), None);
    assert_eq!(mounted("/v1/secrets"), None);
}

#[test]
fn routes_resolve_the_clients_calls() {
    assert_eq!(
        resolve("POST", "/v1/tokens").unwrap(),
        AssRoute::CreateToken
    );
    assert_eq!(
        resolve("GET", "/v1/namespaces").unwrap(),
        AssRoute::Namespaces
    );
    assert_eq!(
        resolve("POST", "/v1/secrets/import").unwrap(),
        AssRoute::Import
    );
    // The SDK: raw slashes, so a read is also a possible list.
    assert_eq!(
        resolve("GET", "/v1/secrets/production/openai/api-key").unwrap(),
        AssRoute::GetSecret {
            path: path("production/openai/api-key"),
            or_list: true
        }
    );
    // The MCP server: the namespace encoded.
    assert_eq!(
        resolve("GET", "/v1/secrets/production%2Fopenai/OPENAI_API_KEY").unwrap(),
        AssRoute::GetSecret {
            path: path("production/openai/OPENAI_API_KEY"),
            or_list: false
        }
    );
    assert_eq!(
        resolve("PUT", "/v1/secrets/prod/KEY").unwrap(),
        AssRoute::PutSecret(path("prod/KEY"))
    );
    assert_eq!(
        resolve("DELETE", "/v1/secrets/a%2Fb/KEY").unwrap(),
        AssRoute::DeleteSecret(path("a/b/KEY"))
    );
    assert_eq!(
        resolve("GET", "/v1/secrets/staging%2Fopenai").unwrap(),
        AssRoute::ListSecrets(path("staging/openai"))
    );
    assert_eq!(
        resolve("GET", "/v1/secrets/import").unwrap(),
        AssRoute::ListSecrets(path("import"))
    );
    assert_eq!(
        resolve(
            "GET",
            "/v1/approvals/agent/apr_0123456789abcdef0123456789abcdef"
        )
        .unwrap(),
        AssRoute::Approval(ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap())
    );
}

#[test]
fn routes_refuse_unknown_paths_methods_and_bad_segments() {
    let err = resolve("GET", "/v1/secret/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = resolve("DELETE", "/v1/tokens").unwrap_err();
    assert_eq!(err.status(), 405);
    assert_eq!(err.details["allow"], "POST");
    let err = resolve("PUT", "/v1/secrets/import").unwrap_err();
    assert_eq!(err.details["allow"], "GET, POST");
    let err = resolve("POST", "/v1/secrets/a/b").unwrap_err();
    assert_eq!(err.details["allow"], "GET, PUT, DELETE");
    assert_eq!(resolve("GET", "/v1/secrets/a/").unwrap_err().status(), 422);
    assert_eq!(resolve("GET", "/v1/secrets/a%2").unwrap_err().status(), 400);
    assert_eq!(
        resolve("GET", "/v1/secrets/a%20b/k").unwrap_err().status(),
        422
    );
    assert_eq!(
        resolve("GET", "/v1/approvals/agent/nope")
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(resolve("GET", "").unwrap_err().status(), 404);
}

#[test]
fn query_unknown_or_repeated_parameters_are_named() {
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let get = AssRoute::GetSecret {
        path: path("a/b"),
        or_list: true,
    };
    assert!(check_query(&get, &pairs(&[("version", "2")])).is_ok());
    let err = check_query(&get, &pairs(&[("env", "prod")])).unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.details["field"], "env");
    assert!(err.message.contains("'env'"), "{}", err.message);
    let err = check_query(&AssRoute::CreateToken, &pairs(&[("x", "")])).unwrap_err();
    assert!(
        err.message.contains("no query parameters"),
        "{}",
        err.message
    );
    let err = check_query(&get, &pairs(&[("version", "1"), ("version", "2")])).unwrap_err();
    assert!(err.message.contains("more than once"), "{}", err.message);
    assert_eq!(parse_version(Some("0")).unwrap_err().status(), 400);
    assert_eq!(parse_version(Some("3")).unwrap(), Some(3));
    assert!(parse_permanent(Some("true")).unwrap());
    assert_eq!(parse_permanent(Some("yes")).unwrap_err().status(), 400);
}

#[test]
fn write_body_takes_the_sdk_shape_and_refuses_others() {
    let write = AssWrite::parse(
        br#"{"value":"sk-1","secret_type":"api_key","access_tier":"sensitive","metadata":{"team":"ml"}}"#,
    )
    .unwrap();
    assert_eq!(write.value, "sk-1");
    assert_eq!(write.metadata.secret_type, Some(SecretType::ApiKey));
    assert_eq!(write.metadata.tier, Some(Tier::Sensitive));
    assert_eq!(
        write.metadata.metadata.as_ref().and_then(|m| m.get("team")),
        Some(&"ml".to_owned())
    );
    let sdk_default = AssWrite::parse(
        br#"{"value":"v","secret_type":"custom","access_tier":"standard","metadata":null}"#,
    )
    .unwrap();
    assert_eq!(sdk_default.metadata.metadata, None);
    assert!(!format!("{write:?}").contains("sk-1"));
    for (body, field) in [
        (r#"{"secret_type":"custom"}"#, "value"),
        (r#"{"value":"v","secret_type":"password"}"#, "secret_type"),
        (r#"{"value":"v","access_tier":"secret"}"#, "access_tier"),
        (r#"{"value":"v","metadata":{"n":3}}"#, "metadata"),
        (
            r#"{"value":"v","metadata":{"secret_type":"x"}}"#,
            "metadata",
        ),
        (r#"{"value":"v","tier":"standard"}"#, "tier"),
    ] {
        let err = AssWrite::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.status(), 422, "{body}");
        assert_eq!(err.details["field"], field, "{body}");
    }
}

#[test]
fn metadata_tags_keep_or_replace_and_always_carry_the_type() {
    let stored: Tags = [("team", "ml"), ("secret_type", "api_key")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let keep = AssMetadata::default();
    assert_eq!(keep.tags(Some(&stored)), stored);
    let new = keep.tags(None);
    assert_eq!(new.get("secret_type").map(String::as_str), Some("custom"));
    assert_eq!(new.len(), 1);
    let replace = AssMetadata {
        secret_type: Some(SecretType::SshKey),
        tier: None,
        metadata: Some(Tags::new()),
    };
    let tags = replace.tags(Some(&stored));
    assert_eq!(tags.len(), 1);
    assert_eq!(SecretType::of_tags(&tags), SecretType::SshKey);
}

#[test]
fn import_body_spells_each_line_as_a_path_under_the_namespace() {
    let body = json!({
        "namespace": "production/app",
        "content": "# env\nAPI_KEY=sk-1\nDB_URL=\"postgres://x\"\n",
        "secret_type": "custom",
        "access_tier": "standard",
        "metadata": null,
    });
    let import = EnvImport::parse(body.to_string().as_bytes()).unwrap();
    let paths: Vec<&str> = import.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["production/app/API_KEY", "production/app/DB_URL"]
    );
    assert!(!format!("{import:?}").contains("sk-1"));
    let bad = json!({"namespace": "p", "content": "A=1\nB"});
    let err = EnvImport::parse(bad.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.details["line"], 2);
    let bad = json!({"namespace": "bad ns", "content": "A=1"});
    let err = EnvImport::parse(bad.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.details["field"], "namespace");
}

#[test]
fn token_body_maps_onto_the_native_request() {
    let request = parse_token_request(
        br#"{"scopes":["secrets:read:prod/KEY","namespaces:read"],"ttl":"15m","max_uses":3,"ip_allowlist":["10.0.0.0/8"]}"#,
        60,
    )
    .unwrap();
    assert_eq!(request.scope.scopes().len(), 2);
    assert_eq!(request.ttl_seconds, Some(900));
    assert_eq!(request.max_uses, Some(3));
    assert_eq!(request.allowed_ips.len(), 1);
    let minimal =
        parse_token_request(br#"{"scopes":["secrets:read:a/*"],"ttl":"1h"}"#, 60).unwrap();
    assert_eq!(minimal.ttl_seconds, Some(3600));
    for (body, field) in [
        (r#"{"ttl":"1h"}"#, "scopes"),
        (r#"{"scopes":["secrets:peek:a"]}"#, "scopes"),
        (r#"{"scopes":["admin"],"ttl":"2d"}"#, "ttl"),
        (r#"{"scopes":["admin"],"ip_allowlist":[]}"#, "ip_allowlist"),
        (
            r#"{"scopes":["admin"],"ip_allowlist":["nope"]}"#,
            "ip_allowlist",
        ),
        (r#"{"scopes":["admin"],"scope":"admin"}"#, "scope"),
    ] {
        let err = parse_token_request(body.as_bytes(), 60).unwrap_err();
        assert_eq!(err.status(), 422, "{body}");
        assert_eq!(err.details["field"], field, "{body}");
    }
}

#[test]
fn ttl_durations_parse_within_the_token_limits() {
    for (text, seconds) in [
        ("1h", 3600),
        ("15m", 900),
        ("1h30m", 5400),
        ("1d", 86_400),
        ("90s", 90),
    ] {
        assert_eq!(parse_ttl(text, 60).unwrap(), seconds, "{text}");
    }
    for bad in [
        "",
        "h",
        "1",
        "1w",
        "59s",
        "25h",
        "1.5h",
        "-1h",
        "99999999999999999999h",
    ] {
        assert!(parse_ttl(bad, 60).is_err(), "{bad}");
    }
    assert_eq!(parse_ttl("2s", 1).unwrap(), 2);
}

#[test]
fn errors_carry_the_sdk_codes_and_detail() {
    let denied = ApiError::new(ErrorCode::PermissionDenied, "no").with("required_scope", "x");
    let body = error_body(&denied, true);
    assert_eq!(body["error"]["code"], "SCOPE_DENIED");
    assert_eq!(body["error"]["message"], "no");
    assert_eq!(body["error"]["required_scope"], "x");
    assert_eq!(body["detail"], "no");
    let missing = ApiError::not_found("gone");
    assert_eq!(
        error_body(&missing, true)["error"]["code"],
        "SECRET_NOT_FOUND"
    );
    assert_eq!(error_body(&missing, false)["error"]["code"], "NOT_FOUND");
    assert_eq!(
        error_body(&ApiError::unauthorized("x"), false)["error"]["code"],
        "UNAUTHORIZED"
    );
    assert_eq!(
        error_body(&ApiError::validation("f", "x"), false)["error"]["code"],
        "VALIDATION_ERROR"
    );
}

fn summary(text: &str) -> SecretSummary {
    let at = Timestamp::parse_rfc3339("2025-01-15T10:00:00Z").unwrap();
    SecretSummary {
        id: crate::secret::SecretId::parse("sec_0123456789abcdef01234567").unwrap(),
        path: path(text),
        version: 1,
        tier: Tier::Standard,
        description: None,
        tags: [
            ("secret_type".to_owned(), "api_key".to_owned()),
            ("team".to_owned(), "ml".to_owned()),
        ]
        .into_iter()
        .collect(),
        created_at: at,
        updated_at: at,
        expires_at: None,
        max_versions: 10,
        field_count: 0,
        deleted_at: None,
        allowed_hosts: Default::default(),
    }
}

#[test]
fn list_answer_splits_paths_and_leaves_out_the_namespace_itself() {
    let page = SecretPage {
        items: vec![summary("prod/openai"), summary("prod/openai/KEY")],
        total: 2,
        next_cursor: None,
    };
    let ns = path("prod/openai");
    let answer = wire::list(&ns, &page);
    assert_eq!(answer["total"], 1);
    assert_eq!(answer["items"][0]["namespace"], "prod/openai");
    assert_eq!(answer["items"][0]["key"], "KEY");
    assert_eq!(answer["items"][0]["secret_type"], "api_key");
    assert_eq!(answer["items"][0]["metadata"], json!({"team": "ml"}));
    assert!(wire::lists_something(&ns, &page));
    let only_itself = SecretPage {
        items: vec![summary("prod/openai")],
        total: 1,
        next_cursor: None,
    };
    assert!(!wire::lists_something(&ns, &only_itself));
}
