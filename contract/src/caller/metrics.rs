//! `GET /v1/metrics` (issue 24): the tenant's figures for a Prometheus scrape, read in one
//! step by the tenant object.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct ReadMetrics;

/// The exposition text, rendered in the object by the core's writer
/// (`latchkey_core::metrics::TenantMetrics::render`): the Worker passes it through, so it
/// carries neither the figures' decoder nor their renderer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Exposition(pub String);

area! {
    pub enum MetricsCommand in CallerCommand::Metrics {
        ReadMetrics => Exposition,
    }
}

impl MetricsCommand {
    pub fn rules(&self) -> Rules {
        match self {
            // A scraper calls every few seconds: an event each time would swamp the chain
            // (and grow the chain length it reports), so only refusals are recorded, as for
            // agents' health reports. It counts against the rate limit but never spends a
            // token's `max_uses`.
            MetricsCommand::ReadMetrics(_) => Rules::of(
                Access::Scope(Scope::AuditRead),
                Audit::RefusalsOnly("metrics.read"),
                Releases::Nothing,
                Cache::Empties,
                Metering::RateOnly,
                Effect::Reads,
            ),
        }
    }
}
