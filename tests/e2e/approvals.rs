//! Approvals: token requests that reach sensitive or critical secrets wait for approvers.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::client::Body;
use serde_json::{Value, json};
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "approvals::sensitive_needs_one_approval_and_releases_once",
        sensitive_needs_one_approval_and_releases_once,
    ),
    (
        "approvals::critical_needs_two_approvers_and_a_cancel_window",
        critical_needs_two_approvers_and_a_cancel_window,
    ),
    ("approvals::denial_is_final", denial_is_final),
    ("approvals::policies_are_validated", policies_are_validated),
];

fn post(ctx: &Ctx, key: &str, url: &str, body: Value) -> latchkey_e2e::Reply {
    ctx.api()
        .send("POST", url, Some(key), &[], Body::Json(&body))
}

fn approve(ctx: &Ctx, key: &str, id: &str) -> latchkey_e2e::Reply {
    post(
        ctx,
        key,
        &format!("/v1/approvals/{id}/approve"),
        json!({"comment": "ok"}),
    )
}

fn poll(ctx: &Ctx, key: &str, id: &str) -> latchkey_e2e::Reply {
    ctx.api().get(&format!("/v1/approvals/{id}"), Some(key))
}

fn create(ctx: &Ctx, key: &str, path: &str, tier: &str) {
    let reply = ctx.api().create_secret(
        key,
        &json!({"path": path, "value": format!("v-{path}"), "tier": tier}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

/// Requests a token and expects a 202; returns the approval id.
fn request(ctx: &Ctx, requester: &str, scope: &str) -> (String, Value) {
    let reply = ctx.api().create_token(
        requester,
        &json!({"scope": scope, "ttl_seconds": 300, "description": "batch job"}),
    );
    assert_eq!(reply.status, 202, "{}", reply.text);
    (
        reply.body["approval_request_id"]
            .as_str()
            .expect("id")
            .to_owned(),
        reply.body,
    )
}

fn sensitive_needs_one_approval_and_releases_once(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // The agent's token exists before the sensitive secret does, so minting it needed nobody.
    let (agent, agent_id) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}),
    );
    let (approver, approver_id) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    let (outsider, _) = mint(ctx, &key, json!({"scope": "secrets:read:staging/*"}));
    create(ctx, &key, "prod/db", "sensitive");
    create(ctx, &key, "prod/cache", "standard");

    let (id, body) = request(ctx, &agent, "secrets:read:prod/*");
    assert_eq!(body["approval_status"], "pending");
    assert!(id.starts_with("apr_"));
    assert_eq!(body["required_approvals"], 1);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Approval required")
    );
    let url = body["approve_url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/approvals/{id}/review")), "{url}");
    assert!(
        !url.contains("?t="),
        "the requester's URL carries no approver rights"
    );

    let pending = poll(ctx, &agent, &id);
    assert_eq!(pending.status, 200, "{}", pending.text);
    assert_eq!(pending.body["status"], "pending");
    assert_eq!(pending.body["requester"], agent_id.as_str());
    assert_eq!(pending.body["requester_description"], Value::Null);
    assert_eq!(pending.body["tier"], "sensitive");
    assert_eq!(pending.body["secrets_reached"], 2);
    assert_eq!(pending.body["request"]["scope"], "secrets:read:prod/*");
    assert!(pending.body["token"].is_null());

    // Fail-closed: the requester cannot approve, outsiders see nothing.
    approve(ctx, &agent, &id).assert_error(403, "permission_denied");
    poll(ctx, &outsider, &id).assert_error(404, "not_found");
    approve(ctx, &outsider, &id).assert_error(403, "permission_denied");

    let approved = approve(ctx, &approver, &id);
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["approvers"], json!([approver_id]));
    assert_eq!(approved.body["decisions"][0]["note"], "ok");
    assert!(
        approved.body["token"].is_null(),
        "approvers never see the token"
    );
    approve(ctx, &approver, &id).assert_error(409, "conflict");

    let released = poll(ctx, &agent, &id);
    let token = released.body["token"]["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    assert!(token.starts_with("lk_tok_"));
    assert_eq!(
        ctx.api().get_secret(&token, "prod/db").body["value"],
        "v-prod/db"
    );
    let again = poll(ctx, &agent, &id);
    assert!(
        again.body["token"]["value"].is_null(),
        "the value is shown once: {}",
        again.text
    );
    assert_eq!(again.body["token"]["id"], released.body["token"]["id"]);
    assert!(!poll(ctx, &approver, &id).text.contains(&token));

    let listed = ctx
        .api()
        .get("/v1/approvals?status=approved", Some(&approver));
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["approvals"][0]["id"], id.as_str());
    assert!(!listed.text.contains(&token));
    ctx.api()
        .get("/v1/approvals?status=maybe", Some(&approver))
        .assert_error(400, "invalid_request");
    ctx.api()
        .get("/v1/approvals", Some(&agent))
        .assert_error(403, "permission_denied");
    // A request reaching only standard secrets needs nobody.
    let direct = ctx.api().create_token(
        &agent,
        &json!({"scope": "secrets:read:prod/cache", "ttl_seconds": 60}),
    );
    assert_eq!(direct.status, 201, "{}", direct.text);
}

