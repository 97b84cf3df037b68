//! The broker (`POST /v1/proxy`): an agent names secrets and a request to make with them;
//! Latchkey puts the values into the request, sends it, and returns the answer with every
//! trace of the values removed. The agent uses a credential without ever holding it, so a
//! prompt injection has nothing to exfiltrate.
//!
//! This module is the pure part: the request's grammar ([`ProxyRequest`]), where a value may
//! go ([`hosts`]), placeholders ([`substitute`]) and redaction ([`redact`]). The Worker sends
//! the request; the tenant object checks scopes and `allowed_hosts`, releases the values and
//! records the use.

pub mod hosts;
pub mod redact;
pub mod substitute;

use crate::body;
use crate::error::{ApiError, ErrorCode};
use crate::field::FieldName;
use crate::path::SecretPath;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hosts::{Host, HttpMethod};
use redact::Redactor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use substitute::{is_name, percent_encode_component};

/// Request and response bodies: 1 MiB each.
pub const MAX_BODY_BYTES: usize = 1 << 20;
pub const MAX_SECRETS: usize = 5;
pub const MAX_HEADERS: usize = 50;
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
pub const MAX_URL_BYTES: usize = 8 * 1024;
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
pub const MAX_PURPOSE_BYTES: usize = 256;
/// All header values together, as written (placeholders, not values).
pub const MAX_HEADERS_BYTES: usize = 64 * 1024;
/// `{{NAME}}` occurrences in a call, URL, headers and body together. With
/// [`MAX_PLACED_VALUE_BYTES`], this bounds what rendering can build, whatever the values.
pub const MAX_PLACEHOLDERS: usize = 16;
/// The most a placeholder can stand for: a secret's value or field (64 KiB). A longer value
/// (a Vault KV write stores its whole map as the main value) is not placed at all.
pub const MAX_PLACED_VALUE_BYTES: usize = crate::value::MAX_VALUE_BYTES;
/// The rendered sizes are bounded by the template's limit plus every placeholder at its
/// largest (three times that in the query, percent-encoded): every limit is applied to the
/// template at parse time, so whether a call is refused never depends on the values' sizes
/// (padding a body to the limit and bisecting would otherwise tell a value's length).
pub const MAX_RENDERED_BODY_BYTES: usize =
    MAX_BODY_BYTES + MAX_PLACEHOLDERS * MAX_PLACED_VALUE_BYTES;
pub const MAX_RENDERED_HEADER_BYTES: usize =
    MAX_HEADERS_BYTES + MAX_PLACEHOLDERS * MAX_PLACED_VALUE_BYTES;
pub const MAX_RENDERED_URL_BYTES: usize =
    MAX_URL_BYTES + 3 * MAX_PLACEHOLDERS * MAX_PLACED_VALUE_BYTES;

/// Headers the broker sets itself or that would let a caller steer the hop: refused.
fn forbidden_header(lower: &str) -> bool {
    matches!(
        lower,
        "host"
            | "content-length"
            | "transfer-encoding"
            | "connection"
            | "upgrade"
            | "te"
            | "trailer"
            | "keep-alive"
            | "x-real-ip"
            | "forwarded"
            // Compressions the runtime does not undo would hide a value from redaction.
            | "accept-encoding"
            // A piece of a value is not redacted; the caller must not choose the pieces.
            | "range"
            | "if-range"
            // Headers some upstreams honour to run another method or path than the one the
            // allowlist checked.
            | "x-http-method-override"
            | "x-http-method"
            | "x-method-override"
            | "x-original-url"
            | "x-rewrite-url"
    ) || ["proxy-", "cf-", "x-forwarded-", "x-latchkey-"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
}

/// Response headers that describe the hop, not the content (the body is returned decoded).
fn hop_header(lower: &str) -> bool {
    matches!(
        lower,
        "content-length" | "content-encoding" | "transfer-encoding" | "connection" | "keep-alive"
    )
}

/// A header name: one to 256 RFC 9110 `tchar`s. Written out rather than
/// `http::HeaderName::from_bytes` (which accepts exactly the same names): that call links the
/// crate's standard-header table into the Worker, about 19 KB of wasm (7 KB gzipped).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// One secret a call names: `"NAME": "path"` or `"NAME": "path#field"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    pub name: String,
    pub path: SecretPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldName>,
    /// The value goes into a header, where CR, LF and NUL could forge more headers: the
    /// object refuses such a value before releasing it.
    #[serde(default)]
    pub in_header: bool,
}

