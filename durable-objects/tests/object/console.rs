//! Console sessions (issue 25): opened by a person, authenticating as that person with their
//! rights, ended by logout, by the idle timeout and by the absolute lifetime.

use crate::people::{create_role, person};
use crate::support::{Object, event, reply_of};
use latchkey_contract::caller::console::{
    CloseConsoleSession, ConsoleSessionOpened, DescribeConsoleSession, OpenConsoleSession,
};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::{CallerCommand, Channel, Command};
use latchkey_core::console::{ABSOLUTE_LIFETIME_SECONDS, IDLE_TIMEOUT_SECONDS};
use latchkey_core::credential::{CredentialHash, parse_console_session};
use latchkey_core::{ApiError, ErrorCode, SecretPath};

/// A command authenticated by the console cookie's value, as the Worker sends it.
fn with_session<C>(object: &Object, session: &str, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Channel = CallerCommand>,
{
    let credential = parse_console_session(session).expect("a console session");
    reply_of::<C>(object.send(Channel::Caller {
        credential,
        purpose: None,
        command: Some(command.into()),
    }))
}

/// A reader of `prod/*`, logged in, with a console session open.
fn opened(object: &Object) -> ConsoleSessionOpened {
    let role = create_role(object, "prod-reader", r#"["secrets:read:prod/*"]"#);
    let (_, jwt) = person(object, "ada@example.com", &role.id);
    object.call(&jwt, OpenConsoleSession).unwrap()
}

fn read(object: &Object, session: &str, at: &str) -> Result<(), ApiError> {
    with_session(
        object,
        session,
        GetSecret {
            path: SecretPath::parse(at).unwrap(),
            version: None,
        },
    )
    .map(|_| ())
}

#[test]
fn open_console_session_stores_only_its_hash_and_is_recorded() {
    let object = Object::new();
    let opened = opened(&object);
    assert!(opened.session.starts_with("lk_cs_"));
    assert_eq!(opened.identity.email.as_str(), "ada@example.com");
    assert_eq!(
        opened.identity.expires_at,
        object.now().plus_seconds(ABSOLUTE_LIFETIME_SECONDS)
    );
    assert_eq!(object.last_event(), event("console.session_opened", true));
    let rows = object.rows("SELECT hash FROM console_sessions");
    assert_eq!(rows.len(), 1);
    let stored = rows[0].text(0).unwrap();
    assert_eq!(stored, CredentialHash::of(&opened.session).to_hex());
    assert!(!stored.contains(&opened.session));
}

#[test]
fn console_session_acts_with_the_persons_rights_only() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "v1"}"#);
    object.secret(r#"{"path": "dev/db", "value": "v2"}"#);
    let opened = opened(&object);
    read(&object, &opened.session, "prod/db").unwrap();
    assert_eq!(object.last_event(), event("secret.read", true));
    let outside = read(&object, &opened.session, "dev/db").unwrap_err();
    assert_eq!(outside.code, ErrorCode::PermissionDenied);
    let events = object.rows("SELECT actor FROM audit_events WHERE type = 'secret.read'");
    let actor = events[0].text(0).unwrap();
    assert!(
        actor.contains(opened.identity.user_id.as_str()),
        "the read is the person's: {actor}"
    );
}

#[test]
fn open_console_session_by_a_token_is_refused() {
    let object = Object::new();
    let token = object.token_with("secrets:read:prod/*");
    let err = object.call(&token, OpenConsoleSession).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM console_sessions"), 0);
    let master = object.master(OpenConsoleSession).unwrap_err();
    assert_eq!(master.code, ErrorCode::PermissionDenied);
}

#[test]
fn close_console_session_revokes_it_server_side() {
    let object = Object::new();
    let opened = opened(&object);
    let hash = CredentialHash::of(&opened.session);
    with_session(
        &object,
        &opened.session,
        CloseConsoleSession { session: hash },
    )
    .unwrap();
    assert_eq!(object.last_event(), event("console.session_closed", true));
    assert_eq!(object.count("SELECT count(*) FROM console_sessions"), 0);
    let after = with_session(&object, &opened.session, Touch).unwrap_err();
    assert_eq!(after.code, ErrorCode::Unauthorized);
}

#[test]
fn close_another_persons_session_is_not_found_and_keeps_it() {
    let object = Object::new();
    let opened = opened(&object);
    let role = create_role(&object, "other", r#"["audit:read"]"#);
    let (_, bob) = person(&object, "bob@example.com", &role.id);
    let bobs = object.call(&bob, OpenConsoleSession).unwrap();
    let err = with_session(
        &object,
        &bobs.session,
        CloseConsoleSession {
            session: CredentialHash::of(&opened.session),
        },
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    with_session(&object, &opened.session, Touch).unwrap();
}

#[test]
fn console_session_idle_past_the_timeout_is_refused_and_deleted() {
    let object = Object::new();
    let opened = opened(&object);
    object.advance(IDLE_TIMEOUT_SECONDS - 60);
    with_session(&object, &opened.session, Touch).unwrap();
    // Used just now: the idle clock restarted.
    object.advance(IDLE_TIMEOUT_SECONDS - 60);
    with_session(&object, &opened.session, Touch).unwrap();
    object.advance(IDLE_TIMEOUT_SECONDS);
    let err = with_session(&object, &opened.session, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("idle"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM console_sessions"), 0);
}

#[test]
fn console_session_past_its_lifetime_is_refused_however_busy() {
    let object = Object::new();
    let opened = opened(&object);
    let mut elapsed = 0;
    while elapsed + IDLE_TIMEOUT_SECONDS / 2 < ABSOLUTE_LIFETIME_SECONDS {
        object.advance(IDLE_TIMEOUT_SECONDS / 2);
        elapsed += IDLE_TIMEOUT_SECONDS / 2;
        with_session(&object, &opened.session, Touch).unwrap();
    }
    object.advance(IDLE_TIMEOUT_SECONDS / 2);
    let err = with_session(&object, &opened.session, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("ended"), "{}", err.message);
}

#[test]
fn describe_console_session_names_the_person_and_the_end() {
    let object = Object::new();
    let opened = opened(&object);
    let identity = with_session(
        &object,
        &opened.session,
        DescribeConsoleSession {
            session: CredentialHash::of(&opened.session),
        },
    )
    .unwrap();
    assert_eq!(identity.user_id, opened.identity.user_id);
    assert_eq!(identity.expires_at, opened.identity.expires_at);
    assert_eq!(identity.permissions.len(), 1);
}

#[test]
fn unknown_console_session_gets_the_one_unrecognized_answer() {
    let object = Object::new();
    opened(&object);
    let forged = format!("lk_cs_{}_{}", object.tenant_id, "A".repeat(43));
    let err = with_session(&object, &forged, Touch).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.message, latchkey_core::credential::UNRECOGNIZED);
}
