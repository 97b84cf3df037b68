//! Operator routes under `/v1/admin`.

use super::now;
use super::probes::D1_BINDING;
use crate::auth::require_operator;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{RequestMeta, call_tenant};
use latchkey_contract::operator::{InitTenant, SetPlan};
use latchkey_core::credential::mint_master_key;
use latchkey_core::tenant::{NewTenant, TenantUpdate};
use latchkey_core::{ApiError, Plan, TenantId};
use serde_json::json;
use worker::{Env, Request, console_error};

fn storage_failure(context: &str, e: impl std::fmt::Display) -> ApiError {
    console_error!("create tenant: {context}: {e}");
    ApiError::internal()
}

/// `POST /v1/admin/tenants` `{name, plan}` → 201 with the master key, shown this once.
///
/// The registry row goes to D1 first as `provisioning`, then the tenant object is created,
/// then the row becomes `active`: a failure in between leaves a visible, inert row, never a
/// tenant object that the registry does not know.
pub async fn create_tenant(request: &mut Request, env: &Env, meta: &RequestMeta) -> Reply {
    require_operator(request, env)?;
    let bytes = read_json_body(request).await?;
    let NewTenant { name, plan } = NewTenant::parse(&bytes)?;
    let tenant_id = TenantId::generate().map_err(|e| storage_failure("id", e))?;
    let master_key = mint_master_key(&tenant_id).map_err(|e| storage_failure("key", e))?;
    let db = env
        .d1(D1_BINDING)
        .map_err(|e| storage_failure("d1 binding", e))?;
    let registered_at = now().to_rfc3339();
    db.prepare(
        "INSERT INTO tenants (id, name, plan, status, created_at) VALUES (?1, ?2, ?3, 'provisioning', ?4)",
    )
    .bind(&[
        tenant_id.as_str().into(),
        name.as_str().into(),
        plan.as_str().into(),
        registered_at.as_str().into(),
    ])
    .map_err(|e| storage_failure("d1 bind", e))?
    .run()
    .await
    .map_err(|e| storage_failure("d1 insert", e))?;
    let command = InitTenant {
        tenant_id: tenant_id.clone(),
        name: name.clone(),
        plan,
        master_key_hash: master_key.hash,
    };
    let created_at = call_tenant(env, &tenant_id, meta, command).await?;
    db.prepare("UPDATE tenants SET status = 'active' WHERE id = ?1")
        .bind(&[tenant_id.as_str().into()])
        .map_err(|e| storage_failure("d1 bind", e))?
        .run()
        .await
        .map_err(|e| storage_failure("d1 activate", e))?;
    json(
        201,
        &json!({
            "tenant_id": tenant_id,
            "name": name.as_str(),
            "plan": plan,
            "master_key": master_key.value.as_str(),
            "created_at": created_at,
        }),
    )
}

/// `PATCH /v1/admin/tenants/{id}` `{plan, rate_limit_per_minute}` → 200. A custom rate limit
/// overrides the plan's (free 100/min, pro 1,000/min; enterprise has none of its own); `null`
/// clears it.
pub async fn update_tenant(
    request: &mut Request,
    env: &Env,
    meta: &RequestMeta,
    tenant_id: TenantId,
) -> Reply {
    require_operator(request, env)?;
    let bytes = read_json_body(request).await?;
    let update = TenantUpdate::parse(&bytes)?;
    let db = env
        .d1(D1_BINDING)
        .map_err(|e| storage_failure("d1 binding", e))?;
    let row = db
        .prepare(
            "SELECT plan, rate_limit_per_minute FROM tenants WHERE id = ?1 AND status = 'active'",
        )
        .bind(&[tenant_id.as_str().into()])
        .map_err(|e| storage_failure("d1 bind", e))?
        .first::<serde_json::Value>(None)
        .await
        .map_err(|e| storage_failure("d1 select", e))?
        .ok_or_else(|| {
            ApiError::not_found(format!("tenant '{tenant_id}' not found"))
                .with("id", tenant_id.as_str())
        })?;
    let stored_plan = row
        .get("plan")
        .and_then(|v| v.as_str())
        .and_then(|text| Plan::parse(text).ok())
        .ok_or_else(|| storage_failure("stored plan", "unreadable"))?;
    let plan = update.plan.unwrap_or(stored_plan);
    let rate_limit_per_minute = match update.rate_limit_per_minute {
        Some(custom) => custom,
        None => row.get("rate_limit_per_minute").and_then(|v| v.as_u64()),
    };
    call_tenant(
        env,
        &tenant_id,
        meta,
        SetPlan {
            plan,
            rate_limit_per_minute,
        },
    )
    .await?;
    let custom_value: worker::wasm_bindgen::JsValue = match rate_limit_per_minute {
        Some(n) => (n as f64).into(),
        None => worker::wasm_bindgen::JsValue::NULL,
    };
    db.prepare("UPDATE tenants SET plan = ?1, rate_limit_per_minute = ?2 WHERE id = ?3")
        .bind(&[
            plan.as_str().into(),
            custom_value,
            tenant_id.as_str().into(),
        ])
        .map_err(|e| storage_failure("d1 bind", e))?
        .run()
        .await
        .map_err(|e| storage_failure("d1 update", e))?;
    json(
        200,
        &json!({
            "tenant_id": tenant_id,
            "plan": plan,
            "rate_limit_per_minute": rate_limit_per_minute,
            "effective_rate_limit_per_minute": latchkey_core::ratelimit::plan_limit(plan, rate_limit_per_minute),
        }),
    )
}
