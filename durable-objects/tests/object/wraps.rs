//! Wraps: a value (one brings, or a secret's current one) sealed behind a single-use token,
//! and the one unwrap of it.

use crate::support::{Object, event, path};
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::secrets::UpdateSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::caller::wraps::CreateWrap;
use latchkey_contract::public::Unwrap;
use latchkey_core::approval::Policies;
use latchkey_core::credential::{CredentialHash, mint_wrap_token};
use latchkey_core::secret::SecretUpdate;
use latchkey_core::wrap::{NewWrap, Unwrapped, WrapCreated};
use latchkey_core::{ApiError, ErrorCode};

fn new_wrap(body: &str) -> NewWrap {
    NewWrap::parse(body.as_bytes()).unwrap()
}

fn wrap(object: &Object, key: &str, body: &str) -> Result<WrapCreated, ApiError> {
    object.call(
        key,
        CreateWrap {
            wrap: new_wrap(body),
        },
    )
}

fn unwrap(object: &Object, token: &str) -> Result<Unwrapped, ApiError> {
    object.operator(Unwrap {
        hash: CredentialHash::of(token),
    })
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

// --- CreateWrap ------------------------------------------------------------------------------

#[test]
fn wrap_of_a_value_keeps_only_the_tokens_hash_and_the_sealed_value() {
    let object = Object::new();
    let anyone = object.token_with("audit:read");
    let created = wrap(&object, &anyone, r#"{"value": "handed-over-value"}"#).unwrap();
    assert!(
        created.wrap_token.starts_with("lk_wrap_"),
        "{}",
        created.wrap_token
    );
    assert!(created.id.as_str().starts_with("wrp_"));
    assert_eq!(created.expires_at, object.now().plus_seconds(300));
    assert_eq!(created.path, None);
    assert_eq!(created.version, None);
    let rows = object.rows(
        "SELECT token_hash, request_id, path, hex(ciphertext), expires_at, retrieved_at FROM wraps",
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].text(0).unwrap(),
        CredentialHash::of(&created.wrap_token).to_hex()
    );
    assert_eq!(rows[0].opt_text(1).unwrap(), None);
    assert_eq!(rows[0].opt_text(2).unwrap(), None);
    assert!(
        !rows[0]
            .text(3)
            .unwrap()
            .contains(&hex_of("handed-over-value"))
    );
    assert_eq!(
        rows[0].int(4).unwrap(),
        object.now().plus_seconds(300).unix_ms()
    );
    assert_eq!(rows[0].opt_int(5).unwrap(), None);
    let trail = object
        .rows("SELECT path, details FROM audit_events WHERE type = 'wrap.created' AND success = 1");
    assert_eq!(trail[0].opt_text(0).unwrap(), None);
    let details = trail[0].text(1).unwrap();
    assert!(details.contains(r#""ttl_seconds":300"#), "{details}");
    assert!(!details.contains("handed-over-value"));
}

#[test]
fn wrap_of_a_secret_holds_its_current_value_at_wrapping_time() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "first-value"}"#);
    let reader = object.token_with("secrets:read:prod/*");
    let created = wrap(
        &object,
        &reader,
        r#"{"path": "prod/db", "ttl_seconds": 60}"#,
    )
    .unwrap();
    assert_eq!(created.path.as_ref().map(|p| p.as_str()), Some("prod/db"));
    assert_eq!(created.version, Some(1));
    assert_eq!(created.expires_at, object.now().plus_seconds(60));
    object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(br#"{"value": "second-value"}"#, object.now()).unwrap(),
            if_match: None,
        })
        .unwrap();
    let unwrapped = unwrap(&object, &created.wrap_token).unwrap();
    assert_eq!(unwrapped.value, "first-value");
    assert_eq!(unwrapped.version, Some(1));
    let trail =
        object.rows("SELECT path FROM audit_events WHERE type = 'wrap.created' AND success = 1");
    assert_eq!(trail[0].text(0).unwrap(), "prod/db");
}

#[test]
fn wrap_of_a_secret_needs_read_on_its_path() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "db-value"}"#);
    let outsider = object.token_with("secrets:read:staging/*");
    let err = wrap(&object, &outsider, r#"{"path": "prod/db"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:prod/*");
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    assert_eq!(object.last_event(), event("wrap.created", false));
    // A use-only token may not read it out either.
    let user = object.token_with("secrets:use:prod/*");
    let err = wrap(&object, &user, r#"{"path": "prod/db"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
}

#[test]
fn wrap_of_a_secret_above_the_callers_clearance_is_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/vault", "value": "sensitive-value", "tier": "sensitive"}"#);
    let err = wrap(&object, &reader, r#"{"path": "prod/vault"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    assert_eq!(object.last_event(), event("wrap.created", false));
    // The master key is cleared for every tier.
    let created = wrap(&object, &object.master.clone(), r#"{"path": "prod/vault"}"#).unwrap();
    assert_eq!(
        unwrap(&object, &created.wrap_token).unwrap().value,
        "sensitive-value"
    );
}

#[test]
fn wrap_of_a_missing_or_fields_only_secret_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"host": "db.internal"}}"#);
    let master = object.master.clone();
    let missing = wrap(&object, &master, r#"{"path": "prod/none"}"#).unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    let fields = wrap(&object, &master, r#"{"path": "prod/db"}"#).unwrap_err();
    assert_eq!(fields.code, ErrorCode::Conflict);
    assert_eq!(fields.details["path"], "prod/db");
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
}

