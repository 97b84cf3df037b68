//! The MaestroVault face (seed 003): its REST API as written, under `/maestro/v1/…`, so a
//! MaestroVault client needs only a new base URL (`<host>/maestro` where it had
//! `http://localhost`). Everything here is pure: the route table, the query and body parsing,
//! the environment ↔ path mapping, the scope mapping, Go durations and the answer shapes. The
//! Worker's `faces::maestro` sends the tenant commands.
//!
//! **Environments.** MaestroVault keys a secret by `(environment, name)`; Latchkey by path.
//! The environment is the path's first segment: `?env=prod` with name `db` is the path
//! `prod/db`. No `env` (or `env=`) is the empty environment, the seed's default: a one-segment
//! path, `db`. So a name given without an environment must not contain `/` (it would read as
//! one), and every native path maps back: one segment is `("", name)`, more are
//! `(first, rest)`.
//!
//! **Metadata** is the native tags: a map of strings (at most 50 pairs, keys 1..=128 bytes,
//! values at most 128, no control characters); other JSON values are refused, not stringified.

use crate::body;
use crate::error::{ApiError, ErrorCode};
use crate::field::FieldName;
use crate::generate::{DEFAULT_LENGTH, MAX_LENGTH, MIN_LENGTH, PasswordRequest};
use crate::path::{SecretPath, percent_decode};
use crate::scope::{Scope, ScopeSet, SecretAction};
use crate::secret::{MAX_TAG_BYTES, MAX_TAGS, SecretMetadata, SecretRead, SecretSummary, Tags};
use crate::time::Timestamp;
use crate::token::{MIN_TTL_SECONDS, TokenCreated, TokenId, TokenRequest, TokenSummary};
use crate::value::check_value;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Where the face is mounted: the seed's `/v1/…` collides with the native routes.
pub const PREFIX: &str = "/maestro";

/// The longest `expires_in` the face accepts: 10 years (Go's durations go further; a token
/// meant to outlive that is a token with no expiry).
pub const MAX_EXPIRES_IN_SECONDS: u64 = 10 * 366 * 86_400;

/// Whether a request path belongs to this face.
pub fn is_maestro_path(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|r| r.starts_with('/'))
}

/// One of the seed's routes. Names are as decoded from the URL, not yet paths: the
/// environment comes from the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaestroRoute {
    Health,
    ListSecrets,
    Search,
    GetSecret(String),
    SetSecret(String),
    EditSecret(String),
    DeleteSecret(String),
    GetFields(String),
    SetFields(String),
    GetField(String, FieldName),
    SetField(String, FieldName),
    DeleteField(String, FieldName),
    Generate,
    Info,
    ListTokens,
    CreateToken,
    RevokeToken(TokenId),
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(format!("no route for {path}"))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::invalid_request(message)
}

