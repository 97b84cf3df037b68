//! The `/api/v1` face (seeds 000 and 001): each seed's own examples replayed as the seed
//! writes them (method, path, headers, body), the seeds' identity members (`approver_id`,
//! `actor_id`, `?user_id=`) refused when they name someone else, login by the tenant's
//! hostname, the seeds' permission names in roles, and the face's strict queries.

use crate::Ctx;
use crate::people::{APPROVER_ROLE, PASSWORD, READER_ROLE, person};
use latchkey_e2e::client::{Body, Reply};
use latchkey_e2e::unique;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "faces_api::seed_000_examples_answer_as_written",
        seed_000_examples_answer_as_written,
    ),
    (
        "faces_api::seed_001_examples_answer_as_written",
        seed_001_examples_answer_as_written,
    ),
    (
        "faces_api::identity_naming_someone_else_is_403_and_changes_nothing",
        identity_naming_someone_else_is_403_and_changes_nothing,
    ),
    (
        "faces_api::login_by_hostname_finds_the_tenant",
        login_by_hostname_finds_the_tenant,
    ),
    (
        "faces_api::seed_permission_names_in_roles_grant_what_they_name",
        seed_permission_names_in_roles_grant_what_they_name,
    ),
    (
        "faces_api::unknown_paths_and_parameters_are_json_4xx",
        unknown_paths_and_parameters_are_json_4xx,
    ),
];

