//! Agents: processes on customer hosts that register once with a bootstrap token,
//! then prove who they are with a short-lived JWT, report their health, and read the secrets
//! an admin granted them (see the grant module, a layer above this one).

use crate::body;

use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub mod discovered;
pub mod discovery;
pub mod envelope;
pub mod jobs;
pub mod mint;
pub mod password;
mod query;
pub mod socket;
pub use query::{
    AgentQuery, AgentStatus, DEFAULT_PER_PAGE, MAX_AGENT_SEARCH_BYTES, MAX_PAGE, MAX_PER_PAGE,
    Pagination, StatusRules,
};

pub const DEFAULT_BOOTSTRAP_TTL_SECONDS: u64 = 86_400;
pub const MAX_BOOTSTRAP_TTL_SECONDS: u64 = 30 * 86_400;
pub const DEFAULT_MAX_REGISTRATIONS: u64 = 1;
pub const MAX_REGISTRATIONS: u64 = 10_000;
/// Labels on a bootstrap token (copied to every agent it registers) and metadata pairs.
pub const MAX_LABELS: usize = 32;
pub const MAX_LABEL_BYTES: usize = 128;
pub const MAX_NAME_BYTES: usize = 128;
pub const MAX_HOSTNAME_BYTES: usize = 253;
pub const MAX_OS_TYPE_BYTES: usize = 32;
/// The `agent_version` a health report may carry.
pub const MAX_AGENT_VERSION_BYTES: usize = 64;
/// How long an agent JWT lives.
pub const AGENT_JWT_TTL_SECONDS: i64 = 3_600;
/// A command's `params`, serialized.
pub const MAX_COMMAND_PARAMS_BYTES: usize = 4_096;
/// The certificate template agents enroll with for mTLS (the registration's `mtls_template_id`);
/// client certificates are not checked at the edge yet, see ARCHITECTURE.md.
pub const MTLS_TEMPLATE_ID: &str = "tpl_agent_mtls_v1";

pub type Labels = BTreeMap<String, String>;

pub use crate::id::AgentId;
prefixed_id!(BootstrapId, "bst_", "bootstrap token");
prefixed_id!(CommandId, "cmd_", "agent command");
prefixed_id!(GrantId, "grt_", "grant");
prefixed_id!(PasswordRequestId, "pwr_", "password request");

/// A string member, when given, must be non-empty, at most `max` bytes and free of control
/// characters.
pub(crate) fn bounded_text(
    field: &str,
    text: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    if text.is_empty() || text.len() > max {
        return Err(ApiError::validation(
            field,
            format!("'{field}' must be 1 to {max} bytes"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            format!("'{field}' must not contain control characters"),
        ));
    }
    Ok(Some(text))
}

/// A validated `POST /v1/agents/bootstrap` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapRequest {
    pub ttl_seconds: u64,
    pub max_registrations: u64,
    pub labels: Labels,
}

/// `POST /v1/agents/bootstrap` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapBody {
    #[serde(default)]
    ttl_seconds: body::IntIn<1, MAX_BOOTSTRAP_TTL_SECONDS>,
    #[serde(default)]
    max_registrations: body::IntIn<1, MAX_REGISTRATIONS>,
    #[serde(default)]
    labels: body::OptObject,
}

impl TryFrom<BootstrapBody> for BootstrapRequest {
    type Error = ApiError;

    fn try_from(body: BootstrapBody) -> Result<Self, ApiError> {
        Ok(BootstrapRequest {
            ttl_seconds: body.ttl_seconds.0.unwrap_or(DEFAULT_BOOTSTRAP_TTL_SECONDS),
            max_registrations: body
                .max_registrations
                .0
                .unwrap_or(DEFAULT_MAX_REGISTRATIONS),
            labels: body::string_map("labels", body.labels.0, MAX_LABELS, MAX_LABEL_BYTES)?,
        })
    }
}

impl BootstrapRequest {
    /// `{}` takes every default.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<BootstrapBody>(bytes)?.try_into()
    }
}

/// `POST /v1/agents/bootstrap` → 201: the token is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BootstrapCreated {
    pub token: String,
    pub id: BootstrapId,
    pub expires_at: Timestamp,
    pub max_registrations: u64,
    pub labels: Labels,
}

