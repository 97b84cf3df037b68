//! Access requests: asking to read (a single-use wrap once approved) or patch (the next
//! version once approved) a secret, deciding, cancelling, and collecting the wrap.

use crate::support::{Object, event, path};
use latchkey_contract::caller::access_requests::{
    ApproveAccess, CancelAccess, CreateAccessRequest, GetAccessRequest, ListAccessRequests,
    RejectAccess, RequestWrap, RequestWraps,
};
use latchkey_contract::caller::agents::CreateBootstrap;
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_core::access_request::{
    AccessKind, AccessRequestId, AccessRequestView, NewAccessRequest, RequestQuery,
};
use latchkey_core::agent::BootstrapRequest;
use latchkey_core::approval::{ApprovalStatus, Policies};
use latchkey_core::secret::Tier;
use latchkey_core::wrap::{WrapId, WrapStatus};
use latchkey_core::{ApiError, ErrorCode};

fn read_request(at: &str) -> NewAccessRequest {
    let body = format!(r#"{{"path": "{at}", "reason": "incident 42"}}"#);
    NewAccessRequest::parse_read(body.as_bytes()).unwrap()
}

fn patch_request(at: &str, value: &str) -> NewAccessRequest {
    let body = format!(r#"{{"path": "{at}", "value": "{value}", "reason": "rotate after leak"}}"#);
    NewAccessRequest::parse_patch(body.as_bytes()).unwrap()
}

fn file(object: &Object, key: &str, request: NewAccessRequest) -> AccessRequestView {
    object.call(key, CreateAccessRequest { request }).unwrap()
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
            comment: Some("ok".to_owned()),
        },
    )
}

/// A requester who reaches no secret: every request it files is blind.
fn outsider(object: &Object) -> String {
    object.token(r#"{"scope": "audit:read", "ttl_seconds": 86400}"#)
}

/// An approver minted by the master key (only an admin hands out `approvals:decide`).
fn approver(object: &Object) -> String {
    object.token_with("approvals:decide")
}

fn value_of(object: &Object, at: &str) -> String {
    let read = object
        .master(GetSecret {
            path: path(at),
            version: None,
        })
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&read.body).unwrap();
    body["value"].as_str().unwrap().to_owned()
}

fn list(object: &Object, key: &str, query: RequestQuery) -> Vec<AccessRequestView> {
    object.call(key, ListAccessRequests { query }).unwrap()
}

fn unknown_request() -> AccessRequestId {
    AccessRequestId::parse("req_0123456789abcdef01234567").unwrap()
}

fn actor_of(object: &Object, token: &str) -> String {
    let hash = Object::hash_of(token).to_hex();
    object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"))[0]
        .text(0)
        .unwrap()
}

/// A read request by an outsider, approved by the master key: the requester and the view.
fn approved_read(object: &Object, at: &str) -> (String, AccessRequestView) {
    let requester = outsider(object);
    let filed = file(object, &requester, read_request(at));
    let approved = approve(object, &object.master.clone(), &filed.id).unwrap();
    (requester, approved)
}

// --- CreateAccessRequest ---------------------------------------------------------------------

#[test]
fn read_request_by_someone_who_cannot_see_the_path_is_filed_blind() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value", "tier": "critical"}"#);
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    assert_eq!(filed.kind, AccessKind::Read);
    assert_eq!(filed.status, "pending");
    assert_eq!(filed.requester_id, actor_of(&object, &requester));
    assert_eq!(
        filed.tier, None,
        "the tier is not shown to a blind requester"
    );
    assert_eq!(filed.required_approvals, None);
    assert_eq!(filed.ttl_seconds, Some(3_600));
    assert_eq!(filed.expires_at, object.now().plus_seconds(86_400));
    let rows =
        object.rows("SELECT kind, tier, status, blind, ciphertext IS NULL FROM access_requests");
    assert_eq!(rows[0].text(0).unwrap(), "read");
    assert_eq!(rows[0].text(1).unwrap(), "critical");
    assert_eq!(rows[0].text(2).unwrap(), "pending");
    assert_eq!(rows[0].int(3).unwrap(), 1);
    assert_eq!(rows[0].int(4).unwrap(), 1);
    let trail = object.rows(
        "SELECT path, details FROM audit_events WHERE type = 'request.created' AND success = 1",
    );
    assert_eq!(trail[0].text(0).unwrap(), "prod/db");
    assert!(trail[0].text(1).unwrap().contains(r#""kind":"read""#));
    // The approver sees the truth.
    let seen = object
        .master(GetAccessRequest {
            id: filed.id.clone(),
        })
        .unwrap();
    assert_eq!(seen.tier, Some(Tier::Critical));
    assert_eq!(seen.required_approvals, Some(2));
}

#[test]
fn blind_request_for_a_missing_secret_reads_the_same_as_for_a_present_one() {
    let object = Object::new();
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/nothing"));
    assert_eq!(filed.status, "pending");
    assert_eq!(filed.tier, None);
    assert_eq!(filed.required_approvals, None);
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE tier = 'none'"),
        1
    );
    // Approving a request for nothing fails, and changes nothing.
    let err = approve(&object, &object.master.clone(), &filed.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE status = 'pending'"),
        1
    );
    assert_eq!(
        object.count("SELECT count(*) FROM access_request_decisions"),
        0
    );
}

