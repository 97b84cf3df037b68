//! `/v1/secrets`: create and read.

use super::now;
use crate::auth::tenant_credential;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{call_tenant, unexpected};
use latchkey_core::secret::NewSecret;
use latchkey_core::{ApiError, SecretPath};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply, TenantRequest};
use worker::{Env, Request};

/// `POST /v1/secrets` → 201 `{path, version, tier, created_at}`.
pub async fn create(request: &mut Request, env: &Env) -> Reply {
    let credential = tenant_credential(request)?;
    let bytes = read_json_body(request).await?;
    let secret = NewSecret::parse(&bytes, now())?;
    let command = TenantRequest {
        credential: Some(credential.hash),
        command: TenantCommand::CreateSecret { secret },
    };
    match call_tenant(env, &credential.tenant, &command).await? {
        TenantReply::SecretCreated(created) => json(201, &created),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/secrets/{path}[?version=N]` → 200 with the value.
pub async fn get(request: &mut Request, env: &Env, path: SecretPath) -> Reply {
    let credential = tenant_credential(request)?;
    let version = version_param(request)?;
    let command = TenantRequest {
        credential: Some(credential.hash),
        command: TenantCommand::GetSecret { path, version },
    };
    match call_tenant(env, &credential.tenant, &command).await? {
        TenantReply::Secret(secret) => json(200, &secret),
        other => Err(unexpected(&other)),
    }
}

fn version_param(request: &Request) -> Result<Option<u64>, ApiError> {
    let url = request
        .url()
        .map_err(|_| ApiError::invalid_request("request URL could not be parsed"))?;
    let Some((_, text)) = url.query_pairs().find(|(k, _)| k == "version") else {
        return Ok(None);
    };
    match text.parse::<u64>() {
        Ok(v) if (1..=(1 << 53)).contains(&v) => Ok(Some(v)),
        _ => Err(
            ApiError::invalid_request("'version' must be a positive integer")
                .with("field", "version"),
        ),
    }
}
