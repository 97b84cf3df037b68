//! Issue 23: read and patch requests on discovered secrets, carried out by the agent that
//! holds them (jobs, agent wraps, the request's `execution`).

use crate::support::{Object, detail, event};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_contract::caller::access_requests::{
    ApproveAccess, GetAccessRequest, RejectAccess, RequestWrap,
};
use latchkey_contract::caller::agent_plane::{ClaimJob, CompleteJob};
use latchkey_contract::caller::agents::{CreateBootstrap, RegisterAgent};
use latchkey_contract::caller::carried::{CreateCarriedRequest, GetAgentWrap, PostAgentWrap};
use latchkey_contract::caller::discovered::UploadDiscovered;
use latchkey_contract::caller::envelopes::{IssueDek, RegisterPublicKey};
use latchkey_core::access_request::{AccessRequestId, AccessRequestView};
use latchkey_core::agent::discovered::{DiscoveredSecretId, parse_bulk};
use latchkey_core::agent::envelope::{DekBinding, open_sealed_dek, parse_public_key_body};
use latchkey_core::agent::jobs::{Completion, Job, JobId};
use latchkey_core::agent::{AgentId, Labels, Registration};
use latchkey_core::carried::{
    AgentPost, AgentWrapId, RequestInput, open_agent_wrap, seal_agent_post,
};
use latchkey_core::crypto::random_bytes;
use latchkey_core::{ApiError, ErrorCode};

pub(crate) struct Agent {
    id: AgentId,
    jwt: String,
    secret: [u8; 32],
}

/// A registered agent with an X25519 key.
pub(crate) fn agent(object: &Object, name: &str) -> Agent {
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
    let secret = random_bytes::<32>().unwrap();
    let body = format!(
        r#"{{"public_key": "{}"}}"#,
        STANDARD.encode(latchkey_primitives::x25519_public(&secret))
    );
    object
        .call(
            &registered.token,
            RegisterPublicKey {
                agent_id: registered.id.clone(),
                public_key: parse_public_key_body(body.as_bytes()).unwrap(),
            },
        )
        .unwrap();
    Agent {
        id: registered.id,
        jwt: registered.token,
        secret,
    }
}

/// The agent reports one secret; its id.
pub(crate) fn discovered(object: &Object, agent: &Agent, reference: &str) -> DiscoveredSecretId {
    let body = format!(
        r#"{{"secrets": [{{"cluster_name": "prod", "provider": "file", "ref": "{reference}", "key_names": ["USER", "PASSWORD"]}}]}}"#
    );
    object
        .call(
            &agent.jwt,
            UploadDiscovered {
                agent_id: agent.id.clone(),
                secrets: parse_bulk(body.as_bytes()).unwrap(),
            },
        )
        .unwrap();
    let rows = object.rows(&format!(
        "SELECT id FROM discovered_secrets WHERE ref = '{reference}'"
    ));
    DiscoveredSecretId::parse(&rows[0].text(0).unwrap()).unwrap()
}

pub(crate) fn file(object: &Object, key: &str, body: &str) -> Result<AccessRequestView, ApiError> {
    let input = if body.contains("\"data\"") {
        RequestInput::parse_patch(body.as_bytes())
    } else {
        RequestInput::parse_read(body.as_bytes())
    }
    .unwrap();
    let RequestInput::Carried(request) = input else {
        panic!("not a carried request")
    };
    object.call(key, CreateCarriedRequest { request })
}

