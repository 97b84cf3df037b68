//! Agents and grants against the real runtime: bootstrap tokens,
//! registration (exactly counted under concurrency), JWTs, heartbeats with their derived
//! status, queued commands, revocation, and grants as an agent's whole reach.

use crate::Ctx;
use latchkey_e2e::Reply;
use latchkey_e2e::client::Body;
use serde_json::{Value, json};
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agents::bootstrap_register_refresh_and_revoke",
        bootstrap_register_refresh_and_revoke,
    ),
    (
        "agents::registrations_are_counted_exactly_and_expire",
        registrations_are_counted_exactly_and_expire,
    ),
    (
        "agents::status_follows_heartbeats_and_reports",
        status_follows_heartbeats_and_reports,
    ),
    (
        "agents::commands_are_delivered_once",
        commands_are_delivered_once,
    ),
    (
        "agents::grants_decide_what_an_agent_reads",
        grants_decide_what_an_agent_reads,
    ),
    ("agents::input_is_validated", input_is_validated),
    (
        "agents::other_tenants_see_nothing",
        other_tenants_see_nothing,
    ),
    (
        "agents::discovery_reports_dedupe_by_fingerprint",
        discovery_reports_dedupe_by_fingerprint,
    ),
    (
        "agents::password_requests_round_trip",
        password_requests_round_trip,
    ),
];

fn call(ctx: &Ctx, method: &str, url: &str, bearer: Option<&str>, body: Option<Value>) -> Reply {
    match &body {
        Some(body) => ctx.api().send(method, url, bearer, &[], Body::Json(body)),
        None => ctx.api().send(method, url, bearer, &[], Body::None),
    }
}

fn field_of(reply: &Reply) -> &str {
    reply.body["error"]["field"].as_str().unwrap_or("")
}

fn code_of(reply: &Reply) -> &str {
    reply.body["error"]["code"].as_str().unwrap_or("")
}

/// A bootstrap token from `body`.
fn bootstrap(ctx: &Ctx, key: &str, body: Value) -> String {
    let reply = call(ctx, "POST", "/v1/agents/bootstrap", Some(key), Some(body));
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(reply.body["id"].as_str().unwrap().starts_with("bst_"));
    let token = reply.body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("lk_boot_"), "{token}");
    token
}

fn register(ctx: &Ctx, token: &str, name: &str) -> Reply {
    call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({
            "token": token,
            "name": name,
            "hostname": format!("{name}.example.com"),
            "os_type": "linux",
            "metadata": {"role": "application-server"},
        })),
    )
}

/// A registered agent: `(id, jwt)`.
pub(crate) fn new_agent(ctx: &Ctx, key: &str, name: &str) -> (String, String) {
    let token = bootstrap(ctx, key, json!({}));
    let reply = register(ctx, &token, name);
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["id"].as_str().expect("id").to_owned(),
        reply.body["token"].as_str().expect("token").to_owned(),
    )
}

fn heartbeat(ctx: &Ctx, jwt: &str, body: Value) -> Reply {
    call(ctx, "POST", "/v1/agents/me/health", Some(jwt), Some(body))
}

