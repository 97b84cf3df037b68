//! Notification channels (stored sealed, never shown back) and the approval links their
//! messages carry: reviewing and deciding by a signed, single-use, expiring link.

use crate::support::{Object, detail, root_key};
use latchkey_contract::caller::approvals::{DenyRequest, GetApproval};
use latchkey_contract::caller::notifications::{GetNotifications, SetNotifications};
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_contract::link::{DecideByLink, LinkReview, ReviewLink};
use latchkey_core::approval::{ApprovalId, ApprovalStatus, ApprovalView};
use latchkey_core::crypto::DerivedKey;
use latchkey_core::notification::{LinkClaims, NotificationConfig, OutboundPolicy, sign_link};
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode};
use serde_json::{Value, json};

const SLACK: &str = "https://hooks.slack.com/services/T000/B000/slack-secret-path";
const WEBHOOK_SECRET: &str = "webhook-shared-secret-0123";

fn config(json: &str) -> NotificationConfig {
    NotificationConfig::parse(
        json.as_bytes(),
        OutboundPolicy {
            allow_http_loopback: false,
        },
    )
    .unwrap()
}

fn every_channel() -> NotificationConfig {
    config(&format!(
        r#"{{"slack_webhook_url": "{SLACK}",
            "webhook": {{"url": "https://hooks.example.com/latchkey", "secret": "{WEBHOOK_SECRET}"}},
            "email": {{"to": ["alice@example.com", "Bob@Example.com"]}}}}"#
    ))
}

fn set(object: &Object, config: NotificationConfig) -> Value {
    object.master(SetNotifications { config }).unwrap()
}

/// A requester token minted before any secret exists, then a sensitive secret its scope
/// reaches: its next token needs an approval.
fn requester(object: &Object) -> String {
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    requester
}

