//! OAuth 2.1 for `/mcp`: the authorization server that claude.ai and ChatGPT connectors need
//! (they accept nothing else). Pure: parameters, PKCE, redirect URIs, client metadata, the
//! metadata documents and the pages. The Worker serves it (`worker/src/oauth.rs`); codes and
//! grants live in the tenant's object, registered clients in D1, never in KV.
//!
//! A grant is a scoped token of the tenant (`lk_tok_…`) whose audience is the MCP resource: it
//! is listed and revoked like any token, and works only at `/mcp`. Its refresh token
//! (`lk_rt_…`) and the authorization code (`lk_code_…`) carry the tenant id like every
//! Latchkey credential, so the token endpoint finds the tenant's object without a lookup.

pub mod pages;

use crate::credential::{CredentialHash, NewCredential, mint_prefixed, parse_prefixed};
use crate::crypto::{CryptoError, random_bytes, sha256};
use crate::tenant::TenantId;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

pub const CODE_PREFIX: &str = "lk_code_";
pub const REFRESH_PREFIX: &str = "lk_rt_";
/// A code is exchanged by the client right after the redirect.
pub const CODE_TTL_SECONDS: i64 = 120;
pub const ACCESS_TTL_SECONDS: u64 = 3_600;
pub const REFRESH_TTL_SECONDS: i64 = 30 * 86_400;
/// A client metadata document is small (Cloudflare's provider uses the same bound).
pub const MAX_CLIENT_DOCUMENT_BYTES: usize = 5 * 1024;
pub const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_BYTES: usize = 2_048;
const MAX_NAME_BYTES: usize = 200;
const MAX_STATE_BYTES: usize = 1_024;
/// A registered client's id: `lkc_` and 32 hex digits.
pub const CLIENT_ID_PREFIX: &str = "lkc_";

/// The MCP resource a token is bound to (RFC 8707): the configured origin's `/mcp`.
pub fn resource_of(origin: &str) -> String {
    format!("{origin}/mcp")
}

/// The scopes a connector is offered by name in the metadata (a person may grant narrower
/// ones on the consent page).
pub const SCOPES_SUPPORTED: &[&str] = &[
    "secrets:use:*",
    "namespaces:read",
    "secrets:read:*",
    "secrets:write:*",
    "secrets:rotate:*",
    "tokens:create",
    "audit:read",
];

/// An OAuth error answer (RFC 6749 §5.2): `{"error", "error_description"}`, not Latchkey's
/// error body, because OAuth clients read this shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }
    pub fn invalid_request(why: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", why)
    }
    pub fn invalid_grant(why: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", why)
    }
    pub fn invalid_client(why: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", why)
    }
    pub fn invalid_target(why: impl Into<String>) -> Self {
        Self::new(400, "invalid_target", why)
    }
    pub fn unsupported_grant_type(why: impl Into<String>) -> Self {
        Self::new(400, "unsupported_grant_type", why)
    }
    pub fn invalid_redirect_uri(why: impl Into<String>) -> Self {
        Self::new(400, "invalid_redirect_uri", why)
    }
    pub fn invalid_client_metadata(why: impl Into<String>) -> Self {
        Self::new(400, "invalid_client_metadata", why)
    }
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

pub fn mint_code(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint_prefixed(CODE_PREFIX, tenant)
}

pub fn mint_refresh_token(tenant: &TenantId) -> Result<NewCredential, CryptoError> {
    mint_prefixed(REFRESH_PREFIX, tenant)
}

/// The tenant and hash of a code or refresh token (`prefix` says which); `None` when it is
/// not well formed.
pub fn parse_credential(prefix: &str, text: &str) -> Option<(TenantId, CredentialHash)> {
    parse_prefixed(prefix, text)
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// A PKCE S256 challenge (RFC 7636): 43 base64url characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() == 43
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(CodeChallenge(text.to_owned()))
        } else {
            Err(
                "code_challenge must be the 43-character base64url SHA-256 of the verifier (S256)"
                    .into(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The S256 challenge of a verifier (43 to 128 unreserved characters, RFC 7636 §4.1).
    pub fn of_verifier(verifier: &str) -> Option<Self> {
        let shaped = (43..=128).contains(&verifier.len()) && verifier.bytes().all(is_unreserved);
        shaped.then(|| CodeChallenge(URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))))
    }

    /// Equality in constant time.
    pub fn matches(&self, other: &CodeChallenge) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }

    /// Whether `verifier` hashes to this challenge.
    pub fn verifies(&self, verifier: &str) -> bool {
        CodeChallenge::of_verifier(verifier).is_some_and(|c| self.matches(&c))
    }
}

