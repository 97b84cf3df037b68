//! Issue 24: token requests run through the workflows their reach resolves to: stage by
//! stage, each stage's approvers only, one approver per request, stage deadlines, the next
//! stage's messages, and a released token's clearance asking again after a workflow edit.

use crate::people::{create_role, person};
use crate::support::{Object, detail, event, path};
use crate::workflows::{create_policy, create_workflow, wid, workflow_body};
use latchkey_contract::caller::approvals::{ApproveRequest, DenyRequest, GetApproval};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_contract::caller::workflows::UpdateWorkflow;
use latchkey_core::approval::{ApprovalId, ApprovalStatus, ApprovalView};
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode};

fn ask(object: &Object, key: &str, scope: &str) -> ApprovalView {
    let body = format!(r#"{{"scope": "{scope}"}}"#);
    let request = TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap();
    match object.call(key, CreateToken { request }).unwrap() {
        TokenMinted::Pending(view) => *view,
        TokenMinted::Created(created) => panic!("minted at once: {}", created.id),
    }
}

fn approve(object: &Object, key: &str, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    object.call(
        key,
        ApproveRequest {
            id: id.clone(),
            comment: None,
        },
    )
}

/// A tenant whose `prod/*` secrets go through a role stage (`leads`, one approval) then a
/// users stage (`carol` and `dan`, both): the requester, Ann (lead), Carol, Dan, and a
/// token holding `approvals:decide`.
struct Staged {
    object: Object,
    requester: String,
    ann: String,
    ann_id: String,
    carol: String,
    dan: String,
    decider: String,
    workflow: String,
    /// May mint tokens reaching everything (minted before any secret existed).
    wide: String,
}

fn staged() -> Staged {
    let object = Object::new();
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    let decider = object.token_with("approvals:decide");
    let wide =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:*"], "ttl_seconds": 3600}"#);
    let leads = create_role(&object, "leads", r#"["secrets:read:dev/*"]"#);
    let plain = create_role(&object, "plain", r#"["secrets:read:dev/*"]"#);
    let (ann_user, ann) = person(&object, "ann@example.com", &leads.id);
    let (carol_user, carol) = person(&object, "carol@example.com", &plain.id);
    let (dan_user, dan) = person(&object, "dan@example.com", &plain.id);
    let stages = format!(
        r#"[{{"name": "leads", "approvers": {{"role": "{}"}}, "approvals": 1, "timeout_seconds": 600}},
            {{"name": "owners", "approvers": {{"users": ["{}", "{}"]}}, "approvals": 2, "timeout_seconds": 300}}]"#,
        leads.id, carol_user.id, dan_user.id
    );
    let workflow = create_workflow(&object, &stages);
    create_policy(
        &object,
        &format!(
            r#"{{"name": "prod", "workflow_id": "{}", "path_glob": "prod/*"}}"#,
            workflow.id
        ),
    )
    .unwrap();
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "standard"}"#);
    Staged {
        object,
        requester,
        ann,
        ann_id: ann_user.id.to_string(),
        carol,
        dan,
        decider,
        workflow: workflow.id,
        wide,
    }
}

#[test]
fn token_request_runs_role_stage_then_users_stage_then_releases() {
    let s = staged();
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    assert_eq!(asked.required_approvals, 3);
    let stage = asked.stage.clone().unwrap();
    assert_eq!((stage.index, stage.approvals_required), (0, 1));
    assert_eq!(asked.workflow.as_ref().unwrap().id, s.workflow);
    assert_eq!(asked.stages.as_ref().unwrap().len(), 2);
    // The stage's deadline is its own (600 s), before the request's day.
    assert_eq!(asked.expires_at, s.object.now().plus_seconds(600));
    // Stage 0 is the leads': Carol and an approvals:decide token are refused, naming it.
    for key in [&s.carol, &s.decider] {
        let e = approve(&s.object, key, &asked.id).unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied, "{}", e.message);
        assert!(e.message.contains("stage 0"), "{}", e.message);
        assert_eq!(
            detail(&e, "workflow_id").as_deref(),
            Some(s.workflow.as_str())
        );
    }
    let after = approve(&s.object, &s.ann, &asked.id).unwrap();
    assert_eq!(after.stage.as_ref().unwrap().index, 1);
    assert_eq!(after.status, ApprovalStatus::Pending);
    assert!(
        s.object
            .events()
            .contains(&event("approval.stage_started", true))
    );
    // Stage 1's messages went to Carol and Dan, naming the stage.
    let told = s.object.rows(&format!(
        "SELECT recipient FROM deliveries WHERE approval_id = '{}' AND stage = 1 ORDER BY recipient",
        asked.id
    ));
    let told: Vec<String> = told.iter().map(|r| r.text(0).unwrap()).collect();
    assert_eq!(told, vec!["carol@example.com", "dan@example.com"]);
    // Ann cannot count again (she is not listed either); Carol and Dan complete it.
    assert_eq!(
        approve(&s.object, &s.ann, &asked.id).unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    approve(&s.object, &s.carol, &asked.id).unwrap();
    let done = approve(&s.object, &s.dan, &asked.id).unwrap();
    assert_eq!(done.status, ApprovalStatus::Approved);
    // Released to the requester: it reads, and records the workflow that cleared it.
    let released = s
        .object
        .call(
            &s.requester,
            GetApproval {
                id: asked.id.clone(),
            },
        )
        .unwrap();
    let value = released.token.unwrap().value.unwrap();
    let read = GetSecret {
        path: path("prod/db"),
        version: None,
    };
    s.object.call(&value, read).unwrap();
    let cleared = s.object.rows(&format!(
        "SELECT cleared_workflows FROM tokens WHERE id = '{}'",
        released_id(&s.object, &value)
    ));
    assert!(cleared[0].text(0).unwrap().contains(&s.workflow));

    // The workflow is edited: the token was cleared by revision 1 and is asked again.
    s.object
        .master(UpdateWorkflow {
            id: latchkey_core::workflow::WorkflowRef::parse(&s.workflow).unwrap(),
            workflow: workflow_body(
                r#"[{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 600}]"#,
            ),
        })
        .unwrap();
    let e = s
        .object
        .call(
            &value,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert!(
        e.message.contains(&s.workflow) && e.message.contains("stricter"),
        "{}",
        e.message
    );
    let _ = wid;
}

fn released_id(object: &Object, value: &str) -> String {
    let hash = Object::hash_of(value).to_hex();
    object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"))[0]
        .text(0)
        .unwrap()
}

#[test]
fn token_request_stage_past_its_deadline_expires() {
    let s = staged();
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.ann, &asked.id).unwrap();
    // Stage 1 waits 300 s from its start.
    s.object.advance(301);
    let e = approve(&s.object, &s.carol, &asked.id).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("expired"), "{}", e.message);
    let _ = (&s.dan, &s.ann_id);
}

