//! Issue 23, requests that agents carry out, on the wire: a read or patch request on a
//! discovered secret, approved by a second person, claimed by the agent that holds it, and
//! carried out through agent wraps. The test agent's crypto is written here from the contract
//! (`/api/v1/agents/{id}/wraps`: AES-256-GCM under a DEK, aad "latchkey/v1/agent-wrap" ‖
//! tenant, agent, job id; a patch sealed to the agent's X25519 key as a DEK is, with that
//! INFO prefix and the wrap id), not from the server's code.

use crate::Ctx;
use crate::agent_envelopes::{keypair, send};
use crate::agent_plane::{as_agent, mint};
use crate::people::{APPROVER_ROLE, READER_ROLE, call, person};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use latchkey_e2e::client::Reply;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agent_requests::read_flow_reaches_the_requester_once",
        read_flow_reaches_the_requester_once,
    ),
    (
        "agent_requests::patch_flow_applies_or_fails_with_the_agents_error",
        patch_flow_applies_or_fails_with_the_agents_error,
    ),
    (
        "agent_requests::agent_wrap_gives_its_data_once_to_ten_concurrent_gets",
        agent_wrap_gives_its_data_once_to_ten_concurrent_gets,
    ),
    (
        "agent_requests::refusals_name_the_problem_and_change_nothing",
        refusals_name_the_problem_and_change_nothing,
    ),
];

/// A seed-001 agent with a registered X25519 key.
pub(crate) struct Agent {
    pub(crate) id: String,
    secret: String,
    key: x25519_dalek::StaticSecret,
}

impl Agent {
    pub(crate) fn new(ctx: &Ctx, admin: &str, name: &str) -> Agent {
        let (id, secret) = mint(ctx, admin, json!({"name": latchkey_e2e::unique(name)}));
        let (key, public) = keypair();
        let put = as_agent(
            ctx,
            "PUT",
            &format!("/api/v1/agents/{id}/public-key"),
            &secret,
            Some(json!({"public_key": public})),
        );
        assert_eq!(put.status, 200, "{}", put.text);
        Agent { id, secret, key }
    }

    pub(crate) fn send(&self, ctx: &Ctx, method: &str, tail: &str, body: Option<Value>) -> Reply {
        let url = format!("/api/v1/agents/{}/{tail}", self.id);
        as_agent(ctx, method, &url, &self.secret, body)
    }

    /// Reports `app/.env` with two keys; the discovered secret's id, as the admin lists it.
    pub(crate) fn discover(&self, ctx: &Ctx, admin: &str) -> String {
        let bulk = self.send(
            ctx,
            "POST",
            "secrets/bulk",
            Some(json!({"secrets": [{"cluster_name": "edge", "provider": "file", "ref": "app/.env", "key_names": ["USER", "PASSWORD"]}]})),
        );
        assert_eq!(bulk.status, 200, "{}", bulk.text);
        let listed = send(ctx, "GET", "/api/v1/secrets?ref_prefix=app", admin, None);
        assert_eq!(listed.status, 200, "{}", listed.text);
        listed.body["secrets"][0]["id"].as_str().unwrap().to_owned()
    }

    pub(crate) fn claim(&self, ctx: &Ctx) -> Value {
        let claimed = self.send(ctx, "POST", "jobs/claim", None);
        assert_eq!(claimed.status, 200, "{}", claimed.text);
        claimed.body
    }

    pub(crate) fn complete(&self, ctx: &Ctx, job: &str, body: Value) -> Reply {
        self.send(ctx, "POST", &format!("jobs/{job}/complete"), Some(body))
    }

    /// A DEK, opened as ARCHITECTURE "Wire envelopes to agents" says: `(key_id, key)`.
    pub(crate) fn dek(&self, ctx: &Ctx, tenant: &str) -> (String, [u8; 32]) {
        let dek = self.send(ctx, "POST", "dek", None);
        assert_eq!(dek.status, 201, "{}", dek.text);
        let key_id = dek.body["key_id"].as_str().unwrap().to_owned();
        let opened = open_sealed(
            &self.key,
            b"latchkey/v1/agent-dek",
            tenant,
            &self.id,
            &key_id,
            &dek.body,
        )
        .expect("the DEK opens");
        (key_id, opened.try_into().unwrap())
    }
}

