//! Vault KV v2 compatibility: the `/v1/secret/…` routes that existing Vault clients (hvac,
//! the `vault` CLI, the Terraform provider, external-secrets) speak, mapped onto Latchkey's
//! own secrets so that scopes, tiers, approvals, rate limits and audit apply unchanged.
//!
//! The mapping. A KV v2 secret's data is a JSON map of strings; it becomes the secret's
//! fields (readable with `GET /v1/secrets/{path}/fields`). Fields are not versioned in
//! Latchkey, so each KV write also stores the map, as canonical JSON, as the main value of a
//! new version: that is what `?version=N` reads back. Reading the current version shows the
//! live fields, so a field changed through Latchkey's API is what Vault clients see too. A
//! secret written through Latchkey with a plain value reads as `{"value": "…"}`.

use crate::body;
use crate::error::{ApiError, ErrorCode};
use crate::field::{FieldName, Fields, MAX_FIELDS_PER_SECRET};
use crate::path::{SecretPath, percent_decode};
use crate::secret::Tags;
use crate::time::Timestamp;
use crate::value::check_value;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The mount every Vault client defaults to (`secret/`).
pub const MOUNT: &str = "secret";
/// Versions one delete, undelete or destroy call may name.
pub const MAX_VERSIONS_PER_CALL: usize = 100;

/// What a `/v1/secret/…` request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultRoute {
    /// `GET /v1/secret/data/{path}[?version=N]`.
    ReadData(SecretPath),
    /// `POST|PUT /v1/secret/data/{path}` `{data, options: {cas}}`.
    WriteData(SecretPath),
    /// `DELETE /v1/secret/data/{path}`: soft-deletes the latest version.
    DeleteLatest(SecretPath),
    /// `GET /v1/secret/metadata/{path}`, or a listing with `?list=true`.
    ReadMetadata(Option<SecretPath>),
    /// `LIST /v1/secret/metadata/{prefix}`.
    List(Option<SecretPath>),
    /// `DELETE /v1/secret/metadata/{path}`: every version and the metadata, for good.
    DeleteMetadata(SecretPath),
    /// `POST /v1/secret/delete/{path}` `{versions}`.
    DeleteVersions(SecretPath),
    /// `POST /v1/secret/undelete/{path}` `{versions}`.
    UndeleteVersions(SecretPath),
    /// `POST /v1/secret/destroy/{path}` `{versions}`.
    DestroyVersions(SecretPath),
    /// `GET /v1/sys/internal/ui/mounts/secret/…`: the `vault kv` CLI's preflight, which asks
    /// which KV version a mount is before every command.
    MountInfo,
}

/// True for the URL paths whose errors take Vault's `{"errors": [...]}` shape.
pub fn is_vault_path(url_path: &str) -> bool {
    url_path.starts_with("/v1/secret/")
        || url_path == "/v1/secret"
        || url_path.starts_with("/v1/sys/internal/ui/mounts/")
}

/// Resolves `/v1/sys/internal/ui/mounts/{path}`: only the `secret` mount exists.
pub fn resolve_mount(method: &str, url_path: &str, rest: &[&str]) -> Result<VaultRoute, ApiError> {
    if rest.first() != Some(&MOUNT) {
        return Err(ApiError::not_found(format!(
            "no mount at {}; Latchkey serves KV v2 at '{MOUNT}/'",
            rest.join("/")
        )));
    }
    if method != "GET" {
        return Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed on {url_path}; allowed: GET"),
        )
        .with("allow", "GET"));
    }
    Ok(VaultRoute::MountInfo)
}

/// What the preflight answers: the mount is KV version 2.
pub fn mount_info() -> Value {
    json!({
        "path": format!("{MOUNT}/"),
        "type": "kv",
        "description": "Latchkey secrets (Vault KV v2 compatible)",
        "options": {"version": "2"},
    })
}

