//! Issue 24's workflows and policies on the `/api/v1` face: every route and its 403 naming
//! `workflow.edit` / `policies:write`, the read-only default workflow, and `/v1/policies` (the
//! tier document) unchanged and listed after the explicit policies.

use crate::Ctx;
use crate::agent_envelopes::send;
use crate::people::person;
use crate::projects::{create_environment, create_project};
use latchkey_e2e::client::Body;
use serde_json::{Value, json};
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "workflows::routes_answer_and_403_names_the_scope",
        routes_answer_and_403_names_the_scope,
    ),
    (
        "workflows::default_workflow_is_the_tier_document_and_read_only",
        default_workflow_is_the_tier_document_and_read_only,
    ),
    (
        "workflows::two_stage_workflow_governs_an_environment",
        two_stage_workflow_governs_an_environment,
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

fn post(ctx: &Ctx, key: &str, url: &str) -> latchkey_e2e::Reply {
    send(ctx, "POST", url, key, Some(&json!({})))
}

/// A role stage (leads, one) then a users stage (Carol or Dan, one) governs `prod/`; a
/// one-stage `any` workflow governs `dev/` (same tier, same project). A token request and a
/// read request each go through stage 1 then 2; the view shows the stage; the wrong person
/// is refused naming it; each stage's message reaches the webhook naming the stage (the read
/// request's with a console link, which decides nothing by itself).
fn two_stage_workflow_governs_an_environment(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let prefix = format!("/{}", latchkey_e2e::unique("wf"));
    let channels = json!({"webhook": {"url": format!("{}{prefix}/hook", ctx.sink.base_url), "secret": "whsec-0123456789abcdef"}});
    let set = ctx.api().send(
        "PUT",
        "/v1/notifications",
        Some(&key),
        &[],
        Body::Json(&channels),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    let requester = ctx.api().create_token(
        &key,
        &json!({"scope": ["tokens:create", "secrets:read:*"], "ttl_seconds": 3600}),
    );
    assert_eq!(requester.status, 201, "{}", requester.text);
    let requester = requester.body["value"].as_str().expect("value").to_owned();
    let role = send(
        ctx,
        "POST",
        "/v1/roles",
        &key,
        Some(&json!({"name": "leads", "permissions": ["secrets:read:dev/*"]})),
    );
    assert_eq!(role.status, 201, "{}", role.text);
    let role = role.body["id"].as_str().expect("id").to_owned();
    let (_, ann) = person(ctx, &tenant, &key, "ann", &[role.as_str()]);
    let (carol_id, carol) = person(ctx, &tenant, &key, "carol", &[]);
    let (dan_id, dan) = person(ctx, &tenant, &key, "dan", &[]);
    let project = create_project(ctx, &key, "payments");
    let prod = create_environment(ctx, &key, &project, "prod", "prod/", json!([]));
    let dev = create_environment(ctx, &key, &project, "dev", "dev/", json!([]));
    let staged = create_workflow(
        ctx,
        &key,
        "prod changes",
        json!([
            {"name": "leads", "approvers": {"role": role}, "approvals": 1, "timeout_seconds": 3600},
            {"name": "owners", "approvers": {"users": [carol_id, dan_id]}, "approvals": 1, "timeout_seconds": 3600}
        ]),
    );
    let simple = create_workflow(ctx, &key, "dev", json!([any_stage(1)]));
    create_policy(
        ctx,
        &key,
        json!({"name": "prod", "workflow_id": staged, "environment_id": prod}),
    );
    create_policy(
        ctx,
        &key,
        json!({"name": "dev", "workflow_id": simple, "environment_id": dev}),
    );
    for path in ["prod/db", "dev/db"] {
        let stored = ctx.api().create_secret(
            &key,
            &json!({"path": path, "value": "v", "tier": "standard"}),
        );
        assert_eq!(stored.status, 201, "{}", stored.text);
    }

    // Routing by environment: same tier, two workflows.
    let on_dev = ctx.api().create_token(
        &requester,
        &json!({"scope": "secrets:read:dev/*", "ttl_seconds": 600}),
    );
    assert_eq!(on_dev.status, 202, "{}", on_dev.text);
    assert_eq!(on_dev.body["required_approvals"], 1);

    // A token request through stage 1 then 2.
    let asked = ctx.api().create_token(
        &requester,
        &json!({"scope": "secrets:read:prod/*", "ttl_seconds": 600}),
    );
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.body["required_approvals"], 2);
    let id = asked.body["approval_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let view = send(ctx, "GET", &format!("/v1/approvals/{id}"), &ann, None);
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.body["workflow"]["id"], staged.as_str());
    assert_eq!(view.body["stage"]["index"], 0);
    assert_eq!(view.body["stage"]["name"], "leads");
    assert_eq!(view.body["stages"].as_array().map(Vec::len), Some(2));
    let wrong = post(ctx, &carol, &format!("/v1/approvals/{id}/approve"));
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    assert!(
        wrong.text.contains("stage 0") && wrong.text.contains(&role),
        "{}",
        wrong.text
    );
    let first = post(ctx, &ann, &format!("/v1/approvals/{id}/approve"));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["stage"]["index"], 1);
    assert_eq!(first.body["status"], "pending");
    // Stage 2's message names the stage.
    let hooks = ctx.sink.wait_for(1, Duration::from_secs(20), |r| {
        r.path.starts_with(&prefix) && r.body.contains(&id) && r.body.contains("stage 2 of 2")
    });
    assert!(
        hooks[0].json()["stage"]
            .as_str()
            .unwrap_or("")
            .contains("owners"),
        "{}",
        hooks[0].body
    );
    let again = post(ctx, &ann, &format!("/v1/approvals/{id}/approve"));
    assert_eq!(again.status, 403, "{}", again.text);
    let second = post(ctx, &dan, &format!("/v1/approvals/{id}/approve"));
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["status"], "approved");
    let released = send(ctx, "GET", &format!("/v1/approvals/{id}"), &requester, None);
    let value = released.body["token"]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    let read = ctx.api().get_secret(&value, "prod/db");
    assert_eq!(read.status, 200, "{}", read.text);

    // A read request through the same stages.
    let filed = send(
        ctx,
        "POST",
        "/v1/requests/read",
        &requester,
        Some(&json!({"path": "prod/db", "reason": "incident 42", "ttl_seconds": 600})),
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    assert_eq!(filed.body["stage"]["index"], 0);
    assert_eq!(filed.body["workflow"]["id"], staged.as_str());
    let request = filed.body["id"].as_str().expect("id").to_owned();
    // Stage 1's message reaches the webhook: what is read, and a console link that decides
    // nothing by itself (the runtime serves it: the console, tenant filled in by the page).
    let told = ctx.sink.wait_for(1, Duration::from_secs(20), |r| {
        r.path.starts_with(&prefix) && r.body.contains(&request) && r.body.contains("stage 1 of 2")
    });
    let hook = told[0].json();
    assert_eq!(hook["kind"], "read", "{hook}");
    assert_eq!(hook["target"], "prod/db", "{hook}");
    assert!(hook.get("approval_request_id").is_none(), "{hook}");
    let review = hook["review_url"].as_str().expect("review_url").to_owned();
    let suffix = format!("/console/?tenant={tenant}#/approvals?request={request}");
    assert!(review.ends_with(&suffix), "{review}");
    let page = ctx.api().send(
        "GET",
        &format!("/console/?tenant={tenant}"),
        None,
        &[],
        Body::None,
    );
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("/console/app.js"), "{}", page.text);
    let wrong = post(ctx, &dan, &format!("/v1/requests/{request}/approve"));
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    assert!(wrong.text.contains("stage 0"), "{}", wrong.text);
    let first = post(ctx, &ann, &format!("/v1/requests/{request}/approve"));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["stage"]["index"], 1);
    let shown = send(
        ctx,
        "GET",
        &format!("/api/v1/requests/{request}"),
        &carol,
        None,
    );
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["stage"]["name"], "owners");
    // Stage 2's approvers hear of it in turn.
    ctx.sink.wait_for(1, Duration::from_secs(20), |r| {
        r.path.starts_with(&prefix)
            && r.body.contains(&request)
            && r.body.contains("stage 2 of 2")
            && r.body.contains("owners")
    });
    let done = post(ctx, &carol, &format!("/v1/requests/{request}/approve"));
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["status"], "approved");
}
