//! Requests that agents carry out (issue 23; formats in `latchkey_core::carried`). A
//! read or patch request on a discovered secret is an `access_requests` row like any other
//! (same approvals, same list), with `secret_id` instead of a path. On approval it queues a
//! job for the agent that holds the secret ([`super::jobs::enqueue`]); the job's status is the
//! request's `execution`.
//!
//! - Patch: the data is sealed to the holding agent's key at submission; only that sealed form
//!   is kept (`agent_wraps`), handed to the agent once after approval, then zeroed.
//! - Read: the agent posts the value under a DEK it was issued; it is opened here with the
//!   server's wrapped copy of that DEK (used once, then deleted), re-sealed at once as the
//!   requester's wrap ([`crate::wraps`]: single retrieval, expiry, erasure), and forgotten.

use super::{AgentPrincipal, envelopes, jobs};
use crate::audit::Draft;
use crate::sql::Value as V;
use crate::sql::{Storage, StorageError, execute, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_opt_ts, read_ts, ts};
use crate::wraps;
use latchkey_core::access_request::{AccessKind, AccessRequestId};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::discovered::DiscoveredSecretId;
use latchkey_core::agent::envelope::{ALGORITHM, DekBinding, wrap_binding};
use latchkey_core::agent::jobs::{Completion, Job, JobSource, JobStatus};
use latchkey_core::carried::{
    AGENT_WRAP_TTL_SECONDS, AgentPost, AgentWrapId, Execution, PATCH_JOB, READ_JOB,
    SealedAgentWrap, data_plaintext, read_plaintext, seal_agent_wrap,
};
use latchkey_core::crypto::Sealed;
use latchkey_core::secret::Tier;
use latchkey_core::wrap::WrapId;
use latchkey_core::{ApiError, ErrorCode, SecretPath, Timestamp};
use serde_json::{Map, Value, json};

/// The tier a discovered secret's requests are decided at: the policy's `sensitive` count
/// (one approver by default), under the rule for `discovered/<secret_id>` (a tenant can set a
/// rule on `discovered/**`).
pub const DISCOVERED_TIER: Tier = Tier::Sensitive;

/// The path the approval policy is looked up under for a discovered secret.
pub fn policy_path(id: &DiscoveredSecretId) -> Result<SecretPath, ApiError> {
    SecretPath::parse(&format!("discovered/{id}")).map_err(|e| internal("policy path", e))
}

pub fn unknown_secret(id: &DiscoveredSecretId) -> ApiError {
    ApiError::not_found(format!("discovered secret '{id}' not found")).with("field", "secret_id")
}

/// The discovered secret's holder and the job's params that name it.
pub struct Target {
    pub agent_id: AgentId,
    pub params: Map<String, Value>,
}

