//! Seed 001's agent plane on the `/api/v1` face (issue 23): each route parses, sends one
//! command, and maps the reply to the seed's status (204 for a heartbeat, a completion and an
//! empty claim). The update check reads the operator's release catalog in D1.

use crate::config::Config;
use crate::http::{
    Reply, json, no_content, read_body_or_empty_object, read_json_body, read_optional_body,
};
use crate::registry::Registry;
use crate::tenant_client::Caller;
use latchkey_contract::caller::agent_plane::{
    AgentHeartbeat, AgentSelf, ClaimJob, CompleteJob, CreateJob, MintAgent,
};
use latchkey_core::ApiError;
use latchkey_core::agent::Registration;
use latchkey_core::agent::jobs::{Completion, JobRequest};
use latchkey_core::agent::mint::parse_platform;
use latchkey_core::body;
use latchkey_core::faces::api::PlaneRoute;
use worker::{Env, Request};

pub async fn answer(
    route: PlaneRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Reply {
    match route {
        PlaneRoute::MintAgent => {
            let command = async {
                // Seed 001 shows no body.
                let body = read_body_or_empty_object(request).await?;
                Ok(MintAgent {
                    registration: Registration::parse_mint(&body)?,
                })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        PlaneRoute::Heartbeat(id) => {
            let command = async {
                let body = read_optional_body(request).await?;
                // Seed 001 shows no body: none, or `{}` (a member would be ignored).
                if !body.iter().all(u8::is_ascii_whitespace) {
                    let members: serde_json::Map<String, serde_json::Value> = body::parse(&body)?;
                    if let Some(member) = members.keys().next() {
                        return Err(ApiError::validation(
                            member,
                            format!("unknown member '{member}': a heartbeat takes no body"),
                        ));
                    }
                }
                Ok(AgentHeartbeat { id })
            }
            .await;
            caller.run(env, command).await?;
            no_content()
        }
        PlaneRoute::CreateJob => {
            let command = async {
                let body = read_json_body(request).await?;
                Ok(CreateJob {
                    request: JobRequest::parse(&body)?,
                })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        PlaneRoute::ClaimJob(id) => {
            let lease_seconds = Config::of(env).job_lease_seconds;
            match caller.run(env, Ok(ClaimJob { id, lease_seconds })).await? {
                Some(job) => json(200, &job),
                None => no_content(),
            }
        }
        PlaneRoute::CompleteJob(id, job_id) => {
            let command = async {
                let body = read_json_body(request).await?;
                Ok(CompleteJob {
                    id,
                    job_id,
                    completion: Completion::parse(&body)?,
                })
            }
            .await;
            caller.run(env, command).await?;
            no_content()
        }
        PlaneRoute::UpdateLatest => update_latest(env, caller, pairs).await,
    }
}

/// `GET /api/v1/agents/update/latest[?platform=]`: the latest version published for the
/// caller's platform (the `os_type` it registered or was minted with, unless `platform`
/// names another); 404 when none is.
async fn update_latest(env: &Env, caller: &Caller, pairs: &[(String, String)]) -> Reply {
    let asked = pairs
        .iter()
        .find(|(k, _)| k == "platform")
        .map(|(_, v)| parse_platform("platform", v))
        .transpose();
    let command = asked.clone().map(|_| AgentSelf);
    let registered = caller.run(env, command).await?;
    let platform = match asked? {
        Some(platform) => platform,
        None => registered
            .as_deref()
            .map(|p| parse_platform("platform", p))
            .transpose()?
            .ok_or_else(|| {
                ApiError::validation(
                    "platform",
                    "the agent has no platform (os_type); ask with ?platform=",
                )
            })?,
    };
    let release = Registry::open(env)?
        .latest_release(&platform)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no agent version is published for platform '{platform}'"
            ))
            .with("field", "platform")
        })?;
    json(200, &release)
}