fn agent_entry(ctx: &Ctx, key: &str, id: &str) -> Value {
    let reply = call(ctx, "GET", "/v1/agents?per_page=100", Some(key), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn bootstrap_register_refresh_and_revoke(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let token = bootstrap(
        ctx,
        &key,
        json!({"ttl_seconds": 600, "max_registrations": 2, "labels": {"environment": "production", "role": "web"}}),
    );
    let first = register(ctx, &token, "app-server-01");
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.body["id"].as_str().unwrap().starts_with("agt_"));
    assert!(first.body["mtls_template_id"].is_string());
    assert!(first.body["expires_at"].is_string());
    assert!(
        first.header("X-RateLimit-Limit").is_some(),
        "registration is counted"
    );
    let jwt = first.body["token"].as_str().unwrap().to_owned();
    assert_eq!(jwt.split('.').count(), 3, "a JWT: {jwt}");
    let id = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(register(ctx, &token, "app-server-02").status, 201);
    let third = register(ctx, &token, "app-server-03");
    assert_eq!(third.status, 401, "{}", third.text);
    assert!(third.text.contains("max_registrations"), "{}", third.text);

    // The labels: the bootstrap token's, plus the agent's metadata.
    let entry = agent_entry(ctx, &key, &id);
    assert_eq!(entry["name"], "app-server-01");
    assert_eq!(entry["hostname"], "app-server-01.example.com");
    assert_eq!(entry["platform"], "linux");
    assert_eq!(entry["labels"]["environment"], "production");
    assert_eq!(
        entry["labels"]["role"], "application-server",
        "metadata wins"
    );
    assert_eq!(entry["status"], "online");
    assert_eq!(entry["revoked"], false);

    // A bootstrap token registers and does nothing else.
    let misuse = call(ctx, "GET", "/v1/secrets", Some(&token), None);
    assert_eq!(misuse.status, 401, "{}", misuse.text);

    // Refresh: a new JWT that works; the old one keeps working until it expires.
    let refreshed = call(ctx, "POST", "/v1/agents/me/refresh-token", Some(&jwt), None);
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let fresh = refreshed.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        heartbeat(ctx, &fresh, json!({"status": "healthy"})).status,
        200
    );
    // The agent's JWT is not an admin credential.
    assert_eq!(
        call(ctx, "GET", "/v1/agents", Some(&fresh), None).status,
        403
    );
    // And a tenant credential is not an agent.
    let not_agent = heartbeat(ctx, &key, json!({"status": "healthy"}));
    assert_eq!(not_agent.status, 403, "{}", not_agent.text);

    // Revocation: every JWT of the agent fails from the next request.
    let revoked = call(
        ctx,
        "POST",
        &format!("/v1/agents/{id}/revoke"),
        Some(&key),
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    for jwt in [&jwt, &fresh] {
        let refused = heartbeat(ctx, jwt, json!({"status": "healthy"}));
        assert_eq!(refused.status, 401, "{}", refused.text);
        assert!(refused.text.contains("revoked"), "{}", refused.text);
        assert_eq!(
            call(ctx, "POST", "/v1/agents/me/refresh-token", Some(jwt), None).status,
            401
        );
    }
    let entry = agent_entry(ctx, &key, &id);
    assert_eq!(entry["revoked"], true);
    assert_eq!(entry["status"], "revoked");
    // Revoking again is fine; queueing work for a revoked agent is a conflict.
    assert_eq!(
        call(
            ctx,
            "POST",
            &format!("/v1/agents/{id}/revoke"),
            Some(&key),
            None
        )
        .status,
        200
    );
    let queued = call(
        ctx,
        "POST",
        &format!("/v1/agents/{id}/commands"),
        Some(&key),
        Some(json!({"type": "force_sync"})),
    );
    assert_eq!(queued.status, 409, "{}", queued.text);

    // A JWT with a changed signature is refused.
    // (A character well inside the signature: the last one carries padding bits.)
    let mut forged: Vec<char> = fresh.chars().collect();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    assert_eq!(
        heartbeat(ctx, &forged, json!({"status": "healthy"})).status,
        401
    );

    // The trail names the agent.
    let audit = call(
        ctx,
        "GET",
        "/v1/audit?type=agent.registered",
        Some(&key),
        None,
    );
    assert_eq!(audit.status, 200, "{}", audit.text);
    let events = audit.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", audit.text);
    assert!(!audit.text.contains(&jwt), "no JWT in the trail");
    assert!(
        !audit.text.contains(&token),
        "no bootstrap token in the trail"
    );
}

fn registrations_are_counted_exactly_and_expire(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let token = bootstrap(ctx, &key, json!({"max_registrations": 5}));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let token = token.clone();
                scope.spawn(move || register(ctx, &token, &format!("node-{i:02}")).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        15,
        "{statuses:?}"
    );
    let listed = call(ctx, "GET", "/v1/agents", Some(&key), None);
    assert_eq!(listed.body["pagination"]["total"], 5, "{}", listed.text);

    let short = bootstrap(
        ctx,
        &key,
        json!({"ttl_seconds": 1, "max_registrations": 10}),
    );
    std::thread::sleep(Duration::from_millis(1_500));
    let late = register(ctx, &short, "late");
    assert_eq!(late.status, 401, "{}", late.text);
    assert!(late.text.contains("expired"), "{}", late.text);
}

fn status_follows_heartbeats_and_reports(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let settings = call(
        ctx,
        "PUT",
        "/v1/agents/settings",
        Some(&key),
        Some(json!({"heartbeat_interval_seconds": 1})),
    );
    assert_eq!(settings.status, 200, "{}", settings.text);
    let read_back = call(ctx, "GET", "/v1/agents/settings", Some(&key), None);
    assert_eq!(read_back.body["heartbeat_interval_seconds"], 1);
    let (id, jwt) = new_agent(ctx, &key, "web-1");
    let (other, _) = new_agent(ctx, &key, "db-1");
    let status = |ctx: &Ctx| agent_entry(ctx, &key, &id)["status"].clone();

    let healthy = json!({
        "status": "healthy",
        "uptime_seconds": 86400,
        "metrics": {"cpu_percent": 15.2, "memory_percent": 42.8, "disk_percent": 67.1},
        "managed_secrets": 12,
        "managed_certificates": 5,
        "last_sync": "2026-02-10T16:55:00Z",
        "agent_version": "1.8.0",
    });
    assert_eq!(heartbeat(ctx, &jwt, healthy.clone()).status, 200);
    let entry = agent_entry(ctx, &key, &id);
    assert_eq!(entry["status"], "online", "{entry}");
    assert_eq!(entry["managed_secrets"], 12);
    assert_eq!(entry["managed_certificates"], 5);
    assert_eq!(entry["agent_version"], "1.8.0");
    assert!(entry["last_heartbeat"].is_string());

    assert_eq!(
        heartbeat(ctx, &jwt, json!({"status": "unhealthy"})).status,
        200
    );
    assert_eq!(status(ctx), "degraded");
    let hot = json!({"status": "healthy", "metrics": {"disk_percent": 97.5}});
    assert_eq!(heartbeat(ctx, &jwt, hot).status, 200);
    let entry = agent_entry(ctx, &key, &id);
    assert_eq!(entry["status"], "degraded");
    assert!(
        entry["status_reason"]
            .as_str()
            .unwrap()
            .contains("disk_percent"),
        "{entry}"
    );
    assert_eq!(heartbeat(ctx, &jwt, healthy.clone()).status, 200);
    assert_eq!(status(ctx), "online");

    // Late: past 2× the interval degraded, past 3× offline; a heartbeat brings it back.
    std::thread::sleep(Duration::from_millis(2_300));
    assert_eq!(status(ctx), "degraded");
    std::thread::sleep(Duration::from_millis(1_200));
    assert_eq!(status(ctx), "offline");
    let offline = call(ctx, "GET", "/v1/agents?status=offline", Some(&key), None);
    let ids: Vec<&str> = offline.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(
        ids.contains(&id.as_str()) && ids.contains(&other.as_str()),
        "{ids:?}"
    );
    assert_eq!(heartbeat(ctx, &jwt, healthy).status, 200);
    assert_eq!(status(ctx), "online");

    // Filters and pages.
    let online = call(ctx, "GET", "/v1/agents?status=online", Some(&key), None);
    assert_eq!(online.body["pagination"]["total"], 1, "{}", online.text);
    let search = call(ctx, "GET", "/v1/agents?search=DB-1", Some(&key), None);
    assert_eq!(
        search.body["data"][0]["id"],
        other.as_str(),
        "{}",
        search.text
    );
    let label = call(
        ctx,
        "GET",
        "/v1/agents?label=role=application-server",
        Some(&key),
        None,
    );
    assert_eq!(label.body["pagination"]["total"], 2);
    let page = call(ctx, "GET", "/v1/agents?per_page=1&page=2", Some(&key), None);
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["pagination"]["page"], 2);
    assert_eq!(page.body["pagination"]["per_page"], 1);
    assert_eq!(page.body["pagination"]["total"], 2);
    let beyond = call(ctx, "GET", "/v1/agents?per_page=1&page=3", Some(&key), None);
    assert_eq!(beyond.body["data"], json!([]));
}