fn bound(prefix: &[u8], parts: [&str; 3]) -> Vec<u8> {
    let mut info = prefix.to_vec();
    for part in parts {
        info.extend_from_slice(&(part.len() as u32).to_be_bytes());
        info.extend_from_slice(part.as_bytes());
    }
    info
}

/// X25519 → HKDF-SHA256 (salt E ‖ A) → AES-256-GCM (aad = INFO), as the agent opens a seal.
fn open_sealed(
    secret: &x25519_dalek::StaticSecret,
    prefix: &[u8],
    tenant: &str,
    agent: &str,
    id: &str,
    answer: &Value,
) -> Option<Vec<u8>> {
    let field = |name: &str| STANDARD.decode(answer[name].as_str().unwrap()).unwrap();
    let ephemeral: [u8; 32] = field("ephemeral_public_key").try_into().unwrap();
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
    let mut salt = ephemeral.to_vec();
    salt.extend_from_slice(x25519_dalek::PublicKey::from(secret).as_bytes());
    let info = bound(prefix, [tenant, agent, id]);
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes())
        .expand(&info, &mut key)
        .unwrap();
    aes_gcm::Aes256Gcm::new(&key.into())
        .decrypt(
            aes_gcm::Nonce::from_slice(&field("nonce")),
            Payload {
                msg: &field("ciphertext"),
                aad: &info,
            },
        )
        .ok()
}

/// The read flow's post: `plaintext` under the DEK, aad bound to the job.
pub(crate) fn seal_post(
    dek: &[u8; 32],
    tenant: &str,
    agent: &str,
    job: &str,
    plaintext: &[u8],
) -> (String, String) {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).unwrap();
    let aad = bound(b"latchkey/v1/agent-wrap", [tenant, agent, job]);
    let ciphertext = aes_gcm::Aes256Gcm::new(dek.into())
        .encrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap();
    (STANDARD.encode(nonce), STANDARD.encode(ciphertext))
}

struct People {
    requester: String,
    approver: String,
}

fn people(ctx: &Ctx, tenant: &str, admin: &str) -> People {
    let (_, requester) = person(ctx, tenant, admin, "asker", &[READER_ROLE]);
    let (_, approver) = person(ctx, tenant, admin, "decider", &[APPROVER_ROLE]);
    People {
        requester,
        approver,
    }
}

fn request_view(ctx: &Ctx, bearer: &str, id: &str) -> Value {
    let got = call(
        ctx,
        "GET",
        &format!("/api/v1/requests/{id}"),
        Some(bearer),
        None,
    );
    assert_eq!(got.status, 200, "{}", got.text);
    got.body
}

