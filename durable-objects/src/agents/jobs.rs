//! Seed 001's job queue in the tenant's storage (issue 23; rules in
//! `latchkey_core::agent::jobs`). A claim selects and leases in one transaction of the one
//! object that serializes the tenant's commands, so no two claims ever hand out one lease.

use super::require_agent;
use crate::audit::Draft;
use crate::authorization::access::Principal;
use crate::sql::{Row, Storage, StorageError, Value as V, execute, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, json_column, json_text, read_count, read_opt_ts,
    read_ts, ts,
};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::jobs::{
    Completion, Job, JobId, JobRequest, JobSource, JobStatus, MAX_OPEN_JOBS_PER_AGENT,
};
use latchkey_core::principal::AgentPrincipal;
use latchkey_core::{ApiError, Timestamp};
use serde_json::{Map, Value};

const COLUMNS: &str = "id, agent_id, type, params, status, source, created_at, attempts,
    lease_expires_at, completed_at, error";

fn parse_job(row: &Row) -> Result<Job, StorageError> {
    let status = row.text(4)?;
    let source = row.text(5)?;
    Ok(Job {
        id: JobId::parse(&row.text(0)?).map_err(StorageError)?,
        agent_id: AgentId::parse(&row.text(1)?).map_err(StorageError)?,
        kind: row.text(2)?,
        params: json_column(row, 3)?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StorageError(format!("stored job status '{status}'")))?,
        source: JobSource::parse(&source)
            .ok_or_else(|| StorageError(format!("stored job source '{source}'")))?,
        created_at: read_ts(row, 6)?,
        attempts: read_count(row, 7)?,
        lease_expires_at: read_opt_ts(row, 8)?,
        completed_at: read_opt_ts(row, 9)?,
        error: row.opt_text(10)?,
    })
}

/// The agent's newest `limit` jobs, whatever their status.
pub(crate) fn newest(
    storage: &Storage,
    agent: &AgentId,
    limit: u64,
) -> Result<Vec<Job>, StorageError> {
    crate::sql::query(
        storage,
        &format!(
            "SELECT {COLUMNS} FROM agent_jobs WHERE agent_id = ?
             ORDER BY created_at DESC, id DESC LIMIT ?"
        ),
        vec![
            agent.as_str().into(),
            V::Integer(i64::try_from(limit).unwrap_or(50)),
        ],
    )?
    .iter()
    .map(parse_job)
    .collect()
}

pub(crate) fn load(storage: &Storage, id: &JobId) -> Result<Option<Job>, StorageError> {
    query_one(
        storage,
        &format!("SELECT {COLUMNS} FROM agent_jobs WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .as_ref()
    .map(parse_job)
    .transpose()
}

/// Queues a job for a live agent: the one way in, for an admin's job and for the jobs an
/// approved access request on a discovered secret makes (`super::carried::approved`,
/// [`JobSource::Request`]). Run it inside a transaction.
pub fn enqueue(
    storage: &Storage,
    agent: &AgentId,
    kind: &str,
    params: Map<String, Value>,
    source: JobSource,
    created_by: &str,
    now: Timestamp,
) -> Result<Job, Failure> {
    require_agent(storage, agent, "agent_id", true)?;
    let open = query_one(
        storage,
        "SELECT count(*) FROM agent_jobs WHERE agent_id = ? AND status IN ('queued', 'claimed')",
        vec![agent.as_str().into()],
    )?
    .map(|row| read_count(&row, 0))
    .transpose()?
    .unwrap_or(0);
    if open >= MAX_OPEN_JOBS_PER_AGENT {
        return Err(ApiError::conflict(format!(
            "agent '{agent}' has {open} jobs not completed, the limit; it must claim and complete some first"
        ))
        .with("field", "agent_id")
        .into());
    }
    let id = JobId::generate().map_err(|e| StorageError(format!("job id: {e}")))?;
    execute(
        storage,
        "INSERT INTO agent_jobs (id, agent_id, type, params, status, source, created_at,
            created_by, attempts)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, 0)",
        vec![
            id.as_str().into(),
            agent.as_str().into(),
            kind.into(),
            json_text(&params)?.into(),
            source.as_str().into(),
            ts(now),
            created_by.into(),
        ],
    )?;
    let job = Job {
        id,
        agent_id: agent.clone(),
        kind: kind.to_owned(),
        params,
        status: JobStatus::Queued,
        source,
        created_at: now,
        attempts: 0,
        lease_expires_at: None,
        completed_at: None,
        error: None,
    };
    // Every job is made here, so every job is pushed to its agent's sockets once the command
    // that made it commits (issue 23, `super::socket`).
    super::socket::announce(super::socket::Push::Job(job.clone()));
    Ok(job)
}

