//! GitOps observation through Argo CD (issue 24, seed 001's integrations, gated per tenant as
//! the seed's `SB_GITOPS_ENABLED` gates them): the Argo CD endpoints a tenant registers (their
//! API token sealed like a secret), the mappings from an Argo CD application to the secrets it
//! uses, and the parser of Argo CD's application API.
//!
//! Argo CD's shapes are those of its published swagger document (`assets/swagger.json` in
//! argoproj/argo-cd): `GET /api/v1/applications` answers a `v1alpha1ApplicationList` whose
//! `items` are `v1alpha1Application`s; each has `metadata.name`, `status.sync.status`
//! (`v1alpha1SyncStatus`: `Synced`, `OutOfSync`, `Unknown`) and `status.health.status`
//! (`v1alpha1AppHealthStatus`: `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`,
//! `Unknown`). `GET /api/v1/applications/{name}` answers
//! one `v1alpha1Application`. Both take `Authorization: Bearer <token>`.

use crate::agent::discovered::DiscoveredSecretId;
use crate::body;
use crate::broker::hosts::{Host, parse_outbound_url};
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

prefixed_id!(ArgoEndpointId, "argo_", "Argo CD endpoint");
prefixed_id!(AppMappingId, "gmap_", "GitOps app mapping");

/// The answer of every GitOps route while the tenant's gate is off.
pub fn gate_closed() -> ApiError {
    ApiError::not_found("GitOps is not enabled for this tenant (the operator's 'gitops_enabled')")
}

/// Endpoints one tenant may register.
pub const MAX_ENDPOINTS: u64 = 20;
/// Mappings one tenant may keep.
pub const MAX_MAPPINGS: u64 = 500;
pub const MAX_ENDPOINT_NAME_BYTES: usize = 64;
pub const MAX_URL_BYTES: usize = 2048;
/// An Argo CD API token is a JWT; 8 KiB is far above any Argo CD issues.
pub const MAX_TOKEN_BYTES: usize = 8192;
/// Secrets or paths one mapping names.
pub const MAX_MAPPING_TARGETS: usize = 50;
/// An Argo CD application's name is a Kubernetes object name (DNS-1123 subdomain).
pub const MAX_APP_NAME_BYTES: usize = 253;
/// Seconds an outbound call to Argo CD may take, answer included.
pub const ARGO_TIMEOUT_SECONDS: u64 = 10;

/// A validated `POST /api/v1/argocd-endpoints` body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEndpoint {
    pub name: String,
    /// The Argo CD server's base URL (`https://argocd.example.com`), no trailing slash.
    pub url: String,
    pub token: String,
    pub enabled: bool,
}

impl std::fmt::Debug for NewEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEndpoint")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("token", &"[sealed]")
            .field("enabled", &self.enabled)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpointBody {
    name: body::Text,
    url: body::Text,
    token: body::Text,
    #[serde(default)]
    enabled: body::OptBool,
}

/// Parses an endpoint's base URL: an absolute http(s) URL without user info, query or
/// fragment; the destination rules are checked where the call is made (the host and the
/// deployment's insecure hosts).
pub fn parse_base_url(text: &str) -> Result<(String, Host), ApiError> {
    let bad = |m: String| ApiError::validation("url", m);
    if text.len() > MAX_URL_BYTES {
        return Err(bad(format!("'url' is at most {MAX_URL_BYTES} bytes")));
    }
    let (url, host) = parse_outbound_url(text).map_err(bad)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "'{text}' must not carry a query or fragment: give the Argo CD server's base URL"
        )));
    }
    Ok((url.as_str().trim_end_matches('/').to_owned(), host))
}

impl TryFrom<NewEndpointBody> for NewEndpoint {
    type Error = ApiError;

    fn try_from(body: NewEndpointBody) -> Result<Self, ApiError> {
        let name = body.name.0.trim().to_owned();
        if name.is_empty()
            || name.len() > MAX_ENDPOINT_NAME_BYTES
            || name.chars().any(char::is_control)
        {
            return Err(ApiError::validation(
                "name",
                format!(
                    "'name' is 1 to {MAX_ENDPOINT_NAME_BYTES} bytes without control characters"
                ),
            ));
        }
        let (url, _) = parse_base_url(&body.url.0)?;
        let token = body.token.0;
        if token.is_empty()
            || token.len() > MAX_TOKEN_BYTES
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ApiError::validation(
                "token",
                format!(
                    "'token' is an Argo CD API token: 1 to {MAX_TOKEN_BYTES} printable ASCII characters"
                ),
            ));
        }
        Ok(NewEndpoint {
            name,
            url,
            token,
            enabled: body.enabled.0.unwrap_or(true),
        })
    }
}

impl NewEndpoint {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewEndpointBody>(bytes)?.try_into()
    }
}

/// `PUT /api/v1/argocd-endpoints/{id}/enabled` `{enabled}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    enabled: Option<body::OptBool>,
}

pub fn parse_enabled(bytes: &[u8]) -> Result<bool, ApiError> {
    body::parse::<EnabledBody>(bytes)?
        .enabled
        .and_then(|b| b.0)
        .ok_or_else(|| ApiError::validation("enabled", "'enabled' is required: true or false"))
}