/// Resolves a request under `/v1/secret/`; `segments` follow `secret`. Vault paths keep their
/// slashes (each segment may be percent-encoded on its own); a trailing slash names a folder
/// to list.
pub fn resolve(method: &str, url_path: &str, segments: &[&str]) -> Result<VaultRoute, ApiError> {
    let not_found = || ApiError::not_found(format!("no route for {url_path}"));
    let (kind, rest) = segments.split_first().ok_or_else(not_found)?;
    let path = folder_path(rest)?;
    let require = |path: Option<SecretPath>| {
        path.ok_or_else(|| {
            ApiError::validation("path", "a secret path is required after the mount")
        })
    };
    let is_folder = rest.last().is_some_and(|s| s.is_empty());
    let allowed = match *kind {
        "data" => "GET, POST, PUT, DELETE",
        "metadata" => "GET, LIST, DELETE",
        "delete" | "undelete" | "destroy" => "POST, PUT",
        _ => return Err(not_found()),
    };
    let route = match (*kind, method) {
        ("metadata", "LIST") => VaultRoute::List(path),
        ("metadata", "GET") => VaultRoute::ReadMetadata(path),
        _ if is_folder => {
            return Err(ApiError::validation(
                "path",
                "path has an empty segment (leading, trailing or doubled '/')",
            ));
        }
        ("data", "GET") => VaultRoute::ReadData(require(path)?),
        ("data", "POST" | "PUT") => VaultRoute::WriteData(require(path)?),
        ("data", "DELETE") => VaultRoute::DeleteLatest(require(path)?),
        ("metadata", "DELETE") => VaultRoute::DeleteMetadata(require(path)?),
        ("delete", "POST" | "PUT") => VaultRoute::DeleteVersions(require(path)?),
        ("undelete", "POST" | "PUT") => VaultRoute::UndeleteVersions(require(path)?),
        ("destroy", "POST" | "PUT") => VaultRoute::DestroyVersions(require(path)?),
        _ => {
            return Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed on {url_path}; allowed: {allowed}"),
            )
            .with("allow", allowed));
        }
    };
    Ok(route)
}

/// The secret path of the segments after `data/` (etc.): `None` for the mount's root. One
/// trailing empty segment (a folder's slash) is allowed here; the caller decides whether a
/// folder makes sense.
fn folder_path(rest: &[&str]) -> Result<Option<SecretPath>, ApiError> {
    let rest = match rest.split_last() {
        Some((&"", init)) => init,
        _ => rest,
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let mut decoded = Vec::with_capacity(rest.len());
    for segment in rest {
        let text = percent_decode(segment)
            .map_err(|why| ApiError::invalid_request(why).with("field", "path"))?;
        if text.contains('/') {
            return Err(ApiError::validation(
                "path",
                "a path segment may not contain an encoded '/'",
            ));
        }
        decoded.push(text);
    }
    SecretPath::parse(&decoded.join("/"))
        .map(Some)
        .map_err(|why| ApiError::validation("path", why))
}

/// A KV v2 data map: string values under field names.
pub type KvData = BTreeMap<String, String>;

/// A validated write: `{"data": {...}, "options": {"cas": N}}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvWrite {
    pub data: Fields,
    /// Check-and-set: `0` writes only a new secret, `N` only over version `N`.
    pub cas: Option<u64>,
}

impl std::fmt::Debug for KvWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvWrite")
            .field("data", &self.data)
            .field("cas", &self.cas)
            .finish()
    }
}

/// A Vault KV write as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvWriteBody {
    #[serde(default)]
    data: body::OptObject,
    /// Vault's `options`: `cas` is read, other options are ignored.
    #[serde(default)]
    options: body::OptObject,
    /// Sent by some Vault clients; ignored, as Vault does.
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<serde::de::IgnoredAny>,
}

