//! The agentsecretstore face: the API that the published clients `@agentsecretstore/sdk` and
//! `@agentsecretstore/mcp` 1.0.0 call, mounted at `/ass/v1/…` (their own `/v1/…` collides
//! with the native `/v1/secrets`), so they need only a new base URL.
//!
//! A secret is `namespace/key`: the key is the last segment of a Latchkey path and the
//! namespace all before it. `access_tier` is the tier, `metadata` the tags, and
//! `secret_type` is kept as the tag [`SECRET_TYPE_TAG`]. Errors carry the clients' codes
//! (`SCOPE_DENIED`, `SECRET_NOT_FOUND`, …) in `error.code` and the message in `detail`,
//! where the MCP server reads it.

pub mod env;
pub mod wire;

use crate::approval::ApprovalId;
use crate::body;
use crate::error::{ApiError, ErrorCode};
use crate::netaddr::parse_rules;
use crate::path::{SecretPath, percent_decode};
use crate::scope::{ScopeSet, ScopeTexts};
use crate::secret::{MAX_TAG_BYTES, MAX_TAGS, MAX_VERSION_PARAM, Tags, Tier};
use crate::token::{MAX_TTL_SECONDS, MAX_USES, TokenRequest};
use crate::value::check_value;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use env::{EnvEntry, MAX_IMPORT_ENTRIES};

/// Where the face is mounted.
pub const MOUNT: &str = "/ass";

/// The tag that keeps a secret's `secret_type`; `metadata` may not use it.
pub const SECRET_TYPE_TAG: &str = "secret_type";

/// The URL path below the mount, when `url_path` is the face's (`/ass` or `/ass/…`).
pub fn mounted(url_path: &str) -> Option<&str> {
    url_path
        .strip_prefix(MOUNT)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A route of the face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssRoute {
    /// `POST /v1/tokens`.
    CreateToken,
    /// `GET /v1/secrets/{namespace}/{key}`. `or_list`: nothing in the path was encoded, so
    /// the same URL is also the SDK's `listSecrets` of a namespace of several segments (it
    /// does not encode); when there is no secret to read there, that namespace is listed.
    GetSecret { path: SecretPath, or_list: bool },
    /// `PUT /v1/secrets/{namespace}/{key}`: creates or updates.
    PutSecret(SecretPath),
    /// `DELETE /v1/secrets/{namespace}/{key}`.
    DeleteSecret(SecretPath),
    /// `GET /v1/secrets/{namespace}` (one segment, raw or `%2F`-encoded).
    ListSecrets(SecretPath),
    /// `POST /v1/secrets/import`.
    Import,
    /// `GET /v1/namespaces`.
    Namespaces,
    /// `GET /v1/approvals/agent/{id}`.
    Approval(ApprovalId),
}

fn method_not_allowed(method: &str, path: &str, allow: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {path}; allowed: {allow}"),
    )
    .with("allow", allow)
}

/// The secret path that URL segments spell: each segment decoded (`%2F` included), then
/// joined with `/`.
fn path_of(segments: &[&str]) -> Result<SecretPath, ApiError> {
    let decoded = segments
        .iter()
        .map(|segment| percent_decode(segment))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| ApiError::invalid_request(why).with("field", "path"))?;
    SecretPath::parse(&decoded.join("/"))
        .map_err(|why| ApiError::validation("path", format!("namespace and key: {why}")))
}

