//! `/v1/secret/…`: the Vault KV v2 compatible endpoint, for clients that already speak Vault
//! (hvac, the `vault` CLI, Terraform, external-secrets). The credential is a Latchkey token in
//! `X-Vault-Token` (or `Authorization: Bearer`); bodies and errors take Vault's shapes. Each
//! route is one tenant command, so scopes, tiers, rate limits and audit are the same as for
//! `/v1/secrets`.

use crate::http::{Reply, error_with_body, json, query_param, read_body};
use crate::tenant_client::{Caller, RequestMeta, unexpected};
use latchkey_core::credential::{bearer_from_header, parse_bearer};
use latchkey_core::vault::{
    self, KvWrite, VaultRoute, envelope, parse_version_param, parse_versions,
};
use latchkey_core::{ApiError, ErrorCode};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use serde_json::json;
use worker::{Env, Request, Response};

/// The caller: `X-Vault-Token`, else `Authorization: Bearer`, carrying a Latchkey credential.
pub fn caller(request: &Request, request_id: &str) -> Result<Caller, ApiError> {
    let header = |name: &str| request.headers().get(name).ok().flatten();
    let token = match header("X-Vault-Token") {
        Some(token) => token.trim().to_owned(),
        None => header("Authorization")
            .as_deref()
            .and_then(bearer_from_header)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing X-Vault-Token: set VAULT_TOKEN to a Latchkey token (lk_…)",
                )
            })?,
    };
    let credential = parse_bearer(&token).ok_or_else(|| {
        ApiError::unauthorized("X-Vault-Token is not a Latchkey token (lk_live_…, lk_tok_…)")
    })?;
    Ok(Caller::with_credential(
        credential,
        RequestMeta::with_purpose(request, request_id)?,
    ))
}

/// Runs one Vault route for `caller`.
pub async fn handle(
    route: VaultRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    request_id: &str,
) -> Reply {
    let command = command(route.clone(), request).await;
    match (route, caller.run(env, command).await?) {
        (VaultRoute::ReadData(_), TenantReply::KvRead(read)) => {
            // A deleted or destroyed version is Vault's 404 with its metadata.
            let status = if read.data.is_some() { 200 } else { 404 };
            json(status, &envelope(request_id, read.to_vault()))
        }
        (VaultRoute::WriteData(_), TenantReply::KvWritten(version)) => json(
            200,
            &envelope(request_id, version.to_vault(&Default::default())),
        ),
        (VaultRoute::ReadMetadata(_), TenantReply::KvMetadata(metadata)) => {
            json(200, &envelope(request_id, metadata.to_vault()))
        }
        (VaultRoute::ReadMetadata(_) | VaultRoute::List(_), TenantReply::KvKeys { keys }) => {
            json(200, &envelope(request_id, json!({ "keys": keys })))
        }
        (
            VaultRoute::DeleteLatest(_)
            | VaultRoute::DeleteVersions(_)
            | VaultRoute::UndeleteVersions(_)
            | VaultRoute::DestroyVersions(_)
            | VaultRoute::DeleteMetadata(_),
            TenantReply::Deleted,
        ) => Ok(Response::builder().with_status(204).empty()),
        (_, other) => Err(unexpected(&other)),
    }
}

/// The tenant command of a route; bad input is refused here (and still counted).
async fn command(route: VaultRoute, request: &mut Request) -> Result<TenantCommand, ApiError> {
    Ok(match route {
        VaultRoute::ReadData(path) => TenantCommand::KvRead {
            path,
            version: parse_version_param(query_param(request, "version")?.as_deref())?,
        },
        VaultRoute::WriteData(path) => TenantCommand::KvWrite {
            path,
            write: KvWrite::parse(&read_body(request).await?)?,
        },
        VaultRoute::DeleteLatest(path) => TenantCommand::KvDelete {
            path,
            versions: None,
        },
        VaultRoute::ReadMetadata(prefix) => {
            let listing = query_param(request, "list")?.is_some_and(|v| v == "true");
            match (listing, prefix) {
                (true, prefix) => TenantCommand::KvList { prefix },
                (false, Some(path)) => TenantCommand::KvMetadata { path },
                (false, None) => {
                    return Err(ApiError::validation(
                        "path",
                        "a secret path is required (or list the mount with ?list=true)",
                    ));
                }
            }
        }
        VaultRoute::List(prefix) => TenantCommand::KvList { prefix },
        VaultRoute::DeleteMetadata(path) => TenantCommand::DeleteSecret {
            path,
            permanent: true,
        },
        VaultRoute::DeleteVersions(path) => TenantCommand::KvDelete {
            path,
            versions: Some(parse_versions(&read_body(request).await?)?),
        },
        VaultRoute::UndeleteVersions(path) => TenantCommand::KvUndelete {
            path,
            versions: parse_versions(&read_body(request).await?)?,
        },
        VaultRoute::DestroyVersions(path) => TenantCommand::KvDestroy {
            path,
            versions: parse_versions(&read_body(request).await?)?,
        },
        // Answered by the router without a caller (`mount_info`).
        VaultRoute::MountInfo => return Err(ApiError::internal()),
    })
}

/// `GET /v1/sys/internal/ui/mounts/secret/…` → the mount is KV v2 (the `vault kv` preflight).
pub fn mount_info(request_id: &str) -> Reply {
    json(200, &envelope(request_id, vault::mount_info()))
}

/// Vault's status for an error: its 400 covers what Latchkey splits into 400, 409 and 422.
fn vault_status(error: &ApiError) -> u16 {
    match error.code {
        ErrorCode::ValidationError | ErrorCode::Conflict | ErrorCode::InvalidRequest => 400,
        _ => error.status(),
    }
}

/// An error in Vault's shape, `{"errors": [...]}`, with `Allow` kept.
pub fn error_response(error: &ApiError) -> Response {
    error_with_body(error, vault_status(error), &vault::error_body(error))
}
