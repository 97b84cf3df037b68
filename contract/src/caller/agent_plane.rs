//! Seed 001's agent plane (issue 23): minting agents that authenticate with `X-Agent-Secret`,
//! their heartbeats, the job queue, and the update check's view of its caller. An agent's own
//! commands name the agent the path names; the object refuses (404) any agent but the caller.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::jobs::{Completion, Job, JobId, JobRequest};
use latchkey_core::agent::mint::AgentMinted;
use latchkey_core::agent::{AgentId, Registration};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/agents` (`agent.mint`): the secret is shown once, its hash kept.
#[derive(Debug, Serialize, Deserialize)]
pub struct MintAgent {
    pub registration: Registration,
}

/// `POST /api/v1/agents/{id}/heartbeat` → 204.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentHeartbeat {
    pub id: AgentId,
}

/// `POST /api/v1/jobs` (`agents:admin`).
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateJob {
    pub request: JobRequest,
}

/// `POST /api/v1/agents/{id}/jobs/claim`: the oldest claimable job, held for `lease_seconds`
/// (the Worker's setting), or none.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimJob {
    pub id: AgentId,
    pub lease_seconds: u64,
}

/// `POST /api/v1/agents/{id}/jobs/{job_id}/complete`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompleteJob {
    pub id: AgentId,
    pub job_id: JobId,
    pub completion: Completion,
}

/// `GET /api/v1/agents/update/latest`: the calling agent's platform, its `os_type` (the
/// release catalog is the operator's, in D1).
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentSelf;

area! {
    pub enum AgentPlaneCommand in CallerCommand::AgentPlane {
        MintAgent => AgentMinted,
        AgentHeartbeat => (),
        CreateJob => Job,
        ClaimJob => Option<Job>,
        CompleteJob => (),
        AgentSelf => Option<String>,
    }
}

impl AgentPlaneCommand {
    pub fn rules(&self) -> Rules {
        use AgentPlaneCommand as C;
        use Audit::{Event, RefusalsOnly};
        use Cache::Empties;
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::Nothing;
        let admin = || Access::Scope(Scope::AgentsAdmin);
        let row = |access, event, effect| Rules::of(access, event, Nothing, Empties, Use, effect);
        match self {
            C::MintAgent(_) => row(admin(), Event("agent.minted"), Writes),
            // As seed 000's health report: the last heartbeat is on the agent's row.
            C::AgentHeartbeat(_) => row(Access::Agent, RefusalsOnly("agent.heartbeat"), Writes),
            C::CreateJob(_) => row(admin(), Event("job.created"), Writes),
            // Agents poll: an empty claim records nothing; a claim that hands out a job
            // records `job.claimed` beside it (the object does).
            C::ClaimJob(_) => row(Access::Agent, RefusalsOnly("job.claimed"), Writes),
            C::CompleteJob(_) => row(Access::Agent, Event("job.completed"), Writes),
            C::AgentSelf(_) => row(Access::Agent, RefusalsOnly("agent.update_checked"), Reads),
        }
    }
}
