//! `/v1/tokens`: mint scoped tokens, list and revoke them.

use crate::config::Config;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::Caller;
use latchkey_core::approval::ApprovalPending;
use latchkey_core::public_url::review_url;
use latchkey_core::token::{TokenId, TokenRequest};

use latchkey_contract::caller::tokens::{CreateToken, ListTokens, RevokeToken, TokenMinted};
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/tokens` → 201 with the token value, shown this once; or 202 when the scope
/// reaches secrets whose tier needs approval (the documented shape, plus `required_approvals` and
/// `expires_at`). The `approve_url` is the review page without a link token: it grants
/// nothing; approvers act through their own signed links or the API. It is under
/// `PUBLIC_URL`, never the host the request named (`latchkey_core::public_url`); without
/// `PUBLIC_URL` it is a relative path and no approver is notified.
pub async fn create(request: &mut Request, env: &Env, config: &Config, caller: &Caller) -> Reply {
    // Tests lower the minimum TTL to watch tokens expire; deployments leave it at 60 s.
    let min_ttl = config.min_token_ttl_seconds;
    // Links point at the configured origin, never at a host the request named (`Host`,
    // `X-Forwarded-Host`): the tenant object sends approvers' links under the same one.
    let base = config.link_base.as_deref();
    let command = async {
        let request = TokenRequest::parse_with_min_ttl(&read_json_body(request).await?, min_ttl)?;
        Ok(CreateToken { request })
    }
    .await;
    match caller.run(env, command).await? {
        TokenMinted::Created(created) => json(201, &created),
        TokenMinted::Pending(view) => json(
            202,
            &ApprovalPending {
                approval_status: "pending".into(),
                message: match &base {
                    Ok(_) => format!(
                        "Approval required. Notified {} approver(s); {} approval(s) needed. Poll GET /v1/approvals/{}.",
                        view.notifications.len(),
                        view.required_approvals,
                        view.id
                    ),
                    Err(problem) => format!(
                        "Approval required. No approver was notified: {}. {} approval(s) needed. Poll GET /v1/approvals/{}.",
                        problem.as_str(),
                        view.required_approvals,
                        view.id
                    ),
                },
                approve_url: review_url(base.map_err(|p| *p), &view.id),
                required_approvals: view.required_approvals,
                expires_at: view.expires_at,
                approval_request_id: view.id,
            },
        ),
    }
}

/// `GET /v1/tokens` → 200 `{tokens: [...]}`: metadata only; needs `admin`.
pub async fn list(env: &Env, caller: &Caller) -> Reply {
    let tokens = caller.run(env, Ok(ListTokens)).await?;
    json(200, &json!({ "tokens": tokens }))
}

/// `DELETE /v1/tokens/{id}` → 200 `{status: "revoked", id}`; by an admin or the token itself.
pub async fn revoke(env: &Env, caller: &Caller, id: TokenId) -> Reply {
    caller.run(env, Ok(RevokeToken { id: id.clone() })).await?;
    json(200, &json!({"status": "revoked", "id": id}))
}
