//! Scoped tokens (minted with `POST /v1/tokens`, listed and revoked): what a
//! request asks for, what is shown once, and what is listed.

use crate::body;
use crate::crypto::{CryptoError, random_bytes};
use crate::error::ApiError;
use crate::netaddr::{IpRule, MAX_IP_RULES, parse_rules};
use crate::scope::{ScopeSet, ScopeTexts};
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

pub const MIN_TTL_SECONDS: u64 = 60;
pub const MAX_TTL_SECONDS: u64 = 86_400;
pub const DEFAULT_TTL_SECONDS: u64 = 3_600;
pub const MAX_TOKEN_DESCRIPTION_BYTES: usize = 256;

/// Most uses a token may be limited to.
pub const MAX_USES: u64 = u32::MAX as u64;

pub const TOKEN_ID_PREFIX: &str = "tok_";
pub const TOKEN_ID_HEX: usize = 16;

/// A token's public id, `tok_` + 16 hex digits. Never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn generate() -> Result<Self, CryptoError> {
        let bytes = random_bytes::<{ TOKEN_ID_HEX / 2 }>()?;
        let hex: String = crate::hex::encode(&bytes);
        Ok(TokenId(format!("{TOKEN_ID_PREFIX}{hex}")))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix(TOKEN_ID_PREFIX)
            .ok_or_else(|| format!("token ids look like {TOKEN_ID_PREFIX}0123456789abcdef"))?;
        if hex.len() != TOKEN_ID_HEX
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "token ids are {TOKEN_ID_PREFIX} and {TOKEN_ID_HEX} lowercase hex digits"
            ));
        }
        Ok(TokenId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for TokenId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TokenId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A validated `POST /v1/tokens` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub scope: ScopeSet,
    /// `None`: the default (3600 s), shortened if the minting token expires sooner.
    pub ttl_seconds: Option<u64>,
    pub description: Option<String>,
    pub allowed_ips: Vec<IpRule>,
    /// `None`: unlimited; else at least 1.
    pub max_uses: Option<u64>,
    /// A token with no expiry (`ttl_seconds` is then `None`). The native body cannot ask for
    /// one (it is capped at [`MAX_TTL_SECONDS`]); the MaestroVault face's can, for an `admin`
    /// caller that does not expire itself, unless the tenant forbids it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_expires: bool,
}

/// `POST /v1/tokens` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequestBody {
    #[serde(default)]
    scope: ScopeTexts,
    /// Its range depends on the deployment (see [`TokenRequest::parse_with_min_ttl`]): any
    /// JSON value, checked by the conversion.
    #[serde(default)]
    ttl_seconds: Option<Value>,
    #[serde(default)]
    description: body::OptText,
    #[serde(default)]
    allowed_ips: IpTexts,
    #[serde(default)]
    max_uses: body::IntIn<1, MAX_USES>,
}

/// `allowed_ips` as it comes: a list of strings; absent or `null` is `None`.
#[derive(Default)]
pub struct IpTexts(Option<Vec<String>>);

impl<'de> Deserialize<'de> for IpTexts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(IpTexts(None)),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    _ => Err(D::Error::custom(
                        "must list addresses or CIDR ranges as strings",
                    )),
                })
                .collect::<Result<_, _>>()
                .map(|texts| IpTexts(Some(texts))),
            _ => Err(D::Error::custom(format!(
                "must be a list of up to {MAX_IP_RULES} addresses or CIDR ranges, or null"
            ))),
        }
    }
}

impl TokenRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        Self::parse_with_min_ttl(bytes, MIN_TTL_SECONDS)
    }

    /// [`TokenRequest::parse`] with a shorter minimum TTL (a deployment setting that only
    /// tests use, to watch tokens expire).
    pub fn parse_with_min_ttl(bytes: &[u8], min_ttl_seconds: u64) -> Result<Self, ApiError> {
        let body: TokenRequestBody = body::parse(bytes)?;
        let scope = ScopeSet::from_member("scope", body.scope)?;
        let min = min_ttl_seconds.clamp(1, MIN_TTL_SECONDS);
        let ttl_seconds = match body.ttl_seconds {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .filter(|n| (min..=MAX_TTL_SECONDS).contains(n))
                    .ok_or_else(|| {
                        ApiError::validation(
                            "ttl_seconds",
                            format!(
                                "'ttl_seconds' must be an integer from {min} to {MAX_TTL_SECONDS}"
                            ),
                        )
                    })?,
            ),
        };
        let description = match body.description.0 {
            Some(text) if text.len() > MAX_TOKEN_DESCRIPTION_BYTES => {
                return Err(ApiError::validation(
                    "description",
                    format!("'description' is longer than {MAX_TOKEN_DESCRIPTION_BYTES} bytes"),
                ));
            }
            Some(text) if text.chars().any(char::is_control) => {
                return Err(ApiError::validation(
                    "description",
                    "'description' must not contain control characters",
                ));
            }
            other => other,
        };
        let allowed_ips = match body.allowed_ips.0 {
            None => Vec::new(),
            Some(texts) => {
                if texts.is_empty() {
                    return Err(ApiError::validation(
                        "allowed_ips",
                        "'allowed_ips' is empty, which would allow no address; omit it or use null to allow every address",
                    ));
                }
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                parse_rules(&texts).map_err(|why| ApiError::validation("allowed_ips", why))?
            }
        };
        let max_uses = body.max_uses.0;
        Ok(TokenRequest {
            scope,
            ttl_seconds,
            description,
            allowed_ips,
            max_uses,
            never_expires: false,
        })
    }
}

