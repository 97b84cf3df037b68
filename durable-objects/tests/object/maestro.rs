//! The MaestroVault face's commands: `SetSecret` (PUT upserts, PATCH edits in part) and
//! `MintToken` (longer expiries, tokens with no expiry: who may mint one, the tenant's
//! setting, listing, revocation, audit).

use crate::support::{Object, path};
use latchkey_contract::caller::maestro::{MintToken, SecretSet, SetMode, SetSecret};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret};
use latchkey_contract::caller::tokens::{ListTokens, RevokeToken, TokenMinted};
use latchkey_contract::operator::SetPlan;
use latchkey_core::faces::maestro::parse_token_request;
use latchkey_core::secret::{SecretRead, Tags};
use latchkey_core::token::TokenCreated;
use latchkey_core::{ApiError, ErrorCode, Plan};

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn set(
    object: &Object,
    key: &str,
    at: &str,
    value: Option<&str>,
    metadata: Option<Tags>,
    mode: SetMode,
) -> Result<SecretSet, ApiError> {
    object.call(
        key,
        SetSecret {
            path: path(at),
            value: value.map(str::to_owned),
            tags: metadata,
            mode,
        },
    )
}

fn read(object: &Object, at: &str) -> Result<SecretRead, ApiError> {
    object
        .master(GetSecret {
            path: path(at),
            version: None,
        })
        .map(|json| serde_json::from_str(&json.body).unwrap())
}

fn mint(object: &Object, key: &str, body: &str) -> Result<TokenCreated, ApiError> {
    let request = parse_token_request(body.as_bytes()).unwrap();
    match object.call(key, MintToken { request })? {
        TokenMinted::Created(created) => Ok(created),
        TokenMinted::Pending(view) => panic!("needs approval: {}", view.id),
    }
}

fn forbid_non_expiring(object: &Object) {
    object
        .operator(SetPlan {
            plan: Plan::Enterprise,
            rate_limit_per_minute: None,
            non_expiring_tokens: Some(false),
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
}

#[test]
fn set_secret_upsert_creates_then_updates() {
    let object = Object::new();
    let key = object.master.clone();
    let first = set(
        &object,
        &key,
        "prod/db",
        Some("v1"),
        Some(tags(&[("service", "db")])),
        SetMode::Upsert,
    )
    .unwrap();
    assert!(first.created);
    assert_eq!(first.version, 1);
    assert_eq!(object.last_event().0, "secret.created");
    let second = set(&object, &key, "prod/db", Some("v2"), None, SetMode::Upsert).unwrap();
    assert!(!second.created);
    assert_eq!(second.version, 2);
    assert_eq!(object.last_event().0, "secret.updated");
    let shown = read(&object, "prod/db").unwrap();
    assert_eq!(shown.value.as_deref(), Some("v2"));
    assert_eq!(
        shown.tags,
        tags(&[("service", "db")]),
        "absent metadata is kept"
    );
}

#[test]
fn set_secret_edit_of_metadata_only_keeps_the_value_and_version() {
    let object = Object::new();
    let key = object.master.clone();
    set(&object, &key, "dev/api", Some("v1"), None, SetMode::Upsert).unwrap();
    let edited = set(
        &object,
        &key,
        "dev/api",
        None,
        Some(tags(&[("team", "x")])),
        SetMode::Edit,
    )
    .unwrap();
    assert_eq!(edited.version, 1);
    let shown = read(&object, "dev/api").unwrap();
    assert_eq!(shown.value.as_deref(), Some("v1"));
    assert_eq!(shown.tags, tags(&[("team", "x")]));
    let valued = set(&object, &key, "dev/api", Some("v2"), None, SetMode::Edit).unwrap();
    assert_eq!(valued.version, 2);
    assert_eq!(
        read(&object, "dev/api").unwrap().tags,
        tags(&[("team", "x")])
    );
}

#[test]
fn set_secret_edit_of_a_missing_secret_is_404_and_changes_nothing() {
    let object = Object::new();
    let key = object.master.clone();
    let err = set(&object, &key, "prod/none", Some("v"), None, SetMode::Edit).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
}

#[test]
fn set_secret_on_a_soft_deleted_secret_is_refused() {
    let object = Object::new();
    let key = object.master.clone();
    set(&object, &key, "db", Some("v"), None, SetMode::Upsert).unwrap();
    object
        .master(DeleteSecret {
            path: path("db"),
            permanent: false,
        })
        .unwrap();
    let err = set(&object, &key, "db", Some("v2"), None, SetMode::Upsert).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    let err = set(&object, &key, "db", Some("v2"), None, SetMode::Edit).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn set_secret_without_write_scope_is_refused_and_recorded() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    let err = set(
        &object,
        &reader,
        "prod/db",
        Some("v"),
        None,
        SetMode::Upsert,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
    assert_eq!(object.last_event(), ("secret.updated".into(), false));
}

#[test]
fn mint_token_without_expiry_by_master_is_listed_null_and_revocable() {
    let object = Object::new();
    let key = object.master.clone();
    let created = mint(&object, &key, r#"{"name": "ci", "scopes": ["read"]}"#).unwrap();
    assert_eq!(created.expires_at, None);
    assert_eq!(created.ttl_seconds, None);
    assert_eq!(object.last_event(), ("token.created".into(), true));
    let listed = object.master(ListTokens).unwrap();
    let row = listed.iter().find(|t| t.id == created.id).unwrap();
    assert_eq!(row.expires_at, None);
    assert_eq!(row.description.as_deref(), Some("ci"));
    // Still usable long after any native token would have expired.
    object.advance(400 * 86_400);
    object.secret(r#"{"path": "db", "value": "v"}"#);
    assert!(
        object
            .call(
                &created.value,
                GetSecret {
                    path: path("db"),
                    version: None
                }
            )
            .is_ok()
    );
    object
        .master(RevokeToken {
            id: created.id.clone(),
        })
        .unwrap();
    let err = object
        .call(
            &created.value,
            GetSecret {
                path: path("db"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[test]
fn mint_token_without_expiry_by_non_admin_is_refused() {
    let object = Object::new();
    let minter = object.token_with("tokens:create");
    let err = mint(&object, &minter, r#"{"name": "ci", "scopes": ["read"]}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), ("token.created".into(), false));
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE expires_at IS NULL"),
        0
    );
}

#[test]
fn mint_token_without_expiry_by_an_expiring_admin_token_is_refused() {
    let object = Object::new();
    let admin = object.token_with("admin");
    let err = mint(&object, &admin, r#"{"name": "ci", "scopes": ["read"]}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(
        err.message.contains("cannot mint a token with no expiry"),
        "{}",
        err.message
    );
    // A non-expiring admin token may.
    let key = object.master.clone();
    let forever = mint(&object, &key, r#"{"name": "root", "scopes": ["admin"]}"#).unwrap();
    assert!(
        mint(
            &object,
            &forever.value,
            r#"{"name": "ci", "scopes": ["read"]}"#
        )
        .is_ok()
    );
}

#[test]
fn mint_token_without_expiry_forbidden_by_the_tenant_is_refused() {
    let object = Object::new();
    forbid_non_expiring(&object);
    let key = object.master.clone();
    let err = mint(&object, &key, r#"{"name": "ci", "scopes": ["read"]}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("does not allow"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM tokens"), 0);
    // An expiring one is still fine, and may outlive the native 24 hours.
    let month = mint(
        &object,
        &key,
        r#"{"name": "ci", "scopes": ["read"], "expires_in": "720h"}"#,
    )
    .unwrap();
    assert_eq!(month.ttl_seconds, Some(720 * 3600));
}
