//! `/v1/tokens`: mint scoped tokens (seed 004), list and revoke them (seed 003).

use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{Caller, unexpected};
use latchkey_core::token::{TokenId, TokenRequest};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/tokens` → 201 with the token value, shown this once.
pub async fn create(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = TokenRequest::parse(&read_json_body(request).await?)?;
        Ok(TenantCommand::CreateToken { request })
    }
    .await;
    match caller.run(env, command).await? {
        TenantReply::TokenCreated(created) => json(201, &created),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/tokens` → 200 `{tokens: [...]}`: metadata only; needs `admin`.
pub async fn list(env: &Env, caller: &Caller) -> Reply {
    match caller.run(env, Ok(TenantCommand::ListTokens)).await? {
        TenantReply::Tokens { tokens } => json(200, &json!({ "tokens": tokens })),
        other => Err(unexpected(&other)),
    }
}

/// `DELETE /v1/tokens/{id}` → 200 `{status: "revoked", id}`; by an admin or the token itself.
pub async fn revoke(env: &Env, caller: &Caller, id: TokenId) -> Reply {
    match caller
        .run(env, Ok(TenantCommand::RevokeToken { id }))
        .await?
    {
        TenantReply::TokenRevoked { id } => json(200, &json!({"status": "revoked", "id": id})),
        other => Err(unexpected(&other)),
    }
}
