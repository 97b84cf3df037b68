//! Secrets: the create request, metadata rules and the documented response shapes.

use crate::body;
use crate::broker::hosts::AllowedHosts;
use crate::error::ApiError;
use crate::field::Fields;
use crate::path::SecretPath;
use crate::time::Timestamp;
use crate::value::check_value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_DESCRIPTION_BYTES: usize = 1024;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_BYTES: usize = 128;
/// Versions kept per secret unless `max_versions` says otherwise (Vault KV keeps 10 too).
pub const DEFAULT_MAX_VERSIONS: u64 = 10;
pub const MAX_MAX_VERSIONS: u64 = 100;
/// Longest rotation grace period: 7 days.
pub const MAX_GRACE_SECONDS: u64 = 604_800;
/// How long a soft-deleted secret can be restored.
pub const RESTORE_WINDOW_SECONDS: i64 = 30 * 86_400;
/// The largest `?version=N` a read takes: 2^53, the largest integer every JSON client keeps exact.
pub const MAX_VERSION_PARAM: u64 = 1 << 53;

// A secret's stable id: given when it is created, kept through updates, rotations, a soft
// delete and its restore; a path erased and created again is a new secret with a new id.
prefixed_id!(SecretId, "sec_", "secret");

/// How much approval a secret's access needs (enforced from the access issue on). Ordered by
/// rank, as declared: standard < sensitive < critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Standard,
    Sensitive,
    Critical,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Standard, Tier::Sensitive, Tier::Critical];

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMetadata {
    pub tier: Tier,
    pub description: Option<String>,
    pub tags: Tags,
    pub expires_at: Option<Timestamp>,
    /// How many versions are kept (the newest ones); older ones are purged.
    #[serde(default = "default_max_versions")]
    pub max_versions: u64,
    /// Where the broker may send the secret; empty: nowhere.
    #[serde(default, skip_serializing_if = "AllowedHosts::is_empty")]
    pub allowed_hosts: AllowedHosts,
}

fn default_max_versions() -> u64 {
    DEFAULT_MAX_VERSIONS
}

impl Default for SecretMetadata {
    fn default() -> Self {
        SecretMetadata {
            tier: Tier::default(),
            description: None,
            tags: Tags::new(),
            expires_at: None,
            max_versions: DEFAULT_MAX_VERSIONS,
            allowed_hosts: AllowedHosts::default(),
        }
    }
}

/// Metadata changes of a `PUT`: an absent member keeps the stored value; `null` clears
/// `description` and `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MetadataChange {
    pub tier: Option<Tier>,
    /// `Some(None)` clears; it crosses JSON as `null`, and absence as a missing member.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_or_null"
    )]
    pub description: Option<Option<String>>,
    pub tags: Option<Tags>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_or_null"
    )]
    pub expires_at: Option<Option<Timestamp>>,
    pub max_versions: Option<u64>,
    /// `Some(empty)` clears (`null` or `[]` on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_hosts: Option<AllowedHosts>,
}

/// A member that is present deserializes to `Some`, even when it is `null` (→ `Some(None)`);
/// serde's default would fold `null` into "absent".
fn present_or_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl MetadataChange {
    pub fn apply(&self, metadata: &mut SecretMetadata) {
        if let Some(tier) = self.tier {
            metadata.tier = tier;
        }
        if let Some(description) = &self.description {
            metadata.description = description.clone();
        }
        if let Some(tags) = &self.tags {
            metadata.tags = tags.clone();
        }
        if let Some(expires_at) = self.expires_at {
            metadata.expires_at = expires_at;
        }
        if let Some(max_versions) = self.max_versions {
            metadata.max_versions = max_versions;
        }
        if let Some(allowed_hosts) = &self.allowed_hosts {
            metadata.allowed_hosts = allowed_hosts.clone();
        }
    }
}

/// A validated `POST /v1/secrets` body: a main value, fields, or both. `Debug` leaves the
/// values out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    pub path: SecretPath,
    pub value: Option<String>,
    #[serde(default)]
    pub fields: Fields,
    pub metadata: SecretMetadata,
}

mod metadata;

pub use metadata::MetadataMembers;
pub(crate) use metadata::with_metadata_members;

pub fn parse_path_field(field: &str, text: &str) -> Result<SecretPath, ApiError> {
    SecretPath::parse(text).map_err(|why| ApiError::validation(field, why))
}

/// A validated `PUT` or `PATCH /v1/secrets/{path}` body: metadata changes, and a new value
/// (a new version). Only `PATCH` may leave the value out: the metadata alone changes, and no
/// version is written. Both are one command, so every rule on a change (who may lower a tier
/// or move `allowed_hosts`) holds for both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUpdate {
    pub value: Option<String>,
    pub change: MetadataChange,
}