impl MaestroRoute {
    /// The route for `method` and the URL path (with its `/maestro` prefix): 404 for an
    /// unknown path, 405 (with `allow`) for a known one called with another method.
    pub fn resolve(method: &str, url_path: &str) -> Result<Self, ApiError> {
        let rest = url_path
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix("/v1/"))
            .ok_or_else(|| not_found(url_path))?;
        let segments: Vec<&str> = rest.split('/').collect();
        let method = if method == "HEAD" { "GET" } else { method };
        let decode = |segment: &str| -> Result<String, ApiError> {
            let text = percent_decode(segment).map_err(bad)?;
            if text.is_empty() {
                return Err(not_found(url_path));
            }
            Ok(text)
        };
        let field = |segment: &str| -> Result<FieldName, ApiError> {
            FieldName::parse(&decode(segment)?).map_err(|why| bad(format!("field name: {why}")))
        };
        type Pick = Box<dyn FnOnce() -> Result<MaestroRoute, ApiError>>;
        let candidates: Vec<(&str, Pick)> = match segments.as_slice() {
            ["health"] => vec![("GET", Box::new(|| Ok(MaestroRoute::Health)))],
            ["secrets"] => vec![("GET", Box::new(|| Ok(MaestroRoute::ListSecrets)))],
            ["search"] => vec![("GET", Box::new(|| Ok(MaestroRoute::Search)))],
            ["generate"] => vec![("POST", Box::new(|| Ok(MaestroRoute::Generate)))],
            ["info"] => vec![("GET", Box::new(|| Ok(MaestroRoute::Info)))],
            ["tokens"] => vec![
                ("GET", Box::new(|| Ok(MaestroRoute::ListTokens))),
                ("POST", Box::new(|| Ok(MaestroRoute::CreateToken))),
            ],
            ["tokens", id] => {
                let id = decode(id);
                vec![(
                    "DELETE",
                    Box::new(move || {
                        TokenId::parse(&id?)
                            .map(MaestroRoute::RevokeToken)
                            .map_err(|why| ApiError::not_found(format!("no such token: {why}")))
                    }),
                )]
            }
            ["secrets", name] => {
                let name = decode(name)?;
                let (a, b, c) = (name.clone(), name.clone(), name.clone());
                vec![
                    ("GET", Box::new(move || Ok(MaestroRoute::GetSecret(a)))),
                    ("PUT", Box::new(move || Ok(MaestroRoute::SetSecret(b)))),
                    ("PATCH", Box::new(move || Ok(MaestroRoute::EditSecret(c)))),
                    (
                        "DELETE",
                        Box::new(move || Ok(MaestroRoute::DeleteSecret(name))),
                    ),
                ]
            }
            ["secrets", name, "fields"] => {
                let name = decode(name)?;
                let a = name.clone();
                vec![
                    ("GET", Box::new(move || Ok(MaestroRoute::GetFields(a)))),
                    ("PUT", Box::new(move || Ok(MaestroRoute::SetFields(name)))),
                ]
            }
            ["secrets", name, "fields", f] => {
                let name = decode(name)?;
                let f = field(f)?;
                let (a, b, fa, fb) = (name.clone(), name.clone(), f.clone(), f.clone());
                vec![
                    ("GET", Box::new(move || Ok(MaestroRoute::GetField(a, fa)))),
                    ("PUT", Box::new(move || Ok(MaestroRoute::SetField(b, fb)))),
                    (
                        "DELETE",
                        Box::new(move || Ok(MaestroRoute::DeleteField(name, f))),
                    ),
                ]
            }
            _ => return Err(not_found(url_path)),
        };
        let allowed: Vec<&str> = candidates.iter().map(|(m, _)| *m).collect();
        match candidates.into_iter().find(|(m, _)| *m == method) {
            Some((_, pick)) => pick(),
            None => Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{method} is not allowed on {url_path}; use {}",
                    allowed.join(", ")
                ),
            )
            .with("allow", allowed.join(", "))),
        }
    }

    /// Whether the route needs no credential (the seed: every endpoint but health).
    pub fn is_public(&self) -> bool {
        matches!(self, MaestroRoute::Health)
    }

    /// The query parameters the seed defines for this route.
    fn parameters(&self) -> &'static [&'static str] {
        use MaestroRoute as R;
        match self {
            R::ListSecrets => &["env", "metadata_key", "metadata_value"],
            R::Search => &["q"],
            R::GetSecret(_)
            | R::SetSecret(_)
            | R::EditSecret(_)
            | R::DeleteSecret(_)
            | R::GetFields(_)
            | R::SetFields(_)
            | R::GetField(..)
            | R::SetField(..)
            | R::DeleteField(..) => &["env"],
            R::Health
            | R::Generate
            | R::Info
            | R::ListTokens
            | R::CreateToken
            | R::RevokeToken(_) => &[],
        }
    }

    /// The route's query, checked: a parameter the seed does not define for it is a 400
    /// naming it, and so is one given twice (nothing is silently ignored).
    pub fn query(&self, pairs: &[(String, String)]) -> Result<Query, ApiError> {
        let allowed = self.parameters();
        let mut query = Query::default();
        crate::route::check_query(
            allowed,
            &[],
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )?;
        for (name, value) in pairs {
            match name.as_str() {
                "env" => query.env = Some(Environment::parse(value)?),
                "metadata_key" => query.metadata_key = Some(value.clone()),
                "metadata_value" => query.metadata_value = Some(value.clone()),
                "q" => query.q = Some(value.clone()),
                _ => {}
            }
        }
        if query.metadata_value.is_some() && query.metadata_key.is_none() {
            return Err(
                bad("'metadata_value' requires 'metadata_key'").with("parameter", "metadata_value")
            );
        }
        if matches!(self, MaestroRoute::Search) && query.q.as_deref().is_none_or(str::is_empty) {
            return Err(bad("query parameter 'q' is required").with("parameter", "q"));
        }
        Ok(query)
    }
}

/// A route's checked query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `None`: not given (the list then shows every environment; single-secret routes use
    /// the empty environment, the seed's default).
    pub env: Option<Environment>,
    pub metadata_key: Option<String>,
    pub metadata_value: Option<String>,
    pub q: Option<String>,
}

impl Query {
    /// The environment of a single-secret route: the empty one when none is given.
    pub fn environment(&self) -> Environment {
        self.env.clone().unwrap_or_default()
    }
}

