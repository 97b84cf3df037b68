//! Issue 24's GitOps routes on the wire, against a loopback stand-in for Argo CD's application
//! API (`latchkey_e2e::argocd`): the per-tenant gate (404 while off), every route, the 403
//! naming `integration.edit`, the endpoint token never answered, discovered applications, a
//! patch request applied and then observed, and the broker's destination rules.

use crate::Ctx;
use crate::agent_plane::admin;
use latchkey_e2e::argocd::ArgoCd;
use latchkey_e2e::client::Body;
use latchkey_e2e::unique;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "gitops::gate_off_every_gitops_route_is_not_found",
        gate_off_every_gitops_route_is_not_found,
    ),
    (
        "gitops::endpoints_and_mappings_work_and_never_answer_the_token",
        endpoints_and_mappings_work_and_never_answer_the_token,
    ),
    (
        "gitops::applied_patch_request_shows_argo_sync_and_health",
        applied_patch_request_shows_argo_sync_and_health,
    ),
];

/// Turns the tenant's GitOps gate on or off (the operator's `PATCH /v1/admin/tenants/{id}`).
pub(crate) fn set_gate(ctx: &Ctx, tenant: &str, on: bool) {
    let reply = ctx.api().send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"gitops_enabled": on})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["gitops_enabled"], on);
}

/// An endpoint on the stand-in, created by `key`: its id.
pub(crate) fn endpoint(ctx: &Ctx, key: &str, argo: &ArgoCd) -> String {
    let reply = admin(
        ctx,
        "POST",
        "/api/v1/argocd-endpoints",
        key,
        Some(json!({"name": "local", "url": argo.base_url, "token": argo.token})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(!reply.text.contains(&argo.token));
    reply.body["id"].as_str().expect("id").to_owned()
}

fn gate_off_every_gitops_route_is_not_found(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let argo = ArgoCd::start(&latchkey_e2e::secret_value("argo-token"));
    let endpoint_id = "argo_0123456789abcdef01234567";
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/argocd-endpoints".into(),
            Some(json!({"name": "x", "url": argo.base_url, "token": "t"})),
        ),
        // A bad body is still the gate's 404, not a 422.
        (
            "POST",
            "/api/v1/argocd-endpoints".into(),
            Some(json!({"nope": 1})),
        ),
        ("GET", "/api/v1/argocd-endpoints".into(), None),
        (
            "GET",
            format!("/api/v1/argocd-endpoints/{endpoint_id}/discovered-apps"),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/argocd-endpoints/{endpoint_id}/enabled"),
            Some(json!({"enabled": true})),
        ),
        (
            "DELETE",
            format!("/api/v1/argocd-endpoints/{endpoint_id}"),
            None,
        ),
        (
            "POST",
            "/api/v1/gitops-app-mappings".into(),
            Some(json!({"endpoint_id": endpoint_id, "app_name": "web", "paths": ["a/b"]})),
        ),
        ("GET", "/api/v1/gitops-app-mappings".into(), None),
        (
            "DELETE",
            "/api/v1/gitops-app-mappings/gmap_0123456789abcdef01234567".into(),
            None,
        ),
        (
            "GET",
            "/api/v1/requests/req_0123456789abcdef01234567/gitops".into(),
            None,
        ),
    ];
    let reader = ctx
        .api()
        .create_token(&key, &json!({"scope": "audit:read", "ttl_seconds": 3600}));
    let reader = reader.body["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    for (method, url, body) in &routes {
        for credential in [&key, &reader] {
            let reply = admin(ctx, method, url, credential, body.clone());
            reply.assert_error(404, "not_found");
        }
    }
    assert!(argo.authorizations().is_empty());
    // On: the list answers; off again: 404 again.
    set_gate(ctx, &tenant, true);
    let reply = admin(ctx, "GET", "/api/v1/argocd-endpoints", &key, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["endpoints"], json!([]));
    set_gate(ctx, &tenant, false);
    admin(ctx, "GET", "/api/v1/argocd-endpoints", &key, None).assert_error(404, "not_found");
}

