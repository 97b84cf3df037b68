//! OAuth 2.1 for `/mcp` (`latchkey_core::oauth` has the rules): the metadata documents, client
//! registration, the authorize pages, the token and revocation endpoints. The issuer and the
//! resource are `PUBLIC_URL`'s, never the request's `Host` (a forged host must not become a
//! token's audience or a page's links); without it, OAuth is off (404).
//!
//! Registered clients are in D1; codes and grants in the tenant's object, where single use is
//! exact. A person's password is derived here, as for `/v1/auth/login`, and never stored or
//! logged; between the login and the consent the person's own login JWT rides in the form.

use crate::config::Config;
use crate::handlers::people::issue_login;
use crate::http::query_pairs;
use crate::registry::Registry;
use crate::tenant_client::{Caller, RequestMeta, call_tenant};
use latchkey_contract::caller::tokens::{ConsentView, GrantOAuthCode, OAuthConsentView};
use latchkey_contract::public::{RedeemOAuthCode, RefreshOAuthGrant, RevokeOAuthGrant};
use latchkey_core::ApiError;
use latchkey_core::broker::hosts::{InsecureHosts, check_destination, parse_outbound_url};
use latchkey_core::credential::{CredentialKind, parse_bearer};
use latchkey_core::oauth::pages::{ConsentChoices, consent_page, error_page, login_page};
use latchkey_core::oauth::{
    self, AuthorizeRefusal, AuthorizeRequest, ClientId, ClientMetadata, CodeChallenge, OAuthError,
    RedirectUri, TokenGrant,
};
use latchkey_core::people::LoginRequest;
use latchkey_core::review::{page_headers_posting_to, parse_form};
use latchkey_core::scope::{ScopeSet, ScopeTexts};
use latchkey_core::secret::Tier;
use serde_json::{Value, json};
use std::time::Duration;
use worker::{
    AbortController, Delay, Env, Fetch, Request, RequestInit, RequestRedirect, Response,
    ResponseBuilder,
};

/// Whether the front door should hand the request here.
pub fn owns(path: &str) -> bool {
    path.starts_with("/oauth/") || path.starts_with("/.well-known/oauth-")
}

/// The largest form or registration read.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// How long a client metadata document may take to arrive.
const DOCUMENT_TIMEOUT_MS: u64 = 5_000;

pub async fn handle(request: &mut Request, env: &Env, method: &str, request_id: &str) -> Response {
    let path = request.path();
    let config = Config::of(env);
    let Ok(origin) = config.link_base.clone() else {
        return json_response(
            404,
            &json!({"error": {"code": "not_found", "message": "OAuth is off: this deployment has no PUBLIC_URL to be the issuer"}}),
        );
    };
    if method == "OPTIONS" {
        return cors(ResponseBuilder::new().with_status(204).empty());
    }
    let meta = RequestMeta::of(request, request_id);
    let response = match (method, path.as_str()) {
        (
            "GET",
            "/.well-known/oauth-protected-resource" | "/.well-known/oauth-protected-resource/mcp",
        ) => json_response(200, &oauth::protected_resource_metadata(&origin)),
        ("GET", "/.well-known/oauth-authorization-server") => {
            json_response(200, &oauth::authorization_server_metadata(&origin))
        }
        ("POST", "/oauth/register") => oauth_result(register(request, env).await),
        ("GET", "/oauth/authorize") => authorize_get(request, env, &origin).await,
        ("POST", "/oauth/authorize") => authorize_post(request, env, &meta, &origin).await,
        ("POST", "/oauth/token") => oauth_result(token(request, env, &meta, &origin).await),
        ("POST", "/oauth/revoke") => revoke(request, env, &meta).await,
        (
            _,
            "/.well-known/oauth-protected-resource"
            | "/.well-known/oauth-protected-resource/mcp"
            | "/.well-known/oauth-authorization-server"
            | "/oauth/register"
            | "/oauth/authorize"
            | "/oauth/token"
            | "/oauth/revoke",
        ) => json_response(
            405,
            &json!({"error": {"code": "method_not_allowed", "message": format!("{method} is not allowed on {path}")}}),
        ),
        _ => json_response(
            404,
            &json!({"error": {"code": "not_found", "message": format!("no OAuth endpoint at {path}")}}),
        ),
    };
    cors(response)
}

