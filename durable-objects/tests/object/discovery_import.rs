//! Issue 25 (seed 000: discovered certificates "for review and optional import"): a person
//! takes a reported certificate or SSH key under management. The import is recorded once (who,
//! when), shown with the item, kept across the agent's later reports, and an imported
//! certificate is one of the agent's assigned certificates. Unknown items and agents are 404;
//! only `agents:admin` imports.

use crate::agents::{agent, certificate, certificates, ssh_keys};
use crate::support::{Object, event};
use latchkey_contract::caller::agents::{
    AgentCertificates, AgentDiscovery, ImportDiscovered, ReportCertificates, ReportSshKeys,
};
use latchkey_core::ErrorCode;
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovery::import::{DiscoveredKind, DiscoveryImport};

fn import(kind: &str, fingerprint: &str) -> DiscoveryImport {
    DiscoveryImport::parse(
        format!(r#"{{"kind": "{kind}", "fingerprint": "{fingerprint}"}}"#).as_bytes(),
    )
    .unwrap()
}

/// An agent that reported one unmanaged certificate and one SSH key.
fn reporting(object: &Object) -> (AgentId, String) {
    let (id, jwt) = agent(object, "web-1");
    object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}]}}"#,
                    certificate("SHA256:found", false)
                )),
            },
        )
        .unwrap();
    object
        .call(
            &jwt,
            ReportSshKeys {
                keys: ssh_keys(
                    r#"{"keys": [{"fingerprint": "SHA256:key", "key_type": "ssh-ed25519", "user": "deploy", "kind": "authorized"}]}"#,
                ),
            },
        )
        .unwrap();
    (id, jwt)
}

#[test]
fn import_takes_a_certificate_under_management_once_and_assigns_it() {
    let object = Object::new();
    let (id, jwt) = reporting(&object);
    assert!(object.call(&jwt, AgentCertificates).unwrap().is_empty());
    let started = object.now();
    let imported = object
        .master(ImportDiscovered {
            id: id.clone(),
            import: import("certificate", "SHA256:found"),
        })
        .unwrap();
    assert_eq!(imported.kind, DiscoveredKind::Certificate);
    assert_eq!(imported.imported_at, started);
    assert!(imported.imported_by.starts_with("master"), "{imported:?}");
    assert_eq!(object.last_event(), event("agent.discovery_imported", true));
    // Assigned to the agent now, and shown imported in the discovery.
    let assigned = object.call(&jwt, AgentCertificates).unwrap();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].imported_at, Some(started));
    // Importing again changes nothing: the first import stands.
    object.advance(60);
    let again = object
        .master(ImportDiscovered {
            id: id.clone(),
            import: import("certificate", "SHA256:found"),
        })
        .unwrap();
    assert_eq!(again.imported_at, started);
    // The agent's next report (still saying unmanaged) keeps the import.
    object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}]}}"#,
                    certificate("SHA256:found", false)
                )),
            },
        )
        .unwrap();
    let seen = object.master(AgentDiscovery { id: id.clone() }).unwrap();
    assert_eq!(seen.certificates[0].imported_at, Some(started));
    assert_eq!(seen.certificates[0].last_seen, object.now());
    assert_eq!(
        seen.ssh_keys[0].imported_at, None,
        "the key was not imported"
    );
}

#[test]
fn import_of_an_ssh_key_is_shown_with_the_key() {
    let object = Object::new();
    let (id, _) = reporting(&object);
    object
        .master(ImportDiscovered {
            id: id.clone(),
            import: import("ssh_key", "SHA256:key"),
        })
        .unwrap();
    let seen = object.master(AgentDiscovery { id }).unwrap();
    assert!(seen.ssh_keys[0].imported_at.is_some());
    assert_eq!(seen.certificates[0].imported_at, None);
}

#[test]
fn import_of_what_was_not_reported_is_not_found_and_changes_nothing() {
    let object = Object::new();
    let (id, _) = reporting(&object);
    let (other, _) = agent(&object, "db-1");
    for (agent_id, kind, fingerprint) in [
        (&id, "certificate", "SHA256:never"),
        // The key is a key, not a certificate.
        (&id, "certificate", "SHA256:key"),
        // Another agent's report is not this one's.
        (&other, "certificate", "SHA256:found"),
    ] {
        let e = object
            .master(ImportDiscovered {
                id: agent_id.clone(),
                import: import(kind, fingerprint),
            })
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound, "{fingerprint}: {e:?}");
    }
    let unknown = AgentId::parse("agt_0123456789abcdef01234567").unwrap();
    let e = object
        .master(ImportDiscovered {
            id: unknown,
            import: import("certificate", "SHA256:found"),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM discovered_certificates WHERE imported_at IS NOT NULL"),
        0
    );
}

#[test]
fn import_needs_agents_admin() {
    let object = Object::new();
    let (id, jwt) = reporting(&object);
    let reader = object.token_with("secrets:read:*");
    for key in [&reader, &jwt] {
        let e = object
            .call(
                key,
                ImportDiscovered {
                    id: id.clone(),
                    import: import("certificate", "SHA256:found"),
                },
            )
            .unwrap_err();
        assert!(
            matches!(
                e.code,
                ErrorCode::PermissionDenied | ErrorCode::Unauthorized
            ),
            "{e:?}"
        );
    }
    assert_eq!(
        object.count("SELECT count(*) FROM discovered_certificates WHERE imported_at IS NOT NULL"),
        0
    );
}
