//! The cross-tenant sweep over seed 001's agent plane (issue 23): another tenant's agent and
//! job ids are not found on every route that names one, and nothing of theirs moves.

use crate::Ctx;
use crate::agent_plane::{admin, as_agent, mint, queue_job};
use serde_json::json;

pub fn another_tenants_agent_plane_ids_are_not_found(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let (a_agent, a_secret) = mint(ctx, &a, json!({"name": "a-agent"}));
    let a_job = queue_job(ctx, &a, &a_agent);
    let (b_agent, b_secret) = mint(ctx, &b, json!({"name": "b-agent"}));
    // B's own agent, naming A's agent and job.
    for url in [
        format!("/api/v1/agents/{a_agent}/heartbeat"),
        format!("/api/v1/agents/{a_agent}/jobs/claim"),
    ] {
        as_agent(ctx, "POST", &url, &b_secret, None).assert_error(404, "not_found");
    }
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{a_agent}/jobs/{a_job}/complete"),
        &b_secret,
        Some(json!({"status": "succeeded"})),
    )
    .assert_error(404, "not_found");
    // B's own agent, naming A's job under its own id.
    as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{b_agent}/jobs/{a_job}/complete"),
        &b_secret,
        Some(json!({"status": "failed", "error": "not mine"})),
    )
    .assert_error(404, "not_found");
    // B's admin, naming A's agent.
    let queued = admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        &b,
        Some(json!({"agent_id": a_agent, "type": "sync"})),
    );
    queued.assert_error(404, "not_found");
    assert_eq!(queued.error_field(), Some("agent_id"));
    admin(
        ctx,
        "POST",
        &format!("/api/v1/agents/{a_agent}/revoke"),
        &b,
        None,
    )
    .assert_error(404, "not_found");
    let listed = admin(ctx, "GET", "/api/v1/agents", &b, None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(!listed.text.contains(&a_agent), "{}", listed.text);
    // A's list of agents shows none B minted.
    let a_listed = admin(ctx, "GET", "/api/v1/agents", &a, None);
    assert!(!a_listed.text.contains(&b_agent), "{}", a_listed.text);
    // A's agent and job are untouched: the job is still A's to claim, once.
    let claimed = as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{a_agent}/jobs/claim"),
        &a_secret,
        None,
    );
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    assert_eq!(claimed.body["id"], a_job.as_str());
    assert_eq!(claimed.body["attempts"], 1);
    let a_list = admin(ctx, "GET", "/api/v1/agents", &a, None);
    assert_eq!(
        a_list.body["data"][0]["last_seen_at"],
        serde_json::Value::Null
    );
}
