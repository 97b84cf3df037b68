//! The cross-tenant sweep over issue 23's agent-plane routes (the `envelopes` part): another
//! tenant's agent ids and discovered-secret ids are `not_found` to every credential of this
//! tenant, its lists (discovered secrets, SSH keys) show none of them, and nothing of theirs
//! changes.

use super::{ok, send_with};
use crate::Ctx;
use crate::agent_envelopes::{agent, keypair};
use serde_json::json;

pub(super) fn another_tenants_agents_and_discovered_secrets_are_not_found(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let (a_agent, a_jwt) = agent(ctx, &a, "sweep-a");
    let (_, b_jwt) = agent(ctx, &b, "sweep-b");
    let (_, a_public) = keypair();
    ok(
        send_with(
            ctx,
            "PUT",
            &format!("/api/v1/agents/{a_agent}/public-key"),
            Some(&a_jwt),
            Some(json!({"public_key": a_public})),
            &[],
        ),
        200,
    );
    ok(
        send_with(
            ctx,
            "POST",
            &format!("/api/v1/agents/{a_agent}/secrets/bulk"),
            Some(&a_jwt),
            Some(
                json!({"secrets": [{"cluster_name": "a-only", "provider": "kubernetes", "ref": "a/ref"}]}),
            ),
            &[],
        ),
        200,
    );
    let listed = ok(
        send_with(ctx, "GET", "/api/v1/secrets", Some(&a), None, &[]),
        200,
    );
    let a_secret = listed["secrets"][0]["id"].as_str().unwrap().to_owned();
    // B's agent, naming A's agent in the path; B's master key on A's discovered secret.
    let routes = [
        (
            "PUT",
            format!("/api/v1/agents/{a_agent}/public-key"),
            Some(json!({"public_key": keypair().1})),
            b_jwt.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/agents/{a_agent}/dek"),
            None,
            b_jwt.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/agents/{a_agent}/secrets/bulk"),
            Some(json!({"secrets": [{"cluster_name": "b", "provider": "p", "ref": "r"}]})),
            b_jwt.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/secrets/{a_secret}"),
            None,
            b.as_str(),
        ),
    ];
    for (method, url, body, credential) in routes {
        let reply = send_with(ctx, method, &url, Some(credential), body, &[]);
        reply.assert_error(404, "not_found");
        assert!(!reply.text.contains("a-only"), "{}", reply.text);
    }
    // B's list shows nothing of A's; A's rows and key are as they were.
    let b_list = ok(
        send_with(ctx, "GET", "/api/v1/secrets", Some(&b), None, &[]),
        200,
    );
    assert_eq!(b_list["secrets"], json!([]));
    let a_list = ok(
        send_with(ctx, "GET", "/api/v1/secrets", Some(&a), None, &[]),
        200,
    );
    assert_eq!(a_list["secrets"].as_array().unwrap().len(), 1);
    assert_eq!(a_list["secrets"][0]["cluster_name"], "a-only");
    // A's agent still gets DEKs sealed to its own key (B's PUT did not replace it).
    let dek = ok(
        send_with(
            ctx,
            "POST",
            &format!("/api/v1/agents/{a_agent}/dek"),
            Some(&a_jwt),
            None,
            &[],
        ),
        201,
    );
    assert!(dek["key_id"].as_str().unwrap().starts_with("dek_"));

    // Seed 000's fleet-wide SSH list: B's admin never sees A's keys, even naming A's agent.
    ok(
        send_with(
            ctx,
            "POST",
            "/api/v1/agents/me/ssh-discovery",
            Some(&a_jwt),
            Some(json!({"keys": [{"fingerprint": "SHA256:a-only", "key_type": "ssh-ed25519"}]})),
            &[],
        ),
        200,
    );
    for url in [
        "/api/v1/ssh/discovery".to_owned(),
        format!("/api/v1/ssh/discovery?agent_id={a_agent}"),
    ] {
        let b_keys = ok(send_with(ctx, "GET", &url, Some(&b), None, &[]), 200);
        assert_eq!(b_keys["ssh_keys"], json!([]), "{url}");
    }
    let a_keys = ok(
        send_with(ctx, "GET", "/api/v1/ssh/discovery", Some(&a), None, &[]),
        200,
    );
    assert_eq!(a_keys["ssh_keys"][0]["fingerprint"], "SHA256:a-only");
}
