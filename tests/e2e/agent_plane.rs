//! Seed 001's agent plane on the wire (issue 23): a minted agent and its `X-Agent-Secret`,
//! heartbeats, one registry for both kinds of agent, the job queue under concurrency and
//! lease expiry, the operator's release catalog and the update check.

use crate::Ctx;
use latchkey_e2e::client::{Body, Reply};
use latchkey_e2e::{Runtime, unique};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agent_plane::minted_agent_beats_lists_with_registered_and_is_refused_once_revoked",
        minted_agent_beats_lists_with_registered_and_is_refused_once_revoked,
    ),
    (
        "agent_plane::twenty_concurrent_claims_of_one_job_give_one_200",
        twenty_concurrent_claims_of_one_job_give_one_200,
    ),
    (
        "agent_plane::expired_lease_makes_a_job_claimable_again",
        expired_lease_makes_a_job_claimable_again,
    ),
    (
        "agent_plane::update_latest_answers_for_the_callers_platform",
        update_latest_answers_for_the_callers_platform,
    ),
    (
        "agent_plane::bad_bodies_ids_and_credentials_are_named",
        bad_bodies_ids_and_credentials_are_named,
    ),
];

const SECRET_HEADER: &str = "X-Agent-Secret";

/// A request with a bearer (`key`) and a JSON body.
pub(crate) fn admin(ctx: &Ctx, method: &str, url: &str, key: &str, body: Option<Value>) -> Reply {
    let api = ctx.api();
    match &body {
        Some(body) => api.send(method, url, Some(key), &[], Body::Json(body)),
        None => api.send(method, url, Some(key), &[], Body::None),
    }
}

/// A request as a seed-001 agent sends it: `X-Agent-Secret`, no `Authorization`.
pub(crate) fn as_agent(
    ctx: &Ctx,
    method: &str,
    url: &str,
    secret: &str,
    body: Option<Value>,
) -> Reply {
    let api = ctx.api();
    let headers = [(SECRET_HEADER, secret)];
    match &body {
        Some(body) => api.send(method, url, None, &headers, Body::Json(body)),
        None => api.send(method, url, None, &headers, Body::None),
    }
}

/// An agent minted by `key` on `/api/v1/agents`: `(id, agent_secret)`.
pub(crate) fn mint(ctx: &Ctx, key: &str, body: Value) -> (String, String) {
    let reply = admin(ctx, "POST", "/api/v1/agents", key, Some(body));
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["id"].as_str().expect("id").to_owned(),
        reply.body["agent_secret"]
            .as_str()
            .expect("agent_secret")
            .to_owned(),
    )
}

/// A job queued by `key` for `agent`: its id.
pub(crate) fn queue_job(ctx: &Ctx, key: &str, agent: &str) -> String {
    let reply = admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        key,
        Some(json!({"agent_id": agent, "type": "sync", "params": {"path": "prod/db"}})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["status"], "queued");
    reply.body["id"].as_str().expect("id").to_owned()
}

