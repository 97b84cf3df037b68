//! `GET /v1/info` (seed 003, per tenant): counts and storage size, never names or values.

use crate::http::{Reply, json};
use crate::tenant_client::{Caller, unexpected};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use worker::Env;

/// → 200 `{tenant_id, plan, secret_count, deleted_count, version_count, field_count,
/// storage_bytes}`; needs `secrets:read:*`.
pub async fn info(env: &Env, caller: &Caller) -> Reply {
    match caller.run(env, Ok(TenantCommand::Info)).await? {
        TenantReply::Info(info) => json(200, &info),
        other => Err(unexpected(&other)),
    }
}