/// Where a call goes, as the tenant object checks it against `allowed_hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub method: HttpMethod,
    pub scheme: String,
    pub host: Host,
    /// The port when it is not the scheme's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The path, percent-encoded and normalized (`..` resolved) as it is sent.
    pub path: String,
}

impl Serialize for Host {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Host {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Host::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A validated `POST /v1/proxy` body. `Debug` shows no header values or body: they may hold
/// credentials the caller already had.
#[derive(Clone)]
pub struct ProxyRequest {
    pub method: HttpMethod,
    url: url::Url,
    headers: Vec<(String, String)>,
    body: Option<String>,
    pub secrets: Vec<SecretRef>,
    pub timeout_seconds: u64,
}

impl fmt::Debug for ProxyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyRequest")
            .field("method", &self.method)
            .field("target", &self.target())
            .field("headers", &self.headers.len())
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

/// The request as sent, with the values in it. `Debug` shows neither header values nor body.
pub struct Rendered {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("method", &self.method)
            .field("headers", &self.headers.len())
            .finish_non_exhaustive()
    }
}

fn parse_url(text: &str) -> Result<url::Url, ApiError> {
    let bad = |why: String| ApiError::validation("url", why);
    if text.len() > MAX_URL_BYTES {
        return Err(bad(format!("'url' is longer than {MAX_URL_BYTES} bytes")));
    }
    let before_query = text.split('?').next().unwrap_or(text);
    if before_query.contains("{{") {
        return Err(bad(
            "placeholders may appear only in the url's query, the headers or the body, never in its host or path (a secret in a host name would leave through DNS)".into(),
        ));
    }
    let url =
        url::Url::parse(text).map_err(|e| bad(format!("'url' is not an absolute URL: {e}")))?;
    // Parsing percent-encodes what needs it: the limit holds for the URL as it is sent too.
    if url.as_str().len() > MAX_URL_BYTES {
        return Err(bad(format!(
            "'url' is longer than {MAX_URL_BYTES} bytes once percent-encoded"
        )));
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad(format!(
            "'url' must be an https URL, not '{}:'",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "'url' must not carry user info; put credentials in a header with a placeholder".into(),
        ));
    }
    if url.host().is_none() {
        return Err(bad("'url' needs a host".into()));
    }
    if url.fragment().is_some() {
        return Err(bad("'url' must not have a fragment ('#…')".into()));
    }
    let lower_path = url.path().to_ascii_lowercase();
    if ["%2f", "%5c", "%2e", "%25"]
        .iter()
        .any(|e| lower_path.contains(e))
        || lower_path.contains(';')
    {
        return Err(bad(
            "the url's path must not hold an encoded '/', '\\', '.' or '%', nor ';': an upstream that decodes them (or reads ';' as a parameter) could be reached outside an allowed path_prefix".into(),
        ));
    }
    Ok(url)
}

fn parse_headers(map: Option<Map<String, Value>>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(map) = map else {
        return Ok(Vec::new());
    };
    if map.len() > MAX_HEADERS {
        return Err(ApiError::validation(
            "headers",
            format!("'headers' holds at most {MAX_HEADERS} headers"),
        ));
    }
    let mut headers = Vec::with_capacity(map.len());
    let mut total = 0usize;
    for (name, value) in map {
        let bad = |why: String| ApiError::validation("headers", why);
        if !is_token(&name) {
            return Err(bad(format!("'{name}' is not a valid header name")));
        }
        let lower = name.to_ascii_lowercase();
        if forbidden_header(&lower) {
            return Err(bad(format!(
                "header '{name}' is set by the broker or describes the hop; it may not be sent"
            )));
        }
        if headers
            .iter()
            .any(|(n, _): &(String, String)| n.eq_ignore_ascii_case(&name))
        {
            return Err(bad(format!("header '{name}' appears twice")));
        }
        let Value::String(value) = value else {
            return Err(bad(format!("header '{name}' must have a string value")));
        };
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(bad(format!(
                "header '{name}' is longer than {MAX_HEADER_VALUE_BYTES} bytes"
            )));
        }
        total = total.saturating_add(value.len());
        if total > MAX_HEADERS_BYTES {
            return Err(bad(format!(
                "the header values are over {MAX_HEADERS_BYTES} bytes together"
            )));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(bad(format!(
                "header '{name}' must not contain CR, LF or NUL"
            )));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

fn parse_secrets(map: Option<Map<String, Value>>) -> Result<Vec<SecretRef>, ApiError> {
    let bad = |why: String| ApiError::validation("secrets", why);
    let map = map.ok_or_else(|| {
        bad("'secrets' is required: an object of NAME → secret path, e.g. {\"API_KEY\": \"production/openai/api-key\"}".into())
    })?;
    if map.is_empty() || map.len() > MAX_SECRETS {
        return Err(bad(format!("'secrets' names 1 to {MAX_SECRETS} secrets")));
    }
    let mut refs = Vec::with_capacity(map.len());
    for (name, target) in map {
        if !is_name(&name) {
            return Err(bad(format!(
                "'{name}' is not a placeholder name: letters, digits and '_', not starting with a digit, at most 64"
            )));
        }
        let Value::String(target) = target else {
            return Err(bad(format!(
                "'secrets.{name}' must be a secret path (or path#field)"
            )));
        };
        let (path, field) = match target.split_once('#') {
            Some((path, field)) => (
                path,
                Some(
                    FieldName::parse(field)
                        .map_err(|why| bad(format!("'secrets.{name}': {why}")))?,
                ),
            ),
            None => (target.as_str(), None),
        };
        let path =
            SecretPath::parse(path).map_err(|why| bad(format!("'secrets.{name}': {why}")))?;
        refs.push(SecretRef {
            name,
            path,
            field,
            in_header: false,
        });
    }
    Ok(refs)
}

/// `POST /v1/proxy` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyRequestBody {
    method: body::Text,
    url: body::Text,
    #[serde(default)]
    headers: body::OptObject,
    #[serde(default)]
    body: body::OptText,
    #[serde(default)]
    secrets: body::OptObject,
    #[serde(default)]
    timeout_seconds: body::IntIn<1, DEFAULT_TIMEOUT_SECONDS>,
}

impl ProxyRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: ProxyRequestBody = body::parse(bytes)?;
        let method = HttpMethod::parse(&body.method.0).ok_or_else(|| {
            ApiError::validation(
                "method",
                "'method' must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
            )
        })?;
        let url = parse_url(&body.url.0)?;
        let headers = parse_headers(body.headers.0)?;
        let request_body = body.body.0;
        if let Some(text) = &request_body {
            if !method.allows_body() {
                return Err(ApiError::validation(
                    "body",
                    format!("a {method} request carries no body"),
                ));
            }
            if text.len() > MAX_BODY_BYTES {
                return Err(body_too_large());
            }
        }
        let mut secrets = parse_secrets(body.secrets.0)?;
        let timeout_seconds = body.timeout_seconds.0.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        // Every placeholder must name a declared secret, and every secret must be used.
        let declared_names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
        let declared = |name: &str| declared_names.iter().any(|d| d == name);
        let check = |field: &str, template: &str| -> Result<Vec<String>, ApiError> {
            let names = substitute::names(template);
            if let Some(unknown) = names.iter().find(|n| !declared(n)) {
                return Err(ApiError::validation(
                    field,
                    format!("placeholder {{{{{unknown}}}}} names no secret in 'secrets'"),
                ));
            }
            Ok(names.into_iter().map(str::to_owned).collect())
        };
        // Every size limit is on the template, never on the values: see MAX_PLACEHOLDERS.
        let mut placeholders = 0usize;
        let mut count = |field: &str, names: &[String]| -> Result<(), ApiError> {
            placeholders = placeholders.saturating_add(names.len());
            if placeholders > MAX_PLACEHOLDERS {
                return Err(ApiError::validation(
                    field,
                    format!(
                        "a call holds at most {MAX_PLACEHOLDERS} {{{{NAME}}}} placeholders (url, headers and body together)"
                    ),
                ));
            }
            Ok(())
        };
        let mut used = check("url", url.query().unwrap_or(""))?;
        count("url", &used)?;
        for (name, value) in &headers {
            if name.contains("{{") {
                return Err(ApiError::validation(
                    "headers",
                    "placeholders go in header values, not names",
                ));
            }
            let in_header = check("headers", value)?;
            count("headers", &in_header)?;
            for secret in &mut secrets {
                secret.in_header |= in_header.contains(&secret.name);
            }
            used.extend(in_header);
        }
        if let Some(text) = &request_body {
            let in_body = check("body", text)?;
            count("body", &in_body)?;
            used.extend(in_body);
        }
        if let Some(unused) = secrets.iter().find(|s| !used.contains(&s.name)) {
            return Err(ApiError::validation(
                "secrets",
                format!(
                    "secret '{}' is declared but no {{{{{}}}}} placeholder uses it",
                    unused.name, unused.name
                ),
            ));
        }
        Ok(ProxyRequest {
            method,
            url,
            headers,
            body: request_body,
            secrets,
            timeout_seconds,
        })
    }

