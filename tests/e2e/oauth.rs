//! OAuth 2.1 for `/mcp`, as claude.ai and ChatGPT connect: the real MCP Python client's OAuth
//! (`tests/mcp/oauth_client.py`) from the 401 to an MCP session, refresh rotation and
//! revocation; a person signing in and consenting in headless Chromium
//! (`tests/browser/consent.mjs`); registration by metadata document; the grant as a scoped
//! token of the tenant; and the refusals, over plain HTTP wherever no person has to act.

use crate::Ctx;
use crate::mcp::{rpc, tool_names};
use crate::people::{PASSWORD, call, login};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_e2e::client::{Body, encode_path};
use latchkey_e2e::echo::percent_decode;
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::{Reply, secret_value, unique};
use serde_json::{Value, json};
use std::process::Command;

mod refusals;
pub use refusals::TESTS as REFUSAL_TESTS;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "oauth::mcp_client_without_bearer_discovers_registers_and_calls_tools",
        mcp_client_without_bearer_discovers_registers_and_calls_tools,
    ),
    (
        "oauth::grant_listed_in_tokens_keeps_its_id_and_is_revoked_by_its_person",
        grant_listed_in_tokens_keeps_its_id_and_is_revoked_by_its_person,
    ),
    (
        "oauth::metadata_document_client_authorizes_and_calls_mcp",
        metadata_document_client_authorizes_and_calls_mcp,
    ),
    (
        "oauth::metadata_document_not_naming_itself_gets_error_page",
        metadata_document_not_naming_itself_gets_error_page,
    ),
];

/// What the consenting person may do: the connector gets at most this.
const RIGHTS: &[&str] = &["secrets:use:*", "secrets:read:*", "audit:read"];

/// A tenant, a person holding [`RIGHTS`] through a role, and two secrets under `prefix`.
pub(crate) struct Person {
    pub(crate) tenant: String,
    /// The tenant's master key.
    pub(crate) key: String,
    /// The role holding [`RIGHTS`].
    role: String,
    email: String,
    jwt: String,
    prefix: String,
    /// The values stored (never to be seen through OAuth).
    values: Vec<String>,
}

