//! `/v1/secret/…`: the Vault KV v2 compatible endpoint, for clients that already speak Vault
//! (hvac, the `vault` CLI, Terraform, external-secrets). The credential is a Latchkey token in
//! `X-Vault-Token` (or `Authorization: Bearer`); bodies and errors take Vault's shapes. Each
//! route is one tenant command, so scopes, tiers, rate limits and audit are the same as for
//! `/v1/secrets`.

use crate::http::{Reply, error_with_body, json, no_content, query_param, read_body};
use crate::tenant_client::{Caller, RequestMeta};
use latchkey_contract::caller::secrets::DeleteSecret;
use latchkey_contract::caller::vault::{
    DeleteKvVersions, DestroyKvVersions, ListKv, ReadKv, ReadKvMetadata, UndeleteKvVersions,
    WriteKv,
};
use latchkey_core::credential::{bearer_from_header, parse_bearer};
use latchkey_core::vault::{
    self, KvWrite, VaultRoute, envelope, parse_version_param, parse_versions,
};
use latchkey_core::{ApiError, ErrorCode};
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

/// Runs one Vault route for `caller`: one tenant command per route; bad input is refused here
/// (and still counted).
pub async fn handle(
    route: VaultRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    request_id: &str,
) -> Reply {
    match route {
        VaultRoute::ReadData(path) => {
            let command = query_param(request, "version").and_then(|version| {
                Ok(ReadKv {
                    path,
                    version: parse_version_param(version.as_deref())?,
                })
            });
            let read = caller.run(env, command).await?;
            // A deleted or destroyed version is Vault's 404 with its metadata.
            let status = if read.data.is_some() { 200 } else { 404 };
            json(status, &envelope(request_id, read.to_vault()))
        }
        VaultRoute::WriteData(path) => {
            let command = async {
                let write = KvWrite::parse(&read_body(request).await?)?;
                Ok(WriteKv { path, write })
            }
            .await;
            let version = caller.run(env, command).await?;
            json(
                200,
                &envelope(request_id, version.to_vault(&Default::default())),
            )
        }
        VaultRoute::DeleteLatest(path) => {
            let command = DeleteKvVersions {
                path,
                versions: None,
            };
            caller.run(env, Ok(command)).await?;
            no_content()
        }
        VaultRoute::ReadMetadata(prefix) => {
            let listing =
                query_param(request, "list").map(|list| list.is_some_and(|v| v == "true"));
            if let Ok(true) = listing {
                let keys = caller.run(env, Ok(ListKv { prefix })).await?;
                return json(200, &envelope(request_id, json!({ "keys": keys })));
            }
            let command = listing.and_then(|_| {
                let path = prefix.ok_or_else(|| {
                    ApiError::validation(
                        "path",
                        "a secret path is required (or list the mount with ?list=true)",
                    )
                })?;
                Ok(ReadKvMetadata { path })
            });
            let metadata = caller.run(env, command).await?;
            json(200, &envelope(request_id, metadata.to_vault()))
        }
        VaultRoute::List(prefix) => {
            let keys = caller.run(env, Ok(ListKv { prefix })).await?;
            json(200, &envelope(request_id, json!({ "keys": keys })))
        }
        VaultRoute::DeleteMetadata(path) => {
            let command = DeleteSecret {
                path,
                permanent: true,
            };
            caller.run(env, Ok(command)).await?;
            no_content()
        }
        VaultRoute::DeleteVersions(path) => {
            let command = async {
                let versions = parse_versions(&read_body(request).await?)?;
                Ok(DeleteKvVersions {
                    path,
                    versions: Some(versions),
                })
            }
            .await;
            caller.run(env, command).await?;
            no_content()
        }
        VaultRoute::UndeleteVersions(path) => {
            let command = async {
                let versions = parse_versions(&read_body(request).await?)?;
                Ok(UndeleteKvVersions { path, versions })
            }
            .await;
            caller.run(env, command).await?;
            no_content()
        }
        VaultRoute::DestroyVersions(path) => {
            let command = async {
                let versions = parse_versions(&read_body(request).await?)?;
                Ok(DestroyKvVersions { path, versions })
            }
            .await;
            caller.run(env, command).await?;
            no_content()
        }
        // Answered by the router without a caller (`mount_info`); still counted, like any
        // refused request: the answer is the auth error or this one.
        VaultRoute::MountInfo => Err(caller.refuse(env, ApiError::internal()).await),
    }
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
