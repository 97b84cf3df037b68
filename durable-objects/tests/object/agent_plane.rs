//! Seed 001's agent plane (issue 23): minted agents and their `X-Agent-Secret`, heartbeats,
//! and the job queue with its leases.

use crate::support::{Object, detail, event};
use latchkey_contract::caller::agent_plane::{
    AgentHeartbeat, AgentSelf, ClaimJob, CompleteJob, CreateJob, MintAgent,
};
use latchkey_contract::caller::agents::{
    CreateBootstrap, CreateGrant, ListAgents, RegisterAgent, RevokeAgent,
};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tokens::RevokeToken;
use latchkey_core::ErrorCode;
use latchkey_core::agent::jobs::{Completion, Job, JobId, JobRequest, JobStatus};
use latchkey_core::agent::mint::AgentMinted;
use latchkey_core::agent::{AgentId, AgentQuery, AgentStatus, BootstrapRequest, Registration};
use latchkey_core::credential::CredentialHash;
use latchkey_core::grant::GrantRequest;
use latchkey_core::token::TokenId;

const LEASE: u64 = 60;

fn mint_with(
    object: &Object,
    key: &str,
    name: &str,
) -> Result<AgentMinted, latchkey_core::ApiError> {
    let body = format!(r#"{{"name": "{name}", "os_type": "linux/amd64"}}"#);
    object.call(
        key,
        MintAgent {
            registration: Registration::parse_mint(body.as_bytes()).unwrap(),
        },
    )
}

fn mint(object: &Object, name: &str) -> AgentMinted {
    mint_with(object, &object.master.clone(), name).unwrap()
}

fn all_agents(
    object: &Object,
    pairs: &[(&str, &str)],
) -> latchkey_contract::caller::agents::AgentPage {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    object
        .master(ListAgents {
            query: AgentQuery::parse(&pairs).unwrap(),
        })
        .unwrap()
}

fn job(object: &Object, agent: &AgentId) -> Job {
    let body = format!(r#"{{"agent_id": "{agent}", "type": "sync", "params": {{"n": 1}}}}"#);
    object
        .master(CreateJob {
            request: JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap()
}

fn claim(
    object: &Object,
    secret: &str,
    id: &AgentId,
) -> Result<Option<Job>, latchkey_core::ApiError> {
    object.call(
        secret,
        ClaimJob {
            id: id.clone(),
            lease_seconds: LEASE,
        },
    )
}

fn complete(
    object: &Object,
    secret: &str,
    id: &AgentId,
    job_id: &JobId,
    body: &str,
) -> Result<(), latchkey_core::ApiError> {
    object.call(
        secret,
        CompleteJob {
            id: id.clone(),
            job_id: job_id.clone(),
            completion: Completion::parse(body.as_bytes()).unwrap(),
        },
    )
}

// --- MintAgent -------------------------------------------------------------------------------

#[test]
fn mint_by_admin_shows_secret_once_and_stores_only_its_hash() {
    let object = Object::new();
    let minted = mint(&object, "db-1");
    assert!(minted.agent_secret.starts_with("lk_agt_tn_"));
    assert_eq!(minted.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(object.last_event(), event("agent.minted", true));
    let hash = CredentialHash::of(&minted.agent_secret).to_hex();
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM agents WHERE secret_hash = '{hash}' AND bootstrap_id = 'master'"
        )),
        1
    );
    let plain = minted.agent_secret.replace('\'', "");
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM agents WHERE secret_hash = '{plain}' OR labels LIKE '%{plain}%'"
        )),
        0
    );
}

#[test]
fn mint_without_agents_admin_is_refused_and_writes_nothing() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    let err = mint_with(&object, &reader, "x").unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM agents"), 0);
    assert_eq!(object.last_event(), event("agent.minted", false));
    // The seed's alias `agent.mint` is enough.
    let minter = object.token_with("agent.mint");
    mint_with(&object, &minter, "y").unwrap();
}

