//! Ways around approvals and token limits that must stay closed.

use crate::Ctx;
use crate::tokens::mint;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "hardening::child_tokens_inherit_address_and_use_limits",
        child_tokens_inherit_address_and_use_limits,
    ),
    (
        "hardening::revoking_a_token_revokes_what_it_minted",
        revoking_a_token_revokes_what_it_minted,
    ),
    (
        "hardening::requesters_cannot_mint_their_own_approvers",
        requesters_cannot_mint_their_own_approvers,
    ),
    (
        "hardening::tokens_stay_within_the_tier_they_were_cleared_for",
        tokens_stay_within_the_tier_they_were_cleared_for,
    ),
    (
        "hardening::a_max_uses_requester_can_still_collect_its_token",
        a_max_uses_requester_can_still_collect_its_token,
    ),
];

fn child_tokens_inherit_address_and_use_limits(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "n/x", "value": "v"}))
            .status,
        201
    );
    let (parent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["secrets:read:n/*", "tokens:create"], "allowed_ips": ["10.0.0.0/8"], "max_uses": 5}),
    );
    let create = |body: serde_json::Value| {
        api.send(
            "POST",
            "/v1/tokens",
            Some(&parent),
            &[("CF-Connecting-IP", "10.1.1.1")],
            latchkey_e2e::client::Body::Json(&body),
        )
    };
    let child = create(json!({"scope": "secrets:read:n/*"}));
    assert_eq!(child.status, 201, "{}", child.text);
    let child_token = child.body["value"].as_str().unwrap().to_owned();
    // Inherited: the parent's addresses and the uses it had left when it asked.
    assert_eq!(
        api.get_secret_from(&child_token, "n/x", "10.2.2.2").status,
        200
    );
    api.get_secret_from(&child_token, "n/x", "192.168.0.1")
        .assert_error(403, "permission_denied");
    let listed = api.list_tokens(&key);
    let entry = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == child.body["id"])
        .unwrap()
        .clone();
    assert_eq!(entry["allowed_ips"], json!(["10.0.0.0/8"]));
    assert_eq!(entry["max_uses"], 5);
    let wider = create(json!({"scope": "secrets:read:n/*", "allowed_ips": ["0.0.0.0/0"]}));
    wider.assert_error(422, "validation_error");
    assert_eq!(wider.error_field(), Some("allowed_ips"));
    let more = create(json!({"scope": "secrets:read:n/*", "max_uses": 100}));
    more.assert_error(422, "validation_error");
    assert_eq!(more.error_field(), Some("max_uses"));
}

fn revoking_a_token_revokes_what_it_minted(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "r/x", "value": "v"}))
            .status,
        201
    );
    let (parent, parent_id) = mint(
        ctx,
        &key,
        json!({"scope": ["secrets:read:r/*", "tokens:create"]}),
    );
    let child = api.create_token(
        &parent,
        &json!({"scope": ["secrets:read:r/*", "tokens:create"]}),
    );
    let child = child.body["value"].as_str().unwrap().to_owned();
    let grandchild = api.create_token(&child, &json!({"scope": "secrets:read:r/*"}));
    let grandchild = grandchild.body["value"].as_str().unwrap().to_owned();
    assert_eq!(api.get_secret(&grandchild, "r/x").status, 200);
    assert_eq!(api.revoke_token(&key, &parent_id).status, 200);
    for token in [&parent, &child, &grandchild] {
        let reply = api.get_secret(token, "r/x");
        reply.assert_error(401, "unauthorized");
        assert!(reply.text.contains("revoked"), "{}", reply.text);
    }
}

fn requesters_cannot_mint_their_own_approvers(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    // A token that may mint tokens but is not admin cannot hand out approvals:decide.
    let (minter, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "approvals:decide", "secrets:read:*"]}),
    );
    let refused = api.create_token(&minter, &json!({"scope": "approvals:decide"}));
    refused.assert_error(403, "permission_denied");
    assert_eq!(refused.body["error"]["required_scope"], "admin");
    api.create_token(&minter, &json!({"scope": "policies:write"}))
        .assert_error(403, "permission_denied");
    // An admin token can; but what it mints can never decide its own requests.
    let (admin, _) = mint(ctx, &key, json!({"scope": "admin"}));
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "vault/k", "value": "v", "tier": "sensitive"})
        )
        .status,
        201
    );
    let requested = api.create_token(&admin, &json!({"scope": "secrets:read:vault/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = api.create_token(&admin, &json!({"scope": "approvals:decide"}));
    assert_eq!(own.status, 201, "{}", own.text);
    let own = own.body["value"].as_str().unwrap().to_owned();
    let attempt = api.send(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&own),
        &[],
        latchkey_e2e::client::Body::None,
    );
    attempt.assert_error(403, "permission_denied");
    assert!(
        attempt.text.contains("minted by the requester"),
        "{}",
        attempt.text
    );
    assert_eq!(
        api.get(&format!("/v1/approvals/{id}"), Some(&key)).body["status"],
        "pending"
    );
}

fn tokens_stay_within_the_tier_they_were_cleared_for(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    // Minted while the namespace held only standard secrets: no approval was needed.
    assert_eq!(
        api.create_secret(&key, &json!({"path": "app/a", "value": "v"}))
            .status,
        201
    );
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:*:app/*"}));
    // A critical secret added later stays closed to it.
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "app/root", "value": "v", "tier": "critical"})
        )
        .status,
        201
    );
    let closed = api.get_secret(&reader, "app/root");
    closed.assert_error(403, "permission_denied");
    assert_eq!(closed.body["error"]["tier"], "critical", "{}", closed.text);
    api.update_secret(&reader, "app/root", &json!({"value": "x"}), None)
        .assert_error(403, "permission_denied");
    assert_eq!(api.get_secret(&reader, "app/a").status, 200);
    // Lowering a tier needs an admin, even with write access.
    let lowered = api.update_secret(
        &reader,
        "app/a",
        &json!({"value": "v2", "tier": "standard"}),
        None,
    );
    assert_eq!(lowered.status, 200, "same tier is fine: {}", lowered.text);
    assert_eq!(
        api.update_secret(
            &key,
            "app/a",
            &json!({"value": "v3", "tier": "sensitive"}),
            None
        )
        .status,
        200
    );
    let down = api.update_secret(
        &reader,
        "app/a",
        &json!({"value": "v4", "tier": "standard"}),
        None,
    );
    down.assert_error(403, "permission_denied");
    // A soft-deleted critical secret still counts when a token is requested.
    assert_eq!(api.delete_secret(&key, "app/root", false).status, 204);
    let (agent, _) = {
        let (_, other_key) = (0, &key);
        mint(
            ctx,
            other_key,
            json!({"scope": ["tokens:create", "secrets:read:ops/*"]}),
        )
    };
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "ops/k", "value": "v", "tier": "critical"})
        )
        .status,
        201
    );
    assert_eq!(api.delete_secret(&key, "ops/k", false).status, 204);
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:ops/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
}

fn a_max_uses_requester_can_still_collect_its_token(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:m/*"], "max_uses": 1}),
    );
    let (approver, _) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "m/k", "value": "v", "tier": "sensitive"})
        )
        .status,
        201
    );
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:m/*", "max_uses": 1}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(
            api.get(&format!("/v1/approvals/{id}"), Some(&agent)).status,
            200
        );
    }
    let approved = api.send(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&approver),
        &[],
        latchkey_e2e::client::Body::None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let released = api.get(&format!("/v1/approvals/{id}"), Some(&agent));
    assert!(
        released.body["token"]["value"].is_string(),
        "{}",
        released.text
    );
    assert!(
        released.body["notifications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