fn commands_are_delivered_once(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = new_agent(ctx, &key, "worker-1");
    let none = heartbeat(ctx, &jwt, json!({"status": "healthy"}));
    assert_eq!(none.body["commands"], json!([]), "{}", none.text);
    for body in [
        json!({"type": "force_sync"}),
        json!({"type": "rotate", "params": {"path": "prod/db/password"}}),
    ] {
        let queued = call(
            ctx,
            "POST",
            &format!("/v1/agents/{id}/commands"),
            Some(&key),
            Some(body),
        );
        assert_eq!(queued.status, 201, "{}", queued.text);
        assert!(queued.body["id"].as_str().unwrap().starts_with("cmd_"));
    }
    let delivered = heartbeat(ctx, &jwt, json!({"status": "healthy"}));
    let commands = delivered.body["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 2, "{}", delivered.text);
    assert_eq!(commands[0]["type"], "force_sync");
    assert_eq!(commands[1]["type"], "rotate");
    assert_eq!(commands[1]["params"]["path"], "prod/db/password");
    let again = heartbeat(ctx, &jwt, json!({"status": "healthy"}));
    assert_eq!(
        again.body["commands"],
        json!([]),
        "delivered once: {}",
        again.text
    );
    // The admin's list: newest first, each with when the heartbeat took it.
    let listed = call(
        ctx,
        "GET",
        &format!("/v1/agents/{id}/commands?limit=1"),
        Some(&key),
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    let commands = listed.body["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 1, "limit: {}", listed.text);
    assert_eq!(commands[0]["type"], "rotate", "{}", listed.text);
    assert!(commands[0]["delivered_at"].is_string(), "{}", listed.text);
    assert_eq!(listed.body["jobs"], json!([]), "{}", listed.text);
    let bad_limit = call(
        ctx,
        "GET",
        &format!("/v1/agents/{id}/commands?limit=0"),
        Some(&key),
        None,
    );
    assert_eq!(bad_limit.status, 422, "{}", bad_limit.text);
    assert_eq!(field_of(&bad_limit), "limit");
    let nobody = call(
        ctx,
        "GET",
        "/v1/agents/agt_0123456789abcdef01234567/commands",
        Some(&key),
        None,
    );
    assert_eq!(nobody.status, 404, "{}", nobody.text);

    let unknown = call(
        ctx,
        "POST",
        "/v1/agents/agt_0123456789abcdef01234567/commands",
        Some(&key),
        Some(json!({"type": "force_sync"})),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let bad = call(
        ctx,
        "POST",
        &format!("/v1/agents/{id}/commands"),
        Some(&key),
        Some(json!({"type": "reboot"})),
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(field_of(&bad), "type");
}

fn grants_decide_what_an_agent_reads(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let db_value = latchkey_e2e::secret_value("agent-db");
    let api_value = latchkey_e2e::secret_value("agent-api");
    for (path, value) in [
        ("prod/db/password", db_value.as_str()),
        ("prod/api/key", api_value.as_str()),
    ] {
        let created = ctx
            .api()
            .create_secret(&key, &json!({"path": path, "value": value}));
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let (id, jwt) = new_agent(ctx, &key, "reader");
    let read = |path: &str| ctx.api().get_secret(&jwt, path);

    // No grant, no read.
    let denied = read("prod/db/password");
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(
        denied.body["error"]["required_scope"], "secrets:read:prod/db/*",
        "{}",
        denied.text
    );

    let glob = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key),
        Some(json!({"agent_id": id, "path": "prod/db/*"})),
    );
    assert_eq!(glob.status, 201, "{}", glob.text);
    assert!(glob.body["grant_id"].as_str().unwrap().starts_with("grt_"));
    assert_eq!(glob.body["actions"], json!(["read"]));
    let ok = read("prod/db/password");
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["value"], db_value.as_str());
    assert_eq!(
        read("prod/api/key").status,
        403,
        "the glob does not reach it"
    );
    let write = ctx.api().send(
        "PUT",
        "/v1/secrets/prod%2Fdb%2Fpassword",
        Some(&jwt),
        &[],
        Body::Json(&json!({"value": "x"})),
    );
    assert_eq!(
        write.status, 403,
        "a read grant does not write: {}",
        write.text
    );

    // An exact grant takes effect on the next request; deleting it, too.
    let exact = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key),
        Some(json!({"agent_id": id, "path": "prod/api/key", "actions": ["read"]})),
    );
    assert_eq!(exact.status, 201, "{}", exact.text);
    let exact_id = exact.body["grant_id"].as_str().unwrap().to_owned();
    assert_eq!(read("prod/api/key").status, 200);
    let mine = call(ctx, "GET", "/v1/agents/me/secrets", Some(&jwt), None);
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.body["grants"].as_array().unwrap().len(), 2);
    let paths: Vec<&str> = mine.body["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        vec!["prod/api/key", "prod/db/password"],
        "{}",
        mine.text
    );
    assert!(!mine.text.contains(&db_value), "metadata only");
    let deleted = call(
        ctx,
        "DELETE",
        &format!("/v1/grants/{exact_id}"),
        Some(&key),
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(read("prod/api/key").status, 403);
    assert_eq!(
        call(
            ctx,
            "DELETE",
            &format!("/v1/grants/{exact_id}"),
            Some(&key),
            None
        )
        .status,
        404
    );

    // Audit: each read `vault.accessed`, each refusal `vault.denied` with its reason.
    let accessed = call(
        ctx,
        "GET",
        "/v1/audit?type=vault.accessed",
        Some(&key),
        None,
    );
    let accessed = accessed.body["events"].as_array().expect("events").clone();
    assert_eq!(accessed.len(), 2, "{accessed:?}");
    assert!(
        accessed
            .iter()
            .all(|e| e["actor"] == format!("agent:{id}").as_str())
    );
    let denied = call(ctx, "GET", "/v1/audit?type=vault.denied", Some(&key), None);
    let denied = denied.body["events"].as_array().expect("events").clone();
    assert_eq!(denied.len(), 3, "{denied:?}");
    assert!(
        denied
            .iter()
            .all(|e| e["success"] == false && e["reason"].is_string())
    );

    // Grants by agent; a permanent delete takes the exact-path grants with it.
    let again = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key),
        Some(json!({"agent_id": id, "path": "prod/db/password"})),
    );
    assert_eq!(again.status, 201);
    let gone = ctx.api().send(
        "DELETE",
        "/v1/secrets/prod%2Fdb%2Fpassword?permanent=true",
        Some(&key),
        &[],
        Body::None,
    );
    assert!(gone.status == 204 || gone.status == 200, "{}", gone.text);
    let grants = call(
        ctx,
        "GET",
        &format!("/v1/grants?agent_id={id}"),
        Some(&key),
        None,
    );
    assert_eq!(grants.status, 200, "{}", grants.text);
    let left: Vec<&str> = grants.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["path"].as_str())
        .collect();
    assert_eq!(left, vec!["prod/db/*"], "{}", grants.text);

    // An agent cannot manage grants, tokens or agents.
    for (method, url) in [
        ("GET", "/v1/grants"),
        ("GET", "/v1/tokens"),
        ("GET", "/v1/agents"),
        ("POST", "/v1/agents/bootstrap"),
    ] {
        let reply = call(ctx, method, url, Some(&jwt), Some(json!({})));
        assert_eq!(reply.status, 403, "{method} {url}: {}", reply.text);
    }
    let unknown = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key),
        Some(json!({"agent_id": "agt_0123456789abcdef01234567", "path": "prod/*"})),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(field_of(&unknown), "agent_id");
}

