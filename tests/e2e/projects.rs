//! Issue 24's projects and environments on the `/api/v1` face: every route, the 403 naming
//! `projects:admin` on each change (reads are any bearer's), the `?environment=` filter on both secret lists (`/v1/secrets` stored,
//! `/api/v1/secrets` discovered), the refusal to delete an environment that still holds
//! secrets, and archive semantics (refused unless forced; forced deletes no secret).

use crate::Ctx;
use crate::agent_envelopes::{agent, send};
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "projects::routes_answer_and_403_names_projects_admin",
        routes_answer_and_403_names_projects_admin,
    ),
    (
        "projects::environment_filter_on_both_secret_lists_follows_the_scope_rule",
        environment_filter_on_both_secret_lists_follows_the_scope_rule,
    ),
    (
        "projects::nonempty_environment_delete_refused_unless_forced_and_no_secret_deleted",
        nonempty_environment_delete_refused_unless_forced_and_no_secret_deleted,
    ),
    (
        "projects::archive_refused_while_holding_forced_archives_and_keeps_secrets",
        archive_refused_while_holding_forced_archives_and_keeps_secrets,
    ),
];

const ZERO_PRJ: &str = "prj_0123456789abcdef01234567";
const ZERO_ENV: &str = "env_0123456789abcdef01234567";

pub(crate) fn create_project(ctx: &Ctx, key: &str, name: &str) -> String {
    let reply = send(
        ctx,
        "POST",
        "/api/v1/projects",
        key,
        Some(&json!({"name": name})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["status"], "active");
    reply.body["id"].as_str().expect("id").to_owned()
}

pub(crate) fn create_environment(
    ctx: &Ctx,
    key: &str,
    project: &str,
    name: &str,
    prefix: &str,
    clusters: Value,
) -> String {
    let reply = send(
        ctx,
        "POST",
        "/api/v1/environments",
        key,
        Some(
            &json!({"project_id": project, "name": name, "path_prefix": prefix, "clusters": clusters}),
        ),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn store(ctx: &Ctx, key: &str, path: &str) {
    let reply = ctx
        .api()
        .create_secret(key, &json!({"path": path, "value": "v"}));
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn token(ctx: &Ctx, key: &str, scope: &str) -> String {
    let reply = ctx
        .api()
        .create_token(key, &json!({"scope": scope, "ttl_seconds": 600}));
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["value"].as_str().expect("value").to_owned()
}

fn routes_answer_and_403_names_projects_admin(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let project = create_project(ctx, &key, "payments");
    let env = create_environment(ctx, &key, &project, "prod", "prod/", json!(["eu-1"]));
    let get = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{project}"),
        &key,
        None,
    );
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.body["name"], "payments");
    let list = send(ctx, "GET", "/api/v1/projects", &key, None);
    assert_eq!(list.body["projects"].as_array().map(Vec::len), Some(1));
    let envs = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{project}/environments"),
        &key,
        None,
    );
    assert_eq!(envs.status, 200, "{}", envs.text);
    assert_eq!(envs.body["environments"][0]["id"], env.as_str());
    assert_eq!(envs.body["environments"][0]["path_prefix"], "prod/");
    assert_eq!(envs.body["environments"][0]["clusters"], json!(["eu-1"]));
    let all = send(ctx, "GET", "/api/v1/environments", &key, None);
    assert_eq!(all.body["environments"].as_array().map(Vec::len), Some(1));

    // Bad input is named; unknown query parameters too; nothing changes.
    let bad = send(
        ctx,
        "POST",
        "/api/v1/environments",
        &key,
        Some(&json!({"project_id": project, "name": "x", "path_prefix": "x"})),
    );
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.text);
    assert!(bad.text.contains("path_prefix"), "{}", bad.text);
    let unknown = send(ctx, "GET", "/api/v1/projects?force=true", &key, None);
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert!(unknown.text.contains("force"), "{}", unknown.text);
    let status = send(
        ctx,
        "PUT",
        &format!("/api/v1/projects/{project}/status"),
        &key,
        Some(&json!({"status": "gone"})),
    );
    assert!(
        status.status == 400 || status.status == 422,
        "{}",
        status.text
    );
    let missing = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{ZERO_PRJ}"),
        &key,
        None,
    );
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains(ZERO_PRJ), "{}", missing.text);

    // Without projects:admin every change is 403 naming it; the reads are any bearer's, as
    // the seed writes them.
    let other = token(ctx, &key, "secrets:*:*");
    for (method, url, body) in [
        (
            "POST",
            "/api/v1/projects".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (
            "PUT",
            format!("/api/v1/projects/{project}/status"),
            Some(json!({"status": "archived"})),
        ),
        (
            "POST",
            "/api/v1/environments".to_owned(),
            Some(json!({"project_id": project, "name": "y", "path_prefix": "y/"})),
        ),
        ("DELETE", format!("/api/v1/environments/{env}"), None),
    ] {
        let reply = send(ctx, method, &url, &other, body.as_ref());
        assert_eq!(reply.status, 403, "{method} {url}: {}", reply.text);
        assert!(
            reply.text.contains("projects:admin"),
            "{method} {url}: {}",
            reply.text
        );
    }
    for url in [
        "/api/v1/projects".to_owned(),
        format!("/api/v1/projects/{project}"),
        format!("/api/v1/projects/{project}/environments"),
        "/api/v1/environments".to_owned(),
    ] {
        let reply = send(ctx, "GET", &url, &other, None);
        assert_eq!(reply.status, 200, "GET {url}: {}", reply.text);
    }
    // Nothing changed: one project, still active, one environment.
    let after = send(ctx, "GET", "/api/v1/environments", &key, None);
    assert_eq!(after.body["environments"].as_array().map(Vec::len), Some(1));
    let get = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{project}"),
        &key,
        None,
    );
    assert_eq!(get.body["status"], "active");
    // With it, a token may.
    let admin = token(ctx, &key, "projects:admin");
    assert_eq!(
        send(ctx, "GET", "/api/v1/projects", &admin, None).status,
        200
    );
}