#[test]
fn read_request_by_someone_who_sees_the_path_shows_the_tier_it_needs() {
    let object = Object::new();
    // Cleared for standard: the sensitive secret is created after the token.
    let requester = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/vault", "value": "v", "tier": "sensitive"}"#);
    let filed = file(&object, &requester, read_request("prod/vault"));
    assert_eq!(filed.tier, Some(Tier::Sensitive));
    assert_eq!(filed.required_approvals, Some(1));
    assert_eq!(object.count("SELECT blind FROM access_requests"), 0);
}

#[test]
fn read_request_for_a_missing_path_one_can_see_is_not_found() {
    let object = Object::new();
    let requester = object.token_with("secrets:read:prod/*");
    let err = object
        .call(
            &requester,
            CreateAccessRequest {
                request: read_request("prod/missing"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM access_requests"), 0);
    assert_eq!(object.last_event(), event("request.created", false));
}

#[test]
fn read_request_for_a_fields_only_secret_is_a_conflict() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"host": "db.internal"}}"#);
    let requester = object.token_with("secrets:read:prod/*");
    let err = object
        .call(
            &requester,
            CreateAccessRequest {
                request: read_request("prod/db"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.count("SELECT count(*) FROM access_requests"), 0);
}

#[test]
fn patch_request_keeps_its_value_sealed() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "old-value"}"#);
    let requester = outsider(&object);
    let filed = file(
        &object,
        &requester,
        patch_request("prod/db", "patched-value-42"),
    );
    assert_eq!(filed.kind, AccessKind::Patch);
    assert_eq!(filed.ttl_seconds, None);
    let rows = object
        .rows("SELECT hex(ciphertext), hex(wrapped_data_key), state, reason FROM access_requests");
    let sealed = rows[0].text(0).unwrap();
    assert!(!sealed.is_empty());
    assert!(!rows[0].text(1).unwrap().is_empty());
    let plain_hex: String = "patched-value-42"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(!sealed.contains(&plain_hex));
    assert!(!rows[0].text(2).unwrap().contains("patched-value-42"));
    assert_eq!(
        value_of(&object, "prod/db"),
        "old-value",
        "nothing applied yet"
    );
}