fn input_is_validated(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    for (body, field) in [
        (json!({"ttl_seconds": 0}), "ttl_seconds"),
        (json!({"max_registrations": 0}), "max_registrations"),
        (json!({"labels": {"a": 1}}), "labels"),
        (json!({"uses": 1}), "uses"),
    ] {
        let reply = call(ctx, "POST", "/v1/agents/bootstrap", Some(&key), Some(body));
        assert_eq!(reply.status, 422, "{}", reply.text);
        assert_eq!(field_of(&reply), field, "{}", reply.text);
    }
    let token = bootstrap(ctx, &key, json!({"max_registrations": 3}));
    for (body, status, field) in [
        (json!({"name": "x"}), 422, "token"),
        (json!({"token": token, "name": ""}), 422, "name"),
        (
            json!({"token": token, "name": "x", "os_type": 7}),
            422,
            "os_type",
        ),
        (json!({"token": "lk_boot_nope", "name": "x"}), 401, "token"),
        (json!({"token": key, "name": "x"}), 401, "token"),
    ] {
        let reply = call(ctx, "POST", "/v1/agents/register", None, Some(body));
        assert_eq!(reply.status, status, "{}", reply.text);
        assert_eq!(field_of(&reply), field, "{}", reply.text);
    }
    let not_json = ctx.api().send(
        "POST",
        "/v1/agents/register",
        None,
        &[],
        Body::Raw(Some("application/json"), b"{not json"),
    );
    assert_eq!(not_json.status, 400, "{}", not_json.text);
    // Nothing above registered anything.
    let listed = call(ctx, "GET", "/v1/agents", Some(&key), None);
    assert_eq!(listed.body["pagination"]["total"], 0);

    let (_, jwt) = new_agent(ctx, &key, "validator");
    for (body, field) in [
        (json!({}), "status"),
        (json!({"status": "ok"}), "status"),
        (
            json!({"status": "healthy", "metrics": {"cpu_percent": 120}}),
            "metrics",
        ),
        (
            json!({"status": "healthy", "last_sync": "soon"}),
            "last_sync",
        ),
    ] {
        let reply = heartbeat(ctx, &jwt, body);
        assert_eq!(reply.status, 422, "{}", reply.text);
        assert_eq!(field_of(&reply), field);
    }
    for (url, field) in [
        ("/v1/agents?status=up", "status"),
        ("/v1/agents?per_page=0", "per_page"),
        ("/v1/agents?label=nokey", "label"),
        ("/v1/grants?agent_id=agt_x", "agent_id"),
    ] {
        let reply = call(ctx, "GET", url, Some(&key), None);
        assert_eq!(reply.status, 422, "{url}: {}", reply.text);
        assert_eq!(field_of(&reply), field);
    }
    let settings = call(
        ctx,
        "PUT",
        "/v1/agents/settings",
        Some(&key),
        Some(json!({"heartbeat_interval_seconds": 0})),
    );
    assert_eq!(settings.status, 422);
    assert_eq!(code_of(&settings), "validation_error");
}