/// A redirect URI a client may register: https; http only to a loopback host (a native app's
/// local listener, RFC 8252 §7.3); or a private-use scheme (`cursor://…`, §7.1). No fragment,
/// no user info, never `javascript:`, `data:` and the like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_URI_BYTES {
            return Err(format!("a redirect URI is at most {MAX_URI_BYTES} bytes"));
        }
        let url =
            url::Url::parse(text).map_err(|e| format!("'{text}' is not an absolute URI: {e}"))?;
        if url.fragment().is_some() {
            return Err(format!("'{text}' must not have a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("'{text}' must not carry user info"));
        }
        let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
            || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
        match url.scheme() {
            "https" if url.host().is_some() => Ok(RedirectUri(text.to_owned())),
            "http" if loopback => Ok(RedirectUri(text.to_owned())),
            "http" => Err(format!(
                "'{text}': plain http is allowed only to a loopback host (127.0.0.1, [::1], localhost)"
            )),
            "javascript" | "data" | "file" | "blob" | "about" | "vbscript" | "ftp" | "ws"
            | "wss" => Err(format!(
                "'{text}': the '{}' scheme cannot receive a code",
                url.scheme()
            )),
            _ => Ok(RedirectUri(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where a redirect to this URI goes, as a CSP source: the origin of an http(s) URI, the
    /// scheme of a private-use one (`cursor:`).
    pub fn csp_source(&self) -> Option<String> {
        let url = url::Url::parse(&self.0).ok()?;
        let source = match url.scheme() {
            "https" | "http" => url.origin().ascii_serialization(),
            scheme => format!("{scheme}:"),
        };
        // A source is one token: nothing a parsed URL's origin or scheme holds, but checked.
        source
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',' && b != b'\'')
            .then_some(source)
    }

    /// `redirect_uri` with `params` added to its query (RFC 6749 §4.1.2): the URI's own query
    /// is kept.
    pub fn with_params(&self, params: &[(&str, &str)]) -> String {
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::broker::substitute::percent_encode_component(k),
                    crate::broker::substitute::percent_encode_component(v)
                )
            })
            .collect();
        let separator = if self.0.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.0, encoded.join("&"))
    }
}

/// How a client is known: registered here (DCR, RFC 7591), or by the URL of its metadata
/// document (CIMD), fetched when a person authorizes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientId {
    Registered(String),
    Document(String),
}

impl ClientId {
    /// `lkc_` + 32 hex, or an https URL with a path (http is accepted only when the caller says
    /// the host may be reached over http: the deployment's `PROXY_INSECURE_HOSTS`, which only
    /// local development and the tests set).
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(hex) = text.strip_prefix(CLIENT_ID_PREFIX) {
            if hex.len() == 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Ok(ClientId::Registered(text.to_owned()));
            }
            return Err("client_id is not one this server issued".into());
        }
        let url = url::Url::parse(text).map_err(|_| {
            "client_id must be a registered id or the https URL of a client metadata document"
                .to_owned()
        })?;
        if !matches!(url.scheme(), "https" | "http") || url.path() == "/" || url.path().is_empty() {
            return Err("a client metadata document's URL is https with a path".into());
        }
        if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err("a client metadata document's URL has no fragment and no user info".into());
        }
        Ok(ClientId::Document(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            ClientId::Registered(id) | ClientId::Document(id) => id,
        }
    }

    pub fn generate() -> Result<Self, CryptoError> {
        let bytes = random_bytes::<16>()?;
        Ok(ClientId::Registered(format!(
            "{CLIENT_ID_PREFIX}{}",
            crate::hex::encode(&bytes)
        )))
    }
}

/// What a client is, for the consent page and the checks of the authorize step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub client_name: String,
    pub redirect_uris: Vec<RedirectUri>,
}

/// The members of a registration or a metadata document Latchkey reads; others are kept in
/// the registration's answer only as far as RFC 7591 asks (it echoes what it registered).
#[derive(Deserialize)]
struct MetadataBody {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
}