#[test]
fn request_with_a_bootstrap_token_is_refused() {
    let object = Object::new();
    let boot = object
        .master(CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let err = object
        .call(
            &boot.token,
            CreateAccessRequest {
                request: read_request("prod/db"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(object.count("SELECT count(*) FROM access_requests"), 0);
    assert_eq!(object.last_event(), event("request.created", false));
}

#[test]
fn a_hundred_undecided_requests_stop_further_ones() {
    let object = Object::new();
    let requester = outsider(&object);
    for i in 0..100 {
        file(&object, &requester, read_request(&format!("prod/s{i}")));
    }
    let err = object
        .call(
            &requester,
            CreateAccessRequest {
                request: read_request("prod/one-more"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    // When the first one expires, a slot frees: the client is told how long to wait.
    let retry_after = err.details["retry_after"].as_u64().unwrap();
    assert!(retry_after >= 1, "retry_after {retry_after}");
    assert_eq!(object.count("SELECT count(*) FROM access_requests"), 100);
    // Someone else may still ask.
    file(&object, &outsider(&object), read_request("prod/other"));
}

// --- ListAccessRequests / GetAccessRequest ---------------------------------------------------

#[test]
fn requesters_list_their_own_and_approvers_list_all() {
    let object = Object::new();
    let first = outsider(&object);
    let second = outsider(&object);
    let mine = file(&object, &first, read_request("prod/a"));
    object.advance(1);
    let theirs = file(&object, &second, read_request("prod/b"));
    let own = list(&object, &first, RequestQuery::default());
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].id, mine.id);
    assert_eq!(object.last_event(), event("request.listed", true));
    let all = list(&object, &approver(&object), RequestQuery::default());
    let ids: Vec<&AccessRequestId> = all.iter().map(|r| &r.id).collect();
    assert_eq!(ids, vec![&theirs.id, &mine.id], "newest first");
    let by_requester = list(
        &object,
        &object.master.clone(),
        RequestQuery {
            requester_id: Some(actor_of(&object, &second)),
            status: None,
        },
    );
    assert_eq!(by_requester.len(), 1);
    assert_eq!(by_requester[0].id, theirs.id);
}

#[test]
fn list_filters_by_status_and_counts_expiry() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/a", "value": "a-value"}"#);
    let requester = outsider(&object);
    let decided = file(&object, &requester, read_request("prod/a"));
    let waiting = file(&object, &requester, read_request("prod/b"));
    object
        .master(RejectAccess {
            id: decided.id.clone(),
            reason: None,
        })
        .unwrap();
    let status = |status| {
        list(
            &object,
            &requester,
            RequestQuery {
                requester_id: None,
                status: Some(status),
            },
        )
    };
    assert_eq!(status(ApprovalStatus::Pending)[0].id, waiting.id);
    let rejected = status(ApprovalStatus::Denied);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].status, "rejected");
    // The requester's token lives a day too: the master key lists past the day.
    let status = |status| {
        list(
            &object,
            &object.master.clone(),
            RequestQuery {
                requester_id: None,
                status: Some(status),
            },
        )
    };
    object.advance(86_400);
    assert!(status(ApprovalStatus::Pending).is_empty());
    let expired = status(ApprovalStatus::Expired);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, waiting.id);
    assert_eq!(expired[0].status, "expired");
}

#[test]
fn get_shows_a_request_to_its_requester_and_approvers_only() {
    let object = Object::new();
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/a"));
    let own = object
        .call(
            &requester,
            GetAccessRequest {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert_eq!(own.id, filed.id);
    assert_eq!(object.last_event(), event("request.read", true));
    object
        .call(
            &approver(&object),
            GetAccessRequest {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    let stranger = outsider(&object);
    let err = object
        .call(
            &stranger,
            GetAccessRequest {
                id: filed.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "as if it did not exist");
    assert_eq!(err.details["id"], filed.id.as_str());
    assert_eq!(object.last_event(), event("request.read", false));
    let unknown = object
        .master(GetAccessRequest {
            id: unknown_request(),
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

// --- ApproveAccess ---------------------------------------------------------------------------

#[test]
fn approved_read_request_leaves_a_wrap_for_the_requester() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    object.advance(5);
    let (_, approved) = approved_read(&object, "prod/db");
    assert_eq!(approved.status, "approved");
    assert_eq!(approved.decided_at, Some(object.now()));
    assert_eq!(approved.approvals.len(), 1);
    assert_eq!(approved.approvals[0].approver_id, "master");
    assert_eq!(approved.approvals[0].decision, "approve");
    assert_eq!(approved.approvals[0].comment.as_deref(), Some("ok"));
    let wrap = approved.wrap_id.clone().expect("a wrap");
    let rows = object.rows("SELECT request_id, path, version, token_hash, expires_at FROM wraps");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text(0).unwrap(), approved.id.as_str());
    assert_eq!(rows[0].text(1).unwrap(), "prod/db");
    assert_eq!(rows[0].int(2).unwrap(), 1);
    assert_eq!(
        rows[0].opt_text(3).unwrap(),
        None,
        "no token: only the requester"
    );
    assert_eq!(
        rows[0].int(4).unwrap(),
        object.now().plus_seconds(3_600).unix_ms()
    );
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM access_requests WHERE wrap_id = '{wrap}' AND status = 'approved'"
        )),
        1
    );
    assert_eq!(object.last_event(), event("request.approved", true));
}

#[test]
fn approved_patch_request_becomes_the_next_version_and_its_sealed_value_goes() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "old-value"}"#);
    let requester = outsider(&object);
    let filed = file(
        &object,
        &requester,
        patch_request("prod/db", "patched-value"),
    );
    let approved = approve(&object, &object.master.clone(), &filed.id).unwrap();
    assert_eq!(approved.applied_version, Some(2));
    assert_eq!(approved.wrap_id, None);
    assert_eq!(value_of(&object, "prod/db"), "patched-value");
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE ciphertext IS NULL AND wrapped_data_key IS NULL"),
        1
    );
    assert_eq!(
        object.count("SELECT applied_version FROM access_requests"),
        2
    );
}

#[test]
fn critical_secret_needs_two_distinct_approvers() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/root", "value": "root-value", "tier": "critical"}"#);
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/root"));
    let first = approver(&object);
    let once = approve(&object, &first, &filed.id).unwrap();
    assert_eq!(once.status, "pending");
    assert_eq!(once.wrap_id, None);
    let twice = approve(&object, &first, &filed.id).unwrap_err();
    assert_eq!(twice.code, ErrorCode::Conflict);
    assert_eq!(object.last_event(), event("request.approved", false));
    assert_eq!(
        object.count("SELECT count(*) FROM access_request_decisions"),
        1
    );
    let done = approve(&object, &object.master.clone(), &filed.id).unwrap();
    assert_eq!(done.status, "approved");
    assert_eq!(done.approvals.len(), 2);
    assert!(done.wrap_id.is_some());
}