/// An environment: the empty one, or one path segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment(Option<String>);

impl Environment {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        if text.is_empty() {
            return Ok(Environment(None));
        }
        if text.contains('/') {
            return Err(bad(format!(
                "env '{text}' must not contain '/': an environment is one path segment"
            ))
            .with("parameter", "env"));
        }
        SecretPath::parse(text).map_err(|why| {
            bad(format!(
                "env: {}",
                why.replacen("path", "an environment", 1)
            ))
            .with("parameter", "env")
        })?;
        Ok(Environment(Some(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }

    /// The native path of `name` in this environment.
    pub fn path_of(&self, name: &str) -> Result<SecretPath, ApiError> {
        let text = match &self.0 {
            None if name.contains('/') => {
                return Err(bad(format!(
                    "name '{name}' contains '/', which would read as an environment; give env= instead"
                )));
            }
            None => name.to_owned(),
            Some(env) => format!("{env}/{name}"),
        };
        SecretPath::parse(&text).map_err(|why| bad(format!("secret name: {why}")))
    }

    /// Whether a native path belongs to this environment (one segment: the empty one).
    pub fn holds(&self, path: &SecretPath) -> bool {
        split(path).0 == self.as_str()
    }
}

/// A native path as `(environment, name)`.
pub fn split(path: &SecretPath) -> (&str, &str) {
    path.as_str().split_once('/').unwrap_or(("", path.as_str()))
}

// ---- bodies -------------------------------------------------------------------------------

/// The face's 400 for a body error: the native parser's message (which names the member).
fn body_error(error: ApiError) -> ApiError {
    if error.code == ErrorCode::ValidationError {
        let mut refused = ApiError::invalid_request(error.message.clone());
        refused.details = error.details;
        refused
    } else {
        error
    }
}

fn metadata_of(map: Option<Map<String, Value>>) -> Result<Option<Tags>, ApiError> {
    map.map(|map| body::string_map("metadata", Some(map), MAX_TAGS, MAX_TAG_BYTES))
        .transpose()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    value: body::Text,
    #[serde(default)]
    metadata: body::OptObject,
}

/// `PUT /v1/secrets/{name}` `{value, metadata?}`: the value, and the metadata when given.
#[derive(Clone, PartialEq, Eq)]
pub struct SetRequest {
    pub value: String,
    pub metadata: Option<Tags>,
}

impl SetRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: SetBody = body::parse(bytes).map_err(body_error)?;
        check_value("value", &body.value.0).map_err(body_error)?;
        if body.value.0.is_empty() {
            return Err(bad("value is required"));
        }
        Ok(SetRequest {
            value: body.value.0,
            metadata: metadata_of(body.metadata.0).map_err(body_error)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    #[serde(default)]
    value: body::OptText,
    #[serde(default)]
    metadata: body::OptObject,
}

/// `PATCH /v1/secrets/{name}` `{value?, metadata?}`: what is omitted is preserved.
#[derive(Clone, PartialEq, Eq)]
pub struct EditRequest {
    pub value: Option<String>,
    pub metadata: Option<Tags>,
}

impl EditRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: EditBody = body::parse(bytes).map_err(body_error)?;
        if let Some(value) = &body.value.0 {
            check_value("value", value).map_err(body_error)?;
        }
        let edit = EditRequest {
            value: body.value.0,
            metadata: metadata_of(body.metadata.0).map_err(body_error)?,
        };
        if edit.value.is_none() && edit.metadata.is_none() {
            return Err(bad("nothing to edit: give 'value', 'metadata' or both"));
        }
        Ok(edit)
    }
}

impl std::fmt::Debug for SetRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetRequest")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for EditRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditRequest")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    #[serde(default)]
    name: body::OptText,
    #[serde(default)]
    environment: body::OptText,
    #[serde(default)]
    length: body::IntIn<MIN_LENGTH, MAX_LENGTH>,
    #[serde(default)]
    uppercase: body::OptBool,
    #[serde(default)]
    lowercase: body::OptBool,
    #[serde(default)]
    digits: body::OptBool,
    #[serde(default)]
    symbols: body::OptBool,
    #[serde(default)]
    metadata: body::OptObject,
}

/// `POST /v1/generate`: the password's shape, and where to store it (when `name` is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateRequest {
    pub password: PasswordRequest,
    /// The path and metadata to store the password under.
    pub store: Option<(SecretPath, Option<Tags>)>,
}

