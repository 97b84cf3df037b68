//! Secrets: create, read, update, rotate, versions, delete, restore, list.

use crate::support::{Object, path};
use latchkey_contract::caller::secrets::{CreateSecret, GetSecret};
use latchkey_core::ErrorCode;
use latchkey_core::secret::NewSecret;

fn new_secret(object: &Object, path: &str, value: &str) -> NewSecret {
    let body = format!(r#"{{"path": "{path}", "value": "{value}"}}"#);
    NewSecret::parse(body.as_bytes(), object.now()).unwrap()
}

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
