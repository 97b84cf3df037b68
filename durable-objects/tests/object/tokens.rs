//! Tokens: minting (at once, or pending approval), narrowing by the minting token, use limits,
//! addresses, expiry, tier clearance, listing and revocation with its cascade.

use crate::support::{Object, detail, path};
use latchkey_contract::caller::approvals::{ApproveRequest, GetApproval};
use latchkey_contract::caller::secrets::{GetSecret, SecretJson};
use latchkey_contract::caller::tokens::{CreateToken, ListTokens, RevokeToken, TokenMinted};
use latchkey_core::approval::{ApprovalStatus, ApprovalView};
use latchkey_core::secret::Tier;
use latchkey_core::token::{TokenCreated, TokenId, TokenRequest, TokenSummary};
use latchkey_core::{ApiError, ErrorCode};
use serde_json::Value;

fn request(body: &str) -> TokenRequest {
    TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap()
}

fn mint(object: &Object, key: &str, body: &str) -> Result<TokenMinted, ApiError> {
    object.call(
        key,
        CreateToken {
            request: request(body),
        },
    )
}

fn created(minted: TokenMinted) -> TokenCreated {
    match minted {
        TokenMinted::Created(created) => created,
        TokenMinted::Pending(view) => panic!("expected a token, got approval {}", view.id),
    }
}

fn pending(minted: TokenMinted) -> ApprovalView {
    match minted {
        TokenMinted::Pending(view) => *view,
        TokenMinted::Created(created) => panic!("expected an approval, got token {}", created.id),
    }
}

fn read(object: &Object, key: &str, at: &str) -> Result<SecretJson, ApiError> {
    object.call(
        key,
        GetSecret {
            path: path(at),
            version: None,
        },
    )
}

/// The id of the token whose value is `value`, from storage.
fn id_of(object: &Object, value: &str) -> TokenId {
    let hash = Object::hash_of(value).to_hex();
    let rows = object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"));
    TokenId::parse(&rows.first().unwrap().text(0).unwrap()).unwrap()
}

