//! The Vault KV v2 face: reads, writes (with check-and-set), metadata, lists, and the
//! per-version delete, undelete and destroy, over the same secrets.

use crate::support::{Object, path};
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::fields::{GetFields, SetFields};
use latchkey_contract::caller::secrets::{
    DeleteSecret, GetSecret, ListVersions, RotateSecret, UpdateSecret,
};
use latchkey_contract::caller::vault::{
    DeleteKvVersions, DestroyKvVersions, ListKv, ReadKv, ReadKvMetadata, UndeleteKvVersions,
    WriteKv,
};
use latchkey_core::approval::Policies;
use latchkey_core::field::parse_field_set;
use latchkey_core::secret::{Rotation, SecretUpdate, VersionState};
use latchkey_core::vault::{KvMetadata, KvRead, KvVersion, KvWrite};
use latchkey_core::{ApiError, ErrorCode};
use serde_json::{Value, json};

fn kv_write(body: Value) -> KvWrite {
    KvWrite::parse(body.to_string().as_bytes()).unwrap()
}

fn write(object: &Object, key: &str, at: &str, body: Value) -> Result<KvVersion, ApiError> {
    object.call(
        key,
        WriteKv {
            path: path(at),
            write: kv_write(body),
        },
    )
}

fn read(object: &Object, key: &str, at: &str, version: Option<u64>) -> Result<KvRead, ApiError> {
    object.call(
        key,
        ReadKv {
            path: path(at),
            version,
        },
    )
}

fn data(read: &KvRead) -> Value {
    serde_json::to_value(&read.data).unwrap()
}

fn metadata(object: &Object, key: &str, at: &str) -> Result<KvMetadata, ApiError> {
    object.call(key, ReadKvMetadata { path: path(at) })
}

fn list(object: &Object, key: &str, prefix: Option<&str>) -> Result<Vec<String>, ApiError> {
    object.call(
        key,
        ListKv {
            prefix: prefix.map(path),
        },
    )
}

fn delete_versions(
    object: &Object,
    key: &str,
    at: &str,
    versions: Option<Vec<u64>>,
) -> Result<(), ApiError> {
    object.call(
        key,
        DeleteKvVersions {
            path: path(at),
            versions,
        },
    )
}

fn undelete(object: &Object, key: &str, at: &str, versions: Vec<u64>) -> Result<(), ApiError> {
    object.call(
        key,
        UndeleteKvVersions {
            path: path(at),
            versions,
        },
    )
}

fn destroy(object: &Object, key: &str, at: &str, versions: Vec<u64>) -> Result<(), ApiError> {
    object.call(
        key,
        DestroyKvVersions {
            path: path(at),
            versions,
        },
    )
}

fn get_secret(object: &Object, at: &str, version: Option<u64>) -> Result<Value, ApiError> {
    object
        .master(GetSecret {
            path: path(at),
            version,
        })
        .map(|read| serde_json::from_str(&read.body).unwrap())
}

/// The newest event's type, success, path and details.
fn last_record(object: &Object) -> (String, bool, Option<String>, Value) {
    let rows = object
        .rows("SELECT type, success, path, details FROM audit_events ORDER BY seq DESC LIMIT 1");
    let row = rows.first().unwrap();
    (
        row.text(0).unwrap(),
        row.int(1).unwrap() == 1,
        row.opt_text(2).unwrap(),
        serde_json::from_str(&row.text(3).unwrap()).unwrap(),
    )
}

fn versions_with_ciphertext(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM secret_versions WHERE length(ciphertext) > 0")
}

// --- WriteKv ------------------------------------------------------------------------------