fn listed(ctx: &Ctx, key: &str, query: &str) -> Vec<Value> {
    let reply = admin(ctx, "GET", &format!("/api/v1/agents{query}"), key, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"].as_array().expect("data").clone()
}

fn minted_agent_beats_lists_with_registered_and_is_refused_once_revoked(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let reply = admin(
        ctx,
        "POST",
        "/api/v1/agents",
        &key,
        Some(json!({"name": "db-1", "hostname": "db-1.example.com", "os_type": "linux/amd64"})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let secret = reply.body["agent_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("lk_agt_tn_"), "{secret}");
    // Seed 000's way in, to the same registry.
    let (jwt_agent, _) = crate::agents::new_agent(ctx, &key, "app-1");

    let beat = as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/heartbeat"),
        &secret,
        None,
    );
    assert_eq!(beat.status, 204, "{}", beat.text);
    assert!(beat.text.is_empty());
    let beat = as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/heartbeat"),
        &secret,
        Some(json!({})),
    );
    assert_eq!(beat.status, 204, "{}", beat.text);

    let agents = listed(ctx, &key, "");
    assert_eq!(agents.len(), 2);
    let text = serde_json::to_string(&agents).unwrap();
    assert!(!text.contains(&secret), "the list shows a secret");
    let minted = agents.iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert!(minted["last_seen_at"].is_string(), "{minted}");
    assert_eq!(minted["last_seen_at"], minted["last_heartbeat"]);
    assert_eq!(minted["platform"], "linux/amd64");
    assert!(agents.iter().any(|a| a["id"] == jwt_agent.as_str()));

    let revoked = admin(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/revoke"),
        &key,
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/heartbeat"),
        &secret,
        None,
    )
    .assert_error(401, "unauthorized");
    let revoked = listed(ctx, &key, "?status=revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["id"], id.as_str());
    assert_eq!(revoked[0]["status"], "revoked");
}

fn twenty_concurrent_claims_of_one_job_give_one_200(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "claimer"}));
    let claim_url = format!("/api/v1/agents/{id}/jobs/claim");
    let empty = as_agent(ctx, "POST", &claim_url, &secret, None);
    assert_eq!(empty.status, 204, "{}", empty.text);
    let job = queue_job(ctx, &key, &id);

    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| as_agent(ctx, "POST", &claim_url, &secret, None)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("claimant"))
            .collect()
    });
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let empty = replies.iter().filter(|r| r.status == 204).count();
    assert_eq!(
        (won.len(), empty),
        (1, 19),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, &r.text))
            .collect::<Vec<_>>()
    );
    let claimed = &won[0].body;
    assert_eq!(claimed["id"], job.as_str());
    assert_eq!(claimed["status"], "claimed");
    assert_eq!(claimed["attempts"], 1);
    assert_eq!(claimed["params"], json!({"path": "prod/db"}));
    assert!(claimed["lease_expires_at"].is_string());

    // Completing is idempotent; a conflicting completion is refused.
    let complete_url = format!("/api/v1/agents/{id}/jobs/{job}/complete");
    let done = json!({"status": "failed", "error": "permission denied"});
    for _ in 0..2 {
        let reply = as_agent(ctx, "POST", &complete_url, &secret, Some(done.clone()));
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
    as_agent(
        ctx,
        "POST",
        &complete_url,
        &secret,
        Some(json!({"status": "succeeded"})),
    )
    .assert_error(409, "conflict");
    assert_eq!(as_agent(ctx, "POST", &claim_url, &secret, None).status, 204);
}

fn expired_lease_makes_a_job_claimable_again(ctx: &Ctx) {
    // A runtime of its own with a 2-second lease (`AGENT_JOB_LEASE_SECONDS`, tests only).
    let runtime = Runtime::start_with_vars(
        &ctx.run_dir,
        "agent_plane_lease",
        &[("AGENT_JOB_LEASE_SECONDS", "2")],
    );
    let api = runtime.api();
    let (_, key) = crate::new_tenant(&api, &runtime.operator_key);
    let send = |method: &str,
                url: &str,
                bearer: Option<&str>,
                headers: &[(&str, &str)],
                body: Option<Value>| match &body {
        Some(body) => api.send(method, url, bearer, headers, Body::Json(body)),
        None => api.send(method, url, bearer, headers, Body::None),
    };
    let minted = send(
        "POST",
        "/api/v1/agents",
        Some(&key),
        &[],
        Some(json!({"name": "slow"})),
    );
    assert_eq!(minted.status, 201, "{}", minted.text);
    let id = minted.body["id"].as_str().unwrap().to_owned();
    let secret = minted.body["agent_secret"].as_str().unwrap().to_owned();
    let headers = [(SECRET_HEADER, secret.as_str())];
    let queued = send(
        "POST",
        "/api/v1/jobs",
        Some(&key),
        &[],
        Some(json!({"agent_id": id, "type": "sync"})),
    );
    assert_eq!(queued.status, 201, "{}", queued.text);
    let claim_url = format!("/api/v1/agents/{id}/jobs/claim");
    let first = send("POST", &claim_url, None, &headers, None);
    assert_eq!(first.status, 200, "{}", first.text);
    let claimed_at = Instant::now();
    assert_eq!(first.body["attempts"], 1);
    // Within the lease: nothing to claim.
    assert_eq!(send("POST", &claim_url, None, &headers, None).status, 204);
    std::thread::sleep(Duration::from_millis(2_500).saturating_sub(claimed_at.elapsed()));
    let again = send("POST", &claim_url, None, &headers, None);
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], queued.body["id"]);
    assert_eq!(again.body["attempts"], 2);
    let complete = send(
        "POST",
        &format!(
            "/api/v1/agents/{id}/jobs/{}/complete",
            again.body["id"].as_str().unwrap()
        ),
        None,
        &headers,
        Some(json!({"status": "succeeded"})),
    );
    assert_eq!(complete.status, 204, "{}", complete.text);
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(send("POST", &claim_url, None, &headers, None).status, 204);
}

