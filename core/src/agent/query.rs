//! An agent's status, derived at read time from its last heartbeat and report, and the
//! `GET /v1/agents` query.

use super::{HealthReport, Labels, ReportedHealth};
use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An agent's status in the fleet list: `online`, `degraded` or `offline` (seed 000), or
/// `revoked` (seed 001: revocation transitions the status to `revoked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Degraded,
    Offline,
    Revoked,
}

impl AgentStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "online" => Some(AgentStatus::Online),
            "degraded" => Some(AgentStatus::Degraded),
            "offline" => Some(AgentStatus::Offline),
            "revoked" => Some(AgentStatus::Revoked),
            _ => None,
        }
    }
}

/// How a status is derived. The agent API fixes the ends: `online` while the last heartbeat is
/// within 2× the interval, `offline` beyond 3×. Between the two the agent is `degraded`
/// (it is late, which is a problem worth showing, but not yet gone). A heartbeat that arrives
/// in time still makes the agent `degraded` when it reports itself `degraded` or `unhealthy`,
/// or when a metric reaches [`StatusRules::METRIC_THRESHOLD_PERCENT`].
#[derive(Debug, Clone, Copy)]
pub struct StatusRules {
    pub interval_seconds: u64,
}

impl StatusRules {
    pub const METRIC_THRESHOLD_PERCENT: f64 = 90.0;

    /// The status and why. An agent that never reported counts from its registration; a
    /// revoked agent is `revoked`, a suspended one `offline`.
    pub fn derive(
        &self,
        registered_at: Timestamp,
        last_heartbeat: Option<Timestamp>,
        report: Option<&HealthReport>,
        revoked: bool,
        now: Timestamp,
    ) -> (AgentStatus, String) {
        if revoked {
            return (AgentStatus::Revoked, "revoked".into());
        }
        let interval_ms = i64::try_from(self.interval_seconds)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let seen = last_heartbeat.unwrap_or(registered_at);
        let age_ms = now.unix_ms().saturating_sub(seen.unix_ms()).max(0);
        let since = match last_heartbeat {
            Some(_) => "last heartbeat",
            None => "registered, no heartbeat yet",
        };
        let age_s = age_ms / 1000;
        if age_ms > interval_ms.saturating_mul(3) {
            return (
                AgentStatus::Offline,
                format!(
                    "{since} {age_s} s ago, more than 3× the {} s interval",
                    self.interval_seconds
                ),
            );
        }
        if age_ms > interval_ms.saturating_mul(2) {
            return (
                AgentStatus::Degraded,
                format!(
                    "{since} {age_s} s ago, more than 2× the {} s interval",
                    self.interval_seconds
                ),
            );
        }
        if let Some(report) = report {
            match report.status {
                ReportedHealth::Healthy => {}
                ReportedHealth::Degraded => {
                    return (AgentStatus::Degraded, "agent reports degraded".into());
                }
                ReportedHealth::Unhealthy => {
                    return (AgentStatus::Degraded, "agent reports unhealthy".into());
                }
            }
            let over = report.metrics.over(Self::METRIC_THRESHOLD_PERCENT);
            if !over.is_empty() {
                let named: Vec<String> = over
                    .iter()
                    .map(|(name, value)| format!("{name} {value}"))
                    .collect();
                return (
                    AgentStatus::Degraded,
                    format!(
                        "{} at or over {}%",
                        named.join(", "),
                        Self::METRIC_THRESHOLD_PERCENT
                    ),
                );
            }
        }
        (AgentStatus::Online, format!("{since} {age_s} s ago"))
    }
}

pub const DEFAULT_PER_PAGE: u64 = 25;
pub const MAX_PER_PAGE: u64 = 100;
pub const MAX_PAGE: u64 = 1_000_000;
/// `search`: a host name's limit.
pub const MAX_AGENT_SEARCH_BYTES: usize = 253;

/// `GET /v1/agents?status=&label=key=value&search=&page=&per_page=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentQuery {
    pub status: Option<AgentStatus>,
    pub label: Option<(String, String)>,
    /// A case-insensitive substring of the hostname (or the name).
    pub search: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

