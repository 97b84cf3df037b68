//! `GET /v1/info` (per tenant): counts and storage size, never names or values.

use crate::http::{Reply, json};
use crate::tenant_client::Caller;
use latchkey_contract::caller::tenant::Info;
use worker::Env;

/// → 200 `{tenant_id, plan, secret_count, deleted_count, version_count, field_count,
/// storage_bytes}`; needs `secrets:read:*`.
pub async fn info(env: &Env, caller: &Caller) -> Reply {
    let info = caller.run(env, Ok(Info)).await?;
    json(200, &info)
}
