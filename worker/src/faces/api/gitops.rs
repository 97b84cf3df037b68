//! Seed 001's GitOps routes (issue 24). The object keeps the endpoints, their sealed tokens
//! and the mappings; the calls to Argo CD are made here, as the broker's are: the object opens
//! the token for this request only (its `ArgoTarget`), and it lives in this request's memory
//! until the answer is read. The Worker is where outbound calls already happen (the broker,
//! OAuth metadata), with their destination rules, timeout, size cap and no redirects; object
//! commands run synchronously in one transaction and cannot wait on the network.
//!
//! While the tenant's gate is off every route answers 404: the object refuses each command
//! so, and any other refusal (a bad body, a missing permission) is turned into the same 404
//! after asking the object whether the gate is on.

use crate::handlers::proxy::{Failure, send};
use crate::http::{Reply, json, no_content, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::gitops::{
    CreateAppMapping, CreateArgoEndpoint, DeleteAppMapping, DeleteArgoEndpoint, DiscoverArgoApps,
    GitopsGate, ListAppMappings, ListArgoEndpoints, RequestGitops, SetArgoEndpointEnabled,
};
use latchkey_core::ApiError;
use latchkey_core::broker::hosts::{
    HttpMethod, InsecureHosts, PROXY_INSECURE_HOSTS_VAR, check_destination,
};
use latchkey_core::broker::{self, Rendered};
use latchkey_core::faces::api::GitopsRoute;
use latchkey_core::gitops::{
    ARGO_TIMEOUT_SECONDS, ArgoTarget, NewEndpoint, NewMapping, Observation, gate_closed,
    parse_application, parse_application_list, parse_base_url,
};
use serde_json::json;
use worker::{Date, Env, Request};

pub async fn answer(
    route: GitopsRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
) -> Reply {
    match route_answer(route, request, env, caller).await {
        Err(e) if e.status() != 404 && e.status() != 401 => {
            match caller.run(env, Ok(GitopsGate)).await {
                Ok(false) => Err(gate_closed()),
                _ => Err(e),
            }
        }
        reply => reply,
    }
}

async fn route_answer(
    route: GitopsRoute,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
) -> Reply {
    use GitopsRoute as R;
    match route {
        R::CreateEndpoint => {
            let command = async {
                let endpoint = NewEndpoint::parse(&read_json_body(request).await?)?;
                // A destination the calls could never reach is refused now, not at each call.
                check_target_url(env, &endpoint.url)?;
                Ok(CreateArgoEndpoint { endpoint })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        R::ListEndpoints => {
            let endpoints = caller.run(env, Ok(ListArgoEndpoints)).await?;
            json(200, &json!({ "endpoints": endpoints }))
        }
        R::SetEnabled(id) => {
            let command = async {
                let enabled =
                    latchkey_core::gitops::parse_enabled(&read_json_body(request).await?)?;
                Ok(SetArgoEndpointEnabled { id, enabled })
            }
            .await;
            json(200, &caller.run(env, command).await?)
        }
        R::DeleteEndpoint(id) => {
            caller.run(env, Ok(DeleteArgoEndpoint { id })).await?;
            no_content()
        }
        R::DiscoveredApps(id) => {
            let target = caller.run(env, Ok(DiscoverArgoApps { id })).await?;
            let body = argo_get(env, &target, "/api/v1/applications").await?;
            let apps = parse_application_list(&body).map_err(|why| {
                broker::unreturnable(&format!("Argo CD's application list: {why}"))
            })?;
            json(200, &json!({ "endpoint_id": target.id, "apps": apps }))
        }
        R::CreateMapping => {
            let command = async {
                Ok(CreateAppMapping {
                    mapping: NewMapping::parse(&read_json_body(request).await?)?,
                })
            }
            .await;
            json(201, &caller.run(env, command).await?)
        }
        R::ListMappings => {
            let mappings = caller.run(env, Ok(ListAppMappings)).await?;
            json(200, &json!({ "mappings": mappings }))
        }
        R::DeleteMapping(id) => {
            caller.run(env, Ok(DeleteAppMapping { id })).await?;
            no_content()
        }
        R::RequestGitops(id) => {
            let plan = caller.run(env, Ok(RequestGitops { id })).await?;
            let mut observations = Vec::with_capacity(plan.applications.len());
            for app in plan.applications {
                observations.push(observe(env, app).await);
            }
            json(
                200,
                &json!({
                    "request_id": plan.request_id,
                    "applied": plan.applied,
                    "observations": observations,
                }),
            )
        }
    }
}

/// One mapped application's sync and health, or why they could not be read (an observation
/// per application: one unreachable endpoint does not hide the others).
async fn observe(env: &Env, app: latchkey_contract::caller::gitops::PlannedApp) -> Observation {
    let mapping = app.mapping;
    let observed_at = latchkey_core::Timestamp::from_unix_ms(Date::now().as_millis() as i64)
        .unwrap_or(mapping.created_at);
    let read = match &app.target {
        None => Err(
            "not observed: the request is not applied yet, or the endpoint is disabled".to_owned(),
        ),
        Some(target) => {
            let path = format!("/api/v1/applications/{}", mapping.app_name);
            match argo_get(env, target, &path).await {
                Ok(body) => parse_application(&body),
                Err(e) => Err(e.message),
            }
        }
    };
    let (sync_status, health_status, error) = match read {
        Ok(status) => (Some(status.sync_status), Some(status.health_status), None),
        Err(why) => (None, None, Some(why)),
    };
    Observation {
        mapping_id: mapping.id,
        endpoint_id: mapping.endpoint_id,
        app_name: mapping.app_name,
        sync_status,
        health_status,
        error,
        observed_at,
    }
}

fn insecure_hosts(env: &Env) -> InsecureHosts {
    env.var(PROXY_INSECURE_HOSTS_VAR)
        .map(|v| InsecureHosts::parse(&v.to_string()))
        .unwrap_or_default()
}

/// The broker's destination rules for an Argo CD URL: https to a public host, unless the
/// deployment lists the host in `PROXY_INSECURE_HOSTS`.
fn check_target_url(env: &Env, url: &str) -> Result<(), ApiError> {
    let (base, host) = parse_base_url(url)?;
    let scheme = base.split(':').next().unwrap_or("");
    check_destination(scheme, &host, &insecure_hosts(env)).map_err(|e| e.with("field", "url"))
}

/// `GET <base><path>` with the endpoint's bearer token: no redirect followed, the broker's
/// timeout and size cap; a non-2xx answer is a 502 naming Argo CD's status.
async fn argo_get(env: &Env, target: &ArgoTarget, path: &str) -> Result<Vec<u8>, ApiError> {
    check_target_url(env, &target.url)?;
    let rendered = Rendered {
        method: HttpMethod::Get,
        url: format!("{}{path}", target.url),
        headers: vec![
            (
                "authorization".to_owned(),
                format!("Bearer {}", target.token),
            ),
            ("accept".to_owned(), "application/json".to_owned()),
        ],
        body: None,
    };
    match send(rendered, ARGO_TIMEOUT_SECONDS).await {
        Ok(answer) if (200..300).contains(&answer.status) => Ok(answer.body),
        Ok(answer) => Err(ApiError::new(
            latchkey_core::ErrorCode::UpstreamError,
            format!("Argo CD answered {} for {path}", answer.status),
        )
        .with("upstream_status", answer.status)),
        Err(Failure::Timeout) => Err(broker::upstream_timeout(ARGO_TIMEOUT_SECONDS)),
        Err(Failure::TooLarge { .. }) => Err(broker::response_too_large()),
        // The runtime's message may quote the URL; never the token, which is only a header.
        Err(Failure::Network(why)) => Err(broker::upstream_error(&why)),
    }
}
