//! Rules that hold across features (issue 11): the probe's repros, and for each class a walk
//! of every route in it.
//!
//! - One gate for values: every route that writes or hands out a value applies scope, tier
//!   clearance and purpose. The list of such routes is the route table's
//!   (`Route::moves_value`); a route marked there that these tests do not walk fails them.
//! - Same hand along the provenance chain, cascading revocation, blind access requests, and a
//!   clearance that records the rule that cleared it.

use crate::Ctx;
use latchkey_core::route::{Route, SAMPLES, ValueMove};
use latchkey_e2e::Reply;
use latchkey_e2e::client::{Body, encode_path};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "security::value_routes_are_all_walked",
        value_routes_are_all_walked,
    ),
    (
        "security::a_standard_token_cannot_overwrite_or_collect_a_critical_secret",
        a_standard_token_cannot_overwrite_or_collect_a_critical_secret,
    ),
    (
        "security::every_value_route_applies_tier_clearance",
        every_value_route_applies_tier_clearance,
    ),
    (
        "security::every_release_route_applies_the_purpose_rule",
        every_release_route_applies_the_purpose_rule,
    ),
    (
        "security::same_hand_follows_the_provenance_chain",
        same_hand_follows_the_provenance_chain,
    ),
    (
        "security::revocation_cascades_down_the_chain",
        revocation_cascades_down_the_chain,
    ),
    ("security::expiry_does_not_cascade", expiry_does_not_cascade),
    (
        "security::access_requests_do_not_reveal_unseen_secrets",
        access_requests_do_not_reveal_unseen_secrets,
    ),
    (
        "security::a_stricter_rule_asks_again",
        a_stricter_rule_asks_again,
    ),
];

const PURPOSE: &str = "X-Latchkey-Purpose";

fn send(ctx: &Ctx, method: &str, url: &str, bearer: Option<&str>, body: Option<Value>) -> Reply {
    send_with(ctx, method, url, bearer, body, &[])
}

fn send_with(
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
fn ok(reply: Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text);
    reply.body
}

#[track_caller]
fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("'{key}' in {value}"))
        .to_owned()
}

fn secret(ctx: &Ctx, key: &str, body: Value) {
    ok(send(ctx, "POST", "/v1/secrets", Some(key), Some(body)), 201);
}

fn token(ctx: &Ctx, bearer: &str, scope: &[&str]) -> (String, String) {
    let body = ok(
        send(
            ctx,
            "POST",
            "/v1/tokens",
            Some(bearer),
            Some(json!({"scope": scope})),
        ),
        201,
    );
    (text(&body, "id"), text(&body, "value"))
}

/// An agent registered through a bootstrap token `bearer` mints: `(id, jwt, bootstrap id)`.
fn agent(ctx: &Ctx, bearer: &str, name: &str) -> (String, String, String) {
    let boot = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/bootstrap",
            Some(bearer),
            Some(json!({"ttl_seconds": 600, "max_registrations": 2})),
        ),
        201,
    );
    let reg = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/register",
            None,
            Some(json!({"token": text(&boot, "token"), "name": name})),
        ),
        201,
    );
    (text(&reg, "id"), text(&reg, "token"), text(&boot, "id"))
}

fn grant(ctx: &Ctx, bearer: &str, agent: &str, path: &str) -> Value {
    ok(
        send(
            ctx,
            "POST",
            "/v1/grants",
            Some(bearer),
            Some(json!({"agent_id": agent, "path": path})),
        ),
        201,
    )
}