fn other_tenants_see_nothing(ctx: &Ctx) {
    let (_, key_a) = ctx.new_tenant();
    let (_, key_b) = ctx.new_tenant();
    let (id, _) = new_agent(ctx, &key_a, "a-agent");
    let grant = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key_a),
        Some(json!({"agent_id": id, "path": "x/*"})),
    );
    let grant_id = grant.body["grant_id"].as_str().unwrap().to_owned();
    for (method, url, body) in [
        ("POST", format!("/v1/agents/{id}/revoke"), None),
        (
            "POST",
            format!("/v1/agents/{id}/commands"),
            Some(json!({"type": "force_sync"})),
        ),
        (
            "POST",
            "/v1/grants".to_owned(),
            Some(json!({"agent_id": id, "path": "x/*"})),
        ),
        ("DELETE", format!("/v1/grants/{grant_id}"), None),
    ] {
        let reply = call(ctx, method, &url, Some(&key_b), body);
        assert_eq!(reply.status, 404, "{method} {url}: {}", reply.text);
    }
    let listed = call(ctx, "GET", "/v1/agents", Some(&key_b), None);
    assert_eq!(listed.body["data"], json!([]));
    let grants = call(ctx, "GET", "/v1/grants", Some(&key_b), None);
    assert_eq!(grants.body["grants"], json!([]));
}