/// What an agent says about itself when it registers (the register body, without the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub name: String,
    pub hostname: Option<String>,
    pub os_type: Option<String>,
    pub metadata: Labels,
}

/// `POST /v1/agents/register` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    token: body::Text,
    name: body::Text,
    #[serde(default)]
    hostname: body::OptText,
    #[serde(default)]
    os_type: body::OptText,
    #[serde(default)]
    metadata: body::OptObject,
}

impl Registration {
    /// The body of `POST /v1/agents/register`: the bootstrap token and the registration.
    pub fn parse(bytes: &[u8]) -> Result<(String, Self), ApiError> {
        let body: RegistrationBody = body::parse(bytes)?;
        let registration = Registration {
            name: bounded_text("name", Some(body.name.0), MAX_NAME_BYTES)?.unwrap_or_default(),
            hostname: bounded_text("hostname", body.hostname.0, MAX_HOSTNAME_BYTES)?,
            os_type: bounded_text("os_type", body.os_type.0, MAX_OS_TYPE_BYTES)?,
            metadata: body::string_map("metadata", body.metadata.0, MAX_LABELS, MAX_LABEL_BYTES)?,
        };
        Ok((body.token.0, registration))
    }
}

/// `POST /v1/agents/register` → 201: the agent's id, its JWT and the mTLS template, plus when
/// the JWT expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registered {
    pub id: AgentId,
    pub token: String,
    pub expires_at: Timestamp,
    pub mtls_template_id: String,
}

/// `POST /v1/agents/me/refresh-token` → 200.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentJwtIssued {
    pub token: String,
    pub expires_at: Timestamp,
}

/// What an agent reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedHealth {
    Healthy,
    Degraded,
    Unhealthy,
}

/// A health report's `metrics`: percentages from 0 to 100.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_percent: Option<f64>,
}

impl Metrics {
    pub const NAMES: &'static [&'static str] = &["cpu_percent", "memory_percent", "disk_percent"];

    fn parse(map: &Map<String, Value>) -> Result<Self, ApiError> {
        if let Some(unknown) = map.keys().find(|k| !Self::NAMES.contains(&k.as_str())) {
            return Err(ApiError::validation(
                "metrics",
                format!(
                    "unknown metric '{unknown}'; expected {}",
                    Self::NAMES.join(", ")
                ),
            ));
        }
        let percent = |name: &str| -> Result<Option<f64>, ApiError> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => match value.as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => Ok(Some(p)),
                    _ => Err(ApiError::validation(
                        "metrics",
                        format!("'metrics.{name}' must be a number from 0 to 100"),
                    )),
                },
            }
        };
        Ok(Metrics {
            cpu_percent: percent("cpu_percent")?,
            memory_percent: percent("memory_percent")?,
            disk_percent: percent("disk_percent")?,
        })
    }

    /// The metrics over their threshold, by name (see [`StatusRules`]).
    pub fn over(&self, threshold_percent: f64) -> Vec<(&'static str, f64)> {
        [
            ("cpu_percent", self.cpu_percent),
            ("memory_percent", self.memory_percent),
            ("disk_percent", self.disk_percent),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.filter(|v| *v >= threshold_percent).map(|v| (name, v)))
        .collect()
    }
}

/// A validated `POST /v1/agents/me/health` body (the fields agents report, plus the optional
/// `agent_version` the list shows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: ReportedHealth,
    pub uptime_seconds: Option<u64>,
    pub metrics: Metrics,
    pub managed_secrets: Option<u64>,
    pub managed_certificates: Option<u64>,
    pub last_sync: Option<Timestamp>,
    pub agent_version: Option<String>,
}