impl GenerateRequest {
    /// An empty body is every default (all the seed's members are optional).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            bytes
        };
        let body: GenerateBody = body::parse(bytes).map_err(body_error)?;
        let password = PasswordRequest {
            length: usize::try_from(body.length.0.unwrap_or(DEFAULT_LENGTH)).unwrap_or(32),
            uppercase: body.uppercase.0.unwrap_or(true),
            lowercase: body.lowercase.0.unwrap_or(true),
            digits: body.digits.0.unwrap_or(true),
            symbols: body.symbols.0.unwrap_or(true),
            store: None,
        };
        if password.classes().is_empty() {
            return Err(bad(
                "no character set is enabled: set at least one of uppercase, lowercase, digits, symbols",
            ));
        }
        let metadata = metadata_of(body.metadata.0).map_err(body_error)?;
        let store = match body.name.0.filter(|n| !n.is_empty()) {
            Some(name) => {
                let env = Environment::parse(body.environment.0.as_deref().unwrap_or(""))
                    .map_err(|e| bad(e.message.replacen("env", "environment", 1)))?;
                Some((env.path_of(&name)?, metadata))
            }
            None => {
                if body.environment.0.is_some_and(|e| !e.is_empty()) || metadata.is_some() {
                    return Err(bad(
                        "'environment' and 'metadata' apply only when 'name' is given (to store the password)",
                    ));
                }
                None
            }
        };
        Ok(GenerateRequest { password, store })
    }
}

/// The seed's token scopes.
const SEED_SCOPES: [&str; 4] = ["read", "write", "generate", "admin"];

/// The native scopes of the seed's: `read` is `secrets:read:*`; `write` is `secrets:write:*`
/// and `secrets:delete:*` (the seed's write covers delete); `generate` adds nothing, since
/// every Latchkey caller may generate (storing the password needs `write` on its name, as
/// for any write); `admin` is `admin`, which implies every other scope.
pub fn native_scopes(seed: &[String]) -> Result<ScopeSet, ApiError> {
    if seed.is_empty() {
        return Err(bad("at least one scope is required"));
    }
    let mut scopes = Vec::new();
    for name in seed {
        match name.as_str() {
            "read" => scopes.push(Scope::everywhere(SecretAction::Read)),
            "write" => {
                scopes.push(Scope::everywhere(SecretAction::Write));
                scopes.push(Scope::everywhere(SecretAction::Delete));
            }
            "generate" => {}
            "admin" => scopes.push(Scope::Admin),
            other => {
                return Err(bad(format!(
                    "invalid scope: {other} (one of {})",
                    SEED_SCOPES.join(", ")
                )));
            }
        }
    }
    scopes.dedup();
    Ok(ScopeSet::from_scopes(scopes))
}

/// The seed's names for what a native scope set holds. `generate` is always there (any
/// caller may generate); a native scope with no seed name is shown as it is written.
pub fn seed_scopes(scopes: &ScopeSet) -> Vec<String> {
    if scopes.covers(&Scope::Admin) {
        return vec!["admin".into()];
    }
    let mut names: Vec<String> = Vec::new();
    let read = Scope::everywhere(SecretAction::Read);
    let write = Scope::everywhere(SecretAction::Write);
    let delete = Scope::everywhere(SecretAction::Delete);
    if scopes.covers(&read) {
        names.push("read".into());
    }
    if scopes.covers(&write) && scopes.covers(&delete) {
        names.push("write".into());
    }
    names.push("generate".into());
    for scope in scopes.scopes() {
        let named = [&read, &write, &delete].contains(&scope)
            && (scope != &read || names.contains(&"read".to_string()))
            && (scope == &read || names.contains(&"write".to_string()));
        if !named {
            names.push(scope.to_string());
        }
    }
    names
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    #[serde(default)]
    name: body::OptText,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    expires_in: body::OptText,
}

/// Parses a Go duration (`time.ParseDuration`: `720h`, `1h30m`, `90s`, `1.5h`; units ns, us,
/// µs, ms, s, m, h) into whole seconds. Negative durations are refused.
pub fn parse_go_duration(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid duration \"{text}\" (use Go's format: 24h, 720h, 90m)");
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        return Err(format!("duration \"{text}\" is negative"));
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(invalid()),
        };
        nanos += value * scale;
        rest = next;
    }
    // Go's limit: about 290 years.
    if !nanos.is_finite() || nanos > i64::MAX as f64 {
        return Err(format!("duration \"{text}\" is out of range"));
    }
    Ok((nanos / 1e9) as u64)
}

