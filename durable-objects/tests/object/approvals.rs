//! Approval requests and policies: reading, listing, approving, denying, cancelling, the
//! release of the token (once, to its requester), expiry, and how policies set the count.

use crate::support::{Object, detail, path};
use latchkey_contract::caller::approvals::{
    ApproveRequest, CancelRequest, DenyRequest, GetApproval, GetPolicies, ListApprovals,
    SetPolicies,
};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_core::approval::{ApprovalId, ApprovalStatus, ApprovalView, Policies};
use latchkey_core::secret::Tier;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode};
use serde_json::Value;

/// A tenant with a requester (may mint tokens reaching `prod/*`), two approvers and an
/// outsider, all minted before any secret exists (so they needed nobody), then a sensitive
/// secret under `prod/`.
struct Setup {
    object: Object,
    requester: String,
    requester_id: String,
    alice: String,
    alice_id: String,
    bob: String,
    bob_id: String,
    outsider: String,
}

fn token_id(object: &Object, value: &str) -> String {
    let hash = Object::hash_of(value).to_hex();
    let rows = object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"));
    rows.first().unwrap().text(0).unwrap()
}

fn setup_with(object: Object, tier: &str) -> Setup {
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    let alice = object.token_with("approvals:decide");
    let bob = object.token_with("approvals:decide");
    let outsider = object
        .token(r#"{"scope": ["tokens:create", "secrets:read:staging/*"], "ttl_seconds": 3600}"#);
    object.secret(&format!(
        r#"{{"path": "prod/db", "value": "v", "tier": "{tier}"}}"#
    ));
    Setup {
        requester_id: token_id(&object, &requester),
        alice_id: token_id(&object, &alice),
        bob_id: token_id(&object, &bob),
        requester,
        alice,
        bob,
        outsider,
        object,
    }
}

fn setup(tier: &str) -> Setup {
    setup_with(Object::new(), tier)
}

fn ask(object: &Object, key: &str, scope: &str) -> ApprovalView {
    let body = format!(r#"{{"scope": "{scope}"}}"#);
    let request = TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap();
    match object.call(key, CreateToken { request }).unwrap() {
        TokenMinted::Pending(view) => *view,
        TokenMinted::Created(created) => panic!("minted at once: {}", created.id),
    }
}

fn get(object: &Object, key: &str, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    object.call(key, GetApproval { id: id.clone() })
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

fn deny(object: &Object, key: &str, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    object.call(
        key,
        DenyRequest {
            id: id.clone(),
            reason: Some("unexpected".into()),
        },
    )
}

fn cancel(object: &Object, key: &str, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    object.call(key, CancelRequest { id: id.clone() })
}

fn list(object: &Object, status: Option<ApprovalStatus>) -> Vec<ApprovalView> {
    object.master(ListApprovals { status }).unwrap()
}

fn policies(json: &str) -> Policies {
    Policies::parse(json.as_bytes()).unwrap()
}

fn details_of(object: &Object, event_type: &str) -> Value {
    let rows = object.rows(&format!(
        "SELECT details FROM audit_events WHERE type = '{event_type}' ORDER BY seq DESC LIMIT 1"
    ));
    serde_json::from_str(&rows.first().unwrap().text(0).unwrap()).unwrap()
}

fn decisions(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM approval_decisions")
}

fn status_row(object: &Object, id: &ApprovalId) -> String {
    let rows = object.rows(&format!("SELECT status FROM approvals WHERE id = '{id}'"));
    rows.first().unwrap().text(0).unwrap()
}

fn tokens(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM tokens")
}

#[test]
fn get_approval_by_the_requester_shows_the_pending_request() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    assert!(asked.id.as_str().starts_with("apr_"));
    assert_eq!(asked.id.tenant(), Some(s.object.tenant_id.clone()));
    let view = get(&s.object, &s.requester, &asked.id).unwrap();
    assert_eq!(view.status, ApprovalStatus::Pending);
    assert_eq!(view.requester, s.requester_id);
    assert_eq!(view.requester_description, None);
    assert_eq!(view.request.scope.to_string(), "secrets:read:prod/*");
    assert_eq!(view.tier, Tier::Sensitive);
    assert_eq!(view.secrets_reached, 1);
    assert_eq!(view.required_approvals, 1);
    assert_eq!(view.cancel_window_seconds, 0);
    assert!(view.approvers.is_empty() && view.decisions.is_empty());
    assert_eq!(view.created_at, s.object.now());
    assert_eq!(view.expires_at, s.object.now().plus_seconds(86_400));
    assert_eq!(view.approved_at, None);
    assert!(view.token.is_none());
    assert_eq!(s.object.last_event(), ("approval.read".to_owned(), true));
    let details = details_of(&s.object, "approval.read");
    assert_eq!(details["approval_id"], asked.id.as_str());
    assert_eq!(details["status"], "pending");
}

#[test]
fn get_approval_by_an_outsider_is_not_found() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let err = get(&s.object, &s.outsider, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(detail(&err, "id").as_deref(), Some(asked.id.as_str()));
    assert_eq!(s.object.last_event(), ("approval.read".to_owned(), false));
    // Approvers see every request.
    assert!(get(&s.object, &s.alice, &asked.id).is_ok());
}

#[test]
fn get_approval_unknown_is_not_found() {
    let object = Object::new();
    let id = ApprovalId::generate(&object.tenant_id).unwrap();
    let err = object.master(GetApproval { id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), ("approval.read".to_owned(), false));
}

#[test]
fn approve_request_releases_the_token_once_to_the_requester() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let before = tokens(&s.object);
    let approved = s
        .object
        .call(
            &s.alice,
            ApproveRequest {
                id: asked.id.clone(),
                comment: Some("ok".into()),
            },
        )
        .unwrap();
    assert_eq!(approved.status, ApprovalStatus::Approved);
    assert_eq!(approved.approvers, std::slice::from_ref(&s.alice_id));
    assert_eq!(approved.approved_at, Some(s.object.now()));
    assert_eq!(approved.releases_at, Some(s.object.now()));
    let decision = approved.decisions.first().unwrap();
    assert_eq!(decision.approver, s.alice_id);
    assert_eq!(decision.decision, "approve");
    assert_eq!(decision.note.as_deref(), Some("ok"));
    assert!(approved.token.is_none(), "approvers never see the token");
    assert_eq!(
        s.object.last_event(),
        ("approval.approved".to_owned(), true)
    );
    assert_eq!(
        details_of(&s.object, "approval.approved")["status"],
        "approved"
    );
    assert_eq!(status_row(&s.object, &asked.id), "approved");
    assert_eq!(tokens(&s.object), before, "minted when the requester polls");

    let released = get(&s.object, &s.requester, &asked.id).unwrap();
    let token = released.token.unwrap();
    let value = token.value.unwrap();
    assert!(value.starts_with("lk_tok_"));
    assert_eq!(
        s.object.last_event(),
        ("approval.released".to_owned(), true)
    );
    assert_eq!(
        details_of(&s.object, "approval.released")["token_id"],
        token.id.as_str()
    );
    let rows = s.object.rows(&format!(
        "SELECT created_by, cleared_tier, cleared_approvals FROM tokens WHERE id = '{}'",
        token.id
    ));
    let row = rows.first().unwrap();
    assert_eq!(row.text(0).unwrap(), s.requester_id);
    assert_eq!(row.text(1).unwrap(), "sensitive");
    assert_eq!(row.opt_int(2).unwrap(), Some(1));
    let read = s
        .object
        .call(
            &value,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
        .unwrap();
    assert_eq!(read.version, 1);

    // Shown once: later polls name the token without its value.
    let again = get(&s.object, &s.requester, &asked.id).unwrap();
    let shown = again.token.unwrap();
    assert_eq!(shown.id, token.id);
    assert_eq!(shown.value, None);
    assert_eq!(again.status, ApprovalStatus::Approved);
    assert_eq!(s.object.last_event(), ("approval.read".to_owned(), true));
    let by_approver = get(&s.object, &s.alice, &asked.id).unwrap();
    assert_eq!(by_approver.token.unwrap().value, None);
    assert_eq!(tokens(&s.object), before + 1);
}

#[test]
fn approve_request_does_not_release_to_an_approver_polling() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.alice, &asked.id).unwrap();
    let before = tokens(&s.object);
    let seen = get(&s.object, &s.alice, &asked.id).unwrap();
    assert!(seen.token.is_none());
    assert_eq!(tokens(&s.object), before);
    assert_eq!(
        s.object.count(&format!(
            "SELECT released FROM approvals WHERE id = '{}'",
            asked.id
        )),
        0
    );
}

