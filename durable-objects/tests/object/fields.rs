//! Fields: a secret's named values, set, read and deleted one by one or together.

use crate::support::{Object, path};
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::fields::{DeleteField, GetField, GetFields, SetField, SetFields};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret, RestoreSecret, UpdateSecret};
use latchkey_core::approval::Policies;
use latchkey_core::field::{FieldName, FieldRead, FieldValue, Fields, parse_field_set};
use latchkey_core::secret::SecretUpdate;
use latchkey_core::{ApiError, ErrorCode};
use serde_json::{Value, json};

fn name(text: &str) -> FieldName {
    FieldName::parse(text).unwrap()
}

fn set_field(
    object: &Object,
    key: &str,
    at: &str,
    field: &str,
    value: &str,
) -> Result<bool, ApiError> {
    object
        .call(
            key,
            SetField {
                path: path(at),
                field: name(field),
                value: FieldValue(value.to_owned()),
            },
        )
        .map(|stored| stored.secret_created)
}

fn set_fields(object: &Object, key: &str, at: &str, fields: Value) -> Result<usize, ApiError> {
    let body = json!({ "fields": fields }).to_string();
    object
        .call(
            key,
            SetFields {
                path: path(at),
                fields: parse_field_set(body.as_bytes()).unwrap(),
            },
        )
        .map(|stored| stored.field_count)
}

fn get_field(object: &Object, key: &str, at: &str, field: &str) -> Result<FieldRead, ApiError> {
    object.call(
        key,
        GetField {
            path: path(at),
            field: name(field),
        },
    )
}

fn get_fields(object: &Object, key: &str, at: &str) -> Result<Value, ApiError> {
    object
        .call(key, GetFields { path: path(at) })
        .map(|fields| serde_json::to_value(fields).unwrap())
}

fn delete_field(object: &Object, key: &str, at: &str, field: &str) -> Result<(), ApiError> {
    object.call(
        key,
        DeleteField {
            path: path(at),
            field: name(field),
        },
    )
}

fn read_secret(object: &Object, at: &str) -> Result<Value, ApiError> {
    object
        .master(GetSecret {
            path: path(at),
            version: None,
        })
        .map(|read| serde_json::from_str(&read.body).unwrap())
}

fn soft_delete(object: &Object, at: &str) {
    object
        .master(DeleteSecret {
            path: path(at),
            permanent: false,
        })
        .unwrap();
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

fn field_rows(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM secret_fields")
}

// --- SetField -----------------------------------------------------------------------------

#[test]
fn set_field_on_a_new_path_creates_a_fields_only_secret() {
    let object = Object::new();
    let stored = object
        .master(SetField {
            path: path("prod/db"),
            field: name("username"),
            value: FieldValue("admin".to_owned()),
        })
        .unwrap();
    assert_eq!(stored.status, "stored");
    assert_eq!(stored.path, path("prod/db"));
    assert_eq!(stored.field, name("username"));
    assert!(stored.secret_created);
    assert_eq!(object.last_event(), ("field.set".to_owned(), true));
    let (event_path, details) = last_record(&object);
    assert_eq!(event_path.as_deref(), Some("prod/db"));
    assert_eq!(details["field"], "username");
    assert!(!details.to_string().contains("admin"));
    assert_eq!(object.count("SELECT current_version FROM secrets"), 0);
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 0);
    assert_eq!(field_rows(&object), 1);
    let read = read_secret(&object, "prod/db").unwrap();
    assert_eq!(read["version"], 0);
    assert!(read.get("value").is_none());
    assert_eq!(read["fields"], json!({"username": "admin"}));
    assert_eq!(read["field_count"], 1);
}

#[test]
fn set_field_on_an_existing_secret_adds_or_replaces_the_field() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "pw"}"#);
    let master = object.master.clone();
    object.advance(10);
    assert_eq!(
        set_field(&object, &master, "prod/db", "host", "h1"),
        Ok(false)
    );
    assert_eq!(
        object.count("SELECT updated_at FROM secrets"),
        object.now().unix_ms()
    );
    assert_eq!(
        set_field(&object, &master, "prod/db", "host", "h2"),
        Ok(false)
    );
    assert_eq!(field_rows(&object), 1);
    assert_eq!(
        get_field(&object, &master, "prod/db", "host")
            .unwrap()
            .value,
        "h2"
    );
    // The main value is untouched: no new version.
    let read = read_secret(&object, "prod/db").unwrap();
    assert_eq!(read["value"], "pw");
    assert_eq!(read["version"], 1);
}

