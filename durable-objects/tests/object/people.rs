//! People: users, their logins (challenge, derived password, lockout), roles, and who holds
//! which role.

use crate::support::{Object, event, path};
use latchkey_contract::caller::people::{
    CreateRole, CreateUser, CreateUserRole, DeleteRole, DeleteUser, DeleteUserRole, GetRole,
    ListRoles, ListUserRoles, ListUsers, Permissions, ReinstateUser, SetRolePermissions, UserRoles,
};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::caller::tokens::{CreateToken, RevokeToken, TokenMinted};
use latchkey_contract::public::{Login, LoginChallenge};
use latchkey_core::agent::BootstrapRequest;
use latchkey_core::people::{
    DerivedPassword, Email, KdfParams, LoginIssued, NewUser, Password, SALT_BYTES, UserId, UserView,
};
use latchkey_core::role::{NewRole, RoleId, RoleView, UserRoleId, UserRoleRequest};
use latchkey_core::scope::Scope;
use latchkey_core::token::{TokenId, TokenRequest};
use latchkey_core::{ApiError, ErrorCode};

const PASSWORD: &str = "correct horse battery";
/// The fewest rounds a stored hash may name: the tests derive quickly.
const ITERATIONS: u32 = 10_000;
const ADMIN_ROLE: &str = "rol_000000000000000000000001";
const APPROVER_ROLE: &str = "rol_000000000000000000000002";
const READER_ROLE: &str = "rol_000000000000000000000003";

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

fn new_user(address: &str, salt: u8) -> NewUser {
    let kdf = KdfParams {
        salt: [salt; SALT_BYTES],
        iterations: ITERATIONS,
    };
    NewUser {
        email: email(address),
        name: address.split('@').next().unwrap().to_owned(),
        password: Password::parse(PASSWORD)
            .unwrap()
            .derive(&kdf.salt, kdf.iterations),
        kdf,
    }
}

fn create_user_with(object: &Object, key: &str, address: &str) -> UserView {
    object
        .call(
            key,
            CreateUser {
                user: new_user(address, 7),
            },
        )
        .unwrap()
}

fn create_user(object: &Object, address: &str) -> UserView {
    create_user_with(object, &object.master.clone(), address)
}

/// Logs in as the Worker does: the challenge's salt and rounds, the password derived here.
fn login(object: &Object, address: &str, password: &str) -> Result<LoginIssued, ApiError> {
    let kdf = object.operator(LoginChallenge {
        email: email(address),
    })?;
    let derived = Password::parse(password)
        .unwrap()
        .derive(&kdf.salt, kdf.iterations);
    object.operator(Login {
        email: email(address),
        password: derived,
    })
}

/// A login with a derived password that matches nothing (no KDF work).
fn login_wrong(object: &Object, address: &str) -> ApiError {
    object
        .operator(Login {
            email: email(address),
            password: DerivedPassword::from_bytes([1; 32]),
        })
        .unwrap_err()
}

fn role_id(text: &str) -> RoleId {
    RoleId::parse(text).unwrap()
}

fn new_role(name: &str, permissions: &str) -> NewRole {
    let body = format!(r#"{{"name": "{name}", "permissions": {permissions}}}"#);
    NewRole::parse(body.as_bytes()).unwrap()
}

pub(crate) fn create_role(object: &Object, name: &str, permissions: &str) -> RoleView {
    object
        .master(CreateRole {
            role: new_role(name, permissions),
        })
        .unwrap()
}

fn assign(object: &Object, user: &UserId, role: &RoleId) -> UserRoleId {
    object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: user.clone(),
                role_id: role.clone(),
            },
        })
        .unwrap()
        .id
}

/// A user holding `role`, logged in: the user and the login JWT.
pub(crate) fn person(object: &Object, address: &str, role: &RoleId) -> (UserView, String) {
    let user = create_user(object, address);
    assign(object, &user.id, role);
    let issued = login(object, address, PASSWORD).unwrap();
    (user, issued.token)
}

fn scopes(list: &[&str]) -> Vec<Scope> {
    list.iter().map(|s| Scope::parse(s).unwrap()).collect()
}