/// `POST /v1/tokens` → 201: the token value, shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub value: String,
    pub id: TokenId,
    pub scope: ScopeSet,
    /// `None` (null) only for a token with no expiry, which only the MaestroVault face mints.
    pub ttl_seconds: Option<u64>,
    pub expires_at: Option<Timestamp>,
    pub approval_status: String,
    pub approval_request_id: Option<String>,
}

impl fmt::Debug for TokenCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCreated")
            .field("value", &"[redacted]")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// One entry of `GET /v1/tokens`: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: TokenId,
    pub description: Option<String>,
    pub scope: ScopeSet,
    pub allowed_ips: Vec<IpRule>,
    pub created_at: Timestamp,
    /// `None` (null): the token never expires.
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub uses: u64,
    pub max_uses: Option<u64>,
    pub revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
    /// Who minted it: `master` or the id of the token that did.
    pub created_by: String,
    /// An OAuth grant's resource: the token works only there (`/mcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The OAuth client it was granted to (a registered id or a metadata document's URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<TokenRequest, ApiError> {
        TokenRequest::parse(body.to_string().as_bytes())
    }

    #[test]
    fn parses_the_seed_example_with_defaults() {
        let request = parse(json!({
            "scope": "secrets:read:production/openai/*",
            "ttl_seconds": 3600,
            "description": "Inference agent token",
            "allowed_ips": ["10.0.1.50"],
            "max_uses": null
        }))
        .unwrap();
        assert_eq!(request.ttl_seconds, Some(3600));
        assert_eq!(request.allowed_ips.len(), 1);
        assert_eq!(request.max_uses, None);
        let minimal = parse(json!({"scope": ["tokens:create"]})).unwrap();
        assert_eq!(minimal.ttl_seconds, None);
        assert!(minimal.allowed_ips.is_empty());
    }

    #[test]
    fn each_bad_member_is_named() {
        let cases = [
            (json!({}), "scope"),
            (json!({"scope": "secrets:read"}), "scope"),
            (json!({"scope": "admin", "ttl_seconds": 59}), "ttl_seconds"),
            (
                json!({"scope": "admin", "ttl_seconds": 86_401}),
                "ttl_seconds",
            ),
            (json!({"scope": "admin", "max_uses": 0}), "max_uses"),
            (json!({"scope": "admin", "max_uses": -3}), "max_uses"),
            (
                json!({"scope": "admin", "allowed_ips": "10.0.0.1"}),
                "allowed_ips",
            ),
            (json!({"scope": "admin", "allowed_ips": []}), "allowed_ips"),
            (
                json!({"scope": "admin", "allowed_ips": ["10.0.0.300"]}),
                "allowed_ips",
            ),
            (json!({"scope": "admin", "allowed_ips": [7]}), "allowed_ips"),
            (
                json!({"scope": "admin", "description": "x".repeat(257)}),
                "description",
            ),
            (json!({"scope": "admin", "name": "x"}), "name"),
        ];
        for (body, field) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.status(), 422, "{body}");
            assert_eq!(
                err.details.get("field").and_then(Value::as_str),
                Some(field),
                "{body}"
            );
        }
    }

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = TokenId::generate().unwrap();
        assert_eq!(TokenId::parse(id.as_str()), Ok(id.clone()));
        for bad in [
            "",
            "tok_",
            "tok_0123456789ABCDEF",
            "tk_0123456789abcdef",
            "tok_0123",
        ] {
            assert!(TokenId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let created = TokenCreated {
            value: "lk_tok_secret-value".into(),
            id: TokenId::parse("tok_0123456789abcdef").unwrap(),
            scope: ScopeSet::admin(),
            ttl_seconds: Some(60),
            expires_at: Timestamp::from_unix_ms(0),
            approval_status: "approved".into(),
            approval_request_id: None,
        };
        assert!(!format!("{created:?}").contains("secret-value"));
    }
}
