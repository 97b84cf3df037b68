//! Issue 23: agents' public keys, data keys sealed to them, and discovered secrets.

use crate::support::{Object, detail, event, root_key};
use latchkey_contract::caller::agents::{CreateBootstrap, RegisterAgent};
use latchkey_contract::caller::discovered::{GetDiscovered, ListDiscovered, UploadDiscovered};
use latchkey_contract::caller::envelopes::{IssueDek, RegisterPublicKey};
use latchkey_core::ErrorCode;
use latchkey_core::agent::discovered::{
    DiscoveredQuery, DiscoveredSecretId, DiscoveredStatus, parse_bulk,
};
use latchkey_core::agent::envelope::{
    AgentPublicKey, DekBinding, open_sealed_dek, parse_public_key_body, wrap_binding,
};
use latchkey_core::agent::{AgentId, Labels, Registration};
use latchkey_core::crypto::{Sealed, random_bytes};

/// A registered agent: its id and its JWT.
fn agent(object: &Object, name: &str) -> (AgentId, String) {
    let request = latchkey_core::agent::BootstrapRequest::parse(b"{}").unwrap();
    let boot = object.master(CreateBootstrap { request }).unwrap();
    let registered = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: Registration {
                    name: name.to_owned(),
                    hostname: None,
                    os_type: None,
                    metadata: Labels::new(),
                },
            },
        )
        .unwrap();
    (registered.id, registered.token)
}

fn keypair() -> ([u8; 32], AgentPublicKey) {
    use base64::Engine as _;
    let secret = random_bytes::<32>().unwrap();
    let public = latchkey_primitives::x25519_public(&secret);
    let body = format!(
        r#"{{"public_key": "{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(public)
    );
    (secret, parse_public_key_body(body.as_bytes()).unwrap())
}

#[test]
fn issue_dek_registered_key_opens_for_the_agent_and_matches_the_server_copy() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    let (secret, public) = keypair();
    object
        .call(
            &jwt,
            RegisterPublicKey {
                agent_id: id.clone(),
                public_key: public.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        object.last_event(),
        event("agent.public_key_registered", true)
    );
    let sealed = object
        .call(
            &jwt,
            IssueDek {
                agent_id: id.clone(),
            },
        )
        .unwrap();
    assert_eq!(object.last_event(), event("agent.dek_issued", true));
    let binding = DekBinding {
        tenant_id: object.tenant_id.as_str(),
        agent_id: &id,
        key_id: &sealed.key_id,
    };
    let dek = open_sealed_dek(&secret, &binding, &sealed).unwrap();
    assert_eq!(dek.len(), 32);
    let (other, _) = keypair();
    assert!(open_sealed_dek(&other, &binding, &sealed).is_err());
    // The server's copy: wrapped under the tenant key, and nothing else stored.
    let rows = object.rows(&format!(
        "SELECT hex(wrapped_key), hex(ciphertext), agent_id FROM agent_deks WHERE id = '{}'",
        sealed.key_id
    ));
    assert_eq!(rows.len(), 1);
    let stored = Sealed {
        wrapped_data_key: rows[0].blob(0).unwrap(),
        ciphertext: rows[0].blob(1).unwrap(),
    };
    assert_eq!(rows[0].text(2).unwrap(), id.as_str());
    let wrapped_tenant_key = object.rows("SELECT hex(wrapped_tenant_key) FROM tenant")[0]
        .blob(0)
        .unwrap();
    let tenant_key = root_key()
        .unwrap_tenant_key(object.tenant_id.as_str(), &wrapped_tenant_key)
        .unwrap();
    let path = binding.wrap_path();
    let server = tenant_key
        .open(&wrap_binding(&binding, &path), &stored)
        .unwrap();
    assert_eq!(server.as_slice(), dek.as_slice());
    assert!(
        !stored.ciphertext.windows(32).any(|w| w == dek.as_slice()),
        "the stored copy holds the DEK in plain"
    );
    // The audit trail names the key id, never the key.
    let details = object.rows("SELECT details FROM audit_events ORDER BY rowid DESC LIMIT 1");
    let details = details[0].text(0).unwrap();
    assert!(details.contains(sealed.key_id.as_str()), "{details}");
    assert!(!details.contains(&sealed.ciphertext), "{details}");
}