/// The 401 of `/mcp` names where its metadata is (RFC 9728 §5.1), so a client can discover
/// the authorization server from it.
pub fn challenge(mut response: Response, env: &Env) -> Response {
    if response.status_code() == 401
        && let Ok(origin) = &Config::of(env).link_base
    {
        let _ = response
            .headers_mut()
            .set("WWW-Authenticate", &oauth::www_authenticate(origin));
    }
    response
}

fn json_response(status: u16, body: &Value) -> Response {
    ResponseBuilder::new()
        .with_status(status)
        .with_header("Content-Type", "application/json")
        .map(|b| b.fixed(body.to_string().into_bytes()))
        .unwrap_or_else(|_| ResponseBuilder::new().with_status(500).empty())
}

/// Browser-based clients (the MCP Inspector) call the metadata, registration and token
/// endpoints from their own origin. No cookie or ambient credential is honoured here, so a
/// wildcard is safe.
fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let _ = headers.set("Access-Control-Allow-Origin", "*");
    let _ = headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    let _ = headers.set(
        "Access-Control-Allow-Headers",
        "Content-Type, Authorization, MCP-Protocol-Version",
    );
    response
}

fn oauth_result(result: Result<(u16, Value), OAuthError>) -> Response {
    match result {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => json_response(e.status, &e.body()),
    }
}

/// A tenant's refusal in OAuth's words: the object marks its OAuth errors (`details.oauth`).
fn from_api(e: &ApiError) -> OAuthError {
    let error = match e.details.get("oauth").and_then(Value::as_str) {
        Some("invalid_grant") => "invalid_grant",
        Some("invalid_target") => "invalid_target",
        _ if e.status() >= 500 => "server_error",
        _ if e.status() == 429 => "slow_down",
        _ => "invalid_request",
    };
    OAuthError {
        status: match error {
            "server_error" => 500,
            _ => 400,
        },
        error,
        description: e.message.clone(),
    }
}

async fn read_form(request: &mut Request) -> Result<Vec<(String, String)>, String> {
    let bytes = crate::http::read_body_within(request, MAX_FORM_BYTES)
        .await
        .map_err(|e| e.message)?;
    let text = String::from_utf8(bytes).map_err(|_| "the form is not UTF-8".to_owned())?;
    parse_form(&text)
}

/// The person behind the consent form's `session` (their login JWT), as a caller.
fn person(session: &str, meta: &RequestMeta) -> Option<Caller> {
    parse_bearer(session)
        .filter(|c| c.kind == CredentialKind::UserJwt)
        .map(|credential| Caller::with_credential(credential, meta.clone()))
}