#[test]
fn set_field_on_a_soft_deleted_secret_conflicts_and_writes_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    soft_delete(&object, "prod/db");
    let err = set_field(&object, &object.master.clone(), "prod/db", "b", "2").unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("restore"), "{}", err.message);
    assert_eq!(object.last_event(), ("field.set".to_owned(), false));
    assert_eq!(field_rows(&object), 1);
}

#[test]
fn set_field_without_write_scope_is_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    let err = set_field(&object, &reader, "prod/db", "a", "1").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    assert_eq!(object.last_event(), ("field.set".to_owned(), false));
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
    assert_eq!(field_rows(&object), 0);
}

#[test]
fn set_field_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "pw", "tier": "sensitive"}"#);
    let err = set_field(&object, &writer, "prod/db", "a", "1").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(field_rows(&object), 0);
    // A new path has no tier yet: the same token may start one there.
    assert_eq!(set_field(&object, &writer, "prod/new", "a", "1"), Ok(true));
}

#[test]
fn set_field_seals_the_value() {
    let object = Object::new();
    set_field(
        &object,
        &object.master.clone(),
        "prod/db",
        "pw",
        "field-plain-marker",
    )
    .unwrap();
    let hex = object
        .rows("SELECT hex(ciphertext) FROM secret_fields")
        .first()
        .unwrap()
        .text(0)
        .unwrap();
    let marker: String = "field-plain-marker"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(!hex.is_empty());
    assert!(!hex.contains(&marker));
}

// --- SetFields ----------------------------------------------------------------------------

#[test]
fn set_fields_adds_and_replaces_and_keeps_the_others() {
    let object = Object::new();
    let master = object.master.clone();
    let stored = object
        .master(SetFields {
            path: path("prod/db"),
            fields: parse_field_set(br#"{"fields": {"host": "h", "port": "1"}}"#).unwrap(),
        })
        .unwrap();
    assert_eq!(stored.status, "stored");
    assert_eq!(stored.field_count, 2);
    assert!(stored.secret_created);
    assert_eq!(object.last_event(), ("field.set".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["fields"], json!(["host", "port"]));
    assert_eq!(
        set_fields(
            &object,
            &master,
            "prod/db",
            json!({"port": "2", "user": "u"})
        ),
        Ok(3)
    );
    assert_eq!(
        get_fields(&object, &master, "prod/db").unwrap(),
        json!({"host": "h", "port": "2", "user": "u"})
    );
}

#[test]
fn set_fields_past_the_limit_is_refused_and_changes_nothing() {
    let object = Object::new();
    let master = object.master.clone();
    let hundred: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("f{i}"), json!("v"))).collect();
    assert_eq!(
        set_fields(&object, &master, "full", Value::Object(hundred)),
        Ok(100)
    );
    // Replacing one at the limit is fine.
    assert_eq!(set_field(&object, &master, "full", "f0", "w"), Ok(false));
    let err = set_fields(
        &object,
        &master,
        "full",
        json!({"f1": "changed", "extra": "x"}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.details["field"], "fields");
    assert!(err.message.contains("100"), "{}", err.message);
    assert_eq!(object.last_event(), ("field.set".to_owned(), false));
    assert_eq!(field_rows(&object), 100);
    assert_eq!(
        get_field(&object, &master, "full", "f1").unwrap().value,
        "v"
    );
    assert_eq!(
        get_field(&object, &master, "full", "extra")
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    let err = set_field(&object, &master, "full", "extra", "x").unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(field_rows(&object), 100);
}

#[test]
fn set_fields_on_a_soft_deleted_secret_conflicts() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "pw"}"#);
    soft_delete(&object, "prod/db");
    let err = set_fields(
        &object,
        &object.master.clone(),
        "prod/db",
        json!({"a": "1"}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(field_rows(&object), 0);
}

#[test]
fn set_fields_outside_the_tokens_glob_is_refused() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let err = set_fields(&object, &writer, "staging/db", json!({"a": "1"})).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["path"], "staging/db");
    assert_eq!(object.last_event(), ("field.set".to_owned(), false));
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
    assert_eq!(
        set_fields(&object, &writer, "prod/db", json!({"a": "1"})),
        Ok(1)
    );
}

// --- GetField -----------------------------------------------------------------------------