pub fn target(storage: &Storage, id: &DiscoveredSecretId) -> Result<Option<Target>, Failure> {
    let Some(row) = query_one(
        storage,
        "SELECT agent_id, cluster_name, provider, ref, key_names FROM discovered_secrets
         WHERE id = ?",
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let agent_id = AgentId::parse(&row.text(0)?).map_err(StorageError)?;
    let keys: Value = serde_json::from_str(&row.text(4)?)
        .map_err(|e| StorageError(format!("stored key names: {e}")))?;
    let mut params = Map::new();
    params.insert("secret_id".into(), id.as_str().into());
    params.insert("cluster_name".into(), row.text(1)?.into());
    params.insert("provider".into(), row.text(2)?.into());
    params.insert("ref".into(), row.text(3)?.into());
    params.insert("keys".into(), keys);
    Ok(Some(Target { agent_id, params }))
}

fn no_public_key(agent: &AgentId) -> ApiError {
    ApiError::conflict(format!(
        "agent '{agent}', which holds this secret, has no public key to seal the data to; it must register one (PUT /api/v1/agents/{agent}/public-key)"
    ))
    .with("field", "public_key")
}

/// Seals a patch's data to `agent`'s key and keeps only that sealed form, until `expires_at`
/// (the request's; approval extends it). 409 naming `public_key` when the agent has none.
pub fn seal_patch(
    ctx: &SecretContext<'_>,
    agent: &AgentId,
    request: &AccessRequestId,
    data: &std::collections::BTreeMap<String, String>,
    expires_at: Timestamp,
) -> Result<(), Failure> {
    let Some((key, _)) = envelopes::public_key_of(ctx, agent)? else {
        return Err(no_public_key(agent).into());
    };
    let wrap_id = AgentWrapId::generate().map_err(|e| internal("agent wrap id", e))?;
    let sealed = seal_agent_wrap(
        &key,
        ctx.tenant_id.as_str(),
        agent,
        &wrap_id,
        &data_plaintext(data),
    )
    .map_err(|e| internal("seal agent wrap", e))?;
    execute(
        ctx.storage,
        "INSERT INTO agent_wraps (id, agent_id, request_id, ephemeral_public_key, nonce,
            ciphertext, created_at, expires_at, retrieved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        vec![
            wrap_id.as_str().into(),
            agent.as_str().into(),
            request.as_str().into(),
            sealed.ephemeral_public_key.into(),
            sealed.nonce.into(),
            V::Blob(sealed.ciphertext.into_bytes()),
            ts(ctx.now),
            ts(expires_at),
        ],
    )?;
    Ok(())
}

/// The last approval of a carried request: a job for the agent that holds the secret (for a
/// patch, the agent its data was sealed to). Runs inside the decision's transaction, so a
/// failure here leaves the request undecided.
pub fn approved(
    ctx: &SecretContext<'_>,
    id: &AccessRequestId,
    kind: AccessKind,
    secret_id: &DiscoveredSecretId,
    approver: &str,
) -> Result<Job, Failure> {
    let Target {
        agent_id,
        mut params,
    } = target(ctx.storage, secret_id)?.ok_or_else(|| {
        ApiError::conflict(format!(
            "discovered secret '{secret_id}' is no longer reported by any agent; nothing can carry this request out"
        ))
        .with("field", "secret_id")
    })?;
    params.insert("request_id".into(), id.as_str().into());
    let (agent, job_kind) = match kind {
        AccessKind::Read => (agent_id, READ_JOB),
        AccessKind::Patch => {
            let row = query_one(
                ctx.storage,
                "SELECT id, agent_id FROM agent_wraps WHERE request_id = ?",
                vec![id.as_str().into()],
            )?
            .ok_or_else(|| internal("carried patch", "no sealed data"))?;
            // The contract's patch params name the wrap, not the keys (the data names them).
            params.remove("keys");
            params.insert("wrap_id".into(), row.text(0)?.into());
            execute(
                ctx.storage,
                "UPDATE agent_wraps SET expires_at = ? WHERE request_id = ?",
                vec![
                    ts(ctx
                        .now
                        .plus_seconds(i64::try_from(AGENT_WRAP_TTL_SECONDS).unwrap_or(86_400))),
                    id.as_str().into(),
                ],
            )?;
            (
                AgentId::parse(&row.text(1)?).map_err(StorageError)?,
                PATCH_JOB,
            )
        }
    };
    let job = jobs::enqueue(
        ctx.storage,
        &agent,
        job_kind,
        params,
        JobSource::Request,
        approver,
        ctx.now,
    )?;
    execute(
        ctx.storage,
        "UPDATE access_requests SET job_id = ? WHERE id = ?",
        vec![job.id.as_str().into(), id.as_str().into()],
    )?;
    ctx.record_also(
        Draft::new("job.queued", None)
            .detail("request_id", id.as_str())
            .detail("job_id", job.id.as_str())
            .detail("agent_id", agent.as_str())
            .detail("type", job_kind),
    );
    Ok(job)
}

/// The request's `execution` and `execution_error`, from its job.
pub fn execution(
    storage: &Storage,
    job_id: Option<&str>,
    wrap_posted: bool,
) -> Result<(Execution, Option<String>), StorageError> {
    let Some(job_id) = job_id else {
        return Ok((Execution::Pending, None));
    };
    let row = query_one(
        storage,
        "SELECT status, error FROM agent_jobs WHERE id = ?",
        vec![job_id.into()],
    )?;
    let Some(row) = row else {
        return Ok((Execution::Queued, None));
    };
    let status = JobStatus::parse(&row.text(0)?);
    Ok(match status {
        Some(JobStatus::Failed) => (Execution::Failed, row.opt_text(1)?),
        Some(JobStatus::Succeeded) => (Execution::Applied, None),
        // A read is applied once its value waits for the requester.
        _ if wrap_posted => (Execution::Applied, None),
        Some(JobStatus::Claimed) => (Execution::Claimed, None),
        _ => (Execution::Queued, None),
    })
}

/// A request that ended without approval (rejected, cancelled, expired), or whose job ended:
/// its sealed data is zeroed and dropped.
pub fn erase(storage: &Storage, filter: &str, bindings: Vec<V>) -> Result<(), StorageError> {
    execute(
        storage,
        &format!(
            "UPDATE agent_wraps SET ciphertext = zeroblob(length(ciphertext))
             WHERE length(ciphertext) > 0 AND ({filter})"
        ),
        bindings.clone(),
    )?;
    execute(
        storage,
        &format!(
            "UPDATE agent_wraps SET ciphertext = X'' WHERE length(ciphertext) > 0 AND ({filter})"
        ),
        bindings,
    )
}

/// Erases the sealed data of requests that expired undecided and of wraps past their expiry
/// (the maintenance alarm, and `access_requests::expire`).
pub fn erase_expired(storage: &Storage, now: Timestamp) -> Result<(), StorageError> {
    erase(
        storage,
        "expires_at <= ? OR request_id IN (SELECT id FROM access_requests WHERE status = 'expired')",
        vec![ts(now)],
    )
}

/// When the next sealed patch still kept runs out (the maintenance alarm then zeroes it).
pub fn next_expiry(storage: &Storage) -> Result<Option<Timestamp>, StorageError> {
    query_one(
        storage,
        "SELECT min(expires_at) FROM agent_wraps WHERE length(ciphertext) > 0",
        vec![],
    )?
    .map(|row| read_opt_ts(&row, 0))
    .transpose()
    .map(Option::flatten)
}

fn job_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("job '{id}' not found")).with("field", "job_id")
}