with_metadata_members! {
    /// `PUT /v1/secrets/{path}` as it comes.
    pub struct SecretUpdateBody {
        value: body::Text,
    }
}

with_metadata_members! {
    /// `PATCH /v1/secrets/{path}` as it comes: every member may be left out.
    pub struct SecretPatchBody {
        #[serde(default)]
        value: body::OptText,
    }
}

impl SecretUpdate {
    /// `PUT`: the value is required.
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let mut body: SecretUpdateBody = body::parse(bytes)?;
        check_value("value", &body.value.0)?;
        let change = body.metadata().into_change(now)?;
        Ok(SecretUpdate {
            value: Some(body.value.0),
            change,
        })
    }

    /// `PATCH`: what is given changes, what is left out stays; without `value` (or with
    /// `null`) no new version is written. A body that changes nothing is refused.
    pub fn parse_patch(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let mut body: SecretPatchBody = body::parse(bytes)?;
        let value = body.value.0.take();
        if let Some(value) = &value {
            check_value("value", value)?;
        }
        let change = body.metadata().into_change(now)?;
        if value.is_none() && change == MetadataChange::default() {
            return Err(ApiError::validation(
                "body",
                "nothing to change: give a value or at least one metadata member (tier, description, tags, expires_at, max_versions, allowed_hosts)",
            ));
        }
        Ok(SecretUpdate { value, change })
    }
}

/// A validated `POST /v1/secrets/{path}/rotate` body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub new_value: String,
    pub grace_period_seconds: u64,
}

/// `POST /v1/secrets/{path}/rotate` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    new_value: body::Text,
    #[serde(default)]
    grace_period_seconds: body::IntIn<0, MAX_GRACE_SECONDS>,
}

impl TryFrom<RotationBody> for Rotation {
    type Error = ApiError;

    fn try_from(body: RotationBody) -> Result<Self, ApiError> {
        check_value("new_value", &body.new_value.0)?;
        Ok(Rotation {
            new_value: body.new_value.0,
            grace_period_seconds: body.grace_period_seconds.0.unwrap_or(0),
        })
    }
}

impl Rotation {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<RotationBody>(bytes)?.try_into()
    }
}

impl fmt::Debug for SecretUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretUpdate")
            .field("value", &"[redacted]")
            .field("change", &self.change)
            .finish()
    }
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotation")
            .field("new_value", &"[redacted]")
            .field("grace_period_seconds", &self.grace_period_seconds)
            .finish()
    }
}

/// Where a kept version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// The version reads return by default.
    Current,
    /// An older version, readable with `?version=N` (replaced by a `PUT`, no expiry).
    Previous,
    /// Replaced by a rotation; readable with `?version=N` until its `expires_at`.
    Grace,
    /// Its grace period is over: it answers 404 and its ciphertext is dropped.
    Expired,
    /// Erased: its ciphertext is gone for good.
    Destroyed,
    /// Soft-deleted on its own (Vault KV v2's delete): unreadable until undeleted.
    Deleted,
}

impl VersionState {
    /// Derives the state from what is stored, at `now`.
    pub fn at(
        is_current: bool,
        expires_at: Option<Timestamp>,
        destroyed: bool,
        deleted: bool,
        now: Timestamp,
    ) -> Self {
        match (is_current, expires_at, destroyed) {
            (_, _, true) => VersionState::Destroyed,
            _ if deleted => VersionState::Deleted,
            (true, _, false) => VersionState::Current,
            (false, Some(at), false) if at <= now => VersionState::Expired,
            (false, Some(_), false) => VersionState::Grace,
            (false, None, false) => VersionState::Previous,
        }
    }

    pub fn readable(self) -> bool {
        matches!(
            self,
            VersionState::Current | VersionState::Previous | VersionState::Grace
        )
    }
}

/// One entry of `GET /v1/secrets/{path}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: u64,
    pub created_at: Timestamp,
    pub state: VersionState,
    pub expires_at: Option<Timestamp>,
}

/// `PUT /v1/secrets/{path}` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUpdated {
    pub path: SecretPath,
    pub version: u64,
    pub updated_at: Timestamp,
}

/// `POST /v1/secrets/{path}/rotate` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRotated {
    pub path: SecretPath,
    pub old_version: u64,
    pub new_version: u64,
    pub old_expires_at: Timestamp,
}