fn ask(object: &Object, key: &str) -> ApprovalView {
    let request =
        TokenRequest::parse_with_min_ttl(br#"{"scope": "secrets:read:prod/*"}"#, 1).unwrap();
    match object.call(key, CreateToken { request }).unwrap() {
        TokenMinted::Pending(view) => *view,
        TokenMinted::Created(created) => panic!("minted at once: {}", created.id),
    }
}

/// The key the tenant signs its links with, derived as the object derives it.
fn link_key(object: &Object) -> DerivedKey {
    let rows = object.rows("SELECT hex(wrapped_tenant_key) FROM tenant");
    let wrapped = rows.first().unwrap().blob(0).unwrap();
    root_key()
        .unwrap_tenant_key(object.tenant_id.as_str(), &wrapped)
        .unwrap()
        .derive("approval-links")
}

/// The claims of the link the email to `recipient` about `approval` carries.
fn claims(object: &Object, approval: &ApprovalId, recipient: &str) -> LinkClaims {
    let rows = object.rows(&format!(
        "SELECT nonce, link_expires_at FROM deliveries
         WHERE request_id = '{approval}' AND recipient = '{recipient}'"
    ));
    let row = rows.first().unwrap();
    LinkClaims {
        approval: approval.clone(),
        approver: format!("email:{recipient}"),
        expires_ms: row.int(1).unwrap(),
        nonce: row.text(0).unwrap(),
    }
}

/// The link token the email to `recipient` carries.
fn link(object: &Object, approval: &ApprovalId, recipient: &str) -> String {
    sign_link(
        link_key(object).as_bytes(),
        &claims(object, approval, recipient),
    )
}

fn review(object: &Object, id: &ApprovalId, token: &str) -> Result<LinkReview, ApiError> {
    object.operator(ReviewLink {
        id: id.clone(),
        token: token.to_owned(),
    })
}

fn decide(
    object: &Object,
    id: &ApprovalId,
    token: &str,
    approve: bool,
) -> Result<LinkReview, ApiError> {
    object.operator(DecideByLink {
        id: id.clone(),
        token: token.to_owned(),
        approve,
        note: Some("by link".into()),
    })
}

/// A tenant with an email approver (`alice@example.com`, `bob@example.com`), a requester and
/// its pending request.
fn linked(object: Object) -> (Object, String, ApprovalView) {
    set(
        &object,
        config(r#"{"email": {"to": ["alice@example.com", "bob@example.com"]}}"#),
    );
    let requester = requester(&object);
    let view = ask(&object, &requester);
    (object, requester, view)
}

/// The newest event of `event_type`: its actor, success and details.
fn event(object: &Object, event_type: &str) -> (String, bool, Value) {
    let rows = object.rows(&format!(
        "SELECT actor, success, details FROM audit_events WHERE type = '{event_type}'
         ORDER BY seq DESC LIMIT 1"
    ));
    let row = rows.first().unwrap();
    (
        row.text(0).unwrap(),
        row.int(1).unwrap() == 1,
        serde_json::from_str(&row.text(2).unwrap()).unwrap(),
    )
}

fn count(object: &Object, event_type: &str) -> i64 {
    object.count(&format!(
        "SELECT count(*) FROM audit_events WHERE type = '{event_type}'"
    ))
}

/// Refusals of links are written by the next write-back: an authenticated request does it.
fn flush_deferred(object: &Object) {
    object.master(GetNotifications).unwrap();
}

#[test]
fn get_notifications_starts_with_every_channel_off() {
    let object = Object::new();
    let shown = object.master(GetNotifications).unwrap();
    assert_eq!(
        shown,
        json!({"slack": null, "webhook": null, "email": null})
    );
    assert_eq!(object.last_event(), ("notifications.read".to_owned(), true));
    assert_eq!(object.count("SELECT count(*) FROM notification_config"), 0);
}

#[test]
fn set_notifications_answers_and_stores_the_channels_without_their_secrets() {
    let object = Object::new();
    let shown = set(&object, every_channel());
    assert_eq!(
        shown,
        json!({
            "slack": {"configured": true, "host": "hooks.slack.com"},
            "webhook": {"url": "https://hooks.example.com/latchkey", "secret_set": true},
            "email": {"to": ["alice@example.com", "bob@example.com"]},
        })
    );
    let text = shown.to_string();
    assert!(!text.contains("slack-secret-path") && !text.contains(WEBHOOK_SECRET));
    assert_eq!(
        object.last_event(),
        ("notifications.updated".to_owned(), true)
    );
    // Stored sealed: neither secret is in the row.
    let rows = object
        .rows("SELECT hex(wrapped_data_key), hex(ciphertext), updated_at FROM notification_config");
    assert_eq!(rows.len(), 1);
    let row = rows.first().unwrap();
    let stored = String::from_utf8_lossy(&row.blob(1).unwrap()).into_owned();
    assert!(!stored.contains("slack-secret-path") && !stored.contains(WEBHOOK_SECRET));
    assert!(!stored.contains("alice@example.com"));
    assert_eq!(row.int(2).unwrap(), object.now().unix_ms());
    // Nor in the audit trail.
    let trail: Vec<String> = object
        .rows("SELECT details FROM audit_events")
        .iter()
        .map(|row| row.text(0).unwrap())
        .collect();
    assert!(!trail.concat().contains(WEBHOOK_SECRET));
}

#[test]
fn get_notifications_after_set_shows_the_same_view() {
    let object = Object::new();
    let answered = set(&object, every_channel());
    let shown = object.master(GetNotifications).unwrap();
    assert_eq!(shown, answered);
    assert!(!shown.to_string().contains(WEBHOOK_SECRET));
}

#[test]
fn set_notifications_replaces_every_channel() {
    let object = Object::new();
    set(&object, every_channel());
    object.advance(5);
    let shown = set(
        &object,
        config(r#"{"email": {"to": ["carol@example.com"]}}"#),
    );
    assert_eq!(
        shown,
        json!({"slack": null, "webhook": null, "email": {"to": ["carol@example.com"]}})
    );
    assert_eq!(object.master(GetNotifications).unwrap(), shown);
    assert_eq!(object.count("SELECT count(*) FROM notification_config"), 1);
    let off = set(&object, NotificationConfig::default());
    assert_eq!(off, json!({"slack": null, "webhook": null, "email": null}));
}

#[test]
fn notifications_need_admin() {
    let object = Object::new();
    set(&object, every_channel());
    let token = object.token(
        r#"{"scope": ["tokens:create", "approvals:decide", "policies:write", "audit:read"]}"#,
    );
    let err = object.call(&token, GetNotifications).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "required_scope").as_deref(), Some("admin"));
    assert_eq!(
        object.last_event(),
        ("notifications.read".to_owned(), false)
    );
    let err = object
        .call(
            &token,
            SetNotifications {
                config: NotificationConfig::default(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "required_scope").as_deref(), Some("admin"));
    assert_eq!(
        object.last_event(),
        ("notifications.updated".to_owned(), false)
    );
    // Nothing changed.
    assert_eq!(
        object.master(GetNotifications).unwrap()["slack"]["configured"],
        true
    );
}

#[test]
fn a_new_request_queues_one_message_per_approver() {
    let object = Object::new();
    set(&object, every_channel());
    let requester = requester(&object);
    let view = ask(&object, &requester);
    let rows = object.rows(&format!(
        "SELECT channel, recipient, status, attempts, nonce, link_expires_at, next_attempt_at
         FROM deliveries WHERE request_id = '{}' ORDER BY id",
        view.id
    ));
    let queued: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.text(0).unwrap(), row.text(1).unwrap()))
        .collect();
    assert_eq!(
        queued,
        [
            ("email".to_owned(), "alice@example.com".to_owned()),
            ("email".to_owned(), "bob@example.com".to_owned()),
            ("slack".to_owned(), "slack".to_owned()),
            ("webhook".to_owned(), "webhook".to_owned()),
        ]
    );
    let mut nonces: Vec<String> = rows.iter().map(|row| row.text(4).unwrap()).collect();
    for row in &rows {
        assert_eq!(row.text(2).unwrap(), "pending");
        assert_eq!(row.int(3).unwrap(), 0);
        assert_eq!(row.int(5).unwrap(), view.expires_at.unix_ms());
        assert_eq!(row.int(6).unwrap(), object.now().unix_ms());
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "each approver's link is its own");
    // Approvers see the messages; the requester does not learn who they are.
    let by_master: ApprovalView = object
        .master(GetApproval {
            id: view.id.clone(),
        })
        .unwrap();
    assert_eq!(by_master.notifications.len(), 4);
    let by_requester: ApprovalView = object
        .call(
            &requester,
            GetApproval {
                id: view.id.clone(),
            },
        )
        .unwrap();
    assert!(by_requester.notifications.is_empty());
}