/// A token with these scopes, for an hour.
fn scoped(object: &Object, scopes: &[&str]) -> String {
    let scope = serde_json::to_string(scopes).unwrap();
    object.token(&format!(r#"{{"scope": {scope}, "ttl_seconds": 3600}}"#))
}

fn listed(object: &Object) -> Vec<TokenSummary> {
    object.master(ListTokens).unwrap()
}

fn summary(object: &Object, id: &TokenId) -> TokenSummary {
    listed(object).into_iter().find(|t| t.id == *id).unwrap()
}

fn token_rows(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM tokens")
}

/// The details of the newest event of `event_type`.
fn details_of(object: &Object, event_type: &str) -> Value {
    let rows = object.rows(&format!(
        "SELECT details FROM audit_events WHERE type = '{event_type}' ORDER BY seq DESC LIMIT 1"
    ));
    serde_json::from_str(&rows.first().unwrap().text(0).unwrap()).unwrap()
}

#[test]
fn create_token_by_the_master_key_shows_the_value_once_and_stores_its_hash() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let token = created(
        mint(
            &object,
            &object.master.clone(),
            r#"{"scope": "secrets:read:prod/*", "ttl_seconds": 600, "description": "agent"}"#,
        )
        .unwrap(),
    );
    assert!(token.value.starts_with("lk_tok_tn_"), "{}", token.value);
    assert!(token.id.as_str().starts_with("tok_"));
    assert_eq!(token.scope.to_string(), "secrets:read:prod/*");
    assert_eq!(token.ttl_seconds, Some(600));
    assert_eq!(token.expires_at, Some(object.now().plus_seconds(600)));
    assert_eq!(token.approval_status, "approved");
    assert_eq!(token.approval_request_id, None);

    let rows = object.rows(
        "SELECT id, hash, created_by, cleared_tier, cleared_approvals, description, uses, max_uses
         FROM tokens",
    );
    assert_eq!(rows.len(), 1);
    let row = rows.first().unwrap();
    assert_eq!(row.text(0).unwrap(), token.id.as_str());
    assert_eq!(row.text(1).unwrap(), Object::hash_of(&token.value).to_hex());
    assert_eq!(row.text(2).unwrap(), "master");
    assert_eq!(row.text(3).unwrap(), "standard");
    assert_eq!(row.opt_int(4).unwrap(), Some(0));
    assert_eq!(row.opt_text(5).unwrap().as_deref(), Some("agent"));
    assert_eq!(row.int(6).unwrap(), 0);
    assert_eq!(row.opt_int(7).unwrap(), None);
    // The value itself is stored nowhere.
    let dump: Vec<String> = object
        .rows("SELECT id || hash || scopes || created_by || coalesce(description, '') FROM tokens")
        .iter()
        .map(|row| row.text(0).unwrap())
        .collect();
    let dump = dump.concat();
    let secret_part = token.value.rsplit('_').next().unwrap();
    assert!(!dump.contains(secret_part), "{dump}");

    assert_eq!(object.last_event(), ("token.created".to_owned(), true));
    let details = details_of(&object, "token.created");
    assert_eq!(details["token_id"], token.id.as_str());
    assert_eq!(details["scope"], "secrets:read:prod/*");
    assert_eq!(
        read(&object, &token.value, "prod/db").unwrap().version,
        1,
        "the new token works at once"
    );
}

#[test]
fn create_token_without_a_ttl_lasts_an_hour() {
    let object = Object::new();
    let token = created(
        mint(
            &object,
            &object.master.clone(),
            r#"{"scope": "secrets:read:a/*"}"#,
        )
        .unwrap(),
    );
    assert_eq!(token.ttl_seconds, Some(3600));
    assert_eq!(token.expires_at, Some(object.now().plus_seconds(3600)));
}

#[test]
fn create_token_without_tokens_create_is_refused_and_mints_nothing() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:a/*");
    let before = token_rows(&object);
    let err = mint(&object, &reader, r#"{"scope": "secrets:read:a/*"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("tokens:create")
    );
    assert_eq!(token_rows(&object), before);
    assert_eq!(object.last_event(), ("token.created".to_owned(), false));
}

#[test]
fn create_token_by_a_token_is_recorded_as_minted_by_it() {
    let object = Object::new();
    let parent = scoped(&object, &["tokens:create", "secrets:read:prod/*"]);
    let parent_id = id_of(&object, &parent);
    let child = created(
        mint(
            &object,
            &parent,
            r#"{"scope": "secrets:read:prod/db/*", "ttl_seconds": 60}"#,
        )
        .unwrap(),
    );
    assert_eq!(
        summary(&object, &child.id).created_by,
        parent_id.as_str(),
        "the child names its parent"
    );
}

#[test]
fn create_token_wider_than_the_minting_token_is_refused() {
    let object = Object::new();
    let parent = object.token(r#"{"scope": ["tokens:create", "secrets:read:prod/*"]}"#);
    let before = token_rows(&object);
    for (scope, uncovered) in [
        ("secrets:read:*", "secrets:read:*"),
        ("secrets:write:prod/*", "secrets:write:prod/*"),
        ("audit:read", "audit:read"),
    ] {
        let err = mint(&object, &parent, &format!(r#"{{"scope": "{scope}"}}"#)).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied, "{scope}");
        assert_eq!(
            detail(&err, "required_scope").as_deref(),
            Some(uncovered),
            "{scope}"
        );
        assert!(
            err.message.contains("within its own scope"),
            "{}",
            err.message
        );
    }
    assert_eq!(token_rows(&object), before);
    let narrower = mint(&object, &parent, r#"{"scope": "secrets:read:prod/db/*"}"#);
    assert!(matches!(narrower, Ok(TokenMinted::Created(_))));
}

#[test]
fn create_token_handing_out_approvals_or_policies_needs_an_admin() {
    let object = Object::new();
    let parent =
        object.token(r#"{"scope": ["tokens:create", "approvals:decide", "policies:write"]}"#);
    for scope in ["approvals:decide", "policies:write"] {
        let err = mint(&object, &parent, &format!(r#"{{"scope": "{scope}"}}"#)).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied, "{scope}");
        assert_eq!(detail(&err, "required_scope").as_deref(), Some("admin"));
        assert!(err.message.contains("only an admin"), "{}", err.message);
    }
    let admin = object.token_with("admin");
    let approver = mint(&object, &admin, r#"{"scope": "approvals:decide"}"#);
    assert!(matches!(approver, Ok(TokenMinted::Created(_))));
}

#[test]
fn create_token_outliving_its_parent_is_refused_and_the_default_is_shortened() {
    let object = Object::new();
    let parent =
        object.token(r#"{"scope": ["tokens:create", "secrets:read:a/*"], "ttl_seconds": 600}"#);
    let parent_id = id_of(&object, &parent);
    let err = mint(
        &object,
        &parent,
        r#"{"scope": "secrets:read:a/*", "ttl_seconds": 601}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(detail(&err, "field").as_deref(), Some("ttl_seconds"));
    assert!(err.message.contains("outlive"), "{}", err.message);

    object.advance(100);
    let defaulted = created(mint(&object, &parent, r#"{"scope": "secrets:read:a/*"}"#).unwrap());
    assert_eq!(defaulted.ttl_seconds, Some(500));
    assert_eq!(
        defaulted.expires_at,
        summary(&object, &parent_id).expires_at
    );
}

#[test]
fn create_token_keeps_within_the_parents_allowed_ips() {
    let object = Object::new();
    let parent = object.token(
        r#"{"scope": ["tokens:create", "secrets:read:a/*"], "allowed_ips": ["203.0.113.0/24"]}"#,
    );
    let inherited = created(mint(&object, &parent, r#"{"scope": "secrets:read:a/*"}"#).unwrap());
    let ips: Vec<String> = summary(&object, &inherited.id)
        .allowed_ips
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(ips, ["203.0.113.0/24"]);

    let narrower = mint(
        &object,
        &parent,
        r#"{"scope": "secrets:read:a/*", "allowed_ips": ["203.0.113.7"]}"#,
    );
    assert!(matches!(narrower, Ok(TokenMinted::Created(_))));

    let before = token_rows(&object);
    let err = mint(
        &object,
        &parent,
        r#"{"scope": "secrets:read:a/*", "allowed_ips": ["10.0.0.1"]}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(detail(&err, "field").as_deref(), Some("allowed_ips"));
    assert_eq!(token_rows(&object), before);
}

#[test]
fn create_token_max_uses_is_bounded_by_what_the_parent_has_left() {
    let object = Object::new();
    let parent = object.token(r#"{"scope": ["tokens:create", "secrets:read:a/*"], "max_uses": 5}"#);
    // The refused request is the parent's first use: the limit is what was left before it.
    let err = mint(
        &object,
        &parent,
        r#"{"scope": "secrets:read:a/*", "max_uses": 6}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(detail(&err, "field").as_deref(), Some("max_uses"));
    assert!(err.message.contains("5 uses left"), "{}", err.message);
    // Unbounded asks inherit what is left (the refusal above used one).
    let child = created(mint(&object, &parent, r#"{"scope": "secrets:read:a/*"}"#).unwrap());
    assert_eq!(summary(&object, &child.id).max_uses, Some(4));
    let parent_id = id_of(&object, &parent);
    assert_eq!(summary(&object, &parent_id).uses, 2);
}

#[test]
fn create_token_reaching_a_sensitive_secret_waits_for_approval() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    object.secret(r#"{"path": "prod/cache", "value": "v"}"#);
    let before = token_rows(&object);
    let view = pending(
        mint(
            &object,
            &object.master.clone(),
            r#"{"scope": "secrets:read:prod/*"}"#,
        )
        .unwrap(),
    );
    assert_eq!(view.status, ApprovalStatus::Pending);
    assert_eq!(view.requester, "master");
    assert_eq!(view.tier, Tier::Sensitive);
    assert_eq!(view.secrets_reached, 2);
    assert_eq!(view.required_approvals, 1);
    assert!(view.token.is_none());
    assert_eq!(token_rows(&object), before, "no token until it is approved");
    assert_eq!(object.count("SELECT count(*) FROM approvals"), 1);
    assert_eq!(object.last_event(), ("approval.requested".to_owned(), true));
    let details = details_of(&object, "approval.requested");
    assert_eq!(details["approval_id"], view.id.as_str());
    assert_eq!(details["required_approvals"], 1);
    assert_eq!(details["tier"], "sensitive");
    // A scope reaching only standard secrets needs nobody.
    let direct = mint(
        &object,
        &object.master.clone(),
        r#"{"scope": "secrets:read:prod/cache"}"#,
    );
    assert!(matches!(direct, Ok(TokenMinted::Created(_))));
}

#[test]
fn token_cleared_for_standard_does_not_reach_a_sensitive_secret_created_later() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/cache", "value": "v"}"#);
    let token = object.token_with("secrets:read:prod/*");
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    object.secret(r#"{"path": "prod/root", "value": "v", "tier": "critical"}"#);
    assert!(read(&object, &token, "prod/cache").is_ok());
    for (at, tier) in [("prod/db", "sensitive"), ("prod/root", "critical")] {
        let err = read(&object, &token, at).unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied, "{at}");
        assert_eq!(detail(&err, "tier").as_deref(), Some(tier));
        assert_eq!(detail(&err, "path").as_deref(), Some(at));
        assert_eq!(object.last_event(), ("secret.read".to_owned(), false));
    }
}

#[test]
fn token_max_uses_are_counted_and_then_refused() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token(r#"{"scope": "secrets:read:a/*", "max_uses": 2}"#);
    let id = id_of(&object, &token);
    assert!(read(&object, &token, "a/x").is_ok());
    // A token with max_uses is written on every use.
    assert_eq!(
        object.count(&format!("SELECT uses FROM tokens WHERE id = '{id}'")),
        1
    );
    assert!(read(&object, &token, "a/x").is_ok());
    let err = read(&object, &token, "a/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_uses"), "{}", err.message);
    assert_eq!(
        object.count(&format!("SELECT uses FROM tokens WHERE id = '{id}'")),
        2
    );
    // The refusal is kept in memory and written before the next authenticated command.
    let reads = object.count("SELECT count(*) FROM audit_events WHERE type = 'secret.read'");
    assert_eq!(reads, 2);
    assert_eq!(summary(&object, &id).uses, 2);
    assert!(object.events().contains(&("auth.failed".to_owned(), false)));
}

#[test]
fn token_refused_command_does_not_use_up_max_uses() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    object.secret(r#"{"path": "b/x", "value": "v"}"#);
    let token = object.token(r#"{"scope": "secrets:read:a/*", "max_uses": 1}"#);
    let err = read(&object, &token, "b/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let id = id_of(&object, &token);
    assert_eq!(
        object.count(&format!("SELECT uses FROM tokens WHERE id = '{id}'")),
        0
    );
    assert!(read(&object, &token, "a/x").is_ok());
    assert_eq!(
        read(&object, &token, "a/x").unwrap_err().code,
        ErrorCode::Unauthorized
    );
}

#[test]
fn get_approval_polling_does_not_use_up_a_max_uses_token() {
    let object = Object::new();
    let requester = object.token(
        r#"{"scope": ["tokens:create", "secrets:read:prod/*"], "max_uses": 1, "ttl_seconds": 3600}"#,
    );
    let requester_id = id_of(&object, &requester);
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "sensitive"}"#);
    let view = pending(mint(&object, &requester, r#"{"scope": "secrets:read:prod/*"}"#).unwrap());
    // The request was its one use.
    for _ in 0..3 {
        let polled: ApprovalView = object
            .call(
                &requester,
                GetApproval {
                    id: view.id.clone(),
                },
            )
            .unwrap();
        assert_eq!(polled.status, ApprovalStatus::Pending);
    }
    assert_eq!(summary(&object, &requester_id).uses, 1);
    let other = mint(&object, &requester, r#"{"scope": "secrets:read:prod/*"}"#).unwrap_err();
    assert_eq!(other.code, ErrorCode::Unauthorized);
    assert!(other.message.contains("max_uses"), "{}", other.message);

    object
        .master(ApproveRequest {
            id: view.id.clone(),
            comment: None,
        })
        .unwrap();
    let released: ApprovalView = object
        .call(
            &requester,
            GetApproval {
                id: view.id.clone(),
            },
        )
        .unwrap();
    let token = released.token.unwrap();
    assert!(token.value.is_some());
    // The released token keeps within what its requester had left.
    assert_eq!(summary(&object, &token.id).max_uses, Some(1));
    assert_eq!(summary(&object, &requester_id).uses, 1);
}

#[test]
fn token_allowed_ips_refuse_other_addresses_without_counting() {
    let object = Object::new();
    object.secret(r#"{"path": "net/x", "value": "v"}"#);
    let elsewhere =
        object.token(r#"{"scope": "secrets:read:net/*", "allowed_ips": ["10.0.0.0/8"]}"#);
    let err = read(&object, &elsewhere, "net/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "ip").as_deref(), Some("203.0.113.7"));
    let id = id_of(&object, &elsewhere);
    assert_eq!(summary(&object, &id).uses, 0);
    assert!(object.events().contains(&("auth.failed".to_owned(), false)));

    let here =
        object.token(r#"{"scope": "secrets:read:net/*", "allowed_ips": ["203.0.113.0/24"]}"#);
    assert!(read(&object, &here, "net/x").is_ok());
    let exact = object.token(r#"{"scope": "secrets:read:net/*", "allowed_ips": ["203.0.113.7"]}"#);
    assert!(read(&object, &exact, "net/x").is_ok());
}

#[test]
fn token_past_its_ttl_is_refused_with_its_expiry() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token(r#"{"scope": "secrets:read:a/*", "ttl_seconds": 5}"#);
    object.advance(4);
    assert!(read(&object, &token, "a/x").is_ok());
    object.advance(1);
    let err = read(&object, &token, "a/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("expired"), "{}", err.message);
}

#[test]
fn token_unknown_to_the_tenant_is_not_recognized() {
    let object = Object::new();
    let stranger = latchkey_core::credential::mint_token(&object.tenant_id).unwrap();
    let err = read(&object, &stranger.value, "a/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.message, latchkey_core::credential::UNRECOGNIZED);
    assert!(err.details.is_empty());
}

#[test]
fn list_tokens_shows_metadata_newest_first_and_no_values() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let first = object.token(r#"{"scope": "secrets:read:a/*", "description": "first"}"#);
    object.advance(1);
    let second = object.token(r#"{"scope": ["tokens:create", "secrets:read:a/*"], "max_uses": 9}"#);
    read(&object, &first, "a/x").unwrap();
    read(&object, &first, "a/x").unwrap();
    let tokens = listed(&object);
    assert_eq!(tokens.len(), 2);
    let newest = tokens.first().unwrap();
    let oldest = tokens.get(1).unwrap();
    assert_eq!(newest.id, id_of(&object, &second));
    assert_eq!(newest.max_uses, Some(9));
    assert_eq!(newest.description, None);
    assert_eq!(newest.scope.to_string(), "tokens:create secrets:read:a/*");
    assert_eq!(oldest.id, id_of(&object, &first));
    assert_eq!(oldest.description.as_deref(), Some("first"));
    // Uses counted in memory are written before the list reads them.
    assert_eq!(oldest.uses, 2);
    assert_eq!(oldest.last_used_at, Some(object.now()));
    for token in &tokens {
        assert_eq!(token.created_by, "master");
        assert!(!token.revoked);
        assert_eq!(token.revoked_at, None);
    }
    let shown = serde_json::to_string(&tokens).unwrap();
    assert!(!shown.contains(&first) && !shown.contains(&second));
    assert_eq!(object.last_event(), ("token.listed".to_owned(), true));
}

#[test]
fn list_tokens_needs_admin() {
    let object = Object::new();
    let token = scoped(&object, &["tokens:create", "audit:read"]);
    let err = object.call(&token, ListTokens).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "required_scope").as_deref(), Some("admin"));
    assert_eq!(object.last_event(), ("token.listed".to_owned(), false));
}

#[test]
fn revoke_token_by_the_master_key_refuses_its_next_request() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token_with("secrets:read:a/*");
    let id = id_of(&object, &token);
    assert!(read(&object, &token, "a/x").is_ok());
    object.advance(7);
    object.master(RevokeToken { id: id.clone() }).unwrap();
    assert_eq!(object.last_event(), ("token.revoked".to_owned(), true));
    assert_eq!(
        details_of(&object, "token.revoked")["token_id"],
        id.as_str()
    );
    assert_eq!(
        object.count(&format!("SELECT revoked_at FROM tokens WHERE id = '{id}'")),
        object.now().unix_ms()
    );
    let err = read(&object, &token, "a/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("revoked"), "{}", err.message);
    let shown = summary(&object, &id);
    assert!(shown.revoked);
    assert_eq!(shown.revoked_at, Some(object.now()));
}

#[test]
fn revoke_token_twice_keeps_the_first_revocation() {
    let object = Object::new();
    let token = object.token_with("secrets:read:a/*");
    let id = id_of(&object, &token);
    object.master(RevokeToken { id: id.clone() }).unwrap();
    let first = object.now();
    object.advance(30);
    object.master(RevokeToken { id: id.clone() }).unwrap();
    assert_eq!(object.last_event(), ("token.revoked".to_owned(), true));
    assert_eq!(summary(&object, &id).revoked_at, Some(first));
}

#[test]
fn revoke_token_by_the_token_itself_needs_no_admin() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token_with("secrets:read:a/*");
    let id = id_of(&object, &token);
    object.call(&token, RevokeToken { id: id.clone() }).unwrap();
    let events = object.rows(
        "SELECT actor FROM audit_events WHERE type = 'token.revoked' ORDER BY seq DESC LIMIT 1",
    );
    assert_eq!(
        events.first().unwrap().text(0).unwrap(),
        format!("token:{id}")
    );
    let err = read(&object, &token, "a/x").unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("revoked"), "{}", err.message);
}

#[test]
fn revoke_token_of_another_token_needs_admin() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let token = object.token_with("secrets:read:a/*");
    let other = object.token_with("secrets:read:a/*");
    let other_id = id_of(&object, &other);
    let err = object
        .call(
            &token,
            RevokeToken {
                id: other_id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(detail(&err, "required_scope").as_deref(), Some("admin"));
    assert_eq!(object.last_event(), ("token.revoked".to_owned(), false));
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"),
        0
    );
    assert!(read(&object, &other, "a/x").is_ok());
    // A token with admin may.
    let admin = object.token_with("admin");
    object.call(&admin, RevokeToken { id: other_id }).unwrap();
    assert_eq!(
        read(&object, &other, "a/x").unwrap_err().code,
        ErrorCode::Unauthorized
    );
}

#[test]
fn revoke_token_unknown_is_not_found() {
    let object = Object::new();
    let id = TokenId::parse("tok_0123456789abcdef").unwrap();
    let err = object.master(RevokeToken { id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(detail(&err, "id").as_deref(), Some("tok_0123456789abcdef"));
    assert_eq!(object.last_event(), ("token.revoked".to_owned(), false));
}

#[test]
fn revoke_token_cascades_to_every_token_minted_from_it() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let parent = scoped(&object, &["tokens:create", "secrets:read:a/*"]);
    let parent_id = id_of(&object, &parent);
    let child = created(
        mint(
            &object,
            &parent,
            r#"{"scope": ["tokens:create", "secrets:read:a/*"], "ttl_seconds": 600}"#,
        )
        .unwrap(),
    );
    let grandchild = created(
        mint(
            &object,
            &child.value,
            r#"{"scope": "secrets:read:a/*", "ttl_seconds": 60}"#,
        )
        .unwrap(),
    );
    let sibling = object.token_with("secrets:read:a/*");
    let before = object.events().len();

    object
        .master(RevokeToken {
            id: parent_id.clone(),
        })
        .unwrap();
    for value in [&parent, &child.value, &grandchild.value] {
        let err = read(&object, value, "a/x").unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized);
        assert!(err.message.contains("revoked"), "{}", err.message);
    }
    assert!(read(&object, &sibling, "a/x").is_ok(), "not minted by it");
    // One event for the revocation, one for each token it reached, in one transaction.
    let revoked = object.rows(&format!(
        "SELECT details FROM audit_events WHERE type = 'token.revoked' AND seq > {before}
         ORDER BY seq"
    ));
    assert_eq!(revoked.len(), 3);
    let details: Vec<Value> = revoked
        .iter()
        .map(|row| serde_json::from_str(&row.text(0).unwrap()).unwrap())
        .collect();
    assert_eq!(details.first().unwrap()["token_id"], parent_id.as_str());
    let mut reached: Vec<String> = details
        .iter()
        .skip(1)
        .map(|d| {
            assert_eq!(d["cascade_from"], parent_id.as_str());
            assert_eq!(d["cascade_reason"], "token revoked");
            d["id"].as_str().unwrap().to_owned()
        })
        .collect();
    reached.sort();
    let mut expected = vec![child.id.to_string(), grandchild.id.to_string()];
    expected.sort();
    assert_eq!(reached, expected);
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"),
        3
    );
}

#[test]
fn revoke_token_in_the_middle_leaves_its_parent_alive() {
    let object = Object::new();
    object.secret(r#"{"path": "a/x", "value": "v"}"#);
    let parent = scoped(&object, &["tokens:create", "secrets:read:a/*"]);
    let child = created(
        mint(
            &object,
            &parent,
            r#"{"scope": ["tokens:create", "secrets:read:a/*"], "ttl_seconds": 600}"#,
        )
        .unwrap(),
    );
    let grandchild = created(
        mint(
            &object,
            &child.value,
            r#"{"scope": "secrets:read:a/*", "ttl_seconds": 60}"#,
        )
        .unwrap(),
    );
    // The child revokes itself: what it minted goes with it.
    object
        .call(
            &child.value,
            RevokeToken {
                id: child.id.clone(),
            },
        )
        .unwrap();
    assert!(read(&object, &parent, "a/x").is_ok());
    assert_eq!(
        read(&object, &grandchild.value, "a/x").unwrap_err().code,
        ErrorCode::Unauthorized
    );
    assert!(summary(&object, &grandchild.id).revoked);
}