/// Metadata of a secret, never its value: list items and the restore answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSummary {
    pub id: SecretId,
    pub path: SecretPath,
    pub version: u64,
    pub tier: Tier,
    pub description: Option<String>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_versions: u64,
    /// How many fields the secret holds (their names and values are not listed).
    pub field_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "AllowedHosts::is_empty")]
    pub allowed_hosts: AllowedHosts,
}

with_metadata_members! {
    /// `POST /v1/secrets` as it comes.
    pub struct NewSecretBody {
        path: body::Text,
        #[serde(default)]
        value: body::OptText,
        #[serde(default)]
        fields: body::OptObject,
    }
}

impl NewSecret {
    /// Parses and validates a `POST /v1/secrets` body.
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let mut body: NewSecretBody = body::parse(bytes)?;
        let path = parse_path_field("path", &body.path.0)?;
        let fields = Fields::from_member("fields", body.fields.0.take())?;
        let value = body.value.0.take();
        if value.is_none() && fields.is_none() {
            return Err(ApiError::validation(
                "value",
                "'value' is required (or 'fields', for a secret made of fields only)",
            ));
        }
        if let Some(value) = &value {
            check_value("value", value)?;
        }
        let metadata = body.metadata().into_metadata(now)?;
        Ok(NewSecret {
            path,
            value,
            fields: fields.unwrap_or_default(),
            metadata,
        })
    }
}

/// `POST /v1/secrets` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretCreated {
    pub id: SecretId,
    pub path: SecretPath,
    pub version: u64,
    pub tier: Tier,
    pub created_at: Timestamp,
}

/// `GET /v1/secrets/{path}` → 200. With the field reads, the only response that carries
/// values; `Debug` leaves them out. `value` is absent for a secret made of
/// fields only (its `version` is then 0), and `fields`/`field_count` are absent when it has
/// none. Fields are not versioned: every version's read shows the current fields.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRead {
    pub id: SecretId,
    pub path: SecretPath,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Fields>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_count: Option<usize>,
    pub version: u64,
    pub tier: Tier,
    pub description: Option<String>,
    pub tags: Tags,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub accessed_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "AllowedHosts::is_empty")]
    pub allowed_hosts: AllowedHosts,
}

