//! The `/api/v1` face (seeds 000 and 001): routes whose shape is Latchkey's own go to the
//! native handler; the few that differ are translated here, onto the same tenant commands.
//! Errors are Latchkey's error body, as the seeds define none.

use crate::credentials::tenant_credential;
use crate::handlers::people;
use crate::http::{Reply, error_response, json, read_body_or_empty_object, read_optional_body};
use crate::registry::Registry;
use crate::tenant_client::{Caller, RequestMeta};
use latchkey_contract::caller::access_requests::{
    ApproveAccess, CancelAccess, RejectAccess, RequestWrap, RequestWraps,
};
use latchkey_contract::caller::agents::CreateBootstrap;
use latchkey_contract::caller::audit::ReadAudit;
use latchkey_contract::caller::passwords::RejectPasswordRequest;
use latchkey_contract::caller::people::Permissions;
use latchkey_core::ApiError;
use latchkey_core::agent::BootstrapRequest;
use latchkey_core::agent::password::parse_rejection;
use latchkey_core::approval::parse_decision_note;
use latchkey_core::audit::AuditQuery;
use latchkey_core::faces::api::{
    self as face, ApiRoute, audit_error, audit_pairs, check_names_caller, check_query, claimed_user,
};
use latchkey_core::role::PERMISSIONS;
use latchkey_core::route::{Route, query_pairs};
use latchkey_core::scope::SEED_PERMISSION_ALIASES;
use latchkey_core::tenant::Hostname;
use serde_json::json;
use worker::{Env, Request, Response};

mod agent_plane;
mod gitops;
mod plane;
mod projects;
mod socket;
mod workflows;

/// What the face made of a request under `/api`.
pub enum Outcome {
    Answered(Response),
    /// A native route as it is: `app` dispatches it like any other.
    Native(Route),
}

/// Answers one request under `/api`, or hands a native route back.
pub async fn handle(
    method: &str,
    url_path: &str,
    request: &mut Request,
    env: &Env,
    request_id: &str,
) -> Outcome {
    Outcome::Answered(
        match answer(method, url_path, request, env, request_id).await {
            Ok(response) => response,
            Err(native) => return Outcome::Native(native),
        },
    )
}

async fn answer(
    method: &str,
    url_path: &str,
    request: &mut Request,
    env: &Env,
    request_id: &str,
) -> Result<Response, Route> {
    let route = match face::resolve(method, url_path) {
        Ok(route) => route,
        Err(e) => return Ok(error_response(&e)),
    };
    let pairs = query_pairs(&request.inner().url());
    match route {
        ApiRoute::Login => {
            let meta = RequestMeta::of(request, request_id);
            let reply = match check_query(&route, &pairs) {
                Ok(()) => login(request, env, &meta).await,
                Err(e) => Err(e),
            };
            Ok(reply.unwrap_or_else(|e| error_response(&e)))
        }
        ApiRoute::Native(native) => match check_query(&ApiRoute::Native(native.clone()), &pairs) {
            Ok(()) => Err(native),
            Err(e) => {
                Ok(refused(native == Route::RegisterAgent, request, env, request_id, e).await)
            }
        },
        route => {
            // The console's cookie too, with its CSRF proofs (`crate::console`), as on `/v1`.
            let config = crate::config::Config::of(env);
            let caller = match crate::console::caller(request, request_id, &config) {
                Ok(caller) => caller,
                Err(e) => return Ok(error_response(&e)),
            };
            let reply = match check_query(&route, &pairs) {
                Ok(()) => tenant_route(route, request, env, &caller, &pairs).await,
                Err(e) => Err(caller.refuse(env, e).await),
            };
            Ok(rate_headers(
                reply.unwrap_or_else(|e| error_response(&e)),
                &caller,
            ))
        }
    }
}

/// The tenant's rate-limit state on a face answer (as `app` puts it on native ones).
fn rate_headers(mut response: Response, caller: &Caller) -> Response {
    if let Some(rate) = caller.rate() {
        let headers = response.headers_mut();
        for (name, value) in rate.headers() {
            let _ = headers.set(name, &value);
        }
    }
    response
}

/// A bad query on a native route: counted against the caller like any refused request (the
/// authentication error, when there is one, answers first), except on the public route.
async fn refused(
    public: bool,
    request: &Request,
    env: &Env,
    request_id: &str,
    error: ApiError,
) -> Response {
    if public {
        return error_response(&error);
    }
    match Caller::from_request(request, request_id) {
        Ok(caller) => {
            let error = caller.refuse(env, error).await;
            rate_headers(error_response(&error), &caller)
        }
        Err(e) => error_response(&e),
    }
}

