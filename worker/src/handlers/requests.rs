//! Access requests (seed 001, `/v1/requests…`) and response wrapping (`/v1/wraps…`).

use crate::http::{Reply, json, query_pairs, read_json_body, read_optional_body};
use crate::tenant_client::{Caller, RequestMeta, call_tenant, unexpected};
use latchkey_core::ApiError;
use latchkey_core::approval::parse_decision_note;
use latchkey_core::credential::{CredentialKind, parse_bearer};
use latchkey_core::request::{AccessRequestId, NewAccessRequest, RequestQuery};
use latchkey_core::wrap::{NewWrap, WrapId, parse_unwrap};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use serde_json::json;
use worker::{Env, Request};

fn one_request(reply: TenantReply, status: u16) -> Reply {
    match reply {
        TenantReply::AccessRequest { request } => json(status, &request),
        other => Err(unexpected(&other)),
    }
}

/// `POST /v1/requests/read` `{path, reason, ttl_seconds?}` → 201 (pending).
pub async fn create_read(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = NewAccessRequest::parse_read(&read_json_body(request).await?)?;
        Ok(TenantCommand::CreateAccessRequest { request })
    }
    .await;
    one_request(caller.run(env, command).await?, 201)
}

/// `POST /v1/requests` `{path, value, reason}` → 201 (pending; the value is sealed).
pub async fn create_patch(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = NewAccessRequest::parse_patch(&read_json_body(request).await?)?;
        Ok(TenantCommand::CreateAccessRequest { request })
    }
    .await;
    one_request(caller.run(env, command).await?, 201)
}

/// `GET /v1/requests?requester_id=&status=` → 200 `{requests}`.
pub async fn list(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request)
        .and_then(|pairs| RequestQuery::parse(&pairs))
        .map(|query| TenantCommand::ListAccessRequests { query });
    match caller.run(env, command).await? {
        TenantReply::AccessRequests { requests } => json(200, &json!({ "requests": requests })),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/requests/{id}` → 200, with its approvals.
pub async fn get(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    one_request(
        caller
            .run(env, Ok(TenantCommand::GetAccessRequest { id }))
            .await?,
        200,
    )
}

/// `POST /v1/requests/{id}/approve` `{comment?}` → 200.
pub async fn approve(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: AccessRequestId,
) -> Reply {
    let command = async {
        let comment = parse_decision_note(&read_optional_body(request).await?, "comment")?;
        Ok(TenantCommand::ApproveAccess { id, comment })
    }
    .await;
    one_request(caller.run(env, command).await?, 200)
}

/// `POST /v1/requests/{id}/reject` `{reason?}` → 200.
pub async fn reject(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: AccessRequestId,
) -> Reply {
    let command = async {
        let reason = parse_decision_note(&read_optional_body(request).await?, "reason")?;
        Ok(TenantCommand::RejectAccess { id, reason })
    }
    .await;
    one_request(caller.run(env, command).await?, 200)
}

/// `POST /v1/requests/{id}/cancel` → 200 (the requester only).
pub async fn cancel(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    one_request(
        caller
            .run(env, Ok(TenantCommand::CancelAccess { id }))
            .await?,
        200,
    )
}

/// `GET /v1/requests/{id}/wraps` → 200 `{wraps}`: summaries, never values.
pub async fn wraps(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    match caller
        .run(env, Ok(TenantCommand::RequestWraps { id }))
        .await?
    {
        TenantReply::Wraps { wraps } => json(200, &json!({ "wraps": wraps })),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/requests/{id}/wraps/{wrap_id}` → 200 `{id, value, path, version, created_at}`,
/// once; 410 after.
pub async fn retrieve(env: &Env, caller: &Caller, id: AccessRequestId, wrap_id: WrapId) -> Reply {
    match caller
        .run(env, Ok(TenantCommand::RequestWrap { id, wrap_id }))
        .await?
    {
        TenantReply::Unwrapped(unwrapped) => json(200, &unwrapped),
        other => Err(unexpected(&other)),
    }
}

/// `POST /v1/wraps` `{path | value, ttl_seconds?}` → 201 `{wrap_token, id, expires_at, …}`.
pub async fn create_wrap(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let wrap = NewWrap::parse(&read_json_body(request).await?)?;
        Ok(TenantCommand::CreateWrap { wrap })
    }
    .await;
    match caller.run(env, command).await? {
        TenantReply::WrapCreated(created) => json(201, &created),
        other => Err(unexpected(&other)),
    }
}

/// `POST /v1/wraps/unwrap` `{wrap_token}` → 200 with the value, exactly once; 410 after (or
/// once expired), 404 for a token no wrap has. No other credential: the token is one.
pub async fn unwrap(request: &mut Request, env: &Env, meta: &RequestMeta) -> Reply {
    let token = parse_unwrap(&read_json_body(request).await?)?;
    let credential = parse_bearer(&token)
        .filter(|c| c.kind == CredentialKind::Wrap)
        .ok_or_else(|| {
            ApiError::validation("wrap_token", "'wrap_token' is not a wrap token (lk_wrap_…)")
        })?;
    let command = TenantCommand::Unwrap {
        hash: credential.hash,
    };
    match call_tenant(env, &credential.tenant, meta, command).await? {
        TenantReply::Unwrapped(unwrapped) => json(200, &unwrapped),
        other => Err(unexpected(&other)),
    }
}