pub(crate) fn person(ctx: &Ctx) -> Person {
    let (tenant, key) = ctx.new_tenant();
    let role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&key),
        Some(json!({"name": "connector", "permissions": RIGHTS})),
    );
    assert_eq!(role.status, 201, "{}", role.text);
    let email = format!("{}@example.com", unique("oauth"));
    let created = call(
        ctx,
        "POST",
        "/v1/users",
        Some(&key),
        Some(json!({"email": email, "password": PASSWORD, "name": "Olive"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("user id").to_owned();
    let role = role.body["id"].as_str().expect("role id").to_owned();
    let assigned = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": id, "role_id": role})),
    );
    assert_eq!(assigned.status, 201, "{}", assigned.text);
    let jwt = login(ctx, &tenant, &email);
    let prefix = unique("oauth");
    let mut values = Vec::new();
    for name in ["app/db", "app/api"] {
        let value = secret_value("oauth");
        let created = ctx.api().create_secret(
            &key,
            &json!({"path": format!("{prefix}/{name}"), "value": value}),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        values.push(value);
    }
    Person {
        tenant,
        key,
        role,
        email,
        jwt,
        prefix,
        values,
    }
}

/// The resource every token must be bound to.
fn resource(ctx: &Ctx) -> String {
    format!("{}/mcp", ctx.runtime.base_url)
}

/// A loopback redirect URI on a free port, as a native client's: consent.mjs listens there
/// while the person consents (Chromium refuses low "unsafe" ports, so no fixed one).
fn redirect_uri() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    format!("http://127.0.0.1:{port}/{}", unique("callback"))
}

/// `application/x-www-form-urlencoded` (and query) text of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_path(k), encode_path(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded query parameters of `url`.
fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// A request that does not follow redirects: the 3xx and its `Location` are what the test sees.
fn no_redirect(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(body.unwrap_or("").as_bytes().to_vec())
        .expect("request");
    let mut response = agent.run(request).expect("HTTP exchange");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status: response.status().as_u16(),
        headers,
        text,
        body,
    }
}

/// `POST /oauth/register` (DCR).
fn register(ctx: &Ctx, body: &Value) -> Reply {
    ctx.api()
        .send("POST", "/oauth/register", None, &[], Body::Json(body))
}

/// A public client registered by DCR with `redirect`: its `client_id`.
fn registered(ctx: &Ctx, name: &str, redirect: &str) -> String {
    let reply = register(
        ctx,
        &json!({"redirect_uris": [redirect], "client_name": name,
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"]}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned()
}

/// A PKCE pair: `(verifier, S256 challenge)`.
fn pkce() -> (String, String) {
    let verifier = format!("{}{}", unique("pkce"), unique("verifier"));
    let challenge = URL_SAFE_NO_PAD.encode(latchkey_core::crypto::sha256(verifier.as_bytes()));
    (verifier, challenge)
}

/// The parameters of an authorization request; tests change or drop some.
fn authorize_params(
    ctx: &Ctx,
    client_id: &str,
    redirect: &str,
    challenge: &str,
    state: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", client_id.into()),
        ("redirect_uri", redirect.into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
        ("state", state.into()),
        ("resource", resource(ctx)),
        ("scope", RIGHTS.join(" ")),
    ]
}

fn authorize_url(ctx: &Ctx, params: &[(&'static str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("{}/oauth/authorize?{}", ctx.runtime.base_url, form(&pairs))
}

/// Runs `tests/browser/consent.mjs` on `url` as `person` (with `password`), plus `extra`
/// arguments; its JSON report.
fn consent(url: &str, person: &Person, password: &str, extra: &[&str]) -> Value {
    let output = Command::new(repo_root().join("node_modules/.bin/node"))
        .current_dir(repo_root())
        .arg("tests/browser/consent.mjs")
        .args([url, &person.tenant, &person.email, password])
        .args(extra)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser script failed (scripts/setup installs Chromium and playwright-core):\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON from consent.mjs ({e}): {stdout}"))
}

/// The browser reached the client's redirect URI. When it did not, a CSP `form-action` that
/// omits the redirect URI's origin is the usual cause: Chromium applies it to the target of the
/// consent form's 303 and aborts the navigation (net::ERR_ABORTED), so no client gets a code.
#[track_caller]
fn assert_redirected(report: &Value) {
    let csp = report["pages"]
        .as_array()
        .and_then(|p| p.last())
        .map(|p| p["csp"].to_string())
        .unwrap_or_default();
    assert_eq!(
        report["outcome"], "redirected",
        "the browser never reached the client's redirect URI (consent page CSP: {csp}): {report}"
    );
}

/// `POST /oauth/token` with a form.
fn token(ctx: &Ctx, pairs: &[(&str, &str)]) -> Reply {
    let body = form(pairs);
    ctx.api().send(
        "POST",
        "/oauth/token",
        None,
        &[],
        Body::Raw(Some("application/x-www-form-urlencoded"), body.as_bytes()),
    )
}

/// An OAuth error answer of the token endpoint: this status and `error`.
#[track_caller]
fn assert_oauth_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"], error, "{}", reply.text);
}

/// A code the person consented to, for `client_id` at `redirect`.
struct Code {
    code: String,
    verifier: String,
    report: Value,
}

fn consented_code(ctx: &Ctx, person: &Person, client_id: &str, redirect: &str) -> Code {
    let (verifier, challenge) = pkce();
    let state = unique("state");
    let url = authorize_url(
        ctx,
        &authorize_params(ctx, client_id, redirect, &challenge, &state),
    );
    let report = consent(&url, person, PASSWORD, &[]);
    assert_redirected(&report);
    assert_eq!(report["query"]["state"], state.as_str(), "{report}");
    assert_eq!(
        report["query"]["iss"],
        ctx.runtime.base_url.as_str(),
        "{report}"
    );
    let code = report["query"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {report}"))
        .to_owned();
    Code {
        code,
        verifier,
        report,
    }
}

fn exchange(ctx: &Ctx, client_id: &str, redirect: &str, code: &str, verifier: &str) -> Reply {
    token(
        ctx,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("resource", &resource(ctx)),
        ],
    )
}

fn refresh(ctx: &Ctx, client_id: &str, refresh_token: &str) -> Reply {
    token(
        ctx,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
            ("resource", &resource(ctx)),
        ],
    )
}

/// A whole grant: DCR, consent in Chromium, code exchange. `(client_id, access, refresh)`.
pub(crate) fn grant(ctx: &Ctx, person: &Person, name: &str) -> (String, String, String) {
    let redirect = redirect_uri();
    let client_id = registered(ctx, name, &redirect);
    let code = consented_code(ctx, person, &client_id, &redirect);
    let tokens = exchange(ctx, &client_id, &redirect, &code.code, &code.verifier);
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let access = tokens.body["access_token"].as_str().expect("access_token");
    let refresh = tokens.body["refresh_token"]
        .as_str()
        .expect("refresh_token");
    (client_id, access.to_owned(), refresh.to_owned())
}

/// The status of a `tools/list` with `bearer`: 200 while the grant lives.
pub(crate) fn mcp_status(ctx: &Ctx, bearer: &str) -> u16 {
    rpc(ctx, bearer, "tools/list", json!({})).status
}

fn strs(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The security headers every authorize page carries.
#[track_caller]
fn assert_page_headers(csp: Option<&str>, frame_options: Option<&str>, what: &str) {
    let csp = csp.unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(frame_options, Some("DENY"), "{what}");
}

fn mcp_client_without_bearer_discovers_registers_and_calls_tools(ctx: &Ctx) {
    let person = person(ctx);
    let base = ctx.runtime.base_url.as_str();
    let redirect = redirect_uri();
    let output = Command::new(repo_root().join(".tmp/venv/bin/python"))
        .arg(repo_root().join("tests/mcp/oauth_client.py"))
        .env("MCP_URL", resource(ctx))
        .env("OAUTH_TENANT", &person.tenant)
        .env("OAUTH_EMAIL", &person.email)
        .env("OAUTH_PASSWORD", PASSWORD)
        .env("OAUTH_REDIRECT", &redirect)
        .env("OAUTH_PREFIX", &person.prefix)
        .env("NODE", repo_root().join("node_modules/.bin/node"))
        .output()
        .expect("run the OAuth MCP client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON ({e}): {stdout}"));

    // Discovery from the 401, in order: metadata of the resource, of the server, DCR, the
    // code exchange, and the retried MCP request with the bearer.
    let traffic = out["traffic"].as_array().expect("traffic");
    let step = |method: &str, url: String| {
        traffic
            .iter()
            .position(|t| t["method"] == method && t["url"] == url.as_str())
            .unwrap_or_else(|| panic!("no {method} {url}: {out}"))
    };
    let first = &traffic[0];
    assert_eq!(first["url"], resource(ctx).as_str(), "{out}");
    assert_eq!(first["status"], 401, "{out}");
    assert_eq!(first["has_bearer"], false, "{out}");
    let challenge = first["www_authenticate"].as_str().unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer")
            && challenge.contains(&format!(
                "resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""
            )),
        "{challenge}"
    );
    let prm = step(
        "GET",
        format!("{base}/.well-known/oauth-protected-resource/mcp"),
    );
    let asm = step(
        "GET",
        format!("{base}/.well-known/oauth-authorization-server"),
    );
    let dcr = step("POST", format!("{base}/oauth/register"));
    let exchange = step("POST", format!("{base}/oauth/token"));
    assert!(prm < asm && asm < dcr && dcr < exchange, "{out}");
    for i in [prm, asm] {
        assert_eq!(traffic[i]["status"], 200, "{out}");
    }
    assert_eq!(traffic[dcr]["status"], 201, "{out}");
    assert_eq!(traffic[exchange]["status"], 200, "{out}");
    assert!(
        traffic[exchange + 1..]
            .iter()
            .all(|t| t["has_bearer"] == true && t["status"].as_u64().is_some_and(|s| s < 300)),
        "{out}"
    );
    assert_eq!(out["issuer"], base, "{out}");
    assert_eq!(out["resource"], resource(ctx).as_str(), "{out}");
    assert_eq!(out["authorization_servers"], json!([base]), "{out}");

    // The registration: a public client with the redirect URI it asked for.
    let client_id = out["client"]["client_id"].as_str().unwrap_or_default();
    assert!(
        client_id.len() == 36
            && client_id.starts_with("lkc_")
            && client_id[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{client_id}"
    );
    assert_eq!(out["client"]["redirect_uris"], json!([redirect]), "{out}");
    assert_eq!(out["client"]["token_endpoint_auth_method"], "none");
    assert!(out["client"]["client_id_issued_at"].is_u64(), "{out}");

    // The person's pages: the client named, the redirect host shown, the person's own rights
    // offered, the security headers, and iss in the answer.
    let report = &out["consent"];
    let pages = report["pages"].as_array().expect("pages");
    let login_page = &pages[0];
    assert_eq!(login_page["status"], 200, "{report}");
    assert!(strs(&login_page["ids"]).contains(&"login"), "{report}");
    let shown = login_page["text"].as_str().unwrap_or_default();
    assert!(
        shown.contains("Latchkey e2e connector") && shown.contains("127.0.0.1"),
        "{shown}"
    );
    for page in pages {
        assert_page_headers(
            page["csp"].as_str(),
            page["x_frame_options"].as_str(),
            &page.to_string(),
        );
    }
    let offered: Vec<&str> = report["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s["value"].as_str())
        .collect();
    for right in RIGHTS {
        assert!(offered.contains(right), "{right} not offered: {report}");
    }
    assert_redirected(report);
    assert_eq!(report["query"]["iss"], base, "{report}");
    assert!(
        report["redirects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == 303 && r["url"] == format!("{base}/oauth/authorize")),
        "{report}"
    );

    // The tokens, and the MCP session they opened.
    assert_eq!(out["tokens"]["access_prefix"], "lk_tok_", "{out}");
    assert_eq!(out["tokens"]["refresh_prefix"], "lk_rt_", "{out}");
    assert_eq!(out["tokens"]["token_type"], "Bearer", "{out}");
    assert_eq!(out["tokens"]["expires_in"], 3600, "{out}");
    assert_eq!(out["protocol"], "2025-11-25", "{out}");
    let tools = strs(&out["tools"]);
    for tool in ["call_api", "list_secrets", "describe_secret"] {
        assert!(tools.contains(&tool), "{tool} missing: {out}");
    }
    assert!(!tools.contains(&"get_secret"), "value tool listed: {out}");
    let listed = &out["list_secrets"];
    assert_eq!(listed["is_error"], false, "{out}");
    let listed_text = listed.to_string();
    for name in ["app/db", "app/api"] {
        assert!(listed_text.contains(name), "{name} not listed: {listed}");
    }
    for value in &person.values {
        assert!(
            !stdout.contains(value.as_str()),
            "a value reached the client"
        );
    }

    // Refresh rotates both tokens; the spent refresh token is refused, and its reuse ends the
    // grant: the rotated tokens stop working too.
    let rotation = &out["rotation"];
    assert_eq!(rotation["first_access_works"], 200, "{rotation}");
    assert_eq!(rotation["refresh"]["status"], 200, "{rotation}");
    assert_eq!(
        rotation["refresh"]["access_prefix"], "lk_tok_",
        "{rotation}"
    );
    assert_eq!(
        rotation["refresh"]["refresh_prefix"], "lk_rt_",
        "{rotation}"
    );
    assert_eq!(rotation["new_access_differs"], true, "{rotation}");
    assert_eq!(rotation["new_refresh_differs"], true, "{rotation}");
    assert_eq!(rotation["new_access_works"], 200, "{rotation}");
    assert_eq!(rotation["reuse"]["status"], 400, "{rotation}");
    assert_eq!(rotation["reuse"]["error"], "invalid_grant", "{rotation}");
    assert_eq!(rotation["new_access_after_reuse"], 401, "{rotation}");
    assert_eq!(
        rotation["new_refresh_after_reuse"]["error"], "invalid_grant",
        "{rotation}"
    );

    // A second grant of the same client registers nothing; /oauth/revoke ends it.
    let revocation = &out["revocation"];
    assert!(
        revocation["traffic"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["url"] != format!("{base}/oauth/register")),
        "{revocation}"
    );
    assert_eq!(revocation["revoke_url"], format!("{base}/oauth/revoke"));
    assert_eq!(revocation["access_differs_from_first_grant"], true);
    assert_eq!(revocation["access_works"], 200, "{revocation}");
    assert_eq!(revocation["revoke_status"], 200, "{revocation}");
    assert_eq!(revocation["access_after_revoke"], 401, "{revocation}");
    assert_eq!(
        revocation["refresh_after_revoke"]["error"], "invalid_grant",
        "{revocation}"
    );
    assert_eq!(revocation["revoke_unknown_status"], 200, "{revocation}");

    // The two grants are the tenant's tokens, named after the client, and both ended.
    let grants = grants_of(ctx, &person.key, client_id);
    assert_eq!(grants.len(), 2, "{grants:?}");
    for entry in &grants {
        assert_eq!(entry["description"], "OAuth: Latchkey e2e connector");
        assert_eq!(entry["audience"], resource(ctx).as_str(), "{entry}");
        assert_eq!(entry["revoked"], true, "{entry}");
    }
}

/// The entries of `GET /v1/tokens` made for `client_id`.
fn grants_of(ctx: &Ctx, key: &str, client_id: &str) -> Vec<Value> {
    let listed = ctx.api().list_tokens(key);
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["tokens"]
        .as_array()
        .unwrap_or_else(|| panic!("no tokens: {}", listed.text))
        .iter()
        .filter(|t| t["oauth_client"] == client_id)
        .cloned()
        .collect()
}

fn grant_listed_in_tokens_keeps_its_id_and_is_revoked_by_its_person(ctx: &Ctx) {
    let person = person(ctx);
    let (client_id, access, refresh_token) = grant(ctx, &person, "Listed connector");
    let listed = grants_of(ctx, &person.key, &client_id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    let id = entry["id"].as_str().expect("token id").to_owned();
    assert_eq!(entry["description"], "OAuth: Listed connector", "{entry}");
    assert_eq!(entry["audience"], resource(ctx).as_str(), "{entry}");
    let text = entry.to_string();
    assert!(!text.contains(&access) && !text.contains(&refresh_token));

    // A refresh is the same grant: one entry, the same id.
    let rotated = refresh(ctx, &client_id, &refresh_token);
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let access = rotated.body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let listed = grants_of(ctx, &person.key, &client_id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str(), "{listed:?}");
    assert_eq!(mcp_status(ctx, &access), 200);

    // Another person of the tenant, with the same rights, cannot end it.
    let (_, stranger) = crate::people::person(
        ctx,
        &person.tenant,
        &person.key,
        "stranger",
        &[&person.role],
    );
    let refused = ctx.api().revoke_token(&stranger, &id);
    assert!([403, 404].contains(&refused.status), "{}", refused.text);
    assert_eq!(mcp_status(ctx, &access), 200);

    // The person who consented revokes it: access and refresh both stop.
    let revoked = ctx.api().revoke_token(&person.jwt, &id);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(mcp_status(ctx, &access), 401);
    assert_oauth_error(
        &refresh(ctx, &client_id, &refresh_token),
        400,
        "invalid_grant",
    );
    assert_eq!(grants_of(ctx, &person.key, &client_id)[0]["revoked"], true);
}

fn metadata_document_client_authorizes_and_calls_mcp(ctx: &Ctx) {
    let person = person(ctx);
    let path = format!("/oauth-client/{}", unique("cimd"));
    let client_id = format!("{}{path}", ctx.echo.base_url);
    let redirect = format!("{}/callback{path}", ctx.echo.base_url);
    let code = consented_code(ctx, &person, &client_id, &redirect);
    // The server fetched the document, and the page names the client it describes.
    assert!(!ctx.echo.received(&path).is_empty(), "document not fetched");
    let shown = code.report["pages"][0]["text"].as_str().unwrap_or_default();
    assert!(shown.contains("Metadata document client"), "{shown}");
    let tokens = exchange(ctx, &client_id, &redirect, &code.code, &code.verifier);
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let access = tokens.body["access_token"].as_str().expect("access_token");
    let names = tool_names(&rpc(ctx, access, "tools/list", json!({})));
    assert!(names.iter().any(|n| n == "list_secrets"), "{names:?}");
    assert!(!names.iter().any(|n| n == "get_secret"), "{names:?}");
    let listed = rpc(
        ctx,
        access,
        "tools/call",
        json!({"name": "list_secrets", "arguments": {"namespace": person.prefix}}),
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["result"]["isError"], false, "{}", listed.text);
    assert!(listed.text.contains("app/db"), "{}", listed.text);
    // The grant is listed under the document's URL.
    assert_eq!(grants_of(ctx, &person.key, &client_id).len(), 1);
}

fn metadata_document_not_naming_itself_gets_error_page(ctx: &Ctx) {
    let (_, challenge) = pkce();
    let base = &ctx.echo.base_url;
    // A document whose client_id is another URL; and a redirect URI the document lacks.
    let other = format!("/oauth-client-other/{}", unique("cimd"));
    let own = format!("/oauth-client/{}", unique("cimd"));
    for (client_id, redirect) in [
        (format!("{base}{other}"), format!("{base}/callback{other}")),
        (format!("{base}{own}"), format!("{base}/callback/elsewhere")),
    ] {
        let params = authorize_params(ctx, &client_id, &redirect, &challenge, "s1");
        let reply = no_redirect("GET", &authorize_url(ctx, &params), &[], None);
        assert_eq!(reply.status, 400, "{client_id}: {}", reply.text);
        assert!(reply.header("Location").is_none(), "{:?}", reply.headers);
        assert!(reply.text.contains("id=\"error\""), "{}", reply.text);
    }
}
