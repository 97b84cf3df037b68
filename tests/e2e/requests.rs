//! Access requests and response wrapping against the real runtime: a read request
//! leaves a single-use wrap, a patch is applied only once approved, decisions follow the
//! tier's policy without self-approval, and a wrap gives its value exactly once even to 20
//! concurrent retrievals.

use crate::Ctx;
use crate::people::{APPROVER_ROLE, READER_ROLE, call, person};
use serde_json::json;
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "requests::read_requests_leave_a_single_use_wrap",
        read_requests_leave_a_single_use_wrap,
    ),
    (
        "requests::patches_apply_only_after_approval",
        patches_apply_only_after_approval,
    ),
    (
        "requests::wraps_give_their_value_exactly_once",
        wraps_give_their_value_exactly_once,
    ),
    (
        "requests::others_see_no_request_and_no_wrap",
        others_see_no_request_and_no_wrap,
    ),
];

fn read_requests_leave_a_single_use_wrap(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = latchkey_e2e::secret_value("critical-read");
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "prod/root", "value": value, "tier": "critical"})
        )
        .status,
        201
    );
    let (requester_id, requester) = person(ctx, &tenant, &key, "requester", &[READER_ROLE]);
    let (first_id, first) = person(ctx, &tenant, &key, "approver1", &[APPROVER_ROLE]);
    let (_, second) = person(ctx, &tenant, &key, "approver2", &[APPROVER_ROLE]);
    // The reader cannot read the critical secret directly: it asks.
    api.get_secret(&requester, "prod/root")
        .assert_error(403, "permission_denied");
    let created = call(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&requester),
        Some(json!({"path": "prod/root", "reason": "incident 42", "ttl_seconds": 600})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "pending");
    assert_eq!(
        created.body["required_approvals"], 2,
        "critical: two approvals"
    );
    assert_eq!(created.body["requester_id"], requester_id.as_str());
    let id = created.body["id"].as_str().unwrap().to_owned();
    // The requester cannot approve its own request (it lacks approvals:decide as well).
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&requester),
        None,
    )
    .assert_error(403, "permission_denied");
    let one = call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&first),
        Some(json!({"comment": "looks right"})),
    );
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["status"], "pending");
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&first),
        None,
    )
    .assert_error(409, "conflict");
    // Still nothing to retrieve.
    let wraps = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps"),
        Some(&requester),
        None,
    );
    assert_eq!(wraps.body["wraps"], json!([]));
    let two = call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&second),
        None,
    );
    assert_eq!(two.status, 200, "{}", two.text);
    assert_eq!(two.body["status"], "approved");
    let wrap_id = two.body["wrap_id"].as_str().unwrap().to_owned();
    assert!(!two.text.contains(&value));
    // The request shows its approvals; approvers see it, not its wraps.
    let shown = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}"),
        Some(&first),
        None,
    );
    assert_eq!(shown.status, 200);
    let approvals = shown.body["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2);
    assert_eq!(approvals[0]["approver_id"], first_id.as_str());
    assert_eq!(approvals[0]["comment"], "looks right");
    call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps"),
        Some(&first),
        None,
    )
    .assert_error(404, "not_found");
    call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps/{wrap_id}"),
        Some(&first),
        None,
    )
    .assert_error(404, "not_found");
    // The requester: a summary without the value, then the value once, then 410.
    let wraps = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps"),
        Some(&requester),
        None,
    );
    assert_eq!(wraps.status, 200, "{}", wraps.text);
    assert_eq!(wraps.body["wraps"][0]["status"], "available");
    assert!(!wraps.text.contains(&value));
    let got = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps/{wrap_id}"),
        Some(&requester),
        None,
    );
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["value"], value.as_str());
    assert_eq!(got.body["version"], 1);
    call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps/{wrap_id}"),
        Some(&requester),
        None,
    )
    .assert_error(410, "gone");
    let wraps = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps"),
        Some(&requester),
        None,
    );
    assert_eq!(wraps.body["wraps"][0]["status"], "retrieved");
    // Decided requests stay decided; filters work.
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/reject"),
        Some(&first),
        None,
    )
    .assert_error(409, "conflict");
    let mine = call(
        ctx,
        "GET",
        &format!("/v1/requests?requester_id={requester_id}&status=approved"),
        Some(&first),
        None,
    );
    assert_eq!(mine.body["requests"].as_array().unwrap().len(), 1);
    let none = call(
        ctx,
        "GET",
        "/v1/requests?status=rejected",
        Some(&first),
        None,
    );
    assert_eq!(none.body["requests"], json!([]));
    // The trail has the request's story and never the value.
    let trail = api.get("/v1/audit?limit=1000", Some(&key));
    for event in ["request.created", "request.approved", "wrap.unwrapped"] {
        assert!(trail.text.contains(event), "{event}");
    }
    assert!(!trail.text.contains(&value));
}