#[test]
fn approve_without_approvals_decide_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    let err = approve(&object, &outsider(&object), &filed.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "approvals:decide");
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    assert_eq!(object.last_event(), event("request.approved", false));
}

#[test]
fn nobody_approves_their_own_request() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let both = approver(&object);
    let filed = file(&object, &both, read_request("prod/db"));
    let err = approve(&object, &both, &filed.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("nobody decides"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE status = 'pending'"),
        1
    );
}

#[test]
fn approve_after_expiry_is_a_conflict() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    object.advance(86_400);
    let err = approve(&object, &object.master.clone(), &filed.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
}

// --- RejectAccess ----------------------------------------------------------------------------

#[test]
fn rejected_patch_is_never_applied_and_its_value_is_erased() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "old-value"}"#);
    let requester = outsider(&object);
    let filed = file(
        &object,
        &requester,
        patch_request("prod/db", "patched-value"),
    );
    let rejected = object
        .master(RejectAccess {
            id: filed.id.clone(),
            reason: Some("no".to_owned()),
        })
        .unwrap();
    assert_eq!(rejected.status, "rejected");
    assert_eq!(rejected.approvals[0].decision, "reject");
    assert_eq!(rejected.approvals[0].comment.as_deref(), Some("no"));
    assert_eq!(object.last_event(), event("request.rejected", true));
    assert_eq!(value_of(&object, "prod/db"), "old-value");
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE ciphertext IS NULL"),
        1
    );
    let late = approve(&object, &object.master.clone(), &filed.id).unwrap_err();
    assert_eq!(late.code, ErrorCode::Conflict);
}