impl HealthReport {
    /// The largest `uptime_seconds`.
    pub const MAX_UPTIME_SECONDS: u64 = u32::MAX as u64;
    /// The largest `managed_secrets` and `managed_certificates`.
    pub const MAX_MANAGED: u64 = 1_000_000;

    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let body: HealthReportBody = body::parse(bytes)?;
        let status = match body.status.0.as_str() {
            "healthy" => ReportedHealth::Healthy,
            "degraded" => ReportedHealth::Degraded,
            "unhealthy" => ReportedHealth::Unhealthy,
            other => {
                return Err(ApiError::validation(
                    "status",
                    format!("'status' is '{other}'; expected healthy, degraded or unhealthy"),
                ));
            }
        };
        let metrics = match &body.metrics.0 {
            Some(map) => Metrics::parse(map)?,
            None => Metrics::default(),
        };
        let last_sync = match body.last_sync.0 {
            None => None,
            Some(text) => {
                let at = Timestamp::parse_rfc3339(&text).ok_or_else(|| {
                    ApiError::validation("last_sync", "'last_sync' must be an RFC 3339 time")
                })?;
                // A clock a little ahead is tolerated; a sync from the future is not.
                if at > now.plus_seconds(300) {
                    return Err(ApiError::validation(
                        "last_sync",
                        "'last_sync' is in the future",
                    ));
                }
                Some(at)
            }
        };
        Ok(HealthReport {
            status,
            uptime_seconds: body.uptime_seconds.0,
            metrics,
            managed_secrets: body.managed_secrets.0,
            managed_certificates: body.managed_certificates.0,
            last_sync,
            agent_version: bounded_text(
                "agent_version",
                body.agent_version.0,
                MAX_AGENT_VERSION_BYTES,
            )?,
        })
    }
}

/// `POST /v1/agents/me/health` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthReportBody {
    status: body::Text,
    #[serde(default)]
    uptime_seconds: body::IntIn<0, { HealthReport::MAX_UPTIME_SECONDS }>,
    #[serde(default)]
    metrics: body::OptObject,
    #[serde(default)]
    managed_secrets: body::IntIn<0, { HealthReport::MAX_MANAGED }>,
    #[serde(default)]
    managed_certificates: body::IntIn<0, { HealthReport::MAX_MANAGED }>,
    #[serde(default)]
    last_sync: body::OptText,
    #[serde(default)]
    agent_version: body::OptText,
}

/// The commands an admin may queue for an agent; delivered once, in the next health reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    ForceSync,
    Rotate,
    RenewCertificate,
    Update,
}

impl CommandKind {
    /// Each command's name, in the order a list shows them.
    pub const ALL: &'static [(&'static str, CommandKind)] = &[
        ("force_sync", CommandKind::ForceSync),
        ("rotate", CommandKind::Rotate),
        ("renew_certificate", CommandKind::RenewCertificate),
        ("update", CommandKind::Update),
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == text).map(|(_, k)| *k)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("force_sync", |(n, _)| n)
    }
}

/// A validated `POST /v1/agents/{id}/commands` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRequest {
    #[serde(rename = "type")]
    pub kind: CommandKind,
    pub params: Map<String, Value>,
}

/// `POST /v1/agents/{id}/commands` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    #[serde(rename = "type")]
    kind: body::Text,
    #[serde(default)]
    params: body::OptObject,
}

impl CommandRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: CommandBody = body::parse(bytes)?;
        let kind_text = body.kind.0;
        let kind = CommandKind::parse(&kind_text).ok_or_else(|| {
            ApiError::validation(
                "type",
                format!(
                    "'type' is '{kind_text}'; expected one of: {}",
                    CommandKind::ALL
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let params = body.params.0.unwrap_or_default();
        let size = serde_json::to_string(&params).map_or(usize::MAX, |s| s.len());
        if size > MAX_COMMAND_PARAMS_BYTES {
            return Err(ApiError::validation(
                "params",
                format!("'params' is {size} bytes; the limit is {MAX_COMMAND_PARAMS_BYTES}"),
            ));
        }
        Ok(CommandRequest { kind, params })
    }
}

/// A queued command, as the admin and the agent see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentCommand {
    pub id: CommandId,
    #[serde(rename = "type")]
    pub kind: CommandKind,
    pub params: Map<String, Value>,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
}

/// Most commands (and most jobs) one `GET /v1/agents/{id}/commands` carries, and the default.
pub const MAX_ACTIVITY_LIMIT: u64 = 200;
pub const DEFAULT_ACTIVITY_LIMIT: u64 = 50;

/// `GET /v1/agents/{id}/commands?limit=`: how many of the newest commands and of the newest
/// jobs to list (each).
pub fn parse_activity_limit<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<u64, ApiError> {
    let mut limit = DEFAULT_ACTIVITY_LIMIT;
    for (name, v) in pairs {
        if name != "limit" {
            return Err(ApiError::validation(
                name,
                format!("unknown query parameter '{name}'; this route takes limit"),
            ));
        }
        limit = v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_ACTIVITY_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation(
                    "limit",
                    format!("'limit' must be 1 to {MAX_ACTIVITY_LIMIT}"),
                )
            })?;
    }
    Ok(limit)
}

