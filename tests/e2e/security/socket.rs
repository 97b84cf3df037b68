//! The cross-tenant sweep over the agent socket (issue 23): another tenant's agent cannot
//! connect as this tenant's, by id or by `me`, and a socket hears only its own tenant.

use crate::Ctx;
use crate::agent_plane::{mint, queue_job};
use crate::agent_socket::{next_within, open, open_as};
use serde_json::json;
use std::time::Duration;

pub(super) fn another_tenants_agent_cannot_connect_or_hear(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let (a_agent, a_secret) = mint(ctx, &a, json!({"name": "sweep-a"}));
    let (b_agent, b_secret) = mint(ctx, &b, json!({"name": "sweep-b"}));
    // B's agent naming A's agent; A's key as an agent of B's; B's key on A's agent.
    for (path, header, value) in [
        (
            format!("/api/v1/agents/{a_agent}/connect"),
            "X-Agent-Secret",
            b_secret.clone(),
        ),
        (
            format!("/api/v1/agents/{b_agent}/connect"),
            "X-Agent-Secret",
            a_secret.clone(),
        ),
        (
            format!("/api/v1/agents/{a_agent}/connect"),
            "Authorization",
            format!("Bearer {b}"),
        ),
    ] {
        let (status, body) = open(ctx, &path, &[(header, &value)]).expect_err("refused");
        assert!(matches!(status, 403 | 404), "{path}: {status} {body}");
    }
    // Each socket hears its own tenant only: A's job and secret reach A's agent, not B's.
    let mut b_socket = open_as(ctx, &b_agent, &b_secret);
    let mut a_socket = open_as(ctx, &a_agent, &a_secret);
    let grant = |key: &str, agent: &str| {
        let reply = crate::people::call(
            ctx,
            "POST",
            "/v1/grants",
            Some(key),
            Some(json!({"agent_id": agent, "path": "*"})),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    };
    grant(&a, &a_agent);
    grant(&b, &b_agent);
    queue_job(ctx, &a, &a_agent);
    let created = ctx
        .api()
        .create_secret(&a, &json!({"path": "shared/name", "value": "a-only"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let heard = next_within(&mut a_socket, Duration::from_secs(1)).expect("A hears its job");
    assert_eq!(heard["type"], "job");
    assert_eq!(
        next_within(&mut a_socket, Duration::from_secs(1)).expect("A hears its secret")["type"],
        "secret_changed"
    );
    assert_eq!(next_within(&mut b_socket, Duration::from_millis(800)), None);
    // B cannot queue for A's agent.
    let reply = crate::agent_plane::admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        &b,
        Some(json!({"agent_id": a_agent, "type": "sync"})),
    );
    assert_eq!(reply.status / 100, 4, "{}", reply.text);
    assert_eq!(next_within(&mut a_socket, Duration::from_millis(500)), None);
}
