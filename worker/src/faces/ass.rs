//! `/ass/v1/…`: the agentsecretstore face, for the published `@agentsecretstore/sdk` and
//! `@agentsecretstore/mcp` clients (`latchkey_core::faces::ass` has the mapping). The
//! credential is a Latchkey master key or token as `Authorization: Bearer`; each route is one
//! tenant command (an ambiguous `GET` may be a second, see [`get_secret`]), so scopes, tiers,
//! approvals, rate limits and audit are the native ones. Errors take the clients' shape.

use crate::config::Config;
use crate::http::{
    Reply, error_with_body, json, json_text, no_content, query_pairs, read_json_body,
};
use crate::tenant_client::{Caller, rate_headers};
use latchkey_contract::caller::approvals::GetApproval;
use latchkey_contract::caller::ass::{ImportSecrets, ListNamespaces, UpsertSecret};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret, ListSecrets};
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_core::ApiError;
use latchkey_core::SecretPath;
use latchkey_core::faces::ass::{
    self, AssRoute, AssWrite, EnvImport, check_query, parse_permanent, parse_token_request,
    parse_version, wire,
};
use latchkey_core::listing::{ListQuery, SecretPage};
use latchkey_core::public_url::review_url;
use latchkey_core::secret::SecretRead;
use worker::{Env, Request, Response, console_error};

/// Answers a request under [`ass::MOUNT`], or `None` when it is not the face's.
pub async fn handle(
    request: &mut Request,
    env: &Env,
    method: &str,
    url_path: &str,
    request_id: &str,
) -> Option<Response> {
    let rest = ass::mounted(url_path)?;
    let route = match AssRoute::resolve(method, rest) {
        Ok(route) => route,
        Err(e) => return Some(error_response(&e, false)),
    };
    let secret_route = route.is_secret_route();
    let caller = match Caller::from_request(request, request_id) {
        Ok(caller) => caller,
        Err(e) => return Some(error_response(&e, secret_route)),
    };
    let config = Config::of(env);
    let reply = run(route, request, env, &config, &caller).await;
    Some(rate_headers(
        reply.unwrap_or_else(|e| error_response(&e, secret_route)),
        Some(&caller),
    ))
}

/// The face's error body (`latchkey_core::faces::ass::error_body`), `Allow`, `Retry-After`
/// and `WWW-Authenticate` kept.
fn error_response(error: &ApiError, secret_route: bool) -> Response {
    let mut response =
        error_with_body(error, error.status(), &ass::error_body(error, secret_route));
    if error.status() == 401 {
        let _ = response.headers_mut().set("WWW-Authenticate", "Bearer");
    }
    response
}