#[test]
fn get_field_answers_the_value_and_touches_the_secret() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "pw", "fields": {"port": "5432"}}"#);
    object.advance(3);
    let read = get_field(&object, &object.master.clone(), "prod/db", "port").unwrap();
    assert_eq!(read.path, path("prod/db"));
    assert_eq!(read.field, name("port"));
    assert_eq!(read.value, "5432");
    assert_eq!(object.last_event(), ("field.read".to_owned(), true));
    let (event_path, details) = last_record(&object);
    assert_eq!(event_path.as_deref(), Some("prod/db"));
    assert_eq!(details["field"], "port");
    assert_eq!(
        object.count("SELECT accessed_at FROM secrets"),
        object.now().unix_ms()
    );
}

#[test]
fn get_field_of_a_missing_field_or_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    let err = get_field(&object, &master, "prod/db", "b").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["field"], "b");
    assert_eq!(err.details["path"], "prod/db");
    assert_eq!(object.last_event(), ("field.read".to_owned(), false));
    let err = get_field(&object, &master, "prod/none", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.details.get("field").is_none());
    // A refused read writes nothing.
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE accessed_at IS NOT NULL"),
        0
    );
}

#[test]
fn get_field_of_a_deleted_or_expired_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    let at = object.now().plus_seconds(30).to_rfc3339();
    object.secret(&format!(
        r#"{{"path": "prod/temp", "fields": {{"a": "1"}}, "expires_at": "{at}"}}"#
    ));
    object.secret(r#"{"path": "prod/gone", "fields": {"a": "1"}}"#);
    soft_delete(&object, "prod/gone");
    assert_eq!(
        get_field(&object, &master, "prod/gone", "a")
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        get_field(&object, &master, "prod/temp", "a").unwrap().value,
        "1"
    );
    object.advance(30);
    let err = get_field(&object, &master, "prod/temp", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("expired"), "{}", err.message);
    object
        .master(RestoreSecret {
            path: path("prod/gone"),
        })
        .unwrap();
    assert_eq!(
        get_field(&object, &master, "prod/gone", "a").unwrap().value,
        "1"
    );
}

