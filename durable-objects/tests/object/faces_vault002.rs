//! The seed-002 face's commands (`latchkey_contract::caller::vault002`): the list of every
//! secret, the delete by id (with the grants of the path), the grant by id or name; and the
//! secret ids and agent-name rules they rest on.

use crate::support::{Object, event, path};
use latchkey_contract::caller::agents::{
    CreateBootstrap, CreateGrant, ListGrants, RegisterAgent, RevokeAgent,
};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret, ListSecrets, RestoreSecret};
use latchkey_contract::caller::secrets::{RotateSecret, UpdateSecret};
use latchkey_contract::caller::vault002::{DestroySecretById, GrantSecretById, ListAllSecrets};
use latchkey_core::ErrorCode;
use latchkey_core::agent::{AgentId, BootstrapRequest, Labels, Registration};
use latchkey_core::faces::vault002::VaultGrantRequest;
use latchkey_core::grant::GrantRequest;
use latchkey_core::listing::ListQuery;
use latchkey_core::secret::{Rotation, SecretId, SecretRead, SecretUpdate};

const UNKNOWN: &str = "sec_0123456789abcdef01234567";

fn register(object: &Object, name: &str) -> Result<AgentId, latchkey_core::ApiError> {
    let request = BootstrapRequest::parse(br#"{"max_registrations": 5}"#).unwrap();
    let boot = object.master(CreateBootstrap { request }).unwrap();
    object
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
        .map(|registered| registered.id)
}

fn grant_request(agent: &str, secret: &SecretId) -> VaultGrantRequest {
    VaultGrantRequest::parse(
        format!(r#"{{"agent_id": "{agent}", "secret_id": "{secret}"}}"#).as_bytes(),
    )
    .unwrap()
}

fn read(object: &Object, p: &str) -> SecretRead {
    let json = object
        .master(GetSecret {
            path: path(p),
            version: None,
        })
        .unwrap();
    serde_json::from_str(&json.body).unwrap()
}

#[test]
fn secret_id_survives_updates_and_restore_and_is_new_after_erasure() {
    let object = Object::new();
    let created = object.secret(r#"{"path": "prod/db", "value": "v1"}"#);
    assert!(created.id.as_str().starts_with("sec_"));
    assert_eq!(read(&object, "prod/db").id, created.id);
    object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(br#"{"value": "v2"}"#, object.now()).unwrap(),
            if_match: None,
        })
        .unwrap();
    object
        .master(RotateSecret {
            path: path("prod/db"),
            rotation: Rotation::parse(br#"{"new_value": "v3"}"#).unwrap(),
        })
        .unwrap();
    let page = object
        .master(ListSecrets {
            query: ListQuery::parse(std::iter::empty()).unwrap(),
        })
        .unwrap();
    assert_eq!(page.items[0].id, created.id);
    object
        .master(DeleteSecret {
            path: path("prod/db"),
            permanent: false,
        })
        .unwrap();
    let restored = object
        .master(RestoreSecret {
            path: path("prod/db"),
        })
        .unwrap();
    assert_eq!(restored.id, created.id);
    object
        .master(DeleteSecret {
            path: path("prod/db"),
            permanent: true,
        })
        .unwrap();
    let again = object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    assert_ne!(again.id, created.id);
    let other = object.secret(r#"{"path": "prod/api", "value": "v"}"#);
    assert_ne!(other.id, again.id);
}

#[test]
fn list_all_secrets_every_page_only_what_the_caller_reads() {
    let object = Object::new();
    for i in 0..205 {
        object.secret(&format!(r#"{{"path": "prod/s{i:03}", "value": "v"}}"#));
    }
    object.secret(r#"{"path": "other/x", "value": "v"}"#);
    let all = object.master(ListAllSecrets).unwrap();
    assert_eq!(all.len(), 206);
    assert_eq!(all[0].path.as_str(), "other/x");
    assert_eq!(all[205].path.as_str(), "prod/s204");
    let token = object.token_with("secrets:read:other/*");
    let seen = object.call(&token, ListAllSecrets).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path.as_str(), "other/x");
    assert_eq!(object.last_event(), event("secret.listed", true));
}

#[test]
fn destroy_by_id_erases_the_secret_and_its_exact_grants_only() {
    let object = Object::new();
    let created = object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    object.secret(r#"{"path": "prod/api", "value": "v"}"#);
    let agent = register(&object, "researcher").unwrap();
    object
        .master(GrantSecretById {
            request: grant_request("researcher", &created.id),
        })
        .unwrap();
    for glob in ["prod/*", "prod/api"] {
        object
            .master(CreateGrant {
                request: GrantRequest::parse(
                    format!(r#"{{"agent_id": "{agent}", "path": "{glob}"}}"#).as_bytes(),
                )
                .unwrap(),
            })
            .unwrap();
    }
    object
        .master(DestroySecretById {
            id: created.id.clone(),
        })
        .unwrap();
    assert_eq!(object.last_event(), event("secret.destroyed", true));
    assert_eq!(
        object.count("SELECT count(*) FROM secrets WHERE path = 'prod/db'"),
        0
    );
    assert_eq!(
        object.count("SELECT count(*) FROM secret_versions WHERE path = 'prod/db'"),
        0
    );
    let grants = object.master(ListGrants { agent_id: None }).unwrap();
    let mut paths: Vec<String> = grants.iter().map(|g| g.path.to_string()).collect();
    // Made in the same instant: the list's order among them is not the point here.
    paths.sort();
    assert_eq!(paths, ["prod/*", "prod/api"]);
    let again = object
        .master(DestroySecretById { id: created.id })
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), event("secret.destroyed", false));
}

#[test]
fn destroy_by_id_needs_delete_on_the_path_and_changes_nothing_when_refused() {
    let object = Object::new();
    let created = object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    for scope in ["secrets:read:prod/*", "secrets:delete:other/*"] {
        let token = object.token_with(scope);
        let refused = object
            .call(
                &token,
                DestroySecretById {
                    id: created.id.clone(),
                },
            )
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::PermissionDenied, "{scope}");
        assert_eq!(object.last_event(), event("secret.destroyed", false));
        assert_eq!(object.count("SELECT count(*) FROM secrets"), 1);
    }
    let deleter = object.token_with("secrets:delete:prod/*");
    object
        .call(&deleter, DestroySecretById { id: created.id })
        .unwrap();
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 0);
    let unknown = object
        .master(DestroySecretById {
            id: SecretId::parse(UNKNOWN).unwrap(),
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

#[test]
fn grant_by_name_or_id_is_a_read_grant_of_the_path() {
    let object = Object::new();
    let created = object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let agent = register(&object, "researcher").unwrap();
    let by_name = object
        .master(GrantSecretById {
            request: grant_request("researcher", &created.id),
        })
        .unwrap();
    assert_eq!(by_name.agent_id, agent);
    assert_eq!(by_name.path.to_string(), "prod/db");
    assert_eq!(by_name.actions, [latchkey_core::scope::SecretAction::Read]);
    assert_eq!(object.last_event(), event("grant.created", true));
    let by_id = object
        .master(GrantSecretById {
            request: grant_request(agent.as_str(), &created.id),
        })
        .unwrap();
    assert_eq!(by_id.agent_id, agent);
    // Refusals: no such agent, no such secret, a deleted secret, a caller without
    // agents:admin. Nothing is granted.
    let before = object.count("SELECT count(*) FROM grants");
    let nobody = object
        .master(GrantSecretById {
            request: grant_request("nobody", &created.id),
        })
        .unwrap_err();
    assert_eq!(nobody.code, ErrorCode::NotFound);
    assert_eq!(
        nobody.details.get("field").and_then(|f| f.as_str()),
        Some("agent_id")
    );
    let missing = object
        .master(GrantSecretById {
            request: grant_request("researcher", &SecretId::parse(UNKNOWN).unwrap()),
        })
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    assert_eq!(
        missing.details.get("field").and_then(|f| f.as_str()),
        Some("secret_id")
    );
    let reader = object.token_with("secrets:*:prod/*");
    let denied = object
        .call(
            &reader,
            GrantSecretById {
                request: grant_request("researcher", &created.id),
            },
        )
        .unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied);
    object
        .master(DeleteSecret {
            path: path("prod/db"),
            permanent: false,
        })
        .unwrap();
    let deleted = object
        .master(GrantSecretById {
            request: grant_request("researcher", &created.id),
        })
        .unwrap_err();
    assert_eq!(deleted.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM grants"), before);
}

#[test]
fn agent_names_are_unique_among_agents_not_revoked() {
    let object = Object::new();
    let first = register(&object, "researcher").unwrap();
    let taken = register(&object, "researcher").unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    assert_eq!(
        taken.details.get("field").and_then(|f| f.as_str()),
        Some("name")
    );
    assert_eq!(object.count("SELECT count(*) FROM agents"), 1);
    assert_eq!(
        object.count("SELECT sum(registrations) FROM agent_bootstrap_tokens"),
        1
    );
    object.master(RevokeAgent { id: first.clone() }).unwrap();
    let second = register(&object, "researcher").unwrap();
    assert_ne!(second, first);
    // The name now resolves to the agent not revoked.
    let created = object.secret(r#"{"path": "a", "value": "v"}"#);
    let grant = object
        .master(GrantSecretById {
            request: grant_request("researcher", &created.id),
        })
        .unwrap();
    assert_eq!(grant.agent_id, second);
    // A name only a revoked agent holds: the grant says it was revoked.
    object.master(RevokeAgent { id: second }).unwrap();
    let revoked = object
        .master(GrantSecretById {
            request: grant_request("researcher", &created.id),
        })
        .unwrap_err();
    assert_eq!(revoked.code, ErrorCode::Conflict);
}
