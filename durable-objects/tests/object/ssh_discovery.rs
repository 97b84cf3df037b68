//! Seed 000's `/api/v1/ssh/discovery`: every agent's reported SSH keys, tenant-wide, for
//! `ssh:discover` (which `agents:admin` covers), paged without repeats.

use crate::agents::{agent, ssh_keys};
use crate::support::{Object, event};
use latchkey_contract::caller::agents::{ListSshKeys, ReportSshKeys};
use latchkey_core::ErrorCode;
use latchkey_core::agent::discovery::SshKeyQuery;

fn query(pairs: &[(&str, &str)]) -> SshKeyQuery {
    SshKeyQuery::parse(pairs.iter().copied()).unwrap()
}

fn report(object: &Object, jwt: &str, prints: &[&str]) {
    let keys: Vec<String> = prints
        .iter()
        .map(|p| {
            format!(r#"{{"fingerprint": "{p}", "key_type": "ssh-ed25519", "user": "deploy"}}"#)
        })
        .collect();
    object
        .call(
            jwt,
            ReportSshKeys {
                keys: ssh_keys(&format!(r#"{{"keys": [{}]}}"#, keys.join(","))),
            },
        )
        .unwrap();
}

#[test]
fn ssh_keys_of_every_agent_listed_paged_and_filtered_by_agent() {
    let object = Object::new();
    let (a, a_jwt) = agent(&object, "web-1");
    let (b, b_jwt) = agent(&object, "db-1");
    report(&object, &a_jwt, &["SHA256:a1", "SHA256:a2"]);
    report(&object, &b_jwt, &["SHA256:b1"]);
    // A re-report updates in place: no duplicate, same position.
    report(&object, &a_jwt, &["SHA256:a1"]);

    let all = object.master(ListSshKeys { query: query(&[]) }).unwrap();
    let seen: Vec<(String, String)> = all
        .ssh_keys
        .iter()
        .map(|k| (k.agent_id.to_string(), k.sighting.item.fingerprint.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (a.to_string(), "SHA256:a1".to_owned()),
            (a.to_string(), "SHA256:a2".to_owned()),
            (b.to_string(), "SHA256:b1".to_owned()),
        ]
    );
    assert_eq!(all.next_cursor, None);
    assert_eq!(object.last_event(), event("agent.ssh_keys_listed", true));

    // Pages of two, then the rest, with no key twice.
    let first = object
        .master(ListSshKeys {
            query: query(&[("limit", "2")]),
        })
        .unwrap();
    assert_eq!(first.ssh_keys.len(), 2);
    let cursor = first.next_cursor.clone().unwrap();
    let second = object
        .master(ListSshKeys {
            query: query(&[("limit", "2"), ("cursor", &cursor)]),
        })
        .unwrap();
    assert_eq!(second.ssh_keys.len(), 1);
    assert_eq!(second.ssh_keys[0].sighting.item.fingerprint, "SHA256:b1");
    assert_eq!(second.next_cursor, None);

    let only_b = object
        .master(ListSshKeys {
            query: query(&[("agent_id", b.as_str())]),
        })
        .unwrap();
    assert_eq!(only_b.ssh_keys.len(), 1);
    assert_eq!(only_b.ssh_keys[0].agent_id, b);
}

#[test]
fn ssh_keys_need_ssh_discover_which_agents_admin_covers() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "web-1");
    report(&object, &jwt, &["SHA256:k"]);
    let reader = object.token_with("audit:read");
    let e = object
        .call(&reader, ListSshKeys { query: query(&[]) })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert!(e.message.contains("ssh:discover"), "{}", e.message);
    assert_eq!(object.last_event(), event("agent.ssh_keys_listed", false));
    // The agent itself may not list the fleet's keys either.
    assert_eq!(
        object
            .call(&jwt, ListSshKeys { query: query(&[]) })
            .unwrap_err()
            .code,
        ErrorCode::PermissionDenied
    );
    for scope in ["ssh:discover", "agents:admin"] {
        let token = object.token_with(scope);
        let page = object
            .call(&token, ListSshKeys { query: query(&[]) })
            .unwrap();
        assert_eq!(page.ssh_keys.len(), 1, "{scope}");
    }
}