impl AssRoute {
    /// Resolves `method` on `rest`, the URL path below [`MOUNT`] (still percent-encoded).
    pub fn resolve(method: &str, rest: &str) -> Result<AssRoute, ApiError> {
        let shown = format!("{MOUNT}{rest}");
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let only = |allow: &str, route: AssRoute| {
            if allow == method {
                Ok(route)
            } else {
                Err(method_not_allowed(method, &shown, allow))
            }
        };
        match segments.as_slice() {
            ["v1", "tokens"] => only("POST", AssRoute::CreateToken),
            ["v1", "namespaces"] => only("GET", AssRoute::Namespaces),
            ["v1", "approvals", "agent", id] => {
                let id = ApprovalId::parse(id)
                    .map_err(|why| ApiError::not_found(why).with("field", "approval_id"))?;
                only("GET", AssRoute::Approval(id))
            }
            ["v1", "secrets", "import"] if method == "POST" => Ok(AssRoute::Import),
            ["v1", "secrets", namespace] => {
                let allow = if *namespace == "import" {
                    "GET, POST"
                } else {
                    "GET"
                };
                if method != "GET" {
                    return Err(method_not_allowed(method, &shown, allow));
                }
                Ok(AssRoute::ListSecrets(path_of(&[namespace])?))
            }
            ["v1", "secrets", _, ..] => {
                let raw = segments.get(2..).unwrap_or_default();
                let path = path_of(raw)?;
                match method {
                    // Nothing encoded: `/v1/secrets/a/b` is also the SDK's list of `a/b`.
                    "GET" => Ok(AssRoute::GetSecret {
                        path,
                        or_list: !raw.iter().any(|s| s.to_ascii_lowercase().contains("%2f")),
                    }),
                    "PUT" => Ok(AssRoute::PutSecret(path)),
                    "DELETE" => Ok(AssRoute::DeleteSecret(path)),
                    _ => Err(method_not_allowed(method, &shown, "GET, PUT, DELETE")),
                }
            }
            _ => Err(ApiError::not_found(format!(
                "no route for {shown}; the agentsecretstore face serves /ass/v1/tokens, \
                 /ass/v1/secrets/{{namespace}}[/{{key}}], /ass/v1/secrets/import, \
                 /ass/v1/namespaces and /ass/v1/approvals/agent/{{id}}"
            ))),
        }
    }

    /// Whether a 404 here is about a secret (the SDK's `SECRET_NOT_FOUND`).
    pub fn is_secret_route(&self) -> bool {
        matches!(
            self,
            AssRoute::GetSecret { .. }
                | AssRoute::PutSecret(_)
                | AssRoute::DeleteSecret(_)
                | AssRoute::ListSecrets(_)
        )
    }

    /// The query parameters the route takes (the seed's `version`, `permanent`, `limit`,
    /// `cursor`); any other is refused.
    pub fn query_parameters(&self) -> &'static [&'static str] {
        match self {
            AssRoute::GetSecret { .. } => &["version"],
            AssRoute::DeleteSecret(_) => &["permanent"],
            AssRoute::ListSecrets(_) => &["limit", "cursor"],
            AssRoute::CreateToken
            | AssRoute::PutSecret(_)
            | AssRoute::Import
            | AssRoute::Namespaces
            | AssRoute::Approval(_) => &[],
        }
    }
}

/// The query's parameters, each known to the route and given once (400 naming the first that
/// is not).
pub fn check_query(route: &AssRoute, pairs: &[(String, String)]) -> Result<(), ApiError> {
    crate::route::check_query(
        route.query_parameters(),
        &[],
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// `?version=N` of a read.
pub fn parse_version(text: Option<&str>) -> Result<Option<u64>, ApiError> {
    text.map(|text| {
        text.parse::<u64>()
            .ok()
            .filter(|v| (1..=MAX_VERSION_PARAM).contains(v))
            .ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "'version' must be a version number from 1 to {MAX_VERSION_PARAM}"
                ))
                .with("field", "version")
            })
    })
    .transpose()
}

/// `?permanent=true|false` of a delete.
pub fn parse_permanent(text: Option<&str>) -> Result<bool, ApiError> {
    match text {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(
            ApiError::invalid_request("'permanent' must be true or false")
                .with("field", "permanent"),
        ),
    }
}

/// A secret's type as the clients name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SecretType {
    ApiKey,
    OauthToken,
    DbCredential,
    SshKey,
    Certificate,
    #[default]
    Custom,
}

impl SecretType {
    pub const ALL: [SecretType; 6] = [
        SecretType::ApiKey,
        SecretType::OauthToken,
        SecretType::DbCredential,
        SecretType::SshKey,
        SecretType::Certificate,
        SecretType::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretType::ApiKey => "api_key",
            SecretType::OauthToken => "oauth_token",
            SecretType::DbCredential => "db_credential",
            SecretType::SshKey => "ssh_key",
            SecretType::Certificate => "certificate",
            SecretType::Custom => "custom",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        SecretType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The type a secret's tags record (`custom` when they record none, or one unknown).
    pub fn of_tags(tags: &Tags) -> Self {
        tags.get(SECRET_TYPE_TAG)
            .and_then(|text| SecretType::parse(text))
            .unwrap_or_default()
    }
}

/// What a `PUT` or an import writes besides the value: `None` keeps what is stored (a new
/// secret takes `standard`, `custom` and no metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssMetadata {
    pub secret_type: Option<SecretType>,
    pub tier: Option<Tier>,
    /// The tags, [`SECRET_TYPE_TAG`] aside.
    pub metadata: Option<Tags>,
}