/// An endpoint as listed: never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: ArgoEndpointId,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub created_at: Timestamp,
}

/// What the Worker needs to call one endpoint: its URL and token, in request memory only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgoTarget {
    pub id: ArgoEndpointId,
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for ArgoTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgoTarget")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Checks an application name as Kubernetes does (DNS-1123 subdomain).
pub fn parse_app_name(field: &str, text: &str) -> Result<String, ApiError> {
    let well_formed = !text.is_empty()
        && text.len() <= MAX_APP_NAME_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && text
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    if well_formed {
        Ok(text.to_owned())
    } else {
        Err(ApiError::validation(
            field,
            format!(
                "'{field}' is an Argo CD application name: lowercase letters, digits, '-' and '.', at most {MAX_APP_NAME_BYTES} bytes"
            ),
        ))
    }
}

/// A validated `POST /api/v1/gitops-app-mappings` body: an application and what it uses
/// (discovered secrets, stored paths, or both; at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMapping {
    pub endpoint_id: ArgoEndpointId,
    pub app_name: String,
    pub secret_ids: Vec<DiscoveredSecretId>,
    pub paths: Vec<SecretPath>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMappingBody {
    endpoint_id: body::Text,
    app_name: body::Text,
    #[serde(default)]
    secret_ids: Option<Value>,
    #[serde(default)]
    paths: Option<Value>,
}

fn string_list<T>(
    field: &str,
    value: Option<Value>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::validation(
                field,
                format!("'{field}' must be a list of strings"),
            ));
        }
    };
    if items.len() > MAX_MAPPING_TARGETS {
        return Err(ApiError::validation(
            field,
            format!("'{field}' holds at most {MAX_MAPPING_TARGETS} items"),
        ));
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in &items {
        let text = item.as_str().ok_or_else(|| {
            ApiError::validation(field, format!("'{field}' must be a list of strings"))
        })?;
        out.push(parse(text).map_err(|m| ApiError::validation(field, format!("'{field}': {m}")))?);
    }
    Ok(out)
}

impl TryFrom<NewMappingBody> for NewMapping {
    type Error = ApiError;

    fn try_from(body: NewMappingBody) -> Result<Self, ApiError> {
        let endpoint_id = ArgoEndpointId::parse(&body.endpoint_id.0)
            .map_err(|m| ApiError::validation("endpoint_id", m))?;
        let app_name = parse_app_name("app_name", &body.app_name.0)?;
        let mut secret_ids = string_list("secret_ids", body.secret_ids, DiscoveredSecretId::parse)?;
        let mut paths = string_list("paths", body.paths, SecretPath::parse)?;
        secret_ids.sort();
        secret_ids.dedup();
        paths.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        paths.dedup();
        if secret_ids.is_empty() && paths.is_empty() {
            return Err(ApiError::validation(
                "secret_ids",
                "give 'secret_ids' (discovered secrets), 'paths' (stored secrets) or both",
            ));
        }
        Ok(NewMapping {
            endpoint_id,
            app_name,
            secret_ids,
            paths,
        })
    }
}

impl NewMapping {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewMappingBody>(bytes)?.try_into()
    }
}

/// A mapping as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingView {
    pub id: AppMappingId,
    pub endpoint_id: ArgoEndpointId,
    pub app_name: String,
    pub secret_ids: Vec<DiscoveredSecretId>,
    pub paths: Vec<SecretPath>,
    pub created_at: Timestamp,
}

/// One application as Argo CD reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    pub name: String,
    /// `status.sync.status`; `Unknown` when Argo CD gives none.
    pub sync_status: String,
    /// `status.health.status`; `Unknown` when Argo CD gives none.
    pub health_status: String,
}

/// Argo CD's status strings are short words; anything else is reported as `Unknown`, so a
/// hostile server cannot make the answer carry arbitrary text.
fn status_word(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphabetic()))
        .unwrap_or("Unknown")
        .to_owned()
}

fn app_status(app: &Value) -> Option<AppStatus> {
    let name = app.pointer("/metadata/name")?.as_str()?;
    parse_app_name("name", name).ok()?;
    Some(AppStatus {
        name: name.to_owned(),
        sync_status: status_word(app.pointer("/status/sync/status")),
        health_status: status_word(app.pointer("/status/health/status")),
    })
}

/// Reads a `v1alpha1ApplicationList` (`GET /api/v1/applications`): the applications by
/// name. `items` is `null` when Argo CD has none.
pub fn parse_application_list(bytes: &[u8]) -> Result<Vec<AppStatus>, String> {
    let list: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON application list: {e}"))?;
    let items = match list.get("items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("'items' is not a list".to_owned()),
    };
    let mut apps: Vec<AppStatus> = items.iter().filter_map(app_status).collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(apps)
}

/// Reads one `v1alpha1Application` (`GET /api/v1/applications/{name}`).
pub fn parse_application(bytes: &[u8]) -> Result<AppStatus, String> {
    let app: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON application: {e}"))?;
    app_status(&app).ok_or_else(|| "the application has no valid metadata.name".to_owned())
}

