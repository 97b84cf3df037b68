//! `GET /v1/health`, `GET /healthz`, `GET /readyz`, and the benchmark's floor
//! `POST /v1/bench/baseline`.

use super::now;
use crate::config::Config;
use crate::http::{Reply, json};
use crate::registry::Registry;
use crate::tenant_client;
use latchkey_core::ApiError;
use serde_json::{Map, Value, json};
use worker::{Env, console_error};

pub fn health() -> Reply {
    json(200, &json!({"status": "ok", "time": now()}))
}

pub fn liveness() -> Reply {
    json(200, &json!({"status": "ok"}))
}

/// Whether D1 and the Durable Objects answer: `GET /readyz`'s checks, also reported by
/// `GET /metrics`.
pub async fn checks(env: &Env) -> (bool, bool) {
    let d1_ok = match Registry::open(env) {
        Ok(registry) => match registry.ping().await {
            Ok(()) => true,
            Err(e) => {
                console_error!("readyz: d1: {e}");
                false
            }
        },
        Err(_) => false,
    };
    let objects_ok = tenant_client::ping(env).await.is_ok();
    (d1_ok, objects_ok)
}

/// 200 when D1 and the Durable Objects answer; 503 with a map of what failed otherwise.
pub async fn readiness(env: &Env) -> Reply {
    let (d1_ok, objects_ok) = checks(env).await;
    let mut checks = Map::new();
    checks.insert(
        "d1".into(),
        Value::from(if d1_ok { "ok" } else { "unreachable" }),
    );
    checks.insert(
        "durable_objects".into(),
        Value::from(if objects_ok { "ok" } else { "error" }),
    );
    if d1_ok && objects_ok {
        json(200, &json!({"status": "ready", "checks": checks}))
    } else {
        Err(ApiError::unavailable("not ready").with("checks", Value::Object(checks)))
    }
}

/// `POST /v1/bench/baseline` (only when the Worker var `BENCH` is `true`): routes to the
/// caller's tenant object, which writes one row, and nothing more: no authentication, rate
/// limit, crypto or audit. `scripts/bench` compares every real route with it.
pub async fn bench_baseline(
    request: &mut worker::Request,
    env: &Env,
    config: &Config,
    meta: &crate::tenant_client::RequestMeta,
) -> Reply {
    if !config.bench_enabled {
        return Err(ApiError::not_found("no route for /v1/bench/baseline"));
    }
    let credential = crate::credentials::tenant_credential(request)?;
    crate::tenant_client::call_tenant(
        env,
        &credential.tenant,
        meta,
        latchkey_contract::probe::BenchBaseline,
    )
    .await?;
    Ok(worker::Response::builder().with_status(204).empty())
}