#[test]
fn a_new_request_without_channels_queues_nothing() {
    let object = Object::new();
    let requester = requester(&object);
    ask(&object, &requester);
    assert_eq!(object.count("SELECT count(*) FROM deliveries"), 0);
}

#[test]
fn review_link_shows_the_request_and_its_approver_without_using_the_link() {
    let (object, _, view) = linked(Object::new());
    let token = link(&object, &view.id, "alice@example.com");
    for _ in 0..2 {
        let shown = review(&object, &view.id, &token).unwrap();
        assert_eq!(shown.approver, "email:alice@example.com");
        assert_eq!(shown.view.id, view.id);
        assert_eq!(shown.view.status, ApprovalStatus::Pending);
        assert_eq!(shown.view.required_approvals, 1);
        assert!(shown.view.token.is_none());
    }
    assert_eq!(object.count("SELECT count(*) FROM used_links"), 0);
    assert_eq!(object.count("SELECT count(*) FROM approval_decisions"), 0);
    assert_eq!(
        object.last_event(),
        ("approval.link_opened".to_owned(), true)
    );
    let (actor, _, details) = event(&object, "approval.link_opened");
    assert_eq!(actor, "email:alice@example.com");
    assert_eq!(details["approval_id"], view.id.as_str());
    assert_eq!(details["status"], "pending");
    assert_eq!(count(&object, "approval.link_opened"), 2);
}

