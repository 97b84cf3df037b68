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
    /// Reaches every path (so its access requests are not blind), minted before any rule.
    writer: String,
}

fn staged() -> Staged {
    let object = Object::new();
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    let decider = object.token_with("approvals:decide");
    let writer = object.token_with("secrets:write:*");
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
        writer,
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
        "SELECT recipient FROM deliveries WHERE request_id = '{}' AND stage = 1 ORDER BY recipient",
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

// ------------------------------------------------------------------ read and patch requests

mod access {
    use super::*;
    use latchkey_contract::caller::access_requests::{
        ApproveAccess, CreateAccessRequest, GetAccessRequest,
    };
    use latchkey_contract::caller::projects::{CreateEnvironment, CreateProject};
    use latchkey_core::access_request::{AccessRequestId, AccessRequestView, NewAccessRequest};
    use latchkey_core::project::{NewEnvironment, NewProject};

    fn environment(object: &Object, project: &str, name: &str, prefix: &str) -> String {
        object
            .master(CreateEnvironment {
                environment: NewEnvironment::parse(
                    format!(
                        r#"{{"project_id": "{project}", "name": "{name}", "path_prefix": "{prefix}"}}"#
                    )
                    .as_bytes(),
                )
                .unwrap(),
            })
            .unwrap()
            .id
            .to_string()
    }

    fn file(object: &Object, key: &str, at: &str) -> AccessRequestView {
        let body = format!(r#"{{"path": "{at}", "reason": "incident 42"}}"#);
        object
            .call(
                key,
                CreateAccessRequest {
                    request: NewAccessRequest::parse_read(body.as_bytes()).unwrap(),
                },
            )
            .unwrap()
    }

    fn approve(
        object: &Object,
        key: &str,
        id: &AccessRequestId,
    ) -> Result<AccessRequestView, ApiError> {
        object.call(
            key,
            ApproveAccess {
                id: id.clone(),
                comment: None,
            },
        )
    }

    /// Two environments of one project, same tier: `prod/` runs the staged workflow, `dev/`
    /// a one-stage `any` workflow of its own.
    #[test]
    fn read_request_routes_by_environment_and_runs_the_stages() {
        let s = staged();
        let project = s
            .object
            .master(CreateProject {
                project: NewProject::parse(br#"{"name": "payments"}"#).unwrap(),
            })
            .unwrap()
            .id
            .to_string();
        let prod = environment(&s.object, &project, "prod", "prod/");
        let dev = environment(&s.object, &project, "dev", "dev/");
        // Route by environment instead of glob: replace the glob policy's reach with env ones.
        s.object.rows("DELETE FROM workflow_policies");
        create_policy(
            &s.object,
            &format!(
                r#"{{"name": "prod", "workflow_id": "{}", "environment_id": "{prod}"}}"#,
                s.workflow
            ),
        )
        .unwrap();
        let simple = create_workflow(
            &s.object,
            r#"[{"name": "anyone", "approvers": {"any": true}, "approvals": 1, "timeout_seconds": 600}]"#,
        );
        create_policy(
            &s.object,
            &format!(
                r#"{{"name": "dev", "workflow_id": "{}", "environment_id": "{dev}"}}"#,
                simple.id
            ),
        )
        .unwrap();
        s.object
            .secret(r#"{"path": "dev/db", "value": "d", "tier": "standard"}"#);
        // One who reaches the paths (a blind requester is shown no stages).
        let asker = s.writer.clone();

        let on_dev = file(&s.object, &asker, "dev/db");
        assert_eq!(on_dev.workflow.as_ref().unwrap().id, simple.id);
        assert_eq!(on_dev.required_approvals, Some(1));
        let on_prod = file(&s.object, &asker, "prod/db");
        assert_eq!(on_prod.workflow.as_ref().unwrap().id, s.workflow);
        assert_eq!(on_prod.stage.as_ref().unwrap().index, 0);
        assert_eq!(on_prod.required_approvals, Some(3));
        // The wrong person is refused naming the stage; Ann (stage 0) can see and approve it.
        let e = approve(&s.object, &s.carol, &on_prod.id).unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
        assert!(
            e.message.contains("stage 0") && e.message.contains("role"),
            "{}",
            e.message
        );
        let seen = s
            .object
            .call(
                &s.ann,
                GetAccessRequest {
                    id: on_prod.id.clone(),
                },
            )
            .unwrap();
        assert_eq!(seen.stage.unwrap().index, 0);
        let next = approve(&s.object, &s.ann, &on_prod.id).unwrap();
        assert_eq!(next.stage.as_ref().unwrap().index, 1);
        assert_eq!(next.status, "pending");
        let e = approve(&s.object, &s.decider, &on_prod.id).unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        assert!(e.message.contains("stage 1"), "{}", e.message);
        approve(&s.object, &s.carol, &on_prod.id).unwrap();
        let done = approve(&s.object, &s.dan, &on_prod.id).unwrap();
        assert_eq!(done.status, "approved");
        assert!(done.wrap_id.is_some());
        // The dev one needs one decider, as its own workflow says.
        let dev_done = approve(&s.object, &s.decider, &on_dev.id).unwrap();
        assert_eq!(dev_done.status, "approved");
    }
}

// ------------------------------------------------------------------ password requests

mod password {
    use super::*;
    use latchkey_contract::caller::passwords::{
        ApprovePasswordRequest, CreatePasswordRequest, RejectPasswordRequest,
    };
    use latchkey_core::agent::password::{NewPasswordRequest, PasswordRequestStatus};

    /// A policy of kind `password` sends agents' password requests through the staged
    /// workflow; without one, an `agents:admin` decision still decides alone.
    #[test]
    fn password_request_runs_the_stages_its_policy_names() {
        let s = staged();
        let jwt = crate::stage_messages::agent_with_grants(&s.object, &["prod/*"]);
        let body = br#"{"path": "prod/new-password", "reason": "rotation"}"#;
        // The glob policy (prod/*) matches the path: the staged workflow governs it.
        let asked = s
            .object
            .call(
                &jwt,
                CreatePasswordRequest {
                    request: NewPasswordRequest::parse(body).unwrap(),
                },
            )
            .unwrap();
        assert_eq!(asked.workflow.as_ref().unwrap().id, s.workflow);
        // The master key alone no longer decides it: stage 0 is the leads'.
        let e = s
            .object
            .master(ApprovePasswordRequest {
                id: asked.id.clone(),
            })
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
        let next = s
            .object
            .call(
                &s.ann,
                ApprovePasswordRequest {
                    id: asked.id.clone(),
                },
            )
            .unwrap();
        assert_eq!(next.status, PasswordRequestStatus::Pending);
        assert_eq!(next.stage.unwrap().index, 1);
        s.object
            .call(
                &s.carol,
                ApprovePasswordRequest {
                    id: asked.id.clone(),
                },
            )
            .unwrap();
        let done = s
            .object
            .call(
                &s.dan,
                ApprovePasswordRequest {
                    id: asked.id.clone(),
                },
            )
            .unwrap();
        assert_eq!(done.status, PasswordRequestStatus::Approved);
        assert!(done.version.is_some());

        // Decided: nothing more to decide.
        let e = s
            .object
            .call(
                &s.decider,
                RejectPasswordRequest {
                    id: asked.id.clone(),
                    reason: None,
                },
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict, "already approved: {e:?}");
    }
}

// ------------------------------------------------------------------ links per stage

mod links {
    use super::*;
    use crate::support::root_key;
    use latchkey_contract::link::DecideByLink;
    use latchkey_core::notification::{LinkClaims, sign_link};

    /// The link the email to `recipient` about `approval` for `stage` carries.
    fn link(object: &Object, approval: &ApprovalId, recipient: &str, stage: u64) -> String {
        let rows = object.rows("SELECT hex(wrapped_tenant_key) FROM tenant");
        let wrapped = rows.first().unwrap().blob(0).unwrap();
        let key = root_key()
            .unwrap_tenant_key(object.tenant_id.as_str(), &wrapped)
            .unwrap()
            .derive("approval-links");
        let rows = object.rows(&format!(
            "SELECT nonce, link_expires_at FROM deliveries
             WHERE request_id = '{approval}' AND recipient = '{recipient}' AND stage = {stage}"
        ));
        let row = rows.first().unwrap();
        let claims = LinkClaims {
            approval: approval.clone(),
            approver: format!("email:{recipient}"),
            expires_ms: row.int(1).unwrap(),
            nonce: row.text(0).unwrap(),
        };
        sign_link(key.as_bytes(), &claims)
    }

    fn decide(object: &Object, id: &ApprovalId, token: &str) -> Result<ApprovalView, ApiError> {
        object
            .operator(DecideByLink {
                id: id.clone(),
                token: token.to_owned(),
                approve: true,
                note: None,
            })
            .map(|review| review.view)
    }

    /// A stage's link decides as the person it was sent to, and only that stage.
    #[test]
    fn stage_link_decides_as_its_person_and_only_its_stage() {
        let s = staged();
        // A second lead, told about stage 0 too.
        let leads = s.object.rows("SELECT id FROM roles WHERE name = 'leads'");
        let leads = latchkey_core::role::RoleId::parse(&leads[0].text(0).unwrap()).unwrap();
        person(&s.object, "bob@example.com", &leads);
        let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
        let bobs = link(&s.object, &asked.id, "bob@example.com", 0);
        // Ann's stage-0 link decides as Ann (her user id), moving the request to stage 1.
        let anns = link(&s.object, &asked.id, "ann@example.com", 0);
        let after = decide(&s.object, &asked.id, &anns).unwrap();
        assert_eq!(after.approvers, vec![s.ann_id.clone()]);
        assert_eq!(after.stage.unwrap().index, 1);
        // Bob's stage-0 link cannot decide stage 1.
        let e = decide(&s.object, &asked.id, &bobs).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(
            e.message.contains("stage 0") && e.message.contains("stage 1"),
            "{}",
            e.message
        );
        // Carol's stage-1 link does.
        let carols = link(&s.object, &asked.id, "carol@example.com", 1);
        let after = decide(&s.object, &asked.id, &carols).unwrap();
        assert_eq!(after.approvers.len(), 2);
        let _ = &s.dan;
    }
}