impl ClientMetadata {
    fn from_body(body: MetadataBody) -> Result<Self, OAuthError> {
        let uris = body.redirect_uris.unwrap_or_default();
        if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
            return Err(OAuthError::invalid_redirect_uri(format!(
                "redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
            )));
        }
        let redirect_uris = uris
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<Vec<_>, _>>()
            .map_err(OAuthError::invalid_redirect_uri)?;
        if let Some(method) = body.token_endpoint_auth_method.as_deref()
            && method != "none"
        {
            return Err(OAuthError::invalid_client_metadata(format!(
                "token_endpoint_auth_method '{method}' is not supported: clients are public and use PKCE ('none')"
            )));
        }
        if let Some(grants) = &body.grant_types
            && let Some(other) = grants
                .iter()
                .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
        {
            return Err(OAuthError::invalid_client_metadata(format!(
                "grant type '{other}' is not supported (authorization_code, refresh_token)"
            )));
        }
        if let Some(types) = &body.response_types
            && types.iter().any(|t| t != "code")
        {
            return Err(OAuthError::invalid_client_metadata(
                "response_types may only be [\"code\"]",
            ));
        }
        let client_name = body
            .client_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "an unnamed client".to_owned());
        if client_name.len() > MAX_NAME_BYTES || client_name.chars().any(char::is_control) {
            return Err(OAuthError::invalid_client_metadata(format!(
                "client_name is at most {MAX_NAME_BYTES} bytes, without control characters"
            )));
        }
        Ok(ClientMetadata {
            client_name,
            redirect_uris,
        })
    }

    /// A dynamic registration's body (RFC 7591 §2).
    pub fn from_registration(bytes: &[u8]) -> Result<Self, OAuthError> {
        let body: MetadataBody = serde_json::from_slice(bytes).map_err(|e| {
            OAuthError::invalid_client_metadata(format!("the body is not client metadata: {e}"))
        })?;
        Self::from_body(body)
    }

    /// A client metadata document fetched from `url`: its `client_id` must be that URL.
    pub fn from_document(bytes: &[u8], url: &str) -> Result<Self, OAuthError> {
        let body: MetadataBody = serde_json::from_slice(bytes).map_err(|e| {
            OAuthError::invalid_client_metadata(format!(
                "the client metadata document is not JSON client metadata: {e}"
            ))
        })?;
        if body.client_id.as_deref() != Some(url) {
            return Err(OAuthError::invalid_client_metadata(
                "the document's client_id is not the URL it was fetched from",
            ));
        }
        Self::from_body(body)
    }

    pub fn allows(&self, redirect_uri: &str) -> Option<&RedirectUri> {
        // Exact string comparison (OAuth 2.1 §2.3.1), except that a loopback URI's port may
        // differ (RFC 8252 §7.3: a native app picks a free port at the time).
        self.redirect_uris.iter().find(|registered| {
            registered.as_str() == redirect_uri
                || same_but_loopback_port(registered.as_str(), redirect_uri)
        })
    }
}

fn same_but_loopback_port(registered: &str, asked: &str) -> bool {
    let (Ok(mut a), Ok(mut b)) = (url::Url::parse(registered), url::Url::parse(asked)) else {
        return false;
    };
    let loopback_ip = |u: &url::Url| {
        u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || u.scheme() == "http"
                && matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    };
    if !loopback_ip(&a) || !loopback_ip(&b) {
        return false;
    }
    let _ = a.set_port(None);
    let _ = b.set_port(None);
    a == b
}

/// An authorization request, checked (RFC 6749 §4.1.1 with PKCE and RFC 8707). Parameters
/// it does not know are ignored, as §3.1 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: CodeChallenge,
    pub resource: String,
    /// The scopes the client asked for, as sent (space-separated): the consent page checks
    /// those the person holds.
    pub scope: Option<String>,
}

/// Why an authorization request is refused: on a page, when the client or its redirect URI
/// is not established (the browser must not be sent to an unverified place), else by a
/// redirect back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeRefusal {
    Page(String),
    Redirect {
        error: &'static str,
        description: String,
    },
}

/// The first step: whose request it is and where answers go (refusals here are a page).
pub fn authorize_client(pairs: &[(String, String)]) -> Result<(ClientId, String), String> {
    let one = |name: &str| single(pairs, name);
    let client_id = one("client_id")?.ok_or("the request has no client_id")?;
    let client_id = ClientId::parse(&client_id)?;
    let redirect_uri = one("redirect_uri")?.ok_or("the request has no redirect_uri")?;
    Ok((client_id, redirect_uri))
}

