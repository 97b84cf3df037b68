//! Agents: bootstrap tokens, registration, the agents' own routes (`/v1/agents/me/…`), the
//! fleet, commands, settings, grants and discovery.

use crate::support::{Object, event, path};
use latchkey_contract::caller::agents::{
    AgentCertificates, AgentDiscovery, AgentSecrets, CreateBootstrap, CreateGrant, DeleteGrant,
    GetAgentSettings, ListAgentCommands, ListAgents, ListGrants, QueueAgentCommand,
    RefreshAgentToken, RegisterAgent, ReinstateAgent, ReportCertificates, ReportHealth,
    ReportSshKeys, RevokeAgent, SetAgentSettings,
};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::caller::tokens::RevokeToken;
use latchkey_core::ErrorCode;
use latchkey_core::agent::discovery::{DiscoveredCertificate, DiscoveredSshKey};
use latchkey_core::agent::{
    AgentId, AgentQuery, AgentSettings, AgentStatus, BootstrapCreated, CommandKind, CommandRequest,
    GrantId, HealthReport, Labels, Registration,
};
use latchkey_core::credential::{CredentialHash, mint_bootstrap_token};
use latchkey_core::grant::{Grant, GrantRequest};
use latchkey_core::secret::Tier;
use latchkey_core::token::TokenId;

const UNKNOWN_AGENT: &str = "agt_0123456789abcdef01234567";

fn bootstrap_with(object: &Object, key: &str, body: &str) -> BootstrapCreated {
    let request = latchkey_core::agent::BootstrapRequest::parse(body.as_bytes()).unwrap();
    object.call(key, CreateBootstrap { request }).unwrap()
}

fn bootstrap(object: &Object, body: &str) -> BootstrapCreated {
    bootstrap_with(object, &object.master.clone(), body)
}

fn registration(name: &str) -> Registration {
    Registration {
        name: name.to_owned(),
        hostname: Some(format!("{name}.example.com")),
        os_type: Some("linux".to_owned()),
        metadata: Labels::new(),
    }
}

/// A registered agent: its id and its JWT.
pub(crate) fn agent(object: &Object, name: &str) -> (AgentId, String) {
    let boot = bootstrap(object, "{}");
    let registered = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration(name),
            },
        )
        .unwrap();
    (registered.id, registered.token)
}

fn grant_request(agent: &AgentId, glob: &str, actions: &str) -> GrantRequest {
    let body = format!(r#"{{"agent_id": "{agent}", "path": "{glob}", "actions": {actions}}}"#);
    GrantRequest::parse(body.as_bytes()).unwrap()
}

fn grant(object: &Object, agent: &AgentId, glob: &str) -> Grant {
    object
        .master(CreateGrant {
            request: grant_request(agent, glob, r#"["read"]"#),
        })
        .unwrap()
}

fn health(object: &Object, body: &str) -> HealthReport {
    HealthReport::parse(body.as_bytes(), object.now()).unwrap()
}

fn heartbeat(object: &Object, jwt: &str) -> Vec<latchkey_core::agent::AgentCommand> {
    object
        .call(
            jwt,
            ReportHealth {
                report: health(object, r#"{"status": "healthy"}"#),
            },
        )
        .unwrap()
}

fn all_agents() -> AgentQuery {
    AgentQuery::parse(&[]).unwrap()
}

fn query(pairs: &[(&str, &str)]) -> AgentQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    AgentQuery::parse(&pairs).unwrap()
}

fn token_id(object: &Object, token: &str) -> TokenId {
    let hash = Object::hash_of(token).to_hex();
    let rows = object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"));
    TokenId::parse(&rows[0].text(0).unwrap()).unwrap()
}

fn command(body: &str) -> CommandRequest {
    CommandRequest::parse(body.as_bytes()).unwrap()
}

pub(crate) fn certificates(body: &str) -> Vec<DiscoveredCertificate> {
    DiscoveredCertificate::parse_report(body.as_bytes()).unwrap()
}

pub(crate) fn certificate(fingerprint: &str, managed: bool) -> String {
    format!(
        r#"{{"subject": "CN={fingerprint}", "not_before": "2026-01-01T00:00:00Z",
            "not_after": "2028-01-01T00:00:00Z", "fingerprint": "{fingerprint}",
            "dns_names": ["host.internal"], "is_managed": {managed}}}"#
    )
}

pub(crate) fn ssh_keys(body: &str) -> Vec<DiscoveredSshKey> {
    DiscoveredSshKey::parse_report(body.as_bytes()).unwrap()
}

/// A tenant with a suspended agent: registered through a bootstrap token that an
/// `agents:admin` token minted, then that token was revoked (the cascade).
fn suspended_agent(object: &Object) -> (AgentId, String) {
    let admin = object.token_with("agents:admin");
    let boot = bootstrap_with(object, &admin, "{}");
    let registered = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration("suspended"),
            },
        )
        .unwrap();
    object
        .master(RevokeToken {
            id: token_id(object, &admin),
        })
        .unwrap();
    (registered.id, registered.token)
}

// --- CreateBootstrap -------------------------------------------------------------------------

