//! Seed 001's agent plane (issue 23) on the face: minting, heartbeats, jobs, the update check,
//! the agent's X25519 key and data keys, its bulk report of discovered secrets and the
//! inventory of them, the wraps a carried request moves, and the agent socket. The agent's
//! routes name its own id (any other is 404) and take `X-Agent-Secret` or an agent JWT.

use super::super::{TENANT, body};
use super::schemas::environment_id;
use super::{AGENT_PLANE, TAG};
use crate::json::Json;
use crate::obj;
use crate::operation::{Operation, Parameters, auth_and, ok, ok_empty, query, query_described};
use crate::schema::{bounded, enumeration, integer, string};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::MAX_OS_TYPE_BYTES;
use latchkey_core::agent::discovered::{
    DEFAULT_LIMIT, DiscoveredSecretId, MAX_CLUSTER_BYTES, MAX_LABEL_FILTERS, MAX_LIMIT,
    MAX_PROVIDER_BYTES, MAX_REF_BYTES,
};
use latchkey_core::agent::jobs::JobId;
use latchkey_core::carried::AgentWrapId;

fn filter(max: usize) -> Json {
    crate::schema::text(Some(1), Some(max))
}

/// `GET /api/v1/secrets`'s filters.
fn inventory_query() -> Vec<Json> {
    vec![
        query("cluster_name", filter(MAX_CLUSTER_BYTES)),
        query("provider", filter(MAX_PROVIDER_BYTES)),
        query_described(
            "ref_prefix",
            filter(MAX_REF_BYTES),
            "The ref starts with it",
        ),
        query("status", enumeration(["active", "missing", "error"])),
        obj! {
            "name" => "label",
            "in" => "query",
            "required" => false,
            "description" => format!(
                "key:value; repeat it (at most {MAX_LABEL_FILTERS}) for secrets carrying every label"
            ),
            "style" => "form",
            "explode" => true,
            "schema" => crate::schema::array(
                string().with("pattern", "^[A-Za-z0-9._/-]{1,63}:[^\\u0000-\\u001f\\u007f-\\u009f]{0,255}$"),
            )
            .with("maxItems", MAX_LABEL_FILTERS),
        },
        query_described(
            "environment",
            environment_id(),
            "Only the secrets in the environment's clusters (404 naming an unknown one)",
        ),
        query_described(
            "limit",
            bounded(1, MAX_LIMIT),
            &format!("Default {DEFAULT_LIMIT}"),
        ),
        query_described(
            "cursor",
            super::schemas::discovered_id(),
            "The previous page's next_cursor",
        ),
    ]
}