#[test]
fn write_kv_on_a_new_path_creates_version_one_with_the_map_as_fields() {
    let object = Object::new();
    let master = object.master.clone();
    let written = write(
        &object,
        &master,
        "app/db",
        json!({"data": {"username": "admin", "password": "pw-one"}}),
    )
    .unwrap();
    assert_eq!(written.version, 1);
    assert_eq!(written.created_at, object.now());
    assert_eq!(written.deleted_at, None);
    assert!(!written.destroyed);
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.updated", true));
    assert_eq!(event_path.as_deref(), Some("app/db"));
    assert_eq!(details["api"], "vault");
    assert_eq!(details["fields"], json!(["password", "username"]));
    assert!(!details.to_string().contains("pw-one"));
    assert_eq!(object.count("SELECT current_version FROM secrets"), 1);
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 1);
    assert_eq!(object.count("SELECT count(*) FROM secret_fields"), 2);
    // The version's main value is the map's canonical JSON; its fields are the map.
    let secret = get_secret(&object, "app/db", None).unwrap();
    assert_eq!(
        secret["value"],
        r#"{"password":"pw-one","username":"admin"}"#
    );
    assert_eq!(
        secret["fields"],
        json!({"password": "pw-one", "username": "admin"})
    );
}

#[test]
fn write_kv_over_a_secret_appends_a_version_and_replaces_its_fields() {
    let object = Object::new();
    let master = object.master.clone();
    object
        .secret(r#"{"path": "app/conf", "value": "plain", "fields": {"host": "h1", "port": "1"}}"#);
    let written = write(
        &object,
        &master,
        "app/conf",
        json!({"data": {"host": "h2"}}),
    )
    .unwrap();
    assert_eq!(written.version, 2);
    let fields = object
        .master(GetFields {
            path: path("app/conf"),
        })
        .unwrap();
    assert_eq!(
        serde_json::to_value(&fields).unwrap(),
        json!({"host": "h2"})
    );
    assert_eq!(object.count("SELECT count(*) FROM secret_fields"), 1);
    // The earlier version still reads as what it held.
    assert_eq!(
        data(&read(&object, &master, "app/conf", Some(1)).unwrap()),
        json!({"value": "plain"})
    );
}

#[test]
fn write_kv_with_a_matching_cas_succeeds() {
    let object = Object::new();
    let master = object.master.clone();
    let first = write(
        &object,
        &master,
        "app/db",
        json!({"data": {"k": "1"}, "options": {"cas": 0}}),
    )
    .unwrap();
    assert_eq!(first.version, 1);
    let second = write(
        &object,
        &master,
        "app/db",
        json!({"data": {"k": "2"}, "options": {"cas": 1}}),
    )
    .unwrap();
    assert_eq!(second.version, 2);
}

#[test]
fn write_kv_with_a_stale_cas_is_refused_and_writes_nothing() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    for cas in [0, 2] {
        let err = write(
            &object,
            &master,
            "app/db",
            json!({"data": {"k": "x"}, "options": {"cas": cas}}),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(err.details["field"], "options.cas");
        assert_eq!(err.details["path"], "app/db");
        let (event, success, _, details) = last_record(&object);
        assert_eq!((event.as_str(), success), ("secret.updated", false));
        assert_eq!(details["api"], "vault");
    }
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 1);
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"k": "1"})
    );
    // A cas on a path with nothing there must be 0.
    let err = write(
        &object,
        &master,
        "app/new",
        json!({"data": {"k": "1"}, "options": {"cas": 1}}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 1);
}

#[test]
fn write_kv_with_cas_zero_on_a_fields_only_secret_is_refused() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "app/db", "fields": {"host": "h1"}}"#);
    let err = write(
        &object,
        &master,
        "app/db",
        json!({"data": {"host": "h2"}, "options": {"cas": 0}}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.details["field"], "options.cas");
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 0);
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"host": "h1"})
    );
}

#[test]
fn write_kv_on_a_soft_deleted_secret_conflicts() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    object
        .master(DeleteSecret {
            path: path("app/db"),
            permanent: false,
        })
        .unwrap();
    let err = write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 1);
}

