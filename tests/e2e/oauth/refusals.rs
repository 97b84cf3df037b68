//! OAuth's refusals, each over plain HTTP unless a person must act (then in Chromium): a
//! wrong verifier, a reused code, another resource, the token off `/mcp`, unregistered
//! redirect URIs, consent beyond one's rights, denial, a wrong password, a foreign `Origin`,
//! bad registrations and authorize parameters; and the metadata documents.

use super::*;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "oauth::code_with_wrong_verifier_is_invalid_grant",
        code_with_wrong_verifier_is_invalid_grant,
    ),
    (
        "oauth::code_reused_is_invalid_grant_and_revokes_its_token",
        code_reused_is_invalid_grant_and_revokes_its_token,
    ),
    (
        "oauth::resource_of_another_server_is_invalid_target",
        resource_of_another_server_is_invalid_target,
    ),
    (
        "oauth::access_token_on_rest_api_is_unauthorized",
        access_token_on_rest_api_is_unauthorized,
    ),
    (
        "oauth::redirect_uri_not_registered_gets_error_page_without_redirect",
        redirect_uri_not_registered_gets_error_page_without_redirect,
    ),
    (
        "oauth::consent_beyond_own_rights_is_forbidden_without_code",
        consent_beyond_own_rights_is_forbidden_without_code,
    ),
    (
        "oauth::consent_denied_redirects_access_denied_with_iss",
        consent_denied_redirects_access_denied_with_iss,
    ),
    (
        "oauth::login_with_wrong_password_shows_error_without_consent",
        login_with_wrong_password_shows_error_without_consent,
    ),
    (
        "oauth::mcp_with_foreign_origin_is_forbidden",
        mcp_with_foreign_origin_is_forbidden,
    ),
    (
        "oauth::metadata_advertises_s256_and_points_at_each_other",
        metadata_advertises_s256_and_points_at_each_other,
    ),
    (
        "oauth::registration_with_bad_metadata_is_refused",
        registration_with_bad_metadata_is_refused,
    ),
    (
        "oauth::authorize_with_bad_parameters_redirects_with_error",
        authorize_with_bad_parameters_redirects_with_error,
    ),
];

fn code_with_wrong_verifier_is_invalid_grant(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Verifier connector", &redirect);
    let code = consented_code(ctx, &person, &client_id, &redirect);
    let (other_verifier, _) = pkce();
    let reply = exchange(ctx, &client_id, &redirect, &code.code, &other_verifier);
    assert_oauth_error(&reply, 400, "invalid_grant");
    assert!(reply.body["access_token"].is_null());
}

fn code_reused_is_invalid_grant_and_revokes_its_token(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Reuse connector", &redirect);
    let code = consented_code(ctx, &person, &client_id, &redirect);
    let first = exchange(ctx, &client_id, &redirect, &code.code, &code.verifier);
    assert_eq!(first.status, 200, "{}", first.text);
    let access = first.body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = first.body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(mcp_status(ctx, &access), 200);
    let again = exchange(ctx, &client_id, &redirect, &code.code, &code.verifier);
    assert_oauth_error(&again, 400, "invalid_grant");
    assert_eq!(mcp_status(ctx, &access), 401, "the first token survived");
    assert_oauth_error(
        &refresh(ctx, &client_id, &refresh_token),
        400,
        "invalid_grant",
    );
}

fn resource_of_another_server_is_invalid_target(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Target connector", &redirect);
    let (_, challenge) = pkce();
    // At authorize: the client's redirect URI gets the error, the state and iss.
    let mut params = authorize_params(ctx, &client_id, &redirect, &challenge, "st-1");
    params.retain(|(k, _)| *k != "resource");
    params.push(("resource", "https://other.example/mcp".into()));
    let reply = no_redirect("GET", &authorize_url(ctx, &params), &[], None);
    assert!(
        (300..400).contains(&reply.status),
        "{}: {}",
        reply.status,
        reply.text
    );
    let location = reply.header("Location").unwrap_or_default();
    assert!(location.starts_with(&redirect), "{location}");
    let query = query_of(location);
    assert_eq!(
        param(&query, "error").as_deref(),
        Some("invalid_target"),
        "{location}"
    );
    assert_eq!(param(&query, "state").as_deref(), Some("st-1"));
    assert_eq!(
        param(&query, "iss").as_deref(),
        Some(ctx.runtime.base_url.as_str())
    );
    // At the token endpoint: a good code asked for another audience.
    let code = consented_code(ctx, &person, &client_id, &redirect);
    let reply = token(
        ctx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code.code),
            ("code_verifier", &code.verifier),
            ("redirect_uri", &redirect),
            ("client_id", &client_id),
            ("resource", "https://other.example/mcp"),
        ],
    );
    assert_oauth_error(&reply, 400, "invalid_target");
    assert!(reply.body["access_token"].is_null());
}

