//! Discovered secrets (issue 23, seed 001): metadata about secrets that live in the customer's
//! own clusters and machines, reported by the agents there
//! (`POST /api/v1/agents/{id}/secrets/bulk`) and listed by people (`GET /api/v1/secrets`).
//!
//! Unlike Latchkey's stored secrets (`/v1/secrets`), these rows never hold a value: the value
//! stays where it lives, with the agent. A report that carries anything that could be a value
//! is refused whole, naming the member.

use crate::agent::{AgentId, Labels};
use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

prefixed_id!(DiscoveredSecretId, "dsc_", "discovered secret");

/// Items in one bulk report.
pub const MAX_BULK_ITEMS: usize = 500;
pub const MAX_CLUSTER_BYTES: usize = 253;
pub const MAX_PROVIDER_BYTES: usize = 64;
pub const MAX_REF_BYTES: usize = 512;
pub const MAX_KEY_NAMES: usize = 100;
pub const MAX_KEY_NAME_BYTES: usize = 253;
pub const MAX_LABELS: usize = 32;
pub const MAX_LABEL_KEY_BYTES: usize = 63;
pub const MAX_LABEL_VALUE_BYTES: usize = 255;
/// `label=k:v` filters in one list query.
pub const MAX_LABEL_FILTERS: usize = 16;
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// An item's members.
const MEMBERS: &[&str] = &[
    "cluster_name",
    "provider",
    "ref",
    "key_names",
    "labels",
    "status",
];
/// Members that could carry a value: refused by name, whatever they hold.
const VALUE_MEMBERS: &[&str] = &[
    "value",
    "values",
    "data",
    "string_data",
    "stringData",
    "secret",
    "plaintext",
    "content",
];

/// Where a discovered secret stands, as its agent last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscoveredStatus {
    /// Present where the agent looked.
    Active,
    /// Reported before, no longer found.
    Missing,
    /// The agent could not read its metadata.
    Error,
}

impl DiscoveredStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "missing" => Some(Self::Missing),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Missing => "missing",
            Self::Error => "error",
        }
    }
}

/// One reported secret: where it lives and what it holds (key names), never a value. It is
/// keyed by cluster, provider and reference: a re-report updates the row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredSecret {
    pub cluster_name: String,
    pub provider: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub key_names: Vec<String>,
    pub labels: Labels,
    pub status: DiscoveredStatus,
}

/// A stored discovered secret, as listed: [`DiscoveredSecret`]'s members written out (not
/// `#[serde(flatten)]`, whose buffering costs the Worker's wasm several KB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredSecretView {
    pub id: DiscoveredSecretId,
    /// The agent that reported it last: the one that holds it.
    pub agent_id: AgentId,
    pub cluster_name: String,
    pub provider: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub key_names: Vec<String>,
    pub labels: Labels,
    pub status: DiscoveredStatus,
    pub first_seen_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// One page of `GET /api/v1/secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredPage {
    pub secrets: Vec<DiscoveredSecretView>,
    pub next_cursor: Option<DiscoveredSecretId>,
}

fn bad(field: &str, message: String) -> ApiError {
    ApiError::invalid_request(message).with("field", field)
}

fn text(map: &Map<String, Value>, at: &str, member: &str, max: usize) -> Result<String, ApiError> {
    match map.get(member) {
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control) =>
        {
            Ok(s.clone())
        }
        None | Some(Value::Null) => Err(bad(member, format!("'{at}.{member}' is required"))),
        Some(_) => Err(bad(
            member,
            format!(
                "'{at}.{member}' must be a string of 1 to {max} bytes without control characters"
            ),
        )),
    }
}

fn label_key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_LABEL_KEY_BYTES
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
}

fn label_value_ok(value: &str) -> bool {
    value.len() <= MAX_LABEL_VALUE_BYTES && !value.chars().any(char::is_control)
}