    pub fn target(&self) -> Target {
        Target {
            method: self.method,
            scheme: self.url.scheme().to_owned(),
            host: self
                .url
                .host()
                .map(|h| Host::from_url(&h))
                .unwrap_or(Host::Domain(String::new())),
            port: self.url.port(),
            path: self.url.path().to_owned(),
        }
    }

    /// The request with `values` (name → value) in place of the placeholders. Nothing here
    /// depends on a value's size but the refusal of a value over [`MAX_PLACED_VALUE_BYTES`],
    /// whatever the template: parsing limited the templates and the placeholders, so what is
    /// built stays within the `MAX_RENDERED_*` sizes (1 MiB of `{{K}}` cannot allocate
    /// 1 MiB × |K|), and a padded body cannot tell a value's length by where it is refused.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<Rendered, ApiError> {
        if let Some((name, _)) = values
            .iter()
            .find(|(_, v)| v.len() > MAX_PLACED_VALUE_BYTES)
        {
            return Err(ApiError::validation(
                "secrets",
                format!(
                    "the value of '{name}' is over the {MAX_PLACED_VALUE_BYTES} bytes a placeholder may stand for"
                ),
            ));
        }
        let plain = |name: &str| values.get(name).map(|v| Cow::Borrowed(v.as_str()));
        let encoded = |name: &str| {
            values
                .get(name)
                .map(|v| Cow::Owned(percent_encode_component(v)))
        };
        let mut url = self.url[..url::Position::AfterPath].to_owned();
        if let Some(query) = self.url.query() {
            url.push('?');
            url.push_str(&substitute::substitute(query, encoded));
        }
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, template) in &self.headers {
            let value = substitute::substitute(template, plain);
            if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(ApiError::validation(
                    "headers",
                    format!("a secret placed in header '{name}' holds CR, LF or NUL"),
                ));
            }
            headers.push((name.clone(), value));
        }
        let body = self
            .body
            .as_ref()
            .map(|template| substitute::substitute(template, plain));
        Ok(Rendered {
            method: self.method,
            url,
            headers,
            body,
        })
    }
}