/// `POST /oauth/register` (RFC 7591): public clients only.
async fn register(request: &mut Request, env: &Env) -> Result<(u16, Value), OAuthError> {
    let bytes = crate::http::read_json_body_within(request, MAX_FORM_BYTES)
        .await
        .map_err(|e| OAuthError::invalid_client_metadata(e.message))?;
    let metadata = ClientMetadata::from_registration(&bytes)?;
    let client_id = ClientId::generate().map_err(|_| server_error())?;
    let issued_at = crate::handlers::now();
    Registry::open(env)
        .map_err(|_| server_error())?
        .register_oauth_client(client_id.as_str(), &metadata, &issued_at.to_string())
        .await
        .map_err(|_| server_error())?;
    Ok((
        201,
        json!({
            "client_id": client_id.as_str(),
            "client_id_issued_at": issued_at.unix_ms() / 1000,
            "client_name": metadata.client_name,
            "redirect_uris": metadata.redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>(),
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
    ))
}

fn server_error() -> OAuthError {
    OAuthError {
        status: 500,
        error: "server_error",
        description: "the request could not be completed".into(),
    }
}

/// The client a request names: registered here, or described by a metadata document fetched
/// now under the broker's destination rules (https to a public host, no redirects, small).
async fn load_client(env: &Env, client_id: &ClientId) -> Result<ClientMetadata, String> {
    match client_id {
        ClientId::Registered(id) => Registry::open(env)
            .map_err(|_| "the client registry is unavailable".to_owned())?
            .oauth_client(id)
            .await
            .map_err(|_| "the client registry is unavailable".to_owned())?
            .ok_or_else(|| "this client is not registered here".to_owned()),
        ClientId::Document(url) => fetch_document(env, url).await,
    }
}

async fn fetch_document(env: &Env, url: &str) -> Result<ClientMetadata, String> {
    let (parsed, host) = parse_outbound_url(url)?;
    let insecure = env
        .var(latchkey_core::broker::hosts::PROXY_INSECURE_HOSTS_VAR)
        .map(|v| InsecureHosts::parse(&v.to_string()))
        .unwrap_or_default();
    check_destination(parsed.scheme(), &host, &insecure).map_err(|e| {
        format!(
            "the client's metadata document is not at a public https address: {}",
            e.message
        )
    })?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = async {
        let mut init = RequestInit::new();
        init.with_redirect(RequestRedirect::Manual);
        let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| e.to_string())?;
        if response.status_code() != 200 {
            return Err(format!("it answered {}", response.status_code()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > oauth::MAX_CLIENT_DOCUMENT_BYTES {
            return Err(format!(
                "it is larger than {} bytes",
                oauth::MAX_CLIENT_DOCUMENT_BYTES
            ));
        }
        Ok(bytes)
    };
    let timeout = Delay::from(Duration::from_millis(DOCUMENT_TIMEOUT_MS));
    futures_util::pin_mut!(fetch);
    futures_util::pin_mut!(timeout);
    let bytes = match futures_util::future::select(fetch, timeout).await {
        futures_util::future::Either::Left((result, _)) => result,
        futures_util::future::Either::Right(((), _)) => {
            controller.abort();
            Err("it did not arrive in time".to_owned())
        }
    }
    .map_err(|why| format!("the client's metadata document could not be fetched: {why}"))?;
    ClientMetadata::from_document(&bytes, url).map_err(|e| e.description)
}

/// A page with no form that leaves this server (the error page).
fn page(status: u16, body: String) -> Response {
    page_for(status, body, None)
}

/// A page whose form's answer may redirect to the client (`redirect_uri`): the CSP's
/// `form-action` names its origin, since browsers apply it to the redirect too.
fn page_for(status: u16, body: String, redirect_uri: Option<&str>) -> Response {
    let also = redirect_uri
        .and_then(|uri| RedirectUri::parse(uri).ok())
        .and_then(|uri| uri.csp_source());
    let mut response = Response::from_html(body)
        .map(|r| r.with_status(status))
        .unwrap_or_else(|_| ResponseBuilder::new().with_status(500).empty());
    let headers = response.headers_mut();
    for (name, value) in page_headers_posting_to(also.as_deref()) {
        let _ = headers.set(name, &value);
    }
    response
}

fn redirect(location: &str) -> Response {
    let mut response = ResponseBuilder::new().with_status(303).empty();
    let _ = response.headers_mut().set("Location", location);
    let _ = response.headers_mut().set("Referrer-Policy", "no-referrer");
    response
}

/// The client's redirect URI with the authorization response's `params`, `state` and `iss`
/// (RFC 9207).
fn to_client(
    redirect_uri: &str,
    state: Option<&str>,
    origin: &str,
    params: &[(&str, &str)],
) -> Response {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = state {
        all.push(("state", state));
    }
    all.push(("iss", origin));
    match RedirectUri::parse(redirect_uri) {
        Ok(uri) => redirect(&uri.with_params(&all)),
        Err(why) => page(400, error_page(&why)),
    }
}

/// Checks the request's parameters: a page when the client or redirect URI is not
/// established, a redirect for the rest; else the request and the client's name.
async fn checked(
    env: &Env,
    pairs: &[(String, String)],
    origin: &str,
) -> Result<(AuthorizeRequest, String), Response> {
    let (client_id, redirect_uri) =
        oauth::authorize_client(pairs).map_err(|why| page(400, error_page(&why)))?;
    let client = load_client(env, &client_id)
        .await
        .map_err(|why| page(400, error_page(&why)))?;
    if client.allows(&redirect_uri).is_none() {
        return Err(page(
            400,
            error_page("redirect_uri is not one this client registered"),
        ));
    }
    let resource = oauth::resource_of(origin);
    match oauth::authorize_request(pairs, client_id, redirect_uri.clone(), &resource) {
        Ok(request) => Ok((request, client.client_name)),
        Err(AuthorizeRefusal::Page(why)) => Err(page(400, error_page(&why))),
        Err(AuthorizeRefusal::Redirect { error, description }) => {
            let state = oauth::single(pairs, "state").ok().flatten();
            Err(to_client(
                &redirect_uri,
                state.as_deref(),
                origin,
                &[("error", error), ("error_description", &description)],
            ))
        }
    }
}

/// `GET /oauth/authorize`: the login page, once the request is sound.
async fn authorize_get(request: &Request, env: &Env, origin: &str) -> Response {
    let pairs = match query_pairs(request) {
        Ok(pairs) => pairs,
        Err(e) => return page(400, error_page(&e.message)),
    };
    match checked(env, &pairs, origin).await {
        Ok((authorize, client_name)) => page_for(
            200,
            login_page(&authorize, &client_name, None, None),
            Some(&authorize.redirect_uri),
        ),
        Err(response) => response,
    }
}

/// One authorization request being answered to a person: what every page of it needs.
struct Authorizing<'a> {
    env: &'a Env,
    meta: &'a RequestMeta,
    origin: &'a str,
    request: AuthorizeRequest,
    client_name: String,
    tenant: String,
}

impl Authorizing<'_> {
    /// The login page again, saying why.
    fn login_again(&self, status: u16, why: &str) -> Response {
        page_for(
            status,
            login_page(
                &self.request,
                &self.client_name,
                Some(&self.tenant),
                Some(why),
            ),
            Some(&self.request.redirect_uri),
        )
    }

    /// The authorization response, to the client.
    fn answer(&self, params: &[(&str, &str)]) -> Response {
        to_client(
            &self.request.redirect_uri,
            self.request.state.as_deref(),
            self.origin,
            params,
        )
    }

    /// The consent page for the person behind `session` (their login JWT).
    async fn consent(&self, session: &str, error: Option<&str>, status: u16) -> Response {
        let Some(caller) = person(session, self.meta) else {
            return self.login_again(401, "sign in again");
        };
        match caller.run(self.env, Ok(OAuthConsentView)).await {
            Ok(ConsentView { person, held }) => {
                let choices = ConsentChoices {
                    person: &person,
                    held: &held,
                    session,
                    tenant: &self.tenant,
                };
                page_for(
                    status,
                    consent_page(&self.request, &self.client_name, &choices, error),
                    Some(&self.request.redirect_uri),
                )
            }
            Err(e) => self.login_again(if e.status() == 401 { 401 } else { 403 }, &e.message),
        }
    }

    /// The login form: the person's JWT, then the consent page.
    async fn log_in(&self, email: String, password: String) -> Response {
        let login = json!({"tenant": self.tenant, "email": email, "password": password});
        let issued = match LoginRequest::parse(login.to_string().as_bytes()) {
            Ok(login) => issue_login(self.env, self.meta, login).await,
            Err(e) => Err(e),
        };
        match issued {
            Ok(issued) => self.consent(&issued.token, None, 200).await,
            Err(e) => self.login_again(if e.status() == 429 { 429 } else { 401 }, &e.message),
        }
    }

    /// The consent form: a code for the client, or the page again saying why.
    async fn decide(&self, form: &[(String, String)]) -> Response {
        let field = |name: &str| oauth::single(form, name).ok().flatten();
        let session = field("session").unwrap_or_default();
        if field("decision").as_deref() != Some("allow") {
            return self.answer(&[
                ("error", "access_denied"),
                ("error_description", "the person denied the request"),
            ]);
        }
        let mut texts: Vec<String> = form
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect();
        if let Some(extra) = field("scope_text") {
            texts.extend(extra.split_whitespace().map(str::to_owned));
        }
        let chosen = ScopeSet::from_member("scope", ScopeTexts(Some(texts))).and_then(|scope| {
            let tier = field("tier").unwrap_or_else(|| "standard".into());
            Tier::parse(&tier)
                .map(|tier| (scope, tier))
                .ok_or_else(|| ApiError::validation("tier", format!("'{tier}' is not a tier")))
        });
        let (scope, tier) = match chosen {
            Ok(chosen) => chosen,
            Err(e) => return self.consent(&session, Some(&e.message), 400).await,
        };
        let Some(caller) = person(&session, self.meta) else {
            return self.login_again(401, "sign in again");
        };
        let command = GrantOAuthCode {
            client_id: self.request.client_id.as_str().to_owned(),
            client_name: self.client_name.clone(),
            redirect_uri: self.request.redirect_uri.clone(),
            code_challenge: self.request.code_challenge.clone(),
            resource: self.request.resource.clone(),
            scope,
            tier,
        };
        match caller.run(self.env, Ok(command)).await {
            Ok(code) => self.answer(&[("code", &code.code)]),
            Err(e) if e.status() == 401 => self.login_again(401, &e.message),
            Err(e) => self.consent(&session, Some(&e.message), e.status()).await,
        }
    }
}

/// `POST /oauth/authorize`: the login form, then the consent form.
async fn authorize_post(
    request: &mut Request,
    env: &Env,
    meta: &RequestMeta,
    origin: &str,
) -> Response {
    let form = match read_form(request).await {
        Ok(form) => form,
        Err(why) => return page(400, error_page(&why)),
    };
    let field = |name: &str| oauth::single(&form, name).ok().flatten();
    let step = field("step");
    // The person's choice of scopes is also named `scope`: the request's own is not re-read.
    let request_pairs: Vec<(String, String)> = match step.as_deref() {
        Some("consent") => form.iter().filter(|(k, _)| k != "scope").cloned().collect(),
        _ => form.clone(),
    };
    let (authorize, client_name) = match checked(env, &request_pairs, origin).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authorizing = Authorizing {
        env,
        meta,
        origin,
        request: authorize,
        client_name,
        tenant: field("tenant").unwrap_or_default(),
    };
    match step.as_deref() {
        Some("login") => {
            let (email, password) = (field("email"), field("password"));
            authorizing
                .log_in(email.unwrap_or_default(), password.unwrap_or_default())
                .await
        }
        Some("consent") => authorizing.decide(&form).await,
        _ => page(400, error_page("the form has no step")),
    }
}

/// `POST /oauth/token`.
async fn token(
    request: &mut Request,
    env: &Env,
    meta: &RequestMeta,
    origin: &str,
) -> Result<(u16, Value), OAuthError> {
    let form = read_form(request)
        .await
        .map_err(OAuthError::invalid_request)?;
    let resource = oauth::resource_of(origin);
    let answer = match TokenGrant::parse(&form)? {
        TokenGrant::Code {
            code,
            verifier,
            redirect_uri,
            client_id,
            resource: asked,
        } => {
            oauth::check_resource(asked.as_deref(), &resource)?;
            let (tenant, hash) = oauth::parse_credential(oauth::CODE_PREFIX, &code)
                .ok_or_else(|| OAuthError::invalid_grant("this code is not valid"))?;
            let verifier_challenge = CodeChallenge::of_verifier(&verifier).ok_or_else(|| {
                OAuthError::invalid_grant("code_verifier must be 43 to 128 unreserved characters")
            })?;
            let command = RedeemOAuthCode {
                hash,
                verifier_challenge,
                redirect_uri,
                client_id,
                resource,
            };
            call_tenant(env, &tenant, meta, command).await
        }
        TokenGrant::Refresh {
            refresh_token,
            client_id,
            resource: asked,
        } => {
            oauth::check_resource(asked.as_deref(), &resource)?;
            let (tenant, hash) = oauth::parse_credential(oauth::REFRESH_PREFIX, &refresh_token)
                .ok_or_else(|| OAuthError::invalid_grant("this refresh token is not valid"))?;
            call_tenant(env, &tenant, meta, RefreshOAuthGrant { hash, client_id }).await
        }
    };
    let tokens = answer.map_err(|e| from_api(&e))?;
    serde_json::to_value(&tokens)
        .map(|body| (200, body))
        .map_err(|_| server_error())
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether or not the token was known.
async fn revoke(request: &mut Request, env: &Env, meta: &RequestMeta) -> Response {
    let form = match read_form(request).await {
        Ok(form) => form,
        Err(why) => return json_response(400, &OAuthError::invalid_request(why).body()),
    };
    let Ok(Some(token)) = oauth::single(&form, "token") else {
        return json_response(
            400,
            &OAuthError::invalid_request("'token' is missing or given twice").body(),
        );
    };
    let target = oauth::parse_credential(oauth::REFRESH_PREFIX, &token).or_else(|| {
        parse_bearer(&token)
            .filter(|c| c.kind == CredentialKind::Token)
            .map(|c| (c.tenant, c.hash))
    });
    if let Some((tenant, hash)) = target
        && let Err(e) = call_tenant(env, &tenant, meta, RevokeOAuthGrant { hash }).await
        && e.status() >= 500
    {
        return json_response(503, &server_error().body());
    }
    json_response(200, &json!({}))
}
