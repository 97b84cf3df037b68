//! The agentsecretstore face's commands: the upsert, the `.env` import (all or nothing) and
//! the namespaces, with the native rules (scope, tier, audit) they share.

use crate::support::{Object, path};
use latchkey_contract::caller::approvals::{ApproveRequest, GetApproval};
use latchkey_contract::caller::ass::{ImportSecrets, ListNamespaces, UpsertSecret};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret};
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_core::ApiError;
use latchkey_core::ErrorCode;
use latchkey_core::faces::ass::wire::{Imported, NamespaceCount, SecretWritten};
use latchkey_core::faces::ass::{AssWrite, EnvImport, parse_token_request};
use serde_json::{Value, json};

fn upsert(object: &Object, key: &str, at: &str, body: Value) -> Result<SecretWritten, ApiError> {
    object.call(
        key,
        UpsertSecret {
            path: path(at),
            write: AssWrite::parse(body.to_string().as_bytes()).unwrap(),
        },
    )
}

fn import(object: &Object, key: &str, body: Value) -> Result<Imported, ApiError> {
    object.call(
        key,
        ImportSecrets {
            import: EnvImport::parse(body.to_string().as_bytes()).unwrap(),
        },
    )
}

fn read(object: &Object, at: &str) -> Value {
    let read = object
        .master(GetSecret {
            path: path(at),
            version: None,
        })
        .unwrap();
    serde_json::from_str(&read.body).unwrap()
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

fn rows_of(object: &Object) -> (i64, i64) {
    (
        object.count("SELECT count(*) FROM secrets"),
        object.count("SELECT count(*) FROM secret_versions"),
    )
}

/// Stores `prod/db` as a sensitive secret and answers a `secrets:write:prod/*` token cleared
/// for it: asked by a token of the master key's, approved by another (nobody approves what
/// they made).
fn sensitive_writer(object: &Object) -> String {
    let requester = object
        .token(r#"{"scope": ["tokens:create", "secrets:write:prod/*"], "ttl_seconds": 3600}"#);
    let approver = object.token_with("approvals:decide");
    object.secret(r#"{"path": "prod/db", "value": "one", "tier": "sensitive"}"#);
    let request =
        parse_token_request(br#"{"scopes": ["secrets:write:prod/*"], "ttl": "1h"}"#, 60).unwrap();
    let TokenMinted::Pending(view) = object.call(&requester, CreateToken { request }).unwrap()
    else {
        panic!("a token reaching a sensitive secret needs approval");
    };
    object
        .call(
            &approver,
            ApproveRequest {
                id: view.id.clone(),
                comment: None,
            },
        )
        .unwrap();
    let released = object
        .call(&requester, GetApproval { id: view.id })
        .unwrap();
    released.token.unwrap().value.unwrap()
}

#[test]
fn upsert_secret_on_a_new_path_creates_version_one_with_tier_and_metadata() {
    let object = Object::new();
    let master = object.master.clone();
    let written = upsert(
        &object,
        &master,
        "prod/openai/API_KEY",
        json!({"value": "sk-one", "secret_type": "api_key", "access_tier": "sensitive",
               "metadata": {"team": "ml"}}),
    )
    .unwrap();
    assert!(written.created);
    assert_eq!(written.version, 1);
    assert_eq!(written.created_at, object.now());
    let secret = read(&object, "prod/openai/API_KEY");
    assert_eq!(secret["value"], "sk-one");
    assert_eq!(secret["tier"], "sensitive");
    assert_eq!(
        secret["tags"],
        json!({"team": "ml", "secret_type": "api_key"})
    );
    let (event, success, at, details) = {
        let rows = object.rows(
            "SELECT type, success, path, details FROM audit_events
             WHERE type = 'secret.created' ORDER BY seq DESC LIMIT 1",
        );
        let row = rows.first().unwrap();
        (
            row.text(0).unwrap(),
            row.int(1).unwrap() == 1,
            row.opt_text(2).unwrap(),
            serde_json::from_str::<Value>(&row.text(3).unwrap()).unwrap(),
        )
    };
    assert_eq!((event.as_str(), success), ("secret.created", true));
    assert_eq!(at.as_deref(), Some("prod/openai/API_KEY"));
    assert_eq!(details["api"], "agentsecretstore");
    assert_eq!(details["version"], 1);
    assert!(!details.to_string().contains("sk-one"));
}

#[test]
fn upsert_secret_on_an_existing_secret_writes_the_next_version_keeping_what_is_left_out() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/db", "value": "one", "tier": "sensitive", "description": "d",
            "tags": {"team": "core"}}"#,
    );
    let master = object.master.clone();
    let written = upsert(&object, &master, "prod/db", json!({"value": "two"})).unwrap();
    assert!(!written.created);
    assert_eq!(written.version, 2);
    assert_eq!(written.updated_at, object.now());
    assert_eq!(last_record(&object).0, "secret.updated");
    let secret = read(&object, "prod/db");
    assert_eq!(secret["value"], "two");
    assert_eq!(secret["tier"], "sensitive", "no access_tier keeps the tier");
    assert_eq!(secret["description"], "d");
    assert_eq!(
        secret["tags"],
        json!({"team": "core", "secret_type": "custom"})
    );
    // metadata replaces the tags; secret_type stays.
    upsert(
        &object,
        &master,
        "prod/db",
        json!({"value": "three", "secret_type": "db_credential", "metadata": {"owner": "ops"}}),
    )
    .unwrap();
    upsert(
        &object,
        &master,
        "prod/db",
        json!({"value": "four", "metadata": {}}),
    )
    .unwrap();
    let secret = read(&object, "prod/db");
    assert_eq!(secret["version"], 4);
    assert_eq!(secret["tags"], json!({"secret_type": "db_credential"}));
}

#[test]
fn upsert_secret_lowering_the_tier_needs_an_admin_and_changes_nothing() {
    let object = Object::new();
    let writer = sensitive_writer(&object);
    let before = rows_of(&object);
    let err = upsert(
        &object,
        &writer,
        "prod/db",
        json!({"value": "two", "access_tier": "standard"}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert!(err.message.contains("lowering"), "{}", err.message);
    assert_eq!(rows_of(&object), before);
    let (event, success, _, _) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.updated", false));
    assert_eq!(read(&object, "prod/db")["value"], "one");
    // The same writer may keep or raise it.
    upsert(
        &object,
        &writer,
        "prod/db",
        json!({"value": "two", "access_tier": "critical"}),
    )
    .unwrap();
    assert_eq!(read(&object, "prod/db")["tier"], "critical");
}

#[test]
fn upsert_secret_outside_the_scope_or_on_a_deleted_path_is_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:prod/*");
    let err = upsert(&object, &reader, "prod/db", json!({"value": "v"})).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    assert_eq!(rows_of(&object), (0, 0));
    object.secret(r#"{"path": "prod/gone", "value": "v"}"#);
    object
        .master(DeleteSecret {
            path: path("prod/gone"),
            permanent: false,
        })
        .unwrap();
    let master = object.master.clone();
    let err = upsert(&object, &master, "prod/gone", json!({"value": "v2"})).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn import_secrets_writes_every_line_in_one_transaction() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/app/EXISTING", "value": "old", "tags": {"k": "v"}}"#);
    let writer = object.token_with("secrets:write:prod/app/*");
    let imported = import(
        &object,
        &writer,
        json!({"namespace": "prod/app", "content": "NEW_ONE=a\nEXISTING=b\n# c\nNEW_TWO=\"c d\"\n",
               "secret_type": "custom", "access_tier": "standard", "metadata": null}),
    )
    .unwrap();
    assert_eq!(imported.keys, vec!["NEW_ONE", "EXISTING", "NEW_TWO"]);
    assert_eq!(imported.created, 2);
    let (event, success, at, details) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.imported", true));
    assert_eq!(at.as_deref(), Some("prod/app"));
    assert_eq!(details["keys"], json!(["NEW_ONE", "EXISTING", "NEW_TWO"]));
    assert_eq!(details["created"], 2);
    assert!(!details.to_string().contains("c d"));
    assert_eq!(read(&object, "prod/app/NEW_TWO")["value"], "c d");
    let existing = read(&object, "prod/app/EXISTING");
    assert_eq!(existing["value"], "b");
    assert_eq!(existing["version"], 2);
    assert_eq!(existing["tags"], json!({"k": "v", "secret_type": "custom"}));
}

#[test]
fn import_secrets_with_one_refused_path_writes_nothing() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/app/GONE", "value": "v"}"#);
    object
        .master(DeleteSecret {
            path: path("prod/app/GONE"),
            permanent: false,
        })
        .unwrap();
    let master = object.master.clone();
    let before = rows_of(&object);
    let err = import(
        &object,
        &master,
        json!({"namespace": "prod/app", "content": "FIRST=a\nGONE=b\nLAST=c"}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(
        rows_of(&object),
        before,
        "the first line's secret is undone"
    );
    let (event, success, _, _) = last_record(&object);
    assert_eq!((event.as_str(), success), ("secret.imported", false));
    // A token that may not write one of the paths is refused before anything runs.
    let narrow = object.token_with("secrets:write:prod/app/FIRST");
    let err = import(
        &object,
        &narrow,
        json!({"namespace": "prod/app", "content": "FIRST=a\nSECOND=b"}),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["path"], "prod/app/SECOND");
    assert_eq!(rows_of(&object), before);
}

#[test]
fn list_namespaces_needs_namespaces_read_and_counts_live_secrets() {
    let object = Object::new();
    for at in ["prod/openai/KEY", "prod/openai/ORG", "prod/db", "top"] {
        object.secret(&format!(r#"{{"path": "{at}", "value": "v"}}"#));
    }
    object.secret(r#"{"path": "staging/x/GONE", "value": "v"}"#);
    object
        .master(DeleteSecret {
            path: path("staging/x/GONE"),
            permanent: false,
        })
        .unwrap();
    let names = object.token_with("namespaces:read");
    let listed: Vec<NamespaceCount> = object.call(&names, ListNamespaces).unwrap();
    let pairs: Vec<(&str, u64)> = listed
        .iter()
        .map(|n| (n.namespace.as_str(), n.secret_count))
        .collect();
    assert_eq!(pairs, vec![("prod", 1), ("prod/openai", 2)]);
    assert_eq!(last_record(&object).0, "namespace.listed");
    assert_eq!(object.master(ListNamespaces).unwrap().len(), 2);
    let reader = object.token_with("secrets:read:*");
    let err = object.call(&reader, ListNamespaces).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "namespaces:read");
}
