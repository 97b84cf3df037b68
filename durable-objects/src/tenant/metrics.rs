//! `GET /v1/metrics` (issue 24): the tenant's figures, read in one step, and the commands
//! counted in the current rate window by route group and status class.
//!
//! The window's counts are kept in memory only, like the rate window between write-backs,
//! but are never written: they cover the minute the scrape falls in, and an object evicted
//! within it starts them again from zero (the rate window itself survives; its `used`
//! figure is the exact one). A command is counted once it is authenticated and admitted
//! by the rate limit: the commands it ran and the ones refused by scope or gate.

use super::*;
use latchkey_core::agent::{AgentQuery, AgentStatus};
use latchkey_core::metrics::{Count, TenantMetrics, WindowCount};
use std::collections::BTreeMap;

/// Counts per (route group, status class) in the window starting at `start_ms`.
#[derive(Default)]
pub(super) struct WindowRequests {
    start_ms: i64,
    counts: BTreeMap<(&'static str, &'static str), u64>,
}

fn window_start(now: Timestamp) -> i64 {
    let ms = now.unix_ms();
    ms - ms.rem_euclid(ratelimit::WINDOW_SECONDS * 1000)
}

impl WindowRequests {
    pub(super) fn count(&mut self, now: Timestamp, group: &'static str, status: u16) {
        let start = window_start(now);
        if start != self.start_ms {
            self.start_ms = start;
            self.counts.clear();
        }
        *self.counts.entry((group, class(status))).or_insert(0) += 1;
    }

    fn current(&self, now: Timestamp) -> Vec<WindowCount> {
        if self.start_ms != window_start(now) {
            return Vec::new();
        }
        self.counts
            .iter()
            .map(|((group, class), value)| WindowCount {
                group: (*group).into(),
                class: (*class).into(),
                value: *value,
            })
            .collect()
    }
}

/// The status class of an HTTP status.
pub(super) fn class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A command's route group: its contract area.
pub(super) fn group(command: &CallerCommand) -> &'static str {
    match command {
        CallerCommand::Secrets(_) => "secrets",
        CallerCommand::Fields(_) => "fields",
        CallerCommand::Tenant(_) => "tenant",
        CallerCommand::Tokens(_) => "tokens",
        CallerCommand::Approvals(_) => "approvals",
        CallerCommand::Notifications(_) => "notifications",
        CallerCommand::Audit(_) => "audit",
        CallerCommand::Agents(_) => "agents",
        CallerCommand::Passwords(_) => "passwords",
        CallerCommand::People(_) => "people",
        CallerCommand::AccessRequests(_) => "requests",
        CallerCommand::Wraps(_) => "wraps",
        CallerCommand::Vault(_) => "vault",
        CallerCommand::Vault002(_) => "vault002",
        CallerCommand::Broker(_) => "broker",
        CallerCommand::Maestro(_) => "maestro",
        CallerCommand::Ass(_) => "ass",
        CallerCommand::AgentPlane(_) => "agent_plane",
        CallerCommand::Envelopes(_) => "envelopes",
        CallerCommand::Discovered(_) => "discovered",
        CallerCommand::Carried(_) => "carried",
        CallerCommand::Socket(_) => "socket",
        CallerCommand::Metrics(_) => "metrics",
        CallerCommand::Console(_) => "console",
        CallerCommand::Gitops(_) => "gitops",
        CallerCommand::Projects(_) => "projects",
        CallerCommand::Workflows(_) => "workflows",
    }
}

fn count(storage: &Storage, sql: &str, bindings: Vec<V>) -> Result<u64, StorageError> {
    Ok(match query_one(storage, sql, bindings)? {
        Some(row) => u64::try_from(row.int(0)?).unwrap_or(0),
        None => 0,
    })
}

impl Tenant {
    /// `ReadMetrics`: every figure from this object's own rows and memory.
    pub(super) fn metrics(&self, ctx: &SecretContext<'_>) -> Result<TenantMetrics, ApiError> {
        let loaded = self
            .load()?
            .ok_or_else(|| internal("metrics", "tenant not loaded"))?;
        let fail = |e: StorageError| internal("metrics", e);
        let storage = ctx.storage;
        let now = ctx.now;
        let secrets = count(
            storage,
            "SELECT COUNT(*) FROM secrets WHERE deleted_at IS NULL",
            vec![],
        )
        .map_err(fail)?;
        let versions = count(
            storage,
            "SELECT COUNT(*) FROM secret_versions v JOIN secrets s ON s.path = v.path
             WHERE s.deleted_at IS NULL AND v.destroyed_at IS NULL",
            vec![],
        )
        .map_err(fail)?;
        let fields = count(
            storage,
            "SELECT COUNT(*) FROM secret_fields f JOIN secrets s ON s.path = f.path
             WHERE s.deleted_at IS NULL",
            vec![],
        )
        .map_err(fail)?;
        let every_agent = AgentQuery {
            status: None,
            label: None,
            search: None,
            page: 1,
            per_page: u64::MAX,
        };
        let (agents, _) = crate::agents::list(ctx, &every_agent)?;
        let mut by_status: BTreeMap<&'static str, u64> = BTreeMap::new();
        for agent in &agents {
            let name = match agent.status {
                AgentStatus::Online => "online",
                AgentStatus::Degraded => "degraded",
                AgentStatus::Offline => "offline",
                AgentStatus::Revoked => "revoked",
            };
            *by_status.entry(name).or_insert(0) += 1;
        }
        let now_ms = V::Integer(now.unix_ms());
        let pending_approvals = count(
            storage,
            "SELECT COUNT(*) FROM approvals WHERE status = 'pending' AND expires_at > ?",
            vec![now_ms.clone()],
        )
        .map_err(fail)?;
        let pending_requests = count(
            storage,
            "SELECT COUNT(*) FROM access_requests WHERE status = 'pending' AND expires_at > ?",
            vec![now_ms],
        )
        .map_err(fail)?;
        // One `secret.used` event per secret a call sent (or was refused to send): its
        // outcome is in the details once the Worker reported it, a refusal has none.
        let uses = crate::sql::query(
            storage,
            "SELECT COALESCE(json_extract(details, '$.outcome'), 'refused'), COUNT(*)
             FROM audit_events WHERE type = 'secret.used' GROUP BY 1 ORDER BY 1",
            vec![],
        )
        .map_err(fail)?;
        let mut broker_uses = Vec::new();
        for row in &uses {
            broker_uses.push(Count {
                label: row.text(0).map_err(fail)?,
                value: u64::try_from(row.int(1).map_err(fail)?).unwrap_or(0),
            });
        }
        let audit_events = count(
            storage,
            "SELECT COALESCE(MAX(seq), 0) FROM audit_events",
            vec![],
        )
        .map_err(fail)?;
        let rate = ratelimit::peek(self.window(storage)?, loaded.rate_limit, now);
        Ok(TenantMetrics {
            secrets,
            versions,
            fields,
            agents: by_status
                .into_iter()
                .map(|(label, value)| Count {
                    label: label.into(),
                    value,
                })
                .collect(),
            pending_approvals,
            pending_requests,
            window_requests: self.window_requests.borrow().current(now),
            rate_used: rate.limit.saturating_sub(rate.remaining),
            rate_limit: rate.limit,
            broker_uses,
            audit_events,
        })
    }
}