/// The body's 422: the body as written (placeholders, not values) is over the limit.
fn body_too_large() -> ApiError {
    ApiError::validation(
        "body",
        format!(
            "the request body is over the {MAX_BODY_BYTES}-byte (1 MiB) limit, as written (placeholders, not values)"
        ),
    )
    .with("limit_bytes", MAX_BODY_BYTES)
}

/// The 400 for an upstream answer over the limit.
pub fn response_too_large() -> ApiError {
    ApiError::invalid_request(format!(
        "the upstream's response body is over the {MAX_BODY_BYTES}-byte (1 MiB) limit; it was not returned"
    ))
    .with("limit_bytes", MAX_BODY_BYTES)
}

pub fn upstream_timeout(seconds: u64) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamTimeout,
        format!("the upstream did not answer within {seconds} s"),
    )
    .with("timeout_seconds", seconds)
}

pub fn upstream_error(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamError,
        format!("the upstream could not be reached: {why}"),
    )
}

/// `X-Latchkey-Purpose`: why the caller wants the secret, recorded with the event.
pub fn parse_purpose(header: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(text) = header.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.len() > MAX_PURPOSE_BYTES || text.chars().any(char::is_control) {
        return Err(ApiError::invalid_request(format!(
            "X-Latchkey-Purpose must be at most {MAX_PURPOSE_BYTES} bytes without control characters"
        ))
        .with("header", "X-Latchkey-Purpose"));
    }
    Ok(Some(text.to_owned()))
}

