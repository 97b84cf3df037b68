//! Schema migrations: an object created by any older build, at any schema version, is brought
//! up to date the first time it is loaded, keeps its tenant, and ends with exactly the schema
//! a new object gets.

use crate::store::{Shared, SqliteStore};
use crate::support::{Object, START_MS, root_key};
use latchkey_contract::caller::secrets::{CreateSecret, GetSecret};
use latchkey_contract::caller::tenant::Info;
use latchkey_contract::{CallerCommand, Channel, RequestOrigin, TenantRequest};
use latchkey_core::credential::{mint_master_key, parse_bearer};
use latchkey_core::crypto::TenantKey;
use latchkey_core::secret::NewSecret;
use latchkey_core::{SecretPath, TenantId, Timestamp};
use latchkey_durable_objects::schema::{MIGRATIONS, SCHEMA_VERSION};
use latchkey_durable_objects::sql::{Store, Value};
use latchkey_durable_objects::tenant::{Tenant, TenantConfig};
use std::rc::Rc;

fn schema(store: &SqliteStore) -> Vec<(String, String)> {
    store
        .query(
            "SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name",
            vec![],
        )
        .unwrap()
        .iter()
        .map(|row| (row.text(0).unwrap(), row.text(1).unwrap()))
        .collect()
}

/// A store as a build at schema `version` left it: its migrations and its tenant row.
fn stored_at(version: usize, tenant: &TenantId, master_hash: &str) -> Rc<SqliteStore> {
    let store = SqliteStore::in_memory();
    for statement in MIGRATIONS.iter().take(version).flat_map(|m| m.iter()) {
        store.query(statement, vec![]).unwrap();
    }
    let root = root_key();
    let wrapped = root
        .wrap_tenant_key(tenant.as_str(), &TenantKey::generate().unwrap())
        .unwrap();
    store
        .query(
            "INSERT INTO tenant (singleton, tenant_id, name, plan, master_key_hash,
                wrapped_tenant_key, root_key_id, schema_version, created_at)
             VALUES (1, ?, 'old', 'enterprise', ?, ?, ?, ?, ?)",
            vec![
                tenant.as_str().into(),
                master_hash.into(),
                Value::Blob(wrapped),
                root.id().into(),
                Value::Integer(i64::try_from(version).unwrap()),
                Value::Integer(START_MS),
            ],
        )
        .unwrap();
    store
}

#[test]
fn every_older_schema_migrates_to_the_current_one() {
    let fresh = Object::new();
    let fresh_schema: Vec<(String, String)> = fresh
        .rows("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
        .iter()
        .map(|row| (row.text(0).unwrap(), row.text(1).unwrap()))
        .collect();
    const { assert!(SCHEMA_VERSION > 1) };
    for version in 1..usize::try_from(SCHEMA_VERSION).unwrap() {
        let tenant = TenantId::generate().unwrap();
        let master = mint_master_key(&tenant).unwrap();
        let store = stored_at(version, &tenant, &master.hash.to_hex());
        let object = Tenant::new(
            Box::new(Shared(store.clone())),
            TenantConfig::with_root_key(root_key()),
            Box::new(|| Timestamp::from_unix_ms(START_MS).unwrap()),
        );
        let send = |command: CallerCommand| {
            object
                .answer(TenantRequest {
                    origin: RequestOrigin::default(),
                    channel: Channel::Caller {
                        credential: parse_bearer(&master.value).unwrap(),
                        purpose: None,
                        command: Some(command),
                    },
                })
                .response
                .result
        };
        let now = Timestamp::from_unix_ms(START_MS).unwrap();
        send(Info.into()).unwrap_or_else(|e| panic!("version {version}: {e:?}"));
        let secret = NewSecret::parse(br#"{"path": "a/b", "value": "v"}"#, now).unwrap();
        send(CreateSecret { secret }.into()).unwrap_or_else(|e| panic!("version {version}: {e:?}"));
        send(
            GetSecret {
                path: SecretPath::parse("a/b").unwrap(),
                version: None,
            }
            .into(),
        )
        .unwrap_or_else(|e| panic!("version {version}: {e:?}"));
        let stored_version = store
            .query("SELECT schema_version FROM tenant", vec![])
            .unwrap()
            .first()
            .unwrap()
            .int(0)
            .unwrap();
        assert_eq!(stored_version, SCHEMA_VERSION, "from version {version}");
        assert_eq!(schema(&store), fresh_schema, "from version {version}");
    }
}

/// Migration 16 (the seed-002 face): secrets stored before it get distinct `sec_` ids, and
/// agents that shared a name before names were unique keep it; naming them is a 409.
#[test]
fn migration_16_gives_old_secrets_ids_and_refuses_ambiguous_agent_names() {
    use latchkey_contract::caller::vault002::{GrantSecretById, ListAllSecrets};
    use latchkey_core::faces::vault002::VaultGrantRequest;
    let tenant = TenantId::generate().unwrap();
    let master = mint_master_key(&tenant).unwrap();
    let store = stored_at(14, &tenant, &master.hash.to_hex());
    for p in ["old/a", "old/b"] {
        store
            .query(
                "INSERT INTO secrets (path, current_version, tier, description, tags,
                    max_versions, created_at, updated_at)
                 VALUES (?, 0, 'standard', NULL, '{}', 10, ?, ?)",
                vec![p.into(), Value::Integer(START_MS), Value::Integer(START_MS)],
            )
            .unwrap();
    }
    let twins = [
        "agt_00000000000000000000000a",
        "agt_00000000000000000000000b",
    ];
    for (id, name) in twins
        .iter()
        .zip(["twin", "twin"])
        .chain([(&"agt_00000000000000000000000c", "solo")])
    {
        store
            .query(
                "INSERT INTO agents (id, name, labels, bootstrap_id, registered_at)
                 VALUES (?, ?, '{}', 'bst_000000000000000000000000', ?)",
                vec![(*id).into(), name.into(), Value::Integer(START_MS)],
            )
            .unwrap();
    }
    let object = Tenant::new(
        Box::new(Shared(store.clone())),
        TenantConfig::with_root_key(root_key()),
        Box::new(|| Timestamp::from_unix_ms(START_MS).unwrap()),
    );
    let send = |command: CallerCommand| {
        object
            .answer(TenantRequest {
                origin: RequestOrigin::default(),
                channel: Channel::Caller {
                    credential: parse_bearer(&master.value).unwrap(),
                    purpose: None,
                    command: Some(command),
                },
            })
            .response
            .result
    };
    let listed = send(ListAllSecrets.into()).unwrap();
    let listed: Vec<latchkey_core::secret::SecretSummary> =
        serde_json::from_str(listed.get()).unwrap();
    assert_eq!(listed.len(), 2);
    assert_ne!(listed[0].id, listed[1].id);
    assert!(listed.iter().all(|s| s.id.as_str().starts_with("sec_")));
    let grant = |agent: &str| {
        let body = format!(
            r#"{{"agent_id": "{agent}", "secret_id": "{}"}}"#,
            listed[0].id
        );
        send(
            GrantSecretById {
                request: VaultGrantRequest::parse(body.as_bytes()).unwrap(),
            }
            .into(),
        )
    };
    let ambiguous = grant("twin").unwrap_err();
    assert_eq!(ambiguous.code, latchkey_core::ErrorCode::Conflict);
    assert_eq!(
        ambiguous.details.get("field").and_then(|f| f.as_str()),
        Some("agent_id")
    );
    grant(twins[0]).unwrap();
    grant("solo").unwrap();
}