fn token_id(object: &Object, token: &str) -> TokenId {
    let hash = Object::hash_of(token).to_hex();
    let rows = object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"));
    TokenId::parse(&rows[0].text(0).unwrap()).unwrap()
}

fn mint(object: &Object, key: &str, scope: &str) -> String {
    let body = format!(r#"{{"scope": "{scope}", "ttl_seconds": 3600}}"#);
    let request = TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap();
    match object.call(key, CreateToken { request }).unwrap() {
        TokenMinted::Created(created) => created.value,
        TokenMinted::Pending(_) => panic!("token needs approval"),
    }
}

fn unknown_user() -> UserId {
    UserId::parse("usr_0123456789abcdef01234567").unwrap()
}

fn unknown_role() -> RoleId {
    role_id("rol_0123456789abcdef01234567")
}

// --- CreateUser ------------------------------------------------------------------------------

#[test]
fn create_user_stores_the_derived_hash_and_is_recorded() {
    let object = Object::new();
    let user = object
        .master(CreateUser {
            user: new_user("Ada@Example.com", 9),
        })
        .unwrap();
    assert!(user.id.as_str().starts_with("usr_"));
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!(user.name, "Ada");
    assert_eq!(user.created_at, object.now());
    assert_eq!(user.last_login_at, None);
    let rows =
        object.rows("SELECT email, kdf_salt, kdf_iterations, password_hash, created_by FROM users");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text(0).unwrap(), "ada@example.com");
    assert_eq!(rows[0].text(1).unwrap(), "09".repeat(SALT_BYTES));
    assert_eq!(rows[0].int(2).unwrap(), i64::from(ITERATIONS));
    assert_eq!(rows[0].text(3).unwrap().len(), 64);
    assert!(!rows[0].text(3).unwrap().contains(PASSWORD));
    assert_eq!(rows[0].text(4).unwrap(), "master");
    let trail =
        object.rows("SELECT details FROM audit_events WHERE type = 'user.created' AND success = 1");
    assert!(trail[0].text(0).unwrap().contains("ada@example.com"));
}

#[test]
fn create_user_with_a_taken_email_is_a_conflict() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    let err = object
        .master(CreateUser {
            user: new_user("ADA@example.com", 3),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["field"], "email");
    assert_eq!(object.count("SELECT count(*) FROM users"), 1);
    assert_eq!(object.last_event(), event("user.created", false));
}

#[test]
fn create_user_without_users_admin_is_refused() {
    let object = Object::new();
    let token = object.token_with("roles:admin");
    let err = object
        .call(
            &token,
            CreateUser {
                user: new_user("ada@example.com", 1),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "users:admin");
    assert_eq!(object.count("SELECT count(*) FROM users"), 0);
    assert_eq!(object.last_event(), event("user.created", false));
}

// --- ListUsers -------------------------------------------------------------------------------

#[test]
fn list_users_is_by_email_and_shows_no_hash() {
    let object = Object::new();
    create_user(&object, "zed@example.com");
    create_user(&object, "ada@example.com");
    let users = object.master(ListUsers).unwrap();
    let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, vec!["ada@example.com", "zed@example.com"]);
    assert_eq!(object.last_event(), event("user.listed", true));
    let token = object.token_with("users:admin");
    assert_eq!(object.call(&token, ListUsers).unwrap().len(), 2);
}

#[test]
fn list_users_by_a_person_without_users_admin_is_refused() {
    let object = Object::new();
    let (_, jwt) = person(&object, "reader@example.com", &role_id(READER_ROLE));
    let err = object.call(&jwt, ListUsers).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(
        err.message.contains("none of your roles"),
        "{}",
        err.message
    );
    assert_eq!(object.last_event(), event("user.listed", false));
}

// --- LoginChallenge / Login ------------------------------------------------------------------

#[test]
fn login_challenge_gives_the_stored_salt_and_records_nothing() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    let before = object.events();
    let kdf = object
        .operator(LoginChallenge {
            email: email("ada@example.com"),
        })
        .unwrap();
    assert_eq!(kdf.salt, [7; SALT_BYTES]);
    assert_eq!(kdf.iterations, ITERATIONS);
    assert_eq!(object.events(), before);
}

