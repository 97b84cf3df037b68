//! Response wrapping: a value sealed for one retrieval. `POST /v1/wraps` seals a secret's
//! current value (or a value given) under a single-use `lk_wrap_…` token, so a secret can be
//! handed to a process that holds no credential of its own; an approved read request (the
//! request module, a layer above this one) leaves one wrap for its requester. The first
//! retrieval erases it.

use crate::body;
use crate::error::ApiError;
use crate::id::AccessRequestId;
use crate::path::SecretPath;
use crate::secret::parse_path_field;
use crate::time::Timestamp;
use crate::value::check_value;
use serde::{Deserialize, Serialize};
use std::fmt;

prefixed_id!(WrapId, "wrp_", "wrap");

pub const DEFAULT_WRAP_TTL_SECONDS: u64 = 300;
pub const MAX_WRAP_TTL_SECONDS: u64 = 86_400;

/// What a wrap holds: a secret's value at wrapping time, or a value the caller gave.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrapSource {
    Path(SecretPath),
    Value(String),
}

/// `POST /v1/wraps` `{path | value, ttl_seconds}`. `Debug` leaves a value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWrap {
    pub source: WrapSource,
    pub ttl_seconds: u64,
}

/// `POST /v1/wraps` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWrapBody {
    #[serde(default)]
    path: body::OptText,
    #[serde(default)]
    value: body::OptText,
    #[serde(default)]
    ttl_seconds: body::IntIn<1, MAX_WRAP_TTL_SECONDS>,
}

impl TryFrom<NewWrapBody> for NewWrap {
    type Error = ApiError;

    fn try_from(body: NewWrapBody) -> Result<Self, ApiError> {
        let source = match (body.path.0, body.value.0) {
            (Some(path), None) => WrapSource::Path(parse_path_field("path", &path)?),
            (None, Some(value)) => {
                check_value("value", &value)?;
                WrapSource::Value(value)
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "value",
                    "give either 'path' (wrap a secret's current value) or 'value', not both",
                ));
            }
            (None, None) => {
                return Err(ApiError::validation(
                    "path",
                    "'path' (a secret to wrap) or 'value' is required",
                ));
            }
        };
        Ok(NewWrap {
            source,
            ttl_seconds: body.ttl_seconds.0.unwrap_or(DEFAULT_WRAP_TTL_SECONDS),
        })
    }
}

impl NewWrap {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewWrapBody>(bytes)?.try_into()
    }

    pub fn path(&self) -> Option<&SecretPath> {
        match &self.source {
            WrapSource::Path(path) => Some(path),
            WrapSource::Value(_) => None,
        }
    }
}

impl fmt::Debug for NewWrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWrap")
            .field("path", &self.path())
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/wraps/unwrap` as it comes: `{wrap_token}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnwrapBody {
    wrap_token: body::Text,
}

/// `POST /v1/wraps/unwrap` `{wrap_token}`: the token, not yet checked.
pub fn parse_unwrap(bytes: &[u8]) -> Result<String, ApiError> {
    Ok(body::parse::<UnwrapBody>(bytes)?.wrap_token.0)
}

/// `POST /v1/wraps` → 201. The token is shown here once; only its hash is kept.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapCreated {
    pub wrap_token: String,
    pub id: WrapId,
    pub expires_at: Timestamp,
    pub path: Option<SecretPath>,
    pub version: Option<u64>,
}

impl fmt::Debug for WrapCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrapCreated")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The one retrieval of a wrap: its value. `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unwrapped {
    pub id: WrapId,
    pub value: String,
    pub path: Option<SecretPath>,
    pub version: Option<u64>,
    pub created_at: Timestamp,
}

impl fmt::Debug for Unwrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unwrapped")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Where a wrap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrapStatus {
    Available,
    Retrieved,
    Expired,
}

impl WrapStatus {
    pub fn at(retrieved_at: Option<Timestamp>, expires_at: Timestamp, now: Timestamp) -> Self {
        match retrieved_at {
            Some(_) => WrapStatus::Retrieved,
            None if expires_at <= now => WrapStatus::Expired,
            None => WrapStatus::Available,
        }
    }
}

/// A wrap without its value, as wrap listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapSummary {
    pub id: WrapId,
    pub request_id: Option<AccessRequestId>,
    pub path: Option<SecretPath>,
    pub version: Option<u64>,
    pub status: WrapStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub retrieved_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrap_takes_a_path_or_a_value_and_never_shows_the_value() {
        let wrap = NewWrap::parse(br#"{"path":"prod/db","ttl_seconds":60}"#).unwrap();
        assert_eq!(wrap.path().map(SecretPath::as_str), Some("prod/db"));
        assert_eq!(wrap.ttl_seconds, 60);
        let wrap = NewWrap::parse(br#"{"value":"hunter2-secret"}"#).unwrap();
        assert_eq!(wrap.ttl_seconds, DEFAULT_WRAP_TTL_SECONDS);
        assert!(!format!("{wrap:?}").contains("hunter2"));
        for (body, field) in [
            (r#"{}"#, "path"),
            (r#"{"path":"a","value":"b"}"#, "value"),
            (r#"{"path":"../x"}"#, "path"),
            (r#"{"value":"x","ttl_seconds":0}"#, "ttl_seconds"),
            (r#"{"value":"x","ttl_seconds":86401}"#, "ttl_seconds"),
        ] {
            let e = NewWrap::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}: {e}"
            );
        }
        let big = format!(r#"{{"value":"{}"}}"#, "x".repeat(64 * 1024 + 1));
        assert!(NewWrap::parse(big.as_bytes()).is_err());
    }

    #[test]
    fn status_follows_retrieval_then_expiry() {
        let t = |s: i64| Timestamp::from_unix_ms(1_800_000_000_000 + s * 1000).unwrap();
        assert_eq!(WrapStatus::at(None, t(10), t(5)), WrapStatus::Available);
        assert_eq!(WrapStatus::at(None, t(10), t(10)), WrapStatus::Expired);
        assert_eq!(
            WrapStatus::at(Some(t(1)), t(10), t(20)),
            WrapStatus::Retrieved
        );
    }
}