fn provider_ok(provider: &str) -> bool {
    provider
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn refuse_value_member(map: &Map<String, Value>, at: &str) -> Result<(), ApiError> {
    if let Some(member) = VALUE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
        return Err(bad(
            member,
            format!(
                "'{at}{member}' is refused: discovered secrets carry metadata only (no 'value' or 'data', ever); the value stays with the agent where it lives"
            ),
        ));
    }
    Ok(())
}

fn item(index: usize, value: &Value) -> Result<DiscoveredSecret, ApiError> {
    let at = format!("secrets[{index}]");
    let Value::Object(map) = value else {
        return Err(bad("secrets", format!("'{at}' must be an object")));
    };
    refuse_value_member(map, &format!("{at}."))?;
    if let Some(unknown) = map.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            format!(
                "'{at}': unknown field '{unknown}'; expected {}",
                MEMBERS.join(", ")
            ),
        ));
    }
    let provider = text(map, &at, "provider", MAX_PROVIDER_BYTES)?;
    if !provider_ok(&provider) {
        return Err(bad(
            "provider",
            format!("'{at}.provider' may hold only letters, digits, '.', '_' and '-'"),
        ));
    }
    let key_names = match map.get("key_names") {
        None | Some(Value::Null) => Vec::new(),
        // Loops rather than `collect::<Result<…>>`: each of those is another generic
        // instantiation in the Worker's wasm.
        Some(Value::Array(names)) if names.len() <= MAX_KEY_NAMES => {
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                match name {
                    Value::String(s)
                        if !s.is_empty()
                            && s.len() <= MAX_KEY_NAME_BYTES
                            && !s.chars().any(char::is_control) =>
                    {
                        out.push(s.clone());
                    }
                    _ => {
                        return Err(bad(
                            "key_names",
                            format!(
                                "'{at}.key_names' holds an entry that is not a name of 1 to {MAX_KEY_NAME_BYTES} bytes"
                            ),
                        ));
                    }
                }
            }
            out
        }
        Some(_) => {
            return Err(bad(
                "key_names",
                format!("'{at}.key_names' must be a list of at most {MAX_KEY_NAMES} names"),
            ));
        }
    };
    let labels = match map.get("labels") {
        None | Some(Value::Null) => Labels::new(),
        Some(Value::Object(labels)) if labels.len() <= MAX_LABELS => {
            let mut out = Labels::new();
            for (k, v) in labels {
                match v {
                    Value::String(v) if label_key_ok(k) && label_value_ok(v) => {
                        out.insert(k.clone(), v.clone());
                    }
                    _ => {
                        return Err(bad(
                            "labels",
                            format!(
                                "'{at}.labels' entry '{k}' must map a key of letters, digits, '.', '_', '-', '/' (at most {MAX_LABEL_KEY_BYTES} bytes) to a string of at most {MAX_LABEL_VALUE_BYTES} bytes"
                            ),
                        ));
                    }
                }
            }
            out
        }
        Some(_) => {
            return Err(bad(
                "labels",
                format!("'{at}.labels' must be an object of at most {MAX_LABELS} string labels"),
            ));
        }
    };
    let status = match map.get("status") {
        None | Some(Value::Null) => DiscoveredStatus::Active,
        Some(Value::String(s)) => DiscoveredStatus::parse(s).ok_or_else(|| {
            bad(
                "status",
                format!("'{at}.status' must be active, missing or error"),
            )
        })?,
        Some(_) => {
            return Err(bad(
                "status",
                format!("'{at}.status' must be active, missing or error"),
            ));
        }
    };
    Ok(DiscoveredSecret {
        cluster_name: text(map, &at, "cluster_name", MAX_CLUSTER_BYTES)?,
        provider,
        reference: text(map, &at, "ref", MAX_REF_BYTES)?,
        key_names,
        labels,
        status,
    })
}