#[test]
fn decide_by_link_approves_as_the_links_approver_and_uses_it_up() {
    let (object, requester, view) = linked(Object::new());
    let token = link(&object, &view.id, "alice@example.com");
    let decided = decide(&object, &view.id, &token, true).unwrap();
    assert_eq!(decided.approver, "email:alice@example.com");
    assert_eq!(decided.view.status, ApprovalStatus::Approved);
    assert_eq!(decided.view.approvers, ["email:alice@example.com"]);
    let decision = decided.view.decisions.first().unwrap();
    assert_eq!(decision.decision, "approve");
    assert_eq!(decision.note.as_deref(), Some("by link"));
    assert_eq!(object.last_event(), ("approval.approved".to_owned(), true));
    let (actor, _, details) = event(&object, "approval.approved");
    assert_eq!(actor, "email:alice@example.com");
    assert_eq!(details["status"], "approved");
    let used = object.rows("SELECT nonce, approval_id, approver, used_at FROM used_links");
    assert_eq!(used.len(), 1);
    let row = used.first().unwrap();
    assert_eq!(
        row.text(0).unwrap(),
        claims(&object, &view.id, "alice@example.com").nonce
    );
    assert_eq!(row.text(1).unwrap(), view.id.as_str());
    assert_eq!(row.text(2).unwrap(), "email:alice@example.com");
    assert_eq!(row.int(3).unwrap(), object.now().unix_ms());

    // Used once: refused after, for the page too, and nothing changes.
    for err in [
        decide(&object, &view.id, &token, false).unwrap_err(),
        review(&object, &view.id, &token).unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(detail(&err, "link").as_deref(), Some("used"));
    }
    assert_eq!(object.count("SELECT count(*) FROM approval_decisions"), 1);
    // The requester's next poll releases the token.
    let released: ApprovalView = object
        .call(
            &requester,
            GetApproval {
                id: view.id.clone(),
            },
        )
        .unwrap();
    assert!(released.token.unwrap().value.is_some());
}

