//! The cross-tenant sweep over issue 24's projects and environments: another tenant's project
//! and environment ids are not found on every route that names one (and as the secret lists'
//! `?environment=`), and nothing of theirs changes.

use crate::Ctx;
use crate::agent_envelopes::send;
use crate::projects::{create_environment, create_project};
use serde_json::json;

pub fn another_tenants_projects_and_environments_are_not_found(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let a_project = create_project(ctx, &a, "a-project");
    let a_env = create_environment(ctx, &a, &a_project, "prod", "prod/", json!(["a-1"]));
    for (method, url, body) in [
        ("GET", format!("/api/v1/projects/{a_project}"), None),
        (
            "PUT",
            format!("/api/v1/projects/{a_project}/status?force=true"),
            Some(json!({"status": "archived"})),
        ),
        (
            "GET",
            format!("/api/v1/projects/{a_project}/environments"),
            None,
        ),
        (
            "DELETE",
            format!("/api/v1/environments/{a_env}?force=true"),
            None,
        ),
        ("GET", format!("/v1/secrets?environment={a_env}"), None),
        ("GET", format!("/api/v1/secrets?environment={a_env}"), None),
        (
            "POST",
            "/api/v1/environments".to_owned(),
            Some(json!({"project_id": a_project, "name": "x", "path_prefix": "x/"})),
        ),
    ] {
        send(ctx, method, &url, &b, body.as_ref()).assert_error(404, "not_found");
    }
    for url in ["/api/v1/projects", "/api/v1/environments"] {
        let listed = send(ctx, "GET", url, &b, None);
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert!(!listed.text.contains(&a_project), "{}", listed.text);
    }
    // A's project and environment are untouched.
    let get = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{a_project}"),
        &a,
        None,
    );
    assert_eq!(get.body["status"], "active");
    let envs = send(ctx, "GET", "/api/v1/environments", &a, None);
    assert_eq!(envs.body["environments"][0]["id"], a_env.as_str());
}