/// What the upstream answered, before redaction.
pub struct UpstreamResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The 502 for an answer that cannot be returned safely.
pub fn unreturnable(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamError,
        format!("the upstream answered, but its answer was not returned: {why}"),
    )
}

/// Content codings the runtime decodes before the body is read; anything else would reach
/// redaction still compressed.
fn decoded_coding(value: &str) -> bool {
    value.split(',').all(|coding| {
        matches!(
            coding.trim().to_ascii_lowercase().as_str(),
            "" | "identity" | "gzip" | "x-gzip" | "br"
        )
    })
}

/// The broker's answer: the upstream's status, headers and body with every value redacted.
pub fn envelope(
    upstream: UpstreamResponse,
    redactor: &Redactor,
    duration_ms: u64,
) -> Result<Value, ApiError> {
    let too_costly = |_| {
        unreturnable(
            "checking it for the secrets' values would take more than the work limit allows",
        )
    };
    if let Some((_, coding)) = upstream.headers.iter().find(|(name, value)| {
        name.eq_ignore_ascii_case("content-encoding") && !decoded_coding(value)
    }) {
        return Err(unreturnable(&format!(
            "it is compressed ({coding}), which the broker cannot check for the secrets' values"
        )));
    }
    let mut redacted = 0;
    // Repeated headers are joined first and redacted joined, so a value split over two of
    // them (`a, b`) is found like any other.
    let mut joined: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &upstream.headers {
        let lower = name.to_ascii_lowercase();
        if hop_header(&lower) {
            continue;
        }
        // A header whose name carries a value (in any form, any case: the runtime lowercases
        // names) is dropped whole: a name cannot be redacted into a usable header.
        if redactor
            .found_ignoring_case(name.as_bytes())
            .map_err(too_costly)?
        {
            redacted += 1;
            continue;
        }
        joined
            .entry(lower)
            .and_modify(|all| {
                all.push_str(", ");
                all.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in joined {
        let (value, count) = redactor.redact_str(&value).map_err(too_costly)?;
        redacted += count;
        headers.insert(name, value);
    }
    let (body, count) = redactor.redact(&upstream.body).map_err(too_costly)?;
    redacted += count;
    let (body, encoding) = match String::from_utf8(body) {
        Ok(text) => (text, "utf-8"),
        Err(e) => (STANDARD.encode(e.as_bytes()), "base64"),
    };
    let headers: Map<String, Value> = headers
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(json!({
        "status": upstream.status,
        "headers": headers,
        "body": body,
        "body_encoding": encoding,
        "redacted": redacted,
        "duration_ms": duration_ms,
    }))
}

/// What the Worker reports after a call, for the `secret.used` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseOutcome {
    Completed,
    Timeout,
    UpstreamError,
    ResponseTooLarge,
    /// The answer could not be checked for the values (a coding the runtime does not undo,
    /// or over the redaction work limit): it was not returned.
    Unreturnable,
    /// The request could not be built with the values in place (a header value with CR/LF,
    /// a body over the limit): nothing was sent.
    NotSent,
    /// The Worker never reported back (written by the object's sweep).
    Unfinished,
}

impl UseOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            UseOutcome::Completed => "completed",
            UseOutcome::Timeout => "timeout",
            UseOutcome::UpstreamError => "upstream_error",
            UseOutcome::ResponseTooLarge => "response_too_large",
            UseOutcome::Unreturnable => "unreturnable",
            UseOutcome::NotSent => "not_sent",
            UseOutcome::Unfinished => "unfinished",
        }
    }
}

/// A released value, for the Worker only. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedValue {
    pub name: String,
    pub value: String,
}

impl fmt::Debug for ReleasedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleasedValue")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The values released for one call, and the id that finishes it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Released {
    pub call_id: String,
    pub values: Vec<ReleasedValue>,
}

/// What the Worker reports once the call is over.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct UseReport {
    pub outcome: UseOutcome,
    pub upstream_status: Option<u16>,
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests;
