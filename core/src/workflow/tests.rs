use super::policy::{Item, NewPolicy, PolicyId, RequestKind, StoredPolicy, governing};
use super::progress::{Advance, Progress, StageSnapshot, WorkflowStamp};
use super::*;
use crate::approval::{ApprovalState, ApprovalStatus};
use crate::path::SecretPath;
use crate::project::{EnvironmentId, ProjectId};
use crate::secret::Tier;
use serde_json::json;

const ROLE: &str = "rol_0123456789abcdef01234567";
const U1: &str = "usr_000000000000000000000001";
const U2: &str = "usr_000000000000000000000002";
const U3: &str = "usr_000000000000000000000003";
const WF1: &str = "wfl_000000000000000000000001";
const WF2: &str = "wfl_000000000000000000000002";
const ENV: &str = "env_000000000000000000000001";
const PRJ: &str = "prj_000000000000000000000001";

fn parse(body: serde_json::Value) -> Result<NewWorkflow, ApiError> {
    NewWorkflow::parse(body.to_string().as_bytes())
}

fn field(e: &ApiError) -> &str {
    e.details.get("field").and_then(Value::as_str).unwrap_or("")
}

fn two_stage() -> serde_json::Value {
    json!({"name": "prod", "stages": [
        {"name": "leads", "approvers": {"role": ROLE}, "approvals": 1, "timeout_seconds": 3600},
        {"approvers": {"users": [U1, U2]}, "approvals": 2, "timeout_seconds": 60}
    ], "cancel_window_seconds": 30})
}

#[test]
fn workflow_parse_two_stages_keeps_them_in_order() {
    let w = parse(two_stage()).unwrap();
    assert_eq!(w.stages.len(), 2);
    assert_eq!(
        w.stages[0].approvers,
        Approvers::Role(RoleId::parse(ROLE).unwrap())
    );
    assert_eq!(w.stages[1].approvals, 2);
    assert_eq!(w.cancel_window_seconds, 30);
    assert_eq!(w.total_approvals(), 3);
    // A stored workflow reads back as it was.
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(serde_json::from_str::<NewWorkflow>(&json).unwrap(), w);
}