/// The query, once every parameter is one the route takes.
fn checked_query(request: &Request, route: &AssRoute) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = query_pairs(request)?;
    check_query(route, &pairs)?;
    Ok(pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn run(
    route: AssRoute,
    request: &mut Request,
    env: &Env,
    config: &Config,
    caller: &Caller,
) -> Reply {
    let query = checked_query(request, &route);
    match route {
        AssRoute::CreateToken => create_token(request, env, config, caller, query).await,
        AssRoute::GetSecret { path, or_list } => {
            get_secret(env, caller, path, or_list, query).await
        }
        AssRoute::PutSecret(path) => {
            let command = async {
                query?;
                let write = AssWrite::parse(&read_json_body(request).await?)?;
                Ok(UpsertSecret { path, write })
            }
            .await;
            let written = caller.run(env, command).await?;
            json(
                if written.created { 201 } else { 200 },
                &wire::written(&written),
            )
        }
        AssRoute::DeleteSecret(path) => {
            let command = query.and_then(|pairs| {
                Ok(DeleteSecret {
                    path,
                    permanent: parse_permanent(param(&pairs, "permanent"))?,
                })
            });
            caller.run(env, command).await?;
            no_content()
        }
        AssRoute::ListSecrets(namespace) => {
            let page = list(env, caller, &namespace, query).await?;
            json(200, &wire::list(&namespace, &page))
        }
        AssRoute::Import => {
            let command = async {
                query?;
                let import = EnvImport::parse(&read_json_body(request).await?)?;
                Ok(ImportSecrets { import })
            }
            .await;
            let imported = caller.run(env, command).await?;
            json(201, &wire::imported(&imported))
        }
        AssRoute::Namespaces => {
            let namespaces = caller.run(env, query.map(|_| ListNamespaces)).await?;
            json(200, &wire::namespaces(&namespaces))
        }
        AssRoute::Approval(id) => {
            let view = caller.run(env, query.map(|_| GetApproval { id })).await?;
            json(200, &wire::approval(&view))
        }
    }
}

/// `POST /ass/v1/tokens` → 201 `{token, expires_at, requires_approval: false, …}`, or 202
/// `{requires_approval: true, approval_id, …}` when the scope reaches secrets whose tier needs
/// approval (the SDK raises `ApprovalRequiredError`). The approve URL is the native one.
async fn create_token(
    request: &mut Request,
    env: &Env,
    config: &Config,
    caller: &Caller,
    query: Result<Vec<(String, String)>, ApiError>,
) -> Reply {
    let min_ttl = config.min_token_ttl_seconds;
    let command = async {
        query?;
        let request = parse_token_request(&read_json_body(request).await?, min_ttl)?;
        Ok(CreateToken { request })
    }
    .await;
    match caller.run(env, command).await? {
        TokenMinted::Created(created) => json(201, &wire::token(&created)),
        TokenMinted::Pending(view) => {
            let base = config.link_base.as_deref();
            let message = match &base {
                Ok(_) => format!(
                    "Approval required. Notified {} approver(s); {} approval(s) needed. Poll GET /ass/v1/approvals/agent/{}.",
                    view.notifications.len(),
                    view.required_approvals,
                    view.id
                ),
                Err(problem) => format!(
                    "Approval required. No approver was notified: {}. {} approval(s) needed. Poll GET /ass/v1/approvals/agent/{}.",
                    problem.as_str(),
                    view.required_approvals,
                    view.id
                ),
            };
            let approve_url = review_url(base.map_err(|p| *p), &view.id);
            json(202, &wire::token_pending(&view, &message, &approve_url))
        }
    }
}

/// `GET /ass/v1/secrets/{namespace}/{key}`: the read. When nothing in the path was encoded
/// (`or_list`), the same URL is also the SDK's `listSecrets` of a namespace of several
/// segments; so when there is no secret there that the caller may read, the path is listed as
/// a namespace, and the read's refusal stands only when that finds nothing either.
async fn get_secret(
    env: &Env,
    caller: &Caller,
    path: SecretPath,
    or_list: bool,
    query: Result<Vec<(String, String)>, ApiError>,
) -> Reply {
    let version = query
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|pairs| parse_version(param(pairs, "version")));
    let command = version.map(|version| GetSecret {
        path: path.clone(),
        version,
    });
    let wanted_version = command.as_ref().ok().and_then(|c| c.version);
    match caller.run(env, command).await {
        Ok(read) => {
            let read: SecretRead = serde_json::from_str(&read.body).map_err(|e| {
                console_error!("ass face: undecodable read at line {}", e.line());
                ApiError::internal()
            })?;
            json_text(200, wire::secret(&read).to_string())
        }
        Err(refused)
            if or_list
                && wanted_version.is_none()
                && matches!(
                    refused.code,
                    latchkey_core::ErrorCode::NotFound | latchkey_core::ErrorCode::PermissionDenied
                ) =>
        {
            let page = list(env, caller, &path, Ok(Vec::new())).await?;
            if wire::lists_something(&path, &page) {
                json(200, &wire::list(&path, &page))
            } else {
                Err(refused)
            }
        }
        Err(refused) => Err(refused),
    }
}

/// One page of the namespace (the native list, at most 200 a page by default).
async fn list(
    env: &Env,
    caller: &Caller,
    namespace: &SecretPath,
    query: Result<Vec<(String, String)>, ApiError>,
) -> Result<SecretPage, ApiError> {
    let command = query.and_then(|pairs| {
        let mut native: Vec<(&str, &str)> = vec![("namespace", namespace.as_str())];
        if param(&pairs, "limit").is_none() {
            native.push(("limit", "200"));
        }
        native.extend(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Ok(ListSecrets {
            query: ListQuery::parse(native)?,
        })
    });
    caller.run(env, command).await
}