#[test]
fn approve_request_by_the_requester_is_refused() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    // The requester holds no approvals:decide: the scope refuses it first.
    let err = approve(&s.object, &s.requester, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("approvals:decide")
    );
    assert_eq!(
        s.object.last_event(),
        ("approval.approved".to_owned(), false)
    );
    assert_eq!(decisions(&s.object), 0);
    assert_eq!(status_row(&s.object, &asked.id), "pending");
}

#[test]
fn approve_request_by_the_same_hand_is_refused() {
    let object = Object::new();
    // An admin token asks, and mints itself an approver: neither may decide.
    let requester = object.token_with("admin");
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let asked = ask(&object, &requester, "secrets:read:prod/*");
    for key in [requester.clone(), {
        let body = br#"{"scope": "approvals:decide", "ttl_seconds": 600}"#;
        let request = TokenRequest::parse(body).unwrap();
        match object.call(&requester, CreateToken { request }).unwrap() {
            TokenMinted::Created(created) => created.value,
            TokenMinted::Pending(_) => panic!("an approver token needs no approval"),
        }
    }] {
        let err = approve(&object, &key, &asked.id).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        assert!(
            err.message.contains("neither the requester"),
            "{}",
            err.message
        );
        assert_eq!(object.last_event(), ("approval.approved".to_owned(), false));
        let err = deny(&object, &key, &asked.id).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
    }
    assert_eq!(decisions(&object), 0);
    assert_eq!(status_row(&object, &asked.id), "pending");
    // The master key made the requester, and still may: it is the tenant's root of trust.
    let approved = object
        .master(ApproveRequest {
            id: asked.id.clone(),
            comment: None,
        })
        .unwrap();
    assert_eq!(approved.approvers, ["master"]);
}