#[test]
fn mint_taken_name_is_conflict_across_both_kinds() {
    let object = Object::new();
    mint(&object, "web");
    let err = mint_with(&object, &object.master.clone(), "web").unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(detail(&err, "field").as_deref(), Some("name"));
    let boot = object
        .master(CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let err = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: Registration::parse_mint(br#"{"name": "web"}"#).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn agent_secret_is_an_agent_principal_whose_grants_apply() {
    let object = Object::new();
    let minted = mint(&object, "reader");
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let read = GetSecret {
        path: crate::support::path("prod/db"),
        version: None,
    };
    let err = object.call(&minted.agent_secret, read).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    let body = format!(
        r#"{{"agent_id": "{}", "path": "prod/*", "actions": ["read"]}}"#,
        minted.id
    );
    object
        .master(CreateGrant {
            request: GrantRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
    let read = GetSecret {
        path: crate::support::path("prod/db"),
        version: None,
    };
    object.call(&minted.agent_secret, read).unwrap();
    let me = object.call(&minted.agent_secret, AgentSelf).unwrap();
    assert_eq!(me.as_deref(), Some("linux/amd64"));
}

#[test]
fn agent_secret_unknown_is_the_one_unrecognized_answer() {
    let object = Object::new();
    let minted = mint(&object, "a");
    let mut forged = minted.agent_secret.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let err = object.call(&forged, AgentSelf).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.message, latchkey_core::credential::UNRECOGNIZED);
}

// --- One registry: list and revocation -------------------------------------------------------

#[test]
fn list_shows_both_kinds_and_revoked_minted_agent_is_refused_next() {
    let object = Object::new();
    let boot = object
        .master(CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let registered = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: Registration::parse_mint(br#"{"name": "jwt-agent"}"#).unwrap(),
            },
        )
        .unwrap();
    let minted = mint(&object, "secret-agent");
    let listed = all_agents(&object, &[]);
    assert_eq!(listed.pagination.total, 2);
    let ids: Vec<&AgentId> = listed.data.iter().map(|a| &a.id).collect();
    assert!(ids.contains(&&registered.id) && ids.contains(&&minted.id));
    object
        .master(RevokeAgent {
            id: minted.id.clone(),
        })
        .unwrap();
    let err = object
        .call(
            &minted.agent_secret,
            AgentHeartbeat {
                id: minted.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("revoked"), "{}", err.message);
    let revoked = all_agents(&object, &[("status", "revoked")]);
    assert_eq!(revoked.pagination.total, 1);
    assert_eq!(revoked.data[0].id, minted.id);
    assert_eq!(revoked.data[0].status, AgentStatus::Revoked);
    // The JWT agent is untouched.
    object
        .call(
            &registered.token,
            AgentHeartbeat {
                id: registered.id.clone(),
            },
        )
        .unwrap();
}

#[test]
fn minting_token_revoked_suspends_minted_agent() {
    let object = Object::new();
    let minter = object.token_with("agents:admin");
    let minted = mint_with(&object, &minter, "child").unwrap();
    let token_id = object.rows("SELECT id FROM tokens")[0].text(0).unwrap();
    object
        .master(RevokeToken {
            id: TokenId::parse(&token_id).unwrap(),
        })
        .unwrap();
    assert!(object.events().contains(&event("agent.suspended", true)));
    let err = object.call(&minted.agent_secret, AgentSelf).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("suspended"), "{}", err.message);
}

// --- AgentHeartbeat --------------------------------------------------------------------------

#[test]
fn heartbeat_own_id_moves_last_seen_without_an_event() {
    let object = Object::new();
    let minted = mint(&object, "hb");
    assert_eq!(all_agents(&object, &[]).data[0].last_seen_at, None);
    let events = object.events().len();
    object.advance(5);
    object
        .call(
            &minted.agent_secret,
            AgentHeartbeat {
                id: minted.id.clone(),
            },
        )
        .unwrap();
    assert_eq!(object.events().len(), events);
    let listed = all_agents(&object, &[]);
    assert_eq!(listed.data[0].last_seen_at, Some(object.now()));
    assert_eq!(listed.data[0].last_heartbeat, Some(object.now()));
}

#[test]
fn heartbeat_for_another_agent_is_not_found_and_changes_nothing() {
    let object = Object::new();
    let me = mint(&object, "me");
    let other = mint(&object, "other");
    let err = object
        .call(
            &me.agent_secret,
            AgentHeartbeat {
                id: other.id.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM agents WHERE last_heartbeat IS NOT NULL"),
        0
    );
    // Only an agent may beat: the master key is refused.
    let err = object.master(AgentHeartbeat { id: me.id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
}

// --- Jobs -------------------------------------------------------------------------------------

#[test]
fn create_job_queues_it_for_a_live_agent_only() {
    let object = Object::new();
    let minted = mint(&object, "worker");
    let queued = job(&object, &minted.id);
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.attempts, 0);
    assert_eq!(object.last_event(), event("job.created", true));
    let unknown = AgentId::parse("agt_0123456789abcdef01234567").unwrap();
    let body = format!(r#"{{"agent_id": "{unknown}", "type": "sync"}}"#);
    let err = object
        .master(CreateJob {
            request: JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(detail(&err, "field").as_deref(), Some("agent_id"));
    object
        .master(RevokeAgent {
            id: minted.id.clone(),
        })
        .unwrap();
    let body = format!(r#"{{"agent_id": "{}", "type": "sync"}}"#, minted.id);
    let err = object
        .master(CreateJob {
            request: JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM agent_jobs"), 1);
}

#[test]
fn create_job_without_agents_admin_is_refused() {
    let object = Object::new();
    let minted = mint(&object, "w");
    let body = format!(r#"{{"agent_id": "{}", "type": "sync"}}"#, minted.id);
    let err = object
        .call(
            &minted.agent_secret,
            CreateJob {
                request: JobRequest::parse(body.as_bytes()).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM agent_jobs"), 0);
}

#[test]
fn claim_hands_out_each_job_once_until_its_lease_runs_out() {
    let object = Object::new();
    let minted = mint(&object, "w");
    let (secret, id) = (&minted.agent_secret, &minted.id);
    assert_eq!(claim(&object, secret, id).unwrap(), None);
    let queued = job(&object, id);
    let events = object.events().len();
    let claimed = claim(&object, secret, id).unwrap().unwrap();
    assert_eq!(claimed.id, queued.id);
    assert_eq!(claimed.status, JobStatus::Claimed);
    assert_eq!(claimed.attempts, 1);
    let lease = i64::try_from(LEASE).unwrap();
    assert_eq!(
        claimed.lease_expires_at,
        Some(object.now().plus_seconds(lease))
    );
    assert_eq!(object.events().len(), events + 1);
    assert_eq!(object.last_event(), event("job.claimed", true));
    // Every further claim within the lease finds nothing, and records nothing.
    for _ in 0..19 {
        assert_eq!(claim(&object, secret, id).unwrap(), None);
    }
    assert_eq!(object.events().len(), events + 1);
    object.advance(lease - 1);
    assert_eq!(claim(&object, secret, id).unwrap(), None);
    object.advance(1);
    let again = claim(&object, secret, id).unwrap().unwrap();
    assert_eq!(again.id, queued.id);
    assert_eq!(again.attempts, 2);
}

#[test]
fn claim_takes_the_oldest_and_only_its_own_agents_jobs() {
    let object = Object::new();
    let a = mint(&object, "a");
    let b = mint(&object, "b");
    let first = job(&object, &a.id);
    object.advance(1);
    let second = job(&object, &a.id);
    let for_b = job(&object, &b.id);
    assert_eq!(
        claim(&object, &a.agent_secret, &a.id).unwrap().unwrap().id,
        first.id
    );
    assert_eq!(
        claim(&object, &a.agent_secret, &a.id).unwrap().unwrap().id,
        second.id
    );
    assert_eq!(claim(&object, &a.agent_secret, &a.id).unwrap(), None);
    let err = claim(&object, &a.agent_secret, &b.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        claim(&object, &b.agent_secret, &b.id).unwrap().unwrap().id,
        for_b.id
    );
}

#[test]
fn complete_is_idempotent_and_a_conflicting_one_is_refused() {
    let object = Object::new();
    let m = mint(&object, "w");
    let queued = job(&object, &m.id);
    claim(&object, &m.agent_secret, &m.id).unwrap().unwrap();
    let failed = r#"{"status": "failed", "error": "disk full"}"#;
    complete(&object, &m.agent_secret, &m.id, &queued.id, failed).unwrap();
    assert_eq!(object.last_event(), event("job.completed", true));
    complete(&object, &m.agent_secret, &m.id, &queued.id, failed).unwrap();
    for other in [
        r#"{"status": "succeeded"}"#,
        r#"{"status": "failed", "error": "another"}"#,
    ] {
        let err = complete(&object, &m.agent_secret, &m.id, &queued.id, other).unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{other}");
    }
    let row = &object.rows("SELECT status, error FROM agent_jobs")[0];
    assert_eq!(row.text(0).unwrap(), "failed");
    assert_eq!(row.text(1).unwrap(), "disk full");
    // A completed job is never claimed again, even after its lease would have run out.
    object.advance(i64::try_from(LEASE).unwrap() * 2);
    assert_eq!(claim(&object, &m.agent_secret, &m.id).unwrap(), None);
}

#[test]
fn complete_unclaimed_or_another_agents_job_is_refused() {
    let object = Object::new();
    let a = mint(&object, "a");
    let b = mint(&object, "b");
    let queued = job(&object, &a.id);
    let done = r#"{"status": "succeeded"}"#;
    let err = complete(&object, &a.agent_secret, &a.id, &queued.id, done).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    claim(&object, &a.agent_secret, &a.id).unwrap().unwrap();
    let err = complete(&object, &b.agent_secret, &b.id, &queued.id, done).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(detail(&err, "field").as_deref(), Some("job_id"));
    let err = complete(&object, &b.agent_secret, &a.id, &queued.id, done).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let unknown = JobId::parse("job_0123456789abcdef01234567").unwrap();
    let err = complete(&object, &a.agent_secret, &a.id, &unknown, done).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM agent_jobs WHERE status = 'claimed'"),
        1
    );
}
