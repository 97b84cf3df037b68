//! Access requests (`/v1/requests…`) and response wrapping (`/v1/wraps…`).

use crate::http::{Reply, json, query_pairs, read_json_body, read_optional_body};
use crate::tenant_client::{Caller, RequestMeta, call_tenant};
use latchkey_contract::caller::access_requests::{
    ApproveAccess, CancelAccess, CreateAccessRequest, GetAccessRequest, ListAccessRequests,
    RejectAccess, RequestWrap, RequestWraps,
};
use latchkey_contract::caller::carried::CreateCarriedRequest;
use latchkey_contract::caller::wraps::CreateWrap;
use latchkey_contract::public::Unwrap;
use latchkey_core::ApiError;
use latchkey_core::access_request::{AccessRequestId, RequestQuery};
use latchkey_core::approval::parse_decision_note;
use latchkey_core::carried::RequestInput;
use latchkey_core::credential::{CredentialKind, parse_bearer};
use latchkey_core::wrap::{NewWrap, WrapId, parse_unwrap};
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/requests/read` `{path | secret_id, reason, ttl_seconds?}` → 201 (pending).
pub async fn create_read(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let input = RequestInput::parse_read(&read_json_body(request).await?);
    create(input, env, caller).await
}

/// `POST /v1/requests` `{path, value, reason}` or `{secret_id, data, reason}` → 201 (pending;
/// the value is sealed, a discovered secret's data to its agent's key).
pub async fn create_patch(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let input = RequestInput::parse_patch(&read_json_body(request).await?);
    create(input, env, caller).await
}

async fn create(input: Result<RequestInput, ApiError>, env: &Env, caller: &Caller) -> Reply {
    // One command or the other; the view passes through undecoded.
    let command = input.map(|input| match input {
        RequestInput::Stored(request) => CreateAccessRequest { request }.into(),
        RequestInput::Carried(request) => CreateCarriedRequest { request }.into(),
    });
    let raw = caller.run_raw(env, command).await?;
    crate::http::json_text(201, raw.get().to_owned())
}

/// `GET /v1/requests?requester_id=&status=` → 200 `{requests}`.
pub async fn list(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request)
        .and_then(|pairs| RequestQuery::parse(&pairs))
        .map(|query| ListAccessRequests { query });
    let requests = caller.run(env, command).await?;
    json(200, &json!({ "requests": requests }))
}

/// `GET /v1/requests/{id}` → 200, with its approvals.
pub async fn get(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    let request = caller.run(env, Ok(GetAccessRequest { id })).await?;
    json(200, &request)
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
        Ok(ApproveAccess { id, comment })
    }
    .await;
    let request = caller.run(env, command).await?;
    json(200, &request)
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
        Ok(RejectAccess { id, reason })
    }
    .await;
    let request = caller.run(env, command).await?;
    json(200, &request)
}

/// `POST /v1/requests/{id}/cancel` → 200 (the requester only).
pub async fn cancel(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    let request = caller.run(env, Ok(CancelAccess { id })).await?;
    json(200, &request)
}

/// `GET /v1/requests/{id}/wraps` → 200 `{wraps}`: summaries, never values.
pub async fn wraps(env: &Env, caller: &Caller, id: AccessRequestId) -> Reply {
    let wraps = caller.run(env, Ok(RequestWraps { id })).await?;
    json(200, &json!({ "wraps": wraps }))
}

/// `GET /v1/requests/{id}/wraps/{wrap_id}` → 200 `{id, value, path, version, created_at}`,
/// once; 410 after.
pub async fn retrieve(env: &Env, caller: &Caller, id: AccessRequestId, wrap_id: WrapId) -> Reply {
    let unwrapped = caller.run(env, Ok(RequestWrap { id, wrap_id })).await?;
    json(200, &unwrapped)
}

/// `POST /v1/wraps` `{path | value, ttl_seconds?}` → 201 `{wrap_token, id, expires_at, …}`.
pub async fn create_wrap(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let wrap = NewWrap::parse(&read_json_body(request).await?)?;
        Ok(CreateWrap { wrap })
    }
    .await;
    let created = caller.run(env, command).await?;
    json(201, &created)
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
    let command = Unwrap {
        hash: credential.hash,
    };
    let unwrapped = call_tenant(env, &credential.tenant, meta, command).await?;
    json(200, &unwrapped)
}