#[test]
fn reject_by_someone_who_may_not_decide_is_refused() {
    let object = Object::new();
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    let err = object
        .call(
            &requester,
            RejectAccess {
                id: filed.id.clone(),
                reason: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("request.rejected", false));
    let unknown = object
        .master(RejectAccess {
            id: unknown_request(),
            reason: None,
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

// --- CancelAccess ----------------------------------------------------------------------------

#[test]
fn requester_cancels_a_pending_request() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "old-value"}"#);
    let requester = outsider(&object);
    let filed = file(
        &object,
        &requester,
        patch_request("prod/db", "patched-value"),
    );
    let cancelled = object
        .call(
            &requester,
            CancelAccess {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(cancelled.approvals[0].decision, "cancel");
    assert_eq!(object.last_event(), event("request.cancelled", true));
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE ciphertext IS NULL"),
        1
    );
    let again = object
        .call(&requester, CancelAccess { id: filed.id })
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
}

#[test]
fn only_the_requester_may_cancel() {
    let object = Object::new();
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    let err = object
        .master(CancelAccess {
            id: filed.id.clone(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("request.cancelled", false));
    let stranger = object
        .call(&outsider(&object), CancelAccess { id: filed.id })
        .unwrap_err();
    assert_eq!(stranger.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE status = 'pending'"),
        1
    );
}

#[test]
fn an_approved_read_request_can_no_longer_be_cancelled() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let (requester, approved) = approved_read(&object, "prod/db");
    let err = object
        .call(&requester, CancelAccess { id: approved.id })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

// --- RequestWraps / RequestWrap --------------------------------------------------------------

#[test]
fn requester_lists_the_wraps_without_values() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let requester = outsider(&object);
    let filed = file(&object, &requester, read_request("prod/db"));
    let none = object
        .call(
            &requester,
            RequestWraps {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert!(none.is_empty());
    let approved = approve(&object, &object.master.clone(), &filed.id).unwrap();
    let wraps = object
        .call(
            &requester,
            RequestWraps {
                id: filed.id.clone(),
            },
        )
        .unwrap();
    assert_eq!(wraps.len(), 1);
    assert_eq!(Some(&wraps[0].id), approved.wrap_id.as_ref());
    assert_eq!(wraps[0].status, WrapStatus::Available);
    assert_eq!(wraps[0].version, Some(1));
    assert_eq!(object.last_event(), event("wrap.listed", true));
}

#[test]
fn approvers_do_not_see_the_requesters_wraps() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let (_, approved) = approved_read(&object, "prod/db");
    let err = object
        .master(RequestWraps {
            id: approved.id.clone(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), event("wrap.listed", false));
    let err = object
        .master(RequestWrap {
            id: approved.id,
            wrap_id: approved.wrap_id.unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM wraps WHERE retrieved_at IS NULL"),
        1
    );
}

#[test]
fn requester_retrieves_the_wrap_once() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let (requester, approved) = approved_read(&object, "prod/db");
    let wrap = approved.wrap_id.clone().unwrap();
    object.advance(10);
    let unwrapped = object
        .call_for(
            &requester,
            Some("incident 42"),
            RequestWrap {
                id: approved.id.clone(),
                wrap_id: wrap.clone(),
            },
        )
        .unwrap();
    assert_eq!(unwrapped.value, "db-value");
    assert_eq!(unwrapped.id, wrap);
    assert_eq!(unwrapped.path.as_ref().map(|p| p.as_str()), Some("prod/db"));
    assert_eq!(unwrapped.version, Some(1));
    let trail = object
        .rows("SELECT details FROM audit_events WHERE type = 'wrap.unwrapped' AND success = 1");
    let details = trail[0].text(0).unwrap();
    assert!(details.contains(r#""purpose":"incident 42""#), "{details}");
    assert!(details.contains(wrap.as_str()), "{details}");
    assert!(!details.contains("db-value"));
    assert_eq!(
        object.count("SELECT retrieved_at FROM wraps"),
        object.now().unix_ms()
    );
    assert_eq!(
        object.count("SELECT count(*) FROM wraps WHERE length(ciphertext) = 0"),
        1
    );
    let again = object
        .call(
            &requester,
            RequestWrap {
                id: approved.id.clone(),
                wrap_id: wrap.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Gone);
    assert_eq!(object.last_event(), event("wrap.unwrapped", false));
    let listed = object
        .call(&requester, RequestWraps { id: approved.id })
        .unwrap();
    assert_eq!(listed[0].status, WrapStatus::Retrieved);
}

#[test]
fn a_wrap_left_past_its_ttl_is_gone() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let (requester, approved) = approved_read(&object, "prod/db");
    object.advance(3_600);
    let err = object
        .call(
            &requester,
            RequestWrap {
                id: approved.id,
                wrap_id: approved.wrap_id.unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Gone);
    assert!(err.message.contains("expired"), "{}", err.message);
}

#[test]
fn retrieving_an_unknown_wrap_is_not_found() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let (requester, approved) = approved_read(&object, "prod/db");
    let err = object
        .call(
            &requester,
            RequestWrap {
                id: approved.id,
                wrap_id: WrapId::parse("wrp_0123456789abcdef01234567").unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn a_critical_wrap_under_a_purpose_policy_needs_the_purpose() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/root", "value": "root-value", "tier": "critical"}"#);
    object
        .master(SetPolicies {
            policies: Policies::parse(
                br#"{"policies": [{"glob": "prod/*", "critical": 1, "require_purpose": true}]}"#,
            )
            .unwrap(),
        })
        .unwrap();
    let (requester, approved) = approved_read(&object, "prod/root");
    let wrap = approved
        .wrap_id
        .clone()
        .expect("one approval is enough now");
    let err = object
        .call(
            &requester,
            RequestWrap {
                id: approved.id.clone(),
                wrap_id: wrap.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    assert_eq!(
        object.count("SELECT count(*) FROM wraps WHERE retrieved_at IS NULL"),
        1,
        "the wrap is kept"
    );
    let unwrapped = object
        .call_for(
            &requester,
            Some("incident 42"),
            RequestWrap {
                id: approved.id,
                wrap_id: wrap,
            },
        )
        .unwrap();
    assert_eq!(unwrapped.value, "root-value");
}