/// `POST /v1/tokens` `{name, scopes, expires_in?}`: a native token request. Without
/// `expires_in` (or with `"0"`, as MaestroVault reads it) the token never expires.
pub fn parse_token_request(bytes: &[u8]) -> Result<TokenRequest, ApiError> {
    let body: TokenBody = body::parse(bytes).map_err(body_error)?;
    let name = body
        .name
        .0
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("name is required"))?;
    if name.len() > crate::token::MAX_TOKEN_DESCRIPTION_BYTES || name.chars().any(char::is_control)
    {
        return Err(bad(format!(
            "name must be at most {} bytes, with no control characters",
            crate::token::MAX_TOKEN_DESCRIPTION_BYTES
        )));
    }
    let scope = native_scopes(&body.scopes.unwrap_or_default())?;
    let seconds = match body.expires_in.0.as_deref() {
        None | Some("") => 0,
        Some(text) => {
            parse_go_duration(text).map_err(|why| bad(format!("invalid expires_in: {why}")))?
        }
    };
    if seconds != 0 && !(MIN_TTL_SECONDS..=MAX_EXPIRES_IN_SECONDS).contains(&seconds) {
        return Err(bad(format!(
            "invalid expires_in: must be from {MIN_TTL_SECONDS}s to {}h, or omitted for no expiry",
            MAX_EXPIRES_IN_SECONDS / 3600
        )));
    }
    Ok(TokenRequest {
        scope,
        ttl_seconds: (seconds != 0).then_some(seconds),
        description: Some(name),
        allowed_ips: Vec::new(),
        max_uses: None,
        never_expires: seconds == 0,
    })
}

// ---- answers ------------------------------------------------------------------------------

/// A secret in the seed's shape (lists, search, get). `value`, `fields` and `field_count`
/// appear only on a get, and only when the secret has them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEntry {
    pub name: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub metadata: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_count: Option<usize>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl SecretEntry {
    pub fn of_summary(summary: &SecretSummary) -> Self {
        let (environment, name) = split(&summary.path);
        SecretEntry {
            name: name.to_owned(),
            environment: environment.to_owned(),
            value: None,
            metadata: summary.tags.clone(),
            fields: None,
            field_count: None,
            created_at: summary.created_at,
            updated_at: summary.updated_at,
        }
    }

    pub fn of_read(read: SecretRead) -> Self {
        let (environment, name) = split(&read.path);
        SecretEntry {
            name: name.to_owned(),
            environment: environment.to_owned(),
            value: read.value,
            metadata: read.tags,
            fields: read.fields.map(|f| {
                f.0.into_iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v))
                    .collect()
            }),
            field_count: read.field_count,
            created_at: read.created_at,
            updated_at: read.updated_at,
        }
    }
}

/// Whether a listed secret passes the list's filters that the native list does not apply
/// (the empty environment, a metadata key without a value).
pub fn list_keeps(query: &Query, summary: &SecretSummary) -> bool {
    let env_ok = query
        .env
        .as_ref()
        .is_none_or(|env| env.holds(&summary.path));
    let key_ok = query.metadata_key.as_ref().is_none_or(|key| {
        summary.tags.get(key).is_some_and(|value| {
            query
                .metadata_value
                .as_ref()
                .is_none_or(|wanted| wanted == value)
        })
    });
    env_ok && key_ok
}

/// One token in the seed's list shape.
pub fn token_entry(token: &TokenSummary) -> Value {
    json!({
        "id": token.id.as_str(),
        "name": token.description.clone().unwrap_or_default(),
        "scopes": seed_scopes(&token.scope),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
    })
}

/// A minted token in the seed's shape: the value, shown this once.
pub fn token_created(created: &TokenCreated, name: &str) -> Value {
    json!({
        "token": created.value,
        "id": created.id.as_str(),
        "name": name,
        "scopes": seed_scopes(&created.scope),
        "expires_at": created.expires_at,
    })
}

/// The seed's error status for a Latchkey error: body problems (422) and conflicts are its
/// 400; the rest keep their status (401, 403, 404, 405, 429, 500, …).
pub fn status_of(error: &ApiError) -> u16 {
    match error.code {
        ErrorCode::ValidationError | ErrorCode::Conflict | ErrorCode::InvalidRequest => 400,
        _ => error.status(),
    }
}

/// The seed's error body: `{"error": "description"}`.
pub fn error_body(error: &ApiError) -> Value {
    json!({ "error": error.message })
}

/// The metadata a new secret gets: its tags, defaults for the rest.
pub fn new_metadata(tags: Option<Tags>) -> SecretMetadata {
    SecretMetadata {
        tags: tags.unwrap_or_default(),
        ..SecretMetadata::default()
    }
}

#[cfg(test)]
mod tests;
