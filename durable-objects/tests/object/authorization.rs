//! The authorization matrix: every caller command against every scope a token can hold. Each
//! command's rules (`latchkey_contract::Rules::access`) say what it needs; a token without it
//! is refused with `permission_denied` (`unauthorized` where only a bootstrap token will do),
//! the refusal is recorded, and nothing else changes. A token with it is never refused for its
//! scope. Commands open to any authenticated caller check ownership inside; the matrix only
//! checks they are not refused for a scope they do not need.

use crate::samples::{self, PATH};
use crate::support::Object;
use latchkey_contract::{Access, Audit, CallerCommand, Channel};
use latchkey_core::ErrorCode;
use latchkey_core::credential::parse_bearer;
use latchkey_core::scope::{Scope, ScopeSet};
use std::collections::BTreeSet;

/// Every named scope, each secrets action on the samples' namespace, and one elsewhere.
const SCOPES: &[&str] = &[
    "admin",
    "tokens:create",
    "approvals:decide",
    "audit:read",
    "policies:write",
    "agents:admin",
    "users:admin",
    "roles:admin",
    "namespaces:read",
    "secrets:read:prod/*",
    "secrets:write:prod/*",
    "secrets:delete:prod/*",
    "secrets:rotate:prod/*",
    "secrets:use:prod/*",
    "secrets:*:prod/*",
    "secrets:*:other/*",
];

#[derive(Debug, PartialEq)]
enum Expected {
    Allowed,
    Refused(ErrorCode),
    /// Any authenticated caller gets through; the command checks ownership itself.
    Inside,
}

fn expected(access: &Access, scopes: &ScopeSet) -> Expected {
    let allowed = |yes: bool| {
        if yes {
            Expected::Allowed
        } else {
            Expected::Refused(ErrorCode::PermissionDenied)
        }
    };
    match access {
        Access::Scope(scope) => allowed(scopes.covers(scope)),
        Access::Secret(_, action, path) | Access::LoadedSecret(_, action, path) => {
            allowed(scopes.allows_secret(*action, path))
        }
        Access::Secrets(_, action, paths) => {
            allowed(paths.iter().all(|path| scopes.allows_secret(*action, path)))
        }
        Access::Authenticated => Expected::Inside,
        // A token is not a person: it needs one of the scopes.
        Access::PersonOr(wanted) => allowed(wanted.iter().any(|scope| scopes.covers(scope))),
        // A token is not an agent.
        Access::Agent | Access::Person => Expected::Refused(ErrorCode::PermissionDenied),
        Access::Bootstrap => Expected::Refused(ErrorCode::Unauthorized),
    }
}

/// The scope a rule names, as a token would write it.
fn rule_scope(access: &Access) -> Option<String> {
    match access {
        Access::Scope(scope) => Some(scope.to_string()),
        Access::PersonOr(wanted) => wanted.first().map(ToString::to_string),
        Access::Secret(_, action, path) | Access::LoadedSecret(_, action, path) => {
            Some(Scope::for_secret(*action, path).to_string())
        }
        Access::Secrets(..)
        | Access::Authenticated
        | Access::Agent
        | Access::Bootstrap
        | Access::Person => None,
    }
}

/// Rows per table, but the trail (a refusal adds its event) and the rate window.
fn tables(object: &Object) -> Vec<(String, i64)> {
    object
        .rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT IN ('audit_events', 'rate_window') ORDER BY name",
        )
        .iter()
        .map(|row| {
            let table = row.text(0).unwrap();
            let count = object.count(&format!("SELECT count(*) FROM \"{table}\""));
            (table, count)
        })
        .collect()
}

#[test]
fn the_samples_cover_every_caller_command() {
    let object = Object::new();
    let sampled: Vec<&str> = samples::all(object.now())
        .iter()
        .map(CallerCommand::name)
        .collect();
    let unique: BTreeSet<&str> = sampled.iter().copied().collect();
    assert_eq!(unique.len(), sampled.len(), "a command sampled twice");
    let every: BTreeSet<&str> = CallerCommand::names().collect();
    assert_eq!(unique, every, "every caller command needs a sample");
}