/// A patch of `PASSWORD` filed by the requester and approved by the approver: its id.
fn approved_patch(ctx: &Ctx, who: &People, secret_id: &str, value: &str) -> String {
    let filed = call(
        ctx,
        "POST",
        "/api/v1/requests",
        Some(&who.requester),
        Some(
            json!({"secret_id": secret_id, "data": {"PASSWORD": value}, "reason": "rotate after leak"}),
        ),
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    assert_eq!(filed.body["execution"], "pending");
    assert!(!filed.text.contains(value), "{}", filed.text);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    let approved = call(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/approve"),
        Some(&who.approver),
        Some(json!({"comment": "ok"})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["execution"], "queued");
    id
}

fn read_flow_reaches_the_requester_once(ctx: &Ctx) {
    let (tenant, admin) = ctx.new_tenant();
    let holder = Agent::new(ctx, &admin, "reader-holder");
    let secret_id = holder.discover(ctx, &admin);
    let who = people(ctx, &tenant, &admin);
    let filed = call(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&who.requester),
        Some(json!({"secret_id": secret_id, "reason": "incident 42", "ttl_seconds": 600})),
    );
    assert_eq!(filed.status, 201, "{}", filed.text);
    assert_eq!(filed.body["secret_id"], secret_id.as_str());
    assert_eq!(filed.body["execution"], "pending");
    assert_eq!(filed.body["status"], "pending");
    assert!(filed.body.get("path").is_none(), "{}", filed.text);
    let id = filed.body["id"].as_str().unwrap().to_owned();
    // Nobody approves their own request.
    call(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/approve"),
        Some(&who.requester),
        None,
    )
    .assert_error(403, "permission_denied");
    let approved = call(
        ctx,
        "POST",
        &format!("/api/v1/requests/{id}/approve"),
        Some(&who.approver),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["execution"], "queued");

    let job = holder.claim(ctx);
    assert_eq!(job["type"], "read_secret");
    assert_eq!(job["source"], "request");
    assert_eq!(
        job["params"],
        json!({"request_id": id, "secret_id": secret_id, "cluster_name": "edge", "provider": "file", "ref": "app/.env", "keys": ["USER", "PASSWORD"]})
    );
    assert_eq!(
        request_view(ctx, &who.requester, &id)["execution"],
        "claimed"
    );
    let job_id = job["id"].as_str().unwrap();

    let value = latchkey_e2e::secret_value("carried-read");
    let plaintext = json!({"data": {"USER": "app", "PASSWORD": value}}).to_string();
    let (key_id, dek) = holder.dek(ctx, &tenant);
    let (nonce, ciphertext) = seal_post(&dek, &tenant, &holder.id, job_id, plaintext.as_bytes());
    let body =
        json!({"job_id": job_id, "key_id": key_id, "nonce": nonce, "ciphertext": ciphertext});
    let posted = holder.send(ctx, "POST", "wraps", Some(body.clone()));
    assert_eq!(posted.status, 201, "{}", posted.text);
    let wrap_id = posted.body["wrap_id"].as_str().unwrap().to_owned();
    // The DEK seals one wrap.
    holder
        .send(ctx, "POST", "wraps", Some(body))
        .assert_error(409, "conflict");
    let shown = request_view(ctx, &who.requester, &id);
    assert_eq!(shown["execution"], "applied");
    assert_eq!(shown["wrap_id"], wrap_id.as_str());
    let done = holder.complete(ctx, job_id, json!({"status": "succeeded"}));
    assert_eq!(done.status, 204, "{}", done.text);

    let wrap_url = format!("/api/v1/requests/{id}/wraps/{wrap_id}");
    // The approver sees the request, not the value.
    call(ctx, "GET", &wrap_url, Some(&who.approver), None).assert_error(404, "not_found");
    let got = call(ctx, "GET", &wrap_url, Some(&who.requester), None);
    assert_eq!(got.status, 200, "{}", got.text);
    let data: Value = serde_json::from_str(got.body["value"].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"USER": "app", "PASSWORD": value}));
    call(ctx, "GET", &wrap_url, Some(&who.requester), None).assert_error(410, "gone");
    // Every step is in the trail, never the value.
    let trail = send(ctx, "GET", "/v1/audit?limit=200", &admin, None);
    assert_eq!(trail.status, 200, "{}", trail.text);
    for kind in [
        "request.created",
        "request.approved",
        "job.queued",
        "job.claimed",
        "agent.wrap_posted",
        "wrap.unwrapped",
    ] {
        assert!(trail.text.contains(kind), "{kind} missing from the trail");
    }
    assert!(!trail.text.contains(&value), "the value is in the trail");
}