/// `POST /api/v1/agents/{id}/secrets/bulk` `{"secrets": [{cluster_name, provider, ref,
/// key_names?, labels?, status?}, …]}`: 1 to [`MAX_BULK_ITEMS`] items. Every error is a 400
/// naming the member; a value member anywhere refuses the whole report.
pub fn parse_bulk(bytes: &[u8]) -> Result<Vec<DiscoveredSecret>, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_request(
            "request body must be a JSON object",
        ));
    };
    refuse_value_member(&map, "")?;
    if let Some(unknown) = map.keys().find(|k| k.as_str() != "secrets") {
        return Err(bad(
            unknown,
            format!("unknown field '{unknown}'; expected secrets"),
        ));
    }
    match map.get("secrets") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_BULK_ITEMS => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                out.push(item(i, v)?);
            }
            Ok(out)
        }
        Some(Value::Array(items)) => Err(bad(
            "secrets",
            format!(
                "'secrets' has {} items; a report holds 1 to {MAX_BULK_ITEMS}",
                items.len()
            ),
        )),
        _ => Err(bad(
            "secrets",
            "'secrets' is required: a list of discovered secrets".to_owned(),
        )),
    }
}

/// `GET /api/v1/secrets`'s filters, each optional; `labels` must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredQuery {
    pub cluster_name: Option<String>,
    pub provider: Option<String>,
    pub ref_prefix: Option<String>,
    pub status: Option<DiscoveredStatus>,
    pub labels: Vec<(String, String)>,
    /// Only the secrets in this environment's clusters (issue 24).
    pub environment: Option<crate::project::EnvironmentId>,
    pub limit: u64,
    pub cursor: Option<DiscoveredSecretId>,
}

/// The list's query parameters (`label` may repeat).
pub const QUERY_PARAMETERS: &[&str] = &[
    "cluster_name",
    "provider",
    "ref_prefix",
    "status",
    "label",
    "environment",
    "limit",
    "cursor",
];