/// What was sent to an agent, newest first: the commands queued for its heartbeat (delivered
/// or not yet) and the jobs queued for it to claim (with their status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentActivity {
    pub agent_id: AgentId,
    pub commands: Vec<AgentCommand>,
    pub jobs: Vec<jobs::Job>,
}

/// An agent in `GET /v1/agents` (the standard fleet-list fields, plus `name`, `status_reason`,
/// `revoked`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    pub id: AgentId,
    pub name: String,
    pub hostname: Option<String>,
    pub status: AgentStatus,
    pub status_reason: String,
    pub platform: Option<String>,
    pub agent_version: Option<String>,
    pub labels: Labels,
    pub last_heartbeat: Option<Timestamp>,
    /// Seed 001's name for the same moment (`POST …/heartbeat` and seed 000's health report
    /// both move it).
    pub last_seen_at: Option<Timestamp>,
    pub managed_secrets: u64,
    pub managed_certificates: u64,
    pub registered_at: Timestamp,
    pub revoked: bool,
    /// Set when a cascading revocation suspended the agent (the credential behind its
    /// bootstrap token was revoked): refused until an admin reinstates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_reason: Option<String>,
}

/// `PUT /v1/agents/settings`: the tenant's heartbeat interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    pub heartbeat_interval_seconds: u64,
}

impl AgentSettings {
    pub const DEFAULT_INTERVAL_SECONDS: u64 = 60;
    pub const MAX_INTERVAL_SECONDS: u64 = 86_400;
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: AgentSettingsBody = body::parse(bytes)?;
        let interval = body.heartbeat_interval_seconds.0.ok_or_else(|| {
            ApiError::validation(
                "heartbeat_interval_seconds",
                "'heartbeat_interval_seconds' is required",
            )
        })?;
        Ok(AgentSettings {
            heartbeat_interval_seconds: interval,
        })
    }
}

