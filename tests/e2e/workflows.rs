//! Issue 24's workflows and policies on the `/api/v1` face: every route and its 403 naming
//! `workflow.edit` / `policies:write`, the read-only default workflow, and `/v1/policies` (the
//! tier document) unchanged and listed after the explicit policies.

use crate::Ctx;
use crate::agent_envelopes::send;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "workflows::routes_answer_and_403_names_the_scope",
        routes_answer_and_403_names_the_scope,
    ),
    (
        "workflows::default_workflow_is_the_tier_document_and_read_only",
        default_workflow_is_the_tier_document_and_read_only,
    ),
];

const ZERO_WFL: &str = "wfl_0123456789abcdef01234567";
const ZERO_POL: &str = "pol_0123456789abcdef01234567";

pub(crate) fn any_stage(approvals: u64) -> Value {
    json!({"approvers": {"any": true}, "approvals": approvals, "timeout_seconds": 3600})
}

pub(crate) fn create_workflow(ctx: &Ctx, key: &str, name: &str, stages: Value) -> String {
    let reply = send(
        ctx,
        "POST",
        "/api/v1/workflows",
        key,
        Some(&json!({"name": name, "stages": stages})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["revision"], 1);
    reply.body["id"].as_str().expect("id").to_owned()
}

pub(crate) fn create_policy(ctx: &Ctx, key: &str, body: Value) -> String {
    let reply = send(ctx, "POST", "/api/v1/policies", key, Some(&body));
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn token(ctx: &Ctx, key: &str, scope: &str) -> String {
    let reply = ctx
        .api()
        .create_token(key, &json!({"scope": scope, "ttl_seconds": 600}));
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["value"].as_str().expect("value").to_owned()
}

fn routes_answer_and_403_names_the_scope(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let workflow = create_workflow(ctx, &key, "two", json!([any_stage(1), any_stage(2)]));
    let get = send(
        ctx,
        "GET",
        &format!("/api/v1/workflows/{workflow}"),
        &key,
        None,
    );
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.body["stages"][1]["approvals"], 2);
    assert_eq!(get.body["built_in"], false);
    let put = send(
        ctx,
        "PUT",
        &format!("/api/v1/workflows/{workflow}"),
        &key,
        Some(&json!({"name": "two", "stages": [any_stage(2)]})),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["revision"], 2);
    let list = send(ctx, "GET", "/api/v1/workflows", &key, None);
    assert_eq!(list.body["workflows"][0]["id"], "default");
    assert_eq!(list.body["workflows"][1]["id"], workflow.as_str());

    let policy = create_policy(
        ctx,
        &key,
        json!({"name": "crit", "workflow_id": workflow, "tier": "critical"}),
    );
    let got = send(
        ctx,
        "GET",
        &format!("/api/v1/policies/{policy}"),
        &key,
        None,
    );
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["tier"], "critical");
    assert_eq!(got.body["enabled"], true);
    let put = send(
        ctx,
        "PUT",
        &format!("/api/v1/policies/{policy}"),
        &key,
        Some(&json!({"name": "crit", "workflow_id": workflow, "tier": "sensitive"})),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["tier"], "sensitive");

    // Bad input is named and changes nothing; so are unknown members and parameters.
    let bad = send(
        ctx,
        "POST",
        "/api/v1/workflows",
        &key,
        Some(&json!({"name": "x", "stages": [any_stage(1), any_stage(0)]})),
    );
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.text);
    assert!(bad.text.contains("stages[1].approvals"), "{}", bad.text);
    let unknown = send(ctx, "GET", "/api/v1/workflows?limit=1", &key, None);
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert!(unknown.text.contains("limit"), "{}", unknown.text);
    let missing = send(
        ctx,
        "POST",
        "/api/v1/policies",
        &key,
        Some(&json!({"name": "x", "workflow_id": ZERO_WFL, "kind": "read"})),
    );
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert!(missing.text.contains(ZERO_WFL), "{}", missing.text);
    let duplicate = send(
        ctx,
        "POST",
        "/api/v1/policies",
        &key,
        Some(&json!({"name": "again", "workflow_id": workflow, "tier": "sensitive"})),
    );
    assert_eq!(duplicate.status, 409, "{}", duplicate.text);
    let in_use = send(
        ctx,
        "DELETE",
        &format!("/api/v1/workflows/{workflow}"),
        &key,
        None,
    );
    assert_eq!(in_use.status, 409, "{}", in_use.text);
    assert!(in_use.text.contains(&policy), "{}", in_use.text);

    // Without the scope each write is 403 naming it; reads need only a credential.
    let other = token(ctx, &key, "secrets:read:*");
    for (method, url, body, scope) in [
        (
            "POST",
            "/api/v1/workflows".to_owned(),
            Some(json!({"name": "x", "stages": [any_stage(1)]})),
            "workflow.edit",
        ),
        (
            "PUT",
            format!("/api/v1/workflows/{workflow}"),
            Some(json!({"name": "x", "stages": [any_stage(1)]})),
            "workflow.edit",
        ),
        (
            "DELETE",
            format!("/api/v1/workflows/{workflow}"),
            None,
            "workflow.edit",
        ),
        (
            "POST",
            "/api/v1/policies".to_owned(),
            Some(json!({"name": "x", "workflow_id": workflow, "kind": "read"})),
            "policies:write",
        ),
        (
            "PUT",
            format!("/api/v1/policies/{policy}"),
            Some(json!({"name": "x", "workflow_id": workflow, "kind": "read"})),
            "policies:write",
        ),
        (
            "DELETE",
            format!("/api/v1/policies/{policy}"),
            None,
            "policies:write",
        ),
    ] {
        let reply = send(ctx, method, &url, &other, body.as_ref());
        assert_eq!(reply.status, 403, "{method} {url}: {}", reply.text);
        assert!(reply.text.contains(scope), "{method} {url}: {}", reply.text);
    }
    for url in [
        "/api/v1/workflows".to_owned(),
        format!("/api/v1/workflows/{workflow}"),
        "/api/v1/policies".to_owned(),
        format!("/api/v1/policies/{policy}"),
    ] {
        let reply = send(ctx, "GET", &url, &other, None);
        assert_eq!(reply.status, 200, "{url}: {}", reply.text);
    }
    // The seed's names work as scopes.
    let editor = ctx.api().create_token(
        &key,
        &json!({"scope": ["workflow.edit", "policy.edit"], "ttl_seconds": 600}),
    );
    assert_eq!(editor.status, 201, "{}", editor.text);
    let editor = editor.body["value"].as_str().expect("value").to_owned();
    let deleted = send(
        ctx,
        "DELETE",
        &format!("/api/v1/policies/{policy}"),
        &editor,
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let deleted = send(
        ctx,
        "DELETE",
        &format!("/api/v1/workflows/{workflow}"),
        &editor,
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    for url in [
        format!("/api/v1/workflows/{workflow}"),
        format!("/api/v1/policies/{ZERO_POL}"),
    ] {
        assert_eq!(send(ctx, "GET", &url, &key, None).status, 404, "{url}");
    }
}

fn default_workflow_is_the_tier_document_and_read_only(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let document = json!({"policies": [{"glob": "prod/*", "standard": 1, "sensitive": 2, "critical": 3, "cancel_window_seconds": 0}]});
    let set = send(ctx, "PUT", "/v1/policies", &key, Some(&document));
    assert_eq!(set.status, 200, "{}", set.text);
    let native = send(ctx, "GET", "/v1/policies", &key, None);
    assert_eq!(native.status, 200, "{}", native.text);
    assert_eq!(native.body["policies"][0]["critical"], 3);

    let default = send(ctx, "GET", "/api/v1/workflows/default", &key, None);
    assert_eq!(default.status, 200, "{}", default.text);
    assert_eq!(default.body["built_in"], true);
    assert_eq!(default.body["tier_counts"][0]["glob"], "prod/*");
    assert_eq!(default.body["tier_counts"][0]["critical"], 3);
    for method in ["PUT", "DELETE"] {
        let reply = send(
            ctx,
            method,
            "/api/v1/workflows/default",
            &key,
            Some(&json!({"name": "x", "stages": [any_stage(1)]})),
        );
        assert_eq!(reply.status, 409, "{method}: {}", reply.text);
        assert!(
            reply.text.contains("/v1/policies"),
            "{method}: {}",
            reply.text
        );
    }
    let workflow = create_workflow(ctx, &key, "one", json!([any_stage(1)]));
    let policy = create_policy(
        ctx,
        &key,
        json!({"name": "reads", "workflow_id": workflow, "kind": "read"}),
    );
    let list = send(ctx, "GET", "/api/v1/policies", &key, None);
    assert_eq!(list.status, 200, "{}", list.text);
    let entries = list.body["policies"].as_array().expect("policies");
    assert_eq!(entries[0]["id"], policy.as_str());
    assert_eq!(entries[0]["source"], "policy");
    assert_eq!(entries[1]["source"], "tier_document");
    assert_eq!(entries[1]["workflow_id"], "default");
    assert_eq!(entries[1]["path_glob"], "prod/*");
    assert_eq!(entries[1]["tier_counts"]["sensitive"], 2);
    // The tier document reads back as it was written.
    assert_eq!(
        send(ctx, "GET", "/v1/policies", &key, None).body,
        native.body
    );

    // A sensitive secret under the document still asks for its count (today's rule).
    let stored = ctx.api().create_secret(
        &key,
        &json!({"path": "prod/db", "value": "v", "tier": "sensitive"}),
    );
    assert_eq!(stored.status, 201, "{}", stored.text);
    let pending = ctx.api().create_token(
        &key,
        &json!({"scope": "secrets:read:prod/*", "ttl_seconds": 600}),
    );
    assert_eq!(pending.status, 202, "{}", pending.text);
    assert_eq!(pending.body["required_approvals"], 2);
}