fn read_body(id: &DiscoveredSecretId) -> String {
    format!(r#"{{"secret_id": "{id}", "reason": "incident 42"}}"#)
}

pub(crate) fn patch_body(id: &DiscoveredSecretId) -> String {
    format!(r#"{{"secret_id": "{id}", "data": {{"PASSWORD": "n3w-s3cr3t"}}, "reason": "rotate"}}"#)
}

pub(crate) fn requester(object: &Object) -> String {
    object.token(r#"{"scope": "audit:read", "ttl_seconds": 86400}"#)
}

pub(crate) fn approve(
    object: &Object,
    id: &AccessRequestId,
) -> Result<AccessRequestView, ApiError> {
    let approver = object.token_with("approvals:decide");
    object.call(
        &approver,
        ApproveAccess {
            id: id.clone(),
            comment: None,
        },
    )
}

fn view(object: &Object, id: &AccessRequestId) -> AccessRequestView {
    object.master(GetAccessRequest { id: id.clone() }).unwrap()
}

pub(crate) fn claim(object: &Object, agent: &Agent) -> Option<Job> {
    object
        .call(
            &agent.jwt,
            ClaimJob {
                id: agent.id.clone(),
                lease_seconds: 60,
            },
        )
        .unwrap()
}

pub(crate) fn complete(
    object: &Object,
    agent: &Agent,
    job: &JobId,
    body: &str,
) -> Result<(), ApiError> {
    object.call(
        &agent.jwt,
        CompleteJob {
            id: agent.id.clone(),
            job_id: job.clone(),
            completion: Completion::parse(body.as_bytes()).unwrap(),
        },
    )
}

/// A DEK issued to the agent, opened as the agent opens it: its id and bytes.
fn dek(object: &Object, agent: &Agent) -> (String, Vec<u8>) {
    let sealed = object
        .call(
            &agent.jwt,
            IssueDek {
                agent_id: agent.id.clone(),
            },
        )
        .unwrap();
    let binding = DekBinding {
        tenant_id: object.tenant_id.as_str(),
        agent_id: &agent.id,
        key_id: &sealed.key_id,
    };
    let key = open_sealed_dek(&agent.secret, &binding, &sealed).unwrap();
    (sealed.key_id.to_string(), key.to_vec())
}

/// The agent's post of `plaintext` for `job`, sealed under `key`.
fn post(
    object: &Object,
    agent: &Agent,
    job: &JobId,
    key: &(String, Vec<u8>),
    plaintext: &[u8],
) -> AgentPost {
    let nonce = random_bytes::<12>().unwrap();
    let dek: [u8; 32] = key.1.as_slice().try_into().unwrap();
    let ciphertext = seal_agent_post(
        &dek,
        &nonce,
        object.tenant_id.as_str(),
        &agent.id,
        job,
        plaintext,
    )
    .unwrap();
    let body = format!(
        r#"{{"job_id": "{job}", "key_id": "{}", "nonce": "{}", "ciphertext": "{}"}}"#,
        key.0,
        STANDARD.encode(nonce),
        STANDARD.encode(ciphertext)
    );
    AgentPost::parse(body.as_bytes()).unwrap()
}

fn post_wrap(
    object: &Object,
    agent: &Agent,
    post: AgentPost,
) -> Result<latchkey_core::wrap::WrapId, ApiError> {
    object.call(
        &agent.jwt,
        PostAgentWrap {
            agent_id: agent.id.clone(),
            post,
        },
    )
}

fn get_wrap(
    object: &Object,
    agent: &Agent,
    path_agent: &AgentId,
    wrap: &str,
) -> Result<latchkey_core::carried::SealedAgentWrap, ApiError> {
    object.call(
        &agent.jwt,
        GetAgentWrap {
            agent_id: path_agent.clone(),
            wrap_id: AgentWrapId::parse(wrap).unwrap(),
        },
    )
}

/// A read request filed, approved and claimed: the requester, the request and the job.
fn claimed_read(object: &Object, agent: &Agent) -> (String, AccessRequestId, Job) {
    let secret = discovered(object, agent, "app/.env");
    let requester = requester(object);
    let filed = file(object, &requester, &read_body(&secret)).unwrap();
    approve(object, &filed.id).unwrap();
    let job = claim(object, agent).unwrap();
    (requester, filed.id, job)
}

// --- the read flow ---------------------------------------------------------------------------

#[test]
fn carried_read_approved_claimed_posted_reaches_the_requester_once() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let secret = discovered(&object, &holder, "app/.env");
    let requester = requester(&object);
    let filed = file(&object, &requester, &read_body(&secret)).unwrap();
    assert_eq!(filed.secret_id.as_ref(), Some(&secret));
    assert_eq!(filed.path, None);
    assert_eq!(filed.execution.as_deref(), Some("pending"));
    assert_eq!(filed.required_approvals, Some(1));
    assert_eq!(object.last_event(), event("request.created", true));
    let approved = approve(&object, &filed.id).unwrap();
    assert_eq!(approved.status, "approved");
    assert_eq!(approved.execution.as_deref(), Some("queued"));
    assert!(object.events().contains(&event("job.queued", true)));
    let job = claim(&object, &holder).unwrap();
    assert_eq!(job.kind, "read_secret");
    assert_eq!(job.source.as_str(), "request");
    assert_eq!(job.params["request_id"], filed.id.as_str());
    assert_eq!(job.params["secret_id"], secret.as_str());
    assert_eq!(job.params["cluster_name"], "prod");
    assert_eq!(job.params["provider"], "file");
    assert_eq!(job.params["ref"], "app/.env");
    assert_eq!(job.params["keys"], serde_json::json!(["USER", "PASSWORD"]));
    assert_eq!(
        view(&object, &filed.id).execution.as_deref(),
        Some("claimed")
    );
    let key = dek(&object, &holder);
    let plaintext = br#"{"data": {"USER": "app", "PASSWORD": "0ld-s3cr3t"}}"#;
    let wrap = post_wrap(
        &object,
        &holder,
        post(&object, &holder, &job.id, &key, plaintext),
    )
    .unwrap();
    assert_eq!(object.last_event(), event("agent.wrap_posted", true));
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM agent_deks WHERE id = '{}'",
            key.0
        )),
        0,
        "the DEK is single-use"
    );
    let shown = view(&object, &filed.id);
    assert_eq!(shown.execution.as_deref(), Some("applied"));
    assert_eq!(shown.wrap_id.as_ref(), Some(&wrap));
    complete(&object, &holder, &job.id, r#"{"status": "succeeded"}"#).unwrap();
    assert_eq!(
        view(&object, &filed.id).execution.as_deref(),
        Some("applied")
    );
    let got = object
        .call(
            &requester,
            RequestWrap {
                id: filed.id.clone(),
                wrap_id: wrap.clone(),
            },
        )
        .unwrap();
    assert_eq!(got.value, r#"{"PASSWORD":"0ld-s3cr3t","USER":"app"}"#);
    assert_eq!(got.path, None);
    let again = object
        .call(
            &requester,
            RequestWrap {
                id: filed.id.clone(),
                wrap_id: wrap,
            },
        )
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Gone);
    // Never a value in the trail.
    let trail = object.rows("SELECT details FROM audit_events");
    for row in trail {
        let details = row.text(0).unwrap_or_default();
        assert!(!details.contains("0ld-s3cr3t"), "{details}");
    }
}

