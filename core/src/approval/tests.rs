use super::*;
use serde_json::json;

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_unix_ms(1_700_000_000_000 + seconds * 1000).unwrap()
}

fn state(required: u64, window: u64) -> ApprovalState {
    ApprovalState {
        status: ApprovalStatus::Pending,
        requester: "tok_requester00000".into(),
        required,
        cancel_window_seconds: window,
        approvers: vec![],
        expires_at: t(86_400),
        approved_at: None,
        released: false,
    }
}

fn path(text: &str) -> SecretPath {
    SecretPath::parse(text).unwrap()
}

#[test]
fn ids_carry_their_tenant() {
    let tenant = TenantId::parse("tn_0123456789abcdef").unwrap();
    let id = ApprovalId::generate(&tenant).unwrap();
    assert_eq!(id.tenant(), Some(tenant));
    assert_eq!(ApprovalId::parse(id.as_str()), Ok(id));
    for bad in [
        "",
        "apr_",
        "apr_0123",
        "apr_0123456789abcdef0123456789ABCDEF",
        "tok_0123456789abcdef0123456789abcdef",
    ] {
        assert!(ApprovalId::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn critical_needs_two_distinct_approvers_then_a_window() {
    let mut s = state(2, 300);
    s.approve("alice", t(0)).unwrap();
    assert_eq!(s.status, ApprovalStatus::Pending);
    let twice = s.approve("alice", t(1)).unwrap_err();
    assert_eq!(twice.status(), 409);
    s.approve("bob", t(2)).unwrap();
    assert_eq!(s.status, ApprovalStatus::Approved);
    assert_eq!(s.releases_at(), Some(t(302)));
    assert!(
        !s.take_release("tok_requester00000", t(301)),
        "window still open"
    );
    assert!(!s.take_release("bob", t(400)), "only the requester");
    assert!(s.take_release("tok_requester00000", t(302)));
    assert!(!s.take_release("tok_requester00000", t(303)), "once");
    assert_eq!(s.approve("carol", t(400)).unwrap_err().status(), 409);
}

#[test]
fn the_requester_never_decides_its_own_request() {
    let mut s = state(1, 0);
    assert_eq!(
        s.approve("tok_requester00000", t(0)).unwrap_err().status(),
        403
    );
    assert_eq!(
        s.deny("tok_requester00000", t(0)).unwrap_err().status(),
        403
    );
    assert_eq!(s.status, ApprovalStatus::Pending);
}

#[test]
fn deny_and_expiry_are_final() {
    let mut s = state(1, 0);
    s.deny("alice", t(0)).unwrap();
    assert_eq!(s.approve("bob", t(1)).unwrap_err().status(), 409);
    assert_eq!(s.deny("bob", t(1)).unwrap_err().status(), 409);
    let mut late = state(1, 0);
    assert_eq!(late.status_at(t(86_400)), ApprovalStatus::Expired);
    assert_eq!(late.approve("alice", t(86_400)).unwrap_err().status(), 409);
    assert_eq!(
        late.cancel("tok_requester00000", false, t(86_401))
            .unwrap_err()
            .status(),
        409
    );
}

#[test]
fn cancel_works_until_the_window_closes() {
    let mut pending = state(1, 0);
    assert_eq!(
        pending
            .cancel("stranger", false, t(0))
            .unwrap_err()
            .status(),
        403
    );
    pending.cancel("tok_requester00000", false, t(0)).unwrap();
    assert_eq!(pending.status, ApprovalStatus::Cancelled);

    let mut windowed = state(1, 60);
    windowed.approve("alice", t(0)).unwrap();
    windowed.cancel("bob", true, t(59)).unwrap();
    assert_eq!(windowed.status, ApprovalStatus::Cancelled);
    assert!(!windowed.take_release("tok_requester00000", t(61)));

    let mut closed = state(1, 60);
    closed.approve("alice", t(0)).unwrap();
    assert_eq!(closed.cancel("bob", true, t(60)).unwrap_err().status(), 409);
    let mut no_window = state(1, 0);
    no_window.approve("alice", t(0)).unwrap();
    assert_eq!(
        no_window
            .cancel("tok_requester00000", false, t(0))
            .unwrap_err()
            .status(),
        409
    );
}

#[test]
fn a_purpose_is_required_only_for_critical_secrets_under_a_rule_that_asks() {
    let policies = Policies::parse(
        json!({"policies": [
            {"glob": "prod/*", "require_purpose": true},
            {"glob": "prod/open/*"}
        ]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert!(policies.any_requires_purpose());
    assert!(policies.purpose_required(Tier::Critical, &path("prod/db")));
    assert!(!policies.purpose_required(Tier::Sensitive, &path("prod/db")));
    // The most specific rule decides, and it does not ask.
    assert!(!policies.purpose_required(Tier::Critical, &path("prod/open/db")));
    assert!(!policies.purpose_required(Tier::Critical, &path("dev/db")));
    assert!(!Policies::default().any_requires_purpose());
    let bad = Policies::parse(br#"{"policies": [{"glob": "a/*", "require_purpose": "yes"}]}"#);
    assert_eq!(bad.unwrap_err().code, ErrorCode::ValidationError);
    // Stored policies from before the member existed still load.
    let old: Policies = serde_json::from_str(
        r#"{"rules":[{"glob":"a/*","standard":0,"sensitive":1,"critical":2,"cancel_window_seconds":300}]}"#,
    )
    .unwrap();
    assert!(!old.any_requires_purpose());
}

#[test]
fn policies_pick_the_most_specific_rule_and_refuse_zero_for_sensitive() {
    let policies = Policies::parse(
        json!({"policies": [
            {"glob": "prod/*", "sensitive": 2},
            {"glob": "prod/payments/*", "critical": 3, "cancel_window_seconds": 2},
            {"glob": "dev/*", "standard": 0, "sensitive": 1, "critical": 1, "cancel_window_seconds": 0}
        ]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        policies
            .requirement(Tier::Sensitive, &path("prod/db"))
            .approvals,
        2
    );
    let payments = policies.requirement(Tier::Critical, &path("prod/payments/stripe"));
    assert_eq!(
        payments,
        Requirement {
            approvals: 3,
            cancel_window_seconds: 2
        }
    );
    assert_eq!(
        policies.requirement(Tier::Standard, &path("prod/db")),
        Requirement::NONE
    );
    assert_eq!(
        policies
            .requirement(Tier::Critical, &path("other"))
            .approvals,
        2
    );
    assert_eq!(
        policies
            .requirement(Tier::Critical, &path("other"))
            .cancel_window_seconds,
        300
    );
    assert_eq!(
        policies
            .requirement(Tier::Sensitive, &path("other"))
            .cancel_window_seconds,
        0
    );
    for bad in [
        json!({"policies": [{"glob": "a/*", "sensitive": 0}]}),
        json!({"policies": [{"glob": "a/*", "critical": 0}]}),
        json!({"policies": [{"glob": "a/*", "critical": 6}]}),
        json!({"policies": [{"glob": "api-*"}]}),
        json!({"policies": [{"sensitive": 1}]}),
        json!({"policies": [{"glob": "a/*"}, {"glob": "a/*"}]}),
        json!({"policies": [{"glob": "a/*", "extra": 1}]}),
        json!({"policies": {}}),
        json!({}),
    ] {
        let err = Policies::parse(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.status(), 422, "{bad}");
    }
}

#[test]
fn decision_notes_are_optional_and_bounded() {
    assert_eq!(parse_decision_note(b"", "comment").unwrap(), None);
    assert_eq!(
        parse_decision_note(br#"{"comment": "batch #4821"}"#, "comment")
            .unwrap()
            .as_deref(),
        Some("batch #4821")
    );
    assert!(parse_decision_note(br#"{"reason": "x"}"#, "comment").is_err());
    let long = json!({"reason": "x".repeat(1025)}).to_string();
    assert!(parse_decision_note(long.as_bytes(), "reason").is_err());
}
