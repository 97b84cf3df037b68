//! The provenance chain (same hand, cascading revocation, expiry), access requests that do not
//! reveal what the requester cannot see, and clearance per policy rule.

use super::*;

/// Hole 2: nobody approves a request filed by anything they made, or by what that made.
pub(super) fn same_hand_follows_the_provenance_chain(ctx: &Ctx) {
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
    let (puppet_id, puppet) = agent(ctx, &ap, "puppet");
    let asked = ok(
        call(
            ctx,
            "POST",
            "/v1/requests/read",
            Some(&puppet),
            Some(json!({"path": "app/key", "reason": "x", "ttl_seconds": 600})),
        ),
        201,
    );
    let id = text(&asked, "id");
    call(
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
        call(
            ctx,
            "POST",
            "/v1/requests/read",
            Some(&made),
            Some(json!({"path": "app/key", "reason": "x", "ttl_seconds": 600})),
        ),
        201,
    );
    let url = format!("/v1/requests/{}/approve", text(&by_user, "id"));
    call(ctx, "POST", &url, Some(&ap), Some(json!({}))).assert_error(403, "permission_denied");
    // A password request of an agent the approver made: the same rule.
    let (_, writer) = token(
        ctx,
        &key,
        &["secrets:write:svc/*", "secrets:read:svc/*", "agents:admin"],
    );
    let (wagent, wjwt) = agent(ctx, &writer, "w");
    grant(ctx, &writer, &wagent, "svc/*");
    let pw = ok(ask_password(ctx, &wjwt, "svc/db"), 201);
    let url = approve_password_url(&pw);
    call(ctx, "POST", &url, Some(&writer), Some(json!({}))).assert_error(403, "permission_denied");
    // An unrelated approver decides.
    let (_, other) = token(ctx, &key, &["approvals:decide"]);
    let decided = ok(
        call(
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
pub(super) fn revocation_cascades_down_the_chain(ctx: &Ctx) {
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
        call(
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
        call(
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
    let (other_agent, other_jwt) = agent(ctx, &key, "kept");
    let g = grant(ctx, &admin, &other_agent, "ops/*");
    let (user_id, user_jwt) = crate::people::person(ctx, &tenant, &admin, "made-user", &[]);
    assert_eq!(
        call(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&other_jwt), None).status,
        200
    );
    assert_eq!(
        call(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&child), None).status,
        200
    );

    ok(
        call(
            ctx,
            "DELETE",
            &format!("/v1/tokens/{admin_id}"),
            Some(&key),
            None,
        ),
        200,
    );

    call(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&child), None).assert_error(401, "unauthorized");
    let again = call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": boot_token, "name": "m"})),
    );
    assert_eq!(again.status, 401, "{}", again.text);
    call(
        ctx,
        "POST",
        "/v1/agents/me/refresh-token",
        Some(&jwt),
        Some(json!({})),
    )
    .assert_error(401, "unauthorized");
    let user_call = call(ctx, "GET", "/v1/permissions", Some(&user_jwt), None);
    assert_eq!(user_call.status, 401, "{}", user_call.text);
    // The agent the master made still works, but the admin's grant no longer counts.
    call(ctx, "GET", "/v1/secrets/ops%2Fa", Some(&other_jwt), None)
        .assert_error(403, "permission_denied");
    let grants = ok(
        call(
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
        call(ctx, "GET", "/v1/agents?per_page=100", Some(&key), None),
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
    let users = ok(call(ctx, "GET", "/v1/users", Some(&key), None), 200);
    assert!(
        users["users"].as_array().is_some_and(|u| u
            .iter()
            .any(|u| u["id"] == user_id.as_str() && u["suspended_at"].is_string())),
        "{users}"
    );
    // Every cascaded change is an event.
    let trail = ok(
        call(ctx, "GET", "/v1/audit?limit=100", Some(&key), None),
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
    call(
        ctx,
        "POST",
        &format!("/v1/agents/{agent_id}/reinstate"),
        Some(&agents_admin),
        Some(json!({})),
    )
    .assert_error(403, "permission_denied");
    ok(
        call(
            ctx,
            "POST",
            &format!("/v1/agents/{agent_id}/reinstate"),
            Some(&key),
            Some(json!({})),
        ),
        200,
    );
    ok(
        call(
            ctx,
            "POST",
            "/v1/agents/me/refresh-token",
            Some(&jwt),
            Some(json!({})),
        ),
        200,
    );
    call(
        ctx,
        "POST",
        &format!("/v1/agents/{agent_id}/reinstate"),
        Some(&key),
        Some(json!({})),
    )
    .assert_error(409, "conflict");
    ok(
        call(
            ctx,
            "POST",
            &format!("/v1/users/{user_id}/reinstate"),
            Some(&key),
            Some(json!({})),
        ),
        200,
    );
    assert_eq!(
        call(ctx, "GET", "/v1/permissions", Some(&user_jwt), None).status,
        200
    );
    // The revoked bootstrap token stays revoked.
    let after = call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": boot_token, "name": "z"})),
    );
    assert_eq!(after.status, 401, "{}", after.text);
}

/// Expiry is not revocation: what an expired token made lives on.
pub(super) fn expiry_does_not_cascade(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let body = ok(
        call(
            ctx,
            "POST",
            "/v1/tokens",
            Some(&key),
            Some(json!({"scope": ["agents:admin"], "ttl_seconds": 60})),
        ),
        201,
    );
    let short = text(&body, "value");
    let (_, jwt) = agent(ctx, &short, "outlives");
    std::thread::sleep(std::time::Duration::from_secs(61));
    assert_eq!(
        call(ctx, "GET", "/v1/agents?per_page=1", Some(&short), None).status,
        401
    );
    ok(
        call(
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
pub(super) fn access_requests_do_not_reveal_unseen_secrets(ctx: &Ctx) {
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
        let reply = call(ctx, "POST", url, Some(&t), Some(body));
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
        call(
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
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&approver),
        Some(json!({})),
    )
    .assert_error(404, "not_found");
    // A caller who can see the path still hears at once that there is nothing there.
    call(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&t),
        Some(json!({"path": "zone/std", "reason": "r", "ttl_seconds": 60})),
    );
    let (_, seer) = token(ctx, &key, &["secrets:read:zone/*"]);
    call(
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
pub(super) fn a_stricter_rule_asks_again(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    ok(
        call(
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
    let asked = call(
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
        call(
            ctx,
            "POST",
            &format!("/v1/approvals/{approval}/approve"),
            Some(&approver),
            Some(json!({})),
        ),
        200,
    );
    let released = ok(
        call(
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
    let refused = call(ctx, "GET", "/v1/secrets/hi%2Fnew", Some(&cleared), None);
    refused.assert_error(403, "permission_denied");
    assert_eq!(
        refused.body["error"]["required_approvals"], 3,
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("high"));
}