fn update_latest_answers_for_the_callers_platform(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let operator = ctx.runtime.operator_key.clone();
    // D1 is shared by every test: a platform of this test's own.
    // (os_type and platforms are at most 32 bytes.)
    let short = |label: &str| unique(label).chars().take(20).collect::<String>();
    let platform = short("e2e") + "/amd64";
    let publish = |version: &str, sha: &str| {
        admin(
            ctx,
            "POST",
            "/v1/admin/agent-releases",
            &operator,
            Some(json!({
                "platform": platform,
                "version": version,
                "url": format!("https://dl.example.com/agent-{version}"),
                "sha256": sha,
            })),
        )
    };
    let (_, secret) = mint(ctx, &key, json!({"name": "updater", "os_type": platform}));
    let latest = |query: &str| {
        as_agent(
            ctx,
            "GET",
            &format!("/api/v1/agents/update/latest{query}"),
            &secret,
            None,
        )
    };
    latest("").assert_error(404, "not_found");

    let first = publish("1.8.0", &"a".repeat(64));
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(publish("1.9.0", &"B".repeat(64)).status, 201);
    publish("1.9.0", &"c".repeat(64)).assert_error(409, "conflict");
    let reply = latest("");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["platform"], platform.as_str());
    assert_eq!(reply.body["version"], "1.9.0");
    assert_eq!(reply.body["url"], "https://dl.example.com/agent-1.9.0");
    assert_eq!(reply.body["sha256"], "b".repeat(64));
    // Another platform by the query; one with nothing published is 404 naming it.
    let reply = latest(&format!("?platform={}-arm", short("none")));
    reply.assert_error(404, "not_found");
    assert_eq!(reply.error_field(), Some("platform"));
    latest("?platform=a%20b").assert_error(422, "validation_error");
    latest("?os=linux").assert_error(400, "invalid_request");
    // An agent with no platform must name one.
    let (_, bare) = mint(ctx, &key, json!({"name": "bare"}));
    let reply = as_agent(ctx, "GET", "/api/v1/agents/update/latest", &bare, None);
    reply.assert_error(422, "validation_error");
    assert_eq!(reply.error_field(), Some("platform"));
    // Only agents ask; only the operator publishes.
    admin(ctx, "GET", "/api/v1/agents/update/latest", &key, None)
        .assert_error(403, "permission_denied");
    admin(
        ctx,
        "POST",
        "/v1/admin/agent-releases",
        &key,
        Some(json!({"platform": "linux", "version": "1", "url": "https://x.example/a", "sha256": "0".repeat(64)})),
    )
    .assert_error(401, "unauthorized");
    let bad = admin(
        ctx,
        "POST",
        "/v1/admin/agent-releases",
        &operator,
        Some(
            json!({"platform": "linux", "version": "1", "url": "http://x.example/a", "sha256": "0".repeat(64)}),
        ),
    );
    bad.assert_error(422, "validation_error");
    assert_eq!(bad.error_field(), Some("url"));
}