#[test]
fn post_wrap_second_under_one_dek_or_job_is_409() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let (_, request, job) = claimed_read(&object, &holder);
    let key = dek(&object, &holder);
    let plaintext = br#"{"data": {"PASSWORD": "x"}}"#;
    post_wrap(
        &object,
        &holder,
        post(&object, &holder, &job.id, &key, plaintext),
    )
    .unwrap();
    let e = post_wrap(
        &object,
        &holder,
        post(&object, &holder, &job.id, &key, plaintext),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(detail(&e, "field").as_deref(), Some("key_id"));
    let other = dek(&object, &holder);
    let e = post_wrap(
        &object,
        &holder,
        post(&object, &holder, &job.id, &other, plaintext),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(detail(&e, "field").as_deref(), Some("job_id"));
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM wraps WHERE request_id = '{request}'"
        )),
        1
    );
}

#[test]
fn post_wrap_under_the_wrong_key_or_not_data_is_400_and_changes_nothing() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let (_, request, job) = claimed_read(&object, &holder);
    let key = dek(&object, &holder);
    let wrong = (key.0.clone(), vec![7u8; 32]);
    let e = post_wrap(
        &object,
        &holder,
        post(
            &object,
            &holder,
            &job.id,
            &wrong,
            br#"{"data": {"A": "b"}}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(detail(&e, "field").as_deref(), Some("ciphertext"));
    let e = post_wrap(
        &object,
        &holder,
        post(&object, &holder, &job.id, &key, b"plain text"),
    )
    .unwrap_err();
    assert_eq!(detail(&e, "field").as_deref(), Some("ciphertext"));
    assert_eq!(
        object.count(&format!(
            "SELECT count(*) FROM agent_deks WHERE id = '{}'",
            key.0
        )),
        1
    );
    assert_eq!(object.count("SELECT count(*) FROM wraps"), 0);
    assert_eq!(
        view(&object, &request).execution.as_deref(),
        Some("claimed")
    );
}

#[test]
fn post_wrap_for_an_admin_job_or_another_agents_job_is_refused() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let other = agent(&object, "edge-2");
    let (_, _, job) = claimed_read(&object, &holder);
    let key = dek(&object, &other);
    let e = post_wrap(
        &object,
        &other,
        post(&object, &other, &job.id, &key, br#"{"data": {"A": "b"}}"#),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    // The path's agent must be the caller.
    let e = object
        .call(
            &other.jwt,
            PostAgentWrap {
                agent_id: holder.id.clone(),
                post: post(&object, &other, &job.id, &key, br#"{"data": {"A": "b"}}"#),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn complete_read_succeeded_before_its_wrap_is_409_and_failed_shows_the_error() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let (_, request, job) = claimed_read(&object, &holder);
    let e = complete(&object, &holder, &job.id, r#"{"status": "succeeded"}"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(detail(&e, "field").as_deref(), Some("status"));
    assert_eq!(
        view(&object, &request).execution.as_deref(),
        Some("claimed")
    );
    complete(
        &object,
        &holder,
        &job.id,
        r#"{"status": "failed", "error": "no such file"}"#,
    )
    .unwrap();
    let shown = view(&object, &request);
    assert_eq!(shown.execution.as_deref(), Some("failed"));
    assert_eq!(shown.execution_error.as_deref(), Some("no such file"));
    assert!(object.events().contains(&event("request.executed", true)));
}

// --- the patch flow --------------------------------------------------------------------------

#[test]
fn carried_patch_sealed_to_the_agent_retrieved_once_then_applied_or_failed() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let secret = discovered(&object, &holder, "app/.env");
    let requester = requester(&object);
    let filed = file(&object, &requester, &patch_body(&secret)).unwrap();
    assert_eq!(filed.execution.as_deref(), Some("pending"));
    let rows = object.rows("SELECT id, hex(ciphertext) FROM agent_wraps");
    assert_eq!(rows.len(), 1);
    let wrap_id = rows[0].text(0).unwrap();
    let stored = String::from_utf8(rows[0].blob(1).unwrap()).unwrap();
    assert!(!stored.contains("n3w-s3cr3t"), "the data is stored sealed");
    assert_eq!(
        object.count("SELECT count(*) FROM access_requests WHERE ciphertext IS NOT NULL"),
        0,
        "no server-side copy"
    );
    // Not handed out before approval.
    let e = get_wrap(&object, &holder, &holder.id, &wrap_id).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    approve(&object, &filed.id).unwrap();
    let job = claim(&object, &holder).unwrap();
    assert_eq!(job.kind, "patch_secret");
    assert_eq!(job.params["wrap_id"], wrap_id.as_str());
    assert_eq!(job.params["request_id"], filed.id.as_str());
    let sealed = get_wrap(&object, &holder, &holder.id, &wrap_id).unwrap();
    assert_eq!(object.last_event(), event("agent.wrap_retrieved", true));
    let opened = open_agent_wrap(
        &holder.secret,
        object.tenant_id.as_str(),
        &holder.id,
        &sealed,
    )
    .unwrap();
    assert_eq!(opened.as_slice(), br#"{"data":{"PASSWORD":"n3w-s3cr3t"}}"#);
    let wrong = random_bytes::<32>().unwrap();
    assert!(open_agent_wrap(&wrong, object.tenant_id.as_str(), &holder.id, &sealed).is_err());
    let again = get_wrap(&object, &holder, &holder.id, &wrap_id).unwrap_err();
    assert_eq!(again.code, ErrorCode::Gone);
    assert_eq!(
        object.count("SELECT count(*) FROM agent_wraps WHERE length(ciphertext) > 0"),
        0,
        "erased after retrieval"
    );
    complete(
        &object,
        &holder,
        &job.id,
        r#"{"status": "failed", "error": "read-only file system"}"#,
    )
    .unwrap();
    let shown = view(&object, &filed.id);
    assert_eq!(shown.execution.as_deref(), Some("failed"));
    assert_eq!(
        shown.execution_error.as_deref(),
        Some("read-only file system")
    );

    // A second patch, applied.
    let filed = file(&object, &requester, &patch_body(&secret)).unwrap();
    approve(&object, &filed.id).unwrap();
    let job = claim(&object, &holder).unwrap();
    complete(&object, &holder, &job.id, r#"{"status": "succeeded"}"#).unwrap();
    let shown = view(&object, &filed.id);
    assert_eq!(shown.execution.as_deref(), Some("applied"));
    assert_eq!(shown.execution_error, None);
    assert_eq!(
        object.count("SELECT count(*) FROM agent_wraps WHERE length(ciphertext) > 0"),
        0,
        "a completed job's data is erased, retrieved or not"
    );
}

#[test]
fn carried_patch_wrap_expires_and_another_agent_cannot_reach_it() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let other = agent(&object, "edge-2");
    let secret = discovered(&object, &holder, "app/.env");
    let filed = file(&object, &requester(&object), &patch_body(&secret)).unwrap();
    approve(&object, &filed.id).unwrap();
    let wrap_id = object.rows("SELECT id FROM agent_wraps")[0]
        .text(0)
        .unwrap();
    let e = get_wrap(&object, &other, &other.id, &wrap_id).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = get_wrap(&object, &other, &holder.id, &wrap_id).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    // A day after approval (the agent's JWT would have run out: move the expiry instead).
    object.rows("UPDATE agent_wraps SET expires_at = 0");
    let e = get_wrap(&object, &holder, &holder.id, &wrap_id).unwrap_err();
    assert_eq!(e.code, ErrorCode::Gone);
}

#[test]
fn carried_patch_rejected_erases_the_sealed_data() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let secret = discovered(&object, &holder, "app/.env");
    let filed = file(&object, &requester(&object), &patch_body(&secret)).unwrap();
    let approver = object.token_with("approvals:decide");
    object
        .call(
            &approver,
            RejectAccess {
                id: filed.id.clone(),
                reason: None,
            },
        )
        .unwrap();
    assert_eq!(
        object.count("SELECT count(*) FROM agent_wraps WHERE length(ciphertext) > 0"),
        0
    );
    assert_eq!(object.count("SELECT count(*) FROM agent_jobs"), 0);
    assert_eq!(
        view(&object, &filed.id).execution.as_deref(),
        Some("pending")
    );
}

// --- refusals --------------------------------------------------------------------------------

#[test]
fn carried_request_unknown_secret_or_keyless_agent_is_refused_and_stores_nothing() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let unknown = DiscoveredSecretId::parse("dsc_0123456789abcdef01234567").unwrap();
    let requester = requester(&object);
    let e = file(&object, &requester, &read_body(&unknown)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(detail(&e, "field").as_deref(), Some("secret_id"));
    let secret = discovered(&object, &holder, "app/.env");
    object.rows(&format!(
        "DELETE FROM agent_public_keys WHERE agent_id = '{}'",
        holder.id
    ));
    let e = file(&object, &requester, &patch_body(&secret)).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(detail(&e, "field").as_deref(), Some("public_key"));
    assert_eq!(object.count("SELECT count(*) FROM access_requests"), 0);
    assert_eq!(object.count("SELECT count(*) FROM agent_wraps"), 0);
}

#[test]
fn carried_request_its_requester_cannot_approve_it() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let secret = discovered(&object, &holder, "app/.env");
    let approver = object.token_with("approvals:decide");
    let filed = file(&object, &approver, &read_body(&secret)).unwrap();
    let e = object
        .call(
            &approver,
            ApproveAccess {
                id: filed.id.clone(),
                comment: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(object.count("SELECT count(*) FROM agent_jobs"), 0);
}

#[test]
fn carried_commands_people_cannot_post_or_get_agent_wraps() {
    let object = Object::new();
    let holder = agent(&object, "edge-1");
    let wrap = AgentWrapId::parse("awr_0123456789abcdef01234567").unwrap();
    let e = object
        .master(GetAgentWrap {
            agent_id: holder.id.clone(),
            wrap_id: wrap,
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied, "{e:?}");
}
