//! `/v1/notifications`: the tenant's channels for approval requests (Slack, a signed webhook,
//! email). Secrets in them are stored sealed and never shown again.

use crate::config::Config;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::notifications::{GetNotifications, SetNotifications};
use latchkey_core::notification::{NotificationConfig, OutboundPolicy};
use worker::{Env, Request};

/// `GET /v1/notifications` → the channels without their secrets; needs `admin`.
pub async fn get(env: &Env, caller: &Caller) -> Reply {
    let view = caller.run(env, Ok(GetNotifications)).await?;
    json(200, &view)
}

/// `PUT /v1/notifications` `{slack_webhook_url, webhook: {url, secret}, email: {to}}`.
pub async fn set(request: &mut Request, env: &Env, config: &Config, caller: &Caller) -> Reply {
    let policy = OutboundPolicy {
        allow_http_loopback: config.allow_http_loopback,
    };
    let command = async {
        let config = NotificationConfig::parse(&read_json_body(request).await?, policy)?;
        Ok(SetNotifications { config })
    }
    .await;
    let view = caller.run(env, command).await?;
    json(200, &view)
}
