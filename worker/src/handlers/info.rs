//! `GET /v1/info` (seed 003, per tenant): counts and storage size, never names or values.

use crate::auth::tenant_credential;
use crate::http::{Reply, json};
use crate::tenant_client::{run, unexpected};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use worker::{Env, Request};

/// → 200 `{tenant_id, plan, secret_count, deleted_count, version_count, field_count,
/// storage_bytes}`.
pub async fn info(request: &mut Request, env: &Env) -> Reply {
    let credential = tenant_credential(request)?;
    match run(env, &credential, TenantCommand::Info).await? {
        TenantReply::Info(info) => json(200, &info),
        other => Err(unexpected(&other)),
    }
}
