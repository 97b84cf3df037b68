//! The tenant as a whole: its info (counts, never names or values), and the request that is
//! only authenticated and counted (password generation).

use crate::support::Object;
use latchkey_contract::caller::secrets::{DeleteSecret, RotateSecret};
use latchkey_contract::caller::tenant::{Info, Touch};
use latchkey_contract::caller::vault::DestroyKvVersions;
use latchkey_contract::operator::SetPlan;
use latchkey_core::credential::mint_master_key;
use latchkey_core::secret::Rotation;
use latchkey_core::{ErrorCode, Plan};

fn stranger(object: &Object) -> String {
    mint_master_key(&object.tenant_id)
        .unwrap()
        .value
        .to_string()
}

fn delete(object: &Object, at: &str, permanent: bool) {
    object
        .master(DeleteSecret {
            path: crate::support::path(at),
            permanent,
        })
        .unwrap();
}

// --- Info ---------------------------------------------------------------------------------

#[test]
fn info_of_a_new_tenant_counts_nothing() {
    let object = Object::new();
    let info = object.master(Info).unwrap();
    assert_eq!(info.tenant_id, object.tenant_id);
    assert_eq!(info.plan, Plan::Enterprise);
    assert_eq!(info.secret_count, 0);
    assert_eq!(info.deleted_count, 0);
    assert_eq!(info.version_count, 0);
    assert_eq!(info.field_count, 0);
    assert!(info.storage_bytes > 0);
    assert_eq!(object.last_event(), ("tenant.info_read".to_owned(), true));
}