#[test]
fn login_challenge_for_an_unknown_email_is_a_stable_decoy() {
    let object = Object::new();
    let challenge = |address: &str| {
        object
            .operator(LoginChallenge {
                email: email(address),
            })
            .unwrap()
    };
    let first = challenge("nobody@example.com");
    assert_eq!(first, challenge("nobody@example.com"));
    assert_eq!(first.iterations, latchkey_core::people::KDF_ITERATIONS);
    assert_ne!(first.salt, challenge("someone-else@example.com").salt);
}

#[test]
fn login_with_the_right_password_issues_a_user_jwt() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    assign(&object, &user.id, &role_id(READER_ROLE));
    object.advance(30);
    let issued = login(&object, "ada@example.com", PASSWORD).unwrap();
    assert_eq!(issued.user.id, user.id);
    assert_eq!(issued.user.last_login_at, Some(object.now()));
    assert_eq!(issued.expires_at, object.now().plus_seconds(12 * 3_600));
    assert_eq!(
        object.count("SELECT last_login_at FROM users"),
        object.now().unix_ms()
    );
    let trail = object.rows(
        "SELECT actor, actor_description, success FROM audit_events WHERE type = 'user.login'",
    );
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].text(0).unwrap(), format!("user:{}", user.id));
    assert_eq!(trail[0].text(1).unwrap(), "ada@example.com");
    assert_eq!(trail[0].int(2).unwrap(), 1);
    // The JWT is a caller key: the person's roles decide.
    let roles = object.call(&issued.token, ListRoles).unwrap();
    assert_eq!(roles.len(), 3);
    let trail =
        object.rows("SELECT actor FROM audit_events WHERE type = 'role.listed' AND success = 1");
    assert_eq!(trail[0].text(0).unwrap(), format!("user:{}", user.id));
}

#[test]
fn login_with_a_wrong_password_is_refused_like_an_unknown_email() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    let wrong = login(&object, "ada@example.com", "not the password at all").unwrap_err();
    assert_eq!(wrong.code, ErrorCode::Unauthorized);
    assert_eq!(wrong.message, "invalid email or password");
    let unknown = login_wrong(&object, "nobody@example.com");
    assert_eq!(unknown.code, ErrorCode::Unauthorized);
    assert_eq!(unknown.message, wrong.message);
    assert_eq!(
        object.count("SELECT count(*) FROM users WHERE last_login_at IS NOT NULL"),
        0
    );
    // Counted against both accounts and the address.
    assert_eq!(object.count("SELECT count(*) FROM login_failures"), 3);
    // The refusals are written, as anonymous, by the next write-back.
    assert_eq!(
        object.count("SELECT count(*) FROM audit_events WHERE type = 'user.login'"),
        0
    );
    object.master(Touch).unwrap();
    let trail = object.rows(
        "SELECT actor, success, details FROM audit_events WHERE type = 'user.login' ORDER BY seq",
    );
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[0].text(0).unwrap(), "anonymous");
    assert_eq!(trail[0].int(1).unwrap(), 0);
    assert!(trail[0].text(2).unwrap().contains("ada@example.com"));
}

#[test]
fn five_failed_logins_lock_the_account_even_for_the_right_password() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    for _ in 0..5 {
        assert_eq!(
            login_wrong(&object, "ada@example.com").code,
            ErrorCode::Unauthorized
        );
    }
    let locked = login_wrong(&object, "ada@example.com");
    assert_eq!(locked.code, ErrorCode::RateLimited);
    assert_eq!(locked.details["retry_after"], 900);
    let challenge = object
        .operator(LoginChallenge {
            email: email("ada@example.com"),
        })
        .unwrap_err();
    assert_eq!(challenge.code, ErrorCode::RateLimited);
    let right = object
        .operator(Login {
            email: email("ada@example.com"),
            password: Password::parse(PASSWORD)
                .unwrap()
                .derive(&[7; SALT_BYTES], ITERATIONS),
        })
        .unwrap_err();
    assert_eq!(right.code, ErrorCode::RateLimited);
    // Another account from the same address is not locked.
    create_user(&object, "bob@example.com");
    login(&object, "bob@example.com", PASSWORD).unwrap();
    // The lockout ends.
    object.advance(900);
    login(&object, "ada@example.com", PASSWORD).unwrap();
}

