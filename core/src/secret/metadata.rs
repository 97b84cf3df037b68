//! The metadata members of the bodies that create or change a secret, and their rules.

use super::{
    DEFAULT_MAX_VERSIONS, MAX_DESCRIPTION_BYTES, MAX_TAG_BYTES, MAX_TAGS, MetadataChange,
    SecretMetadata, Tags, Tier,
};
use crate::body;
use crate::broker::hosts::AllowedHosts;
use crate::error::ApiError;
use crate::time::Timestamp;
use serde_json::{Map, Value};

/// Declares a wire struct whose members are `$members`, then the metadata members every body
/// that creates or changes a secret carries (a new metadata member reaches all of them), and
/// its [`MetadataMembers`].
macro_rules! with_metadata_members {
    ($(#[$attr:meta])* pub struct $name:ident { $($members:tt)* }) => {
        $(#[$attr])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($members)*
            #[serde(default)]
            tier: $crate::body::OptText,
            #[serde(default)]
            description: $crate::body::Present<$crate::body::OptText>,
            #[serde(default)]
            tags: $crate::body::OptObject,
            #[serde(default)]
            expires_at: $crate::body::Present<$crate::body::OptText>,
            #[serde(default)]
            max_versions: $crate::body::IntIn<1, { $crate::secret::MAX_MAX_VERSIONS }>,
            #[serde(default)]
            allowed_hosts: $crate::body::Present<serde_json::Value>,
        }

        impl $name {
            /// The metadata members, moved out.
            fn metadata(&mut self) -> $crate::secret::MetadataMembers {
                $crate::secret::MetadataMembers {
                    tier: self.tier.0.take(),
                    description: self.description.0.take().map(|text| text.0),
                    tags: self.tags.0.take(),
                    expires_at: self.expires_at.0.take().map(|text| text.0),
                    max_versions: self.max_versions.0.take(),
                    allowed_hosts: self.allowed_hosts.0.take(),
                }
            }
        }
    };
}
pub(crate) use with_metadata_members;

/// The metadata members of a body as they came (absent `None`; `Some(None)` or
/// `Some(Value::Null)` for a `null` that clears), before their rules.
pub struct MetadataMembers {
    pub(crate) tier: Option<String>,
    pub(crate) description: Option<Option<String>>,
    pub(crate) tags: Option<Map<String, Value>>,
    pub(crate) expires_at: Option<Option<String>>,
    pub(crate) max_versions: Option<u64>,
    pub(crate) allowed_hosts: Option<Value>,
}

impl MetadataMembers {
    /// The metadata of a new secret (`POST /v1/secrets`, `POST /v1/generate`): what is left
    /// out or `null` takes its default.
    pub fn into_metadata(self, now: Timestamp) -> Result<SecretMetadata, ApiError> {
        Ok(SecretMetadata {
            tier: parse_tier(self.tier)?,
            description: parse_description(self.description.flatten())?,
            tags: parse_tags(self.tags)?,
            expires_at: parse_expires_at(self.expires_at.flatten(), now)?,
            max_versions: self.max_versions.unwrap_or(DEFAULT_MAX_VERSIONS),
            allowed_hosts: parse_allowed_hosts(self.allowed_hosts)?.unwrap_or_default(),
        })
    }

    /// The changes of a `PUT`: what is left out stays; `null` clears `description`,
    /// `expires_at` and `allowed_hosts`.
    pub fn into_change(self, now: Timestamp) -> Result<MetadataChange, ApiError> {
        Ok(MetadataChange {
            tier: self.tier.map(|text| parse_tier(Some(text))).transpose()?,
            description: self.description.map(parse_description).transpose()?,
            tags: self.tags.map(|map| parse_tags(Some(map))).transpose()?,
            expires_at: self
                .expires_at
                .map(|text| parse_expires_at(text, now))
                .transpose()?,
            max_versions: self.max_versions,
            allowed_hosts: match self.allowed_hosts {
                None => None,
                value => Some(parse_allowed_hosts(value)?.unwrap_or_default()),
            },
        })
    }

    /// The first member given (not `null`), in the members' order.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("tier", self.tier.is_some()),
            ("description", matches!(self.description, Some(Some(_)))),
            ("tags", self.tags.is_some()),
            ("expires_at", matches!(self.expires_at, Some(Some(_)))),
            ("max_versions", self.max_versions.is_some()),
            (
                "allowed_hosts",
                self.allowed_hosts.as_ref().is_some_and(|v| !v.is_null()),
            ),
        ]
        .into_iter()
        .find_map(|(member, given)| given.then_some(member))
    }
}

fn parse_tier(text: Option<String>) -> Result<Tier, ApiError> {
    match text {
        None => Ok(Tier::default()),
        Some(text) => Tier::parse(&text).ok_or_else(|| {
            ApiError::validation(
                "tier",
                "'tier' must be one of 'standard', 'sensitive', 'critical'",
            )
        }),
    }
}

fn parse_description(text: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
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
    Ok(Some(text))
}

fn parse_tags(map: Option<Map<String, Value>>) -> Result<Tags, ApiError> {
    body::string_map("tags", map, MAX_TAGS, MAX_TAG_BYTES)
}

fn parse_expires_at(text: Option<String>, now: Timestamp) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let at = Timestamp::parse_rfc3339(&text).ok_or_else(|| {
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

/// `allowed_hosts`: absent or `null` is `None`; a list of rules (an empty list clears).
fn parse_allowed_hosts(value: Option<Value>) -> Result<Option<AllowedHosts>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => AllowedHosts::parse_value("allowed_hosts", &value).map(Some),
    }
}