impl DiscoveredQuery {
    /// Reads the query; run the face's `check_query` first (unknown and repeated names).
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut query = DiscoveredQuery {
            limit: DEFAULT_LIMIT,
            ..Self::default()
        };
        let filter = |name: &str, v: &str, max: usize| {
            if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
                Err(bad(
                    name,
                    format!("'{name}' must be 1 to {max} bytes without control characters"),
                ))
            } else {
                Ok(Some(v.to_owned()))
            }
        };
        for (name, v) in pairs {
            match name {
                "cluster_name" => query.cluster_name = filter(name, v, MAX_CLUSTER_BYTES)?,
                "provider" => query.provider = filter(name, v, MAX_PROVIDER_BYTES)?,
                "ref_prefix" => query.ref_prefix = filter(name, v, MAX_REF_BYTES)?,
                "status" => {
                    query.status = Some(DiscoveredStatus::parse(v).ok_or_else(|| {
                        bad(
                            "status",
                            "'status' must be active, missing or error".to_owned(),
                        )
                    })?);
                }
                "label" => {
                    let pair = v
                        .split_once(':')
                        .filter(|(k, v)| label_key_ok(k) && label_value_ok(v));
                    let Some((k, v)) = pair else {
                        return Err(bad(
                            "label",
                            format!("'label' must be key:value with a label key, got '{v}'"),
                        ));
                    };
                    if query.labels.len() == MAX_LABEL_FILTERS {
                        return Err(bad(
                            "label",
                            format!("at most {MAX_LABEL_FILTERS} 'label' filters"),
                        ));
                    }
                    query.labels.push((k.to_owned(), v.to_owned()));
                }
                "limit" => {
                    query.limit = v
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| bad("limit", format!("'limit' must be 1 to {MAX_LIMIT}")))?;
                }
                "cursor" => {
                    query.cursor = Some(DiscoveredSecretId::parse(v).map_err(|why| {
                        bad(
                            "cursor",
                            format!("'cursor' is not a cursor this list gave: {why}"),
                        )
                    })?);
                }
                "environment" => {
                    query.environment = Some(crate::project::parse_environment_filter(v)?);
                }
                other => {
                    return Err(bad(other, format!("unknown query parameter '{other}'")));
                }
            }
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: &ApiError) -> Option<&str> {
        e.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn parse_bulk_full_item_reads_every_member() {
        let body = br#"{"secrets":[{"cluster_name":"prod-eu","provider":"kubernetes","ref":"payments/db-creds","key_names":["username","password"],"labels":{"team":"payments","env":"prod"},"status":"missing"},{"cluster_name":"c","provider":"file","ref":"/etc/app/.env"}]}"#;
        let items = parse_bulk(body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].reference, "payments/db-creds");
        assert_eq!(items[0].key_names, ["username", "password"]);
        assert_eq!(
            items[0].labels.get("team").map(String::as_str),
            Some("payments")
        );
        assert_eq!(items[0].status, DiscoveredStatus::Missing);
        assert_eq!(items[1].status, DiscoveredStatus::Active);
        assert!(items[1].labels.is_empty());
    }

    #[test]
    fn parse_bulk_value_member_is_400_naming_it() {
        for (body, member) in [
            (
                r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","value":"hunter2"}]}"#,
                "value",
            ),
            (
                r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","data":{"k":"djE="}}]}"#,
                "data",
            ),
            (
                r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","stringData":{}}]}"#,
                "stringData",
            ),
            (r#"{"secrets":[],"value":"x"}"#, "value"),
        ] {
            let e = parse_bulk(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{body}");
            assert_eq!(field(&e), Some(member), "{body}");
            assert!(e.message.contains("metadata only"), "{}", e.message);
        }
    }

    #[test]
    fn parse_bulk_bad_members_are_400_naming_them() {
        let long = "x".repeat(MAX_REF_BYTES + 1);
        let many: Vec<String> = (0..=MAX_BULK_ITEMS)
            .map(|i| format!(r#"{{"cluster_name":"c","provider":"p","ref":"r{i}"}}"#))
            .collect();
        let many = format!(r#"{{"secrets":[{}]}}"#, many.join(","));
        for (body, member) in [
            (r#"{"secrets":[{"provider":"p","ref":"r"}]}"#.to_owned(), "cluster_name"),
            (r#"{"secrets":[{"cluster_name":"c","provider":"p p","ref":"r"}]}"#.to_owned(), "provider"),
            (format!(r#"{{"secrets":[{{"cluster_name":"c","provider":"p","ref":"{long}"}}]}}"#), "ref"),
            (r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","key_names":"a"}]}"#.to_owned(), "key_names"),
            (r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","labels":{"a b":"c"}}]}"#.to_owned(), "labels"),
            (r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","status":"gone"}]}"#.to_owned(), "status"),
            (r#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r","owner":"x"}]}"#.to_owned(), "owner"),
            (r#"{"items":[]}"#.to_owned(), "items"),
            (r#"{"secrets":[]}"#.to_owned(), "secrets"),
            (r#"{"secrets":[7]}"#.to_owned(), "secrets"),
            (many, "secrets"),
        ] {
            let e = parse_bulk(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{member}");
            assert_eq!(field(&e), Some(member), "{member}: {}", e.message);
        }
        assert_eq!(parse_bulk(b"[]").unwrap_err().status(), 400);
        assert_eq!(parse_bulk(b"{").unwrap_err().status(), 400);
    }

    #[test]
    fn query_parse_reads_filters_and_refuses_bad_ones() {
        let q = DiscoveredQuery::parse([
            ("cluster_name", "prod"),
            ("provider", "kubernetes"),
            ("ref_prefix", "payments/"),
            ("status", "active"),
            ("label", "team:payments"),
            ("label", "env:prod"),
            ("limit", "10"),
        ])
        .unwrap();
        assert_eq!(q.labels.len(), 2);
        assert_eq!(q.limit, 10);
        assert_eq!(q.status, Some(DiscoveredStatus::Active));
        assert_eq!(DiscoveredQuery::parse([]).unwrap().limit, DEFAULT_LIMIT);
        for (name, v) in [
            ("label", "team"),
            ("label", "a b:c"),
            ("status", "gone"),
            ("limit", "0"),
            ("limit", "201"),
            ("cursor", "x"),
            ("cluster_name", ""),
        ] {
            let e = DiscoveredQuery::parse([(name, v)]).unwrap_err();
            assert_eq!(e.status(), 400, "{name}={v}");
            assert_eq!(field(&e), Some(name));
        }
    }
}