fn access_token_on_rest_api_is_unauthorized(ctx: &Ctx) {
    let person = person(ctx);
    let (_, access, _) = grant(ctx, &person, "Audience connector");
    assert_eq!(mcp_status(ctx, &access), 200);
    let api = ctx.api();
    api.get("/v1/secrets", Some(&access))
        .assert_error(401, "unauthorized");
    api.get_secret(&access, &format!("{}/app/db", person.prefix))
        .assert_error(401, "unauthorized");
    // Nor can it mint itself a token that would.
    let minted = api.create_token(&access, &json!({"scope": "secrets:read:*"}));
    assert_eq!(minted.status, 401, "{}", minted.text);
}

fn redirect_uri_not_registered_gets_error_page_without_redirect(ctx: &Ctx) {
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Redirect connector", &redirect);
    let (_, challenge) = pkce();
    let unknown_client = format!("lkc_{}", "0".repeat(32));
    for (client, uri) in [
        (client_id.as_str(), "http://127.0.0.1:4/somewhere-else"),
        (client_id.as_str(), "https://attacker.example/callback"),
        (unknown_client.as_str(), redirect.as_str()),
    ] {
        let params = authorize_params(ctx, client, uri, &challenge, "st");
        let reply = no_redirect("GET", &authorize_url(ctx, &params), &[], None);
        assert_eq!(reply.status, 400, "{client} {uri}: {}", reply.text);
        assert!(reply.header("Location").is_none(), "{:?}", reply.headers);
        assert!(
            reply
                .header("Content-Type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{:?}",
            reply.headers
        );
        assert!(reply.text.contains("id=\"error\""), "{}", reply.text);
        assert_page_headers(
            reply.header("Content-Security-Policy"),
            reply.header("X-Frame-Options"),
            "error page",
        );
    }
}

fn consent_beyond_own_rights_is_forbidden_without_code(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Greedy connector", &redirect);
    for beyond in ["secrets:write:*", "admin"] {
        let (_, challenge) = pkce();
        let url = authorize_url(
            ctx,
            &authorize_params(ctx, &client_id, &redirect, &challenge, "st"),
        );
        let report = consent(&url, &person, PASSWORD, &["--scope-text", beyond]);
        assert_eq!(report["outcome"], "no_redirect", "{report}");
        assert!(report["redirect"].is_null(), "{report}");
        let decided = report["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["stage"] == "decided")
            .unwrap_or_else(|| panic!("{report}"));
        assert_eq!(decided["status"], 403, "{report}");
        assert!(
            decided["error"]
                .as_str()
                .is_some_and(|e| e.contains(beyond)),
            "{report}"
        );
    }
    assert!(grants_of(ctx, &person.key, &client_id).is_empty());
}

fn consent_denied_redirects_access_denied_with_iss(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Denied connector", &redirect);
    let (_, challenge) = pkce();
    let url = authorize_url(
        ctx,
        &authorize_params(ctx, &client_id, &redirect, &challenge, "st-deny"),
    );
    let report = consent(&url, &person, PASSWORD, &["--deny"]);
    assert_redirected(&report);
    assert_eq!(report["query"]["error"], "access_denied", "{report}");
    assert_eq!(report["query"]["state"], "st-deny", "{report}");
    assert_eq!(report["query"]["iss"], ctx.runtime.base_url.as_str());
    assert!(report["query"]["code"].is_null(), "{report}");
    assert!(grants_of(ctx, &person.key, &client_id).is_empty());
}

fn login_with_wrong_password_shows_error_without_consent(ctx: &Ctx) {
    let person = person(ctx);
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Login connector", &redirect);
    let (_, challenge) = pkce();
    let url = authorize_url(
        ctx,
        &authorize_params(ctx, &client_id, &redirect, &challenge, "st"),
    );
    let report = consent(&url, &person, "not the password", &[]);
    assert_eq!(report["outcome"], "no_consent_form", "{report}");
    assert!(report["error"].is_string(), "{report}");
    assert!(report["redirect"].is_null(), "{report}");
    let again = &report["pages"][1];
    assert!(strs(&again["ids"]).contains(&"login"), "{report}");
    assert!(
        !again["text"]
            .as_str()
            .unwrap_or_default()
            .contains("not the password")
    );
}

fn mcp_with_foreign_origin_is_forbidden(ctx: &Ctx) {
    let person = person(ctx);
    let (_, access, _) = grant(ctx, &person, "Origin connector");
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let send = |origin: Option<&str>| {
        let mut headers = vec![("MCP-Protocol-Version", "2025-11-25")];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        ctx.api()
            .send("POST", "/mcp", Some(&access), &headers, Body::Json(&ping))
    };
    let foreign = send(Some("https://evil.example"));
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    assert!(foreign.body["result"].is_null(), "{}", foreign.text);
    assert_eq!(send(None).status, 200);
    assert_eq!(send(Some(&ctx.runtime.base_url)).status, 200);
}

fn metadata_advertises_s256_and_points_at_each_other(ctx: &Ctx) {
    let base = ctx.runtime.base_url.as_str();
    let api = ctx.api();
    let unauthenticated = api.send(
        "POST",
        "/mcp",
        None,
        &[],
        Body::Json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})),
    );
    assert_eq!(unauthenticated.status, 401, "{}", unauthenticated.text);
    assert_eq!(
        unauthenticated.header("WWW-Authenticate"),
        Some(
            format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"")
                .as_str()
        )
    );
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let prm = api.get(path, None);
        assert_eq!(prm.status, 200, "{path}: {}", prm.text);
        assert_eq!(prm.body["resource"], resource(ctx).as_str(), "{}", prm.text);
        assert_eq!(prm.body["authorization_servers"], json!([base]));
        assert_eq!(prm.body["bearer_methods_supported"], json!(["header"]));
        assert_eq!(prm.body["resource_name"], "Latchkey");
        assert!(prm.body["scopes_supported"].is_array(), "{}", prm.text);
    }
    let asm = api.get("/.well-known/oauth-authorization-server", None);
    assert_eq!(asm.status, 200, "{}", asm.text);
    let m = &asm.body;
    assert_eq!(m["issuer"], base);
    for (member, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("registration_endpoint", "/oauth/register"),
        ("revocation_endpoint", "/oauth/revoke"),
    ] {
        assert_eq!(m[member], format!("{base}{path}"), "{member}: {m}");
    }
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(
        m["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(m["token_endpoint_auth_methods_supported"], json!(["none"]));
    assert_eq!(m["client_id_metadata_document_supported"], true);
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    let scopes = strs(&m["scopes_supported"]);
    assert!(!scopes.is_empty(), "{m}");
}

fn registration_with_bad_metadata_is_refused(ctx: &Ctx) {
    let body = |redirects: Value, method: &str| {
        json!({"redirect_uris": redirects, "client_name": "Registrant",
               "token_endpoint_auth_method": method,
               "grant_types": ["authorization_code", "refresh_token"],
               "response_types": ["code"]})
    };
    for uri in [
        "http://example.com/callback",
        "https://app.example/callback#fragment",
        "http://10.0.0.8/callback",
        "not a uri",
    ] {
        let reply = register(ctx, &body(json!([uri]), "none"));
        assert_eq!(reply.status, 400, "{uri}: {}", reply.text);
        assert_eq!(reply.body["error"], "invalid_redirect_uri", "{uri}");
        assert!(reply.body["error_description"].is_string());
    }
    let secret = register(
        ctx,
        &body(json!(["https://app.example/cb"]), "client_secret_basic"),
    );
    assert_eq!(secret.status, 400, "{}", secret.text);
    assert_eq!(secret.body["error"], "invalid_client_metadata");
    let empty = register(ctx, &body(json!([]), "none"));
    assert_eq!(empty.status, 400, "{}", empty.text);
    // What real clients use is accepted.
    for uri in [
        "https://claude.ai/api/mcp/auth_callback",
        "http://localhost:6274/oauth/callback",
        "http://[::1]:6276/oauth/callback",
        "cursor://anysphere.cursor-mcp/oauth/callback",
    ] {
        let reply = register(ctx, &body(json!([uri]), "none"));
        assert_eq!(reply.status, 201, "{uri}: {}", reply.text);
        assert_eq!(reply.body["redirect_uris"], json!([uri]));
        assert!(
            reply.body["client_id"]
                .as_str()
                .is_some_and(|c| c.starts_with("lkc_") && c.len() == 36),
            "{}",
            reply.text
        );
        assert!(reply.body["client_id_issued_at"].is_u64());
    }
}

fn authorize_with_bad_parameters_redirects_with_error(ctx: &Ctx) {
    let redirect = redirect_uri();
    let client_id = registered(ctx, "Parameters connector", &redirect);
    let (_, challenge) = pkce();
    let good = authorize_params(ctx, &client_id, &redirect, &challenge, "st-p");
    let changed = |name: &str, value: Option<&str>| {
        let mut params: Vec<(&'static str, String)> =
            good.iter().filter(|(k, _)| *k != name).cloned().collect();
        if let Some(value) = value {
            let key = good.iter().find(|(k, _)| *k == name).expect("known").0;
            params.push((key, value.to_owned()));
        }
        params
    };
    for (params, error) in [
        (changed("code_challenge", None), "invalid_request"),
        (
            changed("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (
            changed("response_type", Some("token")),
            "unsupported_response_type",
        ),
    ] {
        let reply = no_redirect("GET", &authorize_url(ctx, &params), &[], None);
        assert!(
            (300..400).contains(&reply.status),
            "{error}: {} {}",
            reply.status,
            reply.text
        );
        let location = reply.header("Location").unwrap_or_default();
        assert!(location.starts_with(&redirect), "{location}");
        let query = query_of(location);
        assert_eq!(param(&query, "error").as_deref(), Some(error), "{location}");
        assert_eq!(param(&query, "state").as_deref(), Some("st-p"));
        assert_eq!(
            param(&query, "iss").as_deref(),
            Some(ctx.runtime.base_url.as_str())
        );
        assert!(param(&query, "code").is_none());
    }
    // The good request: the login page, no redirect.
    let reply = no_redirect("GET", &authorize_url(ctx, &good), &[], None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.contains("id=\"login\""), "{}", reply.text);
    assert_page_headers(
        reply.header("Content-Security-Policy"),
        reply.header("X-Frame-Options"),
        "login page",
    );
}