pub(super) fn operations(params: &mut Parameters) -> Vec<Operation> {
    let agt = params.id("id", AgentId::PREFIX, AgentId::HEX_DIGITS, "An agent");
    let job = params.id("job_id", JobId::PREFIX, JobId::HEX_DIGITS, "A job");
    let awr = params.id(
        "wrap_id",
        AgentWrapId::PREFIX,
        AgentWrapId::HEX_DIGITS,
        "An agent wrap",
    );
    let dsc = params.id(
        "id",
        DiscoveredSecretId::PREFIX,
        DiscoveredSecretId::HEX_DIGITS,
        "A discovered secret",
    );
    let agent_op = |method, path, id, summary: &str| {
        Operation::new(method, path, id, summary, TAG).security(AGENT_PLANE)
    };
    let socket_answers = vec![(
        101,
        obj! { "description" => "Switching Protocols: the socket is open (frames: README, 'The agent socket')" },
    )];
    vec![
        Operation::new(
            "post",
            "/api/v1/agents",
            "apiMintAgent",
            "Mint an agent (agents:admin, or agent.mint): its secret is shown once; a name already registered is 409",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[409, 422]))
        .optional_body(body("MintAgent"))
        .respond(201, ok("AgentMinted", "Minted")),
        Operation::new(
            "post",
            "/api/v1/jobs",
            "apiCreateJob",
            "Queue a job for an agent (agents:admin)",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewJob"))
        .respond(201, ok("Job", "Queued")),
        agent_op(
            "get",
            "/api/v1/agents/update/latest",
            "apiAgentUpdate",
            "The latest agent version published for the caller's platform (or ?platform=)",
        )
        .errors(&auth_and(&[404, 422]))
        .params(vec![query_described(
            "platform",
            string()
                .with("minLength", 1)
                .with("maxLength", MAX_OS_TYPE_BYTES)
                .with("pattern", "^[A-Za-z0-9._/-]+$"),
            "Default: the os_type the agent registered or was minted with",
        )])
        .respond(200, ok("AgentUpdate", "The latest version")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/heartbeat",
            "apiAgentHeartbeat",
            "The agent is alive (no body, or {})",
        )
        .errors(&auth_and(&[404, 422]))
        .params(vec![agt.clone()])
        .optional_body(body("Empty"))
        .respond(204, ok_empty("Recorded")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/jobs/claim",
            "apiClaimJob",
            "Claim the oldest claimable job, leased for 5 minutes",
        )
        .errors(&auth_and(&[404]))
        .params(vec![agt.clone()])
        .respond(200, ok("Job", "The claimed job"))
        .respond(204, ok_empty("No job to claim")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/jobs/{job_id}/complete",
            "apiCompleteJob",
            "Report a claimed job's outcome (idempotent)",
        )
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![agt.clone(), job])
        .body(body("JobCompletion"))
        .respond(204, ok_empty("Recorded")),
        agent_op(
            "put",
            "/api/v1/agents/{id}/public-key",
            "apiAgentPublicKey",
            "Register the agent's X25519 public key",
        )
        .errors(&auth_and(&[404]))
        .params(vec![agt.clone()])
        .body(body("AgentPublicKey"))
        .respond(200, ok("AgentPublicKeySet", "Registered")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/dek",
            "apiAgentDek",
            "A data key sealed to the agent's public key (409 naming public_key before it has one)",
        )
        .errors(&auth_and(&[404, 409]))
        .params(vec![agt.clone()])
        .optional_body(body("Empty"))
        .respond(201, ok("SealedDek", "Issued")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/secrets/bulk",
            "apiAgentSecretsBulk",
            "Report discovered secrets: where they live and their key names, never a value",
        )
        .errors(&auth_and(&[404]))
        .params(vec![agt.clone()])
        .body(body("DiscoveredReport"))
        .respond(200, ok("DiscoveryStored", "Stored")),
        agent_op(
            "post",
            "/api/v1/agents/{id}/wraps",
            "apiAgentWraps",
            "A read job's value, sealed under a data key (the key seals one wrap)",
        )
        .errors(&auth_and(&[404, 409, 410]))
        .params(vec![agt.clone()])
        .body(body("AgentWrapPost"))
        .respond(201, ok("AgentWrapPosted", "Posted")),
        agent_op(
            "get",
            "/api/v1/agents/{id}/wraps/{wrap_id}",
            "apiAgentWrap",
            "A patch job's data sealed to the agent, once (then 410; 409 before its request is approved)",
        )
        .errors(&auth_and(&[404, 409, 410]))
        .params(vec![agt.clone(), awr])
        .respond(200, ok("SealedAgentWrap", "The sealed data")),
        Operation::new(
            "get",
            "/api/v1/secrets",
            "apiDiscoveredSecrets",
            "Discovered secrets (agents:admin): metadata the agents report, never a value; not /v1/secrets",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(inventory_query())
        .respond(200, ok("DiscoveredPage", "A page")),
        Operation::new(
            "get",
            "/api/v1/secrets/{id}",
            "apiDiscoveredSecret",
            "One discovered secret (agents:admin)",
            TAG,
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![dsc])
        .respond(200, ok("DiscoveredSecret", "The discovered secret")),
        agent_op(
            "get",
            "/api/v1/agents/me/connect",
            "apiConnectMe",
            "The agent's WebSocket (GET with Upgrade: websocket)",
        )
        .errors(&auth_and(&[503]))
        .params(vec![since()])
        .respond_all(socket_answers.clone()),
        agent_op(
            "get",
            "/api/v1/agents/{id}/connect",
            "apiConnect",
            "The agent's WebSocket, seed 001's way of naming the agent",
        )
        .errors(&auth_and(&[404, 503]))
        .params(vec![agt, since()])
        .respond_all(socket_answers),
    ]
}

fn since() -> Json {
    query_described(
        "since",
        integer(0).with("maximum", i64::MAX as u64),
        "The cursor of the last hello or secret_changed frame: replay what changed since",
    )
}