#[test]
fn wrap_of_a_critical_secret_under_a_purpose_policy_needs_the_purpose() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/root", "value": "root-value", "tier": "critical"}"#);
    object
        .master(SetPolicies {
            policies: Policies::parse(
                br#"{"policies": [{"glob": "prod/*", "require_purpose": true}]}"#,
            )
            .unwrap(),
        })
        .unwrap();
    let master = object.master.clone();
    let err = wrap(&object, &master, r#"{"path": "prod/root"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    let created = object
        .call_for(
            &master,
            Some("hand-off to on-call"),
            CreateWrap {
                wrap: new_wrap(r#"{"path": "prod/root"}"#),
            },
        )
        .unwrap();
    let trail =
        object.rows("SELECT details FROM audit_events WHERE type = 'wrap.created' AND success = 1");
    assert!(
        trail[0]
            .text(0)
            .unwrap()
            .contains(r#""purpose":"hand-off to on-call""#)
    );
    assert_eq!(
        unwrap(&object, &created.wrap_token).unwrap().value,
        "root-value"
    );
}

#[test]
fn wrap_with_a_used_up_token_is_refused() {
    let object = Object::new();
    let once = object.token(r#"{"scope": "audit:read", "max_uses": 1}"#);
    wrap(&object, &once, r#"{"value": "first"}"#).unwrap();
    let err = wrap(&object, &once, r#"{"value": "second"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_uses"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 1);
}

// --- Unwrap ----------------------------------------------------------------------------------

#[test]
fn unwrap_gives_the_value_once_and_erases_it() {
    let object = Object::new();
    let created = wrap(
        &object,
        &object.master.clone(),
        r#"{"value": "handed-over-value"}"#,
    )
    .unwrap();
    object.advance(30);
    let unwrapped = unwrap(&object, &created.wrap_token).unwrap();
    assert_eq!(unwrapped.value, "handed-over-value");
    assert_eq!(unwrapped.id, created.id);
    assert_eq!(unwrapped.path, None);
    assert_eq!(unwrapped.created_at, object.now().plus_seconds(-30));
    let rows =
        object.rows("SELECT retrieved_at, length(ciphertext), length(wrapped_data_key) FROM wraps");
    assert_eq!(rows[0].int(0).unwrap(), object.now().unix_ms());
    assert_eq!(rows[0].int(1).unwrap(), 0);
    assert_eq!(rows[0].int(2).unwrap(), 0);
    let trail = object.rows(
        "SELECT actor, actor_description, details FROM audit_events WHERE type = 'wrap.unwrapped'",
    );
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].text(0).unwrap(), format!("wrap:{}", created.id));
    assert_eq!(trail[0].text(1).unwrap(), "wrap token");
    assert!(!trail[0].text(2).unwrap().contains("handed-over-value"));
    let again = unwrap(&object, &created.wrap_token).unwrap_err();
    assert_eq!(again.code, ErrorCode::Gone);
    assert_eq!(again.details["id"], created.id.as_str());
}

#[test]
fn refused_unwraps_are_recorded_as_anonymous_by_the_next_write_back() {
    let object = Object::new();
    let created = wrap(&object, &object.master.clone(), r#"{"value": "v"}"#).unwrap();
    unwrap(&object, &created.wrap_token).unwrap();
    unwrap(&object, &created.wrap_token).unwrap_err();
    assert_eq!(object.last_event(), event("wrap.unwrapped", true));
    object.master(Touch).unwrap();
    let trail = object.rows(
        "SELECT actor, success, reason FROM audit_events WHERE type = 'wrap.unwrapped' ORDER BY seq",
    );
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].text(0).unwrap(), "anonymous");
    assert_eq!(trail[1].int(1).unwrap(), 0);
    assert!(
        trail[1].text(2).unwrap().starts_with("gone"),
        "{:?}",
        trail[1].text(2)
    );
}

#[test]
fn unwrap_of_an_unknown_token_is_not_found() {
    let object = Object::new();
    wrap(&object, &object.master.clone(), r#"{"value": "v"}"#).unwrap();
    let stranger = mint_wrap_token(&object.tenant_id).unwrap();
    let err = unwrap(&object, &stranger.value).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.message, "no wrap has this token");
    assert_eq!(
        object.count("SELECT count(*) FROM wraps WHERE retrieved_at IS NULL"),
        1
    );
}

#[test]
fn unwrap_after_the_ttl_is_gone() {
    let object = Object::new();
    let created = wrap(
        &object,
        &object.master.clone(),
        r#"{"value": "short-lived", "ttl_seconds": 10}"#,
    )
    .unwrap();
    object.advance(10);
    let err = unwrap(&object, &created.wrap_token).unwrap_err();
    assert_eq!(err.code, ErrorCode::Gone);
    assert!(err.message.contains("expired"), "{}", err.message);
    assert_eq!(
        object.count("SELECT count(*) FROM wraps WHERE retrieved_at IS NULL"),
        1
    );
}

#[test]
fn a_wrap_token_authenticates_nothing() {
    let object = Object::new();
    let created = wrap(&object, &object.master.clone(), r#"{"value": "v"}"#).unwrap();
    let err = object.call(&created.wrap_token, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(
        err.message.contains("authenticates nothing"),
        "{}",
        err.message
    );
    // Still good for its one unwrap.
    assert_eq!(unwrap(&object, &created.wrap_token).unwrap().value, "v");
}
