//! Issue 23's `/api/v1` routes (the `envelopes` part): each parses its body or query in the
//! core, sends one command, and answers its reply. Who may call (the agent of the path, or
//! `agents:admin` for the inventory) is the tenant object's to decide. The replies' JSON is the
//! answer as it is, so it passes through undecoded ([`Caller::run_raw`]).

use crate::http::{
    Reply, json, json_text, read_json_body, read_json_body_within, read_optional_body,
};
use crate::tenant_client::Caller;
use latchkey_contract::CallerCommand;
use latchkey_contract::caller::carried::{GetAgentWrap, PostAgentWrap};
use latchkey_contract::caller::discovered::{GetDiscovered, ListDiscovered, UploadDiscovered};
use latchkey_contract::caller::envelopes::{IssueDek, RegisterPublicKey};
use latchkey_core::ApiError;
use latchkey_core::agent::discovered::{DiscoveredQuery, parse_bulk};
use latchkey_core::agent::envelope::parse_public_key_body;
use latchkey_core::carried::AgentPost;
use latchkey_core::faces::api::ApiRoute;
use latchkey_core::faces::api::agent_plane::check_dek_body;
use worker::{Env, Request};

/// A public-key body is one short member.
const PUBLIC_KEY_BODY_BYTES: usize = 4 * 1024;

/// The command a route sends, and the status of its answer.
async fn command(
    route: ApiRoute,
    request: &mut Request,
    pairs: &[(String, String)],
) -> Result<CallerCommand, ApiError> {
    Ok(match route {
        ApiRoute::AgentPublicKey(agent_id) => {
            let body = read_json_body_within(request, PUBLIC_KEY_BODY_BYTES).await?;
            RegisterPublicKey {
                agent_id,
                public_key: parse_public_key_body(&body)?,
            }
            .into()
        }
        ApiRoute::AgentDek(agent_id) => {
            check_dek_body(&read_optional_body(request).await?)?;
            IssueDek { agent_id }.into()
        }
        ApiRoute::AgentSecretsBulk(agent_id) => UploadDiscovered {
            agent_id,
            secrets: parse_bulk(&read_json_body(request).await?)?,
        }
        .into(),
        ApiRoute::DiscoveredSecrets => ListDiscovered {
            query: DiscoveredQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?,
        }
        .into(),
        ApiRoute::DiscoveredSecret(id) => GetDiscovered { id }.into(),
        ApiRoute::AgentWraps(agent_id) => PostAgentWrap {
            agent_id,
            post: AgentPost::parse(&read_json_body(request).await?)?,
        }
        .into(),
        ApiRoute::AgentWrap(agent_id, wrap_id) => GetAgentWrap { agent_id, wrap_id }.into(),
        _ => return Err(ApiError::internal()),
    })
}

pub async fn answer(
    route: ApiRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Reply {
    let status = match route {
        ApiRoute::AgentDek(_) | ApiRoute::AgentWraps(_) => 201,
        _ => 200,
    };
    let posted = matches!(route, ApiRoute::AgentWraps(_));
    let command = command(route, request, pairs).await;
    // `PUT …/public-key` answers with the key it registered (its reply is `()`).
    let registered = match &command {
        Ok(CallerCommand::Envelopes(
            latchkey_contract::caller::envelopes::EnvelopeCommand::RegisterPublicKey(c),
        )) => Some((c.agent_id.clone(), c.public_key.to_base64())),
        _ => None,
    };
    let raw = caller.run_raw(env, command).await?;
    match registered {
        Some((agent_id, public_key)) => json(
            status,
            &serde_json::json!({"agent_id": agent_id, "public_key": public_key}),
        ),
        // `POST …/wraps` answers `{"wrap_id"}` (its reply is the id's JSON string).
        None if posted => json_text(status, format!(r#"{{"wrap_id":{}}}"#, raw.get())),
        None => json_text(status, raw.get().to_owned()),
    }
}