/// `POST /api/v1/agents/{id}/wraps`: a read job's value, opened with the server's copy of the
/// DEK (which is then deleted: single use), re-sealed as the requester's wrap at once.
pub fn post_wrap(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    post: &AgentPost,
) -> Result<WrapId, ApiError> {
    in_transaction(ctx.storage, "post agent wrap", || {
        let job = jobs::load(ctx.storage, &post.job_id)?
            .filter(|job| job.agent_id == agent.id)
            .ok_or_else(|| job_not_found(post.job_id.as_str()))?;
        let request_id = job
            .params
            .get("request_id")
            .and_then(Value::as_str)
            .and_then(|t| AccessRequestId::parse(t).ok());
        let (Some(request_id), JobSource::Request, READ_JOB) =
            (request_id, job.source, job.kind.as_str())
        else {
            return Err(ApiError::conflict(format!(
                "job '{}' is not a read job of an access request; only those post a wrap",
                job.id
            ))
            .with("field", "job_id")
            .into());
        };
        if job.status != JobStatus::Claimed {
            return Err(ApiError::conflict(format!(
                "job '{}' is {}; a wrap is posted while the job is claimed",
                job.id,
                job.status.as_str()
            ))
            .with("field", "job_id")
            .into());
        }
        let row = query_one(
            ctx.storage,
            "SELECT wrap_id, requester, ttl_seconds FROM access_requests WHERE id = ?",
            vec![request_id.as_str().into()],
        )?
        .ok_or_else(|| internal("carried read", "job without its request"))?;
        let requester = row.text(1)?;
        let ttl = row
            .opt_int(2)?
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(3_600);
        let dek_row = query_one(
            ctx.storage,
            "SELECT hex(wrapped_key), hex(ciphertext) FROM agent_deks WHERE id = ? AND agent_id = ?",
            vec![post.key_id.as_str().into(), agent.id.as_str().into()],
        )?
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "data key '{}' is unknown or was already used; a data key seals one wrap (POST …/dek for another)",
                post.key_id
            ))
            .with("field", "key_id")
        })?;
        if row.opt_text(0)?.is_some() {
            return Err(ApiError::conflict(format!(
                "job '{}' already posted its wrap; a read's value is posted once",
                job.id
            ))
            .with("field", "job_id")
            .into());
        }
        let binding = DekBinding {
            tenant_id: ctx.tenant_id.as_str(),
            agent_id: &agent.id,
            key_id: &post.key_id,
        };
        let dek_path = binding.wrap_path();
        let dek = ctx
            .tenant_key
            .open(
                &wrap_binding(&binding, &dek_path),
                &Sealed {
                    wrapped_data_key: dek_row.blob(0)?,
                    ciphertext: dek_row.blob(1)?,
                },
            )
            .map_err(|e| internal("open dek", e))?;
        let plaintext = post
            .open(dek.as_slice(), ctx.tenant_id.as_str(), &agent.id)
            .ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "the ciphertext does not open under data key '{}' for job '{}' (AES-256-GCM, aad = \"latchkey/v1/agent-wrap\" with tenant, agent and job id)",
                    post.key_id, job.id
                ))
                .with("field", "ciphertext")
            })?;
        let value = read_plaintext(&plaintext)?;
        execute(
            ctx.storage,
            "DELETE FROM agent_deks WHERE id = ?",
            vec![post.key_id.as_str().into()],
        )?;
        let wrap = wraps::create_for_request_with(ctx, &request_id, &requester, &value, ttl)?;
        execute(
            ctx.storage,
            "UPDATE access_requests SET wrap_id = ? WHERE id = ?",
            vec![wrap.as_str().into(), request_id.as_str().into()],
        )?;
        Ok::<_, Failure>(wrap)
    })
}