fn environment_filter_on_both_secret_lists_follows_the_scope_rule(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let project = create_project(ctx, &key, "payments");
    let prod = create_environment(ctx, &key, &project, "prod", "prod/", json!(["eu-1"]));
    let pay = create_environment(
        ctx,
        &key,
        &project,
        "pay",
        "prod/payments/",
        json!(["pay-1"]),
    );
    for path in ["prod/db", "prod/payments/stripe", "production/db"] {
        store(ctx, &key, path);
    }
    let (agent_id, jwt) = agent(ctx, &key, "projects");
    let bulk = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{agent_id}/secrets/bulk"),
        &jwt,
        Some(&json!({"secrets": [
            {"cluster_name": "eu-1", "provider": "file", "ref": "a"},
            {"cluster_name": "pay-1", "provider": "file", "ref": "b"},
            {"cluster_name": "us-1", "provider": "file", "ref": "c"},
        ]})),
    );
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    let stored = |url: &str, env: &str| {
        let reply = send(ctx, "GET", &format!("{url}?environment={env}"), &key, None);
        assert_eq!(reply.status, 200, "{url}: {}", reply.text);
        reply
    };
    let paths = |env: &str| -> Vec<String> {
        stored("/v1/secrets", env).body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| s["path"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(paths(&prod), vec!["prod/db".to_owned()]);
    assert_eq!(paths(&pay), vec!["prod/payments/stripe".to_owned()]);
    let refs = |env: &str| -> Vec<String> {
        stored("/api/v1/secrets", env).body["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|s| s["ref"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(refs(&prod), vec!["a".to_owned()]);
    assert_eq!(refs(&pay), vec!["b".to_owned()]);
    // An environment naming the agent holds what it found outside every named cluster.
    let hosts = send(
        ctx,
        "POST",
        "/api/v1/environments",
        &key,
        Some(
            &json!({"project_id": project, "name": "hosts", "path_prefix": "hosts/",
                     "agents": [agent_id]}),
        ),
    );
    assert_eq!(hosts.status, 201, "{}", hosts.text);
    assert_eq!(hosts.body["agents"], json!([agent_id]));
    let hosts = hosts.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(refs(&hosts), vec!["c".to_owned()]);
    assert_eq!(refs(&prod), vec!["a".to_owned()]);
    let ghost = send(
        ctx,
        "POST",
        "/api/v1/environments",
        &key,
        Some(
            &json!({"project_id": project, "name": "ghost", "path_prefix": "ghost/",
                     "agents": ["agt_0123456789abcdef01234567"]}),
        ),
    );
    assert_eq!(ghost.status, 404, "{}", ghost.text);
    assert!(ghost.text.contains("agents"), "{}", ghost.text);
    for url in ["/v1/secrets", "/api/v1/secrets"] {
        let unknown = send(
            ctx,
            "GET",
            &format!("{url}?environment={ZERO_ENV}"),
            &key,
            None,
        );
        assert_eq!(unknown.status, 404, "{url}: {}", unknown.text);
        assert!(unknown.text.contains(ZERO_ENV), "{url}: {}", unknown.text);
        let bad = send(ctx, "GET", &format!("{url}?environment=prod"), &key, None);
        assert_eq!(bad.status, 400, "{url}: {}", bad.text);
        assert!(bad.text.contains("environment"), "{url}: {}", bad.text);
    }
}

fn nonempty_environment_delete_refused_unless_forced_and_no_secret_deleted(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let project = create_project(ctx, &key, "payments");
    let env = create_environment(ctx, &key, &project, "prod", "prod/", json!([]));
    store(ctx, &key, "prod/db");
    let url = format!("/api/v1/environments/{env}");
    let refused = send(ctx, "DELETE", &url, &key, None);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(
        refused.text.contains("1 stored secret(s)"),
        "{}",
        refused.text
    );
    assert_eq!(
        send(ctx, "GET", "/api/v1/environments", &key, None).body["environments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let bad = send(ctx, "DELETE", &format!("{url}?force=yes"), &key, None);
    assert_eq!(bad.status, 400, "{}", bad.text);
    let forced = send(ctx, "DELETE", &format!("{url}?force=true"), &key, None);
    assert_eq!(forced.status, 200, "{}", forced.text);
    assert_eq!(forced.body["forced"], true);
    assert_eq!(forced.body["holdings"]["stored_secrets"], 1);
    // The secret is still there; the environment is gone (404 naming it).
    assert_eq!(ctx.api().get_secret(&key, "prod/db").status, 200);
    let again = send(ctx, "DELETE", &url, &key, None);
    assert_eq!(again.status, 404);
    assert!(again.text.contains(&env), "{}", again.text);
    // Audited, with what it held.
    let audit = send(
        ctx,
        "GET",
        "/api/v1/audit-events?action=environment.deleted",
        &key,
        None,
    );
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert!(audit.text.contains(r#""forced":true"#), "{}", audit.text);
}

fn archive_refused_while_holding_forced_archives_and_keeps_secrets(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let project = create_project(ctx, &key, "payments");
    create_environment(ctx, &key, &project, "prod", "prod/", json!([]));
    store(ctx, &key, "prod/db");
    let url = format!("/api/v1/projects/{project}/status");
    let archive = json!({"status": "archived"});
    let refused = send(ctx, "PUT", &url, &key, Some(&archive));
    assert_eq!(refused.status, 409, "{}", refused.text);
    let get = send(
        ctx,
        "GET",
        &format!("/api/v1/projects/{project}"),
        &key,
        None,
    );
    assert_eq!(get.body["status"], "active");
    let forced = send(
        ctx,
        "PUT",
        &format!("{url}?force=true"),
        &key,
        Some(&archive),
    );
    assert_eq!(forced.status, 200, "{}", forced.text);
    assert_eq!(forced.body["project"]["status"], "archived");
    assert_eq!(forced.body["forced"], true);
    assert_eq!(ctx.api().get_secret(&key, "prod/db").status, 200);
    // An archived project takes no new environment; reactivated, it does.
    let more = send(
        ctx,
        "POST",
        "/api/v1/environments",
        &key,
        Some(&json!({"project_id": project, "name": "dev", "path_prefix": "dev/"})),
    );
    assert_eq!(more.status, 409, "{}", more.text);
    let back = send(ctx, "PUT", &url, &key, Some(&json!({"status": "active"})));
    assert_eq!(back.status, 200, "{}", back.text);
    create_environment(ctx, &key, &project, "dev", "dev/", json!([]));
}