fn endpoints_and_mappings_work_and_never_answer_the_token(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    set_gate(ctx, &tenant, true);
    let argo = ArgoCd::start(&latchkey_e2e::secret_value("argo-token"));
    argo.set_app("web", "Synced", "Healthy");
    argo.set_app("api", "OutOfSync", "Progressing");
    let reader = ctx
        .api()
        .create_token(&key, &json!({"scope": "audit:read", "ttl_seconds": 3600}));
    let reader = reader.body["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    // Changes need integration.edit, and the 403 names it.
    let body = json!({"name": "local", "url": argo.base_url, "token": argo.token});
    let reply = admin(ctx, "POST", "/api/v1/argocd-endpoints", &reader, Some(body));
    reply.assert_error(403, "permission_denied");
    assert!(reply.text.contains("integration.edit"), "{}", reply.text);
    let id = endpoint(ctx, &key, &argo);
    // Destination rules: a private address is refused (the test runtime lists only
    // loopback names in PROXY_INSECURE_HOSTS).
    let reply = admin(
        ctx,
        "POST",
        "/api/v1/argocd-endpoints",
        &key,
        Some(json!({"name": "private", "url": "http://10.0.0.1:8080", "token": "t"})),
    );
    reply.assert_error(403, "permission_denied");
    assert_eq!(reply.body["error"]["field"], "url", "{}", reply.text);
    // Bad bodies are named.
    let reply = admin(
        ctx,
        "POST",
        "/api/v1/argocd-endpoints",
        &key,
        Some(json!({"name": "x", "url": argo.base_url, "token": "t", "extra": 1})),
    );
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(reply.text.contains("extra"));
    // The list (any caller) never shows the token.
    let list = admin(ctx, "GET", "/api/v1/argocd-endpoints", &reader, None);
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["endpoints"][0]["id"], id.as_str());
    assert!(!list.text.contains(&argo.token));
    // Discovered applications come from the stand-in, with the bearer token.
    let apps = admin(
        ctx,
        "GET",
        &format!("/api/v1/argocd-endpoints/{id}/discovered-apps"),
        &reader,
        None,
    );
    assert_eq!(apps.status, 200, "{}", apps.text);
    assert_eq!(
        apps.body["apps"],
        json!([
            {"name": "api", "sync_status": "OutOfSync", "health_status": "Progressing"},
            {"name": "web", "sync_status": "Synced", "health_status": "Healthy"},
        ])
    );
    assert!(!apps.text.contains(&argo.token));
    assert_eq!(
        argo.authorizations().last().cloned().flatten(),
        Some(format!("Bearer {}", argo.token))
    );
    // Disabled: no call; enabled again: answers.
    let url = format!("/api/v1/argocd-endpoints/{id}/enabled");
    admin(ctx, "PUT", &url, &reader, Some(json!({"enabled": false})))
        .assert_error(403, "permission_denied");
    let off = admin(ctx, "PUT", &url, &key, Some(json!({"enabled": false})));
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body["enabled"], false);
    let calls = argo.authorizations().len();
    admin(
        ctx,
        "GET",
        &format!("/api/v1/argocd-endpoints/{id}/discovered-apps"),
        &key,
        None,
    )
    .assert_error(409, "conflict");
    assert_eq!(argo.authorizations().len(), calls);
    admin(ctx, "PUT", &url, &key, Some(json!({"enabled": "yes"})))
        .assert_error(422, "validation_error");
    // Mappings.
    let mapping = json!({"endpoint_id": id, "app_name": "web", "paths": ["app/api"]});
    admin(
        ctx,
        "POST",
        "/api/v1/gitops-app-mappings",
        &reader,
        Some(mapping.clone()),
    )
    .assert_error(403, "permission_denied");
    let created = admin(
        ctx,
        "POST",
        "/api/v1/gitops-app-mappings",
        &key,
        Some(mapping.clone()),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let mapping_id = created.body["id"].as_str().unwrap().to_owned();
    admin(
        ctx,
        "POST",
        "/api/v1/gitops-app-mappings",
        &key,
        Some(mapping),
    )
    .assert_error(409, "conflict");
    let listed = admin(ctx, "GET", "/api/v1/gitops-app-mappings", &reader, None);
    assert_eq!(listed.body["mappings"][0]["id"], mapping_id.as_str());
    let url = format!("/api/v1/gitops-app-mappings/{mapping_id}");
    admin(ctx, "DELETE", &url, &reader, None).assert_error(403, "permission_denied");
    assert_eq!(admin(ctx, "DELETE", &url, &key, None).status, 204);
    admin(ctx, "DELETE", &url, &key, None).assert_error(404, "not_found");
    // Deleting the endpoint.
    let url = format!("/api/v1/argocd-endpoints/{id}");
    admin(ctx, "DELETE", &url, &reader, None).assert_error(403, "permission_denied");
    assert_eq!(admin(ctx, "DELETE", &url, &key, None).status, 204);
    admin(ctx, "DELETE", &url, &key, None).assert_error(404, "not_found");
    // The audit trail never holds the token.
    let audit = ctx.api().get("/v1/audit?limit=200", Some(&key));
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert!(
        audit.text.contains("argocd_endpoint.created"),
        "{}",
        audit.text
    );
    assert!(!audit.text.contains(&argo.token));
}

fn applied_patch_request_shows_argo_sync_and_health(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    set_gate(ctx, &tenant, true);
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "app/api", "value": "v1-value"}))
            .status,
        201
    );
    let argo = ArgoCd::start(&latchkey_e2e::secret_value("argo-token"));
    argo.set_app("web", "OutOfSync", "Progressing");
    let id = endpoint(ctx, &key, &argo);
    let created = admin(
        ctx,
        "POST",
        "/api/v1/gitops-app-mappings",
        &key,
        Some(json!({"endpoint_id": id, "app_name": "web", "paths": ["app/api"]})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let requester = api.create_token(&key, &json!({"scope": "audit:read", "ttl_seconds": 3600}));
    let requester = requester.body["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    let filed = admin(
        ctx,
        "POST",
        "/v1/requests",
        &requester,
        Some(json!({"path": "app/api", "value": unique("patched"), "reason": "rotate"})),
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    let request = filed.body["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/requests/{request}/gitops");
    let pending = admin(ctx, "GET", &url, &requester, None);
    assert_eq!(pending.status, 200, "{}", pending.text);
    assert_eq!(pending.body["applied"], false);
    assert!(pending.body["observations"][0]["sync_status"].is_null());
    let approved = admin(
        ctx,
        "POST",
        &format!("/v1/requests/{request}/approve"),
        &key,
        Some(json!({})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    argo.set_app("web", "Synced", "Healthy");
    let observed = admin(ctx, "GET", &url, &requester, None);
    assert_eq!(observed.status, 200, "{}", observed.text);
    assert_eq!(observed.body["applied"], true);
    let first = &observed.body["observations"][0];
    assert_eq!(first["app_name"], "web");
    assert_eq!(first["sync_status"], "Synced", "{}", observed.text);
    assert_eq!(first["health_status"], "Healthy");
    assert!(!observed.text.contains(&argo.token));
    // Off: the same route is 404.
    set_gate(ctx, &tenant, false);
    admin(ctx, "GET", &url, &requester, None).assert_error(404, "not_found");
}