#[test]
fn a_good_login_clears_the_accounts_failures() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    for _ in 0..4 {
        login_wrong(&object, "ada@example.com");
    }
    login(&object, "ada@example.com", PASSWORD).unwrap();
    // Only the address's count is left.
    assert_eq!(object.count("SELECT count(*) FROM login_failures"), 1);
    for _ in 0..4 {
        login_wrong(&object, "ada@example.com");
    }
    login(&object, "ada@example.com", PASSWORD).unwrap();
}

#[test]
fn twenty_failures_from_one_address_lock_out_every_account() {
    let object = Object::new();
    create_user(&object, "ada@example.com");
    for i in 0..20 {
        login_wrong(&object, &format!("guess{i}@example.com"));
    }
    let err = object
        .operator(LoginChallenge {
            email: email("ada@example.com"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
}

#[test]
fn a_user_jwt_expires_after_twelve_hours() {
    let object = Object::new();
    let (_, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    object.advance(12 * 3_600 - 1);
    object.call(&jwt, ListRoles).unwrap();
    object.advance(2);
    let err = object.call(&jwt, ListRoles).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[test]
fn a_reader_reaches_standard_secrets_but_not_sensitive_ones() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "standard-value"}"#);
    object.secret(r#"{"path": "prod/vault", "value": "sensitive-value", "tier": "sensitive"}"#);
    let (_, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    let read = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
        .unwrap();
    assert!(read.body.contains("standard-value"));
    let err = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/vault"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
}

// --- DeleteUser ------------------------------------------------------------------------------

#[test]
fn deleted_user_loses_roles_session_and_tokens() {
    let object = Object::new();
    let role = create_role(
        &object,
        "minter",
        r#"["tokens:create", "secrets:read:prod/*"]"#,
    );
    let (user, jwt) = person(&object, "ada@example.com", &role.id);
    let minted = mint(&object, &jwt, "secrets:read:prod/*");
    object
        .master(DeleteUser {
            id: user.id.clone(),
        })
        .unwrap();
    assert_eq!(object.count("SELECT count(*) FROM users"), 0);
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 0);
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"),
        1
    );
    let events = object.events();
    assert!(events.contains(&event("user.deleted", true)));
    assert!(events.contains(&event("token.revoked", true)));
    let session = object.call(&jwt, ListRoles).unwrap_err();
    assert_eq!(session.code, ErrorCode::Unauthorized);
    assert!(
        session.message.contains("no longer exists"),
        "{}",
        session.message
    );
    let token = object.call(&minted, Touch).unwrap_err();
    assert_eq!(token.code, ErrorCode::Unauthorized);
    assert_eq!(
        login_wrong(&object, "ada@example.com").code,
        ErrorCode::Unauthorized
    );
}

#[test]
fn delete_unknown_user_is_not_found() {
    let object = Object::new();
    let err = object
        .master(DeleteUser { id: unknown_user() })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["id"], unknown_user().as_str());
    assert_eq!(object.last_event(), event("user.deleted", false));
}

#[test]
fn delete_a_user_whose_roles_the_caller_lacks_is_refused() {
    let object = Object::new();
    let admin = create_user(&object, "root@example.com");
    assign(&object, &admin.id, &role_id(ADMIN_ROLE));
    let users_admin = object.token_with("users:admin");
    let err = object
        .call(
            &users_admin,
            DeleteUser {
                id: admin.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert_eq!(object.count("SELECT count(*) FROM users"), 1);
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 1);
}

// --- ReinstateUser ---------------------------------------------------------------------------

/// A user created by a `users:admin` token that was then revoked: suspended by the cascade.
fn suspended_user(object: &Object) -> (UserView, String) {
    let maker = object.token_with("users:admin");
    let user = create_user_with(object, &maker, "ada@example.com");
    object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: user.id.clone(),
                role_id: role_id(READER_ROLE),
            },
        })
        .unwrap();
    let jwt = login(object, "ada@example.com", PASSWORD).unwrap().token;
    object
        .master(RevokeToken {
            id: token_id(object, &maker),
        })
        .unwrap();
    (user, jwt)
}