fn patches_apply_only_after_approval(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "app/api", "value": "v1-value"}))
            .status,
        201
    );
    let (_, requester) = person(ctx, &tenant, &key, "patcher", &[]);
    let (_, approver) = person(ctx, &tenant, &key, "approver", &[APPROVER_ROLE]);
    let new_value = latchkey_e2e::secret_value("patched");
    let patch = |value: &str| {
        call(
            ctx,
            "POST",
            "/v1/requests",
            Some(&requester),
            Some(json!({"path": "app/api", "value": value, "reason": "rotate the API key"})),
        )
    };
    // Rejected: nothing changes.
    let rejected = patch("never-applied");
    assert_eq!(rejected.status, 201, "{}", rejected.text);
    assert_eq!(rejected.body["kind"], "patch");
    // The requester holds no scope on the path: it is not told the tier, nor the count of
    // approvals that would tell it (the approvers see both).
    assert!(rejected.body["tier"].is_null(), "{}", rejected.text);
    assert!(
        rejected.body["required_approvals"].is_null(),
        "{}",
        rejected.text
    );
    assert!(!rejected.text.contains("never-applied"));
    let rejected_id = rejected.body["id"].as_str().unwrap().to_owned();
    let reply = call(
        ctx,
        "POST",
        &format!("/v1/requests/{rejected_id}/reject"),
        Some(&approver),
        Some(json!({"reason": "not now"})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "rejected");
    assert_eq!(reply.body["approvals"][0]["decision"], "reject");
    let secret = api.get_secret(&key, "app/api");
    assert_eq!(
        (
            secret.body["value"].as_str(),
            secret.body["version"].as_u64()
        ),
        (Some("v1-value"), Some(1))
    );

    // Pending: still unchanged, and invisible in every answer.
    let pending = patch(&new_value);
    let id = pending.body["id"].as_str().unwrap().to_owned();
    let shown = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}"),
        Some(&requester),
        None,
    );
    assert_eq!(shown.body["status"], "pending");
    assert!(!shown.text.contains(&new_value));
    assert_eq!(api.get_secret(&key, "app/api").body["version"], 1);
    // Only the requester cancels; an approver cannot.
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/cancel"),
        Some(&approver),
        None,
    )
    .assert_error(403, "permission_denied");
    // Approved: the value becomes the next version.
    let approved = call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&approver),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["applied_version"], 2);
    let secret = api.get_secret(&key, "app/api");
    assert_eq!(secret.body["value"], new_value.as_str());
    assert_eq!(secret.body["version"], 2);

    // Cancelled by its requester: never applied.
    let cancelled = patch("cancelled-value");
    let cancelled_id = cancelled.body["id"].as_str().unwrap().to_owned();
    let reply = call(
        ctx,
        "POST",
        &format!("/v1/requests/{cancelled_id}/cancel"),
        Some(&requester),
        None,
    );
    assert_eq!(reply.body["status"], "cancelled", "{}", reply.text);
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{cancelled_id}/approve"),
        Some(&approver),
        None,
    )
    .assert_error(409, "conflict");
    assert_eq!(api.get_secret(&key, "app/api").body["version"], 2);
    // The requester lists its own.
    let listed = call(ctx, "GET", "/v1/requests", Some(&requester), None);
    assert_eq!(listed.body["requests"].as_array().unwrap().len(), 3);
    let missing = call(
        ctx,
        "POST",
        "/v1/requests",
        Some(&requester),
        Some(json!({"path": "app/missing", "value": "x", "reason": "r"})),
    );
    // The requester cannot see the path: it is not told that nothing is there (a request is
    // filed, as for a secret it may not see); approving it fails and writes nothing.
    assert_eq!(missing.status, 201, "{}", missing.text);
    assert!(missing.body["tier"].is_null(), "{}", missing.text);
    let missing_id = missing.body["id"].as_str().unwrap().to_owned();
    call(
        ctx,
        "POST",
        &format!("/v1/requests/{missing_id}/approve"),
        Some(&approver),
        None,
    )
    .assert_error(404, "not_found");
    // No patch value stays in the object's storage, sealed or not.
    for leftover in ["never-applied", "cancelled-value", new_value.as_str()] {
        let found =
            latchkey_e2e::runtime::files_containing(&ctx.runtime.state_dir, leftover.as_bytes());
        assert!(found.is_empty(), "{leftover} at rest in {found:?}");
    }
}