fn certificate(fingerprint: &str, not_after: &str, managed: bool) -> Value {
    json!({
        "subject": "CN=legacy-app.internal,O=Example Corp",
        "serial_number": "AB:CD:EF:01:23",
        "issuer": "CN=Internal CA",
        "not_before": "2025-06-15T00:00:00Z",
        "not_after": not_after,
        "location": "/etc/ssl/certs/legacy-app.pem",
        "fingerprint": fingerprint,
        "dns_names": ["legacy-app.internal"],
        "ip_addresses": ["10.0.2.50"],
        "source": "filesystem",
        "is_managed": managed,
    })
}

fn discovery_reports_dedupe_by_fingerprint(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = new_agent(ctx, &key, "scanner");
    let report = |body: Value| {
        call(
            ctx,
            "POST",
            "/v1/agents/me/discovery/certificates",
            Some(&jwt),
            Some(body),
        )
    };
    let first = report(json!({"certificates": [
        certificate("SHA256:aaa", "2026-06-15T00:00:00Z", false),
        certificate("SHA256:bbb", "2026-06-15T00:00:00Z", true),
    ]}));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.body,
        json!({"received": 2, "created": 2, "updated": 0})
    );
    // The renewed certificate is reported again: updated, not duplicated.
    let again = report(json!({"certificates": [
        certificate("SHA256:aaa", "2027-06-15T00:00:00Z", false),
    ]}));
    assert_eq!(
        again.body,
        json!({"received": 1, "created": 0, "updated": 1})
    );
    let ssh = call(
        ctx,
        "POST",
        "/v1/agents/me/ssh-discovery",
        Some(&jwt),
        Some(json!({"keys": [
            {"fingerprint": "SHA256:k1", "key_type": "ssh-ed25519", "bits": 256,
             "location": "/home/deploy/.ssh/authorized_keys", "user": "deploy", "kind": "authorized"},
        ]})),
    );
    assert_eq!(ssh.status, 200, "{}", ssh.text);
    assert_eq!(ssh.body["created"], 1);

    let seen = call(
        ctx,
        "GET",
        &format!("/v1/agents/{id}/discovery"),
        Some(&key),
        None,
    );
    assert_eq!(seen.status, 200, "{}", seen.text);
    let certs = seen.body["certificates"].as_array().expect("certificates");
    assert_eq!(certs.len(), 2, "{}", seen.text);
    let aaa = certs
        .iter()
        .find(|c| c["fingerprint"] == "SHA256:aaa")
        .unwrap();
    assert_eq!(
        aaa["not_after"], "2027-06-15T00:00:00Z",
        "the re-report won"
    );
    assert!(aaa["first_seen"].is_string() && aaa["last_seen"].is_string());
    assert_eq!(seen.body["ssh_keys"][0]["user"], "deploy");
    let mine = call(ctx, "GET", "/v1/agents/me/certificates", Some(&jwt), None);
    assert_eq!(mine.status, 200, "{}", mine.text);
    let managed = mine.body["certificates"].as_array().unwrap();
    assert_eq!(managed.len(), 1, "only is_managed: {}", mine.text);
    assert_eq!(managed[0]["fingerprint"], "SHA256:bbb");

    // Bad reports change nothing and name the problem.
    let many: Vec<Value> = (0..1001)
        .map(|i| certificate(&format!("SHA256:{i}"), "2026-06-15T00:00:00Z", false))
        .collect();
    let too_many = report(json!({ "certificates": many }));
    assert_eq!(
        too_many.status,
        422,
        "{}",
        &too_many.text[..200.min(too_many.text.len())]
    );
    let backwards = report(json!({"certificates": [
        certificate("SHA256:ccc", "2020-01-01T00:00:00Z", false),
    ]}));
    assert_eq!(backwards.status, 422, "{}", backwards.text);
    assert!(
        backwards.text.contains("certificates[0].not_after"),
        "{}",
        backwards.text
    );
    let bad_key = call(
        ctx,
        "POST",
        "/v1/agents/me/ssh-discovery",
        Some(&jwt),
        Some(json!({"keys": [{"fingerprint": "f"}]})),
    );
    assert_eq!(bad_key.status, 422, "{}", bad_key.text);
    let after = call(
        ctx,
        "GET",
        &format!("/v1/agents/{id}/discovery"),
        Some(&key),
        None,
    );
    assert_eq!(after.body["certificates"].as_array().unwrap().len(), 2);
    assert_eq!(after.body["ssh_keys"].as_array().unwrap().len(), 1);
    // A thousand in one report is fine.
    let thousand: Vec<Value> = (0..1000)
        .map(|i| certificate(&format!("SHA256:n{i}"), "2026-06-15T00:00:00Z", false))
        .collect();
    let full = report(json!({ "certificates": thousand }));
    assert_eq!(full.status, 200, "{}", full.text);
    assert_eq!(full.body["created"], 1000);
    // Discovery is the agent's own; others' ids are not found.
    let unknown = call(
        ctx,
        "GET",
        "/v1/agents/agt_0123456789abcdef01234567/discovery",
        Some(&key),
        None,
    );
    assert_eq!(unknown.status, 404);
    assert_eq!(
        call(
            ctx,
            "GET",
            &format!("/v1/agents/{id}/discovery"),
            Some(&jwt),
            None
        )
        .status,
        403
    );
}