#[test]
fn token_request_deny_by_a_stage_approver_ends_it() {
    let s = staged();
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    // Carol is not in stage 0 and holds no approvals:decide: she cannot deny it yet.
    let e = s
        .object
        .call(
            &s.carol,
            DenyRequest {
                id: asked.id.clone(),
                reason: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    let denied = s
        .object
        .call(
            &s.ann,
            DenyRequest {
                id: asked.id.clone(),
                reason: None,
            },
        )
        .unwrap();
    assert_eq!(denied.status, ApprovalStatus::Denied);
    assert_eq!(
        approve(&s.object, &s.ann, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
}

#[test]
fn token_request_spanning_a_workflow_and_the_default_runs_both() {
    let s = staged();
    // A critical secret outside prod/ falls to the default (2 approvals for critical).
    s.object
        .secret(r#"{"path": "ops/key", "value": "v", "tier": "critical"}"#);
    let asked = ask(&s.object, &s.wide, "secrets:read:*");
    let stages = asked.stages.unwrap();
    let order: Vec<&str> = stages.iter().map(|st| st.workflow.id.as_str()).collect();
    assert_eq!(
        order,
        vec![s.workflow.as_str(), s.workflow.as_str(), "default"]
    );
    assert_eq!(stages[2].stage.approvals, 2);
    assert_eq!(asked.required_approvals, 5);
}

#[test]
fn token_request_with_no_policy_keeps_the_default_count() {
    let object = Object::new();
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let asked = ask(&object, &requester, "secrets:read:prod/*");
    assert_eq!(asked.required_approvals, 1);
    assert_eq!(asked.stage.unwrap().workflow.id, "default");
    // A standard secret needs nobody: minted at once, as before.
    object.secret(r#"{"path": "dev/x", "value": "v"}"#);
    let body = r#"{"scope": "secrets:read:dev/*"}"#;
    let request = TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap();
    assert!(matches!(
        object.master(CreateToken { request }).unwrap(),
        TokenMinted::Created(_)
    ));
}