/// `POST /api/v1/auth/login` `{email, password}` → 200 `{token, expires_at, user}`: the tenant
/// is the one the request's host belongs to (a `tenant` member is still accepted).
async fn login(request: &mut Request, env: &Env, meta: &RequestMeta) -> Reply {
    let body = crate::http::read_json_body(request).await?;
    let host = request.headers().get("Host").ok().flatten();
    let hostname = host.as_deref().and_then(Hostname::of_host_header);
    let tenant = match &hostname {
        Some(name) => Registry::open(env)?.tenant_by_hostname(name).await?,
        None => None,
    };
    let login = face::login_request(&body, host.as_deref(), tenant.as_ref())?;
    people::log_in(env, meta, login).await
}

/// The user the caller's credential claims to be (verified by the object on the same request).
fn caller_user(request: &Request) -> Option<String> {
    tenant_credential(request)
        .ok()
        .and_then(|credential| claimed_user(&credential))
}

async fn tenant_route(
    route: ApiRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Reply {
    let me = caller_user(request);
    let user_id = pairs
        .iter()
        .find(|(k, _)| k == "user_id")
        .map(|(_, v)| v.as_str());
    match route {
        ApiRoute::ApproveAccess(id) => {
            let command = async {
                let (approver, note) =
                    face::decision(&read_optional_body(request).await?, "comment")?;
                check_names_caller("approver_id", approver.as_deref(), me.as_deref())?;
                let comment = parse_decision_note(&note, "comment")?;
                Ok(ApproveAccess { id, comment })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::RejectAccess(id) => {
            let command = async {
                let (approver, note) =
                    face::decision(&read_optional_body(request).await?, "reason")?;
                check_names_caller("approver_id", approver.as_deref(), me.as_deref())?;
                let reason = parse_decision_note(&note, "reason")?;
                Ok(RejectAccess { id, reason })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::CancelAccess(id) => {
            let command = async {
                let actor = face::cancel_actor(&read_optional_body(request).await?)?;
                check_names_caller("actor_id", actor.as_deref(), me.as_deref())?;
                Ok(CancelAccess { id })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::RequestWraps(id) => {
            let command =
                check_names_caller("user_id", user_id, me.as_deref()).map(|()| RequestWraps { id });
            let wraps = caller.run(env, command).await?;
            json(200, &json!({ "wraps": wraps }))
        }
        ApiRoute::RequestWrap(id, wrap_id) => {
            let command = check_names_caller("user_id", user_id, me.as_deref())
                .map(|()| RequestWrap { id, wrap_id });
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::AuditEvents => {
            let native = audit_pairs(pairs);
            let command = AuditQuery::parse(native.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map(|(query, _)| ReadAudit { query })
                .map_err(audit_error);
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::Permissions => {
            caller.run(env, Ok(Permissions)).await?;
            let aliases = SEED_PERMISSION_ALIASES.iter().map(|(alias, scope)| {
                json!({
                    "permission": alias,
                    "description": format!("Seed 000/001 name for {scope}; stored and shown as {scope}"),
                })
            });
            let catalog: Vec<_> = PERMISSIONS
                .iter()
                .map(|p| json!(p))
                .chain(aliases)
                .collect();
            let mut response = json(200, &json!({ "permissions": catalog }))?;
            // The catalog is fixed: seed 001 lets clients keep it for five minutes.
            let _ = response
                .headers_mut()
                .set("Cache-Control", "private, max-age=300");
            Ok(response)
        }
        ApiRoute::RejectPasswordRequest(id) => {
            let command = async {
                let body = read_optional_body(request).await?;
                let reason = if body.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    parse_rejection(&body)?
                };
                Ok(RejectPasswordRequest { id, reason })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        ApiRoute::CreateBootstrap => {
            let command = async {
                let body = read_body_or_empty_object(request).await?;
                Ok(CreateBootstrap {
                    request: BootstrapRequest::parse(&body)?,
                })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        ApiRoute::Plane(route) => plane::answer(route, request, env, caller, pairs).await,
        ApiRoute::Projects(route) => projects::answer(route, request, env, caller, pairs).await,
        ApiRoute::Workflows(route) => workflows::answer(route, request, env, caller).await,
        route @ (ApiRoute::AgentPublicKey(_)
        | ApiRoute::AgentDek(_)
        | ApiRoute::AgentWraps(_)
        | ApiRoute::AgentWrap(..)
        | ApiRoute::AgentSecretsBulk(_)
        | ApiRoute::DiscoveredSecrets
        | ApiRoute::DiscoveredSecret(_)) => {
            agent_plane::answer(route, request, env, caller, pairs).await
        }
        ApiRoute::Connect(id) => socket::connect(request, env, caller, id, pairs).await,
        ApiRoute::Gitops(route) => gitops::answer(route, request, env, caller).await,
        ApiRoute::Native(_) | ApiRoute::Login => Err(ApiError::internal()),
    }
}