fn read_value(ctx: &Ctx, key: &str, path: &str) -> Value {
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

/// Every route the route table marks as moving a value, by name.
fn value_routes() -> BTreeSet<(String, bool)> {
    SAMPLES
        .iter()
        .filter_map(|(method, url)| {
            let route = Route::resolve(method, url).ok()?;
            route
                .moves_value()
                .map(|m| (route.name(), m == ValueMove::Releases))
        })
        .collect()
}

/// The routes the tier walk covers (every value route), and the purpose walk (every release).
const TIER_WALK: &[&str] = &[
    "CreateSecret",
    "UpdateSecret",
    "RotateSecret",
    "SetFields",
    "SetField",
    "Generate",
    "ApprovePasswordRequest",
    "ApproveAccess",
    "Vault(WriteData",
    "GetSecret",
    "GetFields",
    "GetField",
    "CreateWrap",
    "Unwrap",
    "RequestWrap",
    "CollectPasswordRequests",
    "Proxy",
    "Vault(ReadData",
];

const PURPOSE_WALK: &[&str] = &[
    "GetSecret",
    "GetFields",
    "GetField",
    "CreateWrap",
    "Unwrap",
    "RequestWrap",
    "CollectPasswordRequests",
    "Proxy",
    "Vault(ReadData",
];

/// A new route that writes or releases a value must be walked by the class tests below.
fn value_routes_are_all_walked(_: &Ctx) {
    let routes = value_routes();
    assert!(routes.len() >= 18, "{routes:?}");
    for (name, releases) in &routes {
        assert!(
            TIER_WALK.contains(&name.as_str()),
            "{name} moves a value but the tier walk does not cover it"
        );
        if *releases {
            assert!(
                PURPOSE_WALK.contains(&name.as_str()),
                "{name} releases a value but the purpose walk does not cover it"
            );
        }
    }
    for name in TIER_WALK {
        assert!(
            routes.iter().any(|(n, _)| n == name),
            "{name} is walked but the route table says it moves no value"
        );
    }
}

/// The probe's repro of hole 1: a token cleared for standard has an agent it administers get
/// a critical secret overwritten by an approved password request, then collects it.
fn a_standard_token_cannot_overwrite_or_collect_a_critical_secret(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    secret(ctx, &key, json!({"path": "zone/std", "value": "s1"}));
    let (_, x) = token(
        ctx,
        &key,
        &[
            "agents:admin",
            "secrets:read:zone/*",
            "secrets:write:zone/*",
        ],
    );
    let (agent_id, jwt, _) = agent(ctx, &x, "a");
    grant(ctx, &x, &agent_id, "zone/*");
    let original = latchkey_e2e::secret_value("CRITICAL-ORIGINAL");
    secret(
        ctx,
        &key,
        json!({"path": "zone/crit", "value": original, "tier": "critical"}),
    );
    let put = send(
        ctx,
        "PUT",
        "/v1/secrets/zone%2Fcrit",
        Some(&x),
        Some(json!({"value": "x"})),
    );
    put.assert_error(403, "permission_denied");
    // The agent's grant was cleared for standard: it may not even ask.
    let asked = send(
        ctx,
        "POST",
        "/v1/agents/me/password-requests",
        Some(&jwt),
        Some(json!({"path": "zone/crit", "reason": "r"})),
    );
    asked.assert_error(403, "permission_denied");
    // Asked before the path was critical, then approved by X: refused (same hand: X made the
    // agent; and X is cleared for standard only).
    let early = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/me/password-requests",
            Some(&jwt),
            Some(json!({"path": "zone/later", "reason": "r"})),
        ),
        201,
    );
    secret(
        ctx,
        &key,
        json!({"path": "zone/later", "value": original, "tier": "critical"}),
    );
    let approved = send(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{}/approve", text(&early, "id")),
        Some(&x),
        Some(json!({})),
    );
    approved.assert_error(403, "permission_denied");
    assert_eq!(read_value(ctx, &key, "zone/later"), json!(original));
    assert_eq!(read_value(ctx, &key, "zone/crit"), json!(original));
    let collected = ok(
        send(
            ctx,
            "GET",
            "/v1/agents/me/password-requests",
            Some(&jwt),
            None,
        ),
        200,
    );
    assert!(!collected.to_string().contains("password\""), "{collected}");
}

/// Scope, tier and purpose for the tier walk: a tenant with a standard and a critical secret,
/// a token `x` cleared for standard with every secrets action on `zone/*`, and an agent with a
/// grant on `zone/*` cleared for standard (its maker is the master key, not `x`).
struct Zone {
    key: String,
    x: String,
    agent_id: String,
    jwt: String,
    value: String,
}

fn zone(ctx: &Ctx) -> Zone {
    let (_, key) = ctx.new_tenant();
    secret(
        ctx,
        &key,
        json!({"path": "zone/std", "value": "s1", "allowed_hosts": [{"host": "127.0.0.1"}]}),
    );
    let (_, x) = token(
        ctx,
        &key,
        &[
            "secrets:read:zone/*",
            "secrets:write:zone/*",
            "secrets:rotate:zone/*",
            "secrets:use:zone/*",
            "agents:admin",
        ],
    );
    let (agent_id, jwt, _) = agent(ctx, &key, "zone-agent");
    grant(ctx, &x, &agent_id, "zone/*");
    let value = latchkey_e2e::secret_value("zone-critical");
    secret(
        ctx,
        &key,
        json!({"path": "zone/crit", "value": value, "tier": "critical",
               "allowed_hosts": [{"host": "127.0.0.1"}]}),
    );
    ok(
        send(
            ctx,
            "PUT",
            "/v1/secrets/zone%2Fcrit/fields/f",
            Some(&key),
            Some(json!({"value": value})),
        ),
        201,
    );
    Zone {
        key,
        x,
        agent_id,
        jwt,
        value,
    }
}

