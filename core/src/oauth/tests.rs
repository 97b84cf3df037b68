use super::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9qpgBYTyGKzy3uo6hFQw9SrGT";
/// base64url(SHA-256(VERIFIER)), computed with Python's hashlib.
const CHALLENGE: &str = "zq-HdnaeUDqeKH4K_GffGOxeBIbbHbK_V8LuydqP8qU";
const RESOURCE: &str = "https://latchkey.example/mcp";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn good() -> Vec<(String, String)> {
    pairs(&[
        ("response_type", "code"),
        ("client_id", "lkc_0123456789abcdef0123456789abcdef"),
        ("redirect_uri", "https://claude.ai/api/mcp/auth_callback"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "xyz"),
        ("resource", RESOURCE),
        ("scope", "secrets:use:*"),
        ("unknown", "ignored, as RFC 6749 3.1 says"),
    ])
}

fn parse(list: Vec<(String, String)>) -> Result<AuthorizeRequest, AuthorizeRefusal> {
    let (client, redirect) = authorize_client(&list).map_err(AuthorizeRefusal::Page)?;
    authorize_request(&list, client, redirect, RESOURCE)
}

#[test]
fn pkce_s256_verifies_the_matching_verifier_only() {
    let challenge = CodeChallenge::parse(CHALLENGE).unwrap();
    assert!(challenge.verifies(VERIFIER));
    assert!(!challenge.verifies(&VERIFIER.replace('d', "e")));
    assert!(!challenge.verifies("short"));
    // `plain` would compare the verifier itself: never accepted.
    assert!(!CodeChallenge::parse(VERIFIER).unwrap().verifies(VERIFIER));
    assert!(CodeChallenge::parse("too-short").is_err());
    assert!(CodeChallenge::parse(&format!("{}=", &CHALLENGE[..42])).is_err());
}

#[test]
fn authorize_request_with_pkce_and_this_resource_is_accepted() {
    let request = parse(good()).unwrap();
    assert_eq!(request.state.as_deref(), Some("xyz"));
    assert_eq!(request.resource, RESOURCE);
    assert_eq!(request.scope.as_deref(), Some("secrets:use:*"));
}

#[test]
fn authorize_refusals_redirect_once_the_client_is_known() {
    let without = |name: &str| good().into_iter().filter(|(k, _)| k != name).collect();
    let with = |name: &str, value: &str| {
        let mut list: Vec<(String, String)> = without(name);
        list.push((name.to_owned(), value.to_owned()));
        list
    };
    let error_of = |list| match parse(list) {
        Err(AuthorizeRefusal::Redirect { error, .. }) => error,
        other => panic!("{other:?}"),
    };
    assert_eq!(error_of(without("code_challenge")), "invalid_request");
    assert_eq!(
        error_of(with("code_challenge_method", "plain")),
        "invalid_request"
    );
    assert_eq!(
        error_of(without("code_challenge_method")),
        "invalid_request"
    );
    assert_eq!(
        error_of(with("response_type", "token")),
        "unsupported_response_type"
    );
    assert_eq!(
        error_of(with("resource", "https://other.example/mcp")),
        "invalid_target"
    );
    let mut twice = good();
    twice.push(("state".into(), "again".into()));
    assert_eq!(error_of(twice), "invalid_request");
    // Without a known client or redirect URI the refusal is a page, never a redirect.
    assert!(matches!(
        parse(without("client_id")),
        Err(AuthorizeRefusal::Page(_))
    ));
    assert!(matches!(
        parse(without("redirect_uri")),
        Err(AuthorizeRefusal::Page(_))
    ));
    assert!(matches!(
        parse(with("client_id", "lkc_nothex")),
        Err(AuthorizeRefusal::Page(_))
    ));
}