#[test]
fn get_field_needs_read_scope_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:prod/*");
    let reader = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    object.secret(r#"{"path": "prod/high", "fields": {"a": "1"}, "tier": "sensitive"}"#);
    let err = get_field(&object, &writer, "prod/db", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:prod/*");
    assert_eq!(
        get_field(&object, &reader, "prod/db", "a").unwrap().value,
        "1"
    );
    let err = get_field(&object, &reader, "prod/high", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(object.last_event(), ("field.read".to_owned(), false));
}

#[test]
fn get_field_of_a_critical_secret_needs_a_purpose_when_a_policy_asks() {
    let object = Object::new();
    let policies =
        Policies::parse(br#"{"policies": [{"glob": "prod/*", "require_purpose": true}]}"#).unwrap();
    object.master(SetPolicies { policies }).unwrap();
    object.secret(r#"{"path": "prod/root", "fields": {"a": "1"}, "tier": "critical"}"#);
    let master = object.master.clone();
    let err = get_field(&object, &master, "prod/root", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    assert_eq!(object.last_event(), ("field.read".to_owned(), false));
    let err = object
        .master(GetFields {
            path: path("prod/root"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    let read = object
        .call_for(
            &master,
            Some("rotation drill"),
            GetField {
                path: path("prod/root"),
                field: name("a"),
            },
        )
        .unwrap();
    assert_eq!(read.value, "1");
    let (_, details) = last_record(&object);
    assert_eq!(details["purpose"], "rotation drill");
    assert_eq!(details["field"], "a");
    // Writing a field releases nothing: no purpose asked.
    assert_eq!(
        set_field(&object, &master, "prod/root", "b", "2"),
        Ok(false)
    );
}

#[test]
fn get_field_with_a_max_uses_token_counts_each_read() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    let token =
        object.token(r#"{"scope": "secrets:read:prod/*", "ttl_seconds": 600, "max_uses": 1}"#);
    assert_eq!(
        get_field(&object, &token, "prod/db", "a").unwrap().value,
        "1"
    );
    let err = get_field(&object, &token, "prod/db", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(object.count("SELECT uses FROM tokens"), 1);
}

// --- GetFields ----------------------------------------------------------------------------

#[test]
fn get_fields_answers_every_field_or_none() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "prod/db", "value": "pw", "fields": {"host": "h", "port": "1"}}"#);
    object.secret(r#"{"path": "prod/plain", "value": "pw"}"#);
    let fields: Fields = object
        .master(GetFields {
            path: path("prod/db"),
        })
        .unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(
        serde_json::to_value(&fields).unwrap(),
        json!({"host": "h", "port": "1"})
    );
    assert_eq!(object.last_event(), ("field.read".to_owned(), true));
    let (_, details) = last_record(&object);
    assert!(details.get("field").is_none());
    assert_eq!(
        get_fields(&object, &master, "prod/plain").unwrap(),
        json!({})
    );
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE accessed_at IS NOT NULL"),
        2
    );
}

#[test]
fn get_fields_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    assert_eq!(
        get_fields(&object, &master, "prod/db").unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(object.last_event(), ("field.read".to_owned(), false));
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    soft_delete(&object, "prod/db");
    assert_eq!(
        get_fields(&object, &master, "prod/db").unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn get_fields_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    object.secret(r#"{"path": "vault/root", "fields": {"a": "1"}, "tier": "critical"}"#);
    let err = get_fields(&object, &reader, "vault/root").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE accessed_at IS NOT NULL"),
        0
    );
}

// --- DeleteField --------------------------------------------------------------------------

#[test]
fn delete_field_erases_the_field_and_keeps_the_secret() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1", "b": "2"}}"#);
    object.advance(4);
    object
        .master(DeleteField {
            path: path("prod/db"),
            field: name("a"),
        })
        .unwrap();
    assert_eq!(object.last_event(), ("field.deleted".to_owned(), true));
    let (_, details) = last_record(&object);
    assert_eq!(details["field"], "a");
    assert_eq!(field_rows(&object), 1);
    assert_eq!(
        object.count("SELECT updated_at FROM secrets"),
        object.now().unix_ms()
    );
    delete_field(&object, &master, "prod/db", "b").unwrap();
    // Neither a value nor fields left: the secret stays.
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 1);
    assert_eq!(get_fields(&object, &master, "prod/db").unwrap(), json!({}));
}

#[test]
fn delete_field_of_a_missing_field_or_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    let err = delete_field(&object, &master, "prod/db", "zz").unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["field"], "zz");
    assert_eq!(object.last_event(), ("field.deleted".to_owned(), false));
    assert_eq!(
        delete_field(&object, &master, "prod/none", "a")
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    soft_delete(&object, "prod/db");
    assert_eq!(
        delete_field(&object, &master, "prod/db", "a")
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(field_rows(&object), 1);
}

#[test]
fn delete_field_needs_write_scope_and_clearance() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    let writer = object.token_with("secrets:write:prod/*");
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1"}}"#);
    object.secret(r#"{"path": "prod/high", "fields": {"a": "1"}, "tier": "critical"}"#);
    let err = delete_field(&object, &reader, "prod/db", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    let err = delete_field(&object, &writer, "prod/high", "a").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
    assert_eq!(field_rows(&object), 2);
    delete_field(&object, &writer, "prod/db", "a").unwrap();
    assert_eq!(field_rows(&object), 1);
}

// --- Fields beside the secret's lifecycle -------------------------------------------------

#[test]
fn a_fields_only_secret_takes_a_main_value_as_version_one() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "fields": {"a": "1", "b": "2"}}"#);
    let updated = object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(br#"{"value": "pw"}"#, object.now()).unwrap(),
            if_match: Some(0),
        })
        .unwrap();
    assert_eq!(updated.version, 1);
    let read = read_secret(&object, "prod/db").unwrap();
    assert_eq!(read["value"], "pw");
    assert_eq!(read["field_count"], 2);
}

#[test]
fn a_cached_read_after_a_field_is_deleted_no_longer_shows_it() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "prod/db", "value": "pw", "fields": {"a": "1", "b": "2"}}"#);
    assert_eq!(read_secret(&object, "prod/db").unwrap()["field_count"], 2);
    delete_field(&object, &master, "prod/db", "a").unwrap();
    let read = read_secret(&object, "prod/db").unwrap();
    assert_eq!(read["fields"], json!({"b": "2"}));
    assert_eq!(read["field_count"], 1);
    set_fields(&object, &master, "prod/db", json!({"c": "3"})).unwrap();
    assert_eq!(read_secret(&object, "prod/db").unwrap()["field_count"], 2);
}

#[test]
fn a_permanently_deleted_secret_takes_its_fields_with_it() {
    let object = Object::new();
    let master = object.master.clone();
    set_fields(&object, &master, "prod/db", json!({"a": "1"})).unwrap();
    object
        .master(DeleteSecret {
            path: path("prod/db"),
            permanent: true,
        })
        .unwrap();
    assert_eq!(field_rows(&object), 0);
    assert_eq!(
        set_field(&object, &master, "prod/db", "other", "x"),
        Ok(true)
    );
    assert_eq!(
        get_fields(&object, &master, "prod/db").unwrap(),
        json!({"other": "x"})
    );
}