#[test]
fn write_kv_without_write_scope_is_refused_and_recorded_as_vault() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:app/*");
    let err = write(&object, &reader, "app/db", json!({"data": {"k": "1"}})).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:app/*");
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.updated", false));
    assert_eq!(event_path.as_deref(), Some("app/db"));
    assert_eq!(details["api"], "vault");
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
}

#[test]
fn write_kv_above_the_tokens_clearance_is_refused() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:app/*");
    object.secret(r#"{"path": "app/crown", "value": "v", "tier": "critical"}"#);
    let err = write(&object, &writer, "app/crown", json!({"data": {"k": "1"}})).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
    assert_eq!(object.count("SELECT count(*) FROM secret_versions"), 1);
}

#[test]
fn write_kv_keeps_only_max_versions() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "app/db", "value": "v1", "max_versions": 2}"#);
    for n in 2..=4 {
        write(
            &object,
            &master,
            "app/db",
            json!({"data": {"n": n.to_string()}}),
        )
        .unwrap();
    }
    let kept: Vec<i64> = object
        .rows("SELECT version FROM secret_versions ORDER BY version")
        .iter()
        .map(|row| row.int(0).unwrap())
        .collect();
    assert_eq!(kept, vec![3, 4]);
    let err = read(&object, &master, "app/db", Some(1)).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

// --- ReadKv -------------------------------------------------------------------------------

#[test]
fn read_kv_answers_the_current_data_and_its_version() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "app/plain", "value": "sk-1", "tags": {"team": "core"}}"#);
    let answer = read(&object, &master, "app/plain", None).unwrap();
    assert_eq!(data(&answer), json!({"value": "sk-1"}));
    assert_eq!(answer.version.version, 1);
    assert_eq!(answer.version.deleted_at, None);
    assert!(!answer.version.destroyed);
    assert_eq!(answer.tags.get("team").map(String::as_str), Some("core"));
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.read", true));
    assert_eq!(event_path.as_deref(), Some("app/plain"));
    assert_eq!(details["api"], "vault");
    assert!(details.get("version").is_none());
    assert_eq!(
        object.count("SELECT accessed_at FROM secrets"),
        object.now().unix_ms()
    );
}

#[test]
fn read_kv_of_an_older_version_answers_its_data() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"pw": "one"}})).unwrap();
    write(
        &object,
        &master,
        "app/db",
        json!({"data": {"pw": "two", "u": "x"}}),
    )
    .unwrap();
    let old = read(&object, &master, "app/db", Some(1)).unwrap();
    assert_eq!(data(&old), json!({"pw": "one"}));
    assert_eq!(old.version.version, 1);
    let (_, _, _, details) = last_record(&object);
    assert_eq!(details["version"], 1);
    assert_eq!(details["api"], "vault");
    let current = read(&object, &master, "app/db", None).unwrap();
    assert_eq!(data(&current), json!({"pw": "two", "u": "x"}));
    assert_eq!(current.version.version, 2);
}

#[test]
fn read_kv_of_a_fields_only_secret_is_version_zero() {
    let object = Object::new();
    object
        .master(SetFields {
            path: path("app/conf"),
            fields: parse_field_set(br#"{"fields": {"host": "db.internal", "port": "5432"}}"#)
                .unwrap(),
        })
        .unwrap();
    let answer = read(&object, &object.master.clone(), "app/conf", None).unwrap();
    assert_eq!(answer.version.version, 0);
    assert_eq!(
        data(&answer),
        json!({"host": "db.internal", "port": "5432"})
    );
}

#[test]
fn read_kv_of_a_missing_secret_or_version_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    let err = read(&object, &master, "app/none", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let (event, success, _, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.read", false));
    assert_eq!(details["api"], "vault");
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    let err = read(&object, &master, "app/db", Some(9)).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["version"], 9);
    object
        .master(DeleteSecret {
            path: path("app/db"),
            permanent: false,
        })
        .unwrap();
    assert_eq!(
        read(&object, &master, "app/db", None).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn read_kv_past_a_rotations_grace_answers_no_data() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "app/db", "value": "one"}"#);
    object
        .master(RotateSecret {
            path: path("app/db"),
            rotation: Rotation::parse(br#"{"new_value": "two", "grace_period_seconds": 10}"#)
                .unwrap(),
        })
        .unwrap();
    assert_eq!(
        data(&read(&object, &master, "app/db", Some(1)).unwrap()),
        json!({"value": "one"})
    );
    object.advance(10);
    let gone = read(&object, &master, "app/db", Some(1)).unwrap();
    assert_eq!(gone.data, None);
    assert!(gone.version.destroyed);
}

#[test]
fn read_kv_needs_read_scope_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:app/*");
    let reader = object.token_with("secrets:read:app/*");
    object.secret(r#"{"path": "app/plain", "value": "v"}"#);
    object.secret(r#"{"path": "app/crown", "value": "v", "tier": "critical"}"#);
    let err = read(&object, &writer, "app/plain", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:app/*");
    assert_eq!(
        data(&read(&object, &reader, "app/plain", None).unwrap()),
        json!({"value": "v"})
    );
    let err = read(&object, &reader, "app/crown", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "critical");
    let (event, success, _, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.read", false));
    assert_eq!(details["api"], "vault");
}

#[test]
fn read_kv_of_a_critical_secret_needs_a_purpose_when_a_policy_asks() {
    let object = Object::new();
    let policies =
        Policies::parse(br#"{"policies": [{"glob": "app/*", "require_purpose": true}]}"#).unwrap();
    object.master(SetPolicies { policies }).unwrap();
    object.secret(r#"{"path": "app/crown", "value": "v", "tier": "critical"}"#);
    let master = object.master.clone();
    let err = read(&object, &master, "app/crown", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    let answer = object
        .call_for(
            &master,
            Some("audit"),
            ReadKv {
                path: path("app/crown"),
                version: None,
            },
        )
        .unwrap();
    assert_eq!(data(&answer), json!({"value": "v"}));
    let (_, success, _, details) = last_record(&object);
    assert!(success);
    assert_eq!(details["purpose"], "audit");
    assert_eq!(details["api"], "vault");
}

#[test]
fn read_kv_after_a_write_sees_the_write() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"k": "1"})
    );
    // Read once more through the native API, then write through Vault.
    get_secret(&object, "app/db", None).unwrap();
    write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap();
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"k": "2"})
    );
    let secret = get_secret(&object, "app/db", None).unwrap();
    assert_eq!(secret["version"], 2);
    assert_eq!(secret["fields"], json!({"k": "2"}));
    // And a native update shows through Vault.
    object
        .master(UpdateSecret {
            path: path("app/db"),
            update: SecretUpdate::parse(br#"{"value": "plain-three"}"#, object.now()).unwrap(),
            if_match: None,
        })
        .unwrap();
    let answer = read(&object, &master, "app/db", None).unwrap();
    assert_eq!(answer.version.version, 3);
    assert_eq!(data(&answer), json!({"k": "2", "value": "plain-three"}));
}

// --- ReadKvMetadata -----------------------------------------------------------------------

#[test]
fn read_kv_metadata_lists_every_version_newest_first() {
    let object = Object::new();
    let master = object.master.clone();
    object
        .secret(r#"{"path": "app/db", "value": "v1", "tags": {"env": "prod"}, "max_versions": 5}"#);
    object.advance(1);
    write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap();
    object.advance(1);
    write(&object, &master, "app/db", json!({"data": {"k": "3"}})).unwrap();
    delete_versions(&object, &master, "app/db", Some(vec![2])).unwrap();
    destroy(&object, &master, "app/db", vec![1]).unwrap();
    let meta = metadata(&object, &master, "app/db").unwrap();
    assert_eq!(meta.current_version, 3);
    assert_eq!(meta.max_versions, 5);
    assert_eq!(meta.tags.get("env").map(String::as_str), Some("prod"));
    assert_eq!(meta.updated_at, object.now());
    let versions: Vec<(u64, bool, bool)> = meta
        .versions
        .iter()
        .map(|v| (v.version, v.deleted_at.is_some(), v.destroyed))
        .collect();
    assert_eq!(
        versions,
        vec![(3, false, false), (2, true, false), (1, false, true)]
    );
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.versions_listed", true));
    assert_eq!(event_path.as_deref(), Some("app/db"));
    assert_eq!(details["api"], "vault");
}

#[test]
fn read_kv_metadata_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    assert_eq!(
        metadata(&object, &master, "app/db").unwrap_err().code,
        ErrorCode::NotFound
    );
    let (event, success, _, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.versions_listed", false));
    assert_eq!(details["api"], "vault");
    object.secret(r#"{"path": "app/db", "value": "v1"}"#);
    object
        .master(DeleteSecret {
            path: path("app/db"),
            permanent: false,
        })
        .unwrap();
    assert_eq!(
        metadata(&object, &master, "app/db").unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn read_kv_metadata_needs_read_scope_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:app/*");
    let reader = object.token_with("secrets:read:app/*");
    object.secret(r#"{"path": "app/db", "value": "v1"}"#);
    object.secret(r#"{"path": "app/high", "value": "v1", "tier": "sensitive"}"#);
    let err = metadata(&object, &writer, "app/db").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        metadata(&object, &reader, "app/db")
            .unwrap()
            .current_version,
        1
    );
    let err = metadata(&object, &reader, "app/high").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
}

// --- ListKv -------------------------------------------------------------------------------

fn seed_for_listing(object: &Object) {
    for at in [
        "app/db",
        "app/api",
        "app/deeper/one",
        "app/deeper/two",
        "application/x",
        "other/y",
        "solo",
    ] {
        object.secret(&format!(r#"{{"path": "{at}", "value": "v"}}"#));
    }
    object.secret(r#"{"path": "app/gone", "value": "v"}"#);
    object
        .master(DeleteSecret {
            path: path("app/gone"),
            permanent: false,
        })
        .unwrap();
}

#[test]
fn list_kv_answers_the_next_segment_under_a_prefix() {
    let object = Object::new();
    seed_for_listing(&object);
    let master = object.master.clone();
    assert_eq!(
        list(&object, &master, Some("app")).unwrap(),
        vec!["api", "db", "deeper/"]
    );
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.listed", true));
    assert_eq!(event_path.as_deref(), Some("app"));
    assert_eq!(details["api"], "vault");
    assert_eq!(
        list(&object, &master, Some("app/deeper")).unwrap(),
        vec!["one", "two"]
    );
    assert_eq!(
        list(&object, &master, None).unwrap(),
        vec!["app/", "application/", "other/", "solo"]
    );
}

#[test]
fn list_kv_shows_only_what_the_caller_may_read() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:app/deeper/*");
    seed_for_listing(&object);
    assert_eq!(list(&object, &reader, None).unwrap(), vec!["app/"]);
    assert_eq!(
        list(&object, &reader, Some("app")).unwrap(),
        vec!["deeper/"]
    );
    let err = list(&object, &reader, Some("other")).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn list_kv_of_an_empty_folder_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    let err = list(&object, &master, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    seed_for_listing(&object);
    let err = list(&object, &master, Some("nothing")).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("nothing"), "{}", err.message);
    let (event, success, _, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.listed", false));
    assert_eq!(details["api"], "vault");
    // A leaf is not a folder.
    assert_eq!(
        list(&object, &master, Some("solo")).unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[test]
fn list_kv_with_no_read_scope_finds_nothing() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:*");
    seed_for_listing(&object);
    assert_eq!(
        list(&object, &writer, None).unwrap_err().code,
        ErrorCode::NotFound
    );
}

// --- DeleteKvVersions, UndeleteKvVersions, DestroyKvVersions ------------------------------

#[test]
fn delete_kv_versions_without_versions_deletes_the_current_one() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap();
    delete_versions(&object, &master, "app/db", None).unwrap();
    let (event, success, event_path, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.versions_deleted", true));
    assert_eq!(event_path.as_deref(), Some("app/db"));
    assert_eq!(details["api"], "vault");
    assert!(details.get("versions").is_none());
    assert_eq!(
        object.count("SELECT deleted_at FROM secret_versions WHERE version = 2"),
        object.now().unix_ms()
    );
    assert_eq!(
        object.count("SELECT count(*) FROM secret_versions WHERE deleted_at IS NOT NULL"),
        1
    );
    // The secret stays; its current version reads as deleted.
    let answer = read(&object, &master, "app/db", None).unwrap();
    assert_eq!(answer.data, None);
    assert_eq!(answer.version.deleted_at, Some(object.now()));
    let err = get_secret(&object, "app/db", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("undelete"), "{}", err.message);
    assert_eq!(
        data(&read(&object, &master, "app/db", Some(1)).unwrap()),
        json!({"k": "1"})
    );
}

#[test]
fn delete_kv_versions_keeps_the_first_deletion_time() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap();
    delete_versions(&object, &master, "app/db", Some(vec![1])).unwrap();
    let (_, _, _, details) = last_record(&object);
    assert_eq!(details["versions"], json!([1]));
    let first = object.count("SELECT deleted_at FROM secret_versions WHERE version = 1");
    object.advance(30);
    delete_versions(&object, &master, "app/db", Some(vec![1, 2, 77])).unwrap();
    assert_eq!(
        object.count("SELECT deleted_at FROM secret_versions WHERE version = 1"),
        first
    );
    assert_eq!(
        object.count("SELECT deleted_at FROM secret_versions WHERE version = 2"),
        object.now().unix_ms()
    );
}

#[test]
fn delete_kv_versions_of_a_missing_or_deleted_secret_is_not_found() {
    let object = Object::new();
    let master = object.master.clone();
    let err = delete_versions(&object, &master, "app/db", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let (event, success, _, details) = last_record(&object);
    assert_eq!(
        (event.as_str(), success),
        ("secret.versions_deleted", false)
    );
    assert_eq!(details["api"], "vault");
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    object
        .master(DeleteSecret {
            path: path("app/db"),
            permanent: false,
        })
        .unwrap();
    for err in [
        delete_versions(&object, &master, "app/db", Some(vec![1])).unwrap_err(),
        undelete(&object, &master, "app/db", vec![1]).unwrap_err(),
        destroy(&object, &master, "app/db", vec![1]).unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::NotFound);
    }
    assert_eq!(
        object.count("SELECT count(*) FROM secret_versions WHERE deleted_at IS NOT NULL OR destroyed_at IS NOT NULL"),
        0
    );
}

#[test]
fn delete_kv_versions_needs_the_delete_action_and_clearance() {
    let object = Object::new();
    let writer = object.token_with("secrets:write:app/*");
    let deleter = object.token_with("secrets:delete:app/*");
    object.secret(r#"{"path": "app/db", "value": "v"}"#);
    object.secret(r#"{"path": "app/high", "value": "v", "tier": "sensitive"}"#);
    let err = delete_versions(&object, &writer, "app/db", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:delete:app/*");
    let err = delete_versions(&object, &deleter, "app/high", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    let err = destroy(&object, &writer, "app/db", vec![1]).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let (event, success, _, details) = last_record(&object);
    assert_eq!(
        (event.as_str(), success),
        ("secret.versions_destroyed", false)
    );
    assert_eq!(details["api"], "vault");
    let err = undelete(&object, &writer, "app/db", vec![1]).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.count("SELECT count(*) FROM secret_versions WHERE deleted_at IS NOT NULL OR destroyed_at IS NOT NULL"),
        0
    );
    delete_versions(&object, &deleter, "app/db", None).unwrap();
}

#[test]
fn undelete_kv_versions_makes_a_deleted_version_readable_again() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    delete_versions(&object, &master, "app/db", None).unwrap();
    // Read once while deleted, so a cached state would show.
    assert_eq!(read(&object, &master, "app/db", None).unwrap().data, None);
    undelete(&object, &master, "app/db", vec![1, 5]).unwrap();
    let (event, success, _, details) = last_record(&object);
    assert_eq!(
        (event.as_str(), success),
        ("secret.versions_undeleted", true)
    );
    assert_eq!(details["api"], "vault");
    assert_eq!(details["versions"], json!([1, 5]));
    assert_eq!(
        object.count("SELECT count(*) FROM secret_versions WHERE deleted_at IS NOT NULL"),
        0
    );
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"k": "1"})
    );
    assert_eq!(
        get_secret(&object, "app/db", None).unwrap()["value"],
        r#"{"k":"1"}"#
    );
}

#[test]
fn destroy_kv_versions_erases_the_ciphertext_for_good() {
    let object = Object::new();
    let master = object.master.clone();
    write(&object, &master, "app/db", json!({"data": {"k": "1"}})).unwrap();
    write(&object, &master, "app/db", json!({"data": {"k": "2"}})).unwrap();
    // Cached before the destruction.
    get_secret(&object, "app/db", Some(1)).unwrap();
    assert_eq!(versions_with_ciphertext(&object), 2);
    destroy(&object, &master, "app/db", vec![1]).unwrap();
    let (event, success, _, details) = last_record(&object);
    assert_eq!(
        (event.as_str(), success),
        ("secret.versions_destroyed", true)
    );
    assert_eq!(details["api"], "vault");
    assert_eq!(details["versions"], json!([1]));
    assert_eq!(versions_with_ciphertext(&object), 1);
    let destroyed_at = object.count("SELECT destroyed_at FROM secret_versions WHERE version = 1");
    assert_eq!(destroyed_at, object.now().unix_ms());
    let gone = read(&object, &master, "app/db", Some(1)).unwrap();
    assert_eq!(gone.data, None);
    assert!(gone.version.destroyed);
    let err = get_secret(&object, "app/db", Some(1)).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("destroyed"), "{}", err.message);
    let versions = object
        .master(ListVersions {
            path: path("app/db"),
        })
        .unwrap();
    assert_eq!(versions.get(1).unwrap().state, VersionState::Destroyed);
    // Destroyed stays destroyed: an undelete does not bring it back, a second destroy keeps
    // the first time.
    object.advance(5);
    undelete(&object, &master, "app/db", vec![1]).unwrap();
    destroy(&object, &master, "app/db", vec![1]).unwrap();
    assert!(
        read(&object, &master, "app/db", Some(1))
            .unwrap()
            .version
            .destroyed
    );
    assert_eq!(
        object.count("SELECT destroyed_at FROM secret_versions WHERE version = 1"),
        destroyed_at
    );
    assert_eq!(
        data(&read(&object, &master, "app/db", None).unwrap()),
        json!({"k": "2"})
    );
}

#[test]
fn destroy_kv_versions_of_the_current_version_leaves_the_secret_unreadable() {
    let object = Object::new();
    let master = object.master.clone();
    object.secret(r#"{"path": "app/db", "value": "v"}"#);
    get_secret(&object, "app/db", None).unwrap();
    destroy(&object, &master, "app/db", vec![1]).unwrap();
    let err = get_secret(&object, "app/db", None).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["version"], 1);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 1);
    // It can still be deleted as a whole.
    object
        .master(DeleteSecret {
            path: path("app/db"),
            permanent: false,
        })
        .unwrap();
}