fn patch_flow_applies_or_fails_with_the_agents_error(ctx: &Ctx) {
    let (tenant, admin) = ctx.new_tenant();
    let holder = Agent::new(ctx, &admin, "patch-holder");
    let secret_id = holder.discover(ctx, &admin);
    let who = people(ctx, &tenant, &admin);
    let value = latchkey_e2e::secret_value("carried-patch");
    let id = approved_patch(ctx, &who, &secret_id, &value);
    let job = holder.claim(ctx);
    assert_eq!(job["type"], "patch_secret");
    assert_eq!(job["params"]["request_id"], id.as_str());
    assert_eq!(job["params"]["ref"], "app/.env");
    assert_eq!(
        {
            let mut keys: Vec<&String> = job["params"].as_object().unwrap().keys().collect();
            keys.sort();
            keys
        },
        [
            "cluster_name",
            "provider",
            "ref",
            "request_id",
            "secret_id",
            "wrap_id"
        ]
    );
    let wrap_id = job["params"]["wrap_id"].as_str().unwrap().to_owned();
    let job_id = job["id"].as_str().unwrap().to_owned();

    let got = holder.send(ctx, "GET", &format!("wraps/{wrap_id}"), None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["wrap_id"], wrap_id.as_str());
    assert_eq!(got.body["algorithm"], "x25519-hkdf-sha256-aes-256-gcm");
    let opened = open_sealed(
        &holder.key,
        b"latchkey/v1/agent-wrap",
        &tenant,
        &holder.id,
        &wrap_id,
        &got.body,
    )
    .expect("the agent's key opens it");
    let data: Value = serde_json::from_slice(&opened).unwrap();
    assert_eq!(data, json!({"data": {"PASSWORD": value}}));
    // Under another key, or bound to another wrap id, it does not open.
    let (other, _) = keypair();
    assert!(
        open_sealed(
            &other,
            b"latchkey/v1/agent-wrap",
            &tenant,
            &holder.id,
            &wrap_id,
            &got.body
        )
        .is_none()
    );
    assert!(
        open_sealed(
            &holder.key,
            b"latchkey/v1/agent-dek",
            &tenant,
            &holder.id,
            &wrap_id,
            &got.body
        )
        .is_none()
    );
    holder
        .send(ctx, "GET", &format!("wraps/{wrap_id}"), None)
        .assert_error(410, "gone");

    let failed = holder.complete(
        ctx,
        &job_id,
        json!({"status": "failed", "error": "read-only file system"}),
    );
    assert_eq!(failed.status, 204, "{}", failed.text);
    let shown = request_view(ctx, &who.requester, &id);
    assert_eq!(shown["execution"], "failed");
    assert_eq!(shown["execution_error"], "read-only file system");

    // Another patch, applied.
    let id = approved_patch(ctx, &who, &secret_id, &value);
    let job = holder.claim(ctx);
    let wrap_id = job["params"]["wrap_id"].as_str().unwrap();
    assert_eq!(
        holder
            .send(ctx, "GET", &format!("wraps/{wrap_id}"), None)
            .status,
        200
    );
    let done = holder.complete(
        ctx,
        job["id"].as_str().unwrap(),
        json!({"status": "succeeded"}),
    );
    assert_eq!(done.status, 204, "{}", done.text);
    let shown = request_view(ctx, &who.approver, &id);
    assert_eq!(shown["execution"], "applied");
    assert!(shown.get("execution_error").is_none(), "{shown}");
    let trail = send(ctx, "GET", "/v1/audit?limit=200", &admin, None);
    assert!(trail.text.contains("agent.wrap_retrieved"));
    assert!(trail.text.contains("request.executed"));
    assert!(!trail.text.contains(&value), "the value is in the trail");
}

fn agent_wrap_gives_its_data_once_to_ten_concurrent_gets(ctx: &Ctx) {
    let (tenant, admin) = ctx.new_tenant();
    let holder = Agent::new(ctx, &admin, "racer");
    let secret_id = holder.discover(ctx, &admin);
    let who = people(ctx, &tenant, &admin);
    approved_patch(ctx, &who, &secret_id, "race-value");
    let job = holder.claim(ctx);
    let url = format!("wraps/{}", job["params"]["wrap_id"].as_str().unwrap());
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| holder.send(ctx, "GET", &url, None)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("getter"))
            .collect()
    });
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        9,
        "{statuses:?}"
    );
}