fn gone(id: &AgentWrapId, why: String) -> Failure {
    ApiError::new(ErrorCode::Gone, format!("agent wrap '{id}' {why}"))
        .with("field", "wrap_id")
        .into()
}

/// `GET /api/v1/agents/{id}/wraps/{wrap_id}`: a patch's sealed data, once, after approval.
pub fn get_wrap(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    id: &AgentWrapId,
) -> Result<SealedAgentWrap, ApiError> {
    in_transaction(ctx.storage, "retrieve agent wrap", || {
        let row = query_one(
            ctx.storage,
            "SELECT w.ephemeral_public_key, w.nonce, hex(w.ciphertext), w.expires_at, w.retrieved_at,
                r.job_id
             FROM agent_wraps w JOIN access_requests r ON r.id = w.request_id
             WHERE w.id = ? AND w.agent_id = ?",
            vec![id.as_str().into(), agent.id.as_str().into()],
        )?
        .ok_or_else(|| {
            ApiError::not_found(format!("agent wrap '{id}' not found")).with("field", "wrap_id")
        })?;
        if row.opt_text(5)?.is_none() {
            return Err(ApiError::conflict(format!(
                "agent wrap '{id}' belongs to a request not approved; it is handed out with its job"
            ))
            .with("field", "wrap_id")
            .into());
        }
        if let Some(at) = read_opt_ts(&row, 4)? {
            return Err(gone(
                id,
                format!("was already retrieved at {at}; an agent wrap gives its data once"),
            ));
        }
        let expires_at = read_ts(&row, 3)?;
        let ciphertext = row.blob(2)?;
        if expires_at <= ctx.now || ciphertext.is_empty() {
            return Err(gone(id, format!("expired at {expires_at}")));
        }
        let sealed = SealedAgentWrap {
            wrap_id: id.clone(),
            algorithm: ALGORITHM.to_owned(),
            ephemeral_public_key: row.text(0)?,
            nonce: row.text(1)?,
            ciphertext: String::from_utf8(ciphertext)
                .map_err(|_| StorageError("agent wrap ciphertext".into()))?,
        };
        execute(
            ctx.storage,
            "UPDATE agent_wraps SET retrieved_at = ? WHERE id = ?",
            vec![ts(ctx.now), id.as_str().into()],
        )?;
        erase(ctx.storage, "id = ?", vec![id.as_str().into()])?;
        Ok::<_, Failure>(sealed)
    })
}

/// A request-made job's completion (inside `jobs::complete`'s transaction): a read completes
/// `succeeded` only after its wrap was posted; either way the request's sealed data goes.
pub fn completing(
    ctx: &SecretContext<'_>,
    job: &Job,
    completion: &Completion,
) -> Result<(), Failure> {
    let Some(request_id) = job.params.get("request_id").and_then(Value::as_str) else {
        return Ok(());
    };
    if job.kind == READ_JOB && completion.status == JobStatus::Succeeded {
        let posted = query_one(
            ctx.storage,
            "SELECT wrap_id FROM access_requests WHERE id = ?",
            vec![request_id.into()],
        )?
        .map(|row| row.opt_text(0))
        .transpose()?
        .flatten()
        .is_some();
        if !posted {
            return Err(ApiError::conflict(format!(
                "job '{}' reads a secret for request '{request_id}'; post the value (POST /api/v1/agents/{}/wraps) before completing it as succeeded",
                job.id, job.agent_id
            ))
            .with("field", "status")
            .into());
        }
    }
    erase(ctx.storage, "request_id = ?", vec![request_id.into()])?;
    let execution = match completion.status {
        JobStatus::Succeeded => Execution::Applied,
        _ => Execution::Failed,
    };
    ctx.record_also(
        Draft::new("request.executed", None)
            .detail("request_id", request_id)
            .detail("job_id", job.id.as_str())
            .detail("execution", execution.as_str())
            .detail("error", json!(completion.error)),
    );
    Ok(())
}