#[test]
fn decide_by_link_deny_ends_the_request() {
    let (object, _, view) = linked(Object::new());
    let token = link(&object, &view.id, "bob@example.com");
    let decided = decide(&object, &view.id, &token, false).unwrap();
    assert_eq!(decided.view.status, ApprovalStatus::Denied);
    assert_eq!(decided.approver, "email:bob@example.com");
    assert_eq!(object.last_event(), ("approval.denied".to_owned(), true));
    // Alice's link still opens, on a decided request, but cannot decide it.
    let alice = link(&object, &view.id, "alice@example.com");
    assert_eq!(
        review(&object, &view.id, &alice).unwrap().view.status,
        ApprovalStatus::Denied
    );
    let err = decide(&object, &view.id, &alice, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM used_links"), 1);
}

#[test]
fn decide_by_link_on_a_decided_request_leaves_the_link_unused_and_unrecorded() {
    let (object, _, view) = linked(Object::new());
    object
        .master(DenyRequest {
            id: view.id.clone(),
            reason: None,
        })
        .unwrap();
    let events = object.events().len();
    let token = link(&object, &view.id, "alice@example.com");
    let err = decide(&object, &view.id, &token, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(!err.details.contains_key("link"));
    assert_eq!(object.count("SELECT count(*) FROM used_links"), 0);
    flush_deferred(&object);
    // Only the flush's own event: the refused decision is not a refused link.
    assert_eq!(object.events().len(), events + 1);
    assert_eq!(count(&object, "link.refused"), 0);
}

#[test]
fn link_garbage_is_refused_as_forged_and_recorded_as_link_refused() {
    let (object, _, view) = linked(Object::new());
    for token in ["", "garbage", "a.b", "!!.!!"] {
        for err in [
            review(&object, &view.id, token).unwrap_err(),
            decide(&object, &view.id, token, true).unwrap_err(),
        ] {
            assert_eq!(err.code, ErrorCode::PermissionDenied, "{token}");
            assert_eq!(err.message, "this link is not valid");
            assert_eq!(detail(&err, "link").as_deref(), Some("forged"));
        }
    }
    assert_eq!(object.count("SELECT count(*) FROM used_links"), 0);
    assert_eq!(object.count("SELECT count(*) FROM approval_decisions"), 0);
    // Kept in memory until the next write-back.
    assert_eq!(count(&object, "link.refused"), 0);
    flush_deferred(&object);
    assert_eq!(count(&object, "link.refused"), 8);
    let (actor, success, details) = event(&object, "link.refused");
    assert_eq!(actor, "anonymous");
    assert!(!success);
    assert_eq!(details["link"], "forged");
    assert_eq!(details["approval_id"], view.id.as_str());
    // The refusals go before the flush's own event: the chain stays in time order.
    assert_eq!(object.last_event(), ("notifications.read".to_owned(), true));
}

#[test]
fn link_signed_with_another_key_is_refused_as_forged() {
    let (object, _, view) = linked(Object::new());
    let forged = sign_link(&[7u8; 32], &claims(&object, &view.id, "alice@example.com"));
    let err = decide(&object, &view.id, &forged, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "link").as_deref(), Some("forged"));
    assert_eq!(object.count("SELECT count(*) FROM approval_decisions"), 0);
}

#[test]
fn link_never_issued_is_refused_as_forged() {
    let (object, _, view) = linked(Object::new());
    // Signed with the tenant's key, but for a nonce no message carried.
    let made_up = LinkClaims {
        nonce: "00112233445566778899aabbccddeeff".into(),
        ..claims(&object, &view.id, "alice@example.com")
    };
    let token = sign_link(link_key(&object).as_bytes(), &made_up);
    let err = review(&object, &view.id, &token).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "link").as_deref(), Some("forged"));
}

#[test]
fn link_for_another_request_is_refused() {
    let (object, requester, first) = linked(Object::new());
    let second = ask(&object, &requester);
    let token = link(&object, &first.id, "alice@example.com");
    let err = decide(&object, &second.id, &token, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.message, "this link is not valid");
    assert_eq!(detail(&err, "link").as_deref(), Some("wrong_request"));
    flush_deferred(&object);
    let (_, _, details) = event(&object, "link.refused");
    assert_eq!(details["link"], "wrong_request");
    assert_eq!(details["approval_id"], second.id.as_str());
    assert_eq!(object.count("SELECT count(*) FROM approval_decisions"), 0);
}

#[test]
fn link_past_its_expiry_is_refused() {
    let (object, _, view) = linked(Object::with_config(|c| c.approval_ttl_seconds = 120));
    let token = link(&object, &view.id, "alice@example.com");
    assert_eq!(
        claims(&object, &view.id, "alice@example.com").expires_ms,
        object.now().plus_seconds(120).unix_ms(),
        "a link lasts as long as its request"
    );
    object.advance(119);
    assert!(review(&object, &view.id, &token).is_ok());
    object.advance(1);
    let err = decide(&object, &view.id, &token, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.message, "this link has expired");
    assert_eq!(detail(&err, "link").as_deref(), Some("expired"));
    assert_eq!(object.count("SELECT count(*) FROM used_links"), 0);
}

#[test]
fn link_lasts_at_most_a_day_when_its_request_lasts_longer() {
    let (object, _, view) = linked(Object::with_config(|c| c.approval_ttl_seconds = 200_000));
    assert_eq!(view.expires_at, object.now().plus_seconds(200_000));
    assert_eq!(
        claims(&object, &view.id, "alice@example.com").expires_ms,
        object.now().plus_seconds(86_400).unix_ms()
    );
}
