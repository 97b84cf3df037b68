//! The tenant's rate limit: a fixed one-minute window, refusals with when to retry, the
//! `rate_limited` event, and who is counted (every authenticated caller; not a caller that
//! failed to authenticate).

use crate::support::{Object, path};
use latchkey_contract::caller::approvals::GetApproval;
use latchkey_contract::caller::secrets::{CreateSecret, GetSecret};
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_contract::operator::SetPlan;
use latchkey_contract::{CallerCommand, Channel, TenantResponse};
use latchkey_core::credential::{mint_master_key, mint_token, parse_bearer};
use latchkey_core::ratelimit::RateState;
use latchkey_core::secret::NewSecret;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode, Plan};
use serde_json::Value;

fn limit(object: &Object, per_minute: u64) {
    object
        .operator(SetPlan {
            plan: Plan::Enterprise,
            rate_limit_per_minute: Some(per_minute),
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
}

fn send(object: &Object, key: &str, command: Option<CallerCommand>) -> TenantResponse {
    object.send(Channel::Caller {
        credential: parse_bearer(key).unwrap(),
        purpose: None,
        command,
    })
}

/// A counted request of `key`: its result and the rate state it reports.
fn touch(object: &Object, key: &str) -> (Result<(), ApiError>, Option<RateState>) {
    let response = send(object, key, Some(Touch.into()));
    let result = response.result.map(|raw| {
        assert_eq!(raw.get(), "null");
    });
    (result, response.rate)
}

fn admitted(object: &Object, key: &str) -> RateState {
    let (result, rate) = touch(object, key);
    assert!(result.is_ok(), "{result:?}");
    rate.unwrap()
}

fn refused(object: &Object, key: &str) -> (ApiError, RateState) {
    let (result, rate) = touch(object, key);
    (result.unwrap_err(), rate.unwrap())
}

fn retry_after(err: &ApiError) -> Option<u64> {
    err.details.get("retry_after").and_then(Value::as_u64)
}

fn count(object: &Object, event_type: &str) -> i64 {
    object.count(&format!(
        "SELECT count(*) FROM audit_events WHERE type = '{event_type}'"
    ))
}

#[test]
fn rate_limit_admits_exactly_the_limit_per_minute() {
    let object = Object::new();
    limit(&object, 3);
    let master = object.master.clone();
    let remaining: Vec<u64> = (0..3)
        .map(|_| admitted(&object, &master).remaining)
        .collect();
    assert_eq!(remaining, [2, 1, 0]);
    let (err, rate) = refused(&object, &master);
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(
        err.message.contains("3 requests per minute"),
        "{}",
        err.message
    );
    // The window started on a whole minute: all of it is left to wait.
    assert_eq!(retry_after(&err), Some(60));
    assert_eq!(rate.limit, 3);
    assert_eq!(rate.remaining, 0);
    assert_eq!(rate.retry_after_seconds, Some(60));
    assert_eq!(rate.reset_at, object.now().plus_seconds(60));
    assert_eq!(rate.reset_seconds, 60);
}

#[test]
fn rate_limited_refusal_says_how_long_is_left_of_the_window() {
    let object = Object::new();
    limit(&object, 1);
    let master = object.master.clone();
    admitted(&object, &master);
    object.advance(45);
    let (err, rate) = refused(&object, &master);
    assert_eq!(retry_after(&err), Some(15));
    assert_eq!(rate.retry_after_seconds, Some(15));
    assert_eq!(rate.reset_seconds, 15);
}

#[test]
fn rate_limit_window_resets_after_a_minute() {
    let object = Object::new();
    limit(&object, 2);
    let master = object.master.clone();
    admitted(&object, &master);
    admitted(&object, &master);
    object.advance(59);
    assert_eq!(refused(&object, &master).0.code, ErrorCode::RateLimited);
    object.advance(1);
    let fresh = admitted(&object, &master);
    assert_eq!(fresh.remaining, 1);
    assert_eq!(fresh.retry_after_seconds, None);
    assert_eq!(fresh.reset_at, object.now().plus_seconds(60));
}

#[test]
fn rate_limited_requests_are_recorded_and_do_not_run() {
    let object = Object::new();
    limit(&object, 1);
    let master = object.master.clone();
    admitted(&object, &master);
    let events = object.events().len();
    let body = br#"{"path": "prod/db", "value": "v"}"#;
    let secret = NewSecret::parse(body, object.now()).unwrap();
    let err = object.master(CreateSecret { secret }).unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
    assert_eq!(count(&object, "secret.created"), 0);
    assert_eq!(object.events().len(), events + 1);
    assert_eq!(object.last_event(), ("rate_limited".to_owned(), false));
    let rows =
        object.rows("SELECT path, actor, reason FROM audit_events WHERE type = 'rate_limited'");
    let row = rows.first().unwrap();
    assert_eq!(row.opt_text(0).unwrap().as_deref(), Some("prod/db"));
    assert_eq!(row.text(1).unwrap(), "master");
    assert!(
        row.text(2).unwrap().starts_with("rate_limited: "),
        "{:?}",
        row.text(2)
    );
    // Each refusal is recorded.
    refused(&object, &master);
    assert_eq!(count(&object, "rate_limited"), 2);
}

#[test]
fn rate_limit_counts_every_authenticated_caller_in_one_window() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token(r#"{"scope": "secrets:read:a/*", "max_uses": 5}"#);
    // A fresh window for the counting.
    object.advance(60);
    limit(&object, 3);
    let master = object.master.clone();
    let read = || {
        object.call(
            &token,
            GetSecret {
                path: path("a/x"),
                version: None,
            },
        )
    };
    admitted(&object, &master);
    assert!(read().is_ok());
    admitted(&object, &master);
    let err = read().unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert_eq!(refused(&object, &master).0.code, ErrorCode::RateLimited);
    // A refused request uses nothing of a token.
    assert_eq!(object.count("SELECT uses FROM tokens"), 1);
    object.advance(60);
    assert!(read().is_ok());
    assert_eq!(object.count("SELECT uses FROM tokens"), 2);
}

#[test]
fn rate_limit_counts_requests_the_worker_already_refused() {
    let object = Object::new();
    limit(&object, 2);
    let master = object.master.clone();
    // No command: the Worker refused the request's input, the object still counts it.
    let response = send(&object, &master, None);
    assert_eq!(response.result.unwrap().get(), "null");
    assert_eq!(response.rate.unwrap().remaining, 1);
    let events = object.events().len();
    admitted(&object, &master);
    assert_eq!(
        object.events().len(),
        events + 1,
        "only the admitted one records"
    );
    let limited = send(&object, &master, None);
    assert_eq!(limited.result.unwrap_err().code, ErrorCode::RateLimited);
}

#[test]
fn rate_limit_does_not_count_callers_that_fail_to_authenticate() {
    let object = Object::new();
    limit(&object, 3);
    let unknown_token = mint_token(&object.tenant_id).unwrap();
    let wrong_master = mint_master_key(&object.tenant_id).unwrap();
    for key in [&unknown_token.value, &wrong_master.value] {
        for _ in 0..5 {
            let (result, rate) = touch(&object, key);
            let err = result.unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthorized);
            assert_eq!(err.message, latchkey_core::credential::UNRECOGNIZED);
            assert!(
                rate.is_none(),
                "a stranger learns nothing of the tenant's traffic"
            );
        }
    }
    let master = object.master.clone();
    let remaining: Vec<u64> = (0..3)
        .map(|_| admitted(&object, &master).remaining)
        .collect();
    assert_eq!(remaining, [2, 1, 0]);
    // Spent: a stranger still hears unauthorized, not rate_limited.
    let (result, rate) = touch(&object, &unknown_token.value);
    assert_eq!(result.unwrap_err().code, ErrorCode::Unauthorized);
    assert!(rate.is_none());
}

#[test]
fn failed_authentication_is_recorded_by_the_next_authenticated_request() {
    let object = Object::new();
    let unknown_token = mint_token(&object.tenant_id).unwrap();
    let wrong_master = mint_master_key(&object.tenant_id).unwrap();
    touch(&object, &unknown_token.value).0.unwrap_err();
    touch(&object, &wrong_master.value).0.unwrap_err();
    // Kept in memory: a refusal costs no write of its own.
    assert_eq!(count(&object, "auth.failed"), 0);
    admitted(&object, &object.master.clone());
    let rows = object.rows(
        "SELECT actor, success, details FROM audit_events WHERE type = 'auth.failed' ORDER BY seq",
    );
    let kinds: Vec<String> = rows
        .iter()
        .map(|row| {
            assert_eq!(row.text(0).unwrap(), "anonymous");
            assert_eq!(row.int(1).unwrap(), 0);
            let details: Value = serde_json::from_str(&row.text(2).unwrap()).unwrap();
            details["credential"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(kinds, ["token", "master_key"]);
    assert_eq!(object.last_event(), ("password.generated".to_owned(), true));
}

#[test]
fn rate_limit_counts_approval_polls() {
    let object = Object::new();
    let requester =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let request = TokenRequest::parse(br#"{"scope": "secrets:read:prod/*"}"#).unwrap();
    let TokenMinted::Pending(view) = object.call(&requester, CreateToken { request }).unwrap()
    else {
        panic!("a request that needs approval");
    };
    object.advance(60);
    limit(&object, 2);
    for _ in 0..2 {
        object
            .call(
                &requester,
                GetApproval {
                    id: view.id.clone(),
                },
            )
            .unwrap();
    }
    let err = object
        .call(
            &requester,
            GetApproval {
                id: view.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
}

#[test]
fn rate_limit_raised_in_a_spent_window_admits_the_difference() {
    let object = Object::new();
    limit(&object, 2);
    let master = object.master.clone();
    admitted(&object, &master);
    admitted(&object, &master);
    assert_eq!(refused(&object, &master).0.code, ErrorCode::RateLimited);
    limit(&object, 4);
    assert_eq!(admitted(&object, &master).remaining, 1);
    assert_eq!(admitted(&object, &master).remaining, 0);
    assert_eq!(refused(&object, &master).0.code, ErrorCode::RateLimited);
}

#[test]
fn rate_limit_of_zero_refuses_everything() {
    let object = Object::new();
    limit(&object, 0);
    let (err, rate) = refused(&object, &object.master.clone());
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert_eq!(rate.limit, 0);
}

#[test]
fn rate_window_is_written_back_at_most_once_a_second() {
    let object = Object::new();
    let master = object.master.clone();
    let stored = |object: &Object| {
        object
            .rows("SELECT count FROM rate_window")
            .first()
            .map(|row| row.int(0).unwrap())
    };
    assert_eq!(stored(&object), None);
    admitted(&object, &master);
    assert_eq!(stored(&object), Some(1));
    admitted(&object, &master);
    admitted(&object, &master);
    assert_eq!(
        stored(&object),
        Some(1),
        "memory holds the count in between"
    );
    object.advance(1);
    admitted(&object, &master);
    assert_eq!(stored(&object), Some(4));
}
