//! Secrets: the create request, metadata rules and the response shapes of seed 004.

use crate::error::ApiError;
use crate::path::SecretPath;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_VALUE_BYTES: usize = 64 * 1024;
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_BYTES: usize = 128;

/// How much approval a secret's access needs (enforced from the access issue on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Standard,
    Sensitive,
    Critical,
}

impl Tier {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "standard" => Some(Tier::Standard),
            "sensitive" => Some(Tier::Sensitive),
            "critical" => Some(Tier::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::Sensitive => "sensitive",
            Tier::Critical => "critical",
        }
    }
}

/// Tags: at most 50 pairs; keys 1..=128 bytes, values ..=128 bytes, no control characters.
pub type Tags = BTreeMap<String, String>;

/// Metadata a client may set on a secret. Never secret itself: it is stored in plain and
/// shown in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SecretMetadata {
    pub tier: Tier,
    pub description: Option<String>,
    pub tags: Tags,
    pub expires_at: Option<Timestamp>,
}

/// A validated `POST /v1/secrets` body. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    pub path: SecretPath,
    pub value: String,
    pub metadata: SecretMetadata,
}

/// A JSON object body, taken apart member by member so each error can name its field.
pub struct Body(Map<String, Value>);

impl Body {
    /// `allowed` lists the members the endpoint knows; any other is a 422, so a typo such as
    /// `expire_at` is reported instead of silently ignored.
    pub fn parse(bytes: &[u8], allowed: &[&str]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::invalid_request(format!("request body is not valid JSON: {e}"))
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::invalid_request(
                "request body must be a JSON object",
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(
                unknown,
                format!(
                    "unknown field '{unknown}'; expected one of: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Body(map))
    }

    fn present(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    pub fn required_str(&self, field: &str) -> Result<&str, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(ApiError::validation(
                field,
                format!("'{field}' is required"),
            )),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be a string"),
            )),
        }
    }

    pub fn optional_str(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be a string or null"),
            )),
        }
    }

    pub fn optional_object(&self, field: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be an object or null"),
            )),
        }
    }
}

pub fn parse_path_field(field: &str, text: &str) -> Result<SecretPath, ApiError> {
    SecretPath::parse(text).map_err(|why| ApiError::validation(field, why))
}

pub fn check_value(field: &str, value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::validation(
            field,
            format!(
                "'{field}' is {} bytes; the limit is {MAX_VALUE_BYTES} bytes (64 KiB)",
                value.len()
            ),
        ));
    }
    Ok(())
}

fn parse_tier(body: &Body) -> Result<Tier, ApiError> {
    match body.optional_str("tier")? {
        None => Ok(Tier::default()),
        Some(text) => Tier::parse(text).ok_or_else(|| {
            ApiError::validation(
                "tier",
                "'tier' must be one of 'standard', 'sensitive', 'critical'",
            )
        }),
    }
}