#[test]
fn every_scope_against_every_command() {
    let count = samples::all(Object::new().now()).len();
    let mut checked = 0;
    for scope in SCOPES {
        let scopes =
            ScopeSet::from_scopes(scope.split(' ').map(|s| Scope::parse(s).unwrap()).collect());
        for index in 0..count {
            // A fresh tenant each time, holding the standard-tier secret the samples name.
            let object = Object::new();
            object.secret(&format!(
            r#"{{"path": "{PATH}", "value": "v", "allowed_hosts": [{{"host": "api.example.com"}}]}}"#
        ));
            let token = object.token_with(scope);
            let command = samples::all(object.now()).into_iter().nth(index).unwrap();
            let name = command.name();
            let rules = command.rules();
            let expected = expected(&rules.access, &scopes);
            let before = tables(&object);
            let events_before = object.events().len();
            let response = object.send(Channel::Caller {
                credential: parse_bearer(&token).unwrap(),
                purpose: None,
                command: Some(command),
            });
            let refusal = response.result.as_ref().err();
            match &expected {
                Expected::Refused(code) => {
                    let error =
                        refusal.unwrap_or_else(|| panic!("{name} with '{scope}' was let through"));
                    assert_eq!(error.code, *code, "{name} with '{scope}': {error:?}");
                    assert_eq!(
                        tables(&object),
                        before,
                        "{name} with '{scope}' was refused but changed rows"
                    );
                    let events = object.events();
                    if rules.audit == Audit::NotRecorded {
                        assert_eq!(events.len(), events_before, "{name} is never recorded");
                    } else {
                        assert_eq!(events.len(), events_before + 1, "{name} with '{scope}'");
                        assert!(!events.last().unwrap().1, "{name}: the refusal is recorded");
                    }
                }
                Expected::Allowed => {
                    // Never refused for the scope its rules name. A command that hands out
                    // reach (a token, a grant, a role) may still refuse to hand out more than
                    // the caller holds: that refusal names the reach, not the rule's scope.
                    if let Some(error) = refusal
                        && error.code == ErrorCode::PermissionDenied
                    {
                        let wanted = error.details.get("required_scope").and_then(|v| v.as_str());
                        assert!(
                            wanted.is_some_and(
                                |wanted| Some(wanted) != rule_scope(&rules.access).as_deref()
                            ),
                            "{name} with '{scope}' refused: {error:?}"
                        );
                    }
                }
                Expected::Inside => {}
            }
            checked += 1;
        }
    }
    assert_eq!(checked, SCOPES.len() * count);
}

#[test]
fn the_master_key_is_refused_only_agent_bootstrap_and_person_commands() {
    let object = Object::new();
    let count = samples::all(object.now()).len();
    for index in 0..count {
        let object = Object::new();
        object.secret(&format!(
            r#"{{"path": "{PATH}", "value": "v", "allowed_hosts": [{{"host": "api.example.com"}}]}}"#
        ));
        let command = samples::all(object.now()).into_iter().nth(index).unwrap();
        let name = command.name();
        let access = command.rules().access;
        let response = object.send(Channel::Caller {
            credential: parse_bearer(&object.master).unwrap(),
            purpose: None,
            command: Some(command),
        });
        match (access, response.result.err()) {
            (Access::Agent | Access::Person, Some(error)) => {
                assert_eq!(error.code, ErrorCode::PermissionDenied)
            }
            (Access::Bootstrap, Some(error)) => assert_eq!(error.code, ErrorCode::Unauthorized),
            (Access::Agent | Access::Bootstrap | Access::Person, None) => {
                panic!("{name} let the master key in")
            }
            (_, Some(error)) => assert!(
                error.code != ErrorCode::PermissionDenied && error.code != ErrorCode::Unauthorized,
                "{name} refused the master key: {error:?}"
            ),
            (_, None) => {}
        }
    }
}
