use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn route_every_seed_endpoint_resolves() {
    use MaestroRoute as R;
    let field = || FieldName::parse("username").unwrap();
    let cases = [
        ("GET", "/maestro/v1/health", R::Health),
        ("GET", "/maestro/v1/secrets", R::ListSecrets),
        ("GET", "/maestro/v1/search", R::Search),
        (
            "GET",
            "/maestro/v1/secrets/db-password",
            R::GetSecret("db-password".into()),
        ),
        (
            "PUT",
            "/maestro/v1/secrets/my-key",
            R::SetSecret("my-key".into()),
        ),
        (
            "PATCH",
            "/maestro/v1/secrets/my-key",
            R::EditSecret("my-key".into()),
        ),
        (
            "DELETE",
            "/maestro/v1/secrets/my-key",
            R::DeleteSecret("my-key".into()),
        ),
        (
            "GET",
            "/maestro/v1/secrets/s/fields",
            R::GetFields("s".into()),
        ),
        (
            "PUT",
            "/maestro/v1/secrets/s/fields",
            R::SetFields("s".into()),
        ),
        (
            "GET",
            "/maestro/v1/secrets/s/fields/username",
            R::GetField("s".into(), field()),
        ),
        (
            "PUT",
            "/maestro/v1/secrets/s/fields/username",
            R::SetField("s".into(), field()),
        ),
        (
            "DELETE",
            "/maestro/v1/secrets/s/fields/username",
            R::DeleteField("s".into(), field()),
        ),
        ("POST", "/maestro/v1/generate", R::Generate),
        ("GET", "/maestro/v1/info", R::Info),
        ("GET", "/maestro/v1/tokens", R::ListTokens),
        ("POST", "/maestro/v1/tokens", R::CreateToken),
        (
            "DELETE",
            "/maestro/v1/tokens/tok_0123456789abcdef",
            R::RevokeToken(TokenId::parse("tok_0123456789abcdef").unwrap()),
        ),
    ];
    for (method, path, want) in cases {
        assert_eq!(
            MaestroRoute::resolve(method, path).unwrap(),
            want,
            "{method} {path}"
        );
    }
}

#[test]
fn route_unknown_path_is_404_and_wrong_method_405_with_allow() {
    let err = MaestroRoute::resolve("GET", "/maestro/v1/nope").unwrap_err();
    assert_eq!(err.status(), 404);
    let err = MaestroRoute::resolve("POST", "/maestro/v1/secrets/x").unwrap_err();
    assert_eq!(err.status(), 405);
    assert_eq!(
        err.details.get("allow").and_then(Value::as_str),
        Some("GET, PUT, PATCH, DELETE")
    );
    assert!(is_maestro_path("/maestro/v1/health"));
    assert!(!is_maestro_path("/maestrox/v1/health"));
    assert!(!is_maestro_path("/v1/secrets"));
}

#[test]
fn query_unknown_or_repeated_parameter_is_400_naming_it() {
    let route = MaestroRoute::GetSecret("db".into());
    let err = route.query(&pairs(&[("envv", "prod")])).unwrap_err();
    assert_eq!(status_of(&err), 400);
    assert!(err.message.contains("'envv'"), "{}", err.message);
    let err = route
        .query(&pairs(&[("env", "a"), ("env", "b")]))
        .unwrap_err();
    assert!(err.message.contains("more than once"));
    let err = MaestroRoute::Info
        .query(&pairs(&[("env", "prod")]))
        .unwrap_err();
    assert!(err.message.contains("'env'"));
    let err = MaestroRoute::ListSecrets
        .query(&pairs(&[("metadata_value", "x")]))
        .unwrap_err();
    assert!(err.message.contains("metadata_key"));
    assert!(MaestroRoute::Search.query(&[]).is_err());
}

#[test]
fn env_is_the_first_path_segment_and_empty_is_the_default() {
    let route = MaestroRoute::GetSecret("db".into());
    let prod = route.query(&pairs(&[("env", "prod")])).unwrap();
    assert_eq!(
        prod.environment().path_of("db").unwrap().as_str(),
        "prod/db"
    );
    let none = route.query(&[]).unwrap();
    assert_eq!(none.environment().path_of("db").unwrap().as_str(), "db");
    let empty = route.query(&pairs(&[("env", "")])).unwrap();
    assert_eq!(empty.environment().path_of("db").unwrap().as_str(), "db");
    assert!(Environment::default().path_of("a/b").is_err());
    assert!(Environment::parse("a/b").is_err());
    assert!(Environment::parse("bad env").is_err());
    let path = SecretPath::parse("prod/db").unwrap();
    assert_eq!(split(&path), ("prod", "db"));
    assert_eq!(split(&SecretPath::parse("db").unwrap()), ("", "db"));
    assert!(Environment::parse("prod").unwrap().holds(&path));
    assert!(!Environment::default().holds(&path));
}