impl AssMetadata {
    /// The tags of a secret whose tags were `stored` (`None`: a new secret).
    pub fn tags(&self, stored: Option<&Tags>) -> Tags {
        let mut tags = match (&self.metadata, stored) {
            (Some(metadata), _) => metadata.clone(),
            (None, Some(stored)) => stored.clone(),
            (None, None) => Tags::new(),
        };
        let kept = stored.map(SecretType::of_tags);
        let secret_type = self.secret_type.or(kept).unwrap_or_default();
        tags.insert(SECRET_TYPE_TAG.to_owned(), secret_type.as_str().to_owned());
        tags
    }

    fn parse(
        secret_type: Option<String>,
        access_tier: Option<String>,
        metadata: Option<Map<String, Value>>,
    ) -> Result<Self, ApiError> {
        let secret_type = secret_type
            .map(|text| {
                SecretType::parse(&text).ok_or_else(|| {
                    ApiError::validation(
                        "secret_type",
                        "'secret_type' must be one of api_key, oauth_token, db_credential, ssh_key, certificate, custom",
                    )
                })
            })
            .transpose()?;
        let tier = access_tier
            .map(|text| {
                Tier::parse(&text).ok_or_else(|| {
                    ApiError::validation(
                        "access_tier",
                        "'access_tier' must be one of standard, sensitive, critical",
                    )
                })
            })
            .transpose()?;
        let metadata = match metadata {
            None => None,
            Some(map) => {
                if map.contains_key(SECRET_TYPE_TAG) {
                    return Err(ApiError::validation(
                        "metadata",
                        "'metadata.secret_type' is where 'secret_type' is kept; set 'secret_type' instead",
                    ));
                }
                Some(body::string_map(
                    "metadata",
                    Some(map),
                    MAX_TAGS - 1,
                    MAX_TAG_BYTES,
                )?)
            }
        };
        Ok(AssMetadata {
            secret_type,
            tier,
            metadata,
        })
    }
}

/// A validated `PUT /ass/v1/secrets/{namespace}/{key}` body. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssWrite {
    pub value: String,
    pub metadata: AssMetadata,
}

impl std::fmt::Debug for AssWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssWrite")
            .field("value", &"[redacted]")
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// The `PUT` body as it comes (the SDK sends all four; the MCP server no `metadata`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssWriteBody {
    value: body::Text,
    #[serde(default)]
    secret_type: body::OptText,
    #[serde(default)]
    access_tier: body::OptText,
    #[serde(default)]
    metadata: body::OptObject,
}

impl AssWrite {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: AssWriteBody = body::parse(bytes)?;
        check_value("value", &body.value.0)?;
        Ok(AssWrite {
            value: body.value.0,
            metadata: AssMetadata::parse(body.secret_type.0, body.access_tier.0, body.metadata.0)?,
        })
    }
}

/// A validated `POST /ass/v1/secrets/import` body: the secrets `namespace/KEY` of each line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvImport {
    pub namespace: SecretPath,
    pub entries: Vec<ImportEntry>,
    pub metadata: AssMetadata,
}

/// One secret of an import. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportEntry {
    pub path: SecretPath,
    pub value: String,
}

impl std::fmt::Debug for ImportEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportEntry")
            .field("path", &self.path)
            .field("value", &"[redacted]")
            .finish()
    }
}

/// The import body as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvImportBody {
    namespace: body::Text,
    content: body::Text,
    #[serde(default)]
    secret_type: body::OptText,
    #[serde(default)]
    access_tier: body::OptText,
    #[serde(default)]
    metadata: body::OptObject,
}