/// A request as a seed writes it: `Authorization: Bearer`, and `Content-Type:
/// application/json` with a JSON body.
fn seed(ctx: &Ctx, method: &str, url: &str, bearer: Option<&str>, body: Option<&Value>) -> Reply {
    let body = body.map_or(Body::None, Body::Json);
    ctx.api().send(method, url, bearer, &[], body)
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

fn has_members(value: &Value, members: &[&str]) {
    for member in members {
        assert!(
            value.get(*member).is_some(),
            "'{member}' missing in {value}"
        );
    }
}

/// A user holding a new role with `permissions`: `(user id, JWT)`.
fn user_with(
    ctx: &Ctx,
    tenant: &str,
    key: &str,
    label: &str,
    permissions: Value,
) -> (String, String) {
    let role = seed(
        ctx,
        "POST",
        "/api/v1/roles",
        Some(key),
        Some(
            &json!({"name": unique(label).replace('_', "-").to_lowercase(), "permissions": permissions}),
        ),
    );
    assert_eq!(role.status, 201, "{}", role.text);
    let role_id = role.body["id"].as_str().expect("role id").to_owned();
    person(ctx, tenant, key, label, &[role_id.as_str()])
}

fn seed_000_examples_answer_as_written(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    // "JWT + agent:admin": a person whose role holds the seed's name for it.
    let (_, admin) = user_with(ctx, &tenant, &key, "agentadmin", json!(["agent:admin"]));

    // Step 1: a bootstrap token (the seed shows no body).
    let boot = seed(ctx, "POST", "/api/v1/agents/bootstrap", Some(&admin), None);
    assert_eq!(boot.status, 201, "{}", boot.text);
    let token = boot.body["token"].as_str().expect("token").to_owned();

    // Step 2: register, the seed's body exactly (its token redacted there, real here).
    let register = json!({
        "token": token,
        "name": "app-server-01",
        "hostname": "app-server-01.example.com",
        "os_type": "linux",
        "metadata": {
            "environment": "production",
            "datacenter": "eu-west-1",
            "role": "application-server"
        }
    });
    let registered = seed(
        ctx,
        "POST",
        "/api/v1/agents/register",
        None,
        Some(&register),
    );
    assert_eq!(registered.status, 201, "{}", registered.text);
    has_members(&registered.body, &["id", "token", "mtls_template_id"]);
    let agent_id = registered.body["id"].as_str().unwrap().to_owned();
    let jwt = registered.body["token"].as_str().unwrap().to_owned();

    // Agent health, as the seed writes it: 200 with a commands array.
    let health = json!({
        "status": "healthy",
        "uptime_seconds": 86400,
        "metrics": {"cpu_percent": 15.2, "memory_percent": 42.8, "disk_percent": 67.1},
        "managed_secrets": 12,
        "managed_certificates": 5,
        "last_sync": "2026-02-10T16:55:00Z"
    });
    let reported = seed(
        ctx,
        "POST",
        "/api/v1/agents/me/health",
        Some(&jwt),
        Some(&health),
    );
    assert_eq!(reported.status, 200, "{}", reported.text);
    assert!(reported.body["commands"].is_array(), "{}", reported.text);

    // Certificate discovery, the seed's body exactly.
    let certificates = json!({
        "certificates": [{
            "subject": "CN=legacy-app.internal,O=Example Corp",
            "serial_number": "AB:CD:EF:01:23",
            "issuer": "CN=Internal CA",
            "not_before": "2025-06-15T00:00:00Z",
            "not_after": "2026-06-15T00:00:00Z",
            "location": "/etc/ssl/certs/legacy-app.pem",
            "fingerprint": "SHA256:abc123...",
            "dns_names": ["legacy-app.internal"],
            "ip_addresses": ["10.0.2.50"],
            "source": "filesystem",
            "is_managed": false
        }]
    });
    let discovered = seed(
        ctx,
        "POST",
        "/api/v1/agents/me/discovery/certificates",
        Some(&jwt),
        Some(&certificates),
    );
    assert_eq!(discovered.status, 200, "{}", discovered.text);

    // List agents with every filter the seed names; the seed's item and pagination shape.
    let list = seed(
        ctx,
        "GET",
        "/api/v1/agents?status=online&label=environment=production&search=app-server&page=1&per_page=25",
        Some(&admin),
        None,
    );
    assert_eq!(list.status, 200, "{}", list.text);
    let item = &list.body["data"][0];
    has_members(
        item,
        &[
            "id",
            "hostname",
            "status",
            "platform",
            "agent_version",
            "labels",
            "last_heartbeat",
            "managed_secrets",
            "managed_certificates",
            "registered_at",
        ],
    );
    assert_eq!(item["id"], agent_id.as_str());
    assert_eq!(item["labels"]["datacenter"], "eu-west-1");
    assert_eq!(
        list.body["pagination"],
        json!({"page": 1, "per_page": 25, "total": 1})
    );
    // The agent itself (no agent:admin) may not list.
    seed(ctx, "GET", "/api/v1/agents", Some(&jwt), None).assert_error(403, "permission_denied");

    let discovery = seed(
        ctx,
        "GET",
        &format!("/api/v1/agents/{agent_id}/discovery"),
        Some(&admin),
        None,
    );
    assert_eq!(discovery.status, 200, "{}", discovery.text);
    assert_eq!(
        discovery.body["certificates"].as_array().map(Vec::len),
        Some(1)
    );
    let mine = seed(
        ctx,
        "GET",
        "/api/v1/agents/me/certificates",
        Some(&jwt),
        None,
    );
    assert_eq!(mine.status, 200, "{}", mine.text);
    let ssh = seed(
        ctx,
        "POST",
        "/api/v1/agents/me/ssh-discovery",
        Some(&jwt),
        Some(
            &json!({"keys": [{"fingerprint": "SHA256:k1", "key_type": "ssh-ed25519", "user": "deploy", "kind": "authorized"}]}),
        ),
    );
    assert_eq!(ssh.status, 200, "{}", ssh.text);
    // "SSH key management is available under /api/v1/ssh/discovery (requires ssh:discover
    // permission)": the fleet's keys, for ssh:discover (agent:admin covers it).
    let ssh_reader = ctx
        .api()
        .create_token(&key, &json!({"scope": ["ssh:discover"]}));
    assert_eq!(ssh_reader.status, 201, "{}", ssh_reader.text);
    let ssh_reader = ssh_reader.body["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for bearer in [&ssh_reader, &admin] {
        let keys = seed(ctx, "GET", "/api/v1/ssh/discovery", Some(bearer), None);
        assert_eq!(keys.status, 200, "{}", keys.text);
        let key = &keys.body["ssh_keys"][0];
        assert_eq!(key["agent_id"], agent_id.as_str());
        assert_eq!(key["fingerprint"], "SHA256:k1");
        assert_eq!(key["user"], "deploy");
        assert_eq!(keys.body["next_cursor"], Value::Null);
    }
    let filtered = seed(
        ctx,
        "GET",
        &format!("/api/v1/ssh/discovery?agent_id={agent_id}&limit=1"),
        Some(&ssh_reader),
        None,
    );
    assert_eq!(filtered.body["ssh_keys"].as_array().map(Vec::len), Some(1));
    seed(ctx, "GET", "/api/v1/ssh/discovery", Some(&jwt), None)
        .assert_error(403, "permission_denied");
    let audit_only = ctx
        .api()
        .create_token(&key, &json!({"scope": ["audit:read"]}));
    let refused = seed(
        ctx,
        "GET",
        "/api/v1/ssh/discovery",
        audit_only.body["value"].as_str(),
        None,
    );
    refused.assert_error(403, "permission_denied");
    assert!(refused.text.contains("ssh:discover"), "{}", refused.text);
    seed(
        ctx,
        "GET",
        "/api/v1/ssh/discovery?limit=0",
        Some(&ssh_reader),
        None,
    )
    .assert_error(422, "validation_error");
    let refreshed = seed(
        ctx,
        "POST",
        "/api/v1/agents/me/refresh-token",
        Some(&jwt),
        None,
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    has_members(&refreshed.body, &["token", "expires_at"]);

    // Password requests: the agent asks, the admin lists, approves one, rejects one bodiless.
    let api = ctx.api();
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "svc/db/password", "value": "old-password"})
        )
        .status,
        201
    );
    let grant = api.send(
        "POST",
        "/v1/grants",
        Some(&key),
        &[],
        Body::Json(&json!({"agent_id": agent_id, "path": "svc/*"})),
    );
    assert_eq!(grant.status, 201, "{}", grant.text);
    let ask = |path: &str| {
        let asked = seed(
            ctx,
            "POST",
            "/api/v1/agents/me/password-requests",
            Some(&jwt),
            Some(&json!({"path": path, "reason": "rotation"})),
        );
        assert_eq!(asked.status, 201, "{}", asked.text);
        asked.body["id"].as_str().unwrap().to_owned()
    };
    let first = ask("svc/db/password");
    let second = ask("svc/cache/password");
    let listed = seed(
        ctx,
        "GET",
        "/api/v1/admin/password-requests",
        Some(&admin),
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(2));
    let approved = seed(
        ctx,
        "POST",
        &format!("/api/v1/admin/password-requests/{first}/approve"),
        // Approving writes the path's next version: it takes write access too.
        Some(&key),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let rejected = seed(
        ctx,
        "POST",
        &format!("/api/v1/admin/password-requests/{second}/reject"),
        Some(&admin),
        None,
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "rejected");
    let collected = seed(
        ctx,
        "GET",
        "/api/v1/agents/me/password-requests",
        Some(&jwt),
        None,
    );
    assert_eq!(collected.status, 200, "{}", collected.text);
    assert!(
        collected.text.contains("\"password\""),
        "{}",
        collected.text
    );

    // The update check answers for the agent's platform (its os_type): none is published
    // for it here (issue 23; tests/e2e/agent_plane.rs publishes some).
    let update = seed(ctx, "GET", "/api/v1/agents/update/latest", Some(&jwt), None);
    update.assert_error(404, "not_found");
    assert_eq!(update.error_field(), Some("platform"), "{}", update.text);
    // The WebSocket is served (tests/e2e/agent_socket.rs): a plain GET is a JSON 400 naming
    // the missing upgrade.
    let plain = seed(ctx, "GET", "/api/v1/agents/me/connect", Some(&jwt), None);
    plain.assert_error(400, "invalid_request");
    assert_eq!(plain.error_field(), Some("Upgrade"), "{}", plain.text);
}