#[track_caller]
fn refused(reply: &Reply, route: &str) {
    assert_eq!(
        reply.status, 403,
        "{route} must refuse what the caller is not cleared for: {}",
        reply.text
    );
    // The Vault face answers in Vault's `{"errors": [...]}` shape.
    if !route.starts_with("Vault(") {
        assert_eq!(reply.error_code(), Some("permission_denied"), "{route}");
    }
}

fn every_value_route_applies_tier_clearance(ctx: &Ctx) {
    let z = zone(ctx);
    let x = Some(z.x.as_str());
    let crit = "/v1/secrets/zone%2Fcrit";
    for name in TIER_WALK {
        match *name {
            "CreateSecret" => refused(
                &send(
                    ctx,
                    "POST",
                    "/v1/secrets",
                    x,
                    Some(json!({"path": "zone/crit", "value": "v"})),
                ),
                name,
            ),
            "UpdateSecret" => refused(
                &send(ctx, "PUT", crit, x, Some(json!({"value": "v"}))),
                name,
            ),
            "RotateSecret" => refused(
                &send(
                    ctx,
                    "POST",
                    &format!("{crit}/rotate"),
                    x,
                    Some(json!({"new_value": "v"})),
                ),
                name,
            ),
            "SetFields" => refused(
                &send(
                    ctx,
                    "PUT",
                    &format!("{crit}/fields"),
                    x,
                    Some(json!({"fields": {"f": "v"}})),
                ),
                name,
            ),
            "SetField" => refused(
                &send(
                    ctx,
                    "PUT",
                    &format!("{crit}/fields/f"),
                    x,
                    Some(json!({"value": "v"})),
                ),
                name,
            ),
            "Generate" => refused(
                &send(
                    ctx,
                    "POST",
                    "/v1/generate",
                    x,
                    Some(json!({"path": "zone/crit"})),
                ),
                name,
            ),
            "Vault(WriteData" => refused(
                &send(
                    ctx,
                    "POST",
                    "/v1/secret/data/zone/crit",
                    x,
                    Some(json!({"data": {"k": "v"}})),
                ),
                name,
            ),
            "GetSecret" => refused(&send(ctx, "GET", crit, x, None), name),
            "GetFields" => refused(&send(ctx, "GET", &format!("{crit}/fields"), x, None), name),
            "GetField" => refused(
                &send(ctx, "GET", &format!("{crit}/fields/f"), x, None),
                name,
            ),
            "Vault(ReadData" => refused(
                &send(ctx, "GET", "/v1/secret/data/zone/crit", x, None),
                name,
            ),
            // No wrap of the secret can be made, so there is none to unwrap.
            "CreateWrap" | "Unwrap" => refused(
                &send(
                    ctx,
                    "POST",
                    "/v1/wraps",
                    x,
                    Some(json!({"path": "zone/crit", "ttl_seconds": 60})),
                ),
                name,
            ),
            "Proxy" => refused(
                &send(
                    ctx,
                    "POST",
                    "/v1/proxy",
                    x,
                    Some(json!({
                        "method": "GET",
                        "url": format!("{}/echo", ctx.echo.base_url),
                        "headers": {"Authorization": "Bearer {{K}}"},
                        "secrets": {"K": "zone/crit"},
                    })),
                ),
                name,
            ),
            "ApprovePasswordRequest" => {
                // Asked while the path was free, then the path became critical. The approver
                // `x` writes it (cleared for standard): refused. A token cleared for critical
                // writes it, but the agent, who would receive it, is cleared for standard:
                // refused too.
                let asked = ok(
                    send(
                        ctx,
                        "POST",
                        "/v1/agents/me/password-requests",
                        Some(&z.jwt),
                        Some(json!({"path": "zone/pw", "reason": "r"})),
                    ),
                    201,
                );
                secret(
                    ctx,
                    &z.key,
                    json!({"path": "zone/pw", "value": z.value, "tier": "critical"}),
                );
                let url = format!("/v1/admin/password-requests/{}/approve", text(&asked, "id"));
                refused(&send(ctx, "POST", &url, x, Some(json!({}))), name);
                // The master key may write anything; the agent is the one not cleared.
                let as_master = send(ctx, "POST", &url, Some(&z.key), Some(json!({})));
                refused(&as_master, name);
                assert!(as_master.text.contains("agent"), "{}", as_master.text);
                assert_eq!(read_value(ctx, &z.key, "zone/pw"), json!(z.value));
            }
            "CollectPasswordRequests" => {
                // Approved while standard (by the master key), re-tiered critical before the
                // agent collects: the password is withheld, with the reason.
                let asked = ok(
                    send(
                        ctx,
                        "POST",
                        "/v1/agents/me/password-requests",
                        Some(&z.jwt),
                        Some(json!({"path": "zone/retiered", "reason": "r"})),
                    ),
                    201,
                );
                let url = format!("/v1/admin/password-requests/{}/approve", text(&asked, "id"));
                ok(send(ctx, "POST", &url, Some(&z.key), Some(json!({}))), 200);
                ok(
                    send(
                        ctx,
                        "PUT",
                        "/v1/secrets/zone%2Fretiered",
                        Some(&z.key),
                        Some(json!({"value": "replaced", "tier": "critical"})),
                    ),
                    200,
                );
                let collected = ok(
                    send(
                        ctx,
                        "GET",
                        "/v1/agents/me/password-requests",
                        Some(&z.jwt),
                        None,
                    ),
                    200,
                );
                let entry = collected["data"]
                    .as_array()
                    .and_then(|d| d.iter().find(|r| r["id"] == asked["id"]))
                    .cloned()
                    .unwrap_or(Value::Null);
                assert!(entry.get("password").is_none(), "{entry}");
                assert!(
                    entry["withheld"]
                        .as_str()
                        .is_some_and(|w| w.contains("critical")),
                    "{entry}"
                );
                assert!(entry["delivered_at"].is_null(), "{entry}");
            }
            // Access requests are authorized by approvals counted for the secret's tier (the
            // requests tests); the gate still asks the purpose when the value leaves (below).
            "ApproveAccess" | "RequestWrap" => {}
            other => panic!("the tier walk has no case for {other}"),
        }
    }
    // The agent's own direct read is refused the same way.
    refused(
        &send(ctx, "GET", crit, Some(&z.jwt), None),
        "GetSecret (agent)",
    );
    let _ = z.agent_id;
    // Nothing changed.
    assert_eq!(read_value(ctx, &z.key, "zone/crit"), json!(z.value));
}