fn refusals_name_the_problem_and_change_nothing(ctx: &Ctx) {
    let (tenant, admin) = ctx.new_tenant();
    let holder = Agent::new(ctx, &admin, "refuser");
    let other = Agent::new(ctx, &admin, "stranger");
    let secret_id = holder.discover(ctx, &admin);
    let who = people(ctx, &tenant, &admin);
    let field = |reply: &Reply| {
        reply.body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // Bad request bodies: 4xx naming the member.
    for (url, body, member) in [
        (
            "/api/v1/requests/read",
            json!({"secret_id": "dsc_nope", "reason": "r"}),
            "secret_id",
        ),
        (
            "/api/v1/requests/read",
            json!({"secret_id": secret_id, "reason": "r", "keys": ["A"]}),
            "keys",
        ),
        (
            "/api/v1/requests",
            json!({"secret_id": secret_id, "data": {}, "reason": "r"}),
            "data",
        ),
        (
            "/api/v1/requests",
            json!({"secret_id": secret_id, "data": {"A": 1}, "reason": "r"}),
            "data",
        ),
        (
            "/api/v1/requests",
            json!({"secret_id": secret_id, "value": "v", "reason": "r"}),
            "value",
        ),
    ] {
        let reply = call(ctx, "POST", url, Some(&who.requester), Some(body));
        assert!((400..500).contains(&reply.status), "{url}: {}", reply.text);
        assert_eq!(field(&reply), member, "{url}: {}", reply.text);
    }
    let unknown = call(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&who.requester),
        Some(json!({"secret_id": "dsc_0123456789abcdef01234567", "reason": "r"})),
    );
    unknown.assert_error(404, "not_found");
    let listed = call(ctx, "GET", "/api/v1/requests", Some(&who.requester), None);
    assert_eq!(listed.body["requests"], json!([]), "{}", listed.text);

    // The agent's wrap routes: bad bodies, another agent's wraps, a wrong key.
    let id = approved_patch(ctx, &who, &secret_id, "refused-patch-value");
    let job = holder.claim(ctx);
    let wrap_id = job["params"]["wrap_id"].as_str().unwrap().to_owned();
    other
        .send(ctx, "GET", &format!("wraps/{wrap_id}"), None)
        .assert_error(404, "not_found");
    let cross = as_agent(
        ctx,
        "GET",
        &format!("/api/v1/agents/{}/wraps/{wrap_id}", holder.id),
        &other.secret,
        None,
    );
    cross.assert_error(404, "not_found");
    holder
        .send(ctx, "GET", "wraps/awr_0123456789abcdef01234567", None)
        .assert_error(404, "not_found");
    holder
        .send(ctx, "GET", &format!("wraps/{wrap_id}?x=1"), None)
        .assert_error(400, "invalid_request");
    let bad = holder.send(
        ctx,
        "POST",
        "wraps",
        Some(json!({"job_id": job["id"], "key_id": "dek_x", "nonce": "", "ciphertext": ""})),
    );
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(field(&bad), "key_id");
    // A patch job posts no wrap.
    let (key_id, dek) = holder.dek(ctx, &tenant);
    let (nonce, ciphertext) = seal_post(
        &dek,
        &tenant,
        &holder.id,
        job["id"].as_str().unwrap(),
        b"{\"data\":{\"A\":\"b\"}}",
    );
    holder
        .send(ctx, "POST", "wraps", Some(json!({"job_id": job["id"], "key_id": key_id, "nonce": nonce, "ciphertext": ciphertext})))
        .assert_error(409, "conflict");
    // The wrap is still there for its agent.
    assert_eq!(
        holder
            .send(ctx, "GET", &format!("wraps/{wrap_id}"), None)
            .status,
        200
    );

    // A read posted under the wrong key does not open: 400, and the DEK is still usable.
    let read = call(
        ctx,
        "POST",
        "/api/v1/requests/read",
        Some(&who.requester),
        Some(json!({"secret_id": secret_id, "reason": "r"})),
    );
    let read_id = read.body["id"].as_str().unwrap().to_owned();
    call(
        ctx,
        "POST",
        &format!("/api/v1/requests/{read_id}/approve"),
        Some(&who.approver),
        None,
    );
    let read_job = holder.claim(ctx);
    let read_job_id = read_job["id"].as_str().unwrap();
    let (key_id, dek) = holder.dek(ctx, &tenant);
    let (nonce, ciphertext) = seal_post(
        &[9u8; 32],
        &tenant,
        &holder.id,
        read_job_id,
        b"{\"data\":{\"A\":\"b\"}}",
    );
    let wrong = holder.send(ctx, "POST", "wraps", Some(json!({"job_id": read_job_id, "key_id": key_id, "nonce": nonce, "ciphertext": ciphertext})));
    assert_eq!(wrong.status, 400, "{}", wrong.text);
    assert_eq!(field(&wrong), "ciphertext");
    let early = holder.complete(ctx, read_job_id, json!({"status": "succeeded"}));
    early.assert_error(409, "conflict");
    let (nonce, ciphertext) = seal_post(
        &dek,
        &tenant,
        &holder.id,
        read_job_id,
        b"{\"data\":{\"A\":\"b\"}}",
    );
    let right = holder.send(ctx, "POST", "wraps", Some(json!({"job_id": read_job_id, "key_id": key_id, "nonce": nonce, "ciphertext": ciphertext})));
    assert_eq!(right.status, 201, "{}", right.text);
    let _ = id;
}
