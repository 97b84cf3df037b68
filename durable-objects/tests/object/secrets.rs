//! Secrets: create, read, update, rotate, versions, delete, restore, list.

use crate::support::{Object, path};
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::fields::SetField;
use latchkey_contract::caller::secrets::{
    CreateSecret, DeleteSecret, GetSecret, ListSecrets, ListVersions, RestoreSecret, RotateSecret,
    UpdateSecret,
};
use latchkey_core::approval::Policies;
use latchkey_core::field::{FieldName, FieldValue};
use latchkey_core::listing::{ListQuery, SecretPage};
use latchkey_core::secret::{NewSecret, Rotation, SecretUpdate, Tier, VersionState};
use latchkey_core::{ApiError, ErrorCode};
use serde_json::Value;

fn new_secret(object: &Object, path: &str, value: &str) -> NewSecret {
    let body = format!(r#"{{"path": "{path}", "value": "{value}"}}"#);
    NewSecret::parse(body.as_bytes(), object.now()).unwrap()
}

fn get(object: &Object, key: &str, at: &str) -> Result<Value, ApiError> {
    object
        .call(
            key,
            GetSecret {
                path: path(at),
                version: None,
            },
        )
        .map(|read| serde_json::from_str(&read.body).unwrap())
}

fn get_version(object: &Object, at: &str, version: u64) -> Result<Value, ApiError> {
    object
        .master(GetSecret {
            path: path(at),
            version: Some(version),
        })
        .map(|read| serde_json::from_str(&read.body).unwrap())
}

fn update(object: &Object, key: &str, at: &str, body: &str) -> Result<u64, ApiError> {
    update_if(object, key, at, body, None)
}

fn update_if(
    object: &Object,
    key: &str,
    at: &str,
    body: &str,
    if_match: Option<u64>,
) -> Result<u64, ApiError> {
    object
        .call(
            key,
            UpdateSecret {
                path: path(at),
                update: SecretUpdate::parse(body.as_bytes(), object.now()).unwrap(),
                if_match,
            },
        )
        .map(|updated| updated.version)
}

fn rotate(object: &Object, at: &str, value: &str, grace: u64) -> Result<(u64, u64), ApiError> {
    let body = format!(r#"{{"new_value": "{value}", "grace_period_seconds": {grace}}}"#);
    object
        .master(RotateSecret {
            path: path(at),
            rotation: Rotation::parse(body.as_bytes()).unwrap(),
        })
        .map(|rotated| (rotated.old_version, rotated.new_version))
}

fn delete(object: &Object, key: &str, at: &str, permanent: bool) -> Result<(), ApiError> {
    object.call(
        key,
        DeleteSecret {
            path: path(at),
            permanent,
        },
    )
}

fn list(object: &Object, key: &str, pairs: &[(&str, &str)]) -> SecretPage {
    object
        .call(
            key,
            ListSecrets {
                query: ListQuery::parse(pairs.iter().copied()).unwrap(),
            },
        )
        .unwrap()
}

fn listed_paths(page: &SecretPage) -> Vec<String> {
    page.items.iter().map(|s| s.path.to_string()).collect()
}

/// The newest event's path and details.
fn last_record(object: &Object) -> (Option<String>, Value) {
    let rows = object.rows("SELECT path, details FROM audit_events ORDER BY seq DESC LIMIT 1");
    let row = rows.first().unwrap();
    (
        row.opt_text(0).unwrap(),
        serde_json::from_str(&row.text(1).unwrap()).unwrap(),
    )
}

fn count(object: &Object, table: &str) -> i64 {
    object.count(&format!("SELECT count(*) FROM {table}"))
}

fn purpose_policy(object: &Object) {
    let policies =
        Policies::parse(br#"{"policies": [{"glob": "prod/*", "require_purpose": true}]}"#).unwrap();
    object.master(SetPolicies { policies }).unwrap();
}

// --- CreateSecret -------------------------------------------------------------------------

#[test]
fn a_created_secret_reads_back_and_both_are_recorded() {
    let object = Object::new();
    let created = object
        .master(CreateSecret {
            secret: new_secret(&object, "prod/db", "s3cret"),
        })
        .unwrap();
    assert_eq!(created.version, 1);
    let read = object
        .master(GetSecret {
            path: path("prod/db"),
            version: None,
        })
        .unwrap();
    assert!(read.body.contains("s3cret"));
    assert_eq!(read.version, 1);
    let events = object.events();
    assert_eq!(
        events,
        vec![
            ("tenant.created".to_owned(), true),
            ("secret.created".to_owned(), true),
            ("secret.read".to_owned(), true),
        ]
    );
}

#[test]
fn create_secret_with_metadata_stores_one_row_and_one_version() {
    let object = Object::new();
    let created = object.secret(
        r#"{"path": "prod/api", "value": "k", "tier": "sensitive", "description": "the api",
            "tags": {"env": "prod"}, "max_versions": 3}"#,
    );
    assert_eq!(created.path, path("prod/api"));
    assert_eq!(created.version, 1);
    assert_eq!(created.tier, Tier::Sensitive);
    assert_eq!(created.created_at, object.now());
    let rows = object.rows(
        "SELECT current_version, tier, description, tags, max_versions, deleted_at FROM secrets",
    );
    assert_eq!(rows.len(), 1);
    let row = rows.first().unwrap();
    assert_eq!(row.int(0).unwrap(), 1);
    assert_eq!(row.text(1).unwrap(), "sensitive");
    assert_eq!(row.opt_text(2).unwrap().as_deref(), Some("the api"));
    assert_eq!(row.text(3).unwrap(), r#"{"env":"prod"}"#);
    assert_eq!(row.int(4).unwrap(), 3);
    assert_eq!(row.opt_int(5).unwrap(), None);
    assert_eq!(count(&object, "secret_versions"), 1);
    let (event_path, details) = last_record(&object);
    assert_eq!(event_path.as_deref(), Some("prod/api"));
    assert_eq!(details["version"], 1);
}

#[test]
fn create_secret_stores_no_plaintext() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "plain-text-marker"}"#);
    let stored = object.rows("SELECT hex(ciphertext) FROM secret_versions");
    let hex = stored.first().unwrap().text(0).unwrap();
    let marker: String = "plain-text-marker"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(!hex.is_empty());
    assert!(!hex.contains(&marker));
}

#[test]
fn create_secret_with_fields_only_is_version_zero() {
    let object = Object::new();
    let created = object.secret(r#"{"path": "prod/db", "fields": {"user": "u", "pass": "p"}}"#);
    assert_eq!(created.version, 0);
    assert_eq!(count(&object, "secret_versions"), 0);
    assert_eq!(count(&object, "secret_fields"), 2);
    let read = get(&object, &object.master.clone(), "prod/db").unwrap();
    assert_eq!(read["version"], 0);
    assert!(read.get("value").is_none());
    assert_eq!(read["fields"]["user"], "u");
    assert_eq!(read["fields"]["pass"], "p");
    assert_eq!(read["field_count"], 2);
}

#[test]
fn create_secret_on_an_existing_path_conflicts_and_writes_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let err = object
        .master(CreateSecret {
            secret: new_secret(&object, "prod/db", "two"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.last_event(), ("secret.created".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 1);
    assert_eq!(
        get(&object, &object.master.clone(), "prod/db").unwrap()["value"],
        "one"
    );
}

#[test]
fn create_secret_on_a_soft_deleted_path_conflicts() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    let err = object
        .master(CreateSecret {
            secret: new_secret(&object, "prod/db", "two"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("deleted"), "{}", err.message);
    assert_eq!(count(&object, "secret_versions"), 1);
}

#[test]
fn create_secret_without_write_scope_is_refused_and_recorded() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    let err = object
        .call(
            &reader,
            CreateSecret {
                secret: new_secret(&object, "prod/db", "v"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    assert_eq!(object.last_event(), ("secret.created".to_owned(), false));
    assert_eq!(count(&object, "secrets"), 0);
}

#[test]
fn create_secret_with_a_scoped_token_outside_its_glob_is_refused() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object
        .call(
            &writer,
            CreateSecret {
                secret: new_secret(&object, "prod/db", "v"),
            },
        )
        .unwrap();
    let err = object
        .call(
            &writer,
            CreateSecret {
                secret: new_secret(&object, "staging/db", "v"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(count(&object, "secrets"), 1);
}

#[test]
fn create_secret_over_a_sensitive_secret_with_a_standard_token_is_refused_by_tier() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let err = object
        .call(
            &writer,
            CreateSecret {
                secret: new_secret(&object, "prod/db", "other"),
            },
        )
        .unwrap_err();
    // The clearance refuses before the conflict is found.
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(object.last_event(), ("secret.created".to_owned(), false));
}

#[test]
fn create_secret_of_a_higher_tier_at_a_new_path_is_allowed_but_not_readable() {
    let object = Object::new();
    let token = object.token_with("secrets:*:prod/*");
    let created = object
        .call(
            &token,
            CreateSecret {
                secret: NewSecret::parse(
                    br#"{"path": "prod/root", "value": "v", "tier": "critical"}"#,
                    object.now(),
                )
                .unwrap(),
            },
        )
        .unwrap();
    assert_eq!(created.tier, Tier::Critical);
    let err = get(&object, &token, "prod/root").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
}

// --- GetSecret ----------------------------------------------------------------------------

#[test]
fn a_missing_secret_is_not_found_and_the_refusal_is_recorded() {
    let object = Object::new();
    let err = object
        .master(GetSecret {
            path: path("nope"),
            version: None,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
}

#[test]
fn get_secret_answers_its_metadata_and_value() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/db", "value": "v", "description": "d", "tags": {"team": "core"}}"#,
    );
    let read = get(&object, &object.master.clone(), "prod/db").unwrap();
    assert_eq!(read["path"], "prod/db");
    assert_eq!(read["value"], "v");
    assert_eq!(read["version"], 1);
    assert_eq!(read["tier"], "standard");
    assert_eq!(read["description"], "d");
    assert_eq!(read["tags"]["team"], "core");
    assert_eq!(read["accessed_at"], object.now().to_rfc3339());
    assert!(read.get("fields").is_none());
    assert!(read.get("field_count").is_none());
    let (event_path, details) = last_record(&object);
    assert_eq!(event_path.as_deref(), Some("prod/db"));
    assert_eq!(details["version"], 1);
}

#[test]
fn get_secret_of_an_older_version_answers_that_value() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    update(
        &object,
        &object.master.clone(),
        "prod/db",
        r#"{"value": "two"}"#,
    )
    .unwrap();
    let old = get_version(&object, "prod/db", 1).unwrap();
    assert_eq!(old["value"], "one");
    assert_eq!(old["version"], 1);
    let (_, details) = last_record(&object);
    assert_eq!(details["version"], 1);
    let current = get(&object, &object.master.clone(), "prod/db").unwrap();
    assert_eq!(current["value"], "two");
    assert_eq!(current["version"], 2);
}

#[test]
fn get_secret_of_an_unknown_version_is_not_found() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let err = get_version(&object, "prod/db", 7).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["version"], 7);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
}

#[test]
fn get_secret_writes_accessed_at_only_when_it_moves_a_second() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let accessed = || {
        object
            .rows("SELECT accessed_at FROM secrets")
            .first()
            .unwrap()
            .opt_int(0)
            .unwrap()
    };
    assert_eq!(accessed(), None);
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    let first = object.now().unix_ms();
    assert_eq!(accessed(), Some(first));
    get(&object, &master, "prod/db").unwrap();
    assert_eq!(accessed(), Some(first));
    object.advance(5);
    get(&object, &master, "prod/db").unwrap();
    assert_eq!(accessed(), Some(object.now().unix_ms()));
}

#[test]
fn get_secret_without_read_scope_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let writer = object.token_with("secrets:write:prod/*");
    let err = get(&object, &writer, "prod/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:prod/*");
    assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE accessed_at IS NOT NULL"),
        0
    );
}

#[test]
fn get_secret_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/low", "value": "v"}"#);
    object.secret(r#"{"path": "prod/high", "value": "v", "tier": "sensitive"}"#);
    assert_eq!(get(&object, &reader, "prod/low").unwrap()["value"], "v");
    let err = get(&object, &reader, "prod/high").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(err.details["path"], "prod/high");
    assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
}

#[test]
fn get_secret_of_a_soft_deleted_secret_is_not_found() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    let err = get(&object, &object.master.clone(), "prod/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("restore"), "{}", err.message);
}

#[test]
fn get_secret_past_its_expiry_is_not_found() {
    let object = Object::new();
    let at = object.now().plus_seconds(60).to_rfc3339();
    object.secret(&format!(
        r#"{{"path": "prod/db", "value": "v", "expires_at": "{at}"}}"#
    ));
    let master = object.master.clone();
    assert_eq!(get(&object, &master, "prod/db").unwrap()["value"], "v");
    object.advance(60);
    let err = get(&object, &master, "prod/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("expired"), "{}", err.message);
}

#[test]
fn get_secret_with_a_max_uses_token_stops_at_the_limit() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    object.secret(r#"{"path": "other/db", "value": "v"}"#);
    let token =
        object.token(r#"{"scope": "secrets:read:prod/*", "ttl_seconds": 3600, "max_uses": 2}"#);
    // A refusal by scope does not use the token up.
    let refused = get(&object, &token, "other/db").unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
    get(&object, &token, "prod/db").unwrap();
    get(&object, &token, "prod/db").unwrap();
    let err = get(&object, &token, "prod/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_uses"), "{}", err.message);
    assert_eq!(object.count("SELECT uses FROM tokens"), 2);
}

#[test]
fn get_secret_of_a_critical_secret_needs_a_purpose_when_a_policy_asks() {
    let object = Object::new();
    purpose_policy(&object);
    object.secret(r#"{"path": "prod/root", "value": "v", "tier": "critical"}"#);
    object.secret(r#"{"path": "prod/plain", "value": "v"}"#);
    let master = object.master.clone();
    let err = get(&object, &master, "prod/root").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    assert_eq!(err.details["path"], "prod/root");
    assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
    // A standard secret under the same rule needs none.
    assert_eq!(get(&object, &master, "prod/plain").unwrap()["value"], "v");
    let read = object
        .call_for(
            &master,
            Some("incident 42"),
            GetSecret {
                path: path("prod/root"),
                version: None,
            },
        )
        .unwrap();
    assert!(read.body.contains("\"v\""));
    assert_eq!(object.last_event(), ("secret.read".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["purpose"], "incident 42");
}

#[test]
fn a_purpose_is_not_recorded_on_commands_that_release_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    object
        .call_for(
            &object.master.clone(),
            Some("why"),
            ListVersions {
                path: path("prod/db"),
            },
        )
        .unwrap();
    let (_, details) = last_record(&object);
    assert!(details.get("purpose").is_none(), "{details}");
}

// --- The cache of secrets -----------------------------------------------------------------

#[test]
fn a_cached_read_after_an_update_sees_the_new_version() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    assert_eq!(get(&object, &master, "prod/db").unwrap()["value"], "one");
    update(
        &object,
        &master,
        "prod/db",
        r#"{"value": "two", "description": "d2"}"#,
    )
    .unwrap();
    let read = get(&object, &master, "prod/db").unwrap();
    assert_eq!(read["value"], "two");
    assert_eq!(read["version"], 2);
    assert_eq!(read["description"], "d2");
    update(&object, &master, "prod/db", r#"{"value": "three"}"#).unwrap();
    assert_eq!(get(&object, &master, "prod/db").unwrap()["value"], "three");
}

#[test]
fn a_cached_read_after_a_rotation_sees_the_new_version() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    rotate(&object, "prod/db", "two", 60).unwrap();
    let read = get(&object, &master, "prod/db").unwrap();
    assert_eq!(read["value"], "two");
    assert_eq!(read["version"], 2);
}

#[test]
fn a_cached_read_after_a_delete_is_not_found() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    delete(&object, &master, "prod/db", false).unwrap();
    assert_eq!(
        get(&object, &master, "prod/db").unwrap_err().code,
        ErrorCode::NotFound
    );
    object
        .master(RestoreSecret {
            path: path("prod/db"),
        })
        .unwrap();
    assert_eq!(get(&object, &master, "prod/db").unwrap()["value"], "one");
}

#[test]
fn a_cached_read_after_a_field_is_set_shows_the_field() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    object
        .master(SetField {
            path: path("prod/db"),
            field: FieldName::parse("user").unwrap(),
            value: FieldValue::parse(br#"{"value": "admin"}"#).unwrap(),
        })
        .unwrap();
    let read = get(&object, &master, "prod/db").unwrap();
    assert_eq!(read["fields"]["user"], "admin");
    assert_eq!(read["field_count"], 1);
}

#[test]
fn a_cached_read_after_the_tier_is_raised_refuses_a_standard_token() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    assert_eq!(get(&object, &reader, "prod/db").unwrap()["value"], "one");
    update(
        &object,
        &object.master.clone(),
        "prod/db",
        r#"{"value": "two", "tier": "sensitive"}"#,
    )
    .unwrap();
    let err = get(&object, &reader, "prod/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
}

#[test]
fn a_refused_update_leaves_the_cached_secret_as_it_was() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    let err = update_if(&object, &master, "prod/db", r#"{"value": "two"}"#, Some(5)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    let read = get(&object, &master, "prod/db").unwrap();
    assert_eq!(read["value"], "one");
    assert_eq!(read["version"], 1);
}

#[test]
fn a_cached_read_after_expiry_is_not_found() {
    let object = Object::new();
    let at = object.now().plus_seconds(10).to_rfc3339();
    object.secret(&format!(
        r#"{{"path": "prod/db", "value": "v", "expires_at": "{at}"}}"#
    ));
    let master = object.master.clone();
    get(&object, &master, "prod/db").unwrap();
    get(&object, &master, "prod/db").unwrap();
    object.advance(11);
    assert_eq!(
        get(&object, &master, "prod/db").unwrap_err().code,
        ErrorCode::NotFound
    );
}

// --- UpdateSecret -------------------------------------------------------------------------

#[test]
fn update_secret_appends_a_version_and_changes_metadata() {
    let object = Object::new();
    object
        .secret(r#"{"path": "prod/db", "value": "one", "description": "old", "tags": {"a": "1"}}"#);
    object.advance(10);
    let updated = object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(
                br#"{"value": "two", "description": null, "tags": {"b": "2"}}"#,
                object.now(),
            )
            .unwrap(),
            if_match: None,
        })
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.path, path("prod/db"));
    assert_eq!(updated.updated_at, object.now());
    assert_eq!(object.last_event(), ("secret.updated".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["version"], 2);
    assert_eq!(count(&object, "secret_versions"), 2);
    let row = object.rows("SELECT current_version, description, tags, updated_at FROM secrets");
    let row = row.first().unwrap();
    assert_eq!(row.int(0).unwrap(), 2);
    assert_eq!(row.opt_text(1).unwrap(), None);
    assert_eq!(row.text(2).unwrap(), r#"{"b":"2"}"#);
    assert_eq!(row.int(3).unwrap(), object.now().unix_ms());
}

#[test]
fn update_secret_with_a_matching_if_match_succeeds() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    assert_eq!(
        update_if(&object, &master, "prod/db", r#"{"value": "two"}"#, Some(1)),
        Ok(2)
    );
    assert_eq!(
        update_if(
            &object,
            &master,
            "prod/db",
            r#"{"value": "three"}"#,
            Some(2)
        ),
        Ok(3)
    );
}

#[test]
fn update_secret_with_a_stale_if_match_conflicts_and_writes_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    update(&object, &master, "prod/db", r#"{"value": "two"}"#).unwrap();
    let err = update_if(&object, &master, "prod/db", r#"{"value": "x"}"#, Some(1)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["current_version"], 2);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.last_event(), ("secret.updated".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 2);
    assert_eq!(object.count("SELECT current_version FROM secrets"), 2);
}

#[test]
fn update_secret_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    let err = update(&object, &master, "prod/db", r#"{"value": "x"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(count(&object, "secrets"), 0);
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &master, "prod/db", false).unwrap();
    let err = update(&object, &master, "prod/db", r#"{"value": "x"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), ("secret.updated".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 1);
}

#[test]
fn update_secret_without_write_scope_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let reader = object.token_with("secrets:read:prod/*");
    let err = update(&object, &reader, "prod/db", r#"{"value": "x"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    assert_eq!(count(&object, "secret_versions"), 1);
}

#[test]
fn update_secret_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one", "tier": "critical"}"#);
    let err = update(&object, &writer, "prod/db", r#"{"value": "x"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
    assert_eq!(object.last_event(), ("secret.updated".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 1);
}

#[test]
fn update_secret_raising_the_tier_needs_no_admin() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    assert_eq!(
        update(
            &object,
            &writer,
            "prod/db",
            r#"{"value": "two", "tier": "standard"}"#
        ),
        Ok(2),
        "restating the tier is fine"
    );
    assert_eq!(
        update(
            &object,
            &writer,
            "prod/db",
            r#"{"value": "three", "tier": "sensitive"}"#
        ),
        Ok(3)
    );
    assert_eq!(object.count("SELECT tier = 'sensitive' FROM secrets"), 1);
}

#[test]
fn update_secret_lowering_the_tier_needs_an_admin() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one", "tier": "sensitive"}"#);
    let err = update(
        &object,
        &writer,
        "prod/db",
        r#"{"value": "two", "tier": "standard"}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert_eq!(err.details["path"], "prod/db");
    assert!(err.message.contains("lowering"), "{}", err.message);
    assert_eq!(object.last_event(), ("secret.updated".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 1);
    // The master key may.
    assert_eq!(
        update(
            &object,
            &object.master.clone(),
            "prod/db",
            r#"{"value": "two", "tier": "standard"}"#
        ),
        Ok(2)
    );
    assert_eq!(object.count("SELECT tier = 'standard' FROM secrets"), 1);
}

#[test]
fn update_secret_changing_allowed_hosts_needs_an_admin() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let admin = object.token_with("admin");
    object.secret(
        r#"{"path": "prod/db", "value": "one", "allowed_hosts": [{"host": "api.example.com"}]}"#,
    );
    let err = update(
        &object,
        &writer,
        "prod/db",
        r#"{"value": "two", "allowed_hosts": [{"host": "attacker.example"}]}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert!(err.message.contains("allowed_hosts"), "{}", err.message);
    assert_eq!(count(&object, "secret_versions"), 1);
    // The same hosts sent back are no change.
    assert_eq!(
        update(
            &object,
            &writer,
            "prod/db",
            r#"{"value": "two", "allowed_hosts": [{"host": "api.example.com"}]}"#
        ),
        Ok(2)
    );
    // An admin token may change them.
    assert_eq!(
        update(
            &object,
            &admin,
            "prod/db",
            r#"{"value": "three", "allowed_hosts": [{"host": "other.example.com"}]}"#
        ),
        Ok(3)
    );
    let read = get(&object, &object.master.clone(), "prod/db").unwrap();
    assert_eq!(read["allowed_hosts"][0]["host"], "other.example.com");
}

#[test]
fn update_secret_keeps_only_max_versions() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v1", "max_versions": 2}"#);
    let master = object.master.clone();
    for value in ["v2", "v3", "v4"] {
        update(
            &object,
            &master,
            "prod/db",
            &format!(r#"{{"value": "{value}"}}"#),
        )
        .unwrap();
    }
    let kept: Vec<i64> = object
        .rows("SELECT version FROM secret_versions ORDER BY version")
        .iter()
        .map(|row| row.int(0).unwrap())
        .collect();
    assert_eq!(kept, vec![3, 4]);
    assert_eq!(
        get_version(&object, "prod/db", 1).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(get_version(&object, "prod/db", 3).unwrap()["value"], "v3");
}

// --- RotateSecret -------------------------------------------------------------------------

#[test]
fn rotate_secret_keeps_the_old_version_readable_for_the_grace_period() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let rotated = object
        .master(RotateSecret {
            path: path("prod/db"),
            rotation: Rotation::parse(br#"{"new_value": "two", "grace_period_seconds": 60}"#)
                .unwrap(),
        })
        .unwrap();
    assert_eq!(rotated.old_version, 1);
    assert_eq!(rotated.new_version, 2);
    assert_eq!(rotated.old_expires_at, object.now().plus_seconds(60));
    assert_eq!(object.last_event(), ("secret.rotated".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["old_version"], 1);
    assert_eq!(details["new_version"], 2);
    assert_eq!(
        object.count("SELECT expires_at FROM secret_versions WHERE version = 1"),
        object.now().plus_seconds(60).unix_ms()
    );
    assert_eq!(get_version(&object, "prod/db", 1).unwrap()["value"], "one");
    object.advance(59);
    assert_eq!(get_version(&object, "prod/db", 1).unwrap()["value"], "one");
    object.advance(1);
    let err = get_version(&object, "prod/db", 1).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("grace period"), "{}", err.message);
    assert_eq!(
        get(&object, &object.master.clone(), "prod/db").unwrap()["value"],
        "two"
    );
}

#[test]
fn rotate_secret_without_grace_ends_the_old_version_at_once() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    assert_eq!(rotate(&object, "prod/db", "two", 0), Ok((1, 2)));
    assert_eq!(
        get_version(&object, "prod/db", 1).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn rotate_secret_of_fields_only_conflicts_and_writes_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"user": "u"}}"#);
    let err = rotate(&object, "prod/db", "two", 0).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.last_event(), ("secret.rotated".to_owned(), false));
    assert_eq!(count(&object, "secret_versions"), 0);
    assert_eq!(object.count("SELECT current_version FROM secrets"), 0);
}

#[test]
fn rotate_secret_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    assert_eq!(
        rotate(&object, "prod/db", "two", 0).unwrap_err().code,
        ErrorCode::NotFound
    );
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    assert_eq!(
        rotate(&object, "prod/db", "two", 0).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(count(&object, "secret_versions"), 1);
}

#[test]
fn rotate_secret_needs_the_rotate_action() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let writer = object.token_with("secrets:write:prod/*");
    let rotator = object.token_with("secrets:rotate:prod/*");
    let rotation = || Rotation::parse(br#"{"new_value": "two"}"#).unwrap();
    let err = object
        .call(
            &writer,
            RotateSecret {
                path: path("prod/db"),
                rotation: rotation(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:rotate:prod/*");
    assert_eq!(object.last_event(), ("secret.rotated".to_owned(), false));
    let rotated = object
        .call(
            &rotator,
            RotateSecret {
                path: path("prod/db"),
                rotation: rotation(),
            },
        )
        .unwrap();
    assert_eq!(rotated.new_version, 2);
}

#[test]
fn rotate_secret_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let rotator = object.token_with("secrets:rotate:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one", "tier": "sensitive"}"#);
    let err = object
        .call(
            &rotator,
            RotateSecret {
                path: path("prod/db"),
                rotation: Rotation::parse(br#"{"new_value": "two"}"#).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(count(&object, "secret_versions"), 1);
}

// --- ListVersions -------------------------------------------------------------------------

#[test]
fn list_versions_shows_each_versions_state_newest_first() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    update(
        &object,
        &object.master.clone(),
        "prod/db",
        r#"{"value": "two"}"#,
    )
    .unwrap();
    rotate(&object, "prod/db", "three", 30).unwrap();
    let versions = object
        .master(ListVersions {
            path: path("prod/db"),
        })
        .unwrap();
    let states: Vec<(u64, VersionState)> = versions.iter().map(|v| (v.version, v.state)).collect();
    assert_eq!(
        states,
        vec![
            (3, VersionState::Current),
            (2, VersionState::Grace),
            (1, VersionState::Previous),
        ]
    );
    assert_eq!(
        versions.get(1).unwrap().expires_at,
        Some(object.now().plus_seconds(30))
    );
    assert_eq!(
        object.last_event(),
        ("secret.versions_listed".to_owned(), true)
    );
    object.advance(30);
    let versions = object
        .master(ListVersions {
            path: path("prod/db"),
        })
        .unwrap();
    assert_eq!(versions.get(1).unwrap().state, VersionState::Expired);
}

#[test]
fn list_versions_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    let err = object
        .master(ListVersions {
            path: path("prod/db"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.last_event(),
        ("secret.versions_listed".to_owned(), false)
    );
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    let err = object
        .master(ListVersions {
            path: path("prod/db"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn list_versions_needs_read_scope_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let reader = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    object.secret(r#"{"path": "prod/high", "value": "one", "tier": "critical"}"#);
    let err = object
        .call(
            &writer,
            ListVersions {
                path: path("prod/db"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:prod/*");
    assert_eq!(
        object
            .call(
                &reader,
                ListVersions {
                    path: path("prod/db"),
                },
            )
            .unwrap()
            .len(),
        1
    );
    let err = object
        .call(
            &reader,
            ListVersions {
                path: path("prod/high"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
}

// --- DeleteSecret and RestoreSecret -------------------------------------------------------

#[test]
fn delete_secret_soft_hides_it_and_keeps_its_rows() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one", "fields": {"f": "x"}}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    assert_eq!(object.last_event(), ("secret.deleted".to_owned(), true));
    assert_eq!(
        object.count("SELECT deleted_at FROM secrets"),
        object.now().unix_ms()
    );
    assert_eq!(count(&object, "secret_versions"), 1);
    assert_eq!(count(&object, "secret_fields"), 1);
    assert_eq!(list(&object, &object.master.clone(), &[]).total, 0);
}

#[test]
fn delete_secret_twice_soft_is_not_found() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    delete(&object, &master, "prod/db", false).unwrap();
    let deleted_at = object.count("SELECT deleted_at FROM secrets");
    object.advance(5);
    let err = delete(&object, &master, "prod/db", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), ("secret.deleted".to_owned(), false));
    assert_eq!(object.count("SELECT deleted_at FROM secrets"), deleted_at);
}

#[test]
fn delete_secret_permanent_erases_every_row_and_frees_the_path() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one", "fields": {"f": "x"}}"#);
    let master = object.master.clone();
    update(&object, &master, "prod/db", r#"{"value": "two"}"#).unwrap();
    delete(&object, &master, "prod/db", true).unwrap();
    assert_eq!(object.last_event(), ("secret.destroyed".to_owned(), true));
    assert_eq!(count(&object, "secrets"), 0);
    assert_eq!(count(&object, "secret_versions"), 0);
    assert_eq!(count(&object, "secret_fields"), 0);
    assert_eq!(
        get(&object, &master, "prod/db").unwrap_err().code,
        ErrorCode::NotFound
    );
    let created = object.secret(r#"{"path": "prod/db", "value": "fresh"}"#);
    assert_eq!(created.version, 1);
}

#[test]
fn delete_secret_permanent_of_a_soft_deleted_secret_erases_it() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let master = object.master.clone();
    delete(&object, &master, "prod/db", false).unwrap();
    delete(&object, &master, "prod/db", true).unwrap();
    assert_eq!(count(&object, "secrets"), 0);
    assert_eq!(count(&object, "secret_versions"), 0);
}

#[test]
fn delete_secret_of_a_missing_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    for permanent in [false, true] {
        let err = delete(&object, &master, "prod/db", permanent).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert_eq!(err.details["path"], "prod/db");
    }
    assert_eq!(
        object
            .events()
            .iter()
            .rev()
            .take(2)
            .cloned()
            .collect::<Vec<_>>(),
        vec![
            ("secret.destroyed".to_owned(), false),
            ("secret.deleted".to_owned(), false),
        ]
    );
}

#[test]
fn delete_secret_needs_the_delete_action_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let deleter = object.token_with("secrets:delete:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    object.secret(r#"{"path": "prod/high", "value": "one", "tier": "sensitive"}"#);
    let err = delete(&object, &writer, "prod/db", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:delete:prod/*");
    let err = delete(&object, &deleter, "prod/high", true).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(object.last_event(), ("secret.destroyed".to_owned(), false));
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE deleted_at IS NULL"),
        2
    );
    delete(&object, &deleter, "prod/db", false).unwrap();
}

#[test]
fn restore_secret_within_the_window_brings_it_back() {
    let object = Object::with_config(|c| c.retention_seconds = 3600);
    object.secret(r#"{"path": "prod/db", "value": "one", "description": "d"}"#);
    let master = object.master.clone();
    delete(&object, &master, "prod/db", false).unwrap();
    object.advance(3599);
    let restored = object
        .master(RestoreSecret {
            path: path("prod/db"),
        })
        .unwrap();
    assert_eq!(restored.path, path("prod/db"));
    assert_eq!(restored.version, 1);
    assert_eq!(restored.deleted_at, None);
    assert_eq!(restored.updated_at, object.now());
    assert_eq!(restored.description.as_deref(), Some("d"));
    assert_eq!(object.last_event(), ("secret.restored".to_owned(), true));
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE deleted_at IS NULL"),
        1
    );
    assert_eq!(get(&object, &master, "prod/db").unwrap()["value"], "one");
}

#[test]
fn restore_secret_after_the_window_is_not_found() {
    let object = Object::with_config(|c| c.retention_seconds = 90);
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &object.master.clone(), "prod/db", false).unwrap();
    object.advance(90);
    let err = object
        .master(RestoreSecret {
            path: path("prod/db"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("90 seconds"), "{}", err.message);
    assert_eq!(object.last_event(), ("secret.restored".to_owned(), false));
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE deleted_at IS NOT NULL"),
        1
    );
}

#[test]
fn restore_secret_that_is_not_deleted_conflicts() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    let err = object
        .master(RestoreSecret {
            path: path("prod/db"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["path"], "prod/db");
    let err = object
        .master(RestoreSecret {
            path: path("prod/none"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), ("secret.restored".to_owned(), false));
}

#[test]
fn restore_secret_needs_the_delete_action() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let deleter = object.token_with("secrets:delete:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "one"}"#);
    delete(&object, &deleter, "prod/db", false).unwrap();
    let err = object
        .call(
            &writer,
            RestoreSecret {
                path: path("prod/db"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE deleted_at IS NOT NULL"),
        1
    );
    object
        .call(
            &deleter,
            RestoreSecret {
                path: path("prod/db"),
            },
        )
        .unwrap();
}

// --- ListSecrets --------------------------------------------------------------------------

fn seed_for_listing(object: &Object) {
    let soon = object.now().plus_seconds(600).to_rfc3339();
    object.secret(r#"{"path": "prod/db", "value": "v", "tags": {"team": "core"}}"#);
    object.secret(
        r#"{"path": "prod/api", "value": "v", "tier": "sensitive", "description": "Payments key"}"#,
    );
    object.secret(&format!(
        r#"{{"path": "prod/cache/redis", "value": "v", "expires_at": "{soon}"}}"#
    ));
    object.secret(r#"{"path": "production/db", "value": "v", "tags": {"team": "edge"}}"#);
    object.secret(r#"{"path": "staging/db", "value": "v", "tags": {"team": "core"}}"#);
    object.secret(r#"{"path": "old/thing", "value": "v"}"#);
    delete(object, &object.master.clone(), "old/thing", false).unwrap();
}

#[test]
fn list_secrets_answers_metadata_of_live_secrets_by_path() {
    let object = Object::new();
    seed_for_listing(&object);
    let page = list(&object, &object.master.clone(), &[]);
    assert_eq!(
        listed_paths(&page),
        vec![
            "prod/api",
            "prod/cache/redis",
            "prod/db",
            "production/db",
            "staging/db"
        ]
    );
    assert_eq!(page.total, 5);
    assert_eq!(page.next_cursor, None);
    let api = page.items.first().unwrap();
    assert_eq!(api.tier, Tier::Sensitive);
    assert_eq!(api.version, 1);
    assert_eq!(api.max_versions, 10);
    assert_eq!(object.last_event(), ("secret.listed".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["count"], 5);
    assert!(!serde_json::to_string(&page).unwrap().contains("\"v\""));
}

#[test]
fn list_secrets_filters_by_whole_namespace_segments() {
    let object = Object::new();
    seed_for_listing(&object);
    let page = list(&object, &object.master.clone(), &[("namespace", "prod")]);
    assert_eq!(
        listed_paths(&page),
        vec!["prod/api", "prod/cache/redis", "prod/db"]
    );
    let (event_path, _) = last_record(&object);
    assert_eq!(event_path.as_deref(), Some("prod"));
}

#[test]
fn list_secrets_filters_by_tag_tier_query_and_expiry() {
    let object = Object::new();
    seed_for_listing(&object);
    let master = object.master.clone();
    assert_eq!(
        listed_paths(&list(&object, &master, &[("tag", "team:core")])),
        vec!["prod/db", "staging/db"]
    );
    assert_eq!(
        listed_paths(&list(&object, &master, &[("tier", "sensitive")])),
        vec!["prod/api"]
    );
    assert_eq!(
        listed_paths(&list(&object, &master, &[("q", "PAYMENTS")])),
        vec!["prod/api"]
    );
    assert_eq!(
        listed_paths(&list(&object, &master, &[("q", "edge")])),
        vec!["production/db"]
    );
    assert_eq!(
        listed_paths(&list(&object, &master, &[("expiring_within", "3600")])),
        vec!["prod/cache/redis"]
    );
    assert!(listed_paths(&list(&object, &master, &[("expiring_within", "60")])).is_empty());
    assert_eq!(
        listed_paths(&list(
            &object,
            &master,
            &[("tag", "team:core"), ("namespace", "staging")]
        )),
        vec!["staging/db"]
    );
}

#[test]
fn list_secrets_with_include_deleted_shows_soft_deleted_ones() {
    let object = Object::new();
    seed_for_listing(&object);
    let page = list(
        &object,
        &object.master.clone(),
        &[("include_deleted", "true"), ("namespace", "old")],
    );
    assert_eq!(listed_paths(&page), vec!["old/thing"]);
    assert!(page.items.first().unwrap().deleted_at.is_some());
}

#[test]
fn list_secrets_pages_with_a_cursor() {
    let object = Object::new();
    seed_for_listing(&object);
    let master = object.master.clone();
    let first = list(&object, &master, &[("limit", "2")]);
    assert_eq!(listed_paths(&first), vec!["prod/api", "prod/cache/redis"]);
    assert_eq!(first.total, 5);
    let cursor = first.next_cursor.clone().unwrap();
    let second = list(&object, &master, &[("limit", "2"), ("cursor", &cursor)]);
    assert_eq!(listed_paths(&second), vec!["prod/db", "production/db"]);
    let cursor = second.next_cursor.clone().unwrap();
    let third = list(&object, &master, &[("limit", "2"), ("cursor", &cursor)]);
    assert_eq!(listed_paths(&third), vec!["staging/db"]);
    assert_eq!(third.next_cursor, None);
}

#[test]
fn list_secrets_shows_a_scoped_token_only_what_it_may_read() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    let writer = object.token_with("secrets:write:*");
    seed_for_listing(&object);
    let page = list(&object, &reader, &[]);
    assert_eq!(
        listed_paths(&page),
        vec!["prod/api", "prod/cache/redis", "prod/db"]
    );
    assert_eq!(page.total, 3);
    let first = list(&object, &reader, &[("limit", "1")]);
    assert_eq!(listed_paths(&first), vec!["prod/api"]);
    assert_eq!(first.total, 3);
    let cursor = first.next_cursor.clone().unwrap();
    let next = list(&object, &reader, &[("limit", "1"), ("cursor", &cursor)]);
    assert_eq!(listed_paths(&next), vec!["prod/cache/redis"]);
    // Writing is not reading: nothing to list.
    let none = list(&object, &writer, &[]);
    assert!(none.items.is_empty());
    assert_eq!(none.total, 0);
    assert_eq!(object.last_event(), ("secret.listed".to_owned(), true));
}

#[test]
fn list_secrets_with_an_unknown_credential_is_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let stranger = latchkey_core::credential::mint_master_key(&object.tenant_id)
        .unwrap()
        .value
        .to_string();
    let before = object.events().len();
    let err = object
        .call(
            &stranger,
            ListSecrets {
                query: ListQuery::parse([]).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    // Kept in memory until the next write-back: nothing is written for it now.
    assert_eq!(object.events().len(), before);
    list(&object, &object.master.clone(), &[]);
    let events = object.events();
    assert!(
        events.contains(&("auth.failed".to_owned(), false)),
        "{events:?}"
    );
}