impl KvWrite {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: KvWriteBody = body::parse(bytes)?;
        let map = body
            .data
            .0
            .ok_or_else(|| ApiError::validation("data", "'data' (an object) is required"))?;
        if map.len() > MAX_FIELDS_PER_SECRET {
            return Err(ApiError::validation(
                "data",
                format!(
                    "'data' has {} keys; a secret holds at most {MAX_FIELDS_PER_SECRET}",
                    map.len()
                ),
            ));
        }
        let mut data = BTreeMap::new();
        for (key, value) in map {
            let name = FieldName::parse(&key).map_err(|why| {
                ApiError::validation("data", format!("key '{}': {why}", clip(&key)))
            })?;
            let Value::String(value) = value else {
                return Err(ApiError::validation(
                    "data",
                    format!(
                        "key '{name}' must have a string value (Latchkey stores strings; encode other JSON as a string)"
                    ),
                ));
            };
            check_value("data", &value)?;
            data.insert(name, value);
        }
        let cas = match body.options.0 {
            None => None,
            Some(options) => match options.get("cas") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
                    ApiError::validation("options.cas", "'cas' must be a whole number ≥ 0")
                })?),
                Some(_) => {
                    return Err(ApiError::validation(
                        "options.cas",
                        "'cas' must be a whole number ≥ 0",
                    ));
                }
            },
        };
        Ok(KvWrite {
            data: Fields(data),
            cas,
        })
    }

    /// The canonical JSON of the map: the main value of the version the write creates.
    pub fn version_value(&self) -> String {
        let map: BTreeMap<&str, &str> = self
            .data
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
    }
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

/// What `versions` must be.
fn versions_shape() -> String {
    format!("must be a list of 1 to {MAX_VERSIONS_PER_CALL} version numbers (≥ 1)")
}

/// The body of Vault's delete, undelete and destroy as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvVersionsBody {
    #[serde(default)]
    versions: VersionItems,
}

/// `versions` as it comes: a list; absent is `None`.
#[derive(Default)]
pub struct VersionItems(Option<Vec<Value>>);

impl<'de> Deserialize<'de> for VersionItems {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(VersionItems(Some(items))),
            _ => Err(D::Error::custom(versions_shape())),
        }
    }
}

/// `{"versions": [1, 2]}` of delete, undelete and destroy: 1..=100 distinct versions ≥ 1.
pub fn parse_versions(bytes: &[u8]) -> Result<Vec<u64>, ApiError> {
    let body: KvVersionsBody = body::parse(bytes)?;
    let invalid = || ApiError::validation("versions", format!("'versions' {}", versions_shape()));
    let Some(items) = body.versions.0 else {
        return Err(invalid());
    };
    if items.is_empty() || items.len() > MAX_VERSIONS_PER_CALL {
        return Err(invalid());
    }
    let mut versions = Vec::with_capacity(items.len());
    for item in items {
        let version = item.as_u64().filter(|v| *v >= 1).ok_or_else(invalid)?;
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    Ok(versions)
}

/// `?version=N` of a read: absent or `0` means the current version, as in Vault.
pub fn parse_version_param(text: Option<&str>) -> Result<Option<u64>, ApiError> {
    match text {
        None | Some("") | Some("0") => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::validation("version", "'version' must be a whole number ≥ 0")),
    }
}

/// The data map a stored version's main value stands for: a map written by a KV write, or
/// `{"value": …}` for a plain value.
pub fn data_of_value(value: &str) -> KvData {
    match serde_json::from_str::<BTreeMap<String, String>>(value) {
        Ok(map) if value.starts_with('{') => map,
        _ => BTreeMap::from([("value".to_owned(), value.to_owned())]),
    }
}

/// The data of the current version: the live fields, or the value's map when there are none.
/// A plain (non-map) value stays visible as `value` beside the fields.
pub fn current_data(value: Option<&str>, fields: Option<&Fields>) -> KvData {
    let fields = fields.filter(|f| !f.is_empty());
    let Some(fields) = fields else {
        return value.map(data_of_value).unwrap_or_default();
    };
    let mut data: KvData = fields
        .0
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
        .collect();
    if let Some(value) = value {
        let of_value = data_of_value(value);
        if let Some(plain) = of_value.get("value").filter(|_| of_value.len() == 1)
            && !value.starts_with('{')
        {
            data.entry("value".to_owned())
                .or_insert_with(|| plain.clone());
        }
    }
    data
}