impl AgentQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut query = AgentQuery {
            status: None,
            label: None,
            search: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        };
        let number = |name: &str, value: &str, max: u64| -> Result<u64, ApiError> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::validation(
                        name,
                        format!("'{name}' must be an integer from 1 to {max}"),
                    )
                })
        };
        for (name, value) in pairs {
            match name.as_str() {
                "status" => {
                    query.status = Some(AgentStatus::parse(value).ok_or_else(|| {
                        ApiError::validation(
                            "status",
                            format!("'status' is '{value}'; expected online, degraded, offline or revoked"),
                        )
                    })?);
                }
                "label" => {
                    let (key, wanted) = value
                        .split_once('=')
                        .filter(|(k, _)| !k.is_empty())
                        .ok_or_else(|| {
                            ApiError::validation("label", "'label' must be key=value")
                        })?;
                    query.label = Some((key.to_owned(), wanted.to_owned()));
                }
                "search" => {
                    if value.len() > MAX_AGENT_SEARCH_BYTES {
                        return Err(ApiError::validation(
                            "search",
                            format!("'search' is longer than {MAX_AGENT_SEARCH_BYTES} bytes"),
                        ));
                    }
                    query.search = Some(value.to_lowercase()).filter(|s| !s.is_empty());
                }
                "page" => query.page = number("page", value, MAX_PAGE)?,
                "per_page" => query.per_page = number("per_page", value, MAX_PER_PAGE)?,
                other => {
                    return Err(ApiError::validation(
                        other,
                        format!(
                            "unknown query parameter '{other}'; expected status, label, search, page or per_page"
                        ),
                    ));
                }
            }
        }
        Ok(query)
    }

    /// Whether an agent with these attributes is listed.
    pub fn admits(
        &self,
        status: AgentStatus,
        labels: &Labels,
        hostname: Option<&str>,
        name: &str,
    ) -> bool {
        let status_ok = self.status.is_none_or(|wanted| wanted == status);
        let label_ok = self
            .label
            .as_ref()
            .is_none_or(|(k, v)| labels.get(k).is_some_and(|have| have == v));
        let search_ok = self.search.as_ref().is_none_or(|needle| {
            hostname.is_some_and(|h| h.to_lowercase().contains(needle.as_str()))
                || name.to_lowercase().contains(needle.as_str())
        });
        status_ok && label_ok && search_ok
    }
}

/// The `pagination` object of the fleet list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Metrics;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_unix_ms(1_800_000_000_000 + s * 1000).unwrap()
    }

    fn report(status: ReportedHealth, cpu: Option<f64>) -> HealthReport {
        HealthReport {
            status,
            uptime_seconds: None,
            metrics: Metrics {
                cpu_percent: cpu,
                memory_percent: None,
                disk_percent: None,
            },
            managed_secrets: None,
            managed_certificates: None,
            last_sync: None,
            agent_version: None,
        }
    }

    #[test]
    fn status_follows_the_heartbeat_age() {
        let rules = StatusRules {
            interval_seconds: 10,
        };
        let healthy = report(ReportedHealth::Healthy, Some(10.0));
        let status = |age: i64| {
            rules
                .derive(at(0), Some(at(0)), Some(&healthy), false, at(age))
                .0
        };
        assert_eq!(status(0), AgentStatus::Online);
        assert_eq!(
            status(20),
            AgentStatus::Online,
            "exactly 2× is still online"
        );
        assert_eq!(status(21), AgentStatus::Degraded);
        assert_eq!(
            status(30),
            AgentStatus::Degraded,
            "exactly 3× is not yet offline"
        );
        assert_eq!(status(31), AgentStatus::Offline);
    }

    #[test]
    fn reports_and_metrics_degrade_an_agent_in_time() {
        let rules = StatusRules {
            interval_seconds: 60,
        };
        let derive = |r: &HealthReport| rules.derive(at(0), Some(at(0)), Some(r), false, at(5));
        assert_eq!(
            derive(&report(ReportedHealth::Unhealthy, None)).0,
            AgentStatus::Degraded
        );
        assert_eq!(
            derive(&report(ReportedHealth::Degraded, None)).0,
            AgentStatus::Degraded
        );
        let (status, why) = derive(&report(ReportedHealth::Healthy, Some(92.5)));
        assert_eq!(status, AgentStatus::Degraded);
        assert!(why.contains("cpu_percent 92.5"), "{why}");
        assert_eq!(
            derive(&report(ReportedHealth::Healthy, Some(89.9))).0,
            AgentStatus::Online
        );
    }

    #[test]
    fn never_reporting_counts_from_registration_and_revoked_is_revoked() {
        let rules = StatusRules {
            interval_seconds: 10,
        };
        assert_eq!(
            rules.derive(at(0), None, None, false, at(5)).0,
            AgentStatus::Online
        );
        assert_eq!(
            rules.derive(at(0), None, None, false, at(40)).0,
            AgentStatus::Offline
        );
        assert_eq!(
            rules.derive(at(0), Some(at(0)), None, true, at(1)).0,
            AgentStatus::Revoked
        );
        assert_eq!(AgentStatus::parse("revoked"), Some(AgentStatus::Revoked));
    }

    #[test]
    fn queries_parse_and_filter() {
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let q = AgentQuery::parse(&pairs(&[
            ("status", "online"),
            ("label", "env=prod"),
            ("search", "App"),
            ("page", "2"),
            ("per_page", "10"),
        ]))
        .unwrap();
        assert_eq!(q.page, 2);
        let mut labels = Labels::new();
        labels.insert("env".into(), "prod".into());
        assert!(q.admits(AgentStatus::Online, &labels, Some("app-1.example.com"), "x"));
        assert!(!q.admits(
            AgentStatus::Offline,
            &labels,
            Some("app-1.example.com"),
            "x"
        ));
        assert!(!q.admits(AgentStatus::Online, &Labels::new(), Some("app-1"), "x"));
        assert!(!q.admits(AgentStatus::Online, &labels, Some("db-1"), "x"));
        for bad in [
            ("status", "up"),
            ("label", "env"),
            ("label", "=x"),
            ("page", "0"),
            ("per_page", "101"),
            ("per_page", "ten"),
            ("sort", "name"),
        ] {
            let e = AgentQuery::parse(&pairs(&[bad])).unwrap_err();
            assert_eq!(e.details.get("field").and_then(|f| f.as_str()), Some(bad.0));
        }
    }
}
