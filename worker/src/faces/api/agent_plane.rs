//! Issue 23's `/api/v1` routes (the `envelopes` part): each parses its body or query in the
//! core, sends one command, and answers its reply. Who may call (the agent of the path, or
//! `agents:admin` for the inventory) is the tenant object's to decide.

use crate::http::{Reply, json, read_json_body, read_json_body_within, read_optional_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::discovered::{GetDiscovered, ListDiscovered, UploadDiscovered};
use latchkey_contract::caller::envelopes::{IssueDek, RegisterPublicKey};
use latchkey_core::ApiError;
use latchkey_core::agent::discovered::{DiscoveredQuery, parse_bulk};
use latchkey_core::agent::envelope::parse_public_key_body;
use latchkey_core::faces::api::ApiRoute;
use latchkey_core::faces::api::agent_plane::check_dek_body;
use worker::{Env, Request};

/// A public-key body is one short member.
const PUBLIC_KEY_BODY_BYTES: usize = 4 * 1024;

pub async fn answer(
    route: ApiRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Reply {
    match route {
        ApiRoute::AgentPublicKey(agent_id) => {
            let command = async {
                let body = read_json_body_within(request, PUBLIC_KEY_BODY_BYTES).await?;
                Ok(RegisterPublicKey {
                    agent_id: agent_id.clone(),
                    public_key: parse_public_key_body(&body)?,
                })
            }
            .await;
            let public_key = command.as_ref().ok().map(|c| c.public_key.to_base64());
            caller.run(env, command).await?;
            json(
                200,
                &serde_json::json!({"agent_id": agent_id, "public_key": public_key}),
            )
        }
        ApiRoute::AgentDek(agent_id) => {
            let command = async {
                check_dek_body(&read_optional_body(request).await?)?;
                Ok(IssueDek { agent_id })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        ApiRoute::AgentSecretsBulk(agent_id) => {
            let command = async {
                let body = read_json_body(request).await?;
                Ok(UploadDiscovered {
                    agent_id,
                    secrets: parse_bulk(&body)?,
                })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::DiscoveredSecrets => {
            let command =
                DiscoveredQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map(|query| ListDiscovered { query });
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::DiscoveredSecret(id) => {
            json(200, &caller.run(env, Ok(GetDiscovered { id })).await?)
        }
        _ => Err(ApiError::internal()),
    }
}