fn bad_bodies_ids_and_credentials_are_named(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "strict"}));
    let named = |reply: Reply, status: u16, field: &str| {
        assert_eq!(reply.status, status, "{}", reply.text);
        assert_eq!(reply.error_field(), Some(field), "{}", reply.text);
    };
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/agents",
            &key,
            Some(json!({"name": "x", "token": "t"})),
        ),
        422,
        "token",
    );
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/agents",
            &key,
            Some(json!({"name": "strict"})),
        ),
        409,
        "name",
    );
    // Seed 001 shows no body: a bodiless mint names the agent by its id.
    let bare = admin(ctx, "POST", "/api/v1/agents", &key, None);
    assert_eq!(bare.status, 201, "{}", bare.text);
    assert_eq!(bare.body["name"], bare.body["id"]);
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": "nope", "type": "sync"})),
        ),
        422,
        "agent_id",
    );
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": id, "type": "Sync Now"})),
        ),
        422,
        "type",
    );
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": id, "type": "sync", "priority": 1})),
        ),
        422,
        "priority",
    );
    named(
        admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": "agt_0123456789abcdef01234567", "type": "sync"})),
        ),
        404,
        "agent_id",
    );
    let job = queue_job(ctx, &key, &id);
    let complete_url = format!("/api/v1/agents/{id}/jobs/{job}/complete");
    named(
        as_agent(
            ctx,
            "POST",
            &complete_url,
            &secret,
            Some(json!({"status": "done"})),
        ),
        422,
        "status",
    );
    named(
        as_agent(
            ctx,
            "POST",
            &complete_url,
            &secret,
            Some(json!({"status": "succeeded"})),
        ),
        409,
        "job_id",
    );
    named(
        as_agent(
            ctx,
            "POST",
            &format!("/api/v1/agents/{id}/heartbeat"),
            &secret,
            Some(json!({"status": "healthy"})),
        ),
        422,
        "status",
    );
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/jobs/claim?wait=5"),
        &secret,
        None,
    )
    .assert_error(400, "invalid_request");
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/jobs/job_x/complete"),
        &secret,
        None,
    )
    .assert_error(404, "not_found");
    as_agent(
        ctx,
        "GET",
        &format!("/api/v1/agents/{id}/heartbeat"),
        &secret,
        None,
    )
    .assert_error(405, "method_not_allowed");
    // Another agent's id, in this tenant: not found, and nothing moves.
    let (other, _) = mint(ctx, &key, json!({"name": "other"}));
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{other}/heartbeat"),
        &secret,
        None,
    )
    .assert_error(404, "not_found");
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{other}/jobs/claim"),
        &secret,
        None,
    )
    .assert_error(404, "not_found");
    // Credentials: a key in X-Agent-Secret is not an agent secret; both headers are refused;
    // the admin's key is not an agent's.
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/heartbeat"),
        &key,
        None,
    )
    .assert_error(401, "unauthorized");
    let both = ctx.api().send(
        "POST",
        &format!("/api/v1/agents/{id}/heartbeat"),
        Some(&key),
        &[(SECRET_HEADER, secret.as_str())],
        Body::None,
    );
    both.assert_error(400, "invalid_request");
    admin(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/jobs/claim"),
        &key,
        None,
    )
    .assert_error(403, "permission_denied");
    // A token without agents:admin neither mints nor queues.
    let (reader, _) = crate::tokens::mint(ctx, &key, json!({"scope": "secrets:read:*"}));
    admin(
        ctx,
        "POST",
        "/api/v1/agents",
        &reader,
        Some(json!({"name": "n"})),
    )
    .assert_error(403, "permission_denied");
    admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        &reader,
        Some(json!({"agent_id": id, "type": "sync"})),
    )
    .assert_error(403, "permission_denied");
    // Nothing above queued a second job or touched the first.
    let first = as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/jobs/claim"),
        &secret,
        None,
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["id"], job.as_str());
    assert_eq!(
        as_agent(
            ctx,
            "POST",
            &format!("/api/v1/agents/{id}/jobs/claim"),
            &secret,
            None
        )
        .status,
        204
    );
}