#[test]
fn workflow_parse_bad_member_is_named() {
    let cases = [
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 0, "timeout_seconds": 60}]}),
            "stages[0].approvals",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 60}, {"approvers": {"users": [U1]}, "approvals": 2, "timeout_seconds": 60}]}),
            "stages[1].approvals",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 6, "timeout_seconds": 60}]}),
            "stages[0].approvals",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 59}]}),
            "stages[0].timeout_seconds",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 1}]}),
            "stages[0].timeout_seconds",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true, "role": ROLE}, "approvals": 1, "timeout_seconds": 60}]}),
            "stages[0].approvers",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": false}, "approvals": 1, "timeout_seconds": 60}]}),
            "stages[0].approvers",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"users": [U1, U1]}, "approvals": 1, "timeout_seconds": 60}]}),
            "stages[0].approvers",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"users": []}, "approvals": 1, "timeout_seconds": 60}]}),
            "stages[0].approvers",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"role": "admin"}, "approvals": 1, "timeout_seconds": 60}]}),
            "stages[0].approvers",
        ),
        (
            json!({"name": "x", "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 60, "extra": 1}]}),
            "stages[0].extra",
        ),
        (json!({"name": "x", "stages": []}), "stages"),
        (json!({"name": "x"}), "stages"),
        (
            json!({"name": "", "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 60}]}),
            "name",
        ),
        (
            json!({"name": "x", "cancel_window_seconds": 86401, "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 60}]}),
            "cancel_window_seconds",
        ),
        (json!({"name": "x", "owner": 1, "stages": []}), "owner"),
    ];
    for (body, member) in cases {
        let e = parse(body.clone()).unwrap_err();
        assert_eq!(field(&e), member, "{body}: {}", e.message);
        assert!(e.message.contains(member), "{body}: {}", e.message);
        assert!(e.status() == 422 || e.status() == 400, "{body}");
    }
    let eleven: Vec<_> = (0..11)
        .map(|_| json!({"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 60}))
        .collect();
    assert_eq!(
        field(&parse(json!({"name": "x", "stages": eleven})).unwrap_err()),
        "stages"
    );
}

#[test]
fn workflow_ref_parses_default_and_ids_only() {
    assert_eq!(WorkflowRef::parse("default"), Ok(WorkflowRef::Default));
    assert!(matches!(WorkflowRef::parse(WF1), Ok(WorkflowRef::Id(_))));
    assert!(WorkflowRef::parse("wfl_x").is_err());
    assert!(WorkflowRef::parse("pol_000000000000000000000001").is_err());
}

#[test]
fn default_workflow_shows_tier_counts_and_most_asked() {
    let view = default_workflow(&Policies::default(), 86_400);
    assert!(view.built_in);
    assert_eq!(view.id, "default");
    assert_eq!(view.stages.len(), 1);
    assert_eq!(view.stages[0].approvers, Approvers::Any);
    assert_eq!(view.stages[0].approvals, 2);
    let counts = view.tier_counts.unwrap();
    assert_eq!(
        (counts[0].standard, counts[0].sensitive, counts[0].critical),
        (0, 1, 2)
    );
}

// ------------------------------------------------------------------ policies

fn policy(id: u8, workflow: &str, body: serde_json::Value, created: i64) -> StoredPolicy {
    let mut body = body;
    body["name"] = json!(format!("p{id}"));
    body["workflow_id"] = json!(workflow);
    StoredPolicy {
        id: PolicyId::parse(&format!("pol_{id:024x}")).unwrap(),
        policy: NewPolicy::parse(body.to_string().as_bytes()).unwrap(),
        created_at: Timestamp::from_unix_ms(created).unwrap(),
        updated_at: Timestamp::from_unix_ms(created).unwrap(),
    }
}

#[test]
fn policy_parse_refuses_catch_all_and_bad_members() {
    let e = NewPolicy::parse(
        json!({"name": "x", "workflow_id": WF1})
            .to_string()
            .as_bytes(),
    )
    .unwrap_err();
    assert!(e.message.contains("at least one"), "{}", e.message);
    for (body, member) in [
        (
            json!({"name": "x", "workflow_id": "wfl_1", "tier": "critical"}),
            "workflow_id",
        ),
        (
            json!({"name": "x", "workflow_id": "default", "tier": "critical"}),
            "workflow_id",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "tier": "secret"}),
            "tier",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "kind": "write"}),
            "kind",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "path_glob": "a/b*"}),
            "path_glob",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "environment_id": PRJ}),
            "environment_id",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "project_id": ENV}),
            "project_id",
        ),
        (
            json!({"name": "x", "workflow_id": WF1, "tier": "critical", "priority": 1}),
            "priority",
        ),
    ] {
        let e = NewPolicy::parse(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(field(&e), member, "{body}: {}", e.message);
    }
    let p = NewPolicy::parse(
        json!({"name": "x", "workflow_id": WF1, "kind": "password"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert!(p.enabled);
}

fn item<'a>(
    path: &'a SecretPath,
    env: Option<(&'a EnvironmentId, &'a ProjectId)>,
    tier: Option<Tier>,
    kind: RequestKind,
) -> Item<'a> {
    Item {
        path: Some(path),
        environment: env,
        tier,
        kind,
    }
}

fn winner(policies: &[StoredPolicy], item: &Item<'_>) -> Option<String> {
    governing(policies, item, |w| if w.as_str() == WF2 { 5 } else { 1 })
        .map(|p| p.policy.name.clone())
}

#[test]
fn policy_precedence_each_tie_break_decides() {
    let path = SecretPath::parse("prod/db/password").unwrap();
    let env = EnvironmentId::parse(ENV).unwrap();
    let prj = ProjectId::parse(PRJ).unwrap();
    let it = item(
        &path,
        Some((&env, &prj)),
        Some(Tier::Critical),
        RequestKind::Token,
    );
    // More criteria beats fewer.
    let ps = [
        policy(1, WF1, json!({"path_glob": "prod/db/password"}), 1),
        policy(2, WF1, json!({"tier": "critical", "kind": "token"}), 2),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
    // Same count: more literal glob segments.
    let ps = [
        policy(1, WF1, json!({"path_glob": "prod/*"}), 1),
        policy(2, WF1, json!({"path_glob": "prod/db/*"}), 2),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
    // Environment beats project.
    let ps = [
        policy(1, WF1, json!({"project_id": PRJ}), 1),
        policy(2, WF1, json!({"environment_id": ENV}), 2),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
    // Project beats kind.
    let ps = [
        policy(1, WF1, json!({"kind": "token"}), 1),
        policy(2, WF1, json!({"project_id": PRJ}), 2),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
    // Kind beats tier.
    let ps = [
        policy(1, WF1, json!({"tier": "critical"}), 1),
        policy(2, WF1, json!({"kind": "token"}), 2),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
    // Full tie: the workflow needing more approvals.
    let ps = [
        policy(1, WF2, json!({"tier": "critical"}), 2),
        policy(2, WF1, json!({"tier": "critical"}), 1),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p1"));
    // Then the older one.
    let ps = [
        policy(1, WF1, json!({"tier": "critical"}), 2),
        policy(2, WF1, json!({"tier": "critical"}), 1),
    ];
    assert_eq!(winner(&ps, &it).as_deref(), Some("p2"));
}

#[test]
fn policy_matching_needs_every_criterion_and_skips_disabled() {
    let path = SecretPath::parse("prod/db/password").unwrap();
    let env = EnvironmentId::parse(ENV).unwrap();
    let prj = ProjectId::parse(PRJ).unwrap();
    let ps = [policy(
        1,
        WF1,
        json!({"environment_id": ENV, "tier": "critical"}),
        1,
    )];
    assert!(
        winner(
            &ps,
            &item(
                &path,
                Some((&env, &prj)),
                Some(Tier::Critical),
                RequestKind::Read
            )
        )
        .is_some()
    );
    assert!(
        winner(
            &ps,
            &item(&path, None, Some(Tier::Critical), RequestKind::Read)
        )
        .is_none()
    );
    assert!(
        winner(
            &ps,
            &item(
                &path,
                Some((&env, &prj)),
                Some(Tier::Sensitive),
                RequestKind::Read
            )
        )
        .is_none()
    );
    // A password target has no tier: a tier criterion does not match it.
    assert!(
        winner(
            &ps,
            &item(&path, Some((&env, &prj)), None, RequestKind::Password)
        )
        .is_none()
    );
    let off = [policy(
        1,
        WF1,
        json!({"environment_id": ENV, "enabled": false}),
        1,
    )];
    assert!(
        winner(
            &off,
            &item(&path, Some((&env, &prj)), None, RequestKind::Read)
        )
        .is_none()
    );
}

// ------------------------------------------------------------------ progress

fn snapshot(workflow: &str, approvers: Approvers, approvals: u64, timeout: u64) -> StageSnapshot {
    StageSnapshot {
        workflow: WorkflowStamp {
            id: workflow.to_owned(),
            name: workflow.to_owned(),
            revision: 1,
        },
        stage: Stage {
            name: None,
            approvers,
            approvals,
            timeout_seconds: timeout,
        },
    }
}

fn state(requester: &str, expires: Timestamp) -> ApprovalState {
    ApprovalState {
        status: ApprovalStatus::Pending,
        requester: requester.to_owned(),
        required: 0,
        cancel_window_seconds: 0,
        approvers: vec![],
        expires_at: expires,
        approved_at: None,
        released: false,
    }
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_ms(s * 1000).unwrap()
}

/// Role stage (1) then users stage (2 of U2, U3).
fn run() -> (Progress, ApprovalState) {
    let stages = vec![
        snapshot(WF1, Approvers::Role(RoleId::parse(ROLE).unwrap()), 1, 600),
        snapshot(WF1, Approvers::Users(vec![user(U2), user(U3)]), 2, 300),
    ];
    let p = Progress::start(stages, t(0), t(86_400)).unwrap();
    let mut s = state("tok_requester", t(86_400));
    p.sync(&mut s);
    (p, s)
}

#[test]
fn progress_two_stages_advance_in_order_then_approve() {
    let (mut p, mut s) = run();
    assert_eq!(s.required, 3);
    assert_eq!(s.expires_at, t(600));
    let role = [RoleId::parse(ROLE).unwrap()];
    let (u1, u2, u3) = (user(U1), user(U2), user(U3));
    let a1 = Approver {
        id: U1,
        user: Some(&u1),
        roles: &role,
        may_decide: false,
    };
    assert_eq!(
        p.approve(&mut s, &a1, t(10)).unwrap(),
        Advance::NextStage(1)
    );
    // The second stage's deadline runs from its start.
    assert_eq!(s.expires_at, t(310));
    let view = p.view().unwrap();
    assert_eq!((view.index, view.approvals_required), (1, 2));
    let a2 = Approver {
        id: U2,
        user: Some(&u2),
        roles: &[],
        may_decide: false,
    };
    assert_eq!(p.approve(&mut s, &a2, t(20)).unwrap(), Advance::Counted);
    let a3 = Approver {
        id: U3,
        user: Some(&u3),
        roles: &[],
        may_decide: false,
    };
    assert_eq!(p.approve(&mut s, &a3, t(30)).unwrap(), Advance::Approved);
    assert_eq!(s.status, ApprovalStatus::Approved);
    assert_eq!(s.approvers, vec![U1, U2, U3]);
}

#[test]
fn progress_wrong_person_is_refused_naming_the_stage() {
    let (mut p, mut s) = run();
    let u2 = user(U2);
    // U2 is listed for stage 1 but holds no role: stage 0 refuses them.
    let a2 = Approver {
        id: U2,
        user: Some(&u2),
        roles: &[],
        may_decide: true,
    };
    let e = p.approve(&mut s, &a2, t(1)).unwrap_err();
    assert_eq!(e.status(), 403);
    assert!(
        e.message.contains("stage 0") && e.message.contains(ROLE),
        "{}",
        e.message
    );
    assert!(s.approvers.is_empty());
    // A token with approvals:decide is no user: a role stage refuses it.
    let tok = Approver {
        id: "tok_x",
        user: None,
        roles: &[],
        may_decide: true,
    };
    assert_eq!(p.approve(&mut s, &tok, t(1)).unwrap_err().status(), 403);
}

#[test]
fn progress_one_person_cannot_satisfy_two_stages() {
    let role = [RoleId::parse(ROLE).unwrap()];
    let u2 = user(U2);
    let (mut p, mut s) = run();
    let a = Approver {
        id: U2,
        user: Some(&u2),
        roles: &role,
        may_decide: false,
    };
    assert_eq!(p.approve(&mut s, &a, t(1)).unwrap(), Advance::NextStage(1));
    let e = p.approve(&mut s, &a, t(2)).unwrap_err();
    assert_eq!(e.status(), 409);
    assert_eq!(p.current, 1);
    assert_eq!(p.approved[1].len(), 0);
}

#[test]
fn progress_stage_timeout_expires_the_request() {
    let role = [RoleId::parse(ROLE).unwrap()];
    let u1 = user(U1);
    let (mut p, mut s) = run();
    let a = Approver {
        id: U1,
        user: Some(&u1),
        roles: &role,
        may_decide: false,
    };
    assert_eq!(s.status_at(t(600)), ApprovalStatus::Expired);
    let e = p.approve(&mut s, &a, t(600)).unwrap_err();
    assert_eq!(e.status(), 409);
    assert!(e.message.contains("expired"), "{}", e.message);
}

#[test]
fn progress_deny_ends_it_and_requester_never_approves() {
    let (mut p, mut s) = run();
    let me = Approver {
        id: "tok_requester",
        user: None,
        roles: &[],
        may_decide: true,
    };
    assert_eq!(p.approve(&mut s, &me, t(1)).unwrap_err().status(), 403);
    assert_eq!(p.deny(&mut s, &me, t(1)).unwrap_err().status(), 403);
    // Neither admitted nor an approvals:decide holder: refused.
    let u3 = user(U3);
    let nobody = Approver {
        id: U3,
        user: Some(&u3),
        roles: &[],
        may_decide: false,
    };
    assert_eq!(p.deny(&mut s, &nobody, t(1)).unwrap_err().status(), 403);
    let admin = Approver {
        id: "tok_admin",
        user: None,
        roles: &[],
        may_decide: true,
    };
    p.deny(&mut s, &admin, t(2)).unwrap();
    assert_eq!(s.status, ApprovalStatus::Denied);
    let role = [RoleId::parse(ROLE).unwrap()];
    let u1 = user(U1);
    let a = Approver {
        id: U1,
        user: Some(&u1),
        roles: &role,
        may_decide: false,
    };
    assert_eq!(p.approve(&mut s, &a, t(3)).unwrap_err().status(), 409);
}

#[test]
fn progress_two_workflows_run_back_to_back() {
    // A token spanning two workflows: WF1's any stage, then WF2's users stage.
    let stages = vec![
        snapshot(WF1, Approvers::Any, 1, 600),
        snapshot(WF2, Approvers::Users(vec![user(U1)]), 1, 600),
    ];
    let mut p = Progress::start(stages, t(0), t(86_400)).unwrap();
    let mut s = state("tok_r", t(86_400));
    let tok = Approver {
        id: "tok_a",
        user: None,
        roles: &[],
        may_decide: true,
    };
    assert_eq!(
        p.approve(&mut s, &tok, t(1)).unwrap(),
        Advance::NextStage(1)
    );
    assert_eq!(p.view().unwrap().workflow.id, WF2);
    assert_eq!(p.approve(&mut s, &tok, t(2)).unwrap_err().status(), 403);
    let u1 = user(U1);
    let a = Approver {
        id: U1,
        user: Some(&u1),
        roles: &[],
        may_decide: false,
    };
    assert_eq!(p.approve(&mut s, &a, t(3)).unwrap(), Advance::Approved);
    assert!(Progress::start(vec![], t(0), t(1)).is_none());
}

// ------------------------------------------------------------------ plans and clearance

fn view(id: &str, approvals: &[u64], revision: u64) -> WorkflowView {
    WorkflowView {
        id: id.to_owned(),
        name: id.to_owned(),
        description: None,
        stages: approvals
            .iter()
            .map(|n| Stage {
                name: None,
                approvers: Approvers::Any,
                approvals: *n,
                timeout_seconds: 600,
            })
            .collect(),
        cancel_window_seconds: 7,
        revision,
        built_in: false,
        created_at: None,
        updated_at: None,
        tier_counts: None,
    }
}

#[test]
fn plan_token_spanning_two_workflows_and_the_default_runs_all() {
    use super::plan::{Rules, plan};
    use crate::approval::Requirement;
    let workflows = [view(WF1, &[1], 1), view(WF2, &[2, 1], 1)];
    let policies = [
        policy(1, WF1, json!({"path_glob": "prod/*"}), 1),
        policy(2, WF2, json!({"path_glob": "prod/db/*"}), 2),
    ];
    let rules = Rules {
        policies: &policies,
        workflows: &workflows,
    };
    let (a, b, c) = (
        SecretPath::parse("prod/api").unwrap(),
        SecretPath::parse("prod/db/pw").unwrap(),
        SecretPath::parse("dev/x").unwrap(),
    );
    let need = |n| Requirement {
        approvals: n,
        cancel_window_seconds: 30,
    };
    let items = [
        (
            item(&a, None, Some(Tier::Sensitive), RequestKind::Token),
            need(1),
        ),
        (
            item(&b, None, Some(Tier::Critical), RequestKind::Token),
            need(2),
        ),
        (
            item(&c, None, Some(Tier::Critical), RequestKind::Token),
            need(2),
        ),
    ];
    let p = plan(&rules, items, 0, 900);
    // WF2 (more literal segments) first, then WF1, then the default's count.
    let order: Vec<_> = p.stages.iter().map(|s| s.workflow.id.as_str()).collect();
    assert_eq!(order, vec![WF2, WF2, WF1, "default"]);
    assert_eq!(p.stages[3].stage.approvals, 2);
    assert_eq!(p.stages[3].stage.timeout_seconds, 900);
    assert_eq!(p.workflows.len(), 2);
    assert_eq!(p.cancel_window_seconds, 30);
    // A default count of zero adds no stage for tokens, but read requests need one.
    let standard = [(
        item(&c, None, Some(Tier::Standard), RequestKind::Token),
        need(0),
    )];
    assert!(plan(&rules, standard, 0, 900).stages.is_empty());
    assert_eq!(plan(&rules, standard, 1, 900).stages.len(), 1);
}

#[test]
fn clearance_after_a_workflow_edit_asks_again() {
    use super::plan::check_cleared;
    let path = SecretPath::parse("prod/db/pw").unwrap();
    let v1 = view(WF1, &[1], 1);
    let v2 = view(WF1, &[2], 2);
    let cleared = [super::plan::stamp(&v1)];
    assert!(check_cleared(&path, Some(&v1), &cleared).is_ok());
    assert!(check_cleared(&path, None, &[]).is_ok());
    let e = check_cleared(&path, Some(&v2), &cleared).unwrap_err();
    assert_eq!(e.status(), 403);
    assert!(
        e.message.contains(WF1) && e.message.contains("revision 2"),
        "{}",
        e.message
    );
    let other = view(WF2, &[1], 1);
    assert_eq!(
        check_cleared(&path, Some(&other), &cleared)
            .unwrap_err()
            .status(),
        403
    );
}

#[test]
fn environment_for_longest_prefix_or_cluster() {
    use super::plan::{EnvironmentScope, environment_for};
    let scope = |id: u8, prefix: &str, clusters: &[&str]| EnvironmentScope {
        id: EnvironmentId::parse(&format!("env_{id:024x}")).unwrap(),
        project_id: ProjectId::parse(PRJ).unwrap(),
        path_prefix: prefix.to_owned(),
        clusters: clusters.iter().map(|c| (*c).to_owned()).collect(),
    };
    let envs = [
        scope(1, "prod/", &["eu-1"]),
        scope(2, "prod/payments/", &[]),
    ];
    let id_of = |found: Option<(&EnvironmentId, &ProjectId)>| found.map(|(e, _)| e.to_string());
    assert_eq!(
        id_of(environment_for(&envs, Some("prod/payments/stripe"), None)),
        Some(format!("env_{:024x}", 2))
    );
    assert_eq!(
        id_of(environment_for(&envs, Some("prod/db"), None)),
        Some(format!("env_{:024x}", 1))
    );
    assert_eq!(id_of(environment_for(&envs, Some("dev/db"), None)), None);
    // A discovered secret goes by its cluster, whatever its path.
    assert_eq!(
        id_of(environment_for(
            &envs,
            Some("discovered/dsc_x"),
            Some("eu-1")
        )),
        Some(format!("env_{:024x}", 1))
    );
    assert_eq!(
        id_of(environment_for(&envs, Some("prod/db"), Some("us-9"))),
        None
    );
}