#[test]
fn approve_request_by_the_master_key_asking_itself_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let asked = ask(&object, &object.master.clone(), "secrets:read:prod/*");
    assert_eq!(asked.requester, "master");
    let err = object
        .master(ApproveRequest {
            id: asked.id.clone(),
            comment: None,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    // Every token the master key minted is its hand too.
    let approver = object.token_with("approvals:decide");
    assert_eq!(
        approve(&object, &approver, &asked.id).unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    assert_eq!(decisions(&object), 0);
}

#[test]
fn approve_request_twice_by_one_approver_is_a_conflict() {
    let s = setup("critical");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    assert_eq!(asked.required_approvals, 2);
    let first = approve(&s.object, &s.alice, &asked.id).unwrap();
    assert_eq!(first.status, ApprovalStatus::Pending);
    assert_eq!(first.approvers, std::slice::from_ref(&s.alice_id));
    let err = approve(&s.object, &s.alice, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("already approved"), "{}", err.message);
    assert_eq!(
        s.object.last_event(),
        ("approval.approved".to_owned(), false)
    );
    assert_eq!(decisions(&s.object), 1);
}

#[test]
fn approve_request_without_approvals_decide_is_refused() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let err = approve(&s.object, &s.outsider, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("approvals:decide")
    );
    assert_eq!(decisions(&s.object), 0);
}

#[test]
fn approve_request_unknown_is_not_found() {
    let s = setup("sensitive");
    let id = ApprovalId::parse("apr_00000000000000000000000000000000").unwrap();
    let err = approve(&s.object, &s.alice, &id).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        s.object.last_event(),
        ("approval.approved".to_owned(), false)
    );
    assert_eq!(decisions(&s.object), 0);
}

