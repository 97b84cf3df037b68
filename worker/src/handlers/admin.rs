//! Operator routes under `/v1/admin`.

use super::now;
use crate::config::Config;
use crate::credentials::require_operator;
use crate::http::{Reply, json, read_json_body};
use crate::registry::Registry;
use crate::tenant_client::{RequestMeta, call_tenant};
use latchkey_contract::operator::{InitTenant, SetPlan};
use latchkey_core::credential::mint_master_key;
use latchkey_core::tenant::{NewTenant, TenantUpdate};
use latchkey_core::{ApiError, TenantId};
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
pub async fn create_tenant(
    request: &mut Request,
    env: &Env,
    config: &Config,
    meta: &RequestMeta,
) -> Reply {
    require_operator(request, config)?;
    let bytes = read_json_body(request).await?;
    let NewTenant { name, plan } = NewTenant::parse(&bytes)?;
    let tenant_id = TenantId::generate().map_err(|e| storage_failure("id", e))?;
    let master_key = mint_master_key(&tenant_id).map_err(|e| storage_failure("key", e))?;
    let registry = Registry::open(env)?;
    registry
        .register(&tenant_id, name.as_str(), plan, &now().to_rfc3339())
        .await?;
    let command = InitTenant {
        tenant_id: tenant_id.clone(),
        name: name.clone(),
        plan,
        master_key_hash: master_key.hash,
    };
    let created_at = call_tenant(env, &tenant_id, meta, command).await?;
    registry.activate(&tenant_id).await?;
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

/// `POST /v1/admin/agent-releases` `{platform, version, url, sha256}` → 201: a new agent
/// version for one platform, in D1 (every tenant's agents share the catalog). A version
/// already published for the platform is 409: a published URL and hash never change.
pub async fn publish_agent_release(request: &mut Request, env: &Env, config: &Config) -> Reply {
    require_operator(request, config)?;
    let bytes = read_json_body(request).await?;
    let release = latchkey_core::agent::mint::AgentRelease::parse(&bytes)?;
    let published_at = now().to_rfc3339();
    if !Registry::open(env)?
        .publish_release(&release, &published_at)
        .await?
    {
        return Err(ApiError::conflict(format!(
            "version '{}' is already published for platform '{}'; publish a new version",
            release.version, release.platform
        ))
        .with("field", "version"));
    }
    json(
        201,
        &json!({
            "platform": release.platform,
            "version": release.version,
            "url": release.url,
            "sha256": release.sha256,
            "published_at": published_at,
        }),
    )
}

/// `PATCH /v1/admin/tenants/{id}` `{plan, rate_limit_per_minute, hostnames}` → 200. A custom rate limit
/// overrides the plan's (free 100/min, pro 1,000/min; enterprise has none of its own); `null`
/// clears it. `hostnames` replaces the tenant's hostnames, by which the `/api/v1` face's login
/// knows its tenant.
pub async fn update_tenant(
    request: &mut Request,
    env: &Env,
    config: &Config,
    meta: &RequestMeta,
    tenant_id: TenantId,
) -> Reply {
    require_operator(request, config)?;
    let bytes = read_json_body(request).await?;
    let update = TenantUpdate::parse(&bytes)?;
    let registry = Registry::open(env)?;
    let (stored_plan, stored_custom) =
        registry.active_plan(&tenant_id).await?.ok_or_else(|| {
            ApiError::not_found(format!("tenant '{tenant_id}' not found"))
                .with("id", tenant_id.as_str())
        })?;
    if let Some(hostnames) = &update.hostnames {
        registry.set_hostnames(&tenant_id, hostnames).await?;
    }
    let plan = update.plan.unwrap_or(stored_plan);
    let rate_limit_per_minute = match update.rate_limit_per_minute {
        Some(custom) => custom,
        None => stored_custom,
    };
    call_tenant(
        env,
        &tenant_id,
        meta,
        SetPlan {
            plan,
            rate_limit_per_minute,
            non_expiring_tokens: update.non_expiring_tokens,
            mcp_value_tools: update.mcp_value_tools,
            gitops_enabled: update.gitops_enabled,
        },
    )
    .await?;
    registry
        .set_plan(&tenant_id, plan, rate_limit_per_minute)
        .await?;
    let hostnames = registry.hostnames(&tenant_id).await?;
    json(
        200,
        &json!({
            "tenant_id": tenant_id,
            "plan": plan,
            "rate_limit_per_minute": rate_limit_per_minute,
            "effective_rate_limit_per_minute": latchkey_core::ratelimit::plan_limit(plan, rate_limit_per_minute),
            "non_expiring_tokens": update.non_expiring_tokens,
            "mcp_value_tools": update.mcp_value_tools,
            "gitops_enabled": update.gitops_enabled,
            "hostnames": hostnames,
        }),
    )
}