fn password_requests_round_trip(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let original = latchkey_e2e::secret_value("svc-db-password");
    let created = ctx
        .api()
        .create_secret(&key, &json!({"path": "svc/db/password", "value": original}));
    assert_eq!(created.status, 201, "{}", created.text);
    let (id, jwt) = new_agent(ctx, &key, "rotator");
    let ask = |path: &str| {
        call(
            ctx,
            "POST",
            "/v1/agents/me/password-requests",
            Some(&jwt),
            Some(json!({"path": path, "reason": "quarterly rotation"})),
        )
    };
    // Without a grant reading the path, the agent may not ask.
    let refused = ask("svc/db/password");
    assert_eq!(refused.status, 403, "{}", refused.text);
    let grant = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(&key),
        Some(json!({"agent_id": id, "path": "svc/*"})),
    );
    assert_eq!(grant.status, 201, "{}", grant.text);
    let asked = ask("svc/db/password");
    assert_eq!(asked.status, 201, "{}", asked.text);
    assert_eq!(asked.body["status"], "pending");
    let request_id = asked.body["id"].as_str().unwrap().to_owned();
    assert!(request_id.starts_with("pwr_"));
    let second = ask("svc/cache/password");
    let second_id = second.body["id"].as_str().unwrap().to_owned();

    // Nothing to collect yet.
    let pending = call(
        ctx,
        "GET",
        "/v1/agents/me/password-requests",
        Some(&jwt),
        None,
    );
    assert_eq!(pending.status, 200, "{}", pending.text);
    assert!(
        pending.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("password").is_none())
    );

    let listed = call(
        ctx,
        "GET",
        "/v1/admin/password-requests?status=pending",
        Some(&key),
        None,
    );
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );
    let approved = call(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{request_id}/approve"),
        Some(&key),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["version"], 2);
    assert!(
        approved.body.get("password").is_none(),
        "the admin never sees it"
    );
    let twice = call(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{request_id}/approve"),
        Some(&key),
        None,
    );
    assert_eq!(twice.status, 409, "{}", twice.text);
    let rejected = call(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{second_id}/reject"),
        Some(&key),
        Some(json!({"reason": "not this quarter"})),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    assert_eq!(rejected.body["decision_reason"], "not this quarter");

    // The agent collects the password once; it is the secret's new version.
    let collected = call(
        ctx,
        "GET",
        "/v1/agents/me/password-requests",
        Some(&jwt),
        None,
    );
    let data = collected.body["data"].as_array().expect("data");
    let mine = data
        .iter()
        .find(|r| r["id"] == request_id.as_str())
        .unwrap();
    let password = mine["password"]
        .as_str()
        .expect("password, once")
        .to_owned();
    assert_eq!(password.len(), 32);
    assert_ne!(password, original);
    let stored = ctx.api().get_secret(&key, "svc/db/password");
    assert_eq!(stored.body["version"], 2);
    assert_eq!(stored.body["value"], password.as_str());
    let other = data.iter().find(|r| r["id"] == second_id.as_str()).unwrap();
    assert_eq!(other["status"], "rejected");
    assert!(other.get("password").is_none());
    let again = call(
        ctx,
        "GET",
        "/v1/agents/me/password-requests",
        Some(&jwt),
        None,
    );
    assert!(!again.text.contains(&password), "handed over once");
    assert!(
        again.body["data"][0]["delivered_at"].is_string()
            || again.body["data"][1]["delivered_at"].is_string()
    );

    // Approving for a path with no secret creates it; a token that cannot write the path
    // cannot approve.
    let fresh = ask("svc/new/password");
    let fresh_id = fresh.body["id"].as_str().unwrap().to_owned();
    let token = ctx.api().create_token(
        &key,
        &json!({"scope": ["agents:admin", "secrets:read:svc/*"], "ttl_seconds": 600}),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    let weak = token.body["value"].as_str().unwrap().to_owned();
    let denied = call(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{fresh_id}/approve"),
        Some(&weak),
        None,
    );
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(
        denied.body["error"]["required_scope"],
        "secrets:write:svc/new/*"
    );
    let ok = call(
        ctx,
        "POST",
        &format!("/v1/admin/password-requests/{fresh_id}/approve"),
        Some(&key),
        None,
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["version"], 1);

    // The trail has the decisions, never a password.
    let trail = call(ctx, "GET", "/v1/audit?limit=1000", Some(&key), None);
    assert!(trail.text.contains("password_request.approved"));
    assert!(!trail.text.contains(&password));
    let reply = call(
        ctx,
        "GET",
        "/v1/admin/password-requests?status=maybe",
        Some(&key),
        None,
    );
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(field_of(&reply), "status");
    let missing = call(
        ctx,
        "POST",
        "/v1/admin/password-requests/pwr_0123456789abcdef01234567/reject",
        Some(&key),
        Some(json!({})),
    );
    assert_eq!(missing.status, 404, "{}", missing.text);
}