impl EnvImport {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: EnvImportBody = body::parse(bytes)?;
        let namespace = SecretPath::parse(body.namespace.0.trim_end_matches('/'))
            .map_err(|why| ApiError::validation("namespace", format!("namespace: {why}")))?;
        let entries = env::parse(&body.content.0)?
            .into_iter()
            .map(|entry| {
                let path =
                    SecretPath::parse(&format!("{namespace}/{}", entry.key)).map_err(|why| {
                        ApiError::validation(
                            "content",
                            format!("content line {}: {why}", entry.line),
                        )
                        .with("line", entry.line)
                    })?;
                Ok(ImportEntry {
                    path,
                    value: entry.value,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(EnvImport {
            namespace,
            entries,
            metadata: AssMetadata::parse(body.secret_type.0, body.access_tier.0, body.metadata.0)?,
        })
    }
}

/// `POST /ass/v1/tokens` as it comes: `{scopes, ttl, max_uses, ip_allowlist}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssTokenBody {
    #[serde(default)]
    scopes: ScopeTexts,
    #[serde(default)]
    ttl: body::OptText,
    #[serde(default)]
    max_uses: body::IntIn<1, MAX_USES>,
    #[serde(default)]
    ip_allowlist: Option<Vec<String>>,
}

/// A token request of the face, as the native [`TokenRequest`]; `ttl` is a duration such as
/// `15m`, `1h` or `1h30m`, from `min_ttl_seconds` to 24 hours.
pub fn parse_token_request(bytes: &[u8], min_ttl_seconds: u64) -> Result<TokenRequest, ApiError> {
    let body: AssTokenBody = body::parse(bytes)?;
    let scope = ScopeSet::from_member("scopes", body.scopes)?;
    let ttl_seconds = body
        .ttl
        .0
        .map(|text| parse_ttl(&text, min_ttl_seconds))
        .transpose()?;
    let allowed_ips = match body.ip_allowlist {
        None => Vec::new(),
        Some(texts) if texts.is_empty() => {
            return Err(ApiError::validation(
                "ip_allowlist",
                "'ip_allowlist' is empty, which would allow no address; omit it to allow every address",
            ));
        }
        Some(texts) => {
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            parse_rules(&texts).map_err(|why| ApiError::validation("ip_allowlist", why))?
        }
    };
    Ok(TokenRequest {
        scope,
        ttl_seconds,
        description: None,
        allowed_ips,
        max_uses: body.max_uses.0,
        never_expires: false,
    })
}

/// `30s`, `15m`, `1h`, `1h30m`, `1d`: the seconds, within `min_ttl_seconds..=24h`.
pub fn parse_ttl(text: &str, min_ttl_seconds: u64) -> Result<u64, ApiError> {
    let min = min_ttl_seconds.clamp(1, crate::token::MIN_TTL_SECONDS);
    let bad = || {
        ApiError::validation(
            "ttl",
            format!(
                "'ttl' must be a duration such as '15m', '1h' or '1h30m' (units s, m, h, d), from {min}s to 24h"
            ),
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let amount: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = amount
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() || text.is_empty() || !(min..=MAX_TTL_SECONDS).contains(&total) {
        return Err(bad());
    }
    Ok(total)
}

/// The code a client of the face reads: the SDK's names where it tells errors apart
/// (`SCOPE_DENIED`, `SECRET_NOT_FOUND`), else the native code in its uppercase spelling.
pub fn error_code(error: &ApiError, secret_route: bool) -> String {
    match error.code {
        ErrorCode::PermissionDenied => "SCOPE_DENIED".to_owned(),
        ErrorCode::NotFound if secret_route => "SECRET_NOT_FOUND".to_owned(),
        code => code.as_str().to_ascii_uppercase(),
    }
}

/// The error body: `{"error": {"code", "message", …details}, "detail": message}`.
pub fn error_body(error: &ApiError, secret_route: bool) -> Value {
    let mut body = error.to_body();
    if let Some(inner) = body.get_mut("error").and_then(Value::as_object_mut) {
        inner.insert("code".into(), Value::from(error_code(error, secret_route)));
    }
    if let Some(map) = body.as_object_mut() {
        map.insert("detail".into(), Value::from(error.message.clone()));
    }
    body
}

#[cfg(test)]
mod tests;