impl fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSecret")
            .field("path", &self.path)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("fields", &self.fields)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl fmt::Debug for SecretRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretRead")
            .field("path", &self.path)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("fields", &self.fields)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::MAX_VALUE_BYTES;
    use serde_json::Value;
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
    fn a_secret_may_be_fields_only() {
        let secret = parse(json!({"path": "db", "fields": {"host": "h", "port": "5432"}})).unwrap();
        assert_eq!(secret.value, None);
        assert_eq!(secret.fields.len(), 2);
        let both = parse(json!({"path": "db", "value": "v", "fields": {"host": "h"}})).unwrap();
        assert_eq!(both.value.as_deref(), Some("v"));
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
        let many: serde_json::Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        let cases = [
            (json!({"value": "v"}), "path"),
            (json!({"path": 5, "value": "v"}), "path"),
            (json!({"path": "a//b", "value": "v"}), "path"),
            (json!({"path": "a"}), "value"),
            (json!({"path": "a", "fields": {}}), "fields"),
            (
                json!({"path": "a", "value": "v", "fields": {"a/b": "x"}}),
                "fields",
            ),
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
    fn update_keeps_absent_members_and_clears_null_ones() {
        let update = SecretUpdate::parse(
            json!({"value": "v2", "description": null, "tags": {"a": "b"}})
                .to_string()
                .as_bytes(),
            now(),
        )
        .unwrap();
        let mut metadata = SecretMetadata {
            tier: Tier::Critical,
            description: Some("old".into()),
            ..SecretMetadata::default()
        };
        update.change.apply(&mut metadata);
        assert_eq!(metadata.tier, Tier::Critical);
        assert_eq!(metadata.description, None);
        assert_eq!(metadata.tags.get("a").map(String::as_str), Some("b"));
        assert_eq!(metadata.max_versions, DEFAULT_MAX_VERSIONS);
    }

    #[test]
    fn clearing_survives_the_trip_to_the_object() {
        let update = SecretUpdate::parse(
            br#"{"value": "v", "description": null, "expires_at": null}"#,
            now(),
        )
        .unwrap();
        let json = serde_json::to_string(&update).unwrap();
        let back: SecretUpdate = serde_json::from_str(&json).unwrap();
        assert_eq!(back.change.description, Some(None), "{json}");
        assert_eq!(back.change.expires_at, Some(None), "{json}");
        let keep = SecretUpdate::parse(br#"{"value": "v"}"#, now()).unwrap();
        let back: SecretUpdate =
            serde_json::from_str(&serde_json::to_string(&keep).unwrap()).unwrap();
        assert_eq!(back.change, MetadataChange::default());
    }

    #[test]
    fn patch_changes_what_it_names_and_may_leave_the_value_out() {
        let tags_only = SecretUpdate::parse_patch(br#"{"tags": {"team": "core"}}"#, now()).unwrap();
        assert_eq!(tags_only.value, None);
        assert!(tags_only.change.tags.is_some());
        assert_eq!(tags_only.change.tier, None);
        let null_value =
            SecretUpdate::parse_patch(br#"{"value": null, "tier": "critical"}"#, now()).unwrap();
        assert_eq!(null_value.value, None);
        assert_eq!(null_value.change.tier, Some(Tier::Critical));
        let with_value = SecretUpdate::parse_patch(br#"{"value": "v2"}"#, now()).unwrap();
        assert_eq!(with_value.value.as_deref(), Some("v2"));
        let bad = [
            (json!({}), "body"),
            (json!({"value": null}), "body"),
            (json!({"max_versions": 0}), "max_versions"),
            (json!({"tier": "secretive"}), "tier"),
            (json!({"path": "x"}), "path"),
        ];
        for (body, field) in bad {
            let err = SecretUpdate::parse_patch(body.to_string().as_bytes(), now()).unwrap_err();
            assert_eq!(field_of(&err), Some(field), "{body}: {}", err.message);
        }
    }

    #[test]
    fn update_and_rotation_validate_their_members() {
        let bad_updates = [
            (json!({}), "value"),
            (json!({"value": "v", "max_versions": 0}), "max_versions"),
            (json!({"value": "v", "max_versions": 101}), "max_versions"),
            (json!({"value": "v", "path": "x"}), "path"),
        ];
        for (body, field) in bad_updates {
            let err = SecretUpdate::parse(body.to_string().as_bytes(), now()).unwrap_err();
            assert_eq!(field_of(&err), Some(field), "{body}");
        }
        let bad_rotations = [
            (json!({}), "new_value"),
            (
                json!({"new_value": "v", "grace_period_seconds": -1}),
                "grace_period_seconds",
            ),
            (
                json!({"new_value": "v", "grace_period_seconds": 604_801}),
                "grace_period_seconds",
            ),
            (
                json!({"new_value": "v", "grace_period_seconds": 1.5}),
                "grace_period_seconds",
            ),
        ];
        for (body, field) in bad_rotations {
            let err = Rotation::parse(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(field_of(&err), Some(field), "{body}");
        }
        let ok = Rotation::parse(br#"{"new_value": "v"}"#).unwrap();
        assert_eq!(ok.grace_period_seconds, 0);
        let max =
            Rotation::parse(br#"{"new_value": "v", "grace_period_seconds": 604800}"#).unwrap();
        assert_eq!(max.grace_period_seconds, MAX_GRACE_SECONDS);
    }

    #[test]
    fn version_states_follow_expiry_and_destruction() {
        let t = now();
        let later = t.plus_seconds(60);
        assert_eq!(
            VersionState::at(true, None, false, false, t),
            VersionState::Current
        );
        assert_eq!(
            VersionState::at(false, None, false, false, t),
            VersionState::Previous
        );
        assert_eq!(
            VersionState::at(false, Some(later), false, false, t),
            VersionState::Grace
        );
        assert_eq!(
            VersionState::at(false, Some(t), false, false, t),
            VersionState::Expired
        );
        assert_eq!(
            VersionState::at(false, Some(later), true, false, t),
            VersionState::Destroyed
        );
        assert_eq!(
            VersionState::at(true, None, false, true, t),
            VersionState::Deleted
        );
        assert!(!VersionState::Deleted.readable());
        assert_eq!(
            VersionState::at(false, None, true, true, t),
            VersionState::Destroyed
        );
        assert!(VersionState::Grace.readable());
        assert!(!VersionState::Expired.readable());
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = parse(json!({"path": "a", "value": "hunter2-secret",
            "fields": {"pw": "hunter2-field"}}))
        .unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        let update = SecretUpdate::parse(br#"{"value": "hunter2-secret"}"#, now()).unwrap();
        assert!(!format!("{update:?}").contains("hunter2"));
        let rotation = Rotation::parse(br#"{"new_value": "hunter2-secret"}"#).unwrap();
        assert!(!format!("{rotation:?}").contains("hunter2"));
    }

    #[test]
    fn errors_never_echo_the_value() {
        let value = "sk-live-do-not-echo";
        let err = parse(json!({"path": "a b", "value": value})).unwrap_err();
        assert!(!err.to_body().to_string().contains(value));
    }
}