fn seed_001_examples_answer_as_written(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "prod/root", "value": "root-value-001", "tier": "critical"})
        )
        .status,
        201
    );
    let (requester_id, requester) = person(ctx, &tenant, &key, "requester", &[READER_ROLE]);
    let (first_id, first) = person(ctx, &tenant, &key, "approver1", &[APPROVER_ROLE]);
    let (second_id, second) = person(ctx, &tenant, &key, "approver2", &[APPROVER_ROLE]);

    // Probes.
    assert_eq!(seed(ctx, "GET", "/healthz", None, None).status, 200);

    // Requests: submit, list with the seed's filters, get with inline approvals.
    let created = seed(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&requester),
        Some(&json!({"path": "prod/root", "reason": "incident 42"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let listed = seed(
        ctx,
        "GET",
        &format!("/api/v1/requests?requester_id={requester_id}&status=pending"),
        Some(&requester),
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["requests"][0]["id"], id.as_str());
    let approve = |who: &str, jwt: &str| {
        seed(
            ctx,
            "POST",
            &format!("/api/v1/requests/{id}/approve"),
            Some(jwt),
            Some(&json!({"approver_id": who, "comment": "on call"})),
        )
    };
    let one = approve(&first_id, &first);
    assert_eq!(one.status, 200, "{}", one.text);
    let two = approve(&second_id, &second);
    assert_eq!(two.status, 200, "{}", two.text);
    assert_eq!(two.body["status"], "approved");
    let got = seed(
        ctx,
        "GET",
        &format!("/api/v1/requests/{id}"),
        Some(&requester),
        None,
    );
    assert_eq!(got.status, 200, "{}", got.text);
    let approvals = got.body["approvals"].as_array().expect("inline approvals");
    assert_eq!(approvals.len(), 2);
    has_members(&approvals[0], &["approver_id", "decision", "comment"]);

    // Wraps with the seed's ?user_id= stop-gap naming the requester: listed, then retrieved once.
    let wraps = seed(
        ctx,
        "GET",
        &format!("/api/v1/requests/{id}/wraps?user_id={requester_id}"),
        Some(&requester),
        None,
    );
    assert_eq!(wraps.status, 200, "{}", wraps.text);
    assert!(!wraps.text.contains("root-value-001"));
    let wrap_id = wraps.body["wraps"][0]["id"]
        .as_str()
        .expect("wrap")
        .to_owned();
    let url = format!("/api/v1/requests/{id}/wraps/{wrap_id}?user_id={requester_id}");
    let retrieved = seed(ctx, "GET", &url, Some(&requester), None);
    assert_eq!(retrieved.status, 200, "{}", retrieved.text);
    assert_eq!(retrieved.body["value"], "root-value-001");
    seed(ctx, "GET", &url, Some(&requester), None).assert_error(410, "gone");

    // Reject {approver_id, reason} and cancel {actor_id}.
    let submit = || {
        let r = seed(
            ctx,
            "POST",
            "/api/v1/requests/read",
            Some(&requester),
            Some(&json!({"path": "prod/root", "reason": "again"})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_owned()
    };
    let to_reject = submit();
    let rejected = seed(
        ctx,
        "POST",
        &format!("/api/v1/requests/{to_reject}/reject"),
        Some(&first),
        Some(&json!({"approver_id": first_id, "reason": "not now"})),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "rejected");
    let to_cancel = submit();
    let cancelled = seed(
        ctx,
        "POST",
        &format!("/api/v1/requests/{to_cancel}/cancel"),
        Some(&requester),
        Some(&json!({"actor_id": requester_id})),
    );
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");

    // Roles and assignments, by people holding the seed's permissions.
    let (_, role_editor) = user_with(
        ctx,
        &tenant,
        &key,
        "roleeditor",
        json!(["role.edit", "audit.read"]),
    );
    let (_, assigner) = user_with(
        ctx,
        &tenant,
        &key,
        "assigner",
        json!(["user_role.edit", "audit.read"]),
    );
    let role = seed(
        ctx,
        "POST",
        "/api/v1/roles",
        Some(&role_editor),
        Some(&json!({"name": unique("auditors").replace('_', "-"), "permissions": ["audit.read"]})),
    );
    assert_eq!(role.status, 201, "{}", role.text);
    assert_eq!(role.body["permissions"], json!(["audit:read"]));
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let roles = seed(ctx, "GET", "/api/v1/roles", Some(&requester), None);
    assert_eq!(roles.status, 200, "{}", roles.text);
    let one_role = seed(
        ctx,
        "GET",
        &format!("/api/v1/roles/{role_id}"),
        Some(&requester),
        None,
    );
    assert_eq!(one_role.status, 200, "{}", one_role.text);
    let changed = seed(
        ctx,
        "PUT",
        &format!("/api/v1/roles/{role_id}/permissions"),
        Some(&role_editor),
        Some(&json!({"permissions": ["audit.read"]})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    let assigned = seed(
        ctx,
        "POST",
        "/api/v1/user-roles",
        Some(&assigner),
        Some(&json!({"user_id": second_id, "role_id": role_id})),
    );
    assert_eq!(assigned.status, 201, "{}", assigned.text);
    let assignment = assigned.body["id"].as_str().unwrap().to_owned();
    let assignments = seed(
        ctx,
        "GET",
        &format!("/api/v1/user-roles?user_id={second_id}"),
        Some(&assigner),
        None,
    );
    assert_eq!(assignments.status, 200, "{}", assignments.text);
    let user_roles = seed(
        ctx,
        "GET",
        &format!("/api/v1/users/{second_id}/roles"),
        Some(&second),
        None,
    );
    assert_eq!(user_roles.status, 200, "{}", user_roles.text);
    assert!(user_roles.text.contains(&role_id));
    let unassigned = seed(
        ctx,
        "DELETE",
        &format!("/api/v1/user-roles/{assignment}"),
        Some(&assigner),
        None,
    );
    assert_eq!(unassigned.status, 204, "{}", unassigned.text);
    let deleted = seed(
        ctx,
        "DELETE",
        &format!("/api/v1/roles/{role_id}"),
        Some(&role_editor),
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    // Audit events with every filter the seed names.
    let events = seed(
        ctx,
        "GET",
        &format!(
            "/api/v1/audit-events?actor=user:{first_id}&action=access_request.approve&resource=prod/root&correlation_id={}&since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&limit=10",
            one.header("x-request-id").unwrap_or("none")
        ),
        Some(&role_editor),
        None,
    );
    assert_eq!(events.status, 200, "{}", events.text);
    assert!(events.body["events"].is_array(), "{}", events.text);
    let by_actor = seed(
        ctx,
        "GET",
        &format!("/api/v1/audit-events?actor=user:{first_id}&resource=prod/root&limit=100"),
        Some(&role_editor),
        None,
    );
    assert_eq!(by_actor.status, 200, "{}", by_actor.text);
    let found = by_actor.body["events"].as_array().expect("events");
    assert!(!found.is_empty(), "{}", by_actor.text);
    assert!(
        found
            .iter()
            .all(|e| e["actor"] == format!("user:{first_id}").as_str())
    );
    // audit.read is needed: the requester lacks it.
    seed(ctx, "GET", "/api/v1/audit-events", Some(&requester), None)
        .assert_error(403, "permission_denied");

    // The permission catalog, with the seed's names, cacheable for five minutes.
    let catalog = seed(ctx, "GET", "/api/v1/permissions", Some(&requester), None);
    assert_eq!(catalog.status, 200, "{}", catalog.text);
    assert_eq!(
        catalog.header("cache-control"),
        Some("private, max-age=300")
    );
    let names: Vec<&str> = catalog.body["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p["permission"].as_str())
        .collect();
    for name in [
        "agent.mint",
        "agent.revoke",
        "role.edit",
        "audit.read",
        "workflow.edit",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    assert_eq!(
        keys(&catalog.body["permissions"][0]),
        vec!["description", "permission"]
    );
    // Any other answer stays uncacheable.
    assert_eq!(roles.header("cache-control"), Some("no-store"));

    // Revoke with agent.revoke; the list needs agents:admin (seed 000's stricter rule).
    let (agent_id, _) = crate::agents::new_agent(ctx, &key, "revokee");
    let (_, revoker) = user_with(ctx, &tenant, &key, "revoker", json!(["agent.revoke"]));
    let revoked = seed(
        ctx,
        "POST",
        &format!("/api/v1/agents/{agent_id}/revoke"),
        Some(&revoker),
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.body, json!({"status": "revoked", "id": agent_id}));
    seed(ctx, "GET", "/api/v1/agents", Some(&requester), None)
        .assert_error(403, "permission_denied");
}

fn identity_naming_someone_else_is_403_and_changes_nothing(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "ops/key", "value": "v-ops", "tier": "critical"})
        )
        .status,
        201
    );
    let (requester_id, requester) = person(ctx, &tenant, &key, "asker", &[READER_ROLE]);
    let (approver_id, approver) = person(ctx, &tenant, &key, "decider", &[APPROVER_ROLE]);
    let created = seed(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&requester),
        Some(&json!({"path": "ops/key", "reason": "check"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();

    // The approver names the requester (or anyone else) as the approver: refused.
    for (action, note) in [("approve", "comment"), ("reject", "reason")] {
        let refused = seed(
            ctx,
            "POST",
            &format!("/api/v1/requests/{id}/{action}"),
            Some(&approver),
            Some(&json!({"approver_id": requester_id, note: "x"})),
        );
        refused.assert_error(403, "permission_denied");
        assert_eq!(refused.error_field(), Some("approver_id"));
    }
    // The master key is no user: naming any user is refused too.
    seed(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/approve"),
        Some(&key),
        Some(&json!({"approver_id": approver_id})),
    )
    .assert_error(403, "permission_denied");
    let cancel = seed(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/cancel"),
        Some(&requester),
        Some(&json!({"actor_id": approver_id})),
    );
    cancel.assert_error(403, "permission_denied");
    assert_eq!(cancel.error_field(), Some("actor_id"));
    let wraps = seed(
        ctx,
        "GET",
        &format!("/api/v1/requests/{id}/wraps?user_id={approver_id}"),
        Some(&requester),
        None,
    );
    wraps.assert_error(403, "permission_denied");
    assert_eq!(wraps.error_field(), Some("user_id"));
    // Nothing changed: still pending, no approval recorded.
    let got = seed(
        ctx,
        "GET",
        &format!("/api/v1/requests/{id}"),
        Some(&requester),
        None,
    );
    assert_eq!(got.body["status"], "pending", "{}", got.text);
    assert_eq!(got.body["approvals"], json!([]));
    // A forged credential is 401 whatever it names.
    seed(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/approve"),
        Some("eyJhbGciOiJIUzI1NiJ9.e30.x"),
        Some(&json!({"approver_id": approver_id})),
    )
    .assert_error(401, "unauthorized");
}

fn login_by_hostname_finds_the_tenant(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let host = format!("{}.vault.example.test", unique("acme").replace('_', "-"));
    let patched = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"hostnames": [host.to_uppercase()]})),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["hostnames"], json!([host]));
    // Another tenant may not take the same hostname.
    let (other, _) = ctx.new_tenant();
    let taken = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{other}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"hostnames": [host]})),
    );
    taken.assert_error(409, "conflict");
    let bad = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{other}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"hostnames": ["not a host"]})),
    );
    bad.assert_error(422, "validation_error");
    assert_eq!(bad.error_field(), Some("hostnames"));

    let email = format!("{}@example.com", unique("hosted"));
    let user = api.send(
        "POST",
        "/v1/users",
        Some(&key),
        &[],
        Body::Json(&json!({"email": email, "password": PASSWORD, "name": "Hosted"})),
    );
    assert_eq!(user.status, 201, "{}", user.text);
    let body = json!({"email": email, "password": PASSWORD});
    let with_host = |host: &str, body: &Value| {
        api.send(
            "POST",
            "/api/v1/auth/login",
            None,
            &[("Host", host)],
            Body::Json(body),
        )
    };
    // The seed's body, at the tenant's hostname (with a port, as a browser sends it).
    let logged_in = with_host(&format!("{host}:8787"), &body);
    assert_eq!(logged_in.status, 200, "{}", logged_in.text);
    assert_eq!(keys(&logged_in.body), vec!["expires_at", "token", "user"]);
    assert_eq!(logged_in.body["user"]["email"], email.as_str());
    let jwt = logged_in.body["token"].as_str().unwrap();
    assert_eq!(
        seed(ctx, "GET", "/api/v1/roles", Some(jwt), None).status,
        200
    );
    // Wrong password at the right host: 401, as natively.
    with_host(
        &host,
        &json!({"email": email, "password": "wrong password here"}),
    )
    .assert_error(401, "unauthorized");
    // No hostname of a tenant and no tenant member: 422 naming the problem.
    let unknown = with_host("127.0.0.1", &body);
    unknown.assert_error(422, "validation_error");
    assert_eq!(unknown.error_field(), Some("tenant"));
    assert!(unknown.text.contains("127.0.0.1"), "{}", unknown.text);
    // The tenant member is still accepted; one that disagrees with the host is refused.
    let with_member = json!({"tenant": tenant, "email": email, "password": PASSWORD});
    assert_eq!(with_host("127.0.0.1", &with_member).status, 200);
    let mismatched = json!({"tenant": other, "email": email, "password": PASSWORD});
    with_host(&host, &mismatched).assert_error(422, "validation_error");
}

