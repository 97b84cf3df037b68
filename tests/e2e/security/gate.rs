//! The one gate for values: every route the route table marks as moving a value, walked with
//! a caller not cleared for the secret and, for releases, without a purpose.

use super::*;
use latchkey_core::route::{Route, SAMPLES, ValueMove};
use std::collections::BTreeSet;

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
    "PatchSecret",
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
pub(super) fn value_routes_are_all_walked(_: &Ctx) {
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
pub(super) fn a_standard_token_cannot_overwrite_or_collect_a_critical_secret(ctx: &Ctx) {
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
    let (agent_id, jwt) = agent(ctx, &x, "a");
    grant(ctx, &x, &agent_id, "zone/*");
    let original = latchkey_e2e::secret_value("CRITICAL-ORIGINAL");
    secret(
        ctx,
        &key,
        json!({"path": "zone/crit", "value": original, "tier": "critical"}),
    );
    let put = call(
        ctx,
        "PUT",
        "/v1/secrets/zone%2Fcrit",
        Some(&x),
        Some(json!({"value": "x"})),
    );
    put.assert_error(403, "permission_denied");
    // The agent's grant was cleared for standard: it may not even ask.
    let asked = ask_password(ctx, &jwt, "zone/crit");
    asked.assert_error(403, "permission_denied");
    // Asked before the path was critical, then approved by X: refused (same hand: X made the
    // agent; and X is cleared for standard only).
    let early = ok(ask_password(ctx, &jwt, "zone/later"), 201);
    secret(
        ctx,
        &key,
        json!({"path": "zone/later", "value": original, "tier": "critical"}),
    );
    let approved = call(
        ctx,
        "POST",
        &approve_password_url(&early),
        Some(&x),
        Some(json!({})),
    );
    approved.assert_error(403, "permission_denied");
    assert_eq!(read_value(ctx, &key, "zone/later"), json!(original));
    assert_eq!(read_value(ctx, &key, "zone/crit"), json!(original));
    let collected = ok(
        call(
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
    let (agent_id, jwt) = agent(ctx, &key, "zone-agent");
    grant(ctx, &x, &agent_id, "zone/*");
    let value = latchkey_e2e::secret_value("zone-critical");
    secret(
        ctx,
        &key,
        json!({"path": "zone/crit", "value": value, "tier": "critical",
               "allowed_hosts": [{"host": "127.0.0.1"}]}),
    );
    ok(
        call(
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

pub(super) fn every_value_route_applies_tier_clearance(ctx: &Ctx) {
    let z = zone(ctx);
    let x = Some(z.x.as_str());
    let crit = "/v1/secrets/zone%2Fcrit";
    for name in TIER_WALK {
        match *name {
            "CreateSecret" => refused(
                &call(
                    ctx,
                    "POST",
                    "/v1/secrets",
                    x,
                    Some(json!({"path": "zone/crit", "value": "v"})),
                ),
                name,
            ),
            "UpdateSecret" => refused(
                &call(ctx, "PUT", crit, x, Some(json!({"value": "v"}))),
                name,
            ),
            // With a value and without one: the metadata alone is as closed as the value.
            "PatchSecret" => {
                refused(
                    &call(ctx, "PATCH", crit, x, Some(json!({"value": "v"}))),
                    name,
                );
                refused(
                    &call(ctx, "PATCH", crit, x, Some(json!({"tags": {"a": "b"}}))),
                    name,
                );
            }
            "RotateSecret" => refused(
                &call(
                    ctx,
                    "POST",
                    &format!("{crit}/rotate"),
                    x,
                    Some(json!({"new_value": "v"})),
                ),
                name,
            ),
            "SetFields" => refused(
                &call(
                    ctx,
                    "PUT",
                    &format!("{crit}/fields"),
                    x,
                    Some(json!({"fields": {"f": "v"}})),
                ),
                name,
            ),
            "SetField" => refused(
                &call(
                    ctx,
                    "PUT",
                    &format!("{crit}/fields/f"),
                    x,
                    Some(json!({"value": "v"})),
                ),
                name,
            ),
            "Generate" => refused(
                &call(
                    ctx,
                    "POST",
                    "/v1/generate",
                    x,
                    Some(json!({"path": "zone/crit"})),
                ),
                name,
            ),
            "Vault(WriteData" => refused(
                &call(
                    ctx,
                    "POST",
                    "/v1/secret/data/zone/crit",
                    x,
                    Some(json!({"data": {"k": "v"}})),
                ),
                name,
            ),
            "GetSecret" => refused(&call(ctx, "GET", crit, x, None), name),
            "GetFields" => refused(&call(ctx, "GET", &format!("{crit}/fields"), x, None), name),
            "GetField" => refused(
                &call(ctx, "GET", &format!("{crit}/fields/f"), x, None),
                name,
            ),
            "Vault(ReadData" => refused(
                &call(ctx, "GET", "/v1/secret/data/zone/crit", x, None),
                name,
            ),
            // No wrap of the secret can be made, so there is none to unwrap.
            "CreateWrap" | "Unwrap" => refused(
                &call(
                    ctx,
                    "POST",
                    "/v1/wraps",
                    x,
                    Some(json!({"path": "zone/crit", "ttl_seconds": 60})),
                ),
                name,
            ),
            "Proxy" => refused(
                &call(
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
                let asked = ok(ask_password(ctx, &z.jwt, "zone/pw"), 201);
                secret(
                    ctx,
                    &z.key,
                    json!({"path": "zone/pw", "value": z.value, "tier": "critical"}),
                );
                let url = approve_password_url(&asked);
                refused(&call(ctx, "POST", &url, x, Some(json!({}))), name);
                // The master key may write anything; the agent is the one not cleared.
                let as_master = call(ctx, "POST", &url, Some(&z.key), Some(json!({})));
                refused(&as_master, name);
                assert!(as_master.text.contains("agent"), "{}", as_master.text);
                assert_eq!(read_value(ctx, &z.key, "zone/pw"), json!(z.value));
            }
            "CollectPasswordRequests" => {
                // Approved while standard (by the master key), re-tiered critical before the
                // agent collects: the password is withheld, with the reason.
                let asked = ok(ask_password(ctx, &z.jwt, "zone/retiered"), 201);
                let url = approve_password_url(&asked);
                ok(call(ctx, "POST", &url, Some(&z.key), Some(json!({}))), 200);
                ok(
                    call(
                        ctx,
                        "PUT",
                        "/v1/secrets/zone%2Fretiered",
                        Some(&z.key),
                        Some(json!({"value": "replaced", "tier": "critical"})),
                    ),
                    200,
                );
                let collected = ok(
                    call(
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
        &call(ctx, "GET", crit, Some(&z.jwt), None),
        "GetSecret (agent)",
    );
    let _ = z.agent_id;
    // Nothing changed.
    assert_eq!(read_value(ctx, &z.key, "zone/crit"), json!(z.value));
}

/// The probe's repro of hole 3 (a wrap walks around `require_purpose`), then every route that
/// releases a value.
pub(super) fn every_release_route_applies_the_purpose_rule(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    ok(
        call(
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
        call(
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
    let (agent_id, jwt) = agent(ctx, &key, "cp-agent");
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
                call(ctx, "GET", "/v1/secrets/cp%2Froot", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot", k, None, &with),
            ),
            "GetFields" => check(
                name,
                call(ctx, "GET", "/v1/secrets/cp%2Froot/fields", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot/fields", k, None, &with),
            ),
            "GetField" => check(
                name,
                call(ctx, "GET", "/v1/secrets/cp%2Froot/fields/f", k, None),
                &|| send_with(ctx, "GET", "/v1/secrets/cp%2Froot/fields/f", k, None, &with),
            ),
            "Vault(ReadData" => check(
                name,
                call(ctx, "GET", "/v1/secret/data/cp/root", k, None),
                &|| send_with(ctx, "GET", "/v1/secret/data/cp/root", k, None, &with),
            ),
            // The probe's repro: the wrap is refused, so there is nothing to unwrap.
            "CreateWrap" | "Unwrap" => {
                let body = json!({"path": "cp/root", "ttl_seconds": 60});
                check(
                    name,
                    call(ctx, "POST", "/v1/wraps", k, Some(body.clone())),
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
                    call(ctx, "POST", "/v1/proxy", k, Some(body.clone())),
                    &|| send_with(ctx, "POST", "/v1/proxy", k, Some(body.clone()), &with),
                );
            }
            "RequestWrap" => {
                let created = ok(
                    call(
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
                    call(
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
                    call(ctx, "GET", &url, Some(&requester), None),
                    &|| send_with(ctx, "GET", &url, Some(&requester), None, &with),
                );
            }
            "CollectPasswordRequests" => {
                let asked = ok(ask_password(ctx, &jwt, "cp/pw"), 201);
                let url = approve_password_url(&asked);
                ok(call(ctx, "POST", &url, Some(&key), Some(json!({}))), 200);
                ok(
                    call(
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
                let first = entry(call(
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