fn parse_description(body: &Body) -> Result<Option<String>, ApiError> {
    let Some(text) = body.optional_str("description")? else {
        return Ok(None);
    };
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(ApiError::validation(
            "description",
            format!("'description' is longer than {MAX_DESCRIPTION_BYTES} bytes"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::validation(
            "description",
            "'description' must not contain control characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

fn parse_tags(body: &Body) -> Result<Tags, ApiError> {
    let Some(map) = body.optional_object("tags")? else {
        return Ok(Tags::new());
    };
    if map.len() > MAX_TAGS {
        return Err(ApiError::validation(
            "tags",
            format!("'tags' has {} pairs; the limit is {MAX_TAGS}", map.len()),
        ));
    }
    let mut tags = Tags::new();
    for (key, value) in map {
        let Value::String(value) = value else {
            return Err(ApiError::validation(
                "tags",
                format!("tag '{key}' must have a string value"),
            ));
        };
        if key.is_empty() || key.len() > MAX_TAG_BYTES || value.len() > MAX_TAG_BYTES {
            return Err(ApiError::validation(
                "tags",
                format!(
                    "tag keys must be 1..={MAX_TAG_BYTES} bytes and values at most {MAX_TAG_BYTES} bytes"
                ),
            ));
        }
        if key.chars().chain(value.chars()).any(char::is_control) {
            return Err(ApiError::validation(
                "tags",
                "tags must not contain control characters",
            ));
        }
        tags.insert(key.clone(), value.clone());
    }
    Ok(tags)
}

fn parse_expires_at(body: &Body, now: Timestamp) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = body.optional_str("expires_at")? else {
        return Ok(None);
    };
    let at = Timestamp::parse_rfc3339(text).ok_or_else(|| {
        ApiError::validation(
            "expires_at",
            "'expires_at' must be an RFC 3339 date-time such as 2025-01-15T10:30:00Z, or null",
        )
    })?;
    if at <= now {
        return Err(ApiError::validation(
            "expires_at",
            "'expires_at' must be in the future",
        ));
    }
    Ok(Some(at))
}

impl NewSecret {
    pub const FIELDS: &'static [&'static str] =
        &["path", "value", "tier", "description", "tags", "expires_at"];

    /// Parses and validates a `POST /v1/secrets` body.
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let body = Body::parse(bytes, Self::FIELDS)?;
        let path = parse_path_field("path", body.required_str("path")?)?;
        let value = body.required_str("value")?;
        check_value("value", value)?;
        let metadata = SecretMetadata {
            tier: parse_tier(&body)?,
            description: parse_description(&body)?,
            tags: parse_tags(&body)?,
            expires_at: parse_expires_at(&body, now)?,
        };
        Ok(NewSecret {
            path,
            value: value.to_owned(),
            metadata,
        })
    }
}

/// `POST /v1/secrets` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretCreated {
    pub path: SecretPath,
    pub version: u64,
    pub tier: Tier,
    pub created_at: Timestamp,
}

/// `GET /v1/secrets/{path}` → 200. The only response that carries a value; `Debug` leaves
/// it out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRead {
    pub path: SecretPath,
    pub value: String,
    pub version: u64,
    pub tier: Tier,
    pub description: Option<String>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub accessed_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSecret")
            .field("path", &self.path)
            .field("value", &"[redacted]")
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl fmt::Debug for SecretRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretRead")
            .field("path", &self.path)
            .field("value", &"[redacted]")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2025-01-15T10:00:00Z").unwrap()
    }

    fn parse(body: Value) -> Result<NewSecret, ApiError> {
        NewSecret::parse(body.to_string().as_bytes(), now())
    }

    fn field_of(err: &ApiError) -> Option<&str> {
        err.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn parses_the_seed_example() {
        let secret = parse(json!({
            "path": "production/openai/api-key",
            "value": "sk-proj-abc123...",
            "tier": "sensitive",
            "description": "OpenAI production key",
            "tags": {"team": "ml", "env": "prod"}
        }))
        .unwrap();
        assert_eq!(secret.path.as_str(), "production/openai/api-key");
        assert_eq!(secret.metadata.tier, Tier::Sensitive);
        assert_eq!(
            secret.metadata.tags.get("team").map(String::as_str),
            Some("ml")
        );
        assert_eq!(secret.metadata.expires_at, None);
    }

    #[test]
    fn defaults_apply_when_members_are_absent_or_null() {
        let secret =
            parse(json!({"path": "a/b", "value": "v", "tier": null, "tags": null})).unwrap();
        assert_eq!(secret.metadata, SecretMetadata::default());
    }

    #[test]
    fn malformed_json_is_invalid_request() {
        let err = NewSecret::parse(b"{\"path\": ", now()).unwrap_err();
        assert_eq!(err.status(), 400);
        let err = NewSecret::parse(b"[1,2]", now()).unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn each_bad_member_is_named() {
        let big = "x".repeat(MAX_VALUE_BYTES + 1);
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        let cases = [
            (json!({"value": "v"}), "path"),
            (json!({"path": 5, "value": "v"}), "path"),
            (json!({"path": "a//b", "value": "v"}), "path"),
            (json!({"path": "a"}), "value"),
            (json!({"path": "a", "value": 1}), "value"),
            (json!({"path": "a", "value": big}), "value"),
            (json!({"path": "a", "value": "v", "tier": "secret"}), "tier"),
            (
                json!({"path": "a", "value": "v", "description": "x".repeat(1025)}),
                "description",
            ),
            (json!({"path": "a", "value": "v", "tags": {"k": 1}}), "tags"),
            (json!({"path": "a", "value": "v", "tags": many}), "tags"),
            (
                json!({"path": "a", "value": "v", "tags": {"k": "x".repeat(129)}}),
                "tags",
            ),
            (json!({"path": "a", "value": "v", "tags": []}), "tags"),
            (
                json!({"path": "a", "value": "v", "expires_at": "tomorrow"}),
                "expires_at",
            ),
            (
                json!({"path": "a", "value": "v", "expires_at": "2020-01-01T00:00:00Z"}),
                "expires_at",
            ),
            (json!({"path": "a", "value": "v", "valeu": "x"}), "valeu"),
        ];
        for (body, field) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.status(), 422, "{body}");
            assert_eq!(field_of(&err), Some(field), "{body}");
        }
    }

    #[test]
    fn value_limit_is_inclusive_and_named_in_the_message() {
        let exact = "x".repeat(MAX_VALUE_BYTES);
        assert!(parse(json!({"path": "a", "value": exact})).is_ok());
        let err = parse(json!({"path": "a", "value": format!("{exact}x")})).unwrap_err();
        assert!(err.message.contains("65536"));
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = parse(json!({"path": "a", "value": "hunter2-secret"})).unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn errors_never_echo_the_value() {
        let value = "sk-live-do-not-echo";
        let err = parse(json!({"path": "a b", "value": value})).unwrap_err();
        assert!(!err.to_body().to_string().contains(value));
    }
}
