//! `/v1/agents…` and `/v1/grants`: the fleet's admin routes, the
//! agents' own `me` routes (agent JWT), and registration with a bootstrap token.

use super::now;
use crate::http::{Reply, json, no_content, query_pairs, query_param, read_json_body};
use crate::tenant_client::{Caller, RequestMeta};
use latchkey_contract::caller::agents::{
    AgentCertificates, AgentDiscovery, AgentPage, AgentReach, AgentSecrets, CreateBootstrap,
    CreateGrant, DeleteGrant, Discovery, GetAgentSettings, ImportDiscovered, ListAgentCommands,
    ListAgents, ListGrants, ListSshKeys, QueueAgentCommand, RefreshAgentToken, RegisterAgent,
    ReinstateAgent, ReportCertificates, ReportHealth, ReportSshKeys, RevokeAgent, SetAgentSettings,
};
use latchkey_contract::caller::passwords::{
    ApprovePasswordRequest, CollectPasswordRequests, CreatePasswordRequest, ListPasswordRequests,
    RejectPasswordRequest,
};
use latchkey_core::ApiError;
use latchkey_core::agent::PasswordRequestId;
use latchkey_core::agent::discovery::import::DiscoveryImport;
use latchkey_core::agent::discovery::{DiscoveredCertificate, DiscoveredSshKey, SshKeyQuery};
use latchkey_core::agent::password::{NewPasswordRequest, PasswordRequestStatus, parse_rejection};
use latchkey_core::agent::{
    AgentId, AgentQuery, AgentSettings, BootstrapRequest, CommandRequest, GrantId, HealthReport,
    Registration, parse_activity_limit,
};
use latchkey_core::credential::{CredentialKind, parse_bearer};
use latchkey_core::grant::GrantRequest;
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/agents/bootstrap` → 201 `{token (once), id, expires_at, max_registrations, labels}`.
pub async fn create_bootstrap(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = BootstrapRequest::parse(&read_json_body(request).await?)?;
        Ok(CreateBootstrap { request })
    }
    .await;
    let created = caller.run(env, command).await?;
    json(201, &created)
}

/// `POST /v1/agents/register` `{token, name, hostname, os_type, metadata}` → 201
/// `{id, token (JWT), expires_at, mtls_template_id}`. No header credential: the body's
/// bootstrap token is the credential, and names the tenant. The caller comes back too (when
/// the body named one), for the rate-limit headers.
pub async fn register(
    request: &mut Request,
    env: &Env,
    meta: RequestMeta,
) -> (Reply, Option<Caller>) {
    let parsed = async {
        let (token, registration) = Registration::parse(&read_json_body(request).await?)?;
        let credential = parse_bearer(&token)
            .filter(|c| c.kind == CredentialKind::Bootstrap)
            .ok_or_else(|| {
                ApiError::unauthorized("'token' is not a bootstrap token (lk_boot_…)")
                    .with("field", "token")
            })?;
        Ok::<_, ApiError>((credential, registration))
    }
    .await;
    let (credential, registration) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return (Err(e), None),
    };
    let caller = Caller::with_credential(credential, meta);
    let reply = caller
        .run(env, Ok(RegisterAgent { registration }))
        .await
        .and_then(|registered| json(201, &registered));
    (reply, Some(caller))
}

/// `POST /v1/agents/me/refresh-token` → 200 `{token, expires_at}`: a fresh JWT for a valid
/// one (agents are meant to refresh over mTLS; the edge sees no client certificate, see
/// ARCHITECTURE.md).
pub async fn refresh(env: &Env, caller: &Caller) -> Reply {
    let issued = caller.run(env, Ok(RefreshAgentToken)).await?;
    json(200, &issued)
}

/// `POST /v1/agents/me/health` → 200 `{commands: [...]}`: what was queued for the agent.
pub async fn report_health(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let report = HealthReport::parse(&read_json_body(request).await?, now())?;
        Ok(ReportHealth { report })
    }
    .await;
    let commands = caller.run(env, command).await?;
    json(200, &json!({ "commands": commands }))
}

/// `GET /v1/agents/me/secrets` → 200 `{grants, secrets}`: metadata of what the agent's
/// grants reach; values are read one by one with `GET /v1/secrets/{path}`.
pub async fn my_secrets(env: &Env, caller: &Caller) -> Reply {
    let AgentReach { grants, secrets } = caller.run(env, Ok(AgentSecrets)).await?;
    json(200, &json!({ "grants": grants, "secrets": secrets }))
}

/// `GET /v1/agents?status=&label=key=value&search=&page=&per_page=` → 200 `{data, pagination}`.
pub async fn list(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request)
        .and_then(|pairs| AgentQuery::parse(&pairs))
        .map(|query| ListAgents { query });
    let AgentPage { data, pagination } = caller.run(env, command).await?;
    json(200, &json!({ "data": data, "pagination": pagination }))
}

/// `GET /v1/agents/settings` → 200 `{heartbeat_interval_seconds}`.
pub async fn get_settings(env: &Env, caller: &Caller) -> Reply {
    let settings = caller.run(env, Ok(GetAgentSettings)).await?;
    json(200, &settings)
}

/// `PUT /v1/agents/settings` `{heartbeat_interval_seconds}` → 200.
pub async fn set_settings(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let settings = AgentSettings::parse(&read_json_body(request).await?)?;
        Ok(SetAgentSettings { settings })
    }
    .await;
    let settings = caller.run(env, command).await?;
    json(200, &settings)
}

/// `POST /v1/agents/{id}/revoke` → 200 `{status: "revoked", id}`.
pub async fn revoke(env: &Env, caller: &Caller, id: AgentId) -> Reply {
    caller.run(env, Ok(RevokeAgent { id: id.clone() })).await?;
    json(200, &json!({"status": "revoked", "id": id}))
}

/// `POST /v1/agents/{id}/reinstate` (admin) → 200 `{status: "reinstated", id}`.
pub async fn reinstate(env: &Env, caller: &Caller, id: AgentId) -> Reply {
    caller
        .run(env, Ok(ReinstateAgent { id: id.clone() }))
        .await?;
    json(200, &json!({"status": "reinstated", "id": id}))
}

/// `POST /v1/agents/{id}/commands` `{type, params}` → 201 with the queued command.
pub async fn queue_command(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: AgentId,
) -> Reply {
    let command = async {
        let command = CommandRequest::parse(&read_json_body(request).await?)?;
        Ok(QueueAgentCommand { id, command })
    }
    .await;
    let queued = caller.run(env, command).await?;
    json(201, &queued)
}

/// `GET /v1/agents/{id}/commands[?limit=]` → 200 `{agent_id, commands, jobs}`, newest first.
pub async fn list_commands(request: &Request, env: &Env, caller: &Caller, id: AgentId) -> Reply {
    let command = query_pairs(request).and_then(|pairs| {
        parse_activity_limit(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map(|limit| ListAgentCommands { id, limit })
    });
    let activity = caller.run(env, command).await?;
    json(200, &activity)
}

/// `POST /v1/grants` `{agent_id, path, actions}` → 201 with the grant.
pub async fn create_grant(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = GrantRequest::parse(&read_json_body(request).await?)?;
        Ok(CreateGrant { request })
    }
    .await;
    let grant = caller.run(env, command).await?;
    json(201, &grant)
}

/// `GET /v1/grants[?agent_id=]` → 200 `{grants}`.
pub async fn list_grants(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_param(request, "agent_id").and_then(|agent| {
        let agent_id = agent
            .map(|text| AgentId::parse(&text).map_err(|why| ApiError::validation("agent_id", why)))
            .transpose()?;
        Ok(ListGrants { agent_id })
    });
    let grants = caller.run(env, command).await?;
    json(200, &json!({ "grants": grants }))
}

/// `DELETE /v1/grants/{id}` → 204.
pub async fn delete_grant(env: &Env, caller: &Caller, id: GrantId) -> Reply {
    caller.run(env, Ok(DeleteGrant { id })).await?;
    no_content()
}

/// `POST /v1/agents/me/discovery/certificates` `{certificates: [...]}` (≤ 1,000) → 200
/// `{received, created, updated}`: re-reports (same fingerprint) update.
pub async fn report_certificates(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let certificates = DiscoveredCertificate::parse_report(&read_json_body(request).await?)?;
        Ok(ReportCertificates { certificates })
    }
    .await;
    let stored = caller.run(env, command).await?;
    json(200, &stored)
}

/// `POST /v1/agents/me/ssh-discovery` `{keys: [...]}` (≤ 1,000) → 200 `{received, created, updated}`.
pub async fn report_ssh_keys(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let keys = DiscoveredSshKey::parse_report(&read_json_body(request).await?)?;
        Ok(ReportSshKeys { keys })
    }
    .await;
    let stored = caller.run(env, command).await?;
    json(200, &stored)
}

/// `GET /v1/agents/{id}/discovery` → 200 `{agent_id, certificates, ssh_keys}`.
pub async fn discovery(env: &Env, caller: &Caller, id: AgentId) -> Reply {
    let Discovery {
        agent_id,
        certificates,
        ssh_keys,
    } = caller.run(env, Ok(AgentDiscovery { id })).await?;
    json(
        200,
        &json!({"agent_id": agent_id, "certificates": certificates, "ssh_keys": ssh_keys}),
    )
}

/// `POST /v1/agents/{id}/discovery/import` `{kind, fingerprint}` → 200 `{agent_id, kind,
/// fingerprint, imported_at, imported_by}`: a reported certificate or SSH key taken under
/// management (the first import stands).
pub async fn import_discovered(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: AgentId,
) -> Reply {
    let command = async {
        let import = DiscoveryImport::parse(&read_json_body(request).await?)?;
        Ok(ImportDiscovered { id, import })
    }
    .await;
    let imported = caller.run(env, command).await?;
    json(200, &imported)
}

/// `GET /v1/ssh/discovery[?agent_id=&limit=&cursor=]` (seed 000's `/api/v1/ssh/discovery`,
/// `ssh:discover`) → 200 `{ssh_keys: [{agent_id, fingerprint, …, first_seen, last_seen}],
/// next_cursor}`.
pub async fn ssh_discovery(request: &Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request).and_then(|pairs| {
        SshKeyQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map(|query| ListSshKeys { query })
    });
    let page = caller.run(env, command).await?;
    json(200, &page)
}

