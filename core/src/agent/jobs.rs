//! Seed 001's job queue (issue 23): work queued for one agent, which it claims
//! (`POST …/jobs/claim`), holds under a lease, and reports on (`POST …/jobs/{id}/complete`).
//!
//! The lease rule: a claim holds the job for [`JOB_LEASE_SECONDS`]; a claimed job whose lease
//! has run out and that was not completed is claimable again (its agent crashed or lost the
//! answer). Claims are exactly-once because the tenant's object runs one command at a time.

use super::{AgentId, bounded_text};
use crate::body;
use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

prefixed_id!(JobId, "job_", "job");

/// How long a claim holds a job. The Worker var [`JOB_LEASE_VAR`] lowers it (tests only).
pub const JOB_LEASE_SECONDS: u64 = 300;
/// The Worker var that sets the lease (tests only).
pub const JOB_LEASE_VAR: &str = "AGENT_JOB_LEASE_SECONDS";
/// A job's `type`.
pub const MAX_JOB_TYPE_BYTES: usize = 64;
/// A job's `params`, serialized.
pub const MAX_JOB_PARAMS_BYTES: usize = 4_096;
/// A completion's `error`.
pub const MAX_JOB_ERROR_BYTES: usize = 2_048;
/// Jobs not yet completed, per agent: a queue nobody drains is refused more.
pub const MAX_OPEN_JOBS_PER_AGENT: u64 = 1_000;

/// Who made a job: an admin (`POST /api/v1/jobs`), or an approved access request on a
/// discovered secret (its id is the job's `params.request_id`). Both are queued through the
/// one `enqueue` in the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobSource {
    Admin,
    Request,
}

impl JobSource {
    pub fn as_str(self) -> &'static str {
        match self {
            JobSource::Admin => "admin",
            JobSource::Request => "request",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [JobSource::Admin, JobSource::Request]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Claimed,
    Succeeded,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Claimed => "claimed",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Claimed,
            JobStatus::Succeeded,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A job as the admin and its agent see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub agent_id: AgentId,
    #[serde(rename = "type")]
    pub kind: String,
    pub params: Map<String, Value>,
    pub status: JobStatus,
    pub source: JobSource,
    pub created_at: Timestamp,
    /// How many times it was claimed (more than one: a lease ran out).
    pub attempts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A validated `POST /api/v1/jobs` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    pub agent_id: AgentId,
    pub kind: String,
    pub params: Map<String, Value>,
}

/// `POST /api/v1/jobs` as it comes: `{agent_id, type, params?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    agent_id: body::Text,
    #[serde(rename = "type")]
    kind: body::Text,
    #[serde(default)]
    params: body::OptObject,
}

impl TryFrom<JobBody> for JobRequest {
    type Error = ApiError;

    fn try_from(body: JobBody) -> Result<Self, ApiError> {
        let agent_id = AgentId::parse(&body.agent_id.0).map_err(|why| {
            ApiError::validation("agent_id", format!("'agent_id' is not an agent id: {why}"))
        })?;
        let kind = body.kind.0;
        let well_formed = !kind.is_empty()
            && kind.len() <= MAX_JOB_TYPE_BYTES
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if !well_formed {
            return Err(ApiError::validation(
                "type",
                format!("'type' must be 1 to {MAX_JOB_TYPE_BYTES} of a-z, 0-9, '_', '.' and '-'"),
            ));
        }
        let params = body.params.0.unwrap_or_default();
        let size = serde_json::to_string(&params).map_or(usize::MAX, |s| s.len());
        if size > MAX_JOB_PARAMS_BYTES {
            return Err(ApiError::validation(
                "params",
                format!("'params' is {size} bytes; the limit is {MAX_JOB_PARAMS_BYTES}"),
            ));
        }
        Ok(JobRequest {
            agent_id,
            kind,
            params,
        })
    }
}

impl JobRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<JobBody>(bytes)?.try_into()
    }
}

/// A validated `POST …/jobs/{id}/complete` body: `succeeded`, or `failed` with an optional
/// error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub status: JobStatus,
    pub error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionBody {
    status: body::Text,
    #[serde(default)]
    error: body::OptText,
}