#[test]
fn user_suspended_by_a_cascade_is_refused_until_reinstated() {
    let object = Object::new();
    let (user, jwt) = suspended_user(&object);
    assert!(object.events().contains(&event("user.suspended", true)));
    let session = object.call(&jwt, ListRoles).unwrap_err();
    assert_eq!(session.code, ErrorCode::Unauthorized);
    assert!(session.message.contains("suspended"), "{}", session.message);
    let refused = login(&object, "ada@example.com", PASSWORD).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unauthorized);
    assert!(refused.message.contains("suspended"), "{}", refused.message);
    // The right password of a suspended person is not a failure.
    assert_eq!(object.count("SELECT count(*) FROM login_failures"), 0);
    let reinstated = object
        .master(ReinstateUser {
            id: user.id.clone(),
        })
        .unwrap();
    assert_eq!(reinstated.id, user.id);
    assert_eq!(reinstated.suspended_at, None);
    assert_eq!(object.last_event(), event("user.reinstated", true));
    object.call(&jwt, ListRoles).unwrap();
    login(&object, "ada@example.com", PASSWORD).unwrap();
}

#[test]
fn reinstate_a_user_who_is_not_suspended_is_a_conflict() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    let err = object.master(ReinstateUser { id: user.id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.last_event(), event("user.reinstated", false));
    let unknown = object
        .master(ReinstateUser { id: unknown_user() })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

#[test]
fn reinstate_needs_admin_not_users_admin() {
    let object = Object::new();
    let (user, _) = suspended_user(&object);
    let users_admin = object.token_with("users:admin");
    let err = object
        .call(&users_admin, ReinstateUser { id: user.id })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert_eq!(
        object.count("SELECT count(*) FROM users WHERE suspended_at IS NOT NULL"),
        1
    );
}

// --- UserRoles -------------------------------------------------------------------------------

#[test]
fn a_person_sees_their_own_roles_and_an_admin_anyones() {
    let object = Object::new();
    let (user, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    let own = object
        .call(
            &jwt,
            UserRoles {
                id: user.id.clone(),
            },
        )
        .unwrap();
    let names: Vec<&str> = own.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["reader"]);
    assert_eq!(object.last_event(), event("user.roles_read", true));
    let seen = object.master(UserRoles { id: user.id }).unwrap();
    assert_eq!(seen.len(), 1);
}

#[test]
fn a_person_may_not_see_someone_elses_roles() {
    let object = Object::new();
    let (_, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    let other = create_user(&object, "bob@example.com");
    let err = object.call(&jwt, UserRoles { id: other.id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "users:admin");
    assert_eq!(object.last_event(), event("user.roles_read", false));
    let unknown = object.master(UserRoles { id: unknown_user() }).unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

// --- Permissions -----------------------------------------------------------------------------

#[test]
fn permissions_are_open_to_any_caller_and_recorded() {
    let object = Object::new();
    object.master(Permissions).unwrap();
    assert_eq!(object.last_event(), event("permission.listed", true));
    let (_, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    object.call(&jwt, Permissions).unwrap();
    let token = object.token_with("secrets:read:x/*");
    object.call(&token, Permissions).unwrap();
}

#[test]
fn permissions_with_a_bootstrap_token_are_refused() {
    let object = Object::new();
    let boot = object
        .master(latchkey_contract::caller::agents::CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let err = object.call(&boot.token, Permissions).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(object.last_event(), event("permission.listed", false));
}

// --- CreateRole / ListRoles / GetRole --------------------------------------------------------

#[test]
fn create_role_stores_it_and_it_reads_back() {
    let object = Object::new();
    let role = object
        .master(CreateRole {
            role: NewRole::parse(
                br#"{"name": "ops", "description": "Operators", "permissions": ["secrets:read:prod/*", "audit:read"]}"#,
            )
            .unwrap(),
        })
        .unwrap();
    assert!(role.id.as_str().starts_with("rol_"));
    assert!(!role.built_in);
    assert_eq!(
        role.permissions,
        scopes(&["secrets:read:prod/*", "audit:read"])
    );
    let trail =
        object.rows("SELECT details FROM audit_events WHERE type = 'role.created' AND success = 1");
    assert!(trail[0].text(0).unwrap().contains(r#""name":"ops""#));
    let rows = object.rows("SELECT name, description, permissions, created_by FROM roles");
    assert_eq!(rows[0].text(0).unwrap(), "ops");
    assert_eq!(rows[0].text(1).unwrap(), "Operators");
    assert_eq!(rows[0].text(3).unwrap(), "master");
    let read = object
        .master(GetRole {
            id: role.id.clone(),
        })
        .unwrap();
    assert_eq!(read, role);
    assert_eq!(object.last_event(), event("role.read", true));
}

#[test]
fn create_role_with_a_taken_name_is_a_conflict() {
    let object = Object::new();
    create_role(&object, "ops", r#"["audit:read"]"#);
    for name in ["ops", "admin"] {
        let err = object
            .master(CreateRole {
                role: new_role(name, r#"["audit:read"]"#),
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{name}");
        assert_eq!(err.details["field"], "name");
    }
    assert_eq!(object.count("SELECT count(*) FROM roles"), 1);
    assert_eq!(object.last_event(), event("role.created", false));
}

#[test]
fn create_role_beyond_the_callers_permissions_is_refused() {
    let object = Object::new();
    let roles_admin =
        object.token(r#"{"scope": ["roles:admin", "secrets:read:prod/*"], "ttl_seconds": 600}"#);
    let err = object
        .call(
            &roles_admin,
            CreateRole {
                role: new_role("wide", r#"["secrets:read:*"]"#),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:read:*");
    // Approvers are made only by an admin.
    let err = object
        .call(
            &roles_admin,
            CreateRole {
                role: new_role("deciders", r#"["approvals:decide"]"#),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM roles"), 0);
    // Within its reach it may.
    object
        .call(
            &roles_admin,
            CreateRole {
                role: new_role("narrow", r#"["secrets:read:prod/db/*"]"#),
            },
        )
        .unwrap();
}

#[test]
fn list_roles_shows_built_ins_then_the_tenants_by_name() {
    let object = Object::new();
    create_role(&object, "zeta", r#"["audit:read"]"#);
    create_role(&object, "alpha", r#"["audit:read"]"#);
    let roles = object.master(ListRoles).unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["admin", "approver", "reader", "alpha", "zeta"]);
    assert!(roles[0].built_in && !roles[3].built_in);
    assert_eq!(object.last_event(), event("role.listed", true));
}

#[test]
fn list_roles_with_a_bootstrap_token_is_refused() {
    let object = Object::new();
    let boot = object
        .master(latchkey_contract::caller::agents::CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let err = object.call(&boot.token, ListRoles).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(object.last_event(), event("role.listed", false));
}

#[test]
fn get_role_reads_a_built_in_and_refuses_an_unknown_one() {
    let object = Object::new();
    let approver = object
        .master(GetRole {
            id: role_id(APPROVER_ROLE),
        })
        .unwrap();
    assert_eq!(approver.name, "approver");
    assert!(approver.built_in);
    assert_eq!(
        approver.permissions,
        scopes(&["approvals:decide", "audit:read"])
    );
    let err = object.master(GetRole { id: unknown_role() }).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["id"], unknown_role().as_str());
    assert_eq!(object.last_event(), event("role.read", false));
}

// --- SetRolePermissions ----------------------------------------------------------------------

#[test]
fn set_role_permissions_changes_holders_reach_and_revokes_their_tokens() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "prod-value"}"#);
    let role = create_role(
        &object,
        "ops",
        r#"["tokens:create", "secrets:read:prod/*"]"#,
    );
    let (_, jwt) = person(&object, "ada@example.com", &role.id);
    let minted = mint(&object, &jwt, "secrets:read:prod/*");
    let updated = object
        .master(SetRolePermissions {
            id: role.id.clone(),
            permissions: scopes(&["secrets:read:staging/*"]),
        })
        .unwrap();
    assert_eq!(updated.permissions, scopes(&["secrets:read:staging/*"]));
    assert_eq!(object.last_event(), event("role.updated", true));
    assert_eq!(
        object.count("SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"),
        1
    );
    assert_eq!(
        object.call(&minted, Touch).unwrap_err().code,
        ErrorCode::Unauthorized
    );
    let err = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let read = object.master(GetRole { id: role.id }).unwrap();
    assert_eq!(read.permissions, scopes(&["secrets:read:staging/*"]));
}

#[test]
fn set_permissions_of_a_built_in_role_is_a_conflict() {
    let object = Object::new();
    let err = object
        .master(SetRolePermissions {
            id: role_id(READER_ROLE),
            permissions: scopes(&["audit:read"]),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.last_event(), event("role.updated", false));
    let unknown = object
        .master(SetRolePermissions {
            id: unknown_role(),
            permissions: scopes(&["audit:read"]),
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

#[test]
fn set_permissions_beyond_the_callers_own_is_refused_and_changes_nothing() {
    let object = Object::new();
    let role = create_role(&object, "ops", r#"["secrets:read:prod/*"]"#);
    let roles_admin =
        object.token(r#"{"scope": ["roles:admin", "secrets:read:prod/*"], "ttl_seconds": 600}"#);
    let err = object
        .call(
            &roles_admin,
            SetRolePermissions {
                id: role.id.clone(),
                permissions: scopes(&["secrets:*:prod/*"]),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:*:prod/*");
    let read = object.master(GetRole { id: role.id }).unwrap();
    assert_eq!(read.permissions, scopes(&["secrets:read:prod/*"]));
}

// --- DeleteRole ------------------------------------------------------------------------------

#[test]
fn delete_role_removes_it_with_its_assignments_and_holders_tokens() {
    let object = Object::new();
    let role = create_role(
        &object,
        "ops",
        r#"["tokens:create", "secrets:read:prod/*"]"#,
    );
    let (user, jwt) = person(&object, "ada@example.com", &role.id);
    let minted = mint(&object, &jwt, "secrets:read:prod/*");
    object
        .master(DeleteRole {
            id: role.id.clone(),
        })
        .unwrap();
    assert_eq!(object.last_event(), event("role.deleted", true));
    assert_eq!(object.count("SELECT count(*) FROM roles"), 0);
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 0);
    assert_eq!(
        object.call(&minted, Touch).unwrap_err().code,
        ErrorCode::Unauthorized
    );
    assert!(object.master(UserRoles { id: user.id }).unwrap().is_empty());
    let again = object.master(DeleteRole { id: role.id }).unwrap_err();
    assert_eq!(again.code, ErrorCode::NotFound);
}

#[test]
fn delete_a_built_in_role_is_a_conflict() {
    let object = Object::new();
    let err = object
        .master(DeleteRole {
            id: role_id(ADMIN_ROLE),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.last_event(), event("role.deleted", false));
}

#[test]
fn delete_role_without_roles_admin_is_refused() {
    let object = Object::new();
    let role = create_role(&object, "ops", r#"["audit:read"]"#);
    let users_admin = object.token_with("users:admin");
    let err = object
        .call(&users_admin, DeleteRole { id: role.id })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "roles:admin");
    assert_eq!(object.count("SELECT count(*) FROM roles"), 1);
}

// --- CreateUserRole / ListUserRoles / DeleteUserRole -----------------------------------------

#[test]
fn assign_a_role_gives_its_permissions_from_the_next_request() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "prod-value"}"#);
    let user = create_user(&object, "ada@example.com");
    let jwt = login(&object, "ada@example.com", PASSWORD).unwrap().token;
    let read = || {
        object.call(
            &jwt,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
    };
    assert_eq!(read().unwrap_err().code, ErrorCode::PermissionDenied);
    let assigned = object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: user.id.clone(),
                role_id: role_id(READER_ROLE),
            },
        })
        .unwrap();
    assert!(assigned.id.as_str().starts_with("urs_"));
    assert_eq!(assigned.role_name, "reader");
    assert_eq!(assigned.created_by, "master");
    assert_eq!(object.last_event(), event("user_role.created", true));
    assert!(read().unwrap().body.contains("prod-value"));
}

#[test]
fn assign_a_role_twice_is_a_conflict() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    assign(&object, &user.id, &role_id(READER_ROLE));
    let err = object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: user.id,
                role_id: role_id(READER_ROLE),
            },
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 1);
    assert_eq!(object.last_event(), event("user_role.created", false));
}

#[test]
fn assign_to_an_unknown_user_or_of_an_unknown_role_is_not_found() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    let no_user = object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: unknown_user(),
                role_id: role_id(READER_ROLE),
            },
        })
        .unwrap_err();
    assert_eq!(no_user.code, ErrorCode::NotFound);
    let no_role = object
        .master(CreateUserRole {
            request: UserRoleRequest {
                user_id: user.id,
                role_id: unknown_role(),
            },
        })
        .unwrap_err();
    assert_eq!(no_role.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 0);
}

#[test]
fn assign_a_role_the_caller_does_not_hold_is_refused() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    let users_admin = object.token_with("users:admin");
    let err = object
        .call(
            &users_admin,
            CreateUserRole {
                request: UserRoleRequest {
                    user_id: user.id.clone(),
                    role_id: role_id(APPROVER_ROLE),
                },
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "approvals:decide");
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 0);
}

#[test]
fn list_user_roles_own_or_all_with_users_admin() {
    let object = Object::new();
    let (ada, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    let bob = create_user(&object, "bob@example.com");
    assign(&object, &bob.id, &role_id(APPROVER_ROLE));
    let own = object
        .call(
            &jwt,
            ListUserRoles {
                user_id: Some(ada.id.clone()),
                role_id: None,
            },
        )
        .unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].user_id, ada.id);
    assert_eq!(object.last_event(), event("user_role.listed", true));
    let all = object
        .master(ListUserRoles {
            user_id: None,
            role_id: None,
        })
        .unwrap();
    assert_eq!(all.len(), 2);
    let approvers = object
        .master(ListUserRoles {
            user_id: None,
            role_id: Some(role_id(APPROVER_ROLE)),
        })
        .unwrap();
    assert_eq!(approvers.len(), 1);
    assert_eq!(approvers[0].user_id, bob.id);
    assert_eq!(approvers[0].role_name, "approver");
}

#[test]
fn list_user_roles_of_others_without_users_admin_is_refused() {
    let object = Object::new();
    let (_, jwt) = person(&object, "ada@example.com", &role_id(READER_ROLE));
    let bob = create_user(&object, "bob@example.com");
    for (user_id, role) in [(Some(bob.id), None), (None, None)] {
        let err = object
            .call(
                &jwt,
                ListUserRoles {
                    user_id,
                    role_id: role,
                },
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PermissionDenied);
        assert_eq!(err.details["required_scope"], "users:admin");
    }
    assert_eq!(object.last_event(), event("user_role.listed", false));
}

#[test]
fn delete_user_role_takes_the_permissions_and_the_holders_tokens() {
    let object = Object::new();
    let role = create_role(
        &object,
        "minter",
        r#"["tokens:create", "secrets:read:prod/*"]"#,
    );
    let user = create_user(&object, "ada@example.com");
    let assignment = assign(&object, &user.id, &role.id);
    let jwt = login(&object, "ada@example.com", PASSWORD).unwrap().token;
    let minted = mint(&object, &jwt, "secrets:read:prod/*");
    object
        .master(DeleteUserRole {
            id: assignment.clone(),
        })
        .unwrap();
    assert_eq!(object.last_event(), event("user_role.deleted", true));
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 0);
    assert_eq!(
        object.call(&minted, Touch).unwrap_err().code,
        ErrorCode::Unauthorized
    );
    let body = r#"{"scope": "secrets:read:prod/*", "ttl_seconds": 60}"#;
    let err = object
        .call(
            &jwt,
            CreateToken {
                request: TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let again = object
        .master(DeleteUserRole { id: assignment })
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), event("user_role.deleted", false));
}

#[test]
fn delete_user_role_the_caller_could_not_give_is_refused() {
    let object = Object::new();
    let user = create_user(&object, "ada@example.com");
    let assignment = assign(&object, &user.id, &role_id(ADMIN_ROLE));
    let users_admin = object.token_with("users:admin");
    let err = object
        .call(&users_admin, DeleteUserRole { id: assignment })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert_eq!(object.count("SELECT count(*) FROM user_roles"), 1);
}