#[test]
fn critical_request_needs_two_approvers_and_waits_out_its_cancel_window() {
    let s = setup("critical");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    assert_eq!(asked.tier, Tier::Critical);
    assert_eq!(asked.required_approvals, 2);
    assert_eq!(asked.cancel_window_seconds, 300);
    approve(&s.object, &s.alice, &asked.id).unwrap();
    s.object.advance(10);
    let approved = approve(&s.object, &s.bob, &asked.id).unwrap();
    assert_eq!(approved.status, ApprovalStatus::Approved);
    assert_eq!(approved.approvers, [s.alice_id.clone(), s.bob_id.clone()]);
    assert_eq!(approved.releases_at, Some(s.object.now().plus_seconds(300)));

    s.object.advance(299);
    let early = get(&s.object, &s.requester, &asked.id).unwrap();
    assert_eq!(early.status, ApprovalStatus::Approved);
    assert!(early.token.is_none(), "inside the cancel window");
    s.object.advance(1);
    let released = get(&s.object, &s.requester, &asked.id).unwrap();
    assert!(released.token.unwrap().value.is_some());
    // Released: nobody can cancel it any more.
    let err = cancel(&s.object, &s.alice, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn deny_request_is_final() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let denied = deny(&s.object, &s.alice, &asked.id).unwrap();
    assert_eq!(denied.status, ApprovalStatus::Denied);
    let decision = denied.decisions.first().unwrap();
    assert_eq!(decision.approver, s.alice_id);
    assert_eq!(decision.decision, "deny");
    assert_eq!(decision.note.as_deref(), Some("unexpected"));
    assert!(denied.approvers.is_empty());
    assert_eq!(s.object.last_event(), ("approval.denied".to_owned(), true));
    assert_eq!(details_of(&s.object, "approval.denied")["status"], "denied");
    assert_eq!(status_row(&s.object, &asked.id), "denied");

    let err = approve(&s.object, &s.bob, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("already denied"), "{}", err.message);
    assert_eq!(
        deny(&s.object, &s.bob, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
    assert_eq!(
        cancel(&s.object, &s.requester, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
    assert!(
        get(&s.object, &s.requester, &asked.id)
            .unwrap()
            .token
            .is_none()
    );
    assert_eq!(decisions(&s.object), 1);
}

#[test]
fn deny_request_without_approvals_decide_is_refused() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    for key in [&s.requester, &s.outsider] {
        let err = deny(&s.object, key, &asked.id).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        assert_eq!(
            detail(&err, "required_scope").as_deref(),
            Some("approvals:decide")
        );
        assert_eq!(s.object.last_event(), ("approval.denied".to_owned(), false));
    }
    assert_eq!(status_row(&s.object, &asked.id), "pending");
}

#[test]
fn cancel_request_by_the_requester_ends_it() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let cancelled = cancel(&s.object, &s.requester, &asked.id).unwrap();
    assert_eq!(cancelled.status, ApprovalStatus::Cancelled);
    let decision = cancelled.decisions.first().unwrap();
    assert_eq!(decision.decision, "cancel");
    assert_eq!(decision.approver, s.requester_id);
    assert_eq!(
        s.object.last_event(),
        ("approval.cancelled".to_owned(), true)
    );
    assert_eq!(status_row(&s.object, &asked.id), "cancelled");
    let err = approve(&s.object, &s.alice, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(
        cancel(&s.object, &s.requester, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
}

#[test]
fn cancel_request_by_an_outsider_is_refused() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    let err = cancel(&s.object, &s.outsider, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("approvals:decide")
    );
    assert_eq!(
        s.object.last_event(),
        ("approval.cancelled".to_owned(), false)
    );
    assert_eq!(status_row(&s.object, &asked.id), "pending");
    assert_eq!(decisions(&s.object), 0);
}

#[test]
fn cancel_request_by_an_approver_inside_the_window_stops_the_release() {
    let s = setup("critical");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.alice, &asked.id).unwrap();
    approve(&s.object, &s.bob, &asked.id).unwrap();
    s.object.advance(100);
    let cancelled = cancel(&s.object, &s.alice, &asked.id).unwrap();
    assert_eq!(cancelled.status, ApprovalStatus::Cancelled);
    let before = tokens(&s.object);
    s.object.advance(300);
    let after = get(&s.object, &s.requester, &asked.id).unwrap();
    assert_eq!(after.status, ApprovalStatus::Cancelled);
    assert!(after.token.is_none());
    assert_eq!(tokens(&s.object), before);
}

#[test]
fn cancel_request_approved_without_a_window_is_a_conflict() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.alice, &asked.id).unwrap();
    let err = cancel(&s.object, &s.requester, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(
        err.message.contains("cancel window is over"),
        "{}",
        err.message
    );
    assert_eq!(status_row(&s.object, &asked.id), "approved");
}

#[test]
fn list_approvals_filters_by_status_newest_first() {
    let s = setup("sensitive");
    let approved = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.alice, &approved.id).unwrap();
    s.object.advance(1);
    let denied = ask(&s.object, &s.requester, "secrets:read:prod/*");
    deny(&s.object, &s.alice, &denied.id).unwrap();
    s.object.advance(1);
    let waiting = ask(&s.object, &s.requester, "secrets:read:prod/*");

    let all: Vec<ApprovalId> = list(&s.object, None).into_iter().map(|v| v.id).collect();
    assert_eq!(
        all,
        [waiting.id.clone(), denied.id.clone(), approved.id.clone()]
    );
    assert_eq!(s.object.last_event(), ("approval.listed".to_owned(), true));
    for (status, expected) in [
        (ApprovalStatus::Pending, vec![waiting.id.clone()]),
        (ApprovalStatus::Approved, vec![approved.id.clone()]),
        (ApprovalStatus::Denied, vec![denied.id.clone()]),
        (ApprovalStatus::Cancelled, vec![]),
        (ApprovalStatus::Expired, vec![]),
    ] {
        let ids: Vec<ApprovalId> = list(&s.object, Some(status))
            .into_iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(ids, expected, "{status:?}");
    }
    // A list never carries a token's value.
    let requester_poll = get(&s.object, &s.requester, &approved.id).unwrap();
    let value = requester_poll.token.unwrap().value.unwrap();
    let shown = serde_json::to_string(&list(&s.object, None)).unwrap();
    assert!(!shown.contains(&value));
}

#[test]
fn list_approvals_needs_approvals_decide() {
    let s = setup("sensitive");
    ask(&s.object, &s.requester, "secrets:read:prod/*");
    let err = s
        .object
        .call(&s.requester, ListApprovals { status: None })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("approvals:decide")
    );
    assert_eq!(s.object.last_event(), ("approval.listed".to_owned(), false));
    let by_alice: Vec<ApprovalView> = s
        .object
        .call(&s.alice, ListApprovals { status: None })
        .unwrap();
    assert_eq!(by_alice.len(), 1);
}

#[test]
fn approval_past_its_ttl_is_expired_and_cannot_be_decided() {
    let s = setup_with(
        Object::with_config(|c| c.approval_ttl_seconds = 60),
        "sensitive",
    );
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    assert_eq!(asked.expires_at, s.object.now().plus_seconds(60));
    s.object.advance(59);
    assert_eq!(
        get(&s.object, &s.requester, &asked.id).unwrap().status,
        ApprovalStatus::Pending
    );
    s.object.advance(1);
    assert_eq!(
        get(&s.object, &s.requester, &asked.id).unwrap().status,
        ApprovalStatus::Expired
    );
    let err = approve(&s.object, &s.alice, &asked.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("already expired"), "{}", err.message);
    assert_eq!(
        deny(&s.object, &s.alice, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
    assert_eq!(
        cancel(&s.object, &s.requester, &asked.id).unwrap_err().code,
        ErrorCode::Conflict
    );
    // Expiry is read off the clock: the row still says pending until maintenance runs.
    assert_eq!(status_row(&s.object, &asked.id), "pending");
    let expired = list(&s.object, Some(ApprovalStatus::Expired));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired.first().unwrap().status, ApprovalStatus::Expired);
    assert!(list(&s.object, Some(ApprovalStatus::Pending)).is_empty());
    assert_eq!(decisions(&s.object), 0);
}

#[test]
fn get_policies_starts_with_no_rules() {
    let object = Object::new();
    let shown = object.master(GetPolicies).unwrap();
    assert_eq!(shown, Policies::default());
    assert!(shown.rules.is_empty());
    assert_eq!(object.last_event(), ("policy.read".to_owned(), true));
    assert_eq!(details_of(&object, "policy.read")["rules"], 0);
    assert_eq!(object.count("SELECT count(*) FROM policies"), 0);
}

#[test]
fn set_policies_stores_the_rules_and_get_returns_them() {
    let object = Object::new();
    let wanted = policies(
        r#"{"policies": [
            {"glob": "prod/*", "sensitive": 2},
            {"glob": "prod/payments/*", "critical": 3, "cancel_window_seconds": 60}
        ]}"#,
    );
    let stored = object
        .master(SetPolicies {
            policies: wanted.clone(),
        })
        .unwrap();
    assert_eq!(stored, wanted);
    assert_eq!(object.last_event(), ("policy.updated".to_owned(), true));
    assert_eq!(details_of(&object, "policy.updated")["rules"], 2);
    assert_eq!(object.count("SELECT count(*) FROM policies"), 1);
    assert_eq!(object.master(GetPolicies).unwrap(), wanted);
    // Replacing them replaces the whole set.
    let fewer = policies(r#"{"policies": [{"glob": "dev/*"}]}"#);
    object
        .master(SetPolicies {
            policies: fewer.clone(),
        })
        .unwrap();
    assert_eq!(object.master(GetPolicies).unwrap(), fewer);
    assert_eq!(object.count("SELECT count(*) FROM policies"), 1);
}

#[test]
fn set_policies_needs_policies_write() {
    let object = Object::new();
    let approver = object.token_with("approvals:decide");
    let err = object
        .call(
            &approver,
            SetPolicies {
                policies: policies(r#"{"policies": [{"glob": "prod/*", "sensitive": 3}]}"#),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("policies:write")
    );
    assert_eq!(object.last_event(), ("policy.updated".to_owned(), false));
    assert_eq!(object.count("SELECT count(*) FROM policies"), 0);
    let err = object.call(&approver, GetPolicies).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), ("policy.read".to_owned(), false));
    // policies:write alone is enough.
    let writer = object.token_with("policies:write");
    assert!(object.call(&writer, GetPolicies).is_ok());
}

#[test]
fn set_policies_changes_how_many_approvals_each_tier_needs() {
    let object = Object::new();
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:*"], "ttl_seconds": 3600}"#);
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    object.secret(r#"{"path": "dev/cache", "value": "v"}"#);
    object.secret(r#"{"path": "ops/root", "value": "v", "tier": "critical"}"#);
    assert_eq!(
        ask(&object, &requester, "secrets:read:prod/*").required_approvals,
        1
    );
    object
        .master(SetPolicies {
            policies: policies(
                r#"{"policies": [
                    {"glob": "prod/*", "sensitive": 3},
                    {"glob": "dev/*", "standard": 1},
                    {"glob": "ops/*", "critical": 1, "cancel_window_seconds": 0}
                ]}"#,
            ),
        })
        .unwrap();
    let prod = ask(&object, &requester, "secrets:read:prod/*");
    assert_eq!(prod.required_approvals, 3);
    // A standard secret needs an approval once its rule says so.
    let dev = ask(&object, &requester, "secrets:read:dev/*");
    assert_eq!(dev.required_approvals, 1);
    assert_eq!(dev.tier, Tier::Standard);
    let ops = ask(&object, &requester, "secrets:read:ops/*");
    assert_eq!(ops.required_approvals, 1);
    assert_eq!(ops.cancel_window_seconds, 0);
    // The strictest secret reached decides.
    let everything = ask(&object, &requester, "secrets:read:*");
    assert_eq!(everything.required_approvals, 3);
    assert_eq!(everything.tier, Tier::Critical);
    assert_eq!(everything.secrets_reached, 3);
}

#[test]
fn set_policies_raising_a_rule_closes_tokens_cleared_with_fewer_approvals() {
    let s = setup("sensitive");
    let asked = ask(&s.object, &s.requester, "secrets:read:prod/*");
    approve(&s.object, &s.alice, &asked.id).unwrap();
    let value = get(&s.object, &s.requester, &asked.id)
        .unwrap()
        .token
        .unwrap()
        .value
        .unwrap();
    let read = |object: &Object| {
        object.call(
            &value,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
    };
    assert!(read(&s.object).is_ok());
    s.object
        .master(SetPolicies {
            policies: policies(r#"{"policies": [{"glob": "prod/*", "sensitive": 2}]}"#),
        })
        .unwrap();
    let err = read(&s.object).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details.get("required_approvals"), Some(&Value::from(2)));
    assert_eq!(detail(&err, "tier").as_deref(), Some("sensitive"));
}