/// `GET /v1/agents/me/certificates` → 200 `{certificates}`: those the agent manages.
pub async fn my_certificates(env: &Env, caller: &Caller) -> Reply {
    let certificates = caller.run(env, Ok(AgentCertificates)).await?;
    json(200, &json!({ "certificates": certificates }))
}

/// `POST /v1/agents/me/password-requests` `{path, reason}` → 201 (pending).
pub async fn request_password(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = NewPasswordRequest::parse(&read_json_body(request).await?)?;
        Ok(CreatePasswordRequest { request })
    }
    .await;
    let view = caller.run(env, command).await?;
    json(201, &view)
}

/// `GET /v1/agents/me/password-requests` → 200 `{data}`; an approved password appears once.
pub async fn collect_passwords(env: &Env, caller: &Caller) -> Reply {
    let data = caller.run(env, Ok(CollectPasswordRequests)).await?;
    json(200, &json!({ "data": data }))
}

/// `GET /v1/admin/password-requests[?status=pending|approved|rejected]` → 200 `{data}`.
pub async fn list_password_requests(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_param(request, "status").and_then(|status| {
        let status = status
            .map(|text| {
                PasswordRequestStatus::parse(&text).ok_or_else(|| {
                    ApiError::validation(
                        "status",
                        format!("'status' is '{text}'; expected pending, approved or rejected"),
                    )
                })
            })
            .transpose()?;
        Ok(ListPasswordRequests { status })
    });
    let data = caller.run(env, command).await?;
    json(200, &json!({ "data": data }))
}

/// `POST /v1/admin/password-requests/{id}/approve` → 200: the password is generated and
/// stored as a new version of the path (never shown here).
pub async fn approve_password(env: &Env, caller: &Caller, id: PasswordRequestId) -> Reply {
    let view = caller.run(env, Ok(ApprovePasswordRequest { id })).await?;
    json(200, &view)
}

/// `POST /v1/admin/password-requests/{id}/reject` `{reason?}` → 200.
pub async fn reject_password(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: PasswordRequestId,
) -> Reply {
    let command = async {
        let reason = parse_rejection(&read_json_body(request).await?)?;
        Ok(RejectPasswordRequest { id, reason })
    }
    .await;
    let view = caller.run(env, command).await?;
    json(200, &view)
}