/// One version as Vault describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvVersion {
    pub version: u64,
    pub created_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub destroyed: bool,
}

impl KvVersion {
    /// Vault's version metadata: `deletion_time` is `""` when not deleted.
    pub fn to_vault(&self, tags: &Tags) -> Value {
        json!({
            "created_time": self.created_at.to_string(),
            "custom_metadata": custom_metadata(tags),
            "deletion_time": self.deleted_at.map(|t| t.to_string()).unwrap_or_default(),
            "destroyed": self.destroyed,
            "version": self.version,
        })
    }
}

fn custom_metadata(tags: &Tags) -> Value {
    if tags.is_empty() {
        Value::Null
    } else {
        json!(tags)
    }
}

/// A read: the version's data, or `None` when the version is deleted or destroyed (Vault
/// answers 404 with the metadata then).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvRead {
    pub data: Option<KvData>,
    pub version: KvVersion,
    pub tags: Tags,
}

impl std::fmt::Debug for KvRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvRead")
            .field(
                "keys",
                &self.data.as_ref().map(|d| d.keys().collect::<Vec<_>>()),
            )
            .field("version", &self.version)
            .finish()
    }
}

impl KvRead {
    pub fn to_vault(&self) -> Value {
        json!({
            "data": self.data,
            "metadata": self.version.to_vault(&self.tags),
        })
    }
}

/// A secret's metadata and its versions, as `GET /v1/secret/metadata/{path}` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvMetadata {
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub current_version: u64,
    pub max_versions: u64,
    pub tags: Tags,
    pub versions: Vec<KvVersion>,
}

impl KvMetadata {
    pub fn to_vault(&self) -> Value {
        let versions: serde_json::Map<String, Value> = self
            .versions
            .iter()
            .map(|v| {
                (
                    v.version.to_string(),
                    json!({
                        "created_time": v.created_at.to_string(),
                        "deletion_time": v.deleted_at.map(|t| t.to_string()).unwrap_or_default(),
                        "destroyed": v.destroyed,
                    }),
                )
            })
            .collect();
        json!({
            "cas_required": false,
            "created_time": self.created_at.to_string(),
            "current_version": self.current_version,
            "custom_metadata": custom_metadata(&self.tags),
            "delete_version_after": "0s",
            "max_versions": self.max_versions,
            "oldest_version": self.versions.iter().map(|v| v.version).min().unwrap_or(0),
            "updated_time": self.updated_at.to_string(),
            "versions": versions,
        })
    }
}

/// The next segment under `prefix` of each path (`name`, or `folder/` when deeper), sorted and
/// distinct: what a Vault `LIST` answers.
pub fn list_keys<'a>(
    prefix: Option<&SecretPath>,
    paths: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    for path in paths {
        let rest = match prefix {
            None => Some(path),
            Some(prefix) => path
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/')),
        };
        let Some(rest) = rest.filter(|r| !r.is_empty()) else {
            continue;
        };
        match rest.split_once('/') {
            Some((folder, _)) => keys.insert(format!("{folder}/")),
            None => keys.insert(rest.to_owned()),
        };
    }
    keys.into_iter().collect()
}

/// Vault's response envelope around `data`.
pub fn envelope(request_id: &str, data: Value) -> Value {
    json!({
        "request_id": request_id,
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": null,
        "auth": null,
        "mount_type": "kv",
    })
}