#[test]
fn redirect_uris_are_https_loopback_http_or_private_schemes() {
    for ok in [
        "https://claude.ai/api/mcp/auth_callback",
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "http://127.0.0.1:6276/oauth/callback",
        "http://localhost:8787/callback",
        "http://[::1]:3000/cb",
        "cursor://anysphere.cursor-mcp/oauth/callback",
    ] {
        assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://example.com/cb",
        "https://example.com/cb#frag",
        "https://user:pw@example.com/cb",
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "not a uri",
        "/relative",
    ] {
        assert!(RedirectUri::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn registered_redirect_uris_match_exactly_but_a_loopback_port_may_vary() {
    let client = ClientMetadata::from_registration(
        br#"{"redirect_uris": ["https://app.example/cb", "http://127.0.0.1/cb"], "client_name": "App"}"#,
    )
    .unwrap();
    assert!(client.allows("https://app.example/cb").is_some());
    assert!(client.allows("https://app.example/cb/").is_none());
    assert!(client.allows("https://app.example/cb?x=1").is_none());
    assert!(client.allows("https://evil.example/cb").is_none());
    assert!(client.allows("http://127.0.0.1:51234/cb").is_some());
    assert!(client.allows("http://127.0.0.1:51234/other").is_none());
}

#[test]
fn registration_refuses_confidential_clients_and_bad_uris() {
    assert_eq!(
        ClientMetadata::from_registration(br#"{"redirect_uris": []}"#)
            .unwrap_err()
            .error,
        "invalid_redirect_uri"
    );
    assert_eq!(
        ClientMetadata::from_registration(
            br#"{"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "client_secret_basic"}"#
        )
        .unwrap_err()
        .error,
        "invalid_client_metadata"
    );
    assert_eq!(
        ClientMetadata::from_registration(br#"{"redirect_uris": ["http://a.example/cb"]}"#)
            .unwrap_err()
            .error,
        "invalid_redirect_uri"
    );
    assert_eq!(
        ClientMetadata::from_registration(b"[1]").unwrap_err().error,
        "invalid_client_metadata"
    );
    let named = ClientMetadata::from_registration(
        br#"{"redirect_uris": ["https://a.example/cb"], "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "application_type": "web"}"#,
    )
    .unwrap();
    assert_eq!(named.client_name, "an unnamed client");
}

#[test]
fn a_metadata_document_must_name_its_own_url() {
    let url = "https://client.example/oauth/metadata.json";
    let doc = format!(
        r#"{{"client_id": "{url}", "client_name": "C", "redirect_uris": ["https://client.example/cb"]}}"#
    );
    assert!(ClientMetadata::from_document(doc.as_bytes(), url).is_ok());
    assert!(ClientMetadata::from_document(doc.as_bytes(), "https://other.example/m.json").is_err());
    assert!(ClientId::parse(url).is_ok());
    assert!(ClientId::parse("https://client.example/").is_err());
    assert!(ClientId::parse("ftp://client.example/m").is_err());
}

#[test]
fn codes_and_refresh_tokens_carry_their_tenant() {
    let tenant = TenantId::generate().unwrap();
    let code = mint_code(&tenant).unwrap();
    let (parsed, hash) = parse_credential(CODE_PREFIX, &code.value).unwrap();
    assert_eq!(parsed, tenant);
    assert_eq!(hash, code.hash);
    assert!(parse_credential(REFRESH_PREFIX, &code.value).is_none());
    let refresh = mint_refresh_token(&tenant).unwrap();
    assert!(parse_credential(REFRESH_PREFIX, &refresh.value).is_some());
    assert!(parse_credential(REFRESH_PREFIX, &refresh.value[..refresh.value.len() - 1]).is_none());
}

#[test]
fn token_requests_parse_by_grant_type() {
    let code = TokenGrant::parse(&pairs(&[
        ("grant_type", "authorization_code"),
        ("code", "c"),
        ("code_verifier", VERIFIER),
        ("redirect_uri", "https://a.example/cb"),
        ("client_id", "lkc_x"),
    ]))
    .unwrap();
    assert!(matches!(code, TokenGrant::Code { .. }));
    assert_eq!(
        TokenGrant::parse(&pairs(&[
            ("grant_type", "authorization_code"),
            ("code", "c")
        ]))
        .unwrap_err()
        .error,
        "invalid_request"
    );
    assert_eq!(
        TokenGrant::parse(&pairs(&[("grant_type", "password")]))
            .unwrap_err()
            .error,
        "unsupported_grant_type"
    );
    assert_eq!(
        check_resource(Some("https://other.example/mcp"), RESOURCE)
            .unwrap_err()
            .error,
        "invalid_target"
    );
    assert!(check_resource(Some(RESOURCE), RESOURCE).is_ok());
}

#[test]
fn redirects_keep_the_clients_query_and_encode_values() {
    let uri = RedirectUri::parse("https://a.example/cb?x=1").unwrap();
    assert_eq!(
        uri.with_params(&[("code", "a b&c"), ("iss", "https://l.example")]),
        "https://a.example/cb?x=1&code=a%20b%26c&iss=https%3A%2F%2Fl.example"
    );
}

#[test]
fn metadata_advertises_s256_and_the_iss_parameter() {
    let origin = "https://latchkey.example";
    let server = authorization_server_metadata(origin);
    assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(server["issuer"], origin);
    assert_eq!(
        server["authorization_response_iss_parameter_supported"],
        true
    );
    let resource = protected_resource_metadata(origin);
    assert_eq!(resource["resource"], RESOURCE);
    assert_eq!(resource["authorization_servers"], json!([origin]));
}

#[test]
fn pages_escape_what_the_client_chose() {
    let mut list = good();
    list.push(("x".into(), "y".into()));
    let mut request = parse(list).unwrap();
    request.state = Some("\"><script>alert(1)</script>".into());
    let html = pages::login_page(&request, "<img src=x>", None, Some("<b>"));
    assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"));
    let held = vec!["secrets:use:*".to_owned(), "audit:read".to_owned()];
    let choices = pages::ConsentChoices {
        person: "a@b.example",
        held: &held,
        session: "jwt",
        tenant: "tn_x",
    };
    let html = pages::consent_page(&request, "C", &choices, None);
    assert!(html.contains("name=\"scope\" id=\"scope-0\" value=\"secrets:use:*\" checked"));
    assert!(!html.contains("value=\"audit:read\" checked"));
    assert!(!html.contains("<script>"));
}