fn wraps_give_their_value_exactly_once(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = latchkey_e2e::secret_value("wrapped");
    assert_eq!(
        api.create_secret(&key, &json!({"path": "ci/deploy", "value": value}))
            .status,
        201
    );
    let wrapped = call(
        ctx,
        "POST",
        "/v1/wraps",
        Some(&key),
        Some(json!({"path": "ci/deploy", "ttl_seconds": 120})),
    );
    assert_eq!(wrapped.status, 201, "{}", wrapped.text);
    let token = wrapped.body["wrap_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("lk_wrap_"));
    assert!(!wrapped.text.contains(&value));
    // A wrap token opens nothing else.
    api.get_secret(&token, "ci/deploy")
        .assert_error(401, "unauthorized");
    // 20 concurrent retrievals: exactly one value.
    let replies: Vec<latchkey_e2e::Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let token = token.clone();
                scope.spawn(move || {
                    call(
                        ctx,
                        "POST",
                        "/v1/wraps/unwrap",
                        None,
                        Some(json!({"wrap_token": token})),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(winners[0].body["value"], value.as_str());
    assert_eq!(winners[0].body["path"], "ci/deploy");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_error(410, "gone");
        assert!(!reply.text.contains(&value));
    }
    // A value brought along; an expired wrap; a token no wrap has; a non-wrap token.
    let short = call(
        ctx,
        "POST",
        "/v1/wraps",
        Some(&key),
        Some(json!({"value": "handed-over", "ttl_seconds": 1})),
    );
    assert_eq!(short.status, 201);
    std::thread::sleep(Duration::from_millis(1_500));
    let unwrap = |token: &str| {
        call(
            ctx,
            "POST",
            "/v1/wraps/unwrap",
            None,
            Some(json!({"wrap_token": token})),
        )
    };
    unwrap(short.body["wrap_token"].as_str().unwrap()).assert_error(410, "gone");
    let mut unknown = token.clone();
    unknown.pop();
    unknown.push(if token.ends_with('A') { 'B' } else { 'A' });
    unwrap(&unknown).assert_error(404, "not_found");
    let reply = unwrap(&key);
    reply.assert_error(422, "validation_error");
    let given = call(
        ctx,
        "POST",
        "/v1/wraps",
        Some(&key),
        Some(json!({"value": "handed-over"})),
    );
    let reply = unwrap(given.body["wrap_token"].as_str().unwrap());
    assert_eq!(reply.body["value"], "handed-over", "{}", reply.text);
    assert!(reply.body["path"].is_null());
    // Wrapping a secret is reading it.
    let token = api.create_token(&key, &json!({"scope": "secrets:read:other/*"}));
    let token = token.body["value"].as_str().unwrap().to_owned();
    let refused = call(
        ctx,
        "POST",
        "/v1/wraps",
        Some(&token),
        Some(json!({"path": "ci/deploy"})),
    );
    refused.assert_error(403, "permission_denied");
    assert_eq!(refused.body["error"]["required_scope"], "secrets:read:ci/*");
}

fn others_see_no_request_and_no_wrap(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let (_, other_key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "s/x", "value": "iso-value"}))
            .status,
        201
    );
    let (_, requester) = person(ctx, &tenant, &key, "asker", &[]);
    let (_, bystander) = person(ctx, &tenant, &key, "bystander", &[]);
    let created = call(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&requester),
        Some(json!({"path": "s/x", "reason": "need it"})),
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let approved = call(
        ctx,
        "POST",
        &format!("/v1/requests/{id}/approve"),
        Some(&key),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let wrap_id = approved.body["wrap_id"].as_str().unwrap().to_owned();
    for bearer in [&bystander, &other_key] {
        for url in [
            format!("/v1/requests/{id}"),
            format!("/v1/requests/{id}/wraps"),
            format!("/v1/requests/{id}/wraps/{wrap_id}"),
        ] {
            call(ctx, "GET", &url, Some(bearer), None).assert_error(404, "not_found");
        }
        call(
            ctx,
            "POST",
            &format!("/v1/requests/{id}/cancel"),
            Some(bearer),
            None,
        )
        .assert_error(404, "not_found");
        let listed = call(ctx, "GET", "/v1/requests", Some(bearer), None);
        assert!(!listed.text.contains(&id), "{}", listed.text);
    }
    // A token a person minted cannot ask for something that person then approves.
    let role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&key),
        Some(
            json!({"name": "minting-approvers", "permissions": ["approvals:decide", "tokens:create", "audit:read"]}),
        ),
    );
    let role = role.body["id"].as_str().unwrap().to_owned();
    let (_, approver) = person(ctx, &tenant, &key, "minter", &[&role]);
    let minted = api.create_token(&approver, &json!({"scope": "audit:read"}));
    assert_eq!(minted.status, 201, "{}", minted.text);
    let minted = minted.body["value"].as_str().unwrap().to_owned();
    let asked = call(
        ctx,
        "POST",
        "/v1/requests/read",
        Some(&minted),
        Some(json!({"path": "s/x", "reason": "sock puppet"})),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let asked = asked.body["id"].as_str().unwrap().to_owned();
    let refused = call(
        ctx,
        "POST",
        &format!("/v1/requests/{asked}/approve"),
        Some(&approver),
        None,
    );
    refused.assert_error(403, "permission_denied");
    // The wrap is still there for its requester.
    let got = call(
        ctx,
        "GET",
        &format!("/v1/requests/{id}/wraps/{wrap_id}"),
        Some(&requester),
        None,
    );
    assert_eq!(got.body["value"], "iso-value", "{}", got.text);
}
