//! Issue 24: GitOps observation through Argo CD: the tenant's gate, endpoints (the token
//! sealed, never answered but to the Worker), mappings, and a patch request's observation plan.

use crate::support::{Object, detail, event};
use latchkey_contract::caller::access_requests::{ApproveAccess, CreateAccessRequest};
use latchkey_contract::caller::gitops::{
    CreateAppMapping, CreateArgoEndpoint, DeleteAppMapping, DeleteArgoEndpoint, DiscoverArgoApps,
    GitopsGate, ListAppMappings, ListArgoEndpoints, RequestGitops, SetArgoEndpointEnabled,
};
use latchkey_contract::operator::SetPlan;
use latchkey_core::access_request::NewAccessRequest;
use latchkey_core::gitops::{ArgoEndpointId, EndpointView, NewEndpoint, NewMapping};
use latchkey_core::{ErrorCode, Plan};

const TOKEN: &str = "argocd-api-token-s3cret";

fn gate(object: &Object, on: bool) {
    object
        .operator(SetPlan {
            plan: Plan::Free,
            rate_limit_per_minute: None,
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: Some(on),
        })
        .unwrap();
}

fn new_endpoint() -> NewEndpoint {
    NewEndpoint::parse(
        format!(r#"{{"name": "prod", "url": "https://argocd.example.com", "token": "{TOKEN}"}}"#)
            .as_bytes(),
    )
    .unwrap()
}

fn endpoint(object: &Object) -> EndpointView {
    object
        .master(CreateArgoEndpoint {
            endpoint: new_endpoint(),
        })
        .unwrap()
}

fn mapping(endpoint: &ArgoEndpointId, app: &str, paths: &str) -> NewMapping {
    NewMapping::parse(
        format!(r#"{{"endpoint_id": "{endpoint}", "app_name": "{app}", "paths": {paths}}}"#)
            .as_bytes(),
    )
    .unwrap()
}

#[test]
fn gitops_gate_off_every_command_is_not_found() {
    let object = Object::new();
    assert!(!object.master(GitopsGate).unwrap());
    let e = object
        .master(CreateArgoEndpoint {
            endpoint: new_endpoint(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(
        object.master(ListArgoEndpoints).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        object.master(ListAppMappings).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(object.count("SELECT count(*) FROM argocd_endpoints"), 0);
    gate(&object, true);
    assert!(object.master(GitopsGate).unwrap());
    assert_eq!(object.master(ListArgoEndpoints).unwrap(), vec![]);
    gate(&object, false);
    assert_eq!(
        object.master(ListArgoEndpoints).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn argocd_endpoint_token_is_sealed_and_never_answered_or_recorded() {
    let object = Object::new();
    gate(&object, true);
    let created = endpoint(&object);
    assert_eq!(object.last_event(), event("argocd_endpoint.created", true));
    assert!(!serde_json::to_string(&created).unwrap().contains(TOKEN));
    let listed = object.master(ListArgoEndpoints).unwrap();
    assert_eq!(listed, vec![created.clone()]);
    assert!(!serde_json::to_string(&listed).unwrap().contains(TOKEN));
    // Stored only sealed: no column holds the token's bytes.
    let dump = object.count(&format!(
        "SELECT count(*) FROM argocd_endpoints WHERE instr(CAST(token_ciphertext AS TEXT), '{TOKEN}') > 0
           OR instr(name || url || created_by, '{TOKEN}') > 0"
    ));
    assert_eq!(dump, 0);
    let audit = object.count(&format!(
        "SELECT count(*) FROM audit_events WHERE instr(details, '{TOKEN}') > 0"
    ));
    assert_eq!(audit, 0);
    // Only the Worker's target opens it.
    let target = object
        .master(DiscoverArgoApps {
            id: created.id.clone(),
        })
        .unwrap();
    assert_eq!(target.token, TOKEN);
    assert_eq!(target.url, "https://argocd.example.com");
}

#[test]
fn argocd_endpoint_changes_without_integration_edit_are_forbidden_naming_it() {
    let object = Object::new();
    gate(&object, true);
    let reader = object.token_with("audit:read");
    let e = object
        .call(
            &reader,
            CreateArgoEndpoint {
                endpoint: new_endpoint(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert!(e.message.contains("integration.edit"), "{}", e.message);
    assert_eq!(object.count("SELECT count(*) FROM argocd_endpoints"), 0);
    // Reading is any caller's.
    assert_eq!(object.call(&reader, ListArgoEndpoints).unwrap(), vec![]);
    let editor = object.token_with("integration.edit");
    let created = object
        .call(
            &editor,
            CreateArgoEndpoint {
                endpoint: new_endpoint(),
            },
        )
        .unwrap();
    let e = object
        .call(
            &reader,
            DeleteArgoEndpoint {
                id: created.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    object
        .call(&editor, DeleteArgoEndpoint { id: created.id })
        .unwrap();
    assert_eq!(object.count("SELECT count(*) FROM argocd_endpoints"), 0);
}

#[test]
fn argocd_endpoint_disabled_gives_no_target_and_unknown_is_not_found() {
    let object = Object::new();
    gate(&object, true);
    let created = endpoint(&object);
    let off = object
        .master(SetArgoEndpointEnabled {
            id: created.id.clone(),
            enabled: false,
        })
        .unwrap();
    assert!(!off.enabled);
    let e = object
        .master(DiscoverArgoApps {
            id: created.id.clone(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    let unknown = ArgoEndpointId::parse("argo_0123456789abcdef01234567").unwrap();
    for e in [
        object
            .master(SetArgoEndpointEnabled {
                id: unknown.clone(),
                enabled: true,
            })
            .unwrap_err(),
        object
            .master(DeleteArgoEndpoint {
                id: unknown.clone(),
            })
            .unwrap_err(),
        object.master(DiscoverArgoApps { id: unknown }).unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::NotFound);
    }
}

#[test]
fn gitops_mapping_needs_its_endpoint_is_unique_and_goes_with_it() {
    let object = Object::new();
    gate(&object, true);
    let unknown = ArgoEndpointId::parse("argo_0123456789abcdef01234567").unwrap();
    let e = object
        .master(CreateAppMapping {
            mapping: mapping(&unknown, "web", r#"["prod/db"]"#),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(detail(&e, "field").as_deref(), Some("endpoint_id"));
    let created = endpoint(&object);
    let m = object
        .master(CreateAppMapping {
            mapping: mapping(&created.id, "web", r#"["prod/db"]"#),
        })
        .unwrap();
    assert_eq!(object.last_event(), event("gitops_mapping.created", true));
    let e = object
        .master(CreateAppMapping {
            mapping: mapping(&created.id, "web", r#"["prod/other"]"#),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(object.master(ListAppMappings).unwrap(), vec![m.clone()]);
    object
        .master(DeleteAppMapping { id: m.id.clone() })
        .unwrap();
    assert_eq!(
        object
            .master(DeleteAppMapping { id: m.id })
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    object
        .master(CreateAppMapping {
            mapping: mapping(&created.id, "api", r#"["prod/db"]"#),
        })
        .unwrap();
    object
        .master(DeleteArgoEndpoint { id: created.id })
        .unwrap();
    assert_eq!(object.count("SELECT count(*) FROM gitops_app_mappings"), 0);
}

#[test]
fn request_gitops_applied_patch_plans_its_mapped_apps_with_targets() {
    let object = Object::new();
    gate(&object, true);
    object.secret(r#"{"path": "prod/db", "value": "old-value"}"#);
    let created = endpoint(&object);
    object
        .master(CreateAppMapping {
            mapping: mapping(&created.id, "web", r#"["prod/db"]"#),
        })
        .unwrap();
    object
        .master(CreateAppMapping {
            mapping: mapping(&created.id, "other", r#"["prod/unrelated"]"#),
        })
        .unwrap();
    let requester = object.token(r#"{"scope": "audit:read", "ttl_seconds": 86400}"#);
    let request = NewAccessRequest::parse_patch(
        br#"{"path": "prod/db", "value": "new-value", "reason": "rotate"}"#,
    )
    .unwrap();
    let filed = object
        .call(&requester, CreateAccessRequest { request })
        .unwrap();
    let pending = object
        .call(
            &requester,
            RequestGitops {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert!(!pending.applied);
    assert_eq!(pending.applications.len(), 1);
    assert!(pending.applications[0].target.is_none());
    object
        .master(ApproveAccess {
            id: filed.id.clone(),
            comment: None,
        })
        .unwrap();
    let plan = object
        .call(
            &requester,
            RequestGitops {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert!(plan.applied);
    assert_eq!(plan.applications.len(), 1);
    assert_eq!(plan.applications[0].mapping.app_name, "web");
    let target = plan.applications[0].target.as_ref().unwrap();
    assert_eq!(target.token, TOKEN);
    assert_eq!(object.last_event(), event("request.gitops_observed", true));
    // Another caller who may not see the request gets not_found.
    let stranger = object.token(r#"{"scope": "audit:read", "ttl_seconds": 86400}"#);
    let e = object
        .call(&stranger, RequestGitops { id: filed.id })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn request_gitops_carried_patch_maps_by_discovered_secret_once_the_agent_applied_it() {
    use crate::carried;
    let object = Object::new();
    gate(&object, true);
    let agent = carried::agent(&object, "edge-1");
    let secret = carried::discovered(&object, &agent, "app.env");
    let created = endpoint(&object);
    let body = format!(
        r#"{{"endpoint_id": "{}", "app_name": "web", "secret_ids": ["{secret}"]}}"#,
        created.id
    );
    object
        .master(CreateAppMapping {
            mapping: NewMapping::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
    let requester = carried::requester(&object);
    let filed = carried::file(&object, &requester, &carried::patch_body(&secret)).unwrap();
    carried::approve(&object, &filed.id).unwrap();
    let claimed = object
        .call(
            &requester,
            RequestGitops {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert!(!claimed.applied);
    assert_eq!(claimed.applications.len(), 1);
    assert!(claimed.applications[0].target.is_none());
    let job = carried::claim(&object, &agent).unwrap();
    carried::complete(&object, &agent, &job.id, r#"{"status": "succeeded"}"#).unwrap();
    let plan = object
        .call(&requester, RequestGitops { id: filed.id })
        .unwrap();
    assert!(plan.applied);
    assert_eq!(plan.applications[0].mapping.app_name, "web");
    assert_eq!(
        plan.applications[0]
            .target
            .as_ref()
            .map(|t| t.token.as_str()),
        Some(TOKEN)
    );
}