#[test]
fn issue_dek_without_a_public_key_is_409_naming_it() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    let e = object.call(&jwt, IssueDek { agent_id: id }).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(detail(&e, "field").as_deref(), Some("public_key"));
    assert!(e.message.contains("public-key"), "{}", e.message);
    assert_eq!(object.count("SELECT count(*) FROM agent_deks"), 0);
}

#[test]
fn envelope_commands_another_agents_id_is_not_found_and_changes_nothing() {
    let object = Object::new();
    let (mine, jwt) = agent(&object, "edge-1");
    let (theirs, their_jwt) = agent(&object, "edge-2");
    let (_, public) = keypair();
    object
        .call(
            &their_jwt,
            RegisterPublicKey {
                agent_id: theirs.clone(),
                public_key: public.clone(),
            },
        )
        .unwrap();
    let e = object
        .call(
            &jwt,
            RegisterPublicKey {
                agent_id: theirs.clone(),
                public_key: keypair().1,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let stored = object.rows("SELECT hex(public_key) FROM agent_public_keys");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].blob(0).unwrap(), public.as_bytes());
    let e = object
        .call(
            &jwt,
            IssueDek {
                agent_id: theirs.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = object
        .call(
            &jwt,
            UploadDiscovered {
                agent_id: theirs,
                secrets: parse_bulk(
                    br#"{"secrets":[{"cluster_name":"c","provider":"p","ref":"r"}]}"#,
                )
                .unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM agent_deks"), 0);
    assert_eq!(object.count("SELECT count(*) FROM discovered_secrets"), 0);
    // Its own id works.
    assert!(
        object
            .call(
                &jwt,
                RegisterPublicKey {
                    agent_id: mine,
                    public_key: public
                }
            )
            .is_ok()
    );
}

#[test]
fn envelope_commands_from_a_person_or_token_are_refused() {
    let object = Object::new();
    let (id, _) = agent(&object, "edge-1");
    let e = object
        .master(IssueDek {
            agent_id: id.clone(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    let token = object.token_with("agents:admin");
    let e = object
        .call(
            &token,
            RegisterPublicKey {
                agent_id: id,
                public_key: keypair().1,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM agent_public_keys"), 0);
}

#[test]
fn register_public_key_again_replaces_it() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    for _ in 0..2 {
        let (_, public) = keypair();
        object
            .call(
                &jwt,
                RegisterPublicKey {
                    agent_id: id.clone(),
                    public_key: public.clone(),
                },
            )
            .unwrap();
        let stored = object.rows("SELECT hex(public_key) FROM agent_public_keys");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].blob(0).unwrap(), public.as_bytes());
    }
}

fn upload(object: &Object, jwt: &str, id: &AgentId, body: &str) -> (u64, u64) {
    let stored = object
        .call(
            jwt,
            UploadDiscovered {
                agent_id: id.clone(),
                secrets: parse_bulk(body.as_bytes()).unwrap(),
            },
        )
        .unwrap();
    (stored.created, stored.updated)
}

fn list(object: &Object, pairs: &[(&str, &str)]) -> Vec<String> {
    let page = object
        .master(ListDiscovered {
            query: DiscoveredQuery::parse(pairs.iter().copied()).unwrap(),
        })
        .unwrap();
    let mut refs: Vec<String> = page.secrets.into_iter().map(|s| s.reference).collect();
    refs.sort();
    refs
}

const INVENTORY: &str = r#"{"secrets":[
    {"cluster_name":"prod","provider":"kubernetes","ref":"payments/db","key_names":["user","password"],"labels":{"team":"payments","env":"prod"}},
    {"cluster_name":"prod","provider":"kubernetes","ref":"payments/api","labels":{"team":"payments","env":"staging"},"status":"missing"},
    {"cluster_name":"prod","provider":"vault","ref":"search/key","labels":{"team":"search","env":"prod"}},
    {"cluster_name":"dev","provider":"file","ref":"/etc/app/.env"}
]}"#;

#[test]
fn upload_discovered_then_list_filters_each_way() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    assert_eq!(upload(&object, &jwt, &id, INVENTORY), (4, 0));
    assert_eq!(object.last_event(), event("agent.secrets_discovered", true));
    assert_eq!(list(&object, &[]).len(), 4);
    assert_eq!(list(&object, &[("cluster_name", "dev")]), ["/etc/app/.env"]);
    assert_eq!(list(&object, &[("provider", "vault")]), ["search/key"]);
    assert_eq!(
        list(&object, &[("ref_prefix", "payments/")]),
        ["payments/api", "payments/db"]
    );
    assert_eq!(
        list(&object, &[("ref_prefix", "payments%")]),
        Vec::<String>::new()
    );
    assert_eq!(list(&object, &[("status", "missing")]), ["payments/api"]);
    assert_eq!(
        list(&object, &[("label", "team:payments")]),
        ["payments/api", "payments/db"]
    );
    assert_eq!(
        list(
            &object,
            &[("label", "team:payments"), ("label", "env:prod")]
        ),
        ["payments/db"]
    );
    assert_eq!(
        list(&object, &[("provider", "kubernetes"), ("status", "active")]),
        ["payments/db"]
    );
}

#[test]
fn upload_discovered_again_updates_the_row_in_place() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    upload(&object, &jwt, &id, INVENTORY);
    let first = object.rows("SELECT id FROM discovered_secrets WHERE ref = 'payments/db'");
    let first = first[0].text(0).unwrap();
    object.advance(60);
    let again = r#"{"secrets":[{"cluster_name":"prod","provider":"kubernetes","ref":"payments/db","status":"missing"}]}"#;
    assert_eq!(upload(&object, &jwt, &id, again), (0, 1));
    let one = object
        .master(GetDiscovered {
            id: DiscoveredSecretId::parse(&first).unwrap(),
        })
        .unwrap();
    assert_eq!(one.status, DiscoveredStatus::Missing);
    assert!(one.last_seen_at > one.first_seen_at);
    assert_eq!(one.agent_id, id);
    assert_eq!(object.count("SELECT count(*) FROM discovered_secrets"), 4);
}

#[test]
fn list_discovered_pages_with_the_cursor() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "edge-1");
    upload(&object, &jwt, &id, INVENTORY);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("limit".to_owned(), "3".to_owned())];
        if let Some(c) = &cursor {
            pairs.push(("cursor".to_owned(), c.clone()));
        }
        let page = object
            .master(ListDiscovered {
                query: DiscoveredQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .unwrap(),
            })
            .unwrap();
        seen.extend(page.secrets.into_iter().map(|s| s.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    seen.dedup();
    assert_eq!(seen.len(), 4);
}

#[test]
fn get_discovered_unknown_id_is_not_found() {
    let object = Object::new();
    let e = object
        .master(GetDiscovered {
            id: DiscoveredSecretId::parse("dsc_0123456789abcdef01234567").unwrap(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn list_discovered_needs_agents_admin() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "edge-1");
    let query = || DiscoveredQuery::parse([]).unwrap();
    let reader = object.token_with("secrets:read:*");
    let e = object
        .call(&reader, ListDiscovered { query: query() })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    let e = object
        .call(&jwt, ListDiscovered { query: query() })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    let admin = object.token_with("agent:admin");
    assert!(
        object
            .call(&admin, ListDiscovered { query: query() })
            .is_ok()
    );
}

#[test]
fn discovered_secrets_table_has_no_value_column() {
    let object = Object::new();
    let columns = object.rows("SELECT name FROM pragma_table_info('discovered_secrets')");
    let names: Vec<String> = columns.iter().map(|r| r.text(0).unwrap()).collect();
    assert!(names.contains(&"key_names".to_owned()));
    for forbidden in ["value", "data", "ciphertext", "wrapped_data_key"] {
        assert!(!names.contains(&forbidden.to_owned()), "{names:?}");
    }
}