/// The rest of the request, once the client and its redirect URI are known good.
pub fn authorize_request(
    pairs: &[(String, String)],
    client_id: ClientId,
    redirect_uri: String,
    resource: &str,
) -> Result<AuthorizeRequest, AuthorizeRefusal> {
    let redirect = |error: &'static str, description: String| AuthorizeRefusal::Redirect {
        error,
        description,
    };
    let one = |name: &str| single(pairs, name).map_err(|why| redirect("invalid_request", why));
    let state = one("state")?;
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_BYTES) {
        return Err(redirect(
            "invalid_request",
            format!("state is at most {MAX_STATE_BYTES} bytes"),
        ));
    }
    match one("response_type")?.as_deref() {
        Some("code") => {}
        Some(other) => {
            return Err(redirect(
                "unsupported_response_type",
                format!("response_type '{other}' is not supported; use 'code'"),
            ));
        }
        None => {
            return Err(redirect(
                "invalid_request",
                "response_type is missing".into(),
            ));
        }
    }
    let challenge = one("code_challenge")?.ok_or_else(|| {
        redirect(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256".into(),
        )
    })?;
    match one("code_challenge_method")?.as_deref() {
        Some("S256") => {}
        _ => {
            return Err(redirect(
                "invalid_request",
                "code_challenge_method must be S256".into(),
            ));
        }
    }
    let code_challenge =
        CodeChallenge::parse(&challenge).map_err(|why| redirect("invalid_request", why))?;
    let asked = one("resource")?;
    match asked.as_deref() {
        // RFC 8707 makes it the client's duty; a client that omits it gets this resource.
        None => {}
        Some(asked) if asked.trim_end_matches('/') == resource => {}
        Some(asked) => {
            return Err(redirect(
                "invalid_target",
                format!("this server issues tokens for '{resource}' only, not '{asked}'"),
            ));
        }
    }
    Ok(AuthorizeRequest {
        client_id,
        redirect_uri,
        state,
        code_challenge,
        resource: resource.to_owned(),
        scope: one("scope")?,
    })
}

/// The value of a parameter given at most once.
pub fn single(pairs: &[(String, String)], name: &str) -> Result<Option<String>, String> {
    let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next().cloned();
    if values.next().is_some() {
        return Err(format!("'{name}' is given more than once"));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// A token request (RFC 6749 §4.1.3 and §6), from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenGrant {
    Code {
        code: String,
        verifier: String,
        redirect_uri: String,
        client_id: String,
        resource: Option<String>,
    },
    Refresh {
        refresh_token: String,
        client_id: Option<String>,
        resource: Option<String>,
    },
}

impl TokenGrant {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, OAuthError> {
        let one = |name: &str| single(pairs, name).map_err(OAuthError::invalid_request);
        let need = |name: &str| {
            one(name)?.ok_or_else(|| OAuthError::invalid_request(format!("'{name}' is missing")))
        };
        match one("grant_type")?.as_deref() {
            Some("authorization_code") => Ok(TokenGrant::Code {
                code: need("code")?,
                verifier: need("code_verifier")?,
                redirect_uri: need("redirect_uri")?,
                client_id: need("client_id")?,
                resource: one("resource")?,
            }),
            Some("refresh_token") => Ok(TokenGrant::Refresh {
                refresh_token: need("refresh_token")?,
                client_id: one("client_id")?,
                resource: one("resource")?,
            }),
            Some(other) => Err(OAuthError::unsupported_grant_type(format!(
                "grant_type '{other}' is not supported (authorization_code, refresh_token)"
            ))),
            None => Err(OAuthError::invalid_request("'grant_type' is missing")),
        }
    }
}

/// Checks a token request's `resource` (RFC 8707) against this server's.
pub fn check_resource(asked: Option<&str>, resource: &str) -> Result<(), OAuthError> {
    match asked {
        None => Ok(()),
        Some(asked) if asked.trim_end_matches('/') == resource => Ok(()),
        Some(asked) => Err(OAuthError::invalid_target(format!(
            "this server issues tokens for '{resource}' only, not '{asked}'"
        ))),
    }
}

/// A token endpoint's answer (RFC 6749 §5.1).
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub scope: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Protected-resource metadata (RFC 9728) for `/mcp`.
pub fn protected_resource_metadata(origin: &str) -> Value {
    json!({
        "resource": resource_of(origin),
        "authorization_servers": [origin],
        "scopes_supported": SCOPES_SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "Latchkey",
        "resource_documentation": format!("{origin}/v1/openapi.json"),
    })
}

/// Authorization-server metadata (RFC 8414).
pub fn authorization_server_metadata(origin: &str) -> Value {
    json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/oauth/authorize"),
        "token_endpoint": format!("{origin}/oauth/token"),
        "registration_endpoint": format!("{origin}/oauth/register"),
        "revocation_endpoint": format!("{origin}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": SCOPES_SUPPORTED,
    })
}

/// The `WWW-Authenticate` of a 401 from `/mcp` (RFC 9728 §5.1).
pub fn www_authenticate(origin: &str) -> String {
    format!("Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\"")
}

#[cfg(test)]
mod tests;
