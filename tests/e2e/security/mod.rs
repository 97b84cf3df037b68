//! Rules that hold across features (issue 11): the probe's repros, and for each class a walk
//! of every route in it.
//!
//! - One gate for values: every route that writes or hands out a value applies scope, tier
//!   clearance and purpose. The list of such routes is the route table's
//!   (`Route::moves_value`); a route marked there that these tests do not walk fails them.
//! - Same hand along the provenance chain, cascading revocation, blind access requests, and a
//!   clearance that records the rule that cleared it.

mod agent_plane;
mod carried;
mod chain;
mod console;
mod gate;
mod gitops;
mod metrics;
mod plane;
mod projects;
mod socket;
mod workflows;

use crate::Ctx;
pub(super) use crate::people::call;
use latchkey_e2e::Reply;
use latchkey_e2e::client::{Body, encode_path};
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "security::value_routes_are_all_walked",
        gate::value_routes_are_all_walked,
    ),
    (
        "security::a_standard_token_cannot_overwrite_or_collect_a_critical_secret",
        gate::a_standard_token_cannot_overwrite_or_collect_a_critical_secret,
    ),
    (
        "security::every_value_route_applies_tier_clearance",
        gate::every_value_route_applies_tier_clearance,
    ),
    (
        "security::every_release_route_applies_the_purpose_rule",
        gate::every_release_route_applies_the_purpose_rule,
    ),
    (
        "security::same_hand_follows_the_provenance_chain",
        chain::same_hand_follows_the_provenance_chain,
    ),
    (
        "security::revocation_cascades_down_the_chain",
        chain::revocation_cascades_down_the_chain,
    ),
    (
        "security::expiry_does_not_cascade",
        chain::expiry_does_not_cascade,
    ),
    (
        "security::access_requests_do_not_reveal_unseen_secrets",
        chain::access_requests_do_not_reveal_unseen_secrets,
    ),
    (
        "security::a_stricter_rule_asks_again",
        chain::a_stricter_rule_asks_again,
    ),
    (
        "security::another_tenants_agent_plane_ids_are_not_found",
        plane::another_tenants_agent_plane_ids_are_not_found,
    ),
    (
        "security::another_tenants_agents_and_discovered_secrets_are_not_found",
        agent_plane::another_tenants_agents_and_discovered_secrets_are_not_found,
    ),
    (
        "security::another_tenants_gitops_ids_are_not_found",
        gitops::another_tenants_gitops_ids_are_not_found,
    ),
    (
        "security::another_tenants_carried_requests_and_agent_wraps_are_not_found",
        carried::another_tenants_carried_requests_and_agent_wraps_are_not_found,
    ),
    (
        "security::another_tenants_agent_cannot_connect_or_hear",
        socket::another_tenants_agent_cannot_connect_or_hear,
    ),
    (
        "security::metrics_count_only_the_callers_tenant",
        metrics::metrics_count_only_the_callers_tenant,
    ),
    (
        "security::another_tenants_projects_and_environments_are_not_found",
        projects::another_tenants_projects_and_environments_are_not_found,
    ),
    (
        "security::another_tenants_console_session_is_not_recognized",
        console::another_tenants_console_session_is_not_recognized,
    ),
    (
        "security::another_tenants_workflows_and_policies_are_not_found",
        workflows::another_tenants_workflows_and_policies_are_not_found,
    ),
];

pub(super) const PURPOSE: &str = "X-Latchkey-Purpose";

pub(super) fn send_with(
    ctx: &Ctx,
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut all = vec![("CF-Connecting-IP", "203.0.113.9")];
    all.extend_from_slice(headers);
    match &body {
        Some(body) => ctx.api().send(method, url, bearer, &all, Body::Json(body)),
        None => ctx.api().send(method, url, bearer, &all, Body::None),
    }
}

#[track_caller]
pub(super) fn ok(reply: Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text);
    reply.body
}

#[track_caller]
pub(super) fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("'{key}' in {value}"))
        .to_owned()
}

pub(super) fn secret(ctx: &Ctx, key: &str, body: Value) {
    ok(call(ctx, "POST", "/v1/secrets", Some(key), Some(body)), 201);
}

/// A token with `scope`, minted by `bearer`: `(id, value)`.
pub(super) fn token(ctx: &Ctx, bearer: &str, scope: &[&str]) -> (String, String) {
    let (value, id) = crate::tokens::mint(ctx, bearer, json!({ "scope": scope }));
    (id, value)
}

/// An agent registered through a bootstrap token `bearer` mints: `(id, jwt)`.
pub(super) use crate::agents::new_agent as agent;

/// An agent's password request for `path`.
pub(super) fn ask_password(ctx: &Ctx, jwt: &str, path: &str) -> Reply {
    call(
        ctx,
        "POST",
        "/v1/agents/me/password-requests",
        Some(jwt),
        Some(json!({"path": path, "reason": "r"})),
    )
}

/// Where an admin approves the password request `asked`.
pub(super) fn approve_password_url(asked: &Value) -> String {
    format!("/v1/admin/password-requests/{}/approve", text(asked, "id"))
}

pub(super) fn grant(ctx: &Ctx, bearer: &str, agent: &str, path: &str) -> Value {
    ok(
        call(
            ctx,
            "POST",
            "/v1/grants",
            Some(bearer),
            Some(json!({"agent_id": agent, "path": path})),
        ),
        201,
    )
}

pub(super) fn read_value(ctx: &Ctx, key: &str, path: &str) -> Value {
    let body = ok(
        send_with(
            ctx,
            "GET",
            &format!("/v1/secrets/{}", encode_path(path)),
            Some(key),
            None,
            &[(PURPOSE, "test check")],
        ),
        200,
    );
    body["value"].clone()
}