#[test]
fn set_body_takes_value_and_metadata_and_refuses_unknown_members() {
    let set = SetRequest::parse(br#"{"value": "s3cret", "metadata": {"service": "db"}}"#).unwrap();
    assert_eq!(set.value, "s3cret");
    assert_eq!(
        set.metadata.unwrap().get("service").map(String::as_str),
        Some("db")
    );
    for bad in [
        &br#"{"metadata": {}}"#[..],
        br#"{"value": "v", "labels": {}}"#,
        br#"{"value": "v", "metadata": {"n": 1}}"#,
        br#"{"value": ""}"#,
        b"not json",
    ] {
        let err = SetRequest::parse(bad).unwrap_err();
        assert_eq!(status_of(&err), 400, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn edit_body_needs_something_to_change() {
    let edit = EditRequest::parse(br#"{"metadata": {"service": "api"}}"#).unwrap();
    assert_eq!(edit.value, None);
    assert!(edit.metadata.is_some());
    assert!(EditRequest::parse(b"{}").is_err());
    assert!(EditRequest::parse(br#"{"valeu": "x"}"#).is_err());
}

#[test]
fn generate_body_as_the_seed_writes_it() {
    let request = GenerateRequest::parse(
        br#"{"name": "wifi-password", "environment": "home", "length": 24, "uppercase": true,
            "lowercase": true, "digits": true, "symbols": false, "metadata": {"type": "wifi"}}"#,
    )
    .unwrap();
    assert_eq!(request.password.length, 24);
    assert!(!request.password.symbols);
    let (path, metadata) = request.store.unwrap();
    assert_eq!(path.as_str(), "home/wifi-password");
    assert_eq!(
        metadata.unwrap().get("type").map(String::as_str),
        Some("wifi")
    );
    let defaults = GenerateRequest::parse(b"").unwrap();
    assert_eq!(defaults.password.length, 32);
    assert_eq!(defaults.password.classes().len(), 4);
    assert!(defaults.store.is_none());
    assert!(GenerateRequest::parse(br#"{"metadata": {"a": "b"}}"#).is_err());
    assert!(GenerateRequest::parse(br#"{"path": "x"}"#).is_err());
}

#[test]
fn go_durations_parse_like_time_parse_duration() {
    assert_eq!(parse_go_duration("720h"), Ok(720 * 3600));
    assert_eq!(parse_go_duration("24h"), Ok(86_400));
    assert_eq!(parse_go_duration("1h30m"), Ok(5400));
    assert_eq!(parse_go_duration("1.5h"), Ok(5400));
    assert_eq!(parse_go_duration("90s"), Ok(90));
    assert_eq!(parse_go_duration("0"), Ok(0));
    for bad in ["", "30d", "h", "1x", "-1h", "1..5h", "5"] {
        assert!(parse_go_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn token_request_maps_seed_scopes_and_expiry() {
    let request = parse_token_request(
        br#"{"name": "deploy-token", "scopes": ["read", "write"], "expires_in": "720h"}"#,
    )
    .unwrap();
    assert_eq!(request.ttl_seconds, Some(720 * 3600));
    assert!(!request.never_expires);
    assert_eq!(request.description.as_deref(), Some("deploy-token"));
    assert_eq!(
        request.scope.to_string(),
        "secrets:read:* secrets:write:* secrets:delete:*"
    );
    assert_eq!(seed_scopes(&request.scope), ["read", "write", "generate"]);
    let forever = parse_token_request(br#"{"name": "ci", "scopes": ["admin"]}"#).unwrap();
    assert!(forever.never_expires);
    assert_eq!(forever.ttl_seconds, None);
    assert_eq!(seed_scopes(&forever.scope), ["admin"]);
    let zero =
        parse_token_request(br#"{"name": "ci", "scopes": ["read"], "expires_in": "0"}"#).unwrap();
    assert!(zero.never_expires);
    for bad in [
        &br#"{"scopes": ["read"]}"#[..],
        br#"{"name": "x", "scopes": []}"#,
        br#"{"name": "x", "scopes": ["root"]}"#,
        br#"{"name": "x", "scopes": ["read"], "expires_in": "10s"}"#,
        br#"{"name": "x", "scopes": ["read"], "expires_in": "soon"}"#,
        br#"{"name": "x", "scopes": ["read"], "ttl_seconds": 60}"#,
    ] {
        let err = parse_token_request(bad).unwrap_err();
        assert_eq!(status_of(&err), 400, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn seed_scopes_show_native_scopes_they_do_not_name() {
    let scopes = ScopeSet::from_scopes(vec![
        Scope::everywhere(SecretAction::Write),
        Scope::AuditRead,
    ]);
    assert_eq!(
        seed_scopes(&scopes),
        ["generate", "secrets:write:*", "audit:read"]
    );
}

#[test]
fn errors_have_the_seed_shape_and_statuses() {
    let err = ApiError::validation("value", "'value' is required");
    assert_eq!(status_of(&err), 400);
    assert_eq!(error_body(&err), json!({"error": "'value' is required"}));
    assert_eq!(status_of(&ApiError::not_found("x")), 404);
    assert_eq!(status_of(&ApiError::unauthorized("x")), 401);
}