/// Vault's error body: the message, with what Latchkey adds (the scope that would do, when to
/// retry) in the same sentence, since Vault clients show only `errors`.
pub fn error_body(error: &ApiError) -> Value {
    if error.code == ErrorCode::NotFound {
        // Vault answers a missing secret with an empty list; clients test for exactly that.
        return json!({ "errors": [] });
    }
    let mut message = error.message.clone();
    if let Some(scope) = error.details.get("required_scope").and_then(Value::as_str) {
        message.push_str(&format!(" (required scope: {scope})"));
    }
    if let Some(wait) = error.details.get("retry_after").and_then(Value::as_u64) {
        message.push_str(&format!(" (retry after {wait} s)"));
    }
    json!({ "errors": [message] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> SecretPath {
        SecretPath::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn route(method: &str, url: &str) -> Result<VaultRoute, ApiError> {
        let segments: Vec<&str> = url.trim_start_matches("/v1/secret/").split('/').collect();
        resolve(method, url, &segments)
    }

    #[test]
    fn routes_map_methods_and_keep_slashes() {
        assert_eq!(
            route("GET", "/v1/secret/data/prod/db"),
            Ok(VaultRoute::ReadData(path("prod/db")))
        );
        assert_eq!(
            route("POST", "/v1/secret/data/prod/db"),
            Ok(VaultRoute::WriteData(path("prod/db")))
        );
        assert_eq!(
            route("PUT", "/v1/secret/data/a"),
            Ok(VaultRoute::WriteData(path("a")))
        );
        assert_eq!(
            route("DELETE", "/v1/secret/data/a"),
            Ok(VaultRoute::DeleteLatest(path("a")))
        );
        assert_eq!(
            route("LIST", "/v1/secret/metadata/prod/"),
            Ok(VaultRoute::List(Some(path("prod"))))
        );
        assert_eq!(
            route("LIST", "/v1/secret/metadata/"),
            Ok(VaultRoute::List(None))
        );
        assert_eq!(
            route("GET", "/v1/secret/metadata/prod"),
            Ok(VaultRoute::ReadMetadata(Some(path("prod"))))
        );
        assert_eq!(
            route("DELETE", "/v1/secret/metadata/prod/db"),
            Ok(VaultRoute::DeleteMetadata(path("prod/db")))
        );
        assert_eq!(
            route("POST", "/v1/secret/undelete/x%2Dy"),
            Ok(VaultRoute::UndeleteVersions(path("x-y")))
        );
        assert_eq!(
            route("PUT", "/v1/secret/destroy/x"),
            Ok(VaultRoute::DestroyVersions(path("x")))
        );
    }

    #[test]
    fn bad_routes_are_4xx_naming_the_problem() {
        let e = route("PATCH", "/v1/secret/data/a").err();
        assert_eq!(e.map(|e| e.status()), Some(405));
        assert_eq!(
            route("GET", "/v1/secret/config/a")
                .err()
                .map(|e| e.status()),
            Some(404)
        );
        assert_eq!(
            route("GET", "/v1/secret/data/").err().map(|e| e.status()),
            Some(422)
        );
        assert_eq!(
            route("GET", "/v1/secret/data/a//b")
                .err()
                .map(|e| e.status()),
            Some(422)
        );
        assert_eq!(
            route("GET", "/v1/secret/data/a%2Fb")
                .err()
                .map(|e| e.status()),
            Some(422)
        );
        assert_eq!(
            route("DELETE", "/v1/secret/data/a/")
                .err()
                .map(|e| e.status()),
            Some(422)
        );
        assert!(route("GET", "/v1/secret/data/a%zz").is_err());
        assert!(route("GET", "/v1/secret").is_err());
        assert_eq!(
            resolve_mount(
                "GET",
                "/v1/sys/internal/ui/mounts/secret/a",
                &["secret", "a"]
            ),
            Ok(VaultRoute::MountInfo)
        );
        assert!(resolve_mount("GET", "/v1/sys/internal/ui/mounts/kv/a", &["kv", "a"]).is_err());
        assert!(resolve_mount("POST", "/v1/sys/internal/ui/mounts/secret", &["secret"]).is_err());
        assert!(is_vault_path("/v1/sys/internal/ui/mounts/secret/x"));
    }

    #[test]
    fn write_body_is_a_map_of_strings_with_optional_cas() {
        let write = KvWrite::parse(br#"{"data":{"user":"u","pass":"p"},"options":{"cas":3}}"#);
        let write = write.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(write.cas, Some(3));
        assert_eq!(write.version_value(), r#"{"pass":"p","user":"u"}"#);
        assert_eq!(
            KvWrite::parse(br#"{"data":{},"options":{}}"#).map(|w| w.cas),
            Ok(None)
        );
        for bad in [
            &br#"{"data":{"n":1}}"#[..],
            br#"{"data":{"bad key":"x"}}"#,
            br#"{"data":"x"}"#,
            br#"{"options":{"cas":1}}"#,
            br#"{"data":{},"options":{"cas":-1}}"#,
            br#"{"data":{},"options":{"cas":"1"}}"#,
            br#"{"data":{},"extra":1}"#,
            b"not json",
        ] {
            let e = KvWrite::parse(bad).err();
            assert!(
                e.as_ref()
                    .is_some_and(|e| e.status() < 500 && e.status() >= 400),
                "{:?} → {e:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn versions_body_is_a_list_of_positive_numbers() {
        assert_eq!(parse_versions(br#"{"versions":[1,2,2]}"#), Ok(vec![1, 2]));
        for bad in [
            &br#"{"versions":[]}"#[..],
            br#"{"versions":[0]}"#,
            br#"{"versions":"1"}"#,
            br#"{"versions":[1.5]}"#,
            br#"{}"#,
        ] {
            assert!(parse_versions(bad).is_err());
        }
        assert_eq!(parse_version_param(Some("0")), Ok(None));
        assert_eq!(parse_version_param(Some("4")), Ok(Some(4)));
        assert!(parse_version_param(Some("x")).is_err());
    }

    #[test]
    fn data_comes_from_maps_fields_or_plain_values() {
        assert_eq!(
            data_of_value(r#"{"a":"1"}"#),
            KvData::from([("a".into(), "1".into())])
        );
        assert_eq!(
            data_of_value("sk-plain"),
            KvData::from([("value".into(), "sk-plain".into())])
        );
        // JSON that is not a map of strings is a plain value.
        assert_eq!(
            data_of_value(r#"{"a":1}"#),
            KvData::from([("value".into(), r#"{"a":1}"#.into())])
        );
        let fields = Fields(BTreeMap::from([(
            FieldName::parse("b").unwrap_or_else(|e| panic!("{e}")),
            "2".to_owned(),
        )]));
        // The live fields win over the stored map of the current version.
        assert_eq!(
            current_data(Some(r#"{"a":"1"}"#), Some(&fields)),
            KvData::from([("b".into(), "2".into())])
        );
        assert_eq!(
            current_data(Some("plain"), Some(&fields)),
            KvData::from([("b".into(), "2".into()), ("value".into(), "plain".into())])
        );
        assert_eq!(current_data(None, None), KvData::new());
    }

    #[test]
    fn list_keys_are_the_next_segment_once() {
        let paths = [
            "prod/db",
            "prod/api/key",
            "prod/api/other",
            "prodx/a",
            "dev/x",
        ];
        assert_eq!(
            list_keys(Some(&path("prod")), paths),
            vec!["api/".to_owned(), "db".to_owned()]
        );
        assert_eq!(
            list_keys(None, paths),
            vec!["dev/".to_owned(), "prod/".to_owned(), "prodx/".to_owned()]
        );
    }

    #[test]
    fn errors_keep_the_scope_hint_and_not_found_is_empty() {
        let e = ApiError::new(ErrorCode::PermissionDenied, "no")
            .with("required_scope", "secrets:read:a");
        assert_eq!(
            error_body(&e),
            json!({"errors": ["no (required scope: secrets:read:a)"]})
        );
        assert_eq!(error_body(&ApiError::not_found("x")), json!({"errors": []}));
    }
}
