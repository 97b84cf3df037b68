//! Issue 24's workflows and policies: CRUD over real rows (what must exist, what is refused
//! and changes nothing, the read-only default), and their audit events.

use crate::people::{create_role, person};
use crate::support::{Object, event};
use latchkey_contract::caller::workflows::*;
use latchkey_core::ErrorCode;
use latchkey_core::workflow::policy::{NewPolicy, PolicySource, PolicyView};
use latchkey_core::workflow::{NewWorkflow, WorkflowId, WorkflowRef, WorkflowView};

pub(crate) fn workflow_body(stages: &str) -> NewWorkflow {
    NewWorkflow::parse(format!(r#"{{"name": "w", "stages": {stages}}}"#).as_bytes()).unwrap()
}

pub(crate) fn create_workflow(object: &Object, stages: &str) -> WorkflowView {
    object
        .master(CreateWorkflow {
            workflow: workflow_body(stages),
        })
        .unwrap()
}

pub(crate) fn wid(view: &WorkflowView) -> WorkflowRef {
    WorkflowRef::parse(&view.id).unwrap()
}

pub(crate) fn create_policy(
    object: &Object,
    body: &str,
) -> Result<PolicyView, latchkey_core::ApiError> {
    object.master(CreatePolicy {
        policy: NewPolicy::parse(body.as_bytes()).unwrap(),
    })
}

const ANY: &str = r#"[{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 3600}]"#;

#[test]
fn workflow_create_get_update_revision_and_audited() {
    let object = Object::new();
    let created = create_workflow(&object, ANY);
    assert!(created.id.starts_with("wfl_"));
    assert_eq!((created.revision, created.built_in), (1, false));
    assert_eq!(object.last_event(), event("workflow.created", true));
    let got = object.master(GetWorkflow { id: wid(&created) }).unwrap();
    assert_eq!(got, created);
    object.advance(5);
    let updated = object
        .master(UpdateWorkflow {
            id: wid(&created),
            workflow: workflow_body(
                r#"[{"approvers": {"any": true}, "approvals": 2, "timeout_seconds": 60}]"#,
            ),
        })
        .unwrap();
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.stages[0].approvals, 2);
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(object.last_event(), event("workflow.updated", true));
    let list = object.master(ListWorkflows).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].id.as_str(), list[0].built_in), ("default", true));
    assert_eq!(list[1], updated);
}

#[test]
fn workflow_naming_unknown_role_or_user_is_404_and_changes_nothing() {
    let object = Object::new();
    for stages in [
        r#"[{"approvers": {"role": "rol_0123456789abcdef01234567"}, "approvals": 1, "timeout_seconds": 60}]"#,
        r#"[{"approvers": {"users": ["usr_0123456789abcdef01234567"]}, "approvals": 1, "timeout_seconds": 60}]"#,
    ] {
        let e = object
            .master(CreateWorkflow {
                workflow: workflow_body(stages),
            })
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound, "{}", e.message);
        assert!(
            e.message.contains("0123456789abcdef01234567"),
            "{}",
            e.message
        );
    }
    assert_eq!(object.count("SELECT count(*) FROM workflows"), 0);
    // Existing ones are accepted.
    let role = create_role(&object, "leads", r#"["approvals:decide"]"#);
    let (user, _) = person(&object, "ann@example.com", &role.id);
    let stages = format!(
        r#"[{{"approvers": {{"role": "{}"}}, "approvals": 1, "timeout_seconds": 60}}, {{"approvers": {{"users": ["{}"]}}, "approvals": 1, "timeout_seconds": 60}}]"#,
        role.id, user.id
    );
    assert_eq!(create_workflow(&object, &stages).stages.len(), 2);
}