impl TryFrom<CompletionBody> for Completion {
    type Error = ApiError;

    fn try_from(body: CompletionBody) -> Result<Self, ApiError> {
        let status = match JobStatus::parse(&body.status.0) {
            Some(s @ (JobStatus::Succeeded | JobStatus::Failed)) => s,
            _ => {
                return Err(ApiError::validation(
                    "status",
                    format!(
                        "'status' is '{}'; expected succeeded or failed",
                        body.status.0
                    ),
                ));
            }
        };
        let error = bounded_text("error", body.error.0, MAX_JOB_ERROR_BYTES)?;
        if status == JobStatus::Succeeded && error.is_some() {
            return Err(ApiError::validation(
                "error",
                "'error' is for a failed job; leave it out when the status is succeeded",
            ));
        }
        Ok(Completion { status, error })
    }
}

impl Completion {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<CompletionBody>(bytes)?.try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "agt_0123456789abcdef01234567";

    fn field(e: &ApiError) -> Option<&str> {
        e.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn job_body_valid_parses_with_default_params() {
        let job =
            JobRequest::parse(format!(r#"{{"agent_id":"{AGENT}","type":"sync"}}"#).as_bytes())
                .unwrap();
        assert_eq!(job.agent_id.as_str(), AGENT);
        assert_eq!(job.kind, "sync");
        assert!(job.params.is_empty());
    }

    #[test]
    fn job_body_bad_member_is_refused_naming_it() {
        for (body, member) in [
            (r#"{"agent_id":"x","type":"sync"}"#.to_owned(), "agent_id"),
            (
                format!(r#"{{"agent_id":"{AGENT}","type":"Sync!"}}"#),
                "type",
            ),
            (format!(r#"{{"agent_id":"{AGENT}"}}"#), "type"),
            (
                format!(r#"{{"agent_id":"{AGENT}","type":"s","params":[]}}"#),
                "params",
            ),
            (
                format!(r#"{{"agent_id":"{AGENT}","type":"s","priority":1}}"#),
                "priority",
            ),
            (
                format!(
                    r#"{{"agent_id":"{AGENT}","type":"s","params":{{"x":"{}"}}}}"#,
                    "a".repeat(MAX_JOB_PARAMS_BYTES)
                ),
                "params",
            ),
        ] {
            let e = JobRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some(member), "{body}: {e:?}");
        }
    }

    #[test]
    fn completion_body_takes_succeeded_or_failed_with_error() {
        assert_eq!(
            Completion::parse(br#"{"status":"succeeded"}"#).unwrap(),
            Completion {
                status: JobStatus::Succeeded,
                error: None
            }
        );
        let failed = Completion::parse(br#"{"status":"failed","error":"disk full"}"#).unwrap();
        assert_eq!(failed.error.as_deref(), Some("disk full"));
        for (body, member) in [
            (r#"{"status":"queued"}"#, "status"),
            (r#"{"status":"done"}"#, "status"),
            (r#"{}"#, "status"),
            (r#"{"status":"succeeded","error":"x"}"#, "error"),
            (r#"{"status":"failed","error":""}"#, "error"),
            (r#"{"status":"failed","reason":"x"}"#, "reason"),
        ] {
            let e = Completion::parse(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some(member), "{body}: {e:?}");
        }
    }

    #[test]
    fn job_status_and_source_round_trip() {
        for s in ["queued", "claimed", "succeeded", "failed"] {
            assert_eq!(JobStatus::parse(s).map(JobStatus::as_str), Some(s));
        }
        assert_eq!(JobStatus::parse("done"), None);
        assert_eq!(JobSource::parse("admin"), Some(JobSource::Admin));
        assert_eq!(JobSource::parse("request"), Some(JobSource::Request));
        assert_eq!(JobSource::parse("agent"), None);
        assert!(JobId::parse("job_0123456789abcdef01234567").is_ok());
        assert!(JobId::parse("agt_0123456789abcdef01234567").is_err());
    }
}
