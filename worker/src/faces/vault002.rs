//! `/v1/vault/…`: the seed-002 Vault API (`latchkey_core::faces::vault002`). The credential
//! is the ordinary bearer; each route is the native tenant command (or its by-id twin in
//! `latchkey_contract::caller::vault002`), so scopes, tiers, approvals, rate limits and audit
//! are the native routes'. Errors are Latchkey's.

use crate::http::{Reply, json, no_content, query_pairs, read_body, require_json_type};
use crate::tenant_client::Caller;
use latchkey_contract::caller::secrets::CreateSecret;
use latchkey_contract::caller::vault002::{DestroySecretById, GrantSecretById, ListAllSecrets};
use latchkey_core::ApiError;
use latchkey_core::faces::vault002::{
    self, Vault002Route, VaultGrant, VaultGrantRequest, VaultSecret, check_query,
};
use worker::{Env, Request};

/// Answers one request under `/v1/vault`: route errors before the caller is resolved (as the
/// native router), then the route; with the caller, whose rate-limit state the response
/// carries.
pub async fn handle(
    method: &str,
    url_path: &str,
    request: &mut Request,
    env: &Env,
    request_id: &str,
) -> (Reply, Option<Caller>) {
    let caller = match Vault002Route::resolve(method, url_path)
        .and_then(|route| Ok((route, Caller::from_request(request, request_id)?)))
    {
        Ok((route, caller)) => (route, caller),
        Err(e) => return (Err(e), None),
    };
    let (route, caller) = caller;
    let reply = run(route, request, env, &caller).await;
    (reply, Some(caller))
}

async fn run(route: Vault002Route, request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    // No route of the seed takes a query parameter.
    let query = query_pairs(request)
        .and_then(|pairs| check_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    match route {
        Vault002Route::CreateSecret => {
            let command = async {
                query?;
                let secret = vault002::parse_new_secret(&json_body(request).await?)?;
                Ok(CreateSecret { secret })
            }
            .await;
            let created = caller.run(env, command).await?;
            json(201, &VaultSecret::from(created))
        }
        Vault002Route::ListSecrets => {
            let secrets = caller.run(env, query.map(|()| ListAllSecrets)).await?;
            let listed: Vec<VaultSecret> = secrets.into_iter().map(VaultSecret::from).collect();
            json(200, &listed)
        }
        Vault002Route::DeleteSecret(id) => {
            caller
                .run(env, query.map(|()| DestroySecretById { id }))
                .await?;
            no_content()
        }
        Vault002Route::CreateGrant => {
            let parsed = async {
                query?;
                VaultGrantRequest::parse(&json_body(request).await?)
            }
            .await;
            let agent_id = parsed.as_ref().map(|r| r.agent.to_string()).ok();
            let command = parsed.map(|request| GrantSecretById { request });
            let secret_id = command.as_ref().map(|c| c.request.secret_id.clone()).ok();
            let grant = caller.run(env, command).await?;
            let (Some(agent_id), Some(secret_id)) = (agent_id, secret_id) else {
                return Err(ApiError::internal());
            };
            json(
                201,
                &VaultGrant {
                    grant_id: grant.grant_id,
                    agent_id,
                    secret_id,
                    created_at: grant.created_at,
                },
            )
        }
    }
}

/// A JSON body: `Content-Type: application/json`, or none at all (the seed shows its bodies
/// without headers); any other type is refused.
async fn json_body(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    require_json_type(request, true)?;
    read_body(request).await
}
