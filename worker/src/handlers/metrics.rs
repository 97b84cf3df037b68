//! `GET /metrics` (public: the deployment's figures, none about a tenant) and
//! `GET /v1/metrics` (`audit:read`: the caller's tenant's), both Prometheus text exposition
//! written by the core's writer.

use super::probes;
use crate::http::Reply;
use crate::tenant_client::Caller;
use latchkey_contract::caller::metrics::ReadMetrics;
use latchkey_core::ApiError;
use latchkey_core::metrics::{CONTENT_TYPE, DeploymentMetrics};
use worker::{Env, ResponseBuilder, console_error};

fn exposition(text: String) -> Reply {
    ResponseBuilder::new()
        .with_status(200)
        .with_header("Content-Type", CONTENT_TYPE)
        .map(|builder| builder.fixed(text.into_bytes()))
        .map_err(|e| {
            console_error!("response header: {e}");
            ApiError::internal()
        })
}

/// `GET /metrics`: build info, `up`, and `GET /readyz`'s two checks. Always 200 (a failed
/// check is a 0), so a scraper tells "not ready" from "not answering".
pub async fn deployment(env: &Env) -> Reply {
    let (d1_ready, objects_ready) = probes::checks(env).await;
    exposition(
        DeploymentMetrics {
            version: env!("CARGO_PKG_VERSION").into(),
            d1_ready,
            objects_ready,
        }
        .render(),
    )
}

/// `GET /v1/metrics`: the tenant object's figures, read and rendered in one command.
pub async fn tenant(env: &Env, caller: &Caller) -> Reply {
    let text = caller.run(env, Ok(ReadMetrics)).await?;
    exposition(text.0)
}