#[test]
fn bootstrap_by_master_keeps_only_the_hash_and_is_recorded() {
    let object = Object::new();
    let created = bootstrap(
        &object,
        r#"{"ttl_seconds": 600, "max_registrations": 3, "labels": {"env": "prod"}}"#,
    );
    assert!(created.token.starts_with("lk_boot_"), "{}", created.token);
    assert!(created.id.as_str().starts_with("bst_"));
    assert_eq!(created.max_registrations, 3);
    assert_eq!(created.expires_at, object.now().plus_seconds(600));
    assert_eq!(created.labels.get("env").map(String::as_str), Some("prod"));
    let rows = object.rows(
        "SELECT hash, labels, max_registrations, registrations, expires_at, created_by
         FROM agent_bootstrap_tokens",
    );
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        row.text(0).unwrap(),
        CredentialHash::of(&created.token).to_hex()
    );
    assert_ne!(row.text(0).unwrap(), created.token);
    assert_eq!(row.text(1).unwrap(), r#"{"env":"prod"}"#);
    assert_eq!(row.int(2).unwrap(), 3);
    assert_eq!(row.int(3).unwrap(), 0);
    assert_eq!(
        row.int(4).unwrap(),
        object.now().plus_seconds(600).unix_ms()
    );
    assert_eq!(row.text(5).unwrap(), "master");
    assert_eq!(object.last_event(), event("agent.bootstrap_created", true));
}

#[test]
fn bootstrap_by_agents_admin_token_names_the_token_as_maker() {
    let object = Object::new();
    let admin = object.token_with("agents:admin");
    let created = bootstrap_with(&object, &admin, "{}");
    assert_eq!(created.max_registrations, 1);
    assert_eq!(created.expires_at, object.now().plus_seconds(86_400));
    let maker = object.rows("SELECT created_by FROM agent_bootstrap_tokens")[0]
        .text(0)
        .unwrap();
    assert_eq!(maker, token_id(&object, &admin).to_string());
}

#[test]
fn bootstrap_without_agents_admin_is_refused_and_writes_nothing() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    let request = latchkey_core::agent::BootstrapRequest::parse(b"{}").unwrap();
    let err = object
        .call(&reader, CreateBootstrap { request })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "agents:admin");
    assert_eq!(
        object.count("SELECT count(*) FROM agent_bootstrap_tokens"),
        0
    );
    assert_eq!(object.last_event(), event("agent.bootstrap_created", false));
}

// --- RegisterAgent ---------------------------------------------------------------------------

#[test]
fn register_with_bootstrap_token_returns_a_jwt_and_counts_the_registration() {
    let object = Object::new();
    let boot = bootstrap(
        &object,
        r#"{"max_registrations": 2, "labels": {"env": "prod", "team": "core"}}"#,
    );
    let mut registration = registration("web-1");
    registration
        .metadata
        .insert("team".to_owned(), "edge".to_owned());
    let registered = object
        .call(&boot.token, RegisterAgent { registration })
        .unwrap();
    assert!(registered.id.as_str().starts_with("agt_"));
    assert_eq!(registered.expires_at, object.now().plus_seconds(3_600));
    assert_eq!(registered.mtls_template_id, "tpl_agent_mtls_v1");
    // The JWT is the agent's credential at once.
    object.call(&registered.token, AgentSecrets).unwrap();
    let rows = object.rows("SELECT id, name, hostname, os_type, labels, bootstrap_id FROM agents");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text(0).unwrap(), registered.id.as_str());
    assert_eq!(rows[0].text(1).unwrap(), "web-1");
    assert_eq!(rows[0].text(2).unwrap(), "web-1.example.com");
    assert_eq!(rows[0].text(3).unwrap(), "linux");
    // The bootstrap token's labels, overridden by the agent's metadata.
    assert_eq!(rows[0].text(4).unwrap(), r#"{"env":"prod","team":"edge"}"#);
    assert_eq!(rows[0].text(5).unwrap(), boot.id.as_str());
    assert_eq!(
        object.count("SELECT registrations FROM agent_bootstrap_tokens"),
        1
    );
    let trail = object.rows(
        "SELECT actor, details FROM audit_events WHERE type = 'agent.registered' AND success = 1",
    );
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].text(0).unwrap(), format!("bootstrap:{}", boot.id));
    assert!(trail[0].text(1).unwrap().contains(r#""name":"web-1""#));
}

#[test]
fn register_beyond_max_registrations_is_unauthorized_and_adds_no_agent() {
    let object = Object::new();
    let boot = bootstrap(&object, r#"{"max_registrations": 1}"#);
    object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration("first"),
            },
        )
        .unwrap();
    let err = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration("second"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_registrations"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM agents"), 1);
    assert_eq!(
        object.count("SELECT registrations FROM agent_bootstrap_tokens"),
        1
    );
    // The refusal of a credential is kept for the next write-back: an authenticated call
    // writes it first.
    object.master(Touch).unwrap();
    assert!(object.events().contains(&event("auth.failed", false)));
}