/// The probe's repro of hole 3 (a wrap walks around `require_purpose`), then every route that
/// releases a value.
fn every_release_route_applies_the_purpose_rule(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    ok(
        send(
            ctx,
            "PUT",
            "/v1/policies",
            Some(&key),
            Some(
                json!({"policies": [{"glob": "cp/*", "sensitive": 1, "critical": 1,
                                       "cancel_window_seconds": 0, "require_purpose": true}]}),
            ),
        ),
        200,
    );
    let value = latchkey_e2e::secret_value("CRIT-NEEDS-PURPOSE");
    secret(
        ctx,
        &key,
        json!({"path": "cp/root", "value": value, "tier": "critical",
               "allowed_hosts": [{"host": "127.0.0.1"}]}),
    );
    ok(
        send(
            ctx,
            "PUT",
            "/v1/secrets/cp%2Froot/fields/f",
            Some(&key),
            Some(json!({"value": value})),
        ),
        201,
    );
    let k = Some(key.as_str());
    let with = [(PURPOSE, "incident 7")];
    // Each release without a purpose: 400 naming the header; with one: it goes through.
    let check = |name: &str, without: Reply, with_purpose: &dyn Fn() -> Reply| {
        assert_eq!(
            without.status, 400,
            "{name} without a purpose: {}",
            without.text
        );
        assert!(
            without.text.contains("X-Latchkey-Purpose"),
            "{name}: {}",
            without.text
        );
        assert!(!without.text.contains(&value), "{name}");
        let allowed = with_purpose();
        assert!(
            (200..300).contains(&allowed.status),
            "{name} with a purpose: {}",
            allowed.text
        );
    };
    // An agent with a grant on cp/* (made by the master key, so cleared for critical), and an
    // approved password request for cp/pw (critical after approval).
    let (agent_id, jwt, _) = agent(ctx, &key, "cp-agent");
    grant(ctx, &key, &agent_id, "cp/*");
    // A person whose read request was approved (by two approvers who are not its hand).
    let (_, requester) = crate::people::person(
        ctx,
        &tenant,
        &key,
        "cp-reader",
        &[crate::people::READER_ROLE],
    );
    let (_, approver) = crate::people::person(
        ctx,
        &tenant,
        &key,
        "cp-approver",
        &[crate::people::APPROVER_ROLE],
    );
    for name in PURPOSE_WALK {
        match *name {
            "GetSecret" => check(
                name,
                send(ctx, "GET", "/v1/secrets/cp%2Froot", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot", k, None, &with),
            ),
            "GetFields" => check(
                name,
                send(ctx, "GET", "/v1/secrets/cp%2Froot/fields", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot/fields", k, None, &with),
            ),
            "GetField" => check(
                name,
                send(ctx, "GET", "/v1/secrets/cp%2Froot/fields/f", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot/fields/f", k, None, &with),
            ),
            "Vault(ReadData" => check(
                name,
                send(ctx, "GET", "/v1/secret/data/cp/root", k, None),
                &|| send_with(ctx, "GET", "/v1/secret/data/cp/root", k, None, &with),
            ),
            // The probe's repro: the wrap is refused, so there is nothing to unwrap.
            "CreateWrap" | "Unwrap" => {
                let body = json!({"path": "cp/root", "ttl_seconds": 60});
                check(
                    name,
                    send(ctx, "POST", "/v1/wraps", k, Some(body.clone())),
                    &|| send_with(ctx, "POST", "/v1/wraps", k, Some(body.clone()), &with),
                );
            }
            "Proxy" => {
                let body = json!({
                    "method": "GET",
                    "url": format!("{}/echo", ctx.echo.base_url),
                    "headers": {"Authorization": "Bearer {{K}}"},
                    "secrets": {"K": "cp/root"},
                });
                check(
                    name,
                    send(ctx, "POST", "/v1/proxy", k, Some(body.clone())),
                    &|| send_with(ctx, "POST", "/v1/proxy", k, Some(body.clone()), &with),
                );
            }
            "RequestWrap" => {
                let created = ok(
                    send(
                        ctx,
                        "POST",
                        "/v1/requests/read",
                        Some(&requester),
                        Some(json!({"path": "cp/root", "reason": "on call", "ttl_seconds": 600})),
                    ),
                    201,
                );
                let id = text(&created, "id");
                let decided = ok(
                    send(
                        ctx,
                        "POST",
                        &format!("/v1/requests/{id}/approve"),
                        Some(&approver),
                        Some(json!({})),
                    ),
                    200,
                );
                let wrap = text(&decided, "wrap_id");
                let url = format!("/v1/requests/{id}/wraps/{wrap}");
                check(
                    name,
                    send(ctx, "GET", &url, Some(&requester), None),
                    &|| send_with(ctx, "GET", &url, Some(&requester), None, &with),
                );
            }
            "CollectPasswordRequests" => {
                let asked = ok(
                    send(
                        ctx,
                        "POST",
                        "/v1/agents/me/password-requests",
                        Some(&jwt),
                        Some(json!({"path": "cp/pw", "reason": "r"})),
                    ),
                    201,
                );
                let url = format!("/v1/admin/password-requests/{}/approve", text(&asked, "id"));
                ok(send(ctx, "POST", &url, Some(&key), Some(json!({}))), 200);
                ok(
                    send(
                        ctx,
                        "PUT",
                        "/v1/secrets/cp%2Fpw",
                        Some(&key),
                        Some(json!({"value": "kept", "tier": "critical"})),
                    ),
                    200,
                );
                // Re-tiered after the approval: the grant (made by the master key) is cleared
                // for critical, so only the purpose rule decides.
                let entry = |reply: Reply| -> Value {
                    let body = ok(reply, 200);
                    body["data"]
                        .as_array()
                        .and_then(|d| d.iter().find(|r| r["id"] == asked["id"]))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                let first = entry(send(
                    ctx,
                    "GET",
                    "/v1/agents/me/password-requests",
                    Some(&jwt),
                    None,
                ));
                assert!(first.get("password").is_none(), "{first}");
                assert!(
                    first["withheld"]
                        .as_str()
                        .is_some_and(|w| w.contains("X-Latchkey-Purpose")),
                    "{first}"
                );
                let second = entry(send_with(
                    ctx,
                    "GET",
                    "/v1/agents/me/password-requests",
                    Some(&jwt),
                    None,
                    &with,
                ));
                assert!(second["password"].is_string(), "{second}");
            }
            other => panic!("the purpose walk has no case for {other}"),
        }
    }
}

/// Hole 2: nobody approves a request filed by anything they made, or by what that made.
fn same_hand_follows_the_provenance_chain(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let value = latchkey_e2e::secret_value("SENSITIVE-VALUE");
    secret(
        ctx,
        &key,
        json!({"path": "app/key", "value": value, "tier": "sensitive"}),
    );
    let (_, ap) = token(
        ctx,
        &key,
        &["approvals:decide", "agents:admin", "users:admin"],
    );
    // The probe's repro: a puppet agent of the approver asks, the approver approves.
    let (puppet_id, puppet, _) = agent(ctx, &ap, "puppet");
    let asked = ok(
        send(
            ctx,
            "POST",
            "/v1/requests/read",
            Some(&puppet),
            Some(json!({"path": "app/key", "reason": "x", "ttl_seconds": 600})),
        ),
        201,
    );
    let id = text(&asked, "id");
    send(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&ap),
        Some(json!({})),
    )
    .assert_error(403, "permission_denied");
    // A person the approver created.
    let (_, made) = crate::people::person(ctx, &tenant, &ap, "made", &[]);
    let by_user = ok(
        send(
            ctx,
            "POST",
            "/v1/requests/read",
            Some(&made),
            Some(json!({"path": "app/key", "reason": "x", "ttl_seconds": 600})),
        ),
        201,
    );
    let url = format!("/v1/requests/{}/approve", text(&by_user, "id"));
    send(ctx, "POST", &url, Some(&ap), Some(json!({}))).assert_error(403, "permission_denied");
    // A password request of an agent the approver made: the same rule.
    let (_, writer) = token(
        ctx,
        &key,
        &["secrets:write:svc/*", "secrets:read:svc/*", "agents:admin"],
    );
    let (wagent, wjwt, _) = agent(ctx, &writer, "w");
    grant(ctx, &writer, &wagent, "svc/*");
    let pw = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/me/password-requests",
            Some(&wjwt),
            Some(json!({"path": "svc/db", "reason": "r"})),
        ),
        201,
    );
    let url = format!("/v1/admin/password-requests/{}/approve", text(&pw, "id"));
    send(ctx, "POST", &url, Some(&writer), Some(json!({}))).assert_error(403, "permission_denied");
    // An unrelated approver decides.
    let (_, other) = token(ctx, &key, &["approvals:decide"]);
    let decided = ok(
        send(
            ctx,
            "POST",
            &format!("/v1/requests/{id}/approve"),
            Some(&other),
            Some(json!({})),
        ),
        200,
    );
    assert_eq!(
        decided["approvals"].as_array().map(Vec::len),
        Some(1),
        "{decided}"
    );
    let _ = puppet_id;
}

/// Hole 4: revoking a token reaches what it made: child tokens and bootstrap tokens die,
/// agents and users are suspended (listed with the reason, reinstated only by an admin), its
/// grants stop counting; each change is an audit event.
fn revocation_cascades_down_the_chain(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    secret(ctx, &key, json!({"path": "ops/a", "value": "v"}));
    let (admin_id, admin) = token(
        ctx,
        &key,
        &[
            "agents:admin",
            "users:admin",
            "tokens:create",
            "secrets:read:ops/*",
        ],
    );
    let (_, child) = token(ctx, &admin, &["secrets:read:ops/*"]);
    let boot = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/bootstrap",
            Some(&admin),
            Some(json!({"ttl_seconds": 600, "max_registrations": 10})),
        ),
        201,
    );
    let boot_token = text(&boot, "token");
    let reg = ok(
        send(
            ctx,
            "POST",
            "/v1/agents/register",
            None,
            Some(json!({"token": boot_token, "name": "n"})),
        ),
        201,
    );
    let (agent_id, jwt) = (text(&reg, "id"), text(&reg, "token"));
    // An agent made by the master key, granted by the admin token.
    let (other_agent, other_jwt, _) = agent(ctx, &key, "kept");
    let g = grant(ctx, &admin, &other_agent, "ops/*");
    let (user_id, user_jwt) = crate::people::person(ctx, &tenant, &admin, "made-user", &[]);
    assert_eq!(
        send(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&other_jwt), None).status,
        200
    );
    assert_eq!(
        send(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&child), None).status,
        200
    );

    ok(
        send(
            ctx,
            "DELETE",
            &format!("/v1/tokens/{admin_id}"),
            Some(&key),
            None,
        ),
        200,
    );

    send(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&child), None).assert_error(401, "unauthorized");
    let again = send(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": boot_token, "name": "m"})),
    );
    assert_eq!(again.status, 401, "{}", again.text);
    send(
        ctx,
        "POST",
        "/v1/agents/me/refresh-token",
        Some(&jwt),
        Some(json!({})),
    )
    .assert_error(401, "unauthorized");
    let user_call = send(ctx, "GET", "/v1/permissions", Some(&user_jwt), None);
    assert_eq!(user_call.status, 401, "{}", user_call.text);
    // The agent the master made still works, but the admin's grant no longer counts.
    send(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&other_jwt), None)
        .assert_error(403, "permission_denied");
    let grants = ok(
        send(
            ctx,
            "GET",
            &format!("/v1/grants?agent_id={other_agent}"),
            Some(&key),
            None,
        ),
        200,
    );
    assert!(grants["grants"][0]["suspended_at"].is_string(), "{grants}");
    let _ = g;
    // Listed with the reason.
    let agents = ok(
        send(ctx, "GET", "/v1/agents?per_page=100", Some(&key), None),
        200,
    );
    let listed = agents["data"]
        .as_array()
        .and_then(|d| d.iter().find(|a| a["id"] == agent_id.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        listed["suspended_reason"]
            .as_str()
            .is_some_and(|r| r.contains("revoked")),
        "{listed}"
    );
    assert!(
        listed["status_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("suspended")),
        "{listed}"
    );
    let users = ok(send(ctx, "GET", "/v1/users", Some(&key), None), 200);
    assert!(
        users["users"].as_array().is_some_and(|u| u
            .iter()
            .any(|u| u["id"] == user_id.as_str() && u["suspended_at"].is_string())),
        "{users}"
    );
    // Every cascaded change is an event.
    let trail = ok(
        send(ctx, "GET", "/v1/audit?limit=100", Some(&key), None),
        200,
    );
    let types: Vec<&str> = trail["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["details"]["cascade_from"] == admin_id.as_str())
                .filter_map(|e| e["type"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for expected in [
        "token.revoked",
        "bootstrap.revoked",
        "agent.suspended",
        "user.suspended",
        "grant.suspended",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    // Only an admin reinstates; the suspension holds until then.
    let (_, agents_admin) = token(ctx, &key, &["agents:admin"]);
    send(
        ctx,
        "POST",
        &format!("/v1/agents/{agent_id}/reinstate"),
        Some(&agents_admin),
        Some(json!({})),
    )
    .assert_error(403, "permission_denied");
    ok(
        send(
            ctx,
            "POST",
            &format!("/v1/agents/{agent_id}/reinstate"),
            Some(&key),
            Some(json!({})),
        ),
        200,
    );
    ok(
        send(
            ctx,
            "POST",
            "/v1/agents/me/refresh-token",
            Some(&jwt),
            Some(json!({})),
        ),
        200,
    );
    send(
        ctx,
        "POST",
        &format!("/v1/agents/{agent_id}/reinstate"),
        Some(&key),
        Some(json!({})),
    )
    .assert_error(409, "conflict");
    ok(
        send(
            ctx,
            "POST",
            &format!("/v1/users/{user_id}/reinstate"),
            Some(&key),
            Some(json!({})),
        ),
        200,
    );
    assert_eq!(
        send(ctx, "GET", "/v1/permissions", Some(&user_jwt), None).status,
        200
    );
    // The revoked bootstrap token stays revoked.
    let after = send(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": boot_token, "name": "z"})),
    );
    assert_eq!(after.status, 401, "{}", after.text);
}

/// Expiry is not revocation: what an expired token made lives on.
fn expiry_does_not_cascade(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let body = ok(
        send(
            ctx,
            "POST",
            "/v1/tokens",
            Some(&key),
            Some(json!({"scope": ["agents:admin"], "ttl_seconds": 60})),
        ),
        201,
    );
    let short = text(&body, "value");
    let (_, jwt, _) = agent(ctx, &short, "outlives");
    std::thread::sleep(std::time::Duration::from_secs(61));
    assert_eq!(
        send(ctx, "GET", "/v1/agents?per_page=1", Some(&short), None).status,
        401
    );
    ok(
        send(
            ctx,
            "POST",
            "/v1/agents/me/refresh-token",
            Some(&jwt),
            Some(json!({})),
        ),
        200,
    );
}

/// Hole 5, first item: a caller who cannot see a path gets the same answer to an access
/// request whether or not a secret is there and whatever its tier.
fn access_requests_do_not_reveal_unseen_secrets(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    secret(ctx, &key, json!({"path": "zone/std", "value": "s"}));
    secret(
        ctx,
        &key,
        json!({"path": "app/key", "value": "v", "tier": "sensitive"}),
    );
    secret(ctx, &key, json!({"path": "app/plain", "value": "v"}));
    let (_, t) = token(ctx, &key, &["secrets:read:zone/std"]);
    let shape = |path: &str, kind: &str| -> Value {
        let (url, body) = match kind {
            "read" => (
                "/v1/requests/read",
                json!({"path": path, "reason": "r", "ttl_seconds": 60}),
            ),
            _ => (
                "/v1/requests",
                json!({"path": path, "reason": "r", "value": "new"}),
            ),
        };
        let reply = send(ctx, "POST", url, Some(&t), Some(body));
        assert_eq!(reply.status, 201, "{path}: {}", reply.text);
        let mut b = reply.body;
        for volatile in ["id", "path", "created_at", "expires_at"] {
            b[volatile] = Value::Null;
        }
        b
    };
    for kind in ["read", "patch"] {
        let existing = shape("app/key", kind);
        assert_eq!(existing, shape("app/nope", kind), "{kind}");
        assert_eq!(existing, shape("app/plain", kind), "{kind}");
        assert!(existing["tier"].is_null(), "{existing}");
    }
    // An approver sees the truth; approving a request for nothing fails and changes nothing.
    let (_, approver) = token(ctx, &key, &["approvals:decide"]);
    let listed = ok(
        send(
            ctx,
            "GET",
            "/v1/requests?status=pending",
            Some(&approver),
            None,
        ),
        200,
    );
    let nope = listed["requests"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["path"] == "app/nope"))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(nope["tier"].is_null(), "{nope}");
    let real = listed["requests"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["path"] == "app/key"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(real["tier"], "sensitive", "{real}");
    let id = text(&nope, "id");
    send(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&approver),
        Some(json!({})),
    )
    .assert_error(404, "not_found");
    // A caller who can see the path still hears at once that there is nothing there.
    send(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&t),
        Some(json!({"path": "zone/std", "reason": "r", "ttl_seconds": 60})),
    );
    let (_, seer) = token(ctx, &key, &["secrets:read:zone/*"]);
    send(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&seer),
        Some(json!({"path": "zone/nope", "reason": "r", "ttl_seconds": 60})),
    )
    .assert_error(404, "not_found");
}

/// Hole 5: clearance is per rule. Under `lo/*` critical=1 and `hi/*` critical=3, a token
/// approved once because it reached `lo/new` must not read a critical `hi/new` created later.
fn a_stricter_rule_asks_again(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    ok(
        send(
            ctx,
            "PUT",
            "/v1/policies",
            Some(&key),
            Some(json!({"policies": [
                {"glob": "lo/*", "critical": 1, "cancel_window_seconds": 0},
                {"glob": "hi/*", "critical": 3, "cancel_window_seconds": 0},
            ]})),
        ),
        200,
    );
    // The requester is minted while nothing exists (so it needs no approval itself).
    let (_, requester) = token(ctx, &key, &["tokens:create", "secrets:read:*"]);
    secret(
        ctx,
        &key,
        json!({"path": "lo/new", "value": "low", "tier": "critical"}),
    );
    let asked = send(
        ctx,
        "POST",
        "/v1/tokens",
        Some(&requester),
        Some(json!({"scope": ["secrets:read:*/new"]})),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    let approval = text(&asked.body, "approval_request_id");
    let (_, approver) = token(ctx, &key, &["approvals:decide"]);
    ok(
        send(
            ctx,
            "POST",
            &format!("/v1/approvals/{approval}/approve"),
            Some(&approver),
            Some(json!({})),
        ),
        200,
    );
    let released = ok(
        send(
            ctx,
            "GET",
            &format!("/v1/approvals/{approval}"),
            Some(&requester),
            None,
        ),
        200,
    );
    let cleared = released["token"]["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    assert_eq!(read_value(ctx, &cleared, "lo/new"), json!("low"));
    secret(
        ctx,
        &key,
        json!({"path": "hi/new", "value": "high", "tier": "critical"}),
    );
    let refused = send(ctx, "GET", "/v1/secrets/hi%2Fnew", Some(&cleared), None);
    refused.assert_error(403, "permission_denied");
    assert_eq!(
        refused.body["error"]["required_approvals"], 3,
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("high"));
}
