//! The cross-tenant sweep over issue 24's GitOps routes: another tenant's Argo CD endpoint,
//! mapping and request ids are `not_found` to this tenant (whose gate is on too), its lists
//! show none of them, and nothing of theirs changes.

use super::{ok, send_with};
use crate::Ctx;
use crate::gitops::{endpoint, set_gate};
use latchkey_e2e::argocd::ArgoCd;
use serde_json::json;

pub(super) fn another_tenants_gitops_ids_are_not_found(ctx: &Ctx) {
    let (a_tenant, a) = ctx.new_tenant();
    let (b_tenant, b) = ctx.new_tenant();
    set_gate(ctx, &a_tenant, true);
    set_gate(ctx, &b_tenant, true);
    let created = ctx
        .api()
        .create_secret(&a, &json!({"path": "a/only", "value": "a-value"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let argo = ArgoCd::start(&latchkey_e2e::secret_value("argo-token"));
    argo.set_app("web", "Synced", "Healthy");
    let a_endpoint = endpoint(ctx, &a, &argo);
    let a_mapping = ok(
        send_with(
            ctx,
            "POST",
            "/api/v1/gitops-app-mappings",
            Some(&a),
            Some(json!({"endpoint_id": a_endpoint, "app_name": "web", "paths": ["a/only"]})),
            &[],
        ),
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_request = ok(
        send_with(
            ctx,
            "POST",
            "/v1/requests",
            Some(&a),
            Some(json!({"path": "a/only", "value": "x", "reason": "sweep"})),
            &[],
        ),
        201,
    );
    let a_request = a_request["id"].as_str().unwrap().to_owned();
    let calls = argo.authorizations().len();
    let routes = [
        (
            "GET",
            format!("/api/v1/argocd-endpoints/{a_endpoint}/discovered-apps"),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/argocd-endpoints/{a_endpoint}/enabled"),
            Some(json!({"enabled": false})),
        ),
        (
            "DELETE",
            format!("/api/v1/argocd-endpoints/{a_endpoint}"),
            None,
        ),
        (
            "DELETE",
            format!("/api/v1/gitops-app-mappings/{a_mapping}"),
            None,
        ),
        ("GET", format!("/api/v1/requests/{a_request}/gitops"), None),
        (
            "POST",
            "/api/v1/gitops-app-mappings".to_owned(),
            Some(json!({"endpoint_id": a_endpoint, "app_name": "web", "paths": ["b/x"]})),
        ),
    ];
    for (method, url, body) in routes {
        let reply = send_with(ctx, method, &url, Some(&b), body, &[]);
        reply.assert_error(404, "not_found");
        assert!(!reply.text.contains(&argo.token), "{}", reply.text);
    }
    assert_eq!(
        argo.authorizations().len(),
        calls,
        "B's calls reached A's Argo CD"
    );
    for list in ["/api/v1/argocd-endpoints", "/api/v1/gitops-app-mappings"] {
        let body = ok(send_with(ctx, "GET", list, Some(&b), None, &[]), 200);
        assert!(!body.to_string().contains(&a_endpoint), "{body}");
    }
    // A's endpoint is still enabled and its mapping still there.
    let a_list = ok(
        send_with(ctx, "GET", "/api/v1/argocd-endpoints", Some(&a), None, &[]),
        200,
    );
    assert_eq!(a_list["endpoints"][0]["enabled"], true);
    let a_maps = ok(
        send_with(
            ctx,
            "GET",
            "/api/v1/gitops-app-mappings",
            Some(&a),
            None,
            &[],
        ),
        200,
    );
    assert_eq!(a_maps["mappings"][0]["id"], a_mapping.as_str());
}