#[test]
fn register_with_expired_bootstrap_token_is_unauthorized() {
    let object = Object::new();
    let boot = bootstrap(&object, r#"{"ttl_seconds": 60}"#);
    object.advance(60);
    let err = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration("late"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("expired"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM agents"), 0);
}

#[test]
fn register_with_unknown_bootstrap_token_is_unrecognized() {
    let object = Object::new();
    bootstrap(&object, "{}");
    let stranger = mint_bootstrap_token(&object.tenant_id).unwrap();
    let err = object
        .call(
            &stranger.value,
            RegisterAgent {
                registration: registration("stranger"),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(object.count("SELECT count(*) FROM agents"), 0);
}

#[test]
fn register_with_master_key_is_unauthorized_and_recorded() {
    let object = Object::new();
    let err = object
        .master(RegisterAgent {
            registration: registration("no-bootstrap"),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("bootstrap token"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM agents"), 0);
    assert_eq!(object.last_event(), event("agent.registered", false));
}

#[test]
fn bootstrap_token_on_any_other_route_is_unauthorized() {
    let object = Object::new();
    let boot = bootstrap(&object, "{}");
    let err = object
        .call(
            &boot.token,
            ListAgents {
                query: all_agents(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(
        err.message.contains("only registers agents"),
        "{}",
        err.message
    );
    assert_eq!(object.last_event(), event("agent.listed", false));
    // Still good for what it is for.
    object
        .call(
            &boot.token,
            RegisterAgent {
                registration: registration("after"),
            },
        )
        .unwrap();
}

// --- RefreshAgentToken -----------------------------------------------------------------------

#[test]
fn refresh_gives_a_new_jwt_that_outlives_the_first() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "refresher");
    object.advance(3_000);
    let fresh = object.call(&jwt, RefreshAgentToken).unwrap();
    assert_eq!(fresh.expires_at, object.now().plus_seconds(3_600));
    assert_ne!(fresh.token, jwt);
    let trail =
        object.rows("SELECT actor, success FROM audit_events WHERE type = 'agent.token_refreshed'");
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].text(0).unwrap(), format!("agent:{id}"));
    object.advance(1_000);
    // The first JWT has expired; the refreshed one still works.
    let expired = object.call(&jwt, AgentSecrets).unwrap_err();
    assert_eq!(expired.code, ErrorCode::Unauthorized);
    object.call(&fresh.token, AgentSecrets).unwrap();
}

#[test]
fn refresh_with_master_key_is_refused_as_agents_only() {
    let object = Object::new();
    let err = object.master(RefreshAgentToken).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("for agents"), "{}", err.message);
    assert_eq!(object.last_event(), event("agent.token_refreshed", false));
}

#[test]
fn refresh_with_expired_jwt_is_unauthorized() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "sleeper");
    object.advance(3_601);
    let err = object.call(&jwt, RefreshAgentToken).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(
        object.count("SELECT count(*) FROM audit_events WHERE type = 'agent.token_refreshed'"),
        0
    );
}

// --- ReportHealth ----------------------------------------------------------------------------

#[test]
fn heartbeat_is_stored_on_the_row_and_not_recorded() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "beater");
    let before = object.events().len();
    object.advance(10);
    let commands = object
        .call(
            &jwt,
            ReportHealth {
                report: health(
                    &object,
                    r#"{"status": "healthy", "agent_version": "1.2.3", "managed_secrets": 4}"#,
                ),
            },
        )
        .unwrap();
    assert!(commands.is_empty());
    assert_eq!(object.events().len(), before, "a heartbeat records nothing");
    let rows = object.rows("SELECT last_heartbeat, report FROM agents");
    assert_eq!(rows[0].int(0).unwrap(), object.now().unix_ms());
    assert!(rows[0].text(1).unwrap().contains("1.2.3"));
    let listed = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(listed.data[0].agent_version.as_deref(), Some("1.2.3"));
    assert_eq!(listed.data[0].managed_secrets, 4);
    assert_eq!(listed.data[0].last_heartbeat, Some(object.now()));
}

#[test]
fn heartbeat_from_master_key_is_refused_and_that_is_recorded() {
    let object = Object::new();
    let err = object
        .master(ReportHealth {
            report: health(&object, r#"{"status": "healthy"}"#),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("agent.heartbeat", false));
}

// --- AgentSecrets ----------------------------------------------------------------------------

#[test]
fn agent_secrets_lists_its_grants_and_the_metadata_they_reach() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db/password", "value": "db-value"}"#);
    object.secret(r#"{"path": "prod/api/key", "value": "api-value"}"#);
    object.secret(r#"{"path": "staging/db", "value": "staging-value"}"#);
    let (id, jwt) = agent(&object, "lister");
    let empty = object.call(&jwt, AgentSecrets).unwrap();
    assert!(empty.grants.is_empty());
    assert!(empty.secrets.is_empty());
    grant(&object, &id, "prod/*");
    let reach = object.call(&jwt, AgentSecrets).unwrap();
    assert_eq!(reach.grants.len(), 1);
    assert_eq!(reach.grants[0].path.to_string(), "prod/*");
    let paths: Vec<&str> = reach.secrets.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, vec!["prod/api/key", "prod/db/password"]);
    assert_eq!(object.last_event(), event("agent.secrets_listed", true));
}

#[test]
fn agent_secrets_with_master_key_is_refused() {
    let object = Object::new();
    let err = object.master(AgentSecrets).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("agent.secrets_listed", false));
}

// --- ListAgents ------------------------------------------------------------------------------

#[test]
fn list_agents_derives_status_from_heartbeats() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "web-1");
    let listed = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(listed.pagination.total, 1);
    let summary = &listed.data[0];
    assert_eq!(summary.id, id);
    assert_eq!(summary.name, "web-1");
    assert_eq!(summary.hostname.as_deref(), Some("web-1.example.com"));
    assert_eq!(summary.platform.as_deref(), Some("linux"));
    assert_eq!(summary.status, AgentStatus::Online);
    assert!(!summary.revoked);
    assert_eq!(summary.last_heartbeat, None);
    assert_eq!(object.last_event(), event("agent.listed", true));
    // Past 2× the 60 s interval the agent is late; past 3×, gone.
    object.advance(121);
    let late = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(late.data[0].status, AgentStatus::Degraded);
    object.advance(60);
    let gone = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(gone.data[0].status, AgentStatus::Offline);
    // A heartbeat brings it back; reporting itself degraded keeps it degraded.
    heartbeat(&object, &jwt);
    let back = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(back.data[0].status, AgentStatus::Online);
    object
        .call(
            &jwt,
            ReportHealth {
                report: health(&object, r#"{"status": "degraded"}"#),
            },
        )
        .unwrap();
    let degraded = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(degraded.data[0].status, AgentStatus::Degraded);
    assert_eq!(degraded.data[0].status_reason, "agent reports degraded");
}

#[test]
fn list_agents_filters_and_pages() {
    let object = Object::new();
    let (first, _) = agent(&object, "web-1");
    object.advance(1);
    let (second, jwt) = agent(&object, "db-1");
    object.advance(1);
    agent(&object, "web-2");
    object.master(RevokeAgent { id: first.clone() }).unwrap();
    object.advance(150);
    heartbeat(&object, &jwt);
    let online = object
        .master(ListAgents {
            query: query(&[("status", "online")]),
        })
        .unwrap();
    let ids: Vec<&AgentId> = online.data.iter().map(|a| &a.id).collect();
    assert_eq!(ids, vec![&second]);
    // Seed 001: a revoked agent's status is `revoked` (issue 23), no longer `offline`.
    let offline = object
        .master(ListAgents {
            query: query(&[("status", "revoked")]),
        })
        .unwrap();
    assert_eq!(offline.pagination.total, 1);
    assert!(offline.data[0].revoked);
    assert_eq!(offline.data[0].status, AgentStatus::Revoked);
    assert_eq!(offline.data[0].status_reason, "revoked");
    let web = object
        .master(ListAgents {
            query: query(&[("search", "WEB")]),
        })
        .unwrap();
    assert_eq!(web.pagination.total, 2);
    let page = object
        .master(ListAgents {
            query: query(&[("per_page", "2"), ("page", "2")]),
        })
        .unwrap();
    assert_eq!(page.pagination.total, 3);
    assert_eq!(page.pagination.page, 2);
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].name, "web-2");
}

#[test]
fn list_agents_without_agents_admin_is_refused() {
    let object = Object::new();
    agent(&object, "hidden");
    let reader = object.token_with("secrets:read:*");
    let err = object
        .call(
            &reader,
            ListAgents {
                query: all_agents(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "agents:admin");
    assert_eq!(object.last_event(), event("agent.listed", false));
}

#[test]
fn list_agents_by_an_agent_is_refused() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "nosy");
    let err = object
        .call(
            &jwt,
            ListAgents {
                query: all_agents(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(err.message.contains("an agent may not"), "{}", err.message);
}

// --- RevokeAgent -----------------------------------------------------------------------------

#[test]
fn revoked_agent_is_refused_from_its_next_request() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "doomed");
    object.master(RevokeAgent { id: id.clone() }).unwrap();
    let trail = object
        .rows("SELECT details FROM audit_events WHERE type = 'agent.revoked' AND success = 1");
    assert_eq!(trail.len(), 1);
    assert!(trail[0].text(0).unwrap().contains(id.as_str()));
    assert_eq!(
        object.count("SELECT revoked_at FROM agents"),
        object.now().unix_ms()
    );
    for err in [
        object.call(&jwt, AgentSecrets).unwrap_err(),
        object.call(&jwt, RefreshAgentToken).unwrap_err(),
        object
            .call(
                &jwt,
                ReportHealth {
                    report: health(&object, r#"{"status": "healthy"}"#),
                },
            )
            .unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::Unauthorized);
        assert!(err.message.contains("revoked"), "{}", err.message);
    }
}

#[test]
fn revoke_twice_keeps_the_first_time() {
    let object = Object::new();
    let (id, _) = agent(&object, "twice");
    object.master(RevokeAgent { id: id.clone() }).unwrap();
    let first = object.count("SELECT revoked_at FROM agents");
    object.advance(30);
    object.master(RevokeAgent { id }).unwrap();
    assert_eq!(object.count("SELECT revoked_at FROM agents"), first);
    assert_eq!(object.last_event(), event("agent.revoked", true));
}

#[test]
fn revoke_unknown_agent_is_not_found() {
    let object = Object::new();
    let err = object
        .master(RevokeAgent {
            id: AgentId::parse(UNKNOWN_AGENT).unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details["field"], "id");
    assert_eq!(object.last_event(), event("agent.revoked", false));
}

#[test]
fn revoke_without_agents_admin_is_refused_and_the_agent_keeps_working() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "kept");
    let reader = object.token_with("secrets:read:*");
    let err = object.call(&reader, RevokeAgent { id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.count("SELECT count(*) FROM agents WHERE revoked_at IS NOT NULL"),
        0
    );
    object.call(&jwt, AgentSecrets).unwrap();
}

// --- ReinstateAgent --------------------------------------------------------------------------

#[test]
fn agent_suspended_by_a_cascade_is_refused_until_reinstated() {
    let object = Object::new();
    let (id, jwt) = suspended_agent(&object);
    assert!(object.events().contains(&event("agent.suspended", true)));
    let err = object.call(&jwt, AgentSecrets).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("suspended"), "{}", err.message);
    let listed = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert!(listed.data[0].suspended_at.is_some());
    assert_eq!(listed.data[0].status, AgentStatus::Offline);
    object.master(ReinstateAgent { id: id.clone() }).unwrap();
    assert_eq!(object.last_event(), event("agent.reinstated", true));
    assert_eq!(
        object.count("SELECT count(*) FROM agents WHERE suspended_at IS NULL"),
        1
    );
    object.call(&jwt, AgentSecrets).unwrap();
}

#[test]
fn reinstate_an_agent_that_is_not_suspended_is_a_conflict() {
    let object = Object::new();
    let (id, _) = agent(&object, "fine");
    let err = object.master(ReinstateAgent { id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.last_event(), event("agent.reinstated", false));
}

#[test]
fn reinstate_unknown_agent_is_not_found() {
    let object = Object::new();
    let err = object
        .master(ReinstateAgent {
            id: AgentId::parse(UNKNOWN_AGENT).unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn reinstate_needs_admin_not_agents_admin() {
    let object = Object::new();
    let (id, _) = suspended_agent(&object);
    let agents_admin = object.token_with("agents:admin");
    let err = object
        .call(&agents_admin, ReinstateAgent { id })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "admin");
    assert_eq!(
        object.count("SELECT count(*) FROM agents WHERE suspended_at IS NOT NULL"),
        1
    );
}

// --- QueueAgentCommand -----------------------------------------------------------------------

#[test]
fn queued_command_is_delivered_once_in_the_next_heartbeat() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "worker");
    let queued = object
        .master(QueueAgentCommand {
            id: id.clone(),
            command: command(r#"{"type": "rotate", "params": {"path": "prod/db"}}"#),
        })
        .unwrap();
    assert!(queued.id.as_str().starts_with("cmd_"));
    assert_eq!(queued.kind, CommandKind::Rotate);
    assert_eq!(queued.params["path"], "prod/db");
    assert_eq!(queued.delivered_at, None);
    let trail = object.rows(
        "SELECT details FROM audit_events WHERE type = 'agent.command_queued' AND success = 1",
    );
    assert!(trail[0].text(0).unwrap().contains(r#""command":"rotate""#));
    object.advance(5);
    let delivered = heartbeat(&object, &jwt);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].id, queued.id);
    assert_eq!(delivered[0].kind, CommandKind::Rotate);
    assert_eq!(
        object.count("SELECT delivered_at FROM agent_commands"),
        object.now().unix_ms()
    );
    assert!(heartbeat(&object, &jwt).is_empty(), "delivered once");
}

#[test]
fn queued_commands_go_only_to_their_agent_in_order() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "target");
    let (_, other) = agent(&object, "bystander");
    for kind in ["force_sync", "update"] {
        object
            .master(QueueAgentCommand {
                id: id.clone(),
                command: command(&format!(r#"{{"type": "{kind}"}}"#)),
            })
            .unwrap();
        object.advance(1);
    }
    assert!(heartbeat(&object, &other).is_empty());
    let kinds: Vec<CommandKind> = heartbeat(&object, &jwt).iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![CommandKind::ForceSync, CommandKind::Update]);
}

#[test]
fn queue_for_revoked_agent_is_a_conflict_and_stores_nothing() {
    let object = Object::new();
    let (id, _) = agent(&object, "revoked");
    object.master(RevokeAgent { id: id.clone() }).unwrap();
    let err = object
        .master(QueueAgentCommand {
            id,
            command: command(r#"{"type": "force_sync"}"#),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(err.details["field"], "id");
    assert_eq!(object.count("SELECT count(*) FROM agent_commands"), 0);
    assert_eq!(object.last_event(), event("agent.command_queued", false));
}

#[test]
fn queue_for_unknown_agent_is_not_found() {
    let object = Object::new();
    let err = object
        .master(QueueAgentCommand {
            id: AgentId::parse(UNKNOWN_AGENT).unwrap(),
            command: command(r#"{"type": "force_sync"}"#),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM agent_commands"), 0);
}

// --- ListAgentCommands ----------------------------------------------------------------------

#[test]
fn commands_and_jobs_are_listed_newest_first_with_their_state() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "listed");
    let (other, _) = agent(&object, "other");
    for kind in ["force_sync", "update"] {
        object
            .master(QueueAgentCommand {
                id: id.clone(),
                command: command(&format!(r#"{{"type": "{kind}"}}"#)),
            })
            .unwrap();
        object.advance(1);
    }
    object
        .master(QueueAgentCommand {
            id: other.clone(),
            command: command(r#"{"type": "rotate"}"#),
        })
        .unwrap();
    let body = format!(r#"{{"agent_id": "{id}", "type": "sync", "params": {{"n": 1}}}}"#);
    let job = object
        .master(latchkey_contract::caller::agent_plane::CreateJob {
            request: latchkey_core::agent::jobs::JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
    let listed = object
        .master(ListAgentCommands {
            id: id.clone(),
            limit: 50,
        })
        .unwrap();
    assert_eq!(object.last_event(), event("agent.commands_listed", true));
    let kinds: Vec<CommandKind> = listed.commands.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![CommandKind::Update, CommandKind::ForceSync]);
    assert!(listed.commands.iter().all(|c| c.delivered_at.is_none()));
    assert_eq!(listed.jobs.len(), 1);
    assert_eq!(listed.jobs[0].id, job.id);
    assert_eq!(listed.jobs[0].status.as_str(), "queued");
    // The heartbeat takes them: the list says when.
    object.advance(5);
    assert_eq!(heartbeat(&object, &jwt).len(), 2);
    let after = object
        .master(ListAgentCommands {
            id: id.clone(),
            limit: 1,
        })
        .unwrap();
    assert_eq!(after.commands.len(), 1, "limit");
    assert_eq!(after.commands[0].delivered_at, Some(object.now()));
    // Only agents:admin reads it; an unknown agent is a 404.
    let reader = object.token_with("secrets:read:*");
    let err = object
        .call(&reader, ListAgentCommands { id, limit: 50 })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let err = object
        .master(ListAgentCommands {
            id: AgentId::parse(UNKNOWN_AGENT).unwrap(),
            limit: 50,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

// --- GetAgentSettings / SetAgentSettings -----------------------------------------------------

#[test]
fn settings_default_then_read_back_what_was_set() {
    let object = Object::new();
    let defaults = object.master(GetAgentSettings).unwrap();
    assert_eq!(defaults.heartbeat_interval_seconds, 60);
    assert_eq!(object.last_event(), event("agent.settings_read", true));
    let set = object
        .master(SetAgentSettings {
            settings: AgentSettings {
                heartbeat_interval_seconds: 300,
            },
        })
        .unwrap();
    assert_eq!(set.heartbeat_interval_seconds, 300);
    assert_eq!(object.last_event(), event("agent.settings_updated", true));
    assert_eq!(
        object.count("SELECT heartbeat_interval_seconds FROM agent_settings"),
        300
    );
    let read = object.master(GetAgentSettings).unwrap();
    assert_eq!(read.heartbeat_interval_seconds, 300);
}

#[test]
fn a_longer_interval_keeps_a_quiet_agent_online() {
    let object = Object::new();
    agent(&object, "patient");
    object
        .master(SetAgentSettings {
            settings: AgentSettings {
                heartbeat_interval_seconds: 600,
            },
        })
        .unwrap();
    object.advance(1_000);
    let listed = object
        .master(ListAgents {
            query: all_agents(),
        })
        .unwrap();
    assert_eq!(listed.data[0].status, AgentStatus::Online);
}

#[test]
fn settings_without_agents_admin_are_refused() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    let err = object.call(&reader, GetAgentSettings).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("agent.settings_read", false));
    let err = object
        .call(
            &reader,
            SetAgentSettings {
                settings: AgentSettings {
                    heartbeat_interval_seconds: 5,
                },
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("agent.settings_updated", false));
    assert_eq!(object.count("SELECT count(*) FROM agent_settings"), 0);
}

// --- CreateGrant / ListGrants / DeleteGrant --------------------------------------------------

#[test]
fn grant_lets_the_agent_read_under_its_glob_only() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db/password", "value": "db-value"}"#);
    object.secret(r#"{"path": "prod/api/key", "value": "api-value"}"#);
    let (id, jwt) = agent(&object, "reader");
    let denied = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/db/password"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied);
    assert_eq!(denied.details["required_scope"], "secrets:read:prod/db/*");
    assert_eq!(object.last_event(), event("vault.denied", false));
    let made = grant(&object, &id, "prod/db/*");
    assert!(made.grant_id.as_str().starts_with("grt_"));
    assert_eq!(made.agent_id, id);
    assert_eq!(made.cleared_tier, Tier::Standard);
    assert_eq!(made.created_by, "master");
    assert_eq!(object.last_event(), event("grant.created", true));
    let read = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/db/password"),
                version: None,
            },
        )
        .unwrap();
    assert!(read.body.contains("db-value"));
    assert_eq!(object.last_event(), event("vault.accessed", true));
    let outside = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/api/key"),
                version: None,
            },
        )
        .unwrap_err();
    assert_eq!(outside.code, ErrorCode::PermissionDenied);
    let rows = object.rows("SELECT agent_id, path, actions, cleared_tier FROM grants");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text(1).unwrap(), "prod/db/*");
    assert_eq!(rows[0].text(2).unwrap(), r#"["read"]"#);
    assert_eq!(rows[0].text(3).unwrap(), "standard");
}

#[test]
fn grant_is_cleared_only_for_the_tiers_it_reached_when_made() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/db", "value": "standard-value"}"#);
    let (id, jwt) = agent(&object, "tiered");
    let made = grant(&object, &id, "prod/*");
    assert_eq!(made.cleared_tier, Tier::Standard);
    // A sensitive secret created later under the glob stays closed to the agent.
    object.secret(r#"{"path": "prod/vault", "value": "sensitive-value", "tier": "sensitive"}"#);
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
    assert_eq!(object.last_event(), event("vault.denied", false));
    // A grant made now reaches it, so it is cleared for it.
    let again = grant(&object, &id, "prod/vault");
    assert_eq!(again.cleared_tier, Tier::Sensitive);
    let read = object
        .call(
            &jwt,
            GetSecret {
                path: path("prod/vault"),
                version: None,
            },
        )
        .unwrap();
    assert!(read.body.contains("sensitive-value"));
}

#[test]
fn grant_by_a_token_is_cleared_no_higher_than_the_token() {
    let object = Object::new();
    let admin =
        object.token(r#"{"scope": ["agents:admin", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    object.secret(r#"{"path": "prod/vault", "value": "sensitive-value", "tier": "sensitive"}"#);
    let (id, jwt) = agent(&object, "delegated");
    let made = object
        .call(
            &admin,
            CreateGrant {
                request: grant_request(&id, "prod/*", r#"["read"]"#),
            },
        )
        .unwrap();
    assert_eq!(made.cleared_tier, Tier::Standard);
    assert_eq!(made.created_by, token_id(&object, &admin).to_string());
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
}

#[test]
fn grant_beyond_what_the_caller_holds_is_refused() {
    let object = Object::new();
    let admin =
        object.token(r#"{"scope": ["agents:admin", "secrets:read:prod/*"], "ttl_seconds": 3600}"#);
    let (id, _) = agent(&object, "greedy");
    let err = object
        .call(
            &admin,
            CreateGrant {
                request: grant_request(&id, "prod/*", r#"["read", "write"]"#),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:write:prod/*");
    assert_eq!(object.count("SELECT count(*) FROM grants"), 0);
    assert_eq!(object.last_event(), event("grant.created", false));
}

#[test]
fn grant_for_unknown_or_revoked_agent_is_refused() {
    let object = Object::new();
    let unknown = object
        .master(CreateGrant {
            request: grant_request(
                &AgentId::parse(UNKNOWN_AGENT).unwrap(),
                "prod/*",
                r#"["read"]"#,
            ),
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    assert_eq!(unknown.details["field"], "agent_id");
    let (id, _) = agent(&object, "revoked");
    object.master(RevokeAgent { id: id.clone() }).unwrap();
    let revoked = object
        .master(CreateGrant {
            request: grant_request(&id, "prod/*", r#"["read"]"#),
        })
        .unwrap_err();
    assert_eq!(revoked.code, ErrorCode::Conflict);
    assert_eq!(revoked.details["field"], "agent_id");
    assert_eq!(object.count("SELECT count(*) FROM grants"), 0);
}

#[test]
fn grant_beyond_the_per_agent_limit_is_refused() {
    let object = Object::new();
    let (id, _) = agent(&object, "collector");
    for i in 0..100 {
        object
            .master(CreateGrant {
                request: grant_request(&id, &format!("app/{i}"), r#"["read"]"#),
            })
            .unwrap();
    }
    let err = object
        .master(CreateGrant {
            request: grant_request(&id, "app/one-more", r#"["read"]"#),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.details["field"], "agent_id");
    assert_eq!(object.count("SELECT count(*) FROM grants"), 100);
}

#[test]
fn list_grants_of_everyone_or_of_one_agent() {
    let object = Object::new();
    let (first, _) = agent(&object, "first");
    let (second, _) = agent(&object, "second");
    grant(&object, &first, "a/*");
    object.advance(1);
    grant(&object, &second, "b/*");
    object.advance(1);
    grant(&object, &first, "c/*");
    let all = object.master(ListGrants { agent_id: None }).unwrap();
    let globs: Vec<String> = all.iter().map(|g| g.path.to_string()).collect();
    assert_eq!(globs, vec!["a/*", "b/*", "c/*"]);
    assert_eq!(object.last_event(), event("grant.listed", true));
    let mine = object
        .master(ListGrants {
            agent_id: Some(first.clone()),
        })
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|g| g.agent_id == first));
}

#[test]
fn list_grants_by_an_agent_is_refused() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "curious");
    let err = object
        .call(&jwt, ListGrants { agent_id: None })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.last_event(), event("grant.listed", false));
}

#[test]
fn deleted_grant_stops_counting_on_the_next_request() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/api/key", "value": "api-value"}"#);
    let (id, jwt) = agent(&object, "loser");
    let made = grant(&object, &id, "prod/api/key");
    let read = || {
        object.call(
            &jwt,
            GetSecret {
                path: path("prod/api/key"),
                version: None,
            },
        )
    };
    read().unwrap();
    object
        .master(DeleteGrant {
            id: made.grant_id.clone(),
        })
        .unwrap();
    assert_eq!(object.last_event(), event("grant.deleted", true));
    assert_eq!(object.count("SELECT count(*) FROM grants"), 0);
    assert_eq!(read().unwrap_err().code, ErrorCode::PermissionDenied);
    let twice = object
        .master(DeleteGrant {
            id: made.grant_id.clone(),
        })
        .unwrap_err();
    assert_eq!(twice.code, ErrorCode::NotFound);
    assert_eq!(twice.details["id"], made.grant_id.as_str());
    assert_eq!(object.last_event(), event("grant.deleted", false));
}

#[test]
fn delete_grant_without_agents_admin_is_refused_and_keeps_it() {
    let object = Object::new();
    let (id, _) = agent(&object, "kept");
    let made = grant(&object, &id, "prod/*");
    let reader = object.token_with("secrets:read:*");
    let err = object
        .call(&reader, DeleteGrant { id: made.grant_id })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM grants"), 1);
    let unknown = object
        .master(DeleteGrant {
            id: GrantId::parse("grt_0123456789abcdef01234567").unwrap(),
        })
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

// --- Discovery -------------------------------------------------------------------------------

#[test]
fn reported_certificates_are_upserted_by_fingerprint() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "scanner");
    let first = object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}, {}]}}"#,
                    certificate("SHA256:aa", false),
                    certificate("SHA256:bb", true)
                )),
            },
        )
        .unwrap();
    assert_eq!((first.received, first.created, first.updated), (2, 2, 0));
    assert_eq!(
        object.last_event(),
        event("agent.certificates_discovered", true)
    );
    let started = object.now();
    object.advance(60);
    let second = object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}, {}]}}"#,
                    certificate("SHA256:bb", true),
                    certificate("SHA256:cc", false)
                )),
            },
        )
        .unwrap();
    assert_eq!((second.received, second.created, second.updated), (2, 1, 1));
    assert_eq!(
        object.count("SELECT count(*) FROM discovered_certificates"),
        3
    );
    let discovery = object.master(AgentDiscovery { id: id.clone() }).unwrap();
    assert_eq!(discovery.agent_id, id);
    assert_eq!(discovery.certificates.len(), 3);
    assert!(discovery.ssh_keys.is_empty());
    let bb = discovery
        .certificates
        .iter()
        .find(|s| s.item.fingerprint == "SHA256:bb")
        .unwrap();
    assert_eq!(bb.first_seen, started);
    assert_eq!(bb.last_seen, object.now());
    assert_eq!(object.last_event(), event("agent.discovery_read", true));
}