fn critical_needs_two_approvers_and_a_cancel_window(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:*:vault/*"], "ttl_seconds": 3600}),
    );
    let (alice, _) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    let (bob, _) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    let policies = ctx.api().send(
        "PUT",
        "/v1/policies",
        Some(&key),
        &[],
        Body::Json(
            &json!({"policies": [{"glob": "vault/*", "critical": 2, "cancel_window_seconds": 2}]}),
        ),
    );
    assert_eq!(policies.status, 200, "{}", policies.text);
    create(ctx, &key, "vault/root-key", "critical");

    let (id, body) = request(ctx, &agent, "secrets:read:vault/*");
    assert_eq!(body["required_approvals"], 2);
    assert_eq!(approve(ctx, &alice, &id).body["status"], "pending");
    approve(ctx, &alice, &id).assert_error(409, "conflict");
    let approved = approve(ctx, &bob, &id);
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    assert!(approved.body["releases_at"].is_string());
    // Inside the cancel window: no token yet.
    let early = poll(ctx, &agent, &id);
    assert_eq!(early.body["status"], "approved");
    assert!(early.body["token"].is_null(), "{}", early.text);
    std::thread::sleep(Duration::from_millis(2_300));
    let released = poll(ctx, &agent, &id);
    assert!(
        released.body["token"]["value"].is_string(),
        "{}",
        released.text
    );
    // After release, nobody can cancel.
    post(
        ctx,
        &alice,
        &format!("/v1/approvals/{id}/cancel"),
        json!({}),
    )
    .assert_error(409, "conflict");

    // A second request is cancelled by an approver during its window.
    let (second, _) = request(ctx, &agent, "secrets:read:vault/*");
    approve(ctx, &alice, &second);
    approve(ctx, &bob, &second);
    let cancelled = post(
        ctx,
        &alice,
        &format!("/v1/approvals/{second}/cancel"),
        json!({}),
    );
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    std::thread::sleep(Duration::from_millis(2_300));
    let after = poll(ctx, &agent, &second);
    assert_eq!(after.body["status"], "cancelled");
    assert!(after.body["token"].is_null());
    // And the requester may cancel its own pending request.
    let (third, _) = request(ctx, &agent, "secrets:read:vault/*");
    let own = ctx.api().send(
        "POST",
        &format!("/v1/approvals/{third}/cancel"),
        Some(&agent),
        &[],
        Body::None,
    );
    assert_eq!(own.status, 200, "{}", own.text);
    approve(ctx, &alice, &third).assert_error(409, "conflict");
}

fn denial_is_final(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:*"]}),
    );
    let (alice, alice_id) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    create(ctx, &key, "hr/salaries", "sensitive");
    let (id, _) = request(ctx, &agent, "secrets:read:hr/*");
    let denied = post(
        ctx,
        &alice,
        &format!("/v1/approvals/{id}/deny"),
        json!({"reason": "unexpected access pattern"}),
    );
    assert_eq!(denied.status, 200, "{}", denied.text);
    assert_eq!(denied.body["status"], "denied");
    assert_eq!(denied.body["decisions"][0]["approver"], alice_id.as_str());
    assert_eq!(denied.body["decisions"][0]["decision"], "deny");
    assert_eq!(
        denied.body["decisions"][0]["note"],
        "unexpected access pattern"
    );
    approve(ctx, &alice, &id).assert_error(409, "conflict");
    post(
        ctx,
        &agent,
        &format!("/v1/approvals/{id}/cancel"),
        json!({}),
    )
    .assert_error(409, "conflict");
    assert!(poll(ctx, &agent, &id).body["token"].is_null());
    let bad = post(
        ctx,
        &alice,
        &format!("/v1/approvals/{id}/deny"),
        json!({"because": "x"}),
    );
    bad.assert_error(422, "validation_error");
    post(
        ctx,
        &alice,
        "/v1/approvals/apr_00000000000000000000000000000000/approve",
        json!({}),
    )
    .assert_error(404, "not_found");
}

fn policies_are_validated(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let initial = api.get("/v1/policies", Some(&key));
    assert_eq!(initial.status, 200, "{}", initial.text);
    assert_eq!(initial.body["policies"], json!([]));
    assert_eq!(
        initial.body["defaults"],
        json!({"standard": 0, "sensitive": 1, "critical": 2, "cancel_window_seconds": 300})
    );
    for bad in [
        json!({"policies": [{"glob": "x/*", "sensitive": 0}]}),
        json!({"policies": [{"glob": "x/*", "critical": 0}]}),
        json!({"policies": [{"glob": "bad-*"}]}),
        json!({"policies": "all"}),
    ] {
        let reply = api.send("PUT", "/v1/policies", Some(&key), &[], Body::Json(&bad));
        reply.assert_error(422, "validation_error");
    }
    assert_eq!(
        api.get("/v1/policies", Some(&key)).body["policies"],
        json!([])
    );
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:*"}));
    let denied = api.get("/v1/policies", Some(&reader));
    denied.assert_error(403, "permission_denied");
    assert_eq!(denied.body["error"]["required_scope"], "policies:write");
}
