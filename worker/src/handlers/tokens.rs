//! `/v1/tokens`: mint scoped tokens (seed 004), list and revoke them (seed 003).

use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{Caller, unexpected};
use latchkey_core::approval::ApprovalPending;
use latchkey_core::token::{MIN_TTL_SECONDS, TokenId, TokenRequest};

/// The Worker var naming the service's public origin (`https://latchkey.example.com`).
pub const PUBLIC_URL_VAR: &str = "PUBLIC_URL";

/// The Worker var that lowers the minimum token TTL (tests only).
pub const MIN_TTL_VAR: &str = "TOKEN_MIN_TTL_SECONDS";
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/tokens` → 201 with the token value, shown this once; or 202 when the scope
/// reaches secrets whose tier needs approval (seed 004's shape, plus `required_approvals` and
/// `expires_at`). The `approve_url` is the review page without a link token: it grants
/// nothing; approvers act through their own signed links or the API.
pub async fn create(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    // Tests lower the minimum TTL to watch tokens expire; deployments leave it at 60 s.
    let min_ttl = env
        .var(MIN_TTL_VAR)
        .ok()
        .and_then(|v| v.to_string().parse::<u64>().ok())
        .unwrap_or(MIN_TTL_SECONDS);
    // Approvers' links must point at the real service, not at whatever host name the
    // requester used: deployments set PUBLIC_URL; locally the request's origin is used.
    let origin = env
        .var(PUBLIC_URL_VAR)
        .map(|v| v.to_string().trim_end_matches('/').to_owned())
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            request
                .url()
                .map(|url| url.origin().ascii_serialization())
                .unwrap_or_default()
        });
    let command = async {
        let request = TokenRequest::parse_with_min_ttl(&read_json_body(request).await?, min_ttl)?;
        Ok(TenantCommand::CreateToken {
            request,
            origin: origin.clone(),
        })
    }
    .await;
    match caller.run(env, command).await? {
        TenantReply::TokenCreated(created) => json(201, &created),
        TenantReply::ApprovalPending(view) => json(
            202,
            &ApprovalPending {
                approval_status: "pending".into(),
                message: format!(
                    "Approval required. Notified {} approver(s); {} approval(s) needed. Poll GET /v1/approvals/{}.",
                    view.notifications.len(),
                    view.required_approvals,
                    view.id
                ),
                approve_url: format!("{origin}/approvals/{}/review", view.id),
                required_approvals: view.required_approvals,
                expires_at: view.expires_at,
                approval_request_id: view.id,
            },
        ),
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
