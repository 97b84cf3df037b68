//! What the agent plane's events carry (issue 23): ids and outcomes, never a secret.

use super::Completes;
use crate::audit::Draft;
use latchkey_contract::caller::agent_plane::AgentPlaneCommand as Pln;
use latchkey_core::agent::jobs::Job;
use latchkey_core::agent::mint::AgentMinted;

pub fn details(command: &Pln, draft: Draft) -> Draft {
    match command {
        Pln::MintAgent(c) => draft.detail("name", c.registration.name.as_str()),
        Pln::AgentHeartbeat(c) => draft.detail("agent_id", c.id.as_str()),
        Pln::CreateJob(c) => draft
            .detail("agent_id", c.request.agent_id.as_str())
            .detail("type", c.request.kind.as_str()),
        Pln::ClaimJob(c) => draft.detail("agent_id", c.id.as_str()),
        Pln::CompleteJob(c) => draft
            .detail("agent_id", c.id.as_str())
            .detail("job_id", c.job_id.as_str())
            .detail("status", c.completion.status.as_str()),
        Pln::AgentSelf(_) => draft,
    }
}

impl Completes for AgentMinted {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("agent_id", self.id.as_str())
    }
}

impl Completes for Job {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("job_id", self.id.as_str())
    }
}

/// A claim's own event is written beside it, only when a job is handed out.
impl Completes for Option<Job> {
    fn complete(&self, draft: Draft) -> Draft {
        draft
    }
}

/// The update check's view of its caller: its platform.
impl Completes for Option<String> {
    fn complete(&self, draft: Draft) -> Draft {
        draft
    }
}

/// A new socket: the agent, and how much it caught up on (counts, never contents).
impl Completes for latchkey_contract::caller::socket::AgentConnected {
    fn complete(&self, draft: Draft) -> Draft {
        draft
            .detail("agent_id", self.agent_id.as_str())
            .detail("commands", self.commands)
            .detail("jobs", self.jobs)
    }
}