#[test]
fn info_counts_live_and_deleted_secrets_versions_and_fields() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/a", "value": "v", "fields": {"x": "1", "y": "2"}}"#);
    object.secret(r#"{"path": "prod/b", "value": "v"}"#);
    object.secret(r#"{"path": "prod/c", "fields": {"z": "3"}}"#);
    object.secret(r#"{"path": "prod/d", "value": "v"}"#);
    object.secret(r#"{"path": "prod/e", "value": "v"}"#);
    object
        .master(RotateSecret {
            path: crate::support::path("prod/b"),
            rotation: Rotation::parse(br#"{"new_value": "w", "grace_period_seconds": 60}"#)
                .unwrap(),
        })
        .unwrap();
    delete(&object, "prod/d", false);
    delete(&object, "prod/e", true);
    let info = object.master(Info).unwrap();
    assert_eq!(info.secret_count, 3);
    assert_eq!(info.deleted_count, 1);
    // prod/a 1, prod/b 2 (the old one in its grace period), prod/d 1 (restorable).
    assert_eq!(info.version_count, 4);
    assert_eq!(info.field_count, 3);
}

#[test]
fn info_stops_counting_a_destroyed_version() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/a", "value": "v"}"#);
    assert_eq!(object.master(Info).unwrap().version_count, 1);
    object
        .master(DestroyKvVersions {
            path: crate::support::path("prod/a"),
            versions: vec![1],
        })
        .unwrap();
    let info = object.master(Info).unwrap();
    assert_eq!(info.version_count, 0);
    assert_eq!(info.secret_count, 1);
}

#[test]
fn info_shows_the_plan_the_operator_set() {
    let object = Object::new();
    object
        .operator(SetPlan {
            plan: Plan::Pro,
            rate_limit_per_minute: None,
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
    assert_eq!(object.master(Info).unwrap().plan, Plan::Pro);
}

#[test]
fn info_answers_a_token_that_reads_everything() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/a", "value": "v"}"#);
    let everywhere = object.token_with("secrets:read:*");
    let admin = object.token_with("admin");
    assert_eq!(object.call(&everywhere, Info).unwrap().secret_count, 1);
    assert_eq!(object.call(&admin, Info).unwrap().secret_count, 1);
}

#[test]
fn info_with_a_scoped_token_is_refused_and_recorded() {
    let object = Object::new();
    let scoped = object.token_with("secrets:*:prod/*");
    let err = object.call(&scoped, Info).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:*");
    assert_eq!(object.last_event(), ("tenant.info_read".to_owned(), false));
}

#[test]
fn info_with_an_unknown_credential_is_unauthorized() {
    let object = Object::new();
    let before = object.events();
    let err = object.call(&stranger(&object), Info).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    // The refusal waits in memory for the next write-back.
    assert_eq!(object.events(), before);
}

#[test]
fn info_with_a_max_uses_token_uses_it_up() {
    let object = Object::new();
    let token = object.token(r#"{"scope": "secrets:read:*", "ttl_seconds": 600, "max_uses": 1}"#);
    object.call(&token, Info).unwrap();
    let err = object.call(&token, Info).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_uses"), "{}", err.message);
}

// --- Touch --------------------------------------------------------------------------------

#[test]
fn touch_with_the_master_key_records_a_generated_password() {
    let object = Object::new();
    let secrets = object.count("SELECT count(*) FROM secrets");
    object.master(Touch).unwrap();
    assert_eq!(object.last_event(), ("password.generated".to_owned(), true));
    let rows = object.rows("SELECT path, actor FROM audit_events ORDER BY seq DESC LIMIT 1");
    let row = rows.first().unwrap();
    assert_eq!(row.opt_text(0).unwrap(), None);
    assert_eq!(row.text(1).unwrap(), "master");
    assert_eq!(object.count("SELECT count(*) FROM secrets"), secrets);
}

#[test]
fn touch_needs_no_scope_beyond_a_valid_token() {
    let object = Object::new();
    let narrow = object.token_with("secrets:read:nothing/here");
    object.call(&narrow, Touch).unwrap();
    assert_eq!(object.last_event(), ("password.generated".to_owned(), true));
}

#[test]
fn touch_counts_as_a_use_of_a_max_uses_token() {
    let object = Object::new();
    let token = object.token(r#"{"scope": "secrets:read:x/*", "ttl_seconds": 600, "max_uses": 2}"#);
    object.call(&token, Touch).unwrap();
    object.call(&token, Touch).unwrap();
    assert_eq!(object.count("SELECT uses FROM tokens"), 2);
    let err = object.call(&token, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(
        object.count("SELECT count(*) FROM audit_events WHERE type = 'password.generated'"),
        2
    );
}

#[test]
fn touch_with_an_expired_token_is_unauthorized() {
    let object = Object::new();
    let token = object.token(r#"{"scope": "secrets:read:x/*", "ttl_seconds": 60}"#);
    object.call(&token, Touch).unwrap();
    object.advance(60);
    let err = object.call(&token, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("expired"), "{}", err.message);
    assert_eq!(
        object.count("SELECT count(*) FROM audit_events WHERE type = 'password.generated'"),
        1
    );
}

#[test]
fn touch_with_an_unknown_credential_is_unauthorized_and_recorded_later() {
    let object = Object::new();
    let err = object.call(&stranger(&object), Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(
        !object
            .events()
            .contains(&("password.generated".to_owned(), true))
    );
    // The next authenticated request writes the deferred refusal first.
    object.master(Touch).unwrap();
    let events = object.events();
    let failed = events
        .iter()
        .position(|e| *e == ("auth.failed".to_owned(), false))
        .unwrap();
    let touched = events
        .iter()
        .position(|e| *e == ("password.generated".to_owned(), true))
        .unwrap();
    assert!(failed < touched, "{events:?}");
}

#[test]
fn caller_reach_says_reads_values_by_scope_and_records_nothing() {
    use latchkey_contract::caller::tenant::{CallerReach, Reach};
    let object = Object::new();
    let events = object.events().len();
    let reach = |key: &str| object.call(key, CallerReach).unwrap();
    assert_eq!(object.master(CallerReach), Ok(Reach { reads_values: true }));
    let reader = object.token_with("secrets:read:prod/*");
    assert_eq!(reach(&reader), Reach { reads_values: true });
    let user = object.token_with("secrets:use:prod/*");
    assert_eq!(
        reach(&user),
        Reach {
            reads_values: false
        }
    );
    // The tokens' minting is recorded; the reach is not, and it is no use of a token.
    assert_eq!(object.events().len(), events + 2);
    let once = object.token(r#"{"scope": "secrets:read:prod/*", "max_uses": 1}"#);
    for _ in 0..3 {
        assert_eq!(reach(&once), Reach { reads_values: true });
    }
    assert_eq!(
        object
            .call(&stranger(&object), CallerReach)
            .unwrap_err()
            .code,
        ErrorCode::Unauthorized
    );
}