#[test]
fn workflow_default_is_read_only_and_shows_tier_counts() {
    let object = Object::new();
    let default = object
        .master(GetWorkflow {
            id: WorkflowRef::Default,
        })
        .unwrap();
    assert!(default.built_in);
    assert!(default.tier_counts.is_some());
    let e = object
        .master(UpdateWorkflow {
            id: WorkflowRef::Default,
            workflow: workflow_body(ANY),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("/v1/policies"), "{}", e.message);
    let e = object
        .master(DeleteWorkflow {
            id: WorkflowRef::Default,
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
}

#[test]
fn workflow_delete_named_by_policy_is_409_naming_it() {
    let object = Object::new();
    let w = create_workflow(&object, ANY);
    let p = create_policy(
        &object,
        &format!(
            r#"{{"name": "crit", "workflow_id": "{}", "tier": "critical"}}"#,
            w.id
        ),
    )
    .unwrap();
    let e = object.master(DeleteWorkflow { id: wid(&w) }).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    let pid = p.id.clone().unwrap();
    assert!(e.message.contains(pid.as_str()), "{}", e.message);
    assert_eq!(object.count("SELECT count(*) FROM workflows"), 1);
    object.master(DeletePolicy { id: pid }).unwrap();
    assert_eq!(object.last_event(), event("policy.deleted", true));
    object.master(DeleteWorkflow { id: wid(&w) }).unwrap();
    assert_eq!(object.last_event(), event("workflow.deleted", true));
    let e = object.master(GetWorkflow { id: wid(&w) }).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn policy_unknown_references_are_404_and_duplicates_409() {
    let object = Object::new();
    let missing = WorkflowId::parse("wfl_0123456789abcdef01234567").unwrap();
    let e = create_policy(
        &object,
        &format!(r#"{{"name": "x", "workflow_id": "{missing}", "tier": "critical"}}"#),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains(missing.as_str()));
    let w = create_workflow(&object, ANY);
    for (member, id) in [
        ("project_id", "prj_0123456789abcdef01234567"),
        ("environment_id", "env_0123456789abcdef01234567"),
    ] {
        let e = create_policy(
            &object,
            &format!(
                r#"{{"name": "x", "workflow_id": "{}", "{member}": "{id}"}}"#,
                w.id
            ),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound, "{member}");
        assert!(e.message.contains(id), "{}", e.message);
    }
    let body = format!(
        r#"{{"name": "x", "workflow_id": "{}", "tier": "critical", "path_glob": "prod/*"}}"#,
        w.id
    );
    let first = create_policy(&object, &body).unwrap();
    let e = create_policy(&object, &body.replace(r#""x""#, r#""y""#)).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(
        e.message.contains(first.id.unwrap().as_str()),
        "{}",
        e.message
    );
    assert_eq!(object.count("SELECT count(*) FROM workflow_policies"), 1);
}

#[test]
fn policy_list_shows_explicit_then_tier_document_read_only() {
    let object = Object::new();
    let w = create_workflow(&object, ANY);
    let p = create_policy(
        &object,
        &format!(
            r#"{{"name": "payments", "workflow_id": "{}", "kind": "read"}}"#,
            w.id
        ),
    )
    .unwrap();
    assert_eq!(object.last_event(), event("policy.created", true));
    let list = object.master(ListPolicies).unwrap();
    assert_eq!(list[0], p);
    let rest = &list[1..];
    assert!(!rest.is_empty());
    assert!(rest.iter().all(|v| v.source == PolicySource::TierDocument
        && v.workflow_id == "default"
        && v.read_only));
    // An update replaces the whole policy.
    let pid = p.id.clone().unwrap();
    let updated = object
        .master(UpdatePolicy {
            id: pid.clone(),
            policy: NewPolicy::parse(
                format!(
                    r#"{{"name": "payments", "workflow_id": "{}", "kind": "patch", "enabled": false}}"#,
                    w.id
                )
                .as_bytes(),
            )
            .unwrap(),
        })
        .unwrap();
    assert_eq!(updated.kind.map(|k| k.as_str()), Some("patch"));
    assert!(!updated.enabled);
    assert_eq!(object.master(GetPolicy { id: pid }).unwrap(), updated);
}