#[test]
fn agent_certificates_lists_only_the_managed_ones_of_that_agent() {
    let object = Object::new();
    let (_, jwt) = agent(&object, "manager");
    let (_, other) = agent(&object, "other");
    object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}, {}]}}"#,
                    certificate("SHA256:managed", true),
                    certificate("SHA256:found", false)
                )),
            },
        )
        .unwrap();
    object
        .call(
            &other,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}]}}"#,
                    certificate("SHA256:theirs", true)
                )),
            },
        )
        .unwrap();
    let managed = object.call(&jwt, AgentCertificates).unwrap();
    let prints: Vec<&str> = managed
        .iter()
        .map(|s| s.item.fingerprint.as_str())
        .collect();
    assert_eq!(prints, vec!["SHA256:managed"]);
    assert_eq!(
        object.last_event(),
        event("agent.certificates_listed", true)
    );
}

#[test]
fn reported_ssh_keys_are_upserted_and_shown_in_discovery() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "keyfinder");
    let report = r#"{"keys": [
        {"fingerprint": "SHA256:k1", "key_type": "ssh-ed25519", "kind": "authorized", "user": "deploy"},
        {"fingerprint": "SHA256:k1", "key_type": "ssh-ed25519", "kind": "authorized", "user": "root"}
    ]}"#;
    let stored = object
        .call(
            &jwt,
            ReportSshKeys {
                keys: ssh_keys(report),
            },
        )
        .unwrap();
    // A repeat within one report updates the first.
    assert_eq!((stored.received, stored.created, stored.updated), (2, 1, 1));
    assert_eq!(
        object.last_event(),
        event("agent.ssh_keys_discovered", true)
    );
    let discovery = object.master(AgentDiscovery { id }).unwrap();
    assert_eq!(discovery.ssh_keys.len(), 1);
    assert_eq!(discovery.ssh_keys[0].item.user.as_deref(), Some("root"));
    assert!(discovery.certificates.is_empty());
}