/// `PUT /v1/agents/settings` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettingsBody {
    #[serde(default)]
    heartbeat_interval_seconds: body::IntIn<1, { AgentSettings::MAX_INTERVAL_SECONDS }>,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            heartbeat_interval_seconds: Self::DEFAULT_INTERVAL_SECONDS,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn activity_limit_is_bounded_and_named() {
        assert_eq!(
            super::parse_activity_limit([]).unwrap(),
            super::DEFAULT_ACTIVITY_LIMIT
        );
        assert_eq!(super::parse_activity_limit([("limit", "7")]).unwrap(), 7);
        for bad in ["0", "201", "-1", "x", ""] {
            let e = super::parse_activity_limit([("limit", bad)]).unwrap_err();
            assert_eq!(e.status(), 422, "{bad}");
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some("limit")
            );
        }
        let e = super::parse_activity_limit([("cursor", "1")]).unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(|f| f.as_str()),
            Some("cursor")
        );
    }

    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-25T12:00:00Z").unwrap()
    }

    #[test]
    fn ids_round_trip_and_reject_other_shapes() {
        let id = AgentId::generate().unwrap();
        assert!(id.as_str().starts_with("agt_"));
        assert_eq!(AgentId::parse(id.as_str()).unwrap(), id);
        for bad in [
            "",
            "agt_",
            "agt_0123456789abcdef0123456",
            "agt_0123456789abcdef012345678",
            "agt_0123456789ABCDEF01234567",
            "grt_0123456789abcdef01234567",
            "agt_0123456789abcdef0123456g",
        ] {
            assert!(AgentId::parse(bad).is_err(), "{bad}");
        }
        assert!(GrantId::parse("grt_0123456789abcdef01234567").is_ok());
    }

    #[test]
    fn bootstrap_defaults_and_bounds() {
        let defaults = BootstrapRequest::parse(b"{}").unwrap();
        assert!(BootstrapRequest::parse(b"").is_err());
        assert_eq!(defaults.ttl_seconds, 86_400);
        assert_eq!(defaults.max_registrations, 1);
        let set = BootstrapRequest::parse(
            br#"{"ttl_seconds": 60, "max_registrations": 5, "labels": {"env": "prod"}}"#,
        )
        .unwrap();
        assert_eq!(set.max_registrations, 5);
        assert_eq!(set.labels.get("env").map(String::as_str), Some("prod"));
        for (body, field) in [
            (r#"{"ttl_seconds": 0}"#, "ttl_seconds"),
            (r#"{"ttl_seconds": 2592001}"#, "ttl_seconds"),
            (r#"{"max_registrations": 0}"#, "max_registrations"),
            (r#"{"max_registrations": "3"}"#, "max_registrations"),
            (r#"{"labels": {"env": 1}}"#, "labels"),
            (r#"{"labels": []}"#, "labels"),
            (r#"{"label": {}}"#, "label"),
        ] {
            let e = BootstrapRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}"
            );
        }
    }

    #[test]
    fn registration_needs_a_token_and_a_name() {
        let (token, reg) = Registration::parse(
            br#"{"token": "t", "name": "app-1", "hostname": "app-1.example.com", "os_type": "linux", "metadata": {"role": "web"}}"#,
        )
        .unwrap();
        assert_eq!(token, "t");
        assert_eq!(reg.name, "app-1");
        assert_eq!(reg.os_type.as_deref(), Some("linux"));
        for (body, field) in [
            (r#"{"name": "a"}"#, "token"),
            (r#"{"token": "t"}"#, "name"),
            (r#"{"token": "t", "name": ""}"#, "name"),
            (r#"{"token": "t", "name": "a\nb"}"#, "name"),
            (r#"{"token": "t", "name": "a", "hostname": 5}"#, "hostname"),
            (
                r#"{"token": "t", "name": "a", "metadata": {"k": {}}}"#,
                "metadata",
            ),
        ] {
            let e = Registration::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}"
            );
        }
    }

    #[test]
    fn health_reports_are_validated() {
        let report = HealthReport::parse(
            br#"{"status": "healthy", "uptime_seconds": 86400, "metrics": {"cpu_percent": 15.2, "memory_percent": 42.8, "disk_percent": 67.1}, "managed_secrets": 12, "managed_certificates": 5, "last_sync": "2026-11-25T11:55:00Z"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(report.status, ReportedHealth::Healthy);
        assert_eq!(report.metrics.disk_percent, Some(67.1));
        assert_eq!(report.managed_secrets, Some(12));
        for (body, field) in [
            (r#"{}"#, "status"),
            (r#"{"status": "fine"}"#, "status"),
            (
                r#"{"status": "healthy", "metrics": {"cpu_percent": 101}}"#,
                "metrics",
            ),
            (
                r#"{"status": "healthy", "metrics": {"gpu_percent": 1}}"#,
                "metrics",
            ),
            (
                r#"{"status": "healthy", "uptime_seconds": -1}"#,
                "uptime_seconds",
            ),
            (
                r#"{"status": "healthy", "last_sync": "yesterday"}"#,
                "last_sync",
            ),
            (
                r#"{"status": "healthy", "last_sync": "2027-01-01T00:00:00Z"}"#,
                "last_sync",
            ),
        ] {
            let e = HealthReport::parse(body.as_bytes(), now()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}"
            );
        }
    }

    #[test]
    fn metrics_over_a_threshold_are_named() {
        let metrics = Metrics {
            cpu_percent: Some(95.0),
            memory_percent: Some(10.0),
            disk_percent: None,
        };
        assert_eq!(metrics.over(90.0), vec![("cpu_percent", 95.0)]);
    }

    #[test]
    fn commands_are_validated() {
        let command =
            CommandRequest::parse(br#"{"type": "rotate", "params": {"path": "a/b"}}"#).unwrap();
        assert_eq!(command.kind, CommandKind::Rotate);
        assert_eq!(CommandKind::Rotate.as_str(), "rotate");
        assert!(CommandRequest::parse(br#"{"type": "reboot"}"#).is_err());
        let big = format!(
            r#"{{"type": "update", "params": {{"x": "{}"}}}}"#,
            "a".repeat(5000)
        );
        assert!(CommandRequest::parse(big.as_bytes()).is_err());
    }
}