fn seed_permission_names_in_roles_grant_what_they_name(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    // audit.read reads the trail and nothing else.
    let (_, auditor) = user_with(ctx, &tenant, &key, "auditor", json!(["audit.read"]));
    let events = seed(
        ctx,
        "GET",
        "/api/v1/audit-events?limit=5",
        Some(&auditor),
        None,
    );
    assert_eq!(events.status, 200, "{}", events.text);
    seed(
        ctx,
        "POST",
        "/api/v1/roles",
        Some(&auditor),
        Some(&json!({"name": "x-role", "permissions": ["audit.read"]})),
    )
    .assert_error(403, "permission_denied");
    // workflow.edit and integration.edit are stored, and allow nothing yet.
    let (_, workflow) = user_with(
        ctx,
        &tenant,
        &key,
        "workflow",
        json!(["workflow.edit", "integration.edit"]),
    );
    seed(ctx, "GET", "/api/v1/audit-events", Some(&workflow), None)
        .assert_error(403, "permission_denied");
    seed(ctx, "GET", "/api/v1/agents", Some(&workflow), None)
        .assert_error(403, "permission_denied");
    let roles = seed(ctx, "GET", "/api/v1/roles", Some(&workflow), None);
    assert!(roles.text.contains("workflow.edit"), "{}", roles.text);
    // A name no seed uses is refused, naming the member.
    let bad = seed(
        ctx,
        "POST",
        "/api/v1/roles",
        Some(&key),
        Some(&json!({"name": "bad-role", "permissions": ["agent.delete"]})),
    );
    bad.assert_error(422, "validation_error");
    assert_eq!(bad.error_field(), Some("permissions"));
    // The native API takes the seed names too (a token's scope).
    let token = ctx
        .api()
        .create_token(&key, &json!({"scope": ["audit.read"], "ttl_seconds": 600}));
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["value"].as_str().unwrap();
    let read = seed(
        ctx,
        "GET",
        "/api/v1/audit-events?limit=1",
        Some(token),
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
}

fn unknown_paths_and_parameters_are_json_4xx(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Routes of later issues, native routes the seeds do not name, and junk: JSON 404.
    for (method, url) in [
        ("POST", "/api/v1/agents/agt_x/heartbeat"),
        ("GET", "/api/v1/workflow"),
        ("GET", "/api/v1/argocd-endpoints"),
        ("GET", "/api/v1/gitops-app-mappings"),
        // A stored secret's path is not a discovered secret's id (issue 23).
        ("GET", "/api/v1/secrets/prod%2Fdb"),
        ("POST", "/api/v1/tokens"),
        ("GET", "/api/v1/nope"),
        ("GET", "/api/nope"),
    ] {
        seed(ctx, method, url, Some(&key), None).assert_error(404, "not_found");
    }
    // An unknown query parameter: 400 naming it, on lists and single routes alike.
    for url in [
        "/api/v1/audit-events?type=secret.read",
        "/api/v1/audit-events?env=prod",
        "/api/v1/roles?env=prod",
        "/api/v1/permissions?env=prod",
        "/api/v1/agents?env=prod",
        "/api/v1/projects?env=prod",
        "/api/v1/environments?env=prod",
    ] {
        let reply = seed(ctx, "GET", url, Some(&key), None);
        reply.assert_error(400, "invalid_request");
        let name = url.rsplit_once('?').unwrap().1.split('=').next().unwrap();
        assert_eq!(reply.error_field(), Some(name), "{url}: {}", reply.text);
        assert!(reply.text.contains(&format!("'{name}'")), "{}", reply.text);
    }
    // Bad filter values name the seed's parameter.
    let bad = seed(
        ctx,
        "GET",
        "/api/v1/audit-events?since=yesterday",
        Some(&key),
        None,
    );
    bad.assert_error(400, "invalid_request");
    // Wrong method on a served path: 405 with only the face's methods.
    let wrong = seed(ctx, "DELETE", "/api/v1/roles", Some(&key), None);
    wrong.assert_error(405, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    // Without a credential: 401, before anything else.
    seed(ctx, "GET", "/api/v1/roles?env=prod", None, None).assert_error(401, "unauthorized");
}