/// The sync and health of one mapped application after a patch request, as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub mapping_id: AppMappingId,
    pub endpoint_id: ArgoEndpointId,
    pub app_name: String,
    /// `None` when Argo CD could not be asked (the error says why).
    pub sync_status: Option<String>,
    pub health_status: Option<String>,
    pub error: Option<String>,
    pub observed_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSC: &str = "dsc_0123456789abcdef01234567";
    const ARGO: &str = "argo_0123456789abcdef01234567";

    #[test]
    fn new_endpoint_valid_body_is_parsed_and_token_not_debug_printed() {
        let e = NewEndpoint::parse(
            br#"{"name":"prod","url":"https://argocd.example.com/","token":"abc.def"}"#,
        )
        .unwrap();
        assert_eq!(e.url, "https://argocd.example.com");
        assert!(e.enabled);
        assert!(!format!("{e:?}").contains("abc.def"));
    }

    #[test]
    fn new_endpoint_bad_members_are_refused_naming_them() {
        for (body, field) in [
            (
                r#"{"name":"","url":"https://a.example","token":"t"}"#,
                "name",
            ),
            (r#"{"name":"p","url":"ftp://a.example","token":"t"}"#, "url"),
            (
                r#"{"name":"p","url":"https://a.example/?x=1","token":"t"}"#,
                "url",
            ),
            (
                r#"{"name":"p","url":"https://u:p@a.example","token":"t"}"#,
                "url",
            ),
            (
                r#"{"name":"p","url":"https://a.example","token":""}"#,
                "token",
            ),
            (
                r#"{"name":"p","url":"https://a.example","token":"a b"}"#,
                "token",
            ),
            (
                r#"{"name":"p","url":"https://a.example","token":"t","x":1}"#,
                "x",
            ),
        ] {
            let e = NewEndpoint::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.details["field"], field, "{body}");
        }
    }

    #[test]
    fn parse_enabled_requires_a_boolean() {
        assert!(!parse_enabled(br#"{"enabled":false}"#).unwrap());
        assert!(parse_enabled(br#"{"enabled":true}"#).unwrap());
        for body in [
            &br#"{}"#[..],
            br#"{"enabled":null}"#,
            br#"{"enabled":"yes"}"#,
        ] {
            assert_eq!(parse_enabled(body).unwrap_err().details["field"], "enabled");
        }
    }

    #[test]
    fn new_mapping_needs_a_target_and_valid_names() {
        let m = NewMapping::parse(
            format!(
                r#"{{"endpoint_id":"{ARGO}","app_name":"guestbook","secret_ids":["{DSC}","{DSC}"],"paths":["prod/db"]}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(m.secret_ids.len(), 1);
        assert_eq!(m.paths.len(), 1);
        for (body, field) in [
            (
                format!(r#"{{"endpoint_id":"{ARGO}","app_name":"guestbook"}}"#),
                "secret_ids",
            ),
            (
                r#"{"endpoint_id":"x","app_name":"a","paths":["p"]}"#.to_owned(),
                "endpoint_id",
            ),
            (
                format!(r#"{{"endpoint_id":"{ARGO}","app_name":"Guest","paths":["p"]}}"#),
                "app_name",
            ),
            (
                format!(r#"{{"endpoint_id":"{ARGO}","app_name":"a","secret_ids":["x"]}}"#),
                "secret_ids",
            ),
            (
                format!(r#"{{"endpoint_id":"{ARGO}","app_name":"a","paths":"p"}}"#),
                "paths",
            ),
        ] {
            let e = NewMapping::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.details["field"], field, "{body}");
        }
    }

    #[test]
    fn parse_application_list_reads_swagger_shapes() {
        let list = br#"{"metadata":{},"items":[
            {"metadata":{"name":"web"},"status":{"sync":{"status":"OutOfSync"},"health":{"status":"Progressing"}}},
            {"metadata":{"name":"api"},"status":{"sync":{"status":"Synced"},"health":{"status":"Healthy"}}},
            {"metadata":{"name":"bare"}},
            {"metadata":{"name":"NOT valid"}},
            {"status":{}}
        ]}"#;
        let apps = parse_application_list(list).unwrap();
        let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["api", "bare", "web"]);
        assert_eq!(apps[0].sync_status, "Synced");
        assert_eq!(apps[0].health_status, "Healthy");
        assert_eq!(apps[1].sync_status, "Unknown");
        assert_eq!(
            parse_application_list(br#"{"items":null}"#).unwrap(),
            vec![]
        );
        assert!(parse_application_list(br#"{"items":{}}"#).is_err());
        assert!(parse_application_list(b"<html>").is_err());
    }

    #[test]
    fn parse_application_odd_status_is_unknown() {
        let app = parse_application(
            br#"{"metadata":{"name":"web"},"status":{"sync":{"status":"<script>"},"health":{"status":"Degraded"}}}"#,
        )
        .unwrap();
        assert_eq!(app.sync_status, "Unknown");
        assert_eq!(app.health_status, "Degraded");
        assert!(parse_application(br#"{"metadata":{}}"#).is_err());
    }
}
