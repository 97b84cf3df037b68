//! The cross-tenant sweep over issue 23's requests that agents carry out: another tenant's
//! discovered secrets cannot be asked for, and its agents' wraps, jobs and requests are
//! `not_found` to every credential of this tenant; nothing of theirs changes.

use super::{ok, send_with, text};
use crate::Ctx;
use crate::agent_envelopes::{agent, keypair};
use crate::people::{APPROVER_ROLE, READER_ROLE, person};
use serde_json::json;

pub(super) fn another_tenants_carried_requests_and_agent_wraps_are_not_found(ctx: &Ctx) {
    let (a_tenant, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let (a_agent, a_jwt) = agent(ctx, &a, "carried-a");
    let (b_agent, b_jwt) = agent(ctx, &b, "carried-b");
    let (_, public) = keypair();
    let a_send = |method: &str, url: &str, bearer: &str, body| {
        send_with(ctx, method, url, Some(bearer), body, &[])
    };
    ok(
        a_send(
            "PUT",
            &format!("/api/v1/agents/{a_agent}/public-key"),
            &a_jwt,
            Some(json!({"public_key": public})),
        ),
        200,
    );
    ok(
        a_send(
            "POST",
            &format!("/api/v1/agents/{a_agent}/secrets/bulk"),
            &a_jwt,
            Some(
                json!({"secrets": [{"cluster_name": "a-only", "provider": "file", "ref": "a/.env", "key_names": ["K"]}]}),
            ),
        ),
        200,
    );
    let listed = ok(a_send("GET", "/api/v1/secrets", &a, None), 200);
    let a_secret = listed["secrets"][0]["id"].as_str().unwrap().to_owned();
    let (_, requester) = person(ctx, &a_tenant, &a, "carried-asker", &[READER_ROLE]);
    let filed = ok(
        a_send(
            "POST",
            "/api/v1/requests",
            &requester,
            Some(json!({"secret_id": a_secret, "data": {"K": "a-value"}, "reason": "rotate"})),
        ),
        201,
    );
    let a_request = text(&filed, "id");
    let (_, approver) = person(ctx, &a_tenant, &a, "carried-approver", &[APPROVER_ROLE]);
    ok(
        a_send(
            "POST",
            &format!("/api/v1/requests/{a_request}/approve"),
            &approver,
            None,
        ),
        200,
    );
    let job = ok(
        a_send(
            "POST",
            &format!("/api/v1/agents/{a_agent}/jobs/claim"),
            &a_jwt,
            None,
        ),
        200,
    );
    let a_job = text(&job, "id");
    let a_wrap = job["params"]["wrap_id"].as_str().unwrap().to_owned();
    let post = json!({"job_id": a_job, "key_id": "dek_0123456789abcdef01234567", "nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    let routes = [
        (
            "POST",
            "/api/v1/requests/read".to_owned(),
            Some(json!({"secret_id": a_secret, "reason": "r"})),
            b.as_str(),
        ),
        (
            "POST",
            "/api/v1/requests".to_owned(),
            Some(json!({"secret_id": a_secret, "data": {"K": "b"}, "reason": "r"})),
            b.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/requests/{a_request}"),
            None,
            b.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/requests/{a_request}/wraps"),
            None,
            b.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/requests/{a_request}/wraps/wrp_0123456789abcdef01234567"),
            None,
            b.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/requests/{a_request}/approve"),
            Some(json!({"comment": "b"})),
            b.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/requests/{a_request}/reject"),
            Some(json!({"reason": "b"})),
            b.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/requests/{a_request}/cancel"),
            None,
            b.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/agents/{a_agent}/wraps"),
            Some(post.clone()),
            b_jwt.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/agents/{b_agent}/wraps"),
            Some(post),
            b_jwt.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/agents/{a_agent}/wraps/{a_wrap}"),
            None,
            b_jwt.as_str(),
        ),
        (
            "GET",
            format!("/api/v1/agents/{b_agent}/wraps/{a_wrap}"),
            None,
            b_jwt.as_str(),
        ),
    ];
    for (method, url, body, credential) in routes {
        let reply = send_with(ctx, method, &url, Some(credential), body, &[]);
        reply.assert_error(404, "not_found");
        assert!(!reply.text.contains("a-only"), "{}", reply.text);
    }
    // B has no requests; A's agent still gets its wrap, once.
    let b_list = ok(a_send("GET", "/api/v1/requests", &b, None), 200);
    assert_eq!(b_list["requests"], json!([]));
    let got = ok(
        a_send(
            "GET",
            &format!("/api/v1/agents/{a_agent}/wraps/{a_wrap}"),
            &a_jwt,
            None,
        ),
        200,
    );
    assert_eq!(got["wrap_id"], a_wrap.as_str());
}
