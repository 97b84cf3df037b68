//! Agent sockets in the object (issue 23): the connect command's catch-up, what each command
//! leaves to push (jobs, seed-000 commands, secret notices, revocations) and to whom, and
//! frames sent over a socket.

use crate::support::{Object, path};
use latchkey_contract::caller::agent_plane::{ClaimJob, CreateJob, MintAgent};
use latchkey_contract::caller::agents::{CreateGrant, QueueAgentCommand, RevokeAgent};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret, UpdateSecret};
use latchkey_contract::caller::socket::ConnectAgent;
use latchkey_contract::caller::tokens::RevokeToken;
use latchkey_core::ErrorCode;
use latchkey_core::agent::jobs::{Job, JobRequest};
use latchkey_core::agent::mint::AgentMinted;
use latchkey_core::agent::socket::{CLOSE_REVOKED, ClientFrame, MAX_SOCKETS_PER_TENANT};
use latchkey_core::agent::{CommandRequest, Registration};
use latchkey_core::grant::GrantRequest;
use latchkey_core::secret::SecretUpdate;
use latchkey_core::token::TokenId;
use latchkey_durable_objects::tenant::{Delivery, Push};
use serde_json::Value;

fn mint(object: &Object, name: &str) -> AgentMinted {
    let body = format!(r#"{{"name": "{name}"}}"#);
    object
        .master(MintAgent {
            registration: Registration::parse_mint(body.as_bytes()).unwrap(),
        })
        .unwrap()
}

fn job(object: &Object, agent: &AgentMinted) -> Job {
    let body = format!(r#"{{"agent_id": "{}", "type": "sync"}}"#, agent.id);
    object
        .master(CreateJob {
            request: JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap()
}

fn queue_command(object: &Object, agent: &AgentMinted) {
    object
        .master(QueueAgentCommand {
            id: agent.id.clone(),
            command: CommandRequest::parse(br#"{"type": "force_sync"}"#).unwrap(),
        })
        .unwrap();
}

fn grant(object: &Object, agent: &AgentMinted, glob: &str) {
    let body = format!(
        r#"{{"agent_id": "{}", "path": "{glob}", "actions": ["read"]}}"#,
        agent.id
    );
    object
        .master(CreateGrant {
            request: GrantRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
}

fn connect(agent: Option<&AgentMinted>) -> ConnectAgent {
    ConnectAgent {
        id: agent.map(|a| a.id.clone()),
        since: None,
        sockets_open: 0,
    }
}

fn connect_since(since: u64) -> ConnectAgent {
    ConnectAgent {
        id: None,
        since: Some(since),
        sockets_open: 0,
    }
}

fn frames_of(connected: &latchkey_contract::caller::socket::AgentConnected) -> Vec<Value> {
    connected
        .frames
        .iter()
        .map(|f| serde_json::from_str(f).unwrap())
        .collect()
}

/// The deliveries the last command's pushes come to.
fn deliveries(object: &Object) -> Vec<Delivery> {
    let pushes = object.take_pushes();
    object.tenant().resolve_pushes(pushes).unwrap().deliveries
}

fn frame(delivery: &Delivery) -> Value {
    serde_json::from_str(&delivery.frame).unwrap()
}

#[test]
fn connect_agent_hands_over_missed_commands_once_and_claimable_jobs() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    let queued = job(&object, &agent);
    queue_command(&object, &agent);
    let first = object.call(&agent.agent_secret, connect(None)).unwrap();
    assert_eq!(first.agent_id, agent.id);
    assert_eq!((first.commands, first.jobs), (1, 1));
    let frames: Vec<Value> = first
        .frames
        .iter()
        .map(|f| serde_json::from_str(f).unwrap())
        .collect();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["hello", "resync", "command", "job"]);
    assert_eq!(frames[0]["agent_id"], agent.id.as_str());
    assert_eq!(frames[3]["job"]["id"], queued.id.as_str());
    assert_eq!(object.last_event().0, "agent.connected");
    // The command was delivered; the job stays until claimed.
    let again = object
        .call(&agent.agent_secret, connect(Some(&agent)))
        .unwrap();
    assert_eq!((again.commands, again.jobs), (0, 1));
    object
        .call(
            &agent.agent_secret,
            ClaimJob {
                id: agent.id.clone(),
                lease_seconds: 60,
            },
        )
        .unwrap();
    let claimed = object.call(&agent.agent_secret, connect(None)).unwrap();
    assert_eq!(claimed.jobs, 0);
    // A lease that ran out makes the job something to catch up on again.
    object.advance(61);
    let expired = object.call(&agent.agent_secret, connect(None)).unwrap();
    assert_eq!(expired.jobs, 1);
}

#[test]
fn connect_agent_another_id_revoked_or_not_an_agent_is_refused() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    let other = mint(&object, "a2");
    let err = object
        .call(&agent.agent_secret, connect(Some(&other)))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = object.master(connect(None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{err:?}");
    object
        .master(RevokeAgent {
            id: agent.id.clone(),
        })
        .unwrap();
    let err = object.call(&agent.agent_secret, connect(None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[test]
fn queued_job_and_command_are_pushed_to_their_agent() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    let queued = job(&object, &agent);
    let pushed = deliveries(&object);
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].agent, agent.id);
    let job_frame = frame(&pushed[0]);
    assert_eq!(job_frame["type"], "job");
    assert_eq!(job_frame["job"]["id"], queued.id.as_str());
    queue_command(&object, &agent);
    let pushed = deliveries(&object);
    assert_eq!(pushed.len(), 1);
    assert_eq!(frame(&pushed[0])["type"], "command");
    let id = pushed[0].command.clone().expect("a command id");
    // Sent over a socket: delivered, so the connect (and the health reply) do not repeat it.
    object.tenant().commands_delivered(&[id]).unwrap();
    let connected = object.call(&agent.agent_secret, connect(None)).unwrap();
    assert_eq!(connected.commands, 0);
}

#[test]
fn refused_command_pushes_nothing() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    object.take_pushes();
    object
        .master(RevokeAgent {
            id: agent.id.clone(),
        })
        .unwrap();
    assert_eq!(object.take_pushes(), vec![Push::Revoked(agent.id.clone())]);
    // A job for a revoked agent is refused: nothing to push.
    let body = format!(r#"{{"agent_id": "{}", "type": "sync"}}"#, agent.id);
    object
        .master(CreateJob {
            request: JobRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap_err();
    assert!(object.take_pushes().is_empty());
}

#[test]
fn secret_change_is_noticed_by_covering_agents_only_without_its_value() {
    let object = Object::new();
    let covered = mint(&object, "covered");
    let elsewhere = mint(&object, "elsewhere");
    grant(&object, &covered, "prod/*");
    grant(&object, &elsewhere, "dev/*");
    object.secret(r#"{"path": "prod/db", "value": "s3cret-one"}"#);
    let created = deliveries(&object);
    assert_eq!(created.len(), 1);
    assert_eq!(frame(&created[0])["version"], 1);
    object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(br#"{"value": "s3cret-two"}"#, object.now()).unwrap(),
            if_match: None,
        })
        .unwrap();
    let updated = deliveries(&object);
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].agent, covered.id);
    let notice = frame(&updated[0]);
    assert_eq!(notice["type"], "secret_changed");
    assert_eq!(notice["path"], "prod/db");
    assert_eq!(notice["version"], 2);
    assert_eq!(notice["event"], "secret.updated");
    // The cursor is the change's audit event.
    let (_, last_seq) = object.last_event_seq();
    assert_eq!(notice["cursor"].as_u64(), Some(last_seq));
    assert!(!updated[0].frame.contains("s3cret"));
    // A read changes nothing.
    object
        .call(
            &covered.agent_secret,
            GetSecret {
                path: path("prod/db"),
                version: None,
            },
        )
        .unwrap();
    assert!(object.take_pushes().is_empty());
    object
        .master(DeleteSecret {
            path: path("prod/db"),
            permanent: false,
        })
        .unwrap();
    let deleted = deliveries(&object);
    assert_eq!(deleted.len(), 1);
    assert_eq!(frame(&deleted[0])["version"], Value::Null);
}

#[test]
fn socket_heartbeat_moves_last_seen_and_a_revoked_agent_is_closed() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    object.advance(30);
    let ack = object
        .tenant()
        .socket_frame(&agent.id, ClientFrame::Heartbeat)
        .unwrap();
    let ack: Value = serde_json::from_str(&ack).unwrap();
    assert_eq!(ack["type"], "heartbeat_ack");
    let seen = object.count(&format!(
        "SELECT last_heartbeat FROM agents WHERE id = '{}'",
        agent.id
    ));
    assert_eq!(seen, object.now().unix_ms());
    object
        .master(RevokeAgent {
            id: agent.id.clone(),
        })
        .unwrap();
    let close = object
        .tenant()
        .socket_frame(&agent.id, ClientFrame::Heartbeat)
        .unwrap_err();
    assert_eq!(close.code, CLOSE_REVOKED);
}

#[test]
fn connect_agent_over_the_tenants_socket_limit_is_refused_after_authentication() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    queue_command(&object, &agent);
    let full = || ConnectAgent {
        id: None,
        since: None,
        sockets_open: MAX_SOCKETS_PER_TENANT,
    };
    let err = object.call(&agent.agent_secret, full()).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);
    assert_eq!(
        err.details.get("limit").and_then(Value::as_u64),
        Some(MAX_SOCKETS_PER_TENANT as u64)
    );
    // Nothing was handed over: the command is still there for the next connect.
    let connected = object
        .call(
            &agent.agent_secret,
            ConnectAgent {
                id: None,
                since: None,
                sockets_open: MAX_SOCKETS_PER_TENANT - 1,
            },
        )
        .unwrap();
    assert_eq!(connected.commands, 1);
    // A caller without a valid credential learns nothing of the tenant's sockets.
    let (head, last) = agent.agent_secret.split_at(agent.agent_secret.len() - 1);
    let forged = format!("{head}{}", if last == "a" { "b" } else { "a" });
    let err = object.call(&forged, full()).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[test]
fn cascade_suspending_an_agent_pushes_a_close() {
    let object = Object::new();
    let minter = object.token_with("agents:admin");
    let body = r#"{"name": "child"}"#;
    let child = object
        .call(
            &minter,
            MintAgent {
                registration: Registration::parse_mint(body.as_bytes()).unwrap(),
            },
        )
        .unwrap();
    let token = object.rows("SELECT id FROM tokens")[0].text(0).unwrap();
    object.take_pushes();
    object
        .master(RevokeToken {
            id: TokenId::parse(&token).unwrap(),
        })
        .unwrap();
    let closes = object
        .tenant()
        .resolve_pushes(object.take_pushes())
        .unwrap()
        .closes;
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].0, child.id);
    assert_eq!(closes[0].1.code, CLOSE_REVOKED);
    assert_eq!(closes[0].1.reason, "agent suspended");
}

#[test]
fn reconnect_since_a_cursor_replays_what_the_agent_missed_once_per_path() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    grant(&object, &agent, "prod/*");
    let first = object.call(&agent.agent_secret, connect(None)).unwrap();
    let cursor = frames_of(&first)[0]["cursor"].as_u64().unwrap();
    // While it is away: two writes of one covered secret, one of another, one it may not
    // read, and a delete.
    object.secret(r#"{"path": "prod/db", "value": "v-one"}"#);
    object.secret(r#"{"path": "prod/api", "value": "v-two"}"#);
    object.secret(r#"{"path": "dev/db", "value": "v-three"}"#);
    object
        .master(UpdateSecret {
            path: path("prod/db"),
            update: SecretUpdate::parse(br#"{"value": "v-four"}"#, object.now()).unwrap(),
            if_match: None,
        })
        .unwrap();
    object
        .master(DeleteSecret {
            path: path("prod/api"),
            permanent: false,
        })
        .unwrap();
    let back = object
        .call(&agent.agent_secret, connect_since(cursor))
        .unwrap();
    let frames = frames_of(&back);
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["hello", "secret_changed", "secret_changed"]);
    // Oldest last change first: prod/db was updated before prod/api was deleted.
    assert_eq!(frames[1]["path"], "prod/db");
    assert_eq!(frames[1]["version"], 2);
    assert_eq!(frames[1]["event"], "secret.updated");
    assert_eq!(frames[2]["path"], "prod/api");
    assert_eq!(frames[2]["version"], Value::Null);
    assert_eq!(frames[2]["event"], "secret.deleted");
    assert!(frames[1]["cursor"].as_u64() < frames[2]["cursor"].as_u64());
    assert!(back.frames.iter().all(|f| !f.contains("v-")));
    // From the last notice's cursor there is nothing more to replay.
    let latest = frames[2]["cursor"].as_u64().unwrap();
    let again = object
        .call(&agent.agent_secret, connect_since(latest))
        .unwrap();
    let kinds: Vec<String> = frames_of(&again)
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["hello"]);
}

#[test]
fn reconnect_with_a_cursor_past_the_chain_or_too_far_back_resyncs() {
    let object = Object::new();
    let agent = mint(&object, "a1");
    grant(&object, &agent, "*");
    let ahead = object
        .call(&agent.agent_secret, connect_since(1_000_000))
        .unwrap();
    let frames = frames_of(&ahead);
    assert_eq!(frames[1]["type"], "resync");
    assert_eq!(frames[1]["reason"], "unknown_cursor");
    let cursor = frames[0]["cursor"].as_u64().unwrap();
    for i in 0..=latchkey_core::agent::socket::MAX_REPLAYED_NOTICES {
        object.secret(&format!(r#"{{"path": "bulk/s{i}", "value": "v"}}"#));
    }
    let far = object
        .call(&agent.agent_secret, connect_since(cursor))
        .unwrap();
    let frames = frames_of(&far);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1]["reason"], "too_many_changes");
}

#[test]
fn every_command_writing_a_stored_secret_records_a_change_event() {
    // The live push and a reconnect's replay both go by SECRET_CHANGE_EVENTS: a command that
    // writes a stored secret under another event name would be heard by nobody.
    let object = Object::new();
    let mut writers = 0;
    for command in crate::samples::all(object.now()) {
        if let Some(event) = latchkey_durable_objects::tenant::writes_stored_secret(&command) {
            writers += 1;
            assert!(
                latchkey_core::agent::socket::SECRET_CHANGE_EVENTS.contains(&event.as_str()),
                "{} records '{event}', which agents are not told about",
                command.name()
            );
        }
    }
    assert!(writers >= 10, "only {writers} secret writers sampled");
}