/// The agent's jobs a claim could hand out now (queued, or claimed with the lease run out),
/// oldest first: what a new socket catches up on.
pub fn claimable(
    storage: &Storage,
    agent: &AgentId,
    now: Timestamp,
) -> Result<Vec<Job>, StorageError> {
    crate::sql::query(
        storage,
        &format!(
            "SELECT {COLUMNS} FROM agent_jobs
             WHERE agent_id = ?1
               AND (status = 'queued' OR (status = 'claimed' AND lease_expires_at <= ?2))
             ORDER BY created_at, id LIMIT {MAX_OPEN_JOBS_PER_AGENT}"
        ),
        vec![agent.as_str().into(), ts(now)],
    )?
    .iter()
    .map(parse_job)
    .collect()
}

/// `POST /api/v1/jobs` (admin).
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: JobRequest,
) -> Result<Job, ApiError> {
    in_transaction(ctx.storage, "create job", || {
        enqueue(
            ctx.storage,
            &request.agent_id,
            &request.kind,
            request.params,
            JobSource::Admin,
            &principal.actor(),
            ctx.now,
        )
    })
}

/// `POST /api/v1/agents/{id}/jobs/claim`: the agent's oldest job that is queued, or claimed
/// with its lease run out, now leased to it for `lease_seconds`; `None` when there is none.
pub fn claim(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    lease_seconds: u64,
) -> Result<Option<Job>, ApiError> {
    let lease_until = ctx
        .now
        .plus_seconds(i64::try_from(lease_seconds).unwrap_or(i64::MAX));
    let job = in_transaction(ctx.storage, "claim job", || {
        let Some(row) = query_one(
            ctx.storage,
            &format!(
                "SELECT {COLUMNS} FROM agent_jobs
                 WHERE agent_id = ?1
                   AND (status = 'queued' OR (status = 'claimed' AND lease_expires_at <= ?2))
                 ORDER BY created_at, id LIMIT 1"
            ),
            vec![agent.id.as_str().into(), ts(ctx.now)],
        )?
        else {
            return Ok(None);
        };
        let mut job = parse_job(&row)?;
        execute(
            ctx.storage,
            "UPDATE agent_jobs SET status = 'claimed', attempts = attempts + 1,
                lease_expires_at = ? WHERE id = ?",
            vec![ts(lease_until), job.id.as_str().into()],
        )?;
        job.status = JobStatus::Claimed;
        job.attempts += 1;
        job.lease_expires_at = Some(lease_until);
        Ok::<_, Failure>(Some(job))
    })?;
    if let Some(job) = &job {
        ctx.record_also(
            Draft::new("job.claimed", None)
                .detail("job_id", job.id.as_str())
                .detail("agent_id", agent.id.as_str())
                .detail("attempt", job.attempts),
        );
    }
    Ok(job)
}

/// `POST /api/v1/agents/{id}/jobs/{job_id}/complete`: a claimed job of the agent's becomes
/// `succeeded` or `failed`. The same completion again is accepted (the agent may not have
/// seen the answer); another one is a conflict, and so is completing a job never claimed.
pub fn complete(
    ctx: &SecretContext<'_>,
    agent: &AgentPrincipal,
    id: &JobId,
    completion: &Completion,
) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "complete job", || {
        let job = load(ctx.storage, id)?
            .filter(|job| job.agent_id == agent.id)
            .ok_or_else(|| {
                ApiError::not_found(format!("job '{id}' not found")).with("field", "job_id")
            })?;
        match job.status {
            JobStatus::Queued => Err(ApiError::conflict(format!(
                "job '{id}' is not claimed; claim it (POST …/jobs/claim) before completing it"
            ))
            .with("field", "job_id")
            .into()),
            JobStatus::Claimed => {
                if job.source == JobSource::Request {
                    super::carried::completing(ctx, &job, completion)?;
                }
                execute(
                    ctx.storage,
                    "UPDATE agent_jobs SET status = ?, error = ?, completed_at = ?,
                        lease_expires_at = NULL WHERE id = ?",
                    vec![
                        completion.status.as_str().into(),
                        completion.error.as_deref().into(),
                        ts(ctx.now),
                        V::from(id.as_str()),
                    ],
                )?;
                Ok(())
            }
            done if done == completion.status && job.error == completion.error => Ok(()),
            done => Err(ApiError::conflict(format!(
                "job '{id}' was already completed as {}; a completion cannot be changed",
                done.as_str()
            ))
            .with("field", "status")
            .into()),
        }
    })
}
