//! The cross-tenant sweep over issue 24's workflows and policies: another tenant's workflow
//! and policy ids are not found on every route that names one, a policy cannot name another
//! tenant's workflow, and nothing of theirs changes or shows in a list.

use crate::Ctx;
use crate::agent_envelopes::send;
use crate::workflows::{any_stage, create_policy, create_workflow};
use serde_json::json;

pub fn another_tenants_workflows_and_policies_are_not_found(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let a_workflow = create_workflow(ctx, &a, "a-flow", json!([any_stage(1)]));
    let a_policy = create_policy(
        ctx,
        &a,
        json!({"name": "a-policy", "workflow_id": a_workflow, "kind": "read"}),
    );
    let workflow_body = json!({"name": "x", "stages": [any_stage(1)]});
    let policy_body = json!({"name": "x", "workflow_id": a_workflow, "kind": "patch"});
    for (method, url, body) in [
        ("GET", format!("/api/v1/workflows/{a_workflow}"), None),
        (
            "PUT",
            format!("/api/v1/workflows/{a_workflow}"),
            Some(workflow_body.clone()),
        ),
        ("DELETE", format!("/api/v1/workflows/{a_workflow}"), None),
        ("GET", format!("/api/v1/policies/{a_policy}"), None),
        (
            "PUT",
            format!("/api/v1/policies/{a_policy}"),
            Some(policy_body.clone()),
        ),
        ("DELETE", format!("/api/v1/policies/{a_policy}"), None),
        (
            "POST",
            "/api/v1/policies".to_owned(),
            Some(policy_body.clone()),
        ),
    ] {
        send(ctx, method, &url, &b, body.as_ref()).assert_error(404, "not_found");
    }
    for url in ["/api/v1/workflows", "/api/v1/policies"] {
        let listed = send(ctx, "GET", url, &b, None);
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert!(!listed.text.contains(&a_workflow), "{}", listed.text);
        assert!(!listed.text.contains(&a_policy), "{}", listed.text);
    }
    // A's workflow and policy are untouched.
    let got = send(
        ctx,
        "GET",
        &format!("/api/v1/workflows/{a_workflow}"),
        &a,
        None,
    );
    assert_eq!(got.body["revision"], 1);
    assert_eq!(got.body["name"], "a-flow");
    let got = send(
        ctx,
        "GET",
        &format!("/api/v1/policies/{a_policy}"),
        &a,
        None,
    );
    assert_eq!(got.body["kind"], "read");
}