#[test]
fn discovery_reports_from_master_key_are_refused_and_store_nothing() {
    let object = Object::new();
    let err = object
        .master(ReportCertificates {
            certificates: certificates(&format!(
                r#"{{"certificates": [{}]}}"#,
                certificate("SHA256:aa", true)
            )),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.last_event(),
        event("agent.certificates_discovered", false)
    );
    let err = object
        .master(ReportSshKeys {
            keys: ssh_keys(r#"{"keys": [{"fingerprint": "SHA256:k", "key_type": "ssh-rsa"}]}"#),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.last_event(),
        event("agent.ssh_keys_discovered", false)
    );
    let err = object.master(AgentCertificates).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        object.count("SELECT count(*) FROM discovered_certificates"),
        0
    );
    assert_eq!(object.count("SELECT count(*) FROM discovered_ssh_keys"), 0);
}

#[test]
fn discovery_of_unknown_agent_is_not_found_and_agents_may_not_read_it() {
    let object = Object::new();
    let err = object
        .master(AgentDiscovery {
            id: AgentId::parse(UNKNOWN_AGENT).unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.last_event(), event("agent.discovery_read", false));
    let (id, jwt) = agent(&object, "self-reader");
    let err = object.call(&jwt, AgentDiscovery { id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
}

#[test]
fn discovery_of_revoked_agent_is_still_readable() {
    let object = Object::new();
    let (id, jwt) = agent(&object, "retired");
    object
        .call(
            &jwt,
            ReportCertificates {
                certificates: certificates(&format!(
                    r#"{{"certificates": [{}]}}"#,
                    certificate("SHA256:old", false)
                )),
            },
        )
        .unwrap();
    object.master(RevokeAgent { id: id.clone() }).unwrap();
    let discovery = object.master(AgentDiscovery { id }).unwrap();
    assert_eq!(discovery.certificates.len(), 1);
}
